import CSodium
import Foundation

/// Salted, deliberately slow password hashing (Argon2id, `crypto_pwhash_str`) for short secrets people say aloud,
/// such as a lone worker's check-out codes: only the encoded hash is ever stored.
///
/// The encoded form (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) carries its own salt and limits, so a hash made with
/// today's limits still verifies after they are raised.
public enum PasswordHash {
    /// Hashes `password` with a fresh random salt and libsodium's interactive limits.
    public static func hash(_ password: String) throws(SodiumError) -> String {
        SodiumLibrary.ensureInitialised()
        let bytes = Data(password.utf8)
        guard bytes.count <= SodiumLimits.passwordBytesMax else {
            throw .tooLarge(what: "a password", bytes: bytes.count, maxBytes: SodiumLimits.passwordBytesMax)
        }
        var output = [CChar](repeating: 0, count: crypto_pwhash_strbytes())
        let code = crypto_pwhash_str(
            &output, cChars(bytes), UInt64(bytes.count), UInt64(crypto_pwhash_opslimit_interactive()),
            crypto_pwhash_memlimit_interactive())
        // Failure here means the memory limit could not be allocated: a resource problem, not bad input.
        try check(code, "crypto_pwhash_str")
        return String(decoding: output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `password` is the one `encoded` was made from. A malformed or foreign hash verifies nothing.
    public static func verify(_ password: String, against encoded: String) -> Bool {
        SodiumLibrary.ensureInitialised()
        let bytes = Data(password.utf8)
        guard bytes.count <= SodiumLimits.passwordBytesMax, encoded.utf8.count < crypto_pwhash_strbytes(),
            !encoded.utf8.contains(0)
        else { return false }
        return crypto_pwhash_str_verify(cChars(Data(encoded.utf8)), cChars(bytes), UInt64(bytes.count)) == 0
    }

    /// The bytes as C characters with a terminating zero, so even an empty password has a valid pointer.
    private static func cChars(_ bytes: Data) -> [CChar] {
        bytes.map { CChar(bitPattern: $0) } + [0]
    }
}
