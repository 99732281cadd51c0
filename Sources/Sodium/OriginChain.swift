import Foundation

/// One origin's hash chain of sealed change sets, with signed checkpoints: one Ed25519 signature covers
/// many change sets.
///
/// Ed25519 verification runs at about 20,000 per second per core, so a signature on every change set would
/// cap catch-up near that rate. Instead each origin chains its change sets,
///
///     link(0) = BLAKE2b-256("nightdesk-chain" || origin)                 the genesis
///     link(n) = BLAKE2b-256(link(n - 1) || sealed(n))                    n = 1, 2, 3… the origin sequence
///
/// and now and then signs a `Checkpoint` `(origin, n, link(n))`. `sealed(n)` is the change set exactly as
/// it travels and is relayed, header and sealed box together, so the chain covers the clear header as
/// well as the ciphertext and can be checked by a relay that cannot open the box.
///
/// **Why this is as strong as a signature per change set**, for a receiver that applies only verified
/// prefixes: the receiver holds `link(a - 1)` from its last verified checkpoint (or the genesis), and
/// applies change sets `a...b` only once they hash, in order, to the `link(b)` of a checkpoint that verifies
/// with the origin's public key from the topology. To make it apply anything the origin did not send, a
/// forger must either produce a valid signature on a checkpoint the origin never signed (an Ed25519
/// forgery, exactly what per-set signatures rest on), or a different sequence of change sets with the
/// same final link as a signed checkpoint. Each link is BLAKE2b of the previous link and the next set, so
/// that means finding, at some position, different input with the same BLAKE2b-256 output as the origin's
/// (a second preimage; even a collision costs about 2^128 work). Altering a byte, reordering, dropping or
/// adding a change set all change the final link or the count, so the whole run is refused. Positions are
/// fixed by the chain, so a replayed old change set cannot be slotted in later, and the origin is in the
/// genesis and the signed bytes, so a chain cannot be passed off as another origin's. A signed checkpoint
/// message starts with its own label (`nightdesk-checkpoint v1`), so no other signature made with the
/// site key can be presented as a checkpoint.
///
/// **The cost is latency, not strength**: change sets after the last checkpoint wait, unapplied, until the
/// next checkpoint arrives. So a sender signs a checkpoint whenever its outgoing queue empties, and in any
/// case at least every `SodiumLimits.checkpointIntervalSetsMax` sets and within
/// `SodiumLimits.checkpointIntervalMsMax` of any unsigned set. A sender persists its chain head
/// (`sequence`, `link`) with each change set, in the same transaction, and signs a checkpoint at that head
/// when it restarts, so a crash never leaves sets waiting for a checkpoint that will not come.
///
/// The value is pure apart from the hashing and signing it calls: the sender keeps one for its own origin
/// and `append`s each set; a receiver keeps one per origin at its verified prefix and `extend`s it.
public struct OriginChain: Hashable, Sendable, CustomStringConvertible {
    /// The origin site's code, e.g. `WST`.
    public let origin: String
    /// The sequence of the last change set in the chain; 0 before the first.
    public private(set) var sequence: UInt64
    /// The link after change set `sequence` (the genesis link when `sequence` is 0).
    public private(set) var link: GenericHash.Digest

    /// The empty chain of `origin`, at its genesis link.
    public init(origin: String) throws(SodiumError) {
        try Self.checkOrigin(origin)
        self.origin = origin
        self.sequence = 0
        self.link = Self.genesisLink(origin: origin)
    }

    /// The chain of `origin` resumed at a persisted head: `link` after change set `sequence`.
    public init(origin: String, sequence: UInt64, link: GenericHash.Digest) throws(SodiumError) {
        try Self.checkOrigin(origin)
        self.origin = origin
        self.sequence = sequence
        self.link = link
    }

    /// `BLAKE2b-256("nightdesk-chain" || origin)`, where every origin's chain starts.
    public static func genesisLink(origin: String) -> GenericHash.Digest {
        GenericHash.hash(Data("nightdesk-chain".utf8) + Data(origin.utf8))
    }

    /// `BLAKE2b-256(previous || sealed)`, the link after `sealed`.
    public static func link(after previous: GenericHash.Digest, sealed: Data) -> GenericHash.Digest {
        var hash = GenericHash()
        hash.update(previous.bytes)
        hash.update(sealed)
        return hash.finalize()
    }

    /// Adds the origin's next change set (the sender's side) and returns its link.
    @discardableResult
    public mutating func append(_ sealed: Data) -> GenericHash.Digest {
        precondition(sequence < UInt64.max, "origin sequence exhausted")
        link = Self.link(after: link, sealed: sealed)
        sequence += 1
        return link
    }

