import Domain
import Foundation
import GRDB

extension AppDatabase {
    /// Replaces one organisation's gazetteer with `addresses` in one transaction (7.11: regular updates).
    @discardableResult
    public func importGazetteer(organisation: OrganisationCode, addresses: [GazetteerAddress]) throws -> Int {
        precondition(addresses.count <= StoreLimits.gazetteerRowsMax, "gazetteer import over its limit")
        return try write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM organisation WHERE code = ?", arguments: [organisation.rawValue])
                ?? false
            else {
                throw DomainError(
                    .unknownOrganisation, "organisation \(organisation) is not in the catalogue; no addresses imported")
            }
            try db.execute(
                sql: "DELETE FROM gazetteer_address WHERE organisation_code = ?", arguments: [organisation.rawValue])
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO gazetteer_address (organisation_code, uprn, easting_m, northing_m, latitude, longitude,
                        saon, paon, street, locality, town, postcode, ward, single_line)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for address in addresses {
                try insert.execute(arguments: [
                    organisation.rawValue, address.uprn.rawValue, address.eastingMetres, address.northingMetres,
                    address.latitude, address.longitude, address.saon, address.paon, address.street, address.locality,
                    address.town, address.postcode, address.ward, address.singleLine + " " + address.ward,
                ])
            }
            return addresses.count
        }
    }

    /// Number of addresses in each organisation's gazetteer.
    public func gazetteerSizes() throws -> [OrganisationCode: Int] {
        try read { db in
            var sizes: [OrganisationCode: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT organisation_code, count(*) AS n FROM gazetteer_address GROUP BY organisation_code")
            {
                sizes[try OrganisationCode(row["organisation_code"])] = row["n"]
            }
            return sizes
        }
    }

    /// The address with this UPRN in an organisation's gazetteer, if it has one.
    public func gazetteerAddress(organisation: OrganisationCode, uprn: UPRN) throws -> GazetteerAddress? {
        try read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM gazetteer_address WHERE organisation_code = ? AND uprn = ?",
                arguments: [organisation.rawValue, uprn.rawValue]
            ).map(Self.address)
        }
    }

    /// Addresses of an organisation's gazetteer matching the words typed, for a handler picking the incident address.
    public func findAddresses(organisation: OrganisationCode, text: String, limit: Int = 10) throws
        -> [GazetteerAddress]
    {
        guard let expression = FullTextQuery.expression(column: nil, text: text) else { return [] }
        return try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT g.* FROM gazetteer_fts JOIN gazetteer_address g ON g.id = gazetteer_fts.rowid
                    WHERE gazetteer_fts MATCH ? AND g.organisation_code = ?
                    ORDER BY g.street, g.paon, g.saon LIMIT ?
                    """,
                arguments: [expression, organisation.rawValue, min(max(limit, 1), StoreLimits.addressResultsMax)]
            ).map(Self.address)
        }
    }

    /// Turns what a handler gave (a UPRN, text, or both) into a checked incident address (7.11, 4.1.5 b).
    ///
    /// A UPRN in the organisation's gazetteer is inside its boundary; one found only in another organisation's
    /// gazetteer is outside it; text alone stays unverified.
    public func resolveIncidentAddress(organisation: OrganisationCode, uprn: UPRN?, text: String?) throws
        -> IncidentAddress?
    {
        let trimmed = text?.trimmingCharacters(in: .whitespacesAndNewlines)
        let givenText = (trimmed?.isEmpty ?? true) ? nil : trimmed
        guard let uprn else {
            return givenText.map {
                IncidentAddress(text: $0, uprn: nil, point: nil, ward: nil, verification: .unverified)
            }
        }
        if let own = try gazetteerAddress(organisation: organisation, uprn: uprn) {
            return .verified(own)
        }
        let elsewhere = try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM gazetteer_address WHERE uprn = ? LIMIT 1", arguments: [uprn.rawValue])
                .map(Self.address)
        }
        if let elsewhere {
            return IncidentAddress(
                text: givenText ?? elsewhere.singleLine, uprn: uprn, point: elsewhere.gridPoint, ward: elsewhere.ward,
                verification: .outsideBoundary)
        }
        guard let givenText else {
            throw StoreError.addressNotFound(uprn: uprn.rawValue, organisation: organisation.rawValue)
        }
        return IncidentAddress(text: givenText, uprn: uprn, point: nil, ward: nil, verification: .outsideBoundary)
    }

    static func address(_ row: Row) throws -> GazetteerAddress {
        try GazetteerAddress(
            uprn: try UPRN(row["uprn"] as Int64), eastingMetres: row["easting_m"], northingMetres: row["northing_m"],
            latitude: row["latitude"], longitude: row["longitude"], saon: row["saon"], paon: row["paon"],
            street: row["street"], locality: row["locality"], town: row["town"], postcode: row["postcode"],
            ward: row["ward"])
    }
}

/// Builds FTS5 expressions from what a person typed: each word becomes a quoted prefix term, so
/// punctuation and FTS operators in the input can never change the query's meaning.
enum FullTextQuery {
    static func terms(_ text: String) -> [String] {
        let words = text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
        return Array(words.prefix(StoreLimits.searchTermsMax))
    }

    /// `column : ("smi"* AND "jo"*)`, or `nil` when the text has no words.
    static func expression(column: String?, text: String) -> String? {
        let quoted = terms(text).map { "\"\($0.replacingOccurrences(of: "\"", with: "\"\""))\"*" }
        guard !quoted.isEmpty else { return nil }
        let joined = "(" + quoted.joined(separator: " AND ") + ")"
        return column.map { "\($0) : \(joined)" } ?? joined
    }
}
