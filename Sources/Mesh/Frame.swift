import Foundation
import Replication

// The sync protocol's frame codec: pure (no sockets, no clock), so it can be fuzzed. PROTOCOL.md describes
// the format; the decoder accepts exactly what the encoder produces, so a decoded frame re-encodes to the
// same bytes, and it rejects everything else with a `FrameError`, allocating nothing it has not checked.

/// A site's state as it announces it in heartbeats (DESIGN.md, Failover and traffic).
public enum SiteState: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case up = 1
    case draining = 2
    case evacuated = 3
    case down = 4

    public var description: String {
        switch self {
        case .up: "up"
        case .draining: "draining"
        case .evacuated: "evacuated"
        case .down: "down"
        }
    }
}

/// Name of one Nightdesk cluster, e.g. `ooh-london`: nodes of different clusters never sync.
public struct ClusterID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// A cluster id of 1 to `MeshLimits.stringBytesMax` printable ASCII characters, or `nil`.
    public init?(_ rawValue: String) {
        let bytes = Array(rawValue.utf8)
        guard (1...MeshLimits.stringBytesMax).contains(bytes.count), bytes.allSatisfy(WireText.isPrintable) else {
            return nil
        }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }
}

/// One message of the sync protocol: exactly one ZeroMQ message on the wire.
public enum Frame: Hashable, Sendable {
    /// Opens a session: who the sender is, its cluster, its epoch and what it holds.
    ///
    /// `epoch` grows each time the sender's node starts, so a peer can tell a restart from a late frame.
    case hello(site: SiteID, clusterID: ClusterID, epoch: UInt64, heldVector: VersionVector)
    /// Asks for what the receiver's `vector` lacks and grants credit for at most `creditChangeSets` of them.
    case request(vector: VersionVector, creditChangeSets: UInt32)
    /// Encoded (sealed) change sets, opaque here; never more than the peer's outstanding credit.
    case changeSets([Data])
    /// What the sender now holds, so the peer can track durability (RPO 0 on evacuation).
    case ack(heldVector: VersionVector)
    /// The sender's state and its clock when it sent this, in Unix milliseconds, and what it can take on
    /// (`nil` from a node that does not report capacity: the short form, PROTOCOL.md).
    case heartbeat(site: SiteID, state: SiteState, sentAtMs: Int64, capacity: SiteCapacity? = nil)

    /// The message type byte of this frame.
    public var type: FrameType {
        switch self {
        case .hello: .hello
        case .request: .request
        case .changeSets: .changeSets
        case .ack: .ack
        case .heartbeat: .heartbeat
        }
    }
}

/// The message type byte of a frame.
public enum FrameType: UInt8, Hashable, Sendable, CaseIterable {
    case hello = 1
    case request = 2
    case changeSets = 3
    case ack = 4
    case heartbeat = 5
}

/// Why bytes are not a frame (or a frame cannot be encoded), worded for the operator reading the log.
public enum FrameError: Error, Hashable, Sendable, CustomStringConvertible {
    case badMagic
    case unsupportedVersion(UInt8)
    case unknownType(UInt8)
    case truncated(field: String, neededBytes: Int, availableBytes: Int)
    case overLimit(field: String, value: Int, max: Int)
    case trailingBytes(count: Int)
    case invalidValue(field: String, reason: String)

    public var description: String {
        switch self {
        case .badMagic:
            "not a Nightdesk frame (it does not start with \"ND\"): is the peer another program?"
        case .unsupportedVersion(let version):
            "frame of protocol version \(version); this node speaks version \(FrameHeader.version): "
                + "upgrade the older node"
        case .unknownType(let type):
            "unknown frame type \(type) in protocol version \(FrameHeader.version)"
        case .truncated(let field, let needed, let available):
            "frame truncated in \(field): needs \(needed) bytes, \(available) left"
        case .overLimit(let field, let value, let max):
            "\(field) is \(value), over the limit of \(max)"
        case .trailingBytes(let count):
            "\(count) unexpected bytes after the end of the frame"
        case .invalidValue(let field, let reason):
            "\(field): \(reason)"
        }
    }
}

/// The fixed 8-byte header: magic `ND`, version, type, body length (big-endian UInt32).
enum FrameHeader {
    static let magic: (UInt8, UInt8) = (0x4E, 0x44)  // "ND"
    static let version: UInt8 = 1
    static let byteCount = 8
}

