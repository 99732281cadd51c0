import Foundation

/// A hybrid logical clock value: physical milliseconds, a logical counter, and the site as the tie-break.
///
/// Ordered by `(physicalMs, logical, site)`, so two different sites never produce equal timestamps.
/// Its text form sorts the same way as the value, so SQL can compare clocks as text.
public struct HybridTimestamp: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let physicalMs: Int64
    public let logical: UInt32
    public let site: SiteID

    public init(physicalMs: Int64, logical: UInt32, site: SiteID) {
        precondition(physicalMs >= 0 && physicalMs <= 999_999_999_999_999, "physical time out of range")
        self.physicalMs = physicalMs
        self.logical = logical
        self.site = site
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.physicalMs, a.logical, a.site) < (b.physicalMs, b.logical, b.site)
    }

    /// Fixed-width text, e.g. `001763829000000.0000000003.WST`; text order equals clock order.
    public var description: String {
        let physical = String(physicalMs)
        let counter = String(logical)
        return String(repeating: "0", count: 15 - physical.count) + physical + "."
            + String(repeating: "0", count: 10 - counter.count) + counter + "." + site.rawValue
    }

    public init?(text: String) {
        let parts = text.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 15, parts[1].count == 10, let physical = Int64(parts[0]),
            let counter = UInt32(parts[1]), !parts[2].isEmpty, parts[2].count <= 8
        else { return nil }
        self.init(physicalMs: physical, logical: counter, site: SiteID(String(parts[2])))
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = HybridTimestamp(text: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a clock value"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A remote clock too far ahead of ours: the change set is quarantined, not applied (DESIGN.md).
public struct ClockSkewExceeded: Error, Equatable, Sendable, CustomStringConvertible {
    public let remote: HybridTimestamp
    public let localPhysicalMs: Int64
    public let boundMs: Int64

    public var description: String {
        "clock of \(remote.site) is \(remote.physicalMs - localPhysicalMs) ms ahead of this site's, more than the "
            + "\(boundMs) ms allowed; its change set is quarantined until the clocks agree (check NTP on both sites)"
    }
}

/// The hybrid logical clock of one site: a value type fed with physical time as an argument.
///
/// It never goes backwards, even when the wall clock steps back, and it moves past every remote clock it
/// accepts, so a change made after seeing another is always ordered after it.
public struct HybridLogicalClock: Sendable, Equatable {
    public let site: SiteID
    public let skewBoundMs: Int64
    public private(set) var last: HybridTimestamp

    /// Resumes from the last persisted value (or starts from zero).
    public init(site: SiteID, last: HybridTimestamp? = nil, skewBoundMs: Int64 = ReplicationLimits.clockSkewMsMaxDefault) {
        precondition(skewBoundMs > 0, "clock skew bound must be positive")
        self.site = site
        self.skewBoundMs = skewBoundMs
        self.last = last.map { HybridTimestamp(physicalMs: $0.physicalMs, logical: $0.logical, site: site) }
            ?? HybridTimestamp(physicalMs: 0, logical: 0, site: site)
    }

    /// The timestamp of a new local event.
    public mutating func tick(nowMs: Int64) -> HybridTimestamp {
        if nowMs > last.physicalMs {
            last = HybridTimestamp(physicalMs: nowMs, logical: 0, site: site)
        } else {
            precondition(last.logical < ReplicationLimits.logicalCounterMax, "logical counter exhausted")
            last = HybridTimestamp(physicalMs: last.physicalMs, logical: last.logical + 1, site: site)
        }
        return last
    }

    /// Takes in a remote timestamp; refuses one further ahead of local time than the bound.
    public mutating func receive(_ remote: HybridTimestamp, nowMs: Int64) throws(ClockSkewExceeded) {
        guard remote.physicalMs <= nowMs + skewBoundMs else {
            throw ClockSkewExceeded(remote: remote, localPhysicalMs: nowMs, boundMs: skewBoundMs)
        }
        let physical = max(last.physicalMs, remote.physicalMs, nowMs)
        let logical: UInt32
        if physical == last.physicalMs && physical == remote.physicalMs {
            logical = max(last.logical, remote.logical) + 1
        } else if physical == last.physicalMs {
            logical = last.logical + 1
        } else if physical == remote.physicalMs {
            logical = remote.logical + 1
        } else {
            logical = 0
        }
        last = HybridTimestamp(physicalMs: physical, logical: logical, site: site)
    }
}
