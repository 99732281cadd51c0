import Foundation
import Replication
import Sodium

/// A change set as it travels and is relayed: a clear header, then the change set sealed under the data key
/// of its scope (XChaCha20-Poly1305) with the header as associated data (DESIGN.md, Sealing).
///
/// The header says only what a relay needs to place and route the set: origin, sequence, the physical time
/// of its clock (for lag in seconds) and its scope (which key opens it). Everything else, the fields written,
/// is inside the box. Layout, integers big-endian:
///
///     u8 version (1) · site origin · u64 sequence · i64 clock ms · u8 scope kind (0 cluster, 1 organisation)
///     [· string organisation code] · sealed box (24-byte nonce, ciphertext, 16-byte tag) to the end
public struct SealedChangeSet: Hashable, Sendable {
    public static let version: UInt8 = 1

    public let origin: SiteID
    public let sequence: OriginSequence
    public let clockMs: Int64
    public let scope: ChangeScope
    /// The whole envelope, header and box: exactly the bytes that are chained, stored and relayed.
    public let bytes: Data
    let headerCount: Int

    /// Seals `plaintext` (a change set in `ChangeSetCodec`'s form) under `key`.
    public static func seal(
        _ plaintext: Data, origin: SiteID, sequence: OriginSequence, clockMs: Int64, scope: ChangeScope, key: DataKey
    ) throws -> SealedChangeSet {
        var writer = FrameWriter()
        writer.uint8(version)
        try writer.site(origin, field: "envelope.origin")
        writer.uint64(sequence.rawValue)
        writer.uint64(UInt64(bitPattern: clockMs))
        switch scope {
        case .cluster:
            writer.uint8(0)
        case .organisation(let code):
            writer.uint8(1)
            guard !code.isEmpty, code.utf8.allSatisfy(WireText.isPrintable) else {
                throw FrameError.invalidValue(field: "envelope.scope", reason: "organisation code '\(code)'")
            }
            try writer.string(Array(code.utf8), field: "envelope.scope")
        }
        let header = Data(writer.bytes)
        let box = try key.seal(plaintext, associatedData: header)
        return SealedChangeSet(
            origin: origin, sequence: sequence, clockMs: clockMs, scope: scope, bytes: header + box.bytes,
            headerCount: header.count)
    }

    /// Reads an envelope's header; the box stays sealed until `open(with:)`.
    public init(decoding bytes: Data) throws(FrameError) {
        guard bytes.count <= MeshLimits.changeSetBytesMax else {
            throw .overLimit(field: "envelope.bytes", value: bytes.count, max: MeshLimits.changeSetBytesMax)
        }
        var reader = FrameReader([UInt8](bytes))
        let version = try reader.uint8(field: "envelope.version")
        guard version == Self.version else { throw .unsupportedVersion(version) }
        origin = try reader.site(field: "envelope.origin")
        let sequence = try reader.uint64(field: "envelope.sequence")
        guard sequence > 0 else { throw .invalidValue(field: "envelope.sequence", reason: "sequences start at 1") }
        self.sequence = OriginSequence(sequence)
        clockMs = Int64(bitPattern: try reader.uint64(field: "envelope.clockMs"))
        switch try reader.uint8(field: "envelope.scope") {
        case 0: scope = .cluster
        case 1:
            let code = try reader.string(field: "envelope.scope")
            guard !code.isEmpty else { throw .invalidValue(field: "envelope.scope", reason: "empty organisation") }
            scope = .organisation(code)
        case let kind: throw .invalidValue(field: "envelope.scope", reason: "unknown scope kind \(kind)")
        }
        headerCount = bytes.count - reader.remaining
        guard reader.remaining >= 40 else {
            throw .truncated(field: "envelope.box", neededBytes: 40, availableBytes: reader.remaining)
        }
        self.bytes = Data(bytes)
    }

    private init(
        origin: SiteID, sequence: OriginSequence, clockMs: Int64, scope: ChangeScope, bytes: Data, headerCount: Int
    ) {
        self.origin = origin
        self.sequence = sequence
        self.clockMs = clockMs
        self.scope = scope
        self.bytes = bytes
        self.headerCount = headerCount
    }

    /// The plaintext, if `key` is the one it was sealed with and not a byte of header or box was changed.
    public func open(with key: DataKey) throws(SodiumError) -> Data {
        let start = bytes.startIndex
        let header = bytes[start..<(start + headerCount)]
        let box = try SealedBox(bytes: bytes[(start + headerCount)...])
        return try key.open(box, associatedData: Data(header))
    }
}

