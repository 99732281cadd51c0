import Foundation

/// One property in a Participating Organisation's address gazetteer (7.11, 4.1.5): OS Open UPRN coordinates
/// joined with BS 7666-style address text and the ward or area it lies in.
public struct GazetteerAddress: Hashable, Codable, Sendable {
    public let uprn: UPRN
    /// British National Grid easting and northing, metres.
    public let eastingMetres: Double
    public let northingMetres: Double
    public let latitude: Double
    public let longitude: Double
    /// Secondary addressable object, e.g. "Flat 3".
    public let saon: String
    /// Primary addressable object: house number or name.
    public let paon: String
    public let street: String
    public let locality: String
    public let town: String
    public let postcode: String
    public let ward: String

    public init(
        uprn: UPRN, eastingMetres: Double, northingMetres: Double, latitude: Double, longitude: Double, saon: String,
        paon: String, street: String, locality: String, town: String, postcode: String, ward: String
    ) throws {
        // Great Britain's National Grid covers 0–700 km east and 0–1300 km north.
        guard (0...700_000).contains(eastingMetres), (0...1_300_000).contains(northingMetres) else {
            throw DomainError(
                .invalidValue,
                "UPRN \(uprn): coordinates \(eastingMetres), \(northingMetres) are outside the British National Grid")
        }
        guard (49...61).contains(latitude), (-9...2).contains(longitude) else {
            throw DomainError(
                .invalidValue, "UPRN \(uprn): latitude \(latitude), longitude \(longitude) are outside Great Britain")
        }
        guard !street.isEmpty || !paon.isEmpty else {
            throw DomainError(.invalidValue, "UPRN \(uprn): the address has neither a house (PAON) nor a street")
        }
        self.uprn = uprn
        self.eastingMetres = eastingMetres
        self.northingMetres = northingMetres
        self.latitude = latitude
        self.longitude = longitude
        self.saon = saon
        self.paon = paon
        self.street = street
        self.locality = locality
        self.town = town
        self.postcode = postcode
        self.ward = ward
    }

    /// The address on one line, as a handler reads it back: "Flat 3, 12 Acacia Avenue, Ealing, London W5 1AB".
    public var singleLine: String {
        // BS 7666: a numbered PAON runs into the street ("12 Acacia Avenue"); a named one stands apart.
        let numbered = paon.first?.isNumber ?? false
        let house = [paon, street].filter { !$0.isEmpty }.joined(separator: numbered ? " " : ", ")
        let townAndPostcode = [town, postcode].filter { !$0.isEmpty }.joined(separator: " ")
        return [saon, house, locality, townAndPostcode].filter { !$0.isEmpty }.joined(separator: ", ")
    }

    public var gridPoint: GridPoint { GridPoint(eastingMetres: eastingMetres, northingMetres: northingMetres) }
}

/// A point on the British National Grid, metres.
public struct GridPoint: Hashable, Codable, Sendable {
    public let eastingMetres: Double
    public let northingMetres: Double

    public init(eastingMetres: Double, northingMetres: Double) {
        self.eastingMetres = eastingMetres
        self.northingMetres = northingMetres
    }

    public func distanceMetres(to other: GridPoint) -> Double {
        let east = eastingMetres - other.eastingMetres
        let north = northingMetres - other.northingMetres
        return (east * east + north * north).squareRoot()
    }
}

/// How far a call's incident address was checked against the organisation's gazetteer (7.11, 4.1.5 b).
public enum AddressVerification: String, Codable, Sendable {
    /// Matched a property in the organisation's gazetteer by UPRN: inside its boundary.
    case inGazetteer = "in-gazetteer"
    /// A UPRN that is not in the organisation's gazetteer: outside its boundary, or not yet in its file.
    case outsideBoundary = "outside-boundary"
    /// Free text only; the caller could not give an address the gazetteer knows.
    case unverified
}

/// Where the reported incident is.
public struct IncidentAddress: Hashable, Codable, Sendable {
    public let text: String
    public let uprn: UPRN?
    public let point: GridPoint?
    public let ward: String?
    public let verification: AddressVerification

    public init(text: String, uprn: UPRN?, point: GridPoint?, ward: String?, verification: AddressVerification) {
        self.text = text
        self.uprn = uprn
        self.point = point
        self.ward = ward
        self.verification = verification
    }

    /// The address as the gazetteer has it.
    public static func verified(_ address: GazetteerAddress) -> IncidentAddress {
        IncidentAddress(
            text: address.singleLine, uprn: address.uprn, point: address.gridPoint, ward: address.ward,
            verification: .inGazetteer)
    }
}

/// Settings of the possible-duplicate check (5.2.7), with FixMyStreet's 250 m as the default radius.
public struct DuplicateCriteria: Hashable, Sendable {
    public let radiusMetres: Double
    public let windowSeconds: Double

    public init(
        radiusMetres: Double = DomainLimits.duplicateRadiusMetresDefault,
        windowSeconds: Double = DomainLimits.duplicateWindowSecondsDefault
    ) throws {
        guard radiusMetres >= 0, radiusMetres <= 5_000 else {
            throw DomainError(.invalidValue, "duplicate radius \(radiusMetres) m must be from 0 to 5000 m")
        }
        guard windowSeconds > 0, windowSeconds <= 90 * 86_400 else {
            throw DomainError(.invalidValue, "duplicate window must be more than 0 and at most 90 days")
        }
        self.radiusMetres = radiusMetres
        self.windowSeconds = windowSeconds
    }

    /// Whether an earlier call looks like the same issue as a new one at `address`.
    ///
    /// Same UPRN always matches; otherwise both must have coordinates within the radius.
    public func matches(earlier: IncidentAddress?, new address: IncidentAddress?) -> Bool {
        guard let earlier, let address else { return false }
        if let a = earlier.uprn, let b = address.uprn, a == b { return true }
        guard let p = earlier.point, let q = address.point else { return false }
        return p.distanceMetres(to: q) <= radiusMetres
    }
}
