import CSodium
import Foundation

/// An X25519 key pair for ZeroMQ CURVE links (`crypto_box_keypair`): a site's long-term transport identity.
///
/// ZeroMQ takes both halves as 40-character Z85 text. Printing the pair shows only the public key's fingerprint.
public struct CurveKeyPair: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The public half, listed for this site in the topology file.
    public let publicKey: CurvePublicKey
    /// The secret half, given to this site's own sockets only.
    public let secretKey: CurveSecretKey

    /// A new key pair from the system's random source.
    public static func generate() -> CurveKeyPair {
        var publicBytes = Data()
        let secret = mustSucceed { () throws(SodiumError) in
            try SecretBytes(count: SodiumLimits.curveKeyBytes) { secret throws(SodiumError) in
                var code: Int32 = 0
                publicBytes = makeData(count: SodiumLimits.curveKeyBytes) { publicKey in
                    code = crypto_box_keypair(publicKey, secret.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
                try check(code, "crypto_box_keypair")
            }
        }
        return CurveKeyPair(
            publicKey: CurvePublicKey(validated: publicBytes), secretKey: CurveSecretKey(secret: secret))
    }

    /// The pair whose secret half is `secretKey`, deriving the public half (`crypto_scalarmult_base`).
    public init(secretKey: CurveSecretKey) throws(SodiumError) {
        var code: Int32 = 0
        let publicBytes = makeData(count: SodiumLimits.curveKeyBytes) { publicKey in
            code = crypto_scalarmult_base(publicKey, secretKey.secret.uint8Pointer)
        }
        try check(code, "crypto_scalarmult_base")
        self.init(publicKey: CurvePublicKey(validated: publicBytes), secretKey: secretKey)
    }

    private init(publicKey: CurvePublicKey, secretKey: CurveSecretKey) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    public static func == (a: CurveKeyPair, b: CurveKeyPair) -> Bool { a.secretKey == b.secretKey }
    public var description: String { "CurveKeyPair(\(publicKey.fingerprint))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["publicKey": publicKey]) }
}

/// A CURVE public key: 32 bytes, 40 characters of Z85.
public struct CurvePublicKey: Hashable, Sendable, CustomStringConvertible {
    /// The key's 32 bytes.
    public let bytes: Data

    /// A public key from its 32 bytes.
    public init(bytes: Data) throws(SodiumError) {
        guard bytes.count == SodiumLimits.curveKeyBytes else {
            throw .invalidLength(
                what: "a CURVE public key", expectedBytes: SodiumLimits.curveKeyBytes, foundBytes: bytes.count)
        }
        self.bytes = Data(bytes)
    }

    /// A public key from its 40-character Z85 text, as listed in a topology file.
    public init(z85: String) throws(SodiumError) {
        try self.init(bytes: Z85.decode(z85))
    }

    init(validated bytes: Data) {
        assert(bytes.count == SodiumLimits.curveKeyBytes)
        self.bytes = bytes
    }

    /// The key as 40 characters of Z85, the form ZeroMQ's `ZMQ_CURVE_SERVERKEY` and `ZMQ_CURVE_PUBLICKEY` take.
    public var z85: String { bytes.withUnsafeBytes { Z85.encode($0) } }

    /// A short name for the key, safe to log: `x25519:` and 12 hex digits.
    public var fingerprint: String { bytes.withUnsafeBytes { keyFingerprint(kind: "x25519", of: $0) } }

    public static func == (a: CurvePublicKey, b: CurvePublicKey) -> Bool { constantTimeEquals(a.bytes, b.bytes) }
    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }
    public var description: String { "CurvePublicKey(\(fingerprint))" }
}

/// A CURVE secret key, held in guarded memory; printing it shows only a fingerprint.
public struct CurveSecretKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    let secret: SecretBytes

    init(secret: SecretBytes) {
        assert(secret.count == SodiumLimits.curveKeyBytes)
        self.secret = secret
    }

    /// A secret key from its 32 bytes.
    public init(bytes: Data) throws(SodiumError) {
        secret = try SecretBytes(copying: bytes, expected: SodiumLimits.curveKeyBytes, what: "a CURVE secret key")
    }

    /// A secret key from its 40-character Z85 text.
    public init(z85: String) throws(SodiumError) {
        var secret: SecretBytes?
        try Z85.decode(z85) { (bytes) throws(SodiumError) in
            guard bytes.count == SodiumLimits.curveKeyBytes else {
                throw .invalidLength(
                    what: "a CURVE secret key", expectedBytes: SodiumLimits.curveKeyBytes, foundBytes: bytes.count)
            }
            secret = try SecretBytes(count: SodiumLimits.curveKeyBytes) { $0.copyMemory(from: bytes) }
        }
        self.secret = secret!
    }

    /// The key as 40 characters of Z85, for `ZMQ_CURVE_SECRETKEY`.
    ///
    /// The returned `String` is ordinary memory that is not wiped when released: pass it straight to the
    /// socket option and do not keep, log or store it.
    public func z85() -> String { secret.withUnsafeBytes { Z85.encode($0) } }

    public static func == (a: CurveSecretKey, b: CurveSecretKey) -> Bool { a.secret.constantTimeEquals(b.secret) }
    public var description: String {
        "CurveSecretKey(" + secret.withUnsafeBytes { keyFingerprint(kind: "x25519-secret", of: $0) } + ")"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
