import CZeroMQ
import Foundation

// CURVE (CurveZMQ, RFC 26) keys: 32 bytes, written as 40 characters of Z85 in topology files. Each site has
// one long-term key pair: its public key is listed in every peer's allow-list and pins the server it dials.

/// A site's CURVE public key.
public struct CurvePublicKey: Hashable, Sendable, CustomStringConvertible {
    /// The key's 32 bytes.
    public let data: Data

    public init(data: Data) throws(MeshError) {
        self.data = try CurveKeyCoding.checked(data)
    }

    /// A key from its 40-character Z85 text.
    public init(z85: String) throws(MeshError) {
        self.data = try CurveKeyCoding.decode(z85)
    }

    /// The key as 40 characters of Z85.
    public var z85: String { CurveKeyCoding.encode(data) }

    public var description: String { z85 }
}

/// A site's CURVE secret key: never logged, never printed.
public struct CurveSecretKey: Hashable, Sendable, CustomStringConvertible {
    /// The key's 32 bytes.
    public let data: Data

    public init(data: Data) throws(MeshError) {
        self.data = try CurveKeyCoding.checked(data)
    }

    /// A key from its 40-character Z85 text.
    public init(z85: String) throws(MeshError) {
        self.data = try CurveKeyCoding.decode(z85)
    }

    /// The key as 40 characters of Z85, for writing the site's key file.
    public var z85: String { CurveKeyCoding.encode(data) }

    public var description: String { "CurveSecretKey(redacted)" }
}

/// A site's long-term CURVE key pair.
public struct CurveKeyPair: Hashable, Sendable, CustomStringConvertible {
    public let publicKey: CurvePublicKey
    public let secretKey: CurveSecretKey

    /// A new random key pair (libzmq draws it from libsodium's generator).
    public static func generate() throws(MeshError) -> CurveKeyPair {
        guard zmq_has("curve") == 1 else { throw .curveUnavailable }
        var publicText = [CChar](repeating: 0, count: 41)
        var secretText = [CChar](repeating: 0, count: 41)
        try zmqCheck("zmq_curve_keypair") { zmq_curve_keypair(&publicText, &secretText) }
        return CurveKeyPair(
            publicKey: try CurvePublicKey(z85: CurveKeyCoding.string(publicText)),
            secretKey: try CurveSecretKey(z85: CurveKeyCoding.string(secretText)))
    }

    /// The pair of a known secret key, its public key derived from it.
    public init(secretKey: CurveSecretKey) throws(MeshError) {
        guard zmq_has("curve") == 1 else { throw .curveUnavailable }
        var publicText = [CChar](repeating: 0, count: 41)
        let secretText = Array(secretKey.z85.utf8CString)
        try zmqCheck("zmq_curve_public") { zmq_curve_public(&publicText, secretText) }
        self.publicKey = try CurvePublicKey(z85: CurveKeyCoding.string(publicText))
        self.secretKey = secretKey
    }

    init(publicKey: CurvePublicKey, secretKey: CurveSecretKey) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    public var description: String { "CurveKeyPair(public: \(publicKey))" }
}

enum CurveKeyCoding {
    static let byteCount = 32
    static let z85Count = 40

    static func checked(_ data: Data) throws(MeshError) -> Data {
        guard data.count == byteCount else {
            throw .invalidKey("a CURVE key is \(byteCount) bytes, not \(data.count)")
        }
        return Data(data)
    }

    static func decode(_ text: String) throws(MeshError) -> Data {
        let utf8 = Array(text.utf8)
        guard utf8.count == z85Count else {
            throw .invalidKey("a CURVE key is \(z85Count) characters of Z85, not \(utf8.count)")
        }
        var bytes = [UInt8](repeating: 0, count: byteCount)
        let cString = Array(text.utf8CString)
        guard zmq_z85_decode(&bytes, cString) != nil else {
            throw .invalidKey("the text is not Z85 (letters, digits and .-:+=^!/*?&<>()[]{}@%$#)")
        }
        // Z85 has more than one spelling for some byte strings; accept only the one we would write.
        guard encode(Data(bytes)) == text else {
            throw .invalidKey("the text is not the canonical Z85 spelling of a key")
        }
        return Data(bytes)
    }

    static func encode(_ data: Data) -> String {
        precondition(data.count == byteCount, "CURVE keys are checked on construction")
        var text = [CChar](repeating: 0, count: z85Count + 1)
        let bytes = [UInt8](data)
        _ = zmq_z85_encode(&text, bytes, bytes.count)
        return string(text)
    }

    static func string(_ text: [CChar]) -> String {
        String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