/// The rules for text on the wire: printable ASCII, so byte order is string order and nothing can hide in it.
enum WireText {
    static func isPrintable(_ byte: UInt8) -> Bool { (0x21...0x7E).contains(byte) }

    /// Site codes as `SiteID` allows them, restricted to printable ASCII without `:` and `.`.
    static func isSiteCode(_ bytes: some Collection<UInt8>) -> Bool {
        (1...MeshLimits.siteCodeBytesMax).contains(bytes.count)
            && bytes.allSatisfy { isPrintable($0) && $0 != UInt8(ascii: ":") && $0 != UInt8(ascii: ".") }
    }
}

// MARK: - Encoding

extension Frame {
    /// The frame's bytes; throws when a value is over a limit or not representable on the wire.
    public func encoded() throws(FrameError) -> [UInt8] {
        var writer = FrameWriter()
        writer.header(type)
        switch self {
        case .hello(let site, let clusterID, let epoch, let heldVector):
            try writer.site(site, field: "hello.site")
            try writer.string(Array(clusterID.rawValue.utf8), field: "hello.clusterID")
            writer.uint64(epoch)
            try writer.vector(heldVector, field: "hello.heldVector")
        case .request(let vector, let creditChangeSets):
            try writer.vector(vector, field: "request.vector")
            guard creditChangeSets <= MeshLimits.creditChangeSetsMax else {
                throw .overLimit(
                    field: "request.creditChangeSets", value: Int(creditChangeSets),
                    max: Int(MeshLimits.creditChangeSetsMax))
            }
            writer.uint32(creditChangeSets)
        case .changeSets(let sets):
            guard sets.count <= MeshLimits.changeSetsPerFrameMax else {
                throw .overLimit(field: "changeSets.count", value: sets.count, max: MeshLimits.changeSetsPerFrameMax)
            }
            writer.uint32(UInt32(sets.count))
            for set in sets {
                guard set.count <= MeshLimits.changeSetBytesMax else {
                    throw .overLimit(field: "changeSets.length", value: set.count, max: MeshLimits.changeSetBytesMax)
                }
                guard writer.bytes.count + 4 + set.count <= MeshLimits.frameBytesMax else {
                    throw .overLimit(
                        field: "frame.bytes", value: writer.bytes.count + 4 + set.count, max: MeshLimits.frameBytesMax)
                }
                writer.uint32(UInt32(set.count))
                writer.bytes.append(contentsOf: set)
            }
        case .ack(let heldVector):
            try writer.vector(heldVector, field: "ack.heldVector")
        case .heartbeat(let site, let state, let sentAtMs, let capacity):
            try writer.site(site, field: "heartbeat.site")
            writer.uint8(state.rawValue)
            writer.uint64(UInt64(bitPattern: sentAtMs))
            if let capacity { try writer.capacity(capacity, field: "heartbeat.capacity") }
        }
        return try writer.finish()
    }
}

struct FrameWriter {
    var bytes: [UInt8] = []

    mutating func header(_ type: FrameType) {
        bytes.append(contentsOf: [FrameHeader.magic.0, FrameHeader.magic.1, FrameHeader.version, type.rawValue])
        uint32(0)  // body length, filled in by finish()
    }

    mutating func finish() throws(FrameError) -> [UInt8] {
        guard bytes.count <= MeshLimits.frameBytesMax else {
            throw .overLimit(field: "frame.bytes", value: bytes.count, max: MeshLimits.frameBytesMax)
        }
        let bodyLength = UInt32(bytes.count - FrameHeader.byteCount)
        for index in 0..<4 {
            bytes[4 + index] = UInt8(truncatingIfNeeded: bodyLength >> (24 - 8 * index))
        }
        return bytes
    }

    mutating func uint8(_ value: UInt8) { bytes.append(value) }

    mutating func uint16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func uint32(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }

    mutating func uint64(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }

