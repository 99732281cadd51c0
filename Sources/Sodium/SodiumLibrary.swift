import CSodium
import Foundation

/// libsodium's one-time initialisation and the size checks that go with it.
enum SodiumLibrary {
    /// Runs `sodium_init` exactly once, on first use, from whichever thread gets there first.
    ///
    /// A global `static let` is initialised once under the runtime's own lock, so this is thread-safe.
    /// `sodium_init` fails only when the system's random source cannot be opened; nothing in this module is
    /// safe without it, so that stops the process rather than making every key generation throw.
    private static let initialised: Void = {
        let code = sodium_init()
        precondition(code >= 0, "libsodium could not initialise (sodium_init returned \(code)); check /dev/urandom")
        checkSizes()
    }()

    /// Makes sure libsodium is initialised; every entry point that calls into it calls this first.
    @inline(__always)
    static func ensureInitialised() {
        initialised
    }

    /// Checks the sizes in `SodiumLimits` against the libsodium this process is linked with, and the limits'
    /// relations to each other.
    private static func checkSizes() {
        precondition(SodiumLimits.signingSeedBytes == crypto_sign_seedbytes(), "Ed25519 seed size")
        precondition(SodiumLimits.signingPublicKeyBytes == crypto_sign_publickeybytes(), "Ed25519 public key size")
        precondition(SodiumLimits.signingSecretKeyBytes == crypto_sign_secretkeybytes(), "Ed25519 secret key size")
        precondition(SodiumLimits.signatureBytes == crypto_sign_bytes(), "Ed25519 signature size")
        precondition(SodiumLimits.curveKeyBytes == crypto_box_publickeybytes(), "X25519 public key size")
        precondition(SodiumLimits.curveKeyBytes == crypto_box_secretkeybytes(), "X25519 secret key size")
        precondition(SodiumLimits.curveKeyBytes == crypto_scalarmult_bytes(), "X25519 scalar size")
        precondition(
            SodiumLimits.dataKeyBytes == crypto_aead_xchacha20poly1305_ietf_keybytes(), "XChaCha20 key size")
        precondition(
            SodiumLimits.sealNonceBytes == crypto_aead_xchacha20poly1305_ietf_npubbytes(), "XChaCha20 nonce size")
        precondition(SodiumLimits.sealTagBytes == crypto_aead_xchacha20poly1305_ietf_abytes(), "Poly1305 tag size")
        // size_t arrives as Int, so libsodium's maximum (SIZE_MAX - 16) reads as negative unless reinterpreted.
        precondition(
            UInt(SodiumLimits.sealPlaintextBytesMax)
                <= UInt(bitPattern: crypto_aead_xchacha20poly1305_ietf_messagebytes_max()),
            "seal plaintext limit above libsodium's")
        precondition(SodiumLimits.hashBytes >= crypto_generichash_bytes_min(), "BLAKE2b digest too short")
        precondition(SodiumLimits.hashBytes <= crypto_generichash_bytes_max(), "BLAKE2b digest too long")
        precondition(SodiumLimits.curveKeyZ85Characters == SodiumLimits.curveKeyBytes / 4 * 5, "Z85 key length")
        precondition(
            SodiumLimits.checkpointIntervalSetsMax <= SodiumLimits.chainRunSetsMax,
            "a run between two checkpoints must be verifiable in one call")
        precondition(SodiumLimits.chainOriginBytesMax <= Int(UInt8.max), "origin length is signed as one byte")
    }
}

/// Secret bytes in libsodium's guarded memory: read-only once written, zeroed and freed with the last copy.
///
/// `sodium_malloc` puts guard pages around the bytes, keeps them out of swap where the system allows, and
/// `sodium_free` wipes them. Keys hold one of these, so copying a key copies a reference, never the secret.
final class SecretBytes: @unchecked Sendable {
    // @unchecked Sendable: the bytes are written once inside `init`, then made read-only; nothing mutates them.
    let count: Int
    private let base: UnsafeMutableRawPointer

