import CSodium
import Foundation

/// An Ed25519 key pair: a site's long-term identity for signing change sets and checkpoints.
///
/// Printing it shows only the public key's fingerprint; two pairs compare in constant time.
public struct SigningKeyPair: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The public half, listed for this site in the topology file.
    public let publicKey: SigningPublicKey
    /// libsodium's 64-byte secret key: the seed followed by the public key.
    let secretKey: SecretBytes

    /// A new key pair from the system's random source.
    public static func generate() -> SigningKeyPair {
        var publicBytes = Data()
        let secret = mustSucceed { () throws(SodiumError) in
            try SecretBytes(count: SodiumLimits.signingSecretKeyBytes) { secret throws(SodiumError) in
                var code: Int32 = 0
                publicBytes = makeData(count: SodiumLimits.signingPublicKeyBytes) { publicKey in
                    code = crypto_sign_keypair(publicKey, secret.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
                try check(code, "crypto_sign_keypair")
            }
        }
        return SigningKeyPair(publicKey: SigningPublicKey(validated: publicBytes), secretKey: secret)
    }

    /// The key pair derived from a 32-byte seed; the same seed always gives the same pair.
    public init(seed: Data) throws(SodiumError) {
        let seed = try SecretBytes(copying: seed, expected: SodiumLimits.signingSeedBytes, what: "an Ed25519 seed")
        self = try seed.withUnsafeBytes { (bytes) throws(SodiumError) in try SigningKeyPair(seedBytes: bytes) }
    }

    /// The key pair derived from a seed in memory this module controls (a key file's scratch buffer).
    init(seedBytes: UnsafeRawBufferPointer) throws(SodiumError) {
        guard seedBytes.count == SodiumLimits.signingSeedBytes, let seed = seedBytes.baseAddress else {
            throw .invalidLength(
                what: "an Ed25519 seed", expectedBytes: SodiumLimits.signingSeedBytes, foundBytes: seedBytes.count)
        }
        var publicBytes = Data()
        secretKey = try SecretBytes(count: SodiumLimits.signingSecretKeyBytes) { secret throws(SodiumError) in
            var code: Int32 = 0
            publicBytes = makeData(count: SodiumLimits.signingPublicKeyBytes) { publicKey in
                code = crypto_sign_seed_keypair(
                    publicKey, secret.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    seed.assumingMemoryBound(to: UInt8.self))
            }
            try check(code, "crypto_sign_seed_keypair")
        }
        publicKey = SigningPublicKey(validated: publicBytes)
    }

    private init(publicKey: SigningPublicKey, secretKey: SecretBytes) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// The detached signature of `message`.
    public func sign(_ message: Data) -> Signature {
        let bytes = makeData(count: SodiumLimits.signatureBytes) { signature in
            let code = withUInt8Bytes(message) { message, count in
                crypto_sign_detached(signature, nil, message, UInt64(count), secretKey.uint8Pointer)
            }
            mustSucceed { () throws(SodiumError) in try check(code, "crypto_sign_detached") }
        }
        return Signature(validated: bytes)
    }

    /// Runs `body` with the 32-byte seed this pair derives from, in guarded memory (for key files).
    func withSeed<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        // libsodium's Ed25519 secret key is the seed followed by the public key.
        try secretKey.withUnsafeBytes { (secret) throws(Failure) -> Result in
            try body(UnsafeRawBufferPointer(rebasing: secret.prefix(SodiumLimits.signingSeedBytes)))
        }
    }

    public static func == (a: SigningKeyPair, b: SigningKeyPair) -> Bool {
        a.secretKey.constantTimeEquals(b.secretKey)
    }

    public var description: String { "SigningKeyPair(\(publicKey.fingerprint))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["publicKey": publicKey]) }
}

/// An Ed25519 public key: verifies what the matching `SigningKeyPair` signed.
public struct SigningPublicKey: Hashable, Sendable, CustomStringConvertible {
    /// The key's 32 bytes.
    public let bytes: Data

    /// A public key from its 32 bytes.
    public init(bytes: Data) throws(SodiumError) {
        guard bytes.count == SodiumLimits.signingPublicKeyBytes else {
            throw .invalidLength(
                what: "an Ed25519 public key", expectedBytes: SodiumLimits.signingPublicKeyBytes,
                foundBytes: bytes.count)
        }
        self.bytes = Data(bytes)
    }

    /// A public key from its base64 text, as listed in a topology file.
    public init(base64: String) throws(SodiumError) {
        guard let bytes = Data(base64Encoded: base64) else { throw .invalidBase64(what: "the Ed25519 public key") }
        try self.init(bytes: bytes)
    }

    init(validated bytes: Data) {
        assert(bytes.count == SodiumLimits.signingPublicKeyBytes)
        self.bytes = bytes
    }

    /// The key as base64 text, for topology files.
    public var base64: String { bytes.base64EncodedString() }

    /// Whether `signature` is this key's signature of exactly `message`.
    public func verify(_ signature: Signature, message: Data) -> Bool {
        SodiumLibrary.ensureInitialised()
        return withUInt8Bytes(signature.bytes) { signature, _ in
            withUInt8Bytes(bytes) { publicKey, _ in
                withUInt8Bytes(message) { message, count in
                    crypto_sign_verify_detached(signature, message, UInt64(count), publicKey) == 0
                }
            }
        }
    }

    /// A short name for the key, safe to log: `ed25519:` and 12 hex digits.
    public var fingerprint: String {
        bytes.withUnsafeBytes { keyFingerprint(kind: "ed25519", of: $0) }
    }

    public static func == (a: SigningPublicKey, b: SigningPublicKey) -> Bool { constantTimeEquals(a.bytes, b.bytes) }
    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }
    public var description: String { "SigningPublicKey(\(fingerprint))" }
}

/// A detached Ed25519 signature: 64 bytes, encoded as base64.
public struct Signature: Hashable, Sendable, Codable {
    /// The signature's 64 bytes.
    public let bytes: Data

    /// A signature from its 64 bytes.
    public init(bytes: Data) throws(SodiumError) {
        guard bytes.count == SodiumLimits.signatureBytes else {
            throw .invalidLength(
                what: "an Ed25519 signature", expectedBytes: SodiumLimits.signatureBytes, foundBytes: bytes.count)
        }
        self.bytes = Data(bytes)
    }

    init(validated bytes: Data) {
        assert(bytes.count == SodiumLimits.signatureBytes)
        self.bytes = bytes
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let bytes = Data(base64Encoded: text), bytes.count == SodiumLimits.signatureBytes else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a base64 64-byte Ed25519 signature"))
        }
        self.bytes = bytes
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(bytes.base64EncodedString())
    }
}
