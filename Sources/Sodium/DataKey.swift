import CSodium
import Foundation

/// A Participating Organisation's data key: XChaCha20-Poly1305-IETF, 32 bytes, in guarded memory.
///
/// Change sets of one PO are sealed with its data key, the change set header as associated data, so a node
/// that does not hold the key relays them unopened. Printing a data key shows only a fingerprint.
public struct DataKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let secret: SecretBytes

    /// A new key from the system's random source (`crypto_aead_xchacha20poly1305_ietf_keygen`).
    public static func generate() -> DataKey {
        let secret = mustSucceed { () throws(SodiumError) in
            try SecretBytes(count: SodiumLimits.dataKeyBytes) { secret in
                crypto_aead_xchacha20poly1305_ietf_keygen(secret.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        return DataKey(secret: secret)
    }

    /// A key from its 32 bytes.
    public init(bytes: Data) throws(SodiumError) {
        secret = try SecretBytes(copying: bytes, expected: SodiumLimits.dataKeyBytes, what: "a data key")
    }

    init(secret: SecretBytes) {
        assert(secret.count == SodiumLimits.dataKeyBytes)
        self.secret = secret
    }

    /// Encrypts and authenticates `plaintext`, and authenticates `associatedData` without encrypting it.
    ///
    /// Each seal draws a fresh random 24-byte nonce; at that size random nonces never repeat in practice,
    /// so one key can seal any number of change sets. The associated data is not in the box: the opener
    /// must supply the same bytes.
    public func seal(_ plaintext: Data, associatedData: Data) throws(SodiumError) -> SealedBox {
        guard plaintext.count <= SodiumLimits.sealPlaintextBytesMax else {
            throw .tooLarge(what: "the plaintext", bytes: plaintext.count, maxBytes: SodiumLimits.sealPlaintextBytesMax)
        }
        guard associatedData.count <= SodiumLimits.sealAssociatedDataBytesMax else {
            throw .tooLarge(
                what: "the associated data", bytes: associatedData.count,
                maxBytes: SodiumLimits.sealAssociatedDataBytesMax)
        }
        var code: Int32 = 0
        let bytes = makeData(count: SodiumLimits.sealNonceBytes + plaintext.count + SodiumLimits.sealTagBytes) {
            box in
            let nonce = box
            let ciphertext = box + SodiumLimits.sealNonceBytes
            randombytes_buf(nonce, SodiumLimits.sealNonceBytes)
            var ciphertextBytes: UInt64 = 0
            code = withUInt8Bytes(plaintext) { message, messageBytes in
                withUInt8Bytes(associatedData) { associated, associatedBytes in
                    crypto_aead_xchacha20poly1305_ietf_encrypt(
                        ciphertext, &ciphertextBytes, message, UInt64(messageBytes), associated,
                        UInt64(associatedBytes), nil, nonce, secret.uint8Pointer)
                }
            }
            assert(code != 0 || ciphertextBytes == UInt64(plaintext.count + SodiumLimits.sealTagBytes))
        }
        try check(code, "crypto_aead_xchacha20poly1305_ietf_encrypt")
        return SealedBox(validated: bytes)
    }

    /// The plaintext of `box`, if it was sealed with this key and exactly `associatedData`.
    ///
    /// Throws `SodiumError.openFailed` for a wrong key, any altered byte of the box, or altered associated
    /// data; nothing of the plaintext is returned then.
    public func open(_ box: SealedBox, associatedData: Data) throws(SodiumError) -> Data {
        guard associatedData.count <= SodiumLimits.sealAssociatedDataBytesMax else {
            throw .tooLarge(
                what: "the associated data", bytes: associatedData.count,
                maxBytes: SodiumLimits.sealAssociatedDataBytesMax)
        }
        var code: Int32 = 0
        let plaintext = makeData(count: box.bytes.count - SodiumLimits.sealOverheadBytes) { message in
            var messageBytes: UInt64 = 0
            code = withUInt8Bytes(box.bytes) { sealed, sealedBytes in
                withUInt8Bytes(associatedData) { associated, associatedBytes in
                    crypto_aead_xchacha20poly1305_ietf_decrypt(
                        message, &messageBytes, nil, sealed + SodiumLimits.sealNonceBytes,
                        UInt64(sealedBytes - SodiumLimits.sealNonceBytes), associated, UInt64(associatedBytes),
                        sealed, secret.uint8Pointer)
                }
            }
        }
        try check(code, "crypto_aead_xchacha20poly1305_ietf_decrypt", failure: .openFailed)
        return plaintext
    }

    public static func == (a: DataKey, b: DataKey) -> Bool { a.secret.constantTimeEquals(b.secret) }
    /// A short name for the key, safe to log: which data key a node holds, without revealing it.
    public var fingerprint: String { secret.withUnsafeBytes { keyFingerprint(kind: "data-key", of: $0) } }
    public var description: String { "DataKey(\(fingerprint))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

/// The output of `DataKey.seal`: `nonce (24 bytes) || ciphertext (as long as the plaintext) || tag (16 bytes)`.
///
/// This is the libsodium "combined" layout with the nonce in front, so the box is self-contained apart from
/// its associated data, which travels separately (in a change set, the header).
public struct SealedBox: Hashable, Sendable {
    /// The whole box, nonce first.
    public let bytes: Data

    /// A box received from elsewhere, refusing one too short to hold a nonce and a tag, or too long to open.
    public init(bytes: Data) throws(SodiumError) {
        guard bytes.count >= SodiumLimits.sealOverheadBytes else {
            throw .invalidLength(
                what: "a sealed box (nonce and tag at least)", expectedBytes: SodiumLimits.sealOverheadBytes,
                foundBytes: bytes.count)
        }
        let maxBytes = SodiumLimits.sealPlaintextBytesMax + SodiumLimits.sealOverheadBytes
        guard bytes.count <= maxBytes else {
            throw .tooLarge(what: "the sealed box", bytes: bytes.count, maxBytes: maxBytes)
        }
        self.bytes = Data(bytes)
    }

    init(validated bytes: Data) {
        assert(bytes.count >= SodiumLimits.sealOverheadBytes)
        self.bytes = bytes
    }

    /// The 24-byte random nonce at the front.
    public var nonce: Data { bytes.prefix(SodiumLimits.sealNonceBytes) }
    /// The ciphertext followed by its 16-byte tag.
    public var ciphertextAndTag: Data { bytes.dropFirst(SodiumLimits.sealNonceBytes) }
}
