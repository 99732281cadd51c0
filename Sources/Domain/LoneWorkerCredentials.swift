/// A salted password hash of a check-out code, in the encoded form the hashing library writes (for Argon2id,
/// `$argon2id$v=19$m=…,t=…,p=…$salt$hash`): the salt travels inside it.
///
/// The domain never hashes or compares codes itself (STYLE.md rule 1: no crypto in Domain); it keeps these opaque
/// strings and asks a verifier passed in by the caller whether a spoken code matches one.
public struct CredentialHash: Hashable, Codable, Sendable {
    public let encoded: String

    public init(encoded: String) throws {
        guard !encoded.isEmpty, encoded.count <= DomainLimits.credentialHashCharactersMax,
            encoded.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) })
        else {
            throw DomainError(
                .invalidValue,
                "a credential hash must be 1 to \(DomainLimits.credentialHashCharactersMax) printable ASCII "
                    + "characters without spaces, as the password-hashing library encodes it; this one has "
                    + "\(encoded.count) characters")
        }
        self.encoded = encoded
    }

    public init(from decoder: any Decoder) throws {
        try self.init(encoded: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(encoded)
    }
}

/// Whether a spoken code matches a stored hash: the caller's password-hashing library answers.
public typealias CredentialVerifier = (_ normalisedCode: String, _ hash: CredentialHash) -> Bool

/// Which of an officer's codes a spoken code is.
public enum CredentialMatch: Hashable, Sendable {
    /// The agreed everyday check-out code.
    case normal
    /// The agreed duress code: the officer is checking out because someone is making them (5.2.3.6).
    case duress
    /// Neither.
    case noMatch
}

/// An officer's two check-out codes, kept only as salted hashes: the everyday one, and the duress one they give
/// instead when someone is making them check out, which must sound just as ordinary to whoever is listening.
public struct LoneWorkerCredentials: Hashable, Sendable {
    public let normal: CredentialHash
    public let duress: CredentialHash

    /// Pairs hashes already made, e.g. when read back from the store.
    public init(normal: CredentialHash, duress: CredentialHash) throws {
        guard normal != duress else {
            throw DomainError(
                .invalidValue,
                "the normal and duress credential hashes are the same: enrol the officer again with two different "
                    + "codes")
        }
        self.normal = normal
        self.duress = duress
    }

    /// Checks two codes an officer has chosen and hashes each with `hash`, which must salt every call afresh.
    ///
    /// The codes must differ in at least two characters, so that one slip of the tongue or one mistyped
    /// character never turns the duress code into the normal one (a duress missed) or the reverse (a false alarm).
    public static func enrol(code: String, duressCode: String, hash: (String) throws -> CredentialHash) throws -> Self {
        let normalCode = normalise(code)
        let duressNormalised = normalise(duressCode)
        for (what, text) in [("check-out code", normalCode), ("duress code", duressNormalised)] {
            guard
                (DomainLimits.loneWorkerCodeCharactersMin...DomainLimits.loneWorkerCodeCharactersMax).contains(
                    text.count)
            else {
                throw DomainError(
                    .invalidValue,
                    "the \(what) has \(text.count) characters: choose one of "
                        + "\(DomainLimits.loneWorkerCodeCharactersMin) to \(DomainLimits.loneWorkerCodeCharactersMax) "
                        + "characters, a word or a PIN")
            }
        }
        guard editDistance(normalCode, duressNormalised) >= 2 else {
            throw DomainError(
                .invalidValue,
                "the duress code is the check-out code or differs from it in one character only: choose a duress "
                    + "code that differs in at least two, so a slip never turns one into the other")
        }
        return try Self(normal: hash(normalCode), duress: hash(duressNormalised))
    }

    /// The form a code is hashed and verified in: a handler types what they hear, so case and spacing do not
    /// count (`Blue  Finch` is `blue finch`).
    public static func normalise(_ code: String) -> String {
        code.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Which code `code` is. Both hashes are always checked, so the time taken does not tell which one matched.
    public func match(_ code: String, verify: CredentialVerifier) -> CredentialMatch {
        let spoken = Self.normalise(code)
        let isNormal = verify(spoken, normal)
        let isDuress = verify(spoken, duress)
        // Enrolment keeps the codes two characters apart, so both cannot match; if a verifier says they do, the
        // safe reading is duress.
        if isDuress { return .duress }
        return isNormal ? .normal : .noMatch
    }

    /// Levenshtein distance, for the enrolment check above (codes are at most 64 characters).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let b = Array(b)
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
