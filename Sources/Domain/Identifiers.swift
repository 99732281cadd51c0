import Foundation

/// Code of a Participating Organisation, e.g. `EAL`: three capital letters.
public struct OrganisationCode: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ text: String) throws {
        let upper = text.uppercased()
        guard upper.count == 3, upper.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw DomainError(
                .invalidValue,
                "organisation code '\(text)' is not valid: use the three-letter code from the catalogue, e.g. EAL")
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

/// Code of a Service Option, e.g. `dangerous-structures`: lower-case words joined by hyphens.
public struct ServiceOptionCode: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ text: String) throws {
        let lower = text.lowercased()
        let allowed = lower.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" }
        guard !lower.isEmpty, lower.count <= 64, allowed, lower.first != "-", lower.last != "-" else {
            throw DomainError(
                .invalidValue,
                "service option code '\(text)' is not valid: use the hyphenated code from the catalogue, e.g. noise-patrol"
            )
        }
        rawValue = lower
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

/// Unique Property Reference Number (7.11): a positive integer of at most 12 digits.
public struct UPRN: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: Int64

    public init(_ value: Int64) throws {
        guard value > 0, value <= DomainLimits.uprnMax else {
            throw DomainError(.invalidValue, "UPRN \(value) is not valid: a UPRN is a whole number from 1 to 12 digits")
        }
        rawValue = value
    }

    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 12, trimmed.allSatisfy({ $0.isASCII && $0.isNumber }),
            let value = Int64(trimmed)
        else {
            throw DomainError(
                .invalidValue, "UPRN '\(text)' is not valid: a UPRN is 1 to 12 digits with nothing else, e.g. 100021234567")
        }
        try self.init(value)
    }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(Int64.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { String(rawValue) }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// A UK telephone number, kept in E.164 form (`+442079460001`).
public struct PhoneNumber: Hashable, Codable, Sendable, CustomStringConvertible {
    public let e164: String

    /// Accepts national (`020 7946 0001`, `07700 900123`) and international (`+44 20 7946 0001`) forms.
    public init(parsing text: String) throws {
        var digits = ""
        var sawPlus = false
        // "+44 (0)20 …" writes the trunk prefix a caller would not dial from abroad; "0044" is "+44".
        var cleaned = text.replacingOccurrences(of: "(0)", with: "")
        if cleaned.hasPrefix("0044") { cleaned = "+" + cleaned.dropFirst(2) }
        for (index, character) in cleaned.enumerated() {
            if character == "+" && index == 0 {
                sawPlus = true
            } else if character.isASCII && character.isNumber {
                digits.append(character)
            } else if character == " " || character == "-" || character == "(" || character == ")" {
                continue
            } else {
                throw Self.invalid(text)
            }
        }
        let national: String
        if sawPlus {
            guard digits.hasPrefix("44") else { throw Self.invalid(text) }
            national = String(digits.dropFirst(2))
        } else if digits.hasPrefix("44") && digits.count == 12 {
            national = String(digits.dropFirst(2))
        } else if digits.hasPrefix("0") {
            national = String(digits.dropFirst())
        } else {
            throw Self.invalid(text)
        }
        // UK numbers have 9 or 10 digits after the trunk prefix, and never start with 0 there.
        guard (9...10).contains(national.count), national.first != "0" else { throw Self.invalid(text) }
        e164 = "+44" + national
    }

    public init(from decoder: any Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(e164)
    }

    public var description: String { e164 }

    private static func invalid(_ text: String) -> DomainError {
        DomainError(
            .invalidValue,
            "phone number '\(text)' is not a valid UK number: give it as 020 7946 0001, 07700 900123 or +44 20 7946 0001")
    }
}

/// Identifier of a call handler or supervisor at a site, e.g. `wst-akhan`, as they sign in.
public struct HandlerID: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ text: String) throws {
        rawValue = try checkedSlug(text, what: "handler id", example: "wst-akhan")
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
