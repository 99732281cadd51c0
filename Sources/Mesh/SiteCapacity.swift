/// What a site can take on now, as its heartbeats announce it (DESIGN.md, Failover and traffic; 7.1.7, 7.1.10).
///
/// Kept small on purpose: routing maps it onto its own view of a site. Organisation codes are the catalogue's
/// (printable ASCII on the wire); counts are whole numbers within `MeshLimits`.
public struct SiteCapacity: Hashable, Sendable, Codable {
    /// Call handlers signed in at the site.
    public var handlersSignedIn: Int
    /// Per Participating Organisation code, how many of the signed-in handlers are trained for it; an
    /// organisation nobody signed in is trained for is left out.
    public var trainedByOrganisation: [String: Int]
    /// Calls opened at the site that are not closed and were offered in the last `callsInProgressWindowMs`
    /// (see `SiteCapacity.callsInProgressWindowMs`).
    public var callsInProgress: Int

    public init(handlersSignedIn: Int, trainedByOrganisation: [String: Int], callsInProgress: Int) {
        self.handlersSignedIn = handlersSignedIn
        self.trainedByOrganisation = trainedByOrganisation
        self.callsInProgress = callsInProgress
    }

    /// How far back a call not yet closed still counts as in progress: the store has no "in progress" state
    /// (a call is open, referred or closed), and a call left open for longer is paperwork, not a handler busy.
    public static let callsInProgressWindowMs: Int64 = 30 * 60 * 1000
}

// MARK: - Wire form (the tail of a `heartbeat` frame; PROTOCOL.md)

extension FrameWriter {
    /// `u8` tail version 1, `u16` handlers, `u32` calls in progress, `u16` count, then per organisation (strictly
    /// ascending by code bytes) a `string` code and a `u16` count: one encoding per value.
    mutating func capacity(_ capacity: SiteCapacity, field: String) throws(FrameError) {
        guard (0...MeshLimits.capacityHandlersMax).contains(capacity.handlersSignedIn) else {
            throw .overLimit(
                field: field + ".handlersSignedIn", value: capacity.handlersSignedIn, max: MeshLimits.capacityHandlersMax)
        }
        guard (0...MeshLimits.capacityCallsMax).contains(capacity.callsInProgress) else {
            throw .overLimit(
                field: field + ".callsInProgress", value: capacity.callsInProgress, max: MeshLimits.capacityCallsMax)
        }
        let entries = capacity.trainedByOrganisation.map { (code: Array($0.key.utf8), count: $0.value) }
            .sorted { $0.code.lexicographicallyPrecedes($1.code) }
        guard entries.count <= MeshLimits.capacityOrganisationsMax else {
            throw .overLimit(
                field: field + ".organisations", value: entries.count, max: MeshLimits.capacityOrganisationsMax)
        }
        uint8(MeshLimits.capacityTailVersion)
        uint16(UInt16(capacity.handlersSignedIn))
        uint32(UInt32(capacity.callsInProgress))
        uint16(UInt16(entries.count))
        for entry in entries {
            guard !entry.code.isEmpty, entry.code.allSatisfy(WireText.isPrintable) else {
                throw .invalidValue(field: field + ".organisation", reason: "an organisation code is printable ASCII")
            }
            guard (1...MeshLimits.capacityHandlersMax).contains(entry.count) else {
                throw .invalidValue(
                    field: field + ".trained",
                    reason: "trained count \(entry.count) is not 1 to \(MeshLimits.capacityHandlersMax)")
            }
            try string(entry.code, field: field + ".organisation")
            uint16(UInt16(entry.count))
        }
    }
}

extension FrameReader {
    /// Reads what `FrameWriter.capacity` wrote, refusing anything it would not have written.
    mutating func capacity(field: String) throws(FrameError) -> SiteCapacity {
        let version = try uint8(field: field + ".version")
        guard version == MeshLimits.capacityTailVersion else {
            throw .invalidValue(field: field + ".version", reason: "unknown capacity version \(version)")
        }
        let handlers = Int(try uint16(field: field + ".handlersSignedIn"))
        guard handlers <= MeshLimits.capacityHandlersMax else {
            throw .overLimit(field: field + ".handlersSignedIn", value: handlers, max: MeshLimits.capacityHandlersMax)
        }
        let calls = Int(try uint32(field: field + ".callsInProgress"))
        guard calls <= MeshLimits.capacityCallsMax else {
            throw .overLimit(field: field + ".callsInProgress", value: calls, max: MeshLimits.capacityCallsMax)
        }
        let count = Int(try uint16(field: field + ".organisations"))
        guard count <= MeshLimits.capacityOrganisationsMax else {
            throw .overLimit(field: field + ".organisations", value: count, max: MeshLimits.capacityOrganisationsMax)
        }
        var trained: [String: Int] = [:]
        var previous: [UInt8]? = nil
        for _ in 0..<count {
            let code = Array(try string(field: field + ".organisation").utf8)
            guard !code.isEmpty else {
                throw .invalidValue(field: field + ".organisation", reason: "an empty organisation code")
            }
            if let previous, !previous.lexicographicallyPrecedes(code) {
                throw .invalidValue(field: field, reason: "organisations not in strictly ascending order")
            }
            previous = code
            let number = Int(try uint16(field: field + ".trained"))
            guard (1...MeshLimits.capacityHandlersMax).contains(number) else {
                throw .invalidValue(
                    field: field + ".trained", reason: "trained count \(number) is not 1 to \(MeshLimits.capacityHandlersMax)")
            }
            trained[String(decoding: code, as: UTF8.self)] = number
        }
        return SiteCapacity(handlersSignedIn: handlers, trainedByOrganisation: trained, callsInProgress: calls)
    }
}

extension MeshLimits {
    /// The version byte that opens a heartbeat's capacity tail.
    static let capacityTailVersion: UInt8 = 1
    /// Most handlers a heartbeat may report signed in (and trained for one organisation): `u16` on the wire.
    public static let capacityHandlersMax = 10_000
    /// Most calls in progress a heartbeat may report.
    public static let capacityCallsMax = 1_000_000
    /// Most organisations in one capacity report: far more than the 11 Existing Participants (Appendix 2).
    public static let capacityOrganisationsMax = 256
}