    /// A checkpoint at the chain's head, signed with the origin's key (the sender's side).
    public func checkpoint(signedBy key: SigningKeyPair) -> Checkpoint {
        let message = Checkpoint.signedMessage(origin: origin, sequence: sequence, link: link)
        return Checkpoint(origin: origin, sequence: sequence, link: link, signature: key.sign(message))
    }

    /// Verifies `run`, the change sets that follow this chain's head, against `checkpoint` and the origin's
    /// public key `signer`, and moves the head to the checkpoint (the receiver's side).
    ///
    /// `run` holds the sealed change sets `sequence + 1 ... checkpoint.sequence`, in order. One signature is
    /// checked, then the run is hashed. On any failure the chain is unchanged and nothing in `run` may be
    /// applied: a checkpoint for another origin or sequence, a run longer than
    /// `SodiumLimits.chainRunSetsMax`, a signature that does not verify, or a run that does not hash to the
    /// checkpoint's link (a set altered, reordered, missing or extra).
    public mutating func extend(
        verifying run: some Collection<Data>, through checkpoint: Checkpoint, signer: SigningPublicKey
    ) throws(SodiumError) {
        guard checkpoint.origin == origin else {
            throw .checkpointOriginMismatch(expected: origin, found: checkpoint.origin)
        }
        guard run.count <= SodiumLimits.chainRunSetsMax else {
            throw .chainRunTooLong(origin: origin, sets: run.count, maxSets: SodiumLimits.chainRunSetsMax)
        }
        let (runEnd, overflow) = sequence.addingReportingOverflow(UInt64(run.count))
        guard !overflow, runEnd == checkpoint.sequence else {
            throw .checkpointSequenceMismatch(
                origin: origin, runEndsAt: overflow ? .max : runEnd, checkpointAt: checkpoint.sequence)
        }
        // The signature first: a forged checkpoint is refused for one verification, without hashing the run.
        guard checkpoint.isSigned(by: signer) else {
            throw .checkpointSignatureInvalid(origin: origin, sequence: checkpoint.sequence)
        }
        var next = link
        for sealed in run { next = Self.link(after: next, sealed: sealed) }
        guard next == checkpoint.link else {
            throw .chainLinkMismatch(origin: origin, firstSequence: sequence + 1, lastSequence: checkpoint.sequence)
        }
        sequence = checkpoint.sequence
        link = next
    }

    private static func checkOrigin(_ origin: String) throws(SodiumError) {
        let bytes = origin.utf8.count
        guard bytes > 0, bytes <= SodiumLimits.chainOriginBytesMax else { throw .chainOriginInvalid(origin: origin) }
    }

    public var description: String { "OriginChain(\(origin) at \(sequence), link \(link))" }
}

/// An origin's signature over its chain head: `(origin, sequence, link)` signed with its Ed25519 key.
public struct Checkpoint: Hashable, Sendable, Codable {
    /// The origin site's code.
    public let origin: String
    /// The sequence of the last change set the checkpoint covers.
    public let sequence: UInt64
    /// The chain link after that change set.
    public let link: GenericHash.Digest
    /// The origin's signature of `signedMessage(origin:sequence:link:)`.
    public let signature: Signature

    public init(origin: String, sequence: UInt64, link: GenericHash.Digest, signature: Signature) {
        self.origin = origin
        self.sequence = sequence
        self.link = link
        self.signature = signature
    }

    /// Whether `key` signed this checkpoint's origin, sequence and link.
    public func isSigned(by key: SigningPublicKey) -> Bool {
        let bytes = origin.utf8.count
        guard bytes > 0, bytes <= SodiumLimits.chainOriginBytesMax else { return false }
        return key.verify(signature, message: Self.signedMessage(origin: origin, sequence: sequence, link: link))
    }

    /// The bytes signed: `"nightdesk-checkpoint v1" || 0x00 || origin length (1 byte) || origin (UTF-8)
    /// || sequence (8 bytes, big-endian) || link (32 bytes)`.
    ///
    /// The label keeps checkpoint signatures apart from anything else the site key signs; the length byte
    /// keeps the origin/sequence boundary unambiguous.
    static func signedMessage(origin: String, sequence: UInt64, link: GenericHash.Digest) -> Data {
        let originBytes = Data(origin.utf8)
        precondition(originBytes.count <= SodiumLimits.chainOriginBytesMax, "origin checked before signing")
        var message = Data("nightdesk-checkpoint v1".utf8)
        message.append(0)
        message.append(UInt8(originBytes.count))
        message.append(originBytes)
        withUnsafeBytes(of: sequence.bigEndian) { message.append(contentsOf: $0) }
        message.append(link.bytes)
        return message
    }
}
