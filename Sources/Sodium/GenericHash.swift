import CSodium
import Foundation

/// BLAKE2b with a 32-byte output (`crypto_generichash`): one-shot with `hash(_:)`, or incremental.
///
/// Incremental use feeds the parts in order and gives the same digest as hashing their concatenation:
/// ```swift
/// var hash = GenericHash()
/// hash.update(previousLink.bytes)
/// hash.update(sealedBytes)
/// let link = hash.finalize()
/// ```
/// The state is noncopyable: libsodium's state must be 64-byte aligned and is owned by exactly one hasher.
public struct GenericHash: ~Copyable {
    private let state: UnsafeMutableRawPointer

    /// Starts an unkeyed hash.
    public init() {
        SodiumLibrary.ensureInitialised()
        // crypto_generichash_state is declared CRYPTO_ALIGN(64) (so Swift sees it as opaque); allocate it so.
        state = UnsafeMutableRawPointer.allocate(byteCount: crypto_generichash_statebytes(), alignment: 64)
        let code = crypto_generichash_init(
            OpaquePointer(state), nil, 0, SodiumLimits.hashBytes)
        mustSucceed { () throws(SodiumError) in try check(code, "crypto_generichash_init") }
    }

    deinit {
        sodium_memzero(state, crypto_generichash_statebytes())
        state.deallocate()
    }

    /// Feeds `data` to the hash.
    public mutating func update(_ data: Data) {
        let code = withUInt8Bytes(data) { bytes, count in
            crypto_generichash_update(
                OpaquePointer(state), bytes, UInt64(count))
        }
        mustSucceed { () throws(SodiumError) in try check(code, "crypto_generichash_update") }
    }

    /// Feeds raw bytes to the hash (used inside the module for secrets, which never become `Data`).
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        let code = crypto_generichash_update(
            OpaquePointer(state),
            base.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
        mustSucceed { () throws(SodiumError) in try check(code, "crypto_generichash_update") }
    }

    /// Finishes the hash and returns its digest; the hasher is used up.
    public consuming func finalize() -> Digest {
        let state = self.state
        let bytes = makeData(count: SodiumLimits.hashBytes) { output in
            let code = crypto_generichash_final(
                OpaquePointer(state), output, SodiumLimits.hashBytes)
            mustSucceed { () throws(SodiumError) in try check(code, "crypto_generichash_final") }
        }
        return Digest(validated: bytes)
    }

    /// The digest of `data` in one call.
    public static func hash(_ data: Data) -> Digest {
        SodiumLibrary.ensureInitialised()
        let bytes = makeData(count: SodiumLimits.hashBytes) { output in
            let code = withUInt8Bytes(data) { input, count in
                crypto_generichash(output, SodiumLimits.hashBytes, input, UInt64(count), nil, 0)
            }
            mustSucceed { () throws(SodiumError) in try check(code, "crypto_generichash") }
        }
        return Digest(validated: bytes)
    }

    /// A 32-byte BLAKE2b digest; printed as hex, encoded as base64.
    public struct Digest: Hashable, Sendable, Codable, CustomStringConvertible {
        /// The digest's 32 bytes.
        public let bytes: Data

        /// A digest from its bytes, refusing any length but 32.
        public init(bytes: Data) throws(SodiumError) {
            guard bytes.count == SodiumLimits.hashBytes else {
                throw .invalidLength(
                    what: "a BLAKE2b digest", expectedBytes: SodiumLimits.hashBytes, foundBytes: bytes.count)
            }
            self.bytes = Data(bytes)
        }

        init(validated bytes: Data) {
            assert(bytes.count == SodiumLimits.hashBytes)
            self.bytes = bytes
        }

        public init(from decoder: any Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let bytes = Data(base64Encoded: text), bytes.count == SodiumLimits.hashBytes else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "not a base64 32-byte BLAKE2b digest"))
            }
            self.bytes = bytes
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(bytes.base64EncodedString())
        }

        public var description: String { bytes.map { String(format: "%02x", $0) }.joined() }
    }
}