    mutating func string(_ utf8: [UInt8], field: String) throws(FrameError) {
        guard utf8.count <= MeshLimits.stringBytesMax else {
            throw .overLimit(field: field, value: utf8.count, max: MeshLimits.stringBytesMax)
        }
        uint8(UInt8(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    mutating func site(_ site: SiteID, field: String) throws(FrameError) {
        let utf8 = Array(site.rawValue.utf8)
        guard WireText.isSiteCode(utf8) else {
            throw .invalidValue(field: field, reason: "site code '\(site)' is not 1 to 8 printable ASCII characters")
        }
        try string(utf8, field: field)
    }

    /// Entries in ascending order of site code bytes: one encoding per vector.
    mutating func vector(_ vector: VersionVector, field: String) throws(FrameError) {
        let entries = vector.entries
            .map { (code: Array($0.key.rawValue.utf8), site: $0.key, sequence: $0.value) }
            .sorted { $0.code.lexicographicallyPrecedes($1.code) }
        guard entries.count <= MeshLimits.vectorEntriesMax else {
            throw .overLimit(field: field + ".count", value: entries.count, max: MeshLimits.vectorEntriesMax)
        }
        uint16(UInt16(entries.count))
        for entry in entries {
            try site(entry.site, field: field + ".site")
            uint64(entry.sequence.rawValue)
        }
    }
}

// MARK: - Decoding

extension Frame {
    /// Reads one frame; throws a `FrameError` for anything the encoder would not have produced.
    public init(decoding bytes: [UInt8]) throws(FrameError) {
        guard bytes.count <= MeshLimits.frameBytesMax else {
            throw .overLimit(field: "frame.bytes", value: bytes.count, max: MeshLimits.frameBytesMax)
        }
        var reader = FrameReader(bytes)
        let magic0 = try reader.uint8(field: "header.magic")
        let magic1 = try reader.uint8(field: "header.magic")
        guard magic0 == FrameHeader.magic.0, magic1 == FrameHeader.magic.1 else { throw .badMagic }
        let version = try reader.uint8(field: "header.version")
        guard version == FrameHeader.version else { throw .unsupportedVersion(version) }
        let typeByte = try reader.uint8(field: "header.type")
        guard let type = FrameType(rawValue: typeByte) else { throw .unknownType(typeByte) }
        let bodyLength = Int(try reader.uint32(field: "header.bodyLength"))
        guard FrameHeader.byteCount + bodyLength <= MeshLimits.frameBytesMax else {
            throw .overLimit(
                field: "header.bodyLength", value: bodyLength, max: MeshLimits.frameBytesMax - FrameHeader.byteCount)
        }
        guard bodyLength <= reader.remaining else {
            throw .truncated(field: "body", neededBytes: bodyLength, availableBytes: reader.remaining)
        }
        guard bodyLength == reader.remaining else { throw .trailingBytes(count: reader.remaining - bodyLength) }

        switch type {
        case .hello:
            let site = try reader.site(field: "hello.site")
            let clusterText = try reader.string(field: "hello.clusterID")
            guard let clusterID = ClusterID(clusterText) else {
                throw .invalidValue(
                    field: "hello.clusterID", reason: "not 1 to \(MeshLimits.stringBytesMax) printable ASCII characters"
                )
            }
            let epoch = try reader.uint64(field: "hello.epoch")
            let heldVector = try reader.vector(field: "hello.heldVector")
            self = .hello(site: site, clusterID: clusterID, epoch: epoch, heldVector: heldVector)
        case .request:
            let vector = try reader.vector(field: "request.vector")
            let credit = try reader.uint32(field: "request.creditChangeSets")
            guard credit <= MeshLimits.creditChangeSetsMax else {
                throw .overLimit(
                    field: "request.creditChangeSets", value: Int(credit), max: Int(MeshLimits.creditChangeSetsMax))
            }
            self = .request(vector: vector, creditChangeSets: credit)
        case .changeSets:
            let count = Int(try reader.uint32(field: "changeSets.count"))
            guard count <= MeshLimits.changeSetsPerFrameMax else {
                throw .overLimit(field: "changeSets.count", value: count, max: MeshLimits.changeSetsPerFrameMax)
            }
            // Each change set needs at least its 4-byte length: check before reserving room for `count`.
            guard count * 4 <= reader.remaining else {
                throw .truncated(field: "changeSets", neededBytes: count * 4, availableBytes: reader.remaining)
            }
            var sets: [Data] = []
            sets.reserveCapacity(count)
            for _ in 0..<count {
                let length = Int(try reader.uint32(field: "changeSets.length"))
                guard length <= MeshLimits.changeSetBytesMax else {
                    throw .overLimit(field: "changeSets.length", value: length, max: MeshLimits.changeSetBytesMax)
                }
                sets.append(Data(try reader.bytes(length, field: "changeSets.bytes")))
            }
            self = .changeSets(sets)
        case .ack:
            self = .ack(heldVector: try reader.vector(field: "ack.heldVector"))
        case .heartbeat:
            let site = try reader.site(field: "heartbeat.site")
            let stateByte = try reader.uint8(field: "heartbeat.state")
            guard let state = SiteState(rawValue: stateByte) else {
                throw .invalidValue(field: "heartbeat.state", reason: "unknown site state \(stateByte)")
            }
            let sentAtMs = Int64(bitPattern: try reader.uint64(field: "heartbeat.sentAtMs"))
            // The capacity tail is optional: a heartbeat that ends here is the short form of earlier nodes.
            let capacity = reader.remaining == 0 ? nil : try reader.capacity(field: "heartbeat.capacity")
            self = .heartbeat(site: site, state: state, sentAtMs: sentAtMs, capacity: capacity)
        }
        guard reader.remaining == 0 else { throw .trailingBytes(count: reader.remaining) }
    }

    /// Reads one frame from `data`.
    public init(decoding data: Data) throws(FrameError) {
        try self.init(decoding: [UInt8](data))
    }
}

/// A cursor over a frame's bytes; every read checks the bytes are there first.
struct FrameReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func bytes(_ count: Int, field: String) throws(FrameError) -> ArraySlice<UInt8> {
        guard count <= remaining else { throw .truncated(field: field, neededBytes: count, availableBytes: remaining) }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func uint8(field: String) throws(FrameError) -> UInt8 {
        try bytes(1, field: field).first!
    }

    mutating func uint16(field: String) throws(FrameError) -> UInt16 {
        try bytes(2, field: field).reduce(0) { $0 << 8 | UInt16($1) }
    }

    mutating func uint32(field: String) throws(FrameError) -> UInt32 {
        try bytes(4, field: field).reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func uint64(field: String) throws(FrameError) -> UInt64 {
        try bytes(8, field: field).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A length-prefixed string of printable ASCII (the only text the protocol carries).
    mutating func string(field: String) throws(FrameError) -> String {
        let length = Int(try uint8(field: field + ".length"))
        guard length <= MeshLimits.stringBytesMax else {
            throw .overLimit(field: field + ".length", value: length, max: MeshLimits.stringBytesMax)
        }
        let utf8 = try bytes(length, field: field)
        guard utf8.allSatisfy(WireText.isPrintable) else {
            throw .invalidValue(field: field, reason: "contains bytes other than printable ASCII")
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    mutating func siteCode(field: String) throws(FrameError) -> [UInt8] {
        let length = Int(try uint8(field: field + ".length"))
        let utf8 = try bytes(length, field: field)
        guard WireText.isSiteCode(utf8) else {
            throw .invalidValue(field: field, reason: "a site code is 1 to 8 printable ASCII characters, no ':' or '.'")
        }
        return Array(utf8)
    }

    mutating func site(field: String) throws(FrameError) -> SiteID {
        SiteID(String(decoding: try siteCode(field: field), as: UTF8.self))
    }

    /// A version vector: entries in strictly ascending site order, no zero sequences (one encoding per vector).
    mutating func vector(field: String) throws(FrameError) -> VersionVector {
        let count = Int(try uint16(field: field + ".count"))
        guard count <= MeshLimits.vectorEntriesMax else {
            throw .overLimit(field: field + ".count", value: count, max: MeshLimits.vectorEntriesMax)
        }
        var entries: [SiteID: OriginSequence] = [:]
        var previous: [UInt8]? = nil
        for _ in 0..<count {
            let code = try siteCode(field: field + ".site")
            if let previous, !previous.lexicographicallyPrecedes(code) {
                throw .invalidValue(field: field, reason: "sites not in strictly ascending order")
            }
            previous = code
            let sequence = try uint64(field: field + ".sequence")
            guard sequence > 0 else {
                throw .invalidValue(field: field, reason: "zero sequence (a vector leaves out what it holds none of)")
            }
            entries[SiteID(String(decoding: code, as: UTF8.self))] = OriginSequence(sequence)
        }
        return VersionVector(entries)
    }
}
