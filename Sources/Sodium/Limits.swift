/// Every size and maximum the Sodium module uses (STYLE.md: "put a limit on everything").
///
/// The sizes fixed by the algorithms are checked against libsodium's own figures once, when the library is
/// initialised, so a mismatch stops the process before any key is made.
public enum SodiumLimits {
    // MARK: Ed25519

    /// Bytes in an Ed25519 seed, the secret a signing key pair is derived from.
    public static let signingSeedBytes = 32
    /// Bytes in an Ed25519 public key.
    public static let signingPublicKeyBytes = 32
    /// Bytes in libsodium's Ed25519 secret key (seed followed by the public key).
    public static let signingSecretKeyBytes = 64
    /// Bytes in an Ed25519 signature.
    public static let signatureBytes = 64

    // MARK: X25519 for ZeroMQ CURVE

    /// Bytes in a CURVE public or secret key.
    public static let curveKeyBytes = 32
    /// Characters in the Z85 text of a CURVE key (ZeroMQ RFC 32: 5 characters per 4 bytes).
    public static let curveKeyZ85Characters = 40
    /// Longest Z85 text decoded, so a hostile string cannot make a large allocation.
    public static let z85CharactersMax = 4_096

    // MARK: XChaCha20-Poly1305-IETF

    /// Bytes in a data key.
    public static let dataKeyBytes = 32
    /// Bytes in the random nonce at the front of a sealed box.
    public static let sealNonceBytes = 24
    /// Bytes in the Poly1305 tag at the end of a sealed box.
    public static let sealTagBytes = 16
    /// Bytes a sealed box adds to its plaintext.
    public static let sealOverheadBytes = sealNonceBytes + sealTagBytes
    /// Largest plaintext one seal accepts: a change set of `operationsPerChangeSetMax` operations of
    /// about a kilobyte each fits with room to spare; anything larger is refused, not split.
    public static let sealPlaintextBytesMax = 32 * 1_024 * 1_024
    /// Largest associated data (a change set header) one seal or open accepts.
    public static let sealAssociatedDataBytesMax = 64 * 1_024

    // MARK: BLAKE2b

    /// Bytes in a generic hash digest, and so in a chain link.
    public static let hashBytes = 32

    // MARK: Argon2id password hashing

    /// Longest password hashed or verified, in UTF-8 bytes; check-out codes are at most 64 characters.
    public static let passwordBytesMax = 1_024

    // MARK: Key files

    /// Largest key file read; key files are about a hundred bytes.
    public static let keyFileBytesMax = 4_096

    // MARK: Hash-chained checkpoints

    /// Longest origin (site code) a chain is kept for, in UTF-8 bytes; site codes are at most 8 characters.
    public static let chainOriginBytesMax = 64
    /// Most change sets a sender lets pass after its last checkpoint before it must sign another.
    ///
    /// With one Ed25519 verification (about 50 µs) per this many sets, signatures cost a receiver under
    /// a microsecond per set, so catch-up is limited by opening and applying, not by verifying.
    public static let checkpointIntervalSetsMax = 64
    /// Longest a sender waits, in milliseconds, after a change set before it signs a checkpoint that covers it.
    ///
    /// Receivers apply nothing past their last verified checkpoint, so this bounds the delay checkpointing
    /// adds to replication. A sender that has nothing more queued should checkpoint at once instead.
    public static let checkpointIntervalMsMax = 100
    /// Most change sets verified against one checkpoint in one call; a receiver catching up splits its
    /// backlog at the checkpoints it holds. At least `checkpointIntervalSetsMax`.
    public static let chainRunSetsMax = 4_096
}
