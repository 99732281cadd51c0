/// Per origin, the highest sequence held with nothing missing below it.
public struct VersionVector: Hashable, Codable, Sendable, CustomStringConvertible {
    public private(set) var entries: [SiteID: OriginSequence]

    public init(_ entries: [SiteID: OriginSequence] = [:]) {
        self.entries = entries.filter { $0.value > .zero }
    }

    public subscript(site: SiteID) -> OriginSequence {
        entries[site] ?? .zero
    }

    /// Records that `sequence` of `site` is held; only the next in line moves the vector.
    @discardableResult
    public mutating func advance(_ site: SiteID, to sequence: OriginSequence) -> Bool {
        guard sequence == self[site].next else { return false }
        entries[site] = sequence
        return true
    }

    /// Whether this vector holds everything `other` holds.
    public func covers(_ other: VersionVector) -> Bool {
        other.entries.allSatisfy { self[$0.key] >= $0.value }
    }

    /// The pointwise maximum.
    public func merged(with other: VersionVector) -> VersionVector {
        var result = entries
        for (site, sequence) in other.entries { result[site] = max(result[site] ?? .zero, sequence) }
        return VersionVector(result)
    }

    /// The pointwise minimum over `sites`: what every one of them holds.
    public static func common(_ vectors: [VersionVector], sites: Set<SiteID>) -> VersionVector {
        var result: [SiteID: OriginSequence] = [:]
        let origins = Set(vectors.flatMap { $0.entries.keys })
        for origin in origins {
            result[origin] = sites.isEmpty ? .zero : vectors.map { $0[origin] }.min() ?? .zero
        }
        return VersionVector(result)
    }

    /// For each origin, the sequences `self` holds that `peer` lacks: `(origin, first…last)`.
    public func missing(from peer: VersionVector) -> [(origin: SiteID, range: ClosedRange<UInt64>)] {
        entries.keys.sorted().compactMap { origin in
            let have = self[origin].rawValue
            let theirs = peer[origin].rawValue
            return have > theirs ? (origin, (theirs + 1)...have) : nil
        }
    }

    public var description: String {
        "[" + entries.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " ") + "]"
    }
}