/// Consecutive sealed change sets of one origin and the signed checkpoint at the last of them: what one
/// peer sends another, and what the receiver verifies as a whole before storing any of it.
///
/// One `changeSets` frame carries encoded runs. Layout, integers big-endian:
///
///     u8 version (1) · site origin · u64 first sequence · u32 count (≥ 1) · count × bytes (envelopes)
///     · 32 bytes chain link after the last · 64 bytes Ed25519 signature of the checkpoint
public struct SealedRun: Hashable, Sendable {
    public static let version: UInt8 = 1
    public static let linkBytes = 32
    public static let signatureBytes = 64

    public let origin: SiteID
    public let firstSequence: OriginSequence
    public let envelopes: [Data]
    public let checkpointLink: Data
    public let checkpointSignature: Data

    public init(
        origin: SiteID, firstSequence: OriginSequence, envelopes: [Data], checkpointLink: Data,
        checkpointSignature: Data
    ) {
        self.origin = origin
        self.firstSequence = firstSequence
        self.envelopes = envelopes
        self.checkpointLink = checkpointLink
        self.checkpointSignature = checkpointSignature
    }

    /// The sequence of the last change set, where the checkpoint is.
    public var lastSequence: OriginSequence { OriginSequence(firstSequence.rawValue + UInt64(envelopes.count) - 1) }

    public func encoded() throws(FrameError) -> Data {
        guard !envelopes.isEmpty, envelopes.count <= MeshLimits.changeSetsPerFrameMax else {
            throw .overLimit(field: "run.count", value: envelopes.count, max: MeshLimits.changeSetsPerFrameMax)
        }
        guard checkpointLink.count == Self.linkBytes, checkpointSignature.count == Self.signatureBytes else {
            throw .invalidValue(field: "run.checkpoint", reason: "a link is 32 bytes and a signature 64")
        }
        var writer = FrameWriter()
        writer.uint8(Self.version)
        try writer.site(origin, field: "run.origin")
        writer.uint64(firstSequence.rawValue)
        writer.uint32(UInt32(envelopes.count))
        for envelope in envelopes {
            guard envelope.count <= MeshLimits.changeSetBytesMax else {
                throw .overLimit(field: "run.envelope", value: envelope.count, max: MeshLimits.changeSetBytesMax)
            }
            writer.uint32(UInt32(envelope.count))
            writer.bytes.append(contentsOf: envelope)
        }
        writer.bytes.append(contentsOf: checkpointLink)
        writer.bytes.append(contentsOf: checkpointSignature)
        return Data(writer.bytes)
    }

    /// Reads a run; throws a `FrameError` for anything `encoded()` would not have produced.
    public init(decoding data: Data) throws(FrameError) {
        var reader = FrameReader([UInt8](data))
        let version = try reader.uint8(field: "run.version")
        guard version == Self.version else { throw .unsupportedVersion(version) }
        origin = try reader.site(field: "run.origin")
        let first = try reader.uint64(field: "run.first")
        let count = Int(try reader.uint32(field: "run.count"))
        guard first > 0 else { throw .invalidValue(field: "run.first", reason: "sequences start at 1") }
        guard count >= 1, count <= MeshLimits.changeSetsPerFrameMax else {
            throw .overLimit(field: "run.count", value: count, max: MeshLimits.changeSetsPerFrameMax)
        }
        guard first <= UInt64.max - UInt64(count) else {
            throw .invalidValue(field: "run.first", reason: "the run runs past the last sequence")
        }
        guard count * 4 + Self.linkBytes + Self.signatureBytes <= reader.remaining else {
            throw .truncated(
                field: "run", neededBytes: count * 4 + Self.linkBytes + Self.signatureBytes,
                availableBytes: reader.remaining)
        }
        var envelopes: [Data] = []
        envelopes.reserveCapacity(count)
        for _ in 0..<count {
            let length = Int(try reader.uint32(field: "run.envelope.length"))
            guard length <= MeshLimits.changeSetBytesMax else {
                throw .overLimit(field: "run.envelope.length", value: length, max: MeshLimits.changeSetBytesMax)
            }
            envelopes.append(Data(try reader.bytes(length, field: "run.envelope")))
        }
        firstSequence = OriginSequence(first)
        self.envelopes = envelopes
        checkpointLink = Data(try reader.bytes(Self.linkBytes, field: "run.checkpoint.link"))
        checkpointSignature = Data(try reader.bytes(Self.signatureBytes, field: "run.checkpoint.signature"))
        guard reader.remaining == 0 else { throw .trailingBytes(count: reader.remaining) }
    }
}