    /// Allocates `count` bytes, lets `initialise` fill them, then makes them read-only.
    init(count: Int, _ initialise: (UnsafeMutableRawBufferPointer) throws(SodiumError) -> Void) throws(SodiumError) {
        precondition(count > 0, "secret of no bytes")
        SodiumLibrary.ensureInitialised()
        // Allocation failure is fatal, as it is for any Swift allocation.
        guard let base = sodium_malloc(count) else { fatalError("sodium_malloc(\(count)) failed: out of memory") }
        do {
            try initialise(UnsafeMutableRawBufferPointer(start: base, count: count))
        } catch {
            sodium_free(base)
            throw error
        }
        _ = sodium_mprotect_readonly(base)  // hardening only: a platform without mprotect keeps them writable
        self.count = count
        self.base = base
    }

    /// Copies `bytes` into guarded memory, refusing the wrong length.
    convenience init(copying bytes: Data, expected: Int, what: String) throws(SodiumError) {
        guard bytes.count == expected else {
            throw .invalidLength(what: what, expectedBytes: expected, foundBytes: bytes.count)
        }
        try self.init(count: expected) { destination in
            bytes.withUnsafeBytes { source in destination.copyMemory(from: source) }
        }
    }

    deinit {
        sodium_free(base)
    }

    /// Lends the bytes read-only for the duration of `body`.
    func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// The bytes as a pointer to `unsigned char`, the type libsodium's functions take.
    var uint8Pointer: UnsafePointer<UInt8> {
        UnsafePointer(base.assumingMemoryBound(to: UInt8.self))
    }

    /// Constant-time comparison (`sodium_memcmp`), so timing reveals nothing about where two secrets differ.
    func constantTimeEquals(_ other: SecretBytes) -> Bool {
        count == other.count && sodium_memcmp(base, other.base, count) == 0
    }
}

/// Overwrites a scratch buffer that held secret bytes (`sodium_memzero`, which the optimiser cannot remove).
func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { raw in
        if let base = raw.baseAddress { sodium_memzero(base, raw.count) }
    }
}

/// Constant-time comparison of two byte strings of public length (`sodium_memcmp`).
func constantTimeEquals(_ a: Data, _ b: Data) -> Bool {
    guard a.count == b.count else { return false }
    guard !a.isEmpty else { return true }
    SodiumLibrary.ensureInitialised()
    return a.withUnsafeBytes { a in
        b.withUnsafeBytes { b in sodium_memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
    }
}

/// Lends `data`'s bytes as `unsigned char *` and length; an empty `Data` lends a valid pointer to no bytes.
///
/// libsodium reads a pointer even for a zero length in some functions, and an empty `Data` has no base address.
@inline(__always)
func withUInt8Bytes<Result>(_ data: Data, _ body: (UnsafePointer<UInt8>, Int) -> Result) -> Result {
    if data.isEmpty {
        var placeholder: UInt8 = 0
        return withUnsafePointer(to: &placeholder) { body($0, 0) }
    }
    return data.withUnsafeBytes { raw in
        body(raw.baseAddress!.assumingMemoryBound(to: UInt8.self), raw.count)
    }
}

/// Builds a `Data` of `count` bytes written by `body` through an `unsigned char *`.
@inline(__always)
func makeData(count: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Void) -> Data {
    var data = Data(count: count)
    data.withUnsafeMutableBytes { raw in body(raw.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
    return data
}

/// A short, stable name for a key: the first bytes of a BLAKE2b hash of it, labelled with the key's kind.
///
/// Shown instead of the key wherever a key is printed; the hash is one-way and keyed by a fixed label, so
/// it names a secret key without revealing anything usable about it.
func keyFingerprint(kind: String, of bytes: UnsafeRawBufferPointer) -> String {
    var hash = GenericHash()
    hash.update(Data("nightdesk-fingerprint \(kind)\u{0}".utf8))
    hash.update(bytes)
    let digest = hash.finalize()
    return kind + ":" + digest.bytes.prefix(6).map { String(format: "%02x", $0) }.joined()
}
