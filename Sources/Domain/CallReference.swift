/// The alphabet of everything a person reads aloud: digits and capitals with 0/O, 1/I/L left out.
///
/// 31 symbols, a prime, so the weighted check character catches every single wrong symbol
/// and every swap of two neighbouring symbols.
public enum ReadAloudAlphabet {
    public static let symbols: [Character] = Array("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
    public static let radix = symbols.count

    static let valueOf: [Character: Int] = Dictionary(
        uniqueKeysWithValues: symbols.enumerated().map { ($1, $0) })

    static func value(_ character: Character) -> Int? { valueOf[character] }

    /// The check symbol of a string of alphabet symbols (weights 1, 2, 3… modulo 31).
    static func checkSymbol(_ text: some Sequence<Character>) -> Character {
        var sum = 0
        for (index, character) in text.enumerated() {
            sum += (index + 1) * (value(character) ?? 0)
        }
        return symbols[sum % radix]
    }
}

/// Code of a call-centre site, e.g. `WST`: 2 to 4 symbols of the read-aloud alphabet, unique in a topology.
public struct SiteCode: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ text: String) throws {
        let upper = text.uppercased()
        guard (2...4).contains(upper.count) else {
            throw DomainError(.invalidValue, "site code '\(text)' must be 2 to 4 characters long, e.g. WST")
        }
        if let bad = upper.first(where: { ReadAloudAlphabet.value($0) == nil }) {
            throw DomainError(
                .invalidValue,
                "site code '\(text)' contains '\(bad)', which is easily misread aloud: "
                    + "use only \(String(ReadAloudAlphabet.symbols)), e.g. WST")
        }
        rawValue = upper
    }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// A call's reference number (5.2.2), unique across all sites without coordination.
///
/// Shape: `SITE-XXX-XXXC`: the issuing site's code, a per-site serial in base 31 and a check symbol.
/// Site codes are unique in a topology and each site numbers its own calls, so two sites never
/// issue the same reference. The alphabet has no 0/O or 1/I/L, and the check symbol catches one
/// misheard symbol or two swapped ones when a caller reads a reference back.
public struct CallReference: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let site: SiteCode
    public let serial: Int64

    public init(site: SiteCode, serial: Int64) {
        precondition(serial >= 0, "call serial must not be negative")
        precondition(serial < Self.serialLimit, "call serial \(serial) exceeds the per-site limit")
        self.site = site
        self.serial = serial
    }

    /// Number of serials one site can issue.
    public static let serialLimit: Int64 = {
        var limit: Int64 = 1
        for _ in 0..<DomainLimits.referenceSerialDigits { limit *= Int64(ReadAloudAlphabet.radix) }
        return limit
    }()

    /// Parses a reference as a person typed it: case, spaces and hyphens do not matter.
    public init(parsing text: String) throws {
        let compact = text.uppercased().filter { $0 != "-" && $0 != " " }
        let body = DomainLimits.referenceSerialDigits + 1
        guard compact.count >= 2 + body, compact.count <= 4 + body else {
            throw Self.invalid(text, "it should look like WST-7KQ-M4XP")
        }
        if let bad = compact.first(where: { ReadAloudAlphabet.value($0) == nil }) {
            throw Self.invalid(text, "'\(bad)' never appears in a reference (no 0, O, 1, I or L)")
        }
        let siteText = String(compact.dropLast(body))
        let serialText = compact.suffix(body).dropLast()
        let check = compact.last!
        guard ReadAloudAlphabet.checkSymbol(siteText + serialText) == check else {
            throw Self.invalid(text, "its check character does not match; a character was misheard or two were swapped")
        }
        var serial: Int64 = 0
        for character in serialText {
            serial = serial * Int64(ReadAloudAlphabet.radix) + Int64(ReadAloudAlphabet.value(character)!)
        }
        self.init(site: try SiteCode(siteText), serial: serial)
    }

    public init(from decoder: any Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    private var serialSymbols: String {
        var symbols: [Character] = []
        var rest = serial
        for _ in 0..<DomainLimits.referenceSerialDigits {
            symbols.append(ReadAloudAlphabet.symbols[Int(rest % Int64(ReadAloudAlphabet.radix))])
            rest /= Int64(ReadAloudAlphabet.radix)
        }
        return String(symbols.reversed())
    }

    /// The reference as printed and read aloud, e.g. `WST-22A-7KQX`.
    public var description: String {
        let digits = serialSymbols
        let check = ReadAloudAlphabet.checkSymbol(site.rawValue + digits)
        return "\(site.rawValue)-\(digits.prefix(3))-\(digits.suffix(3))\(check)"
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.site, a.serial) < (b.site, b.serial)
    }

    private static func invalid(_ text: String, _ why: String) -> DomainError {
        DomainError(.invalidValue, "'\(text)' is not a call reference: \(why)")
    }
}
