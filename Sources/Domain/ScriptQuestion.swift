import Foundation

/// The kinds of answer a script question takes, named as Open311 GeoReport v2 attributes are.
public enum QuestionDatatype: String, Codable, Sendable, CaseIterable {
    case string, number, datetime, text, singlevaluelist, multivaluelist

    public var isList: Bool { self == .singlevaluelist || self == .multivaluelist }
}

/// One question of a Service Option's script: a field the Participating Organisation wants captured (7.4.1).
public struct ScriptQuestion: Hashable, Codable, Sendable {
    public let code: String
    public let prompt: String
    public let datatype: QuestionDatatype
    /// Essential data (5.3.3): a call needs an answer, or a record that the caller could not give one.
    public let required: Bool
    /// Allowed values of list questions, in the order offered.
    public let values: [String]
    /// Position in the script, from 1.
    public let order: Int

    public init(
        code: String, prompt: String, datatype: QuestionDatatype, required: Bool, values: [String], order: Int
    ) throws {
        let validCode =
            !code.isEmpty && code.count <= 64
            && code.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "_" }
        guard validCode else {
            throw DomainError(
                .invalidCatalogue, "question code '\(code)' is not valid: use lower_snake_case, e.g. structure_type")
        }
        guard !prompt.isEmpty else {
            throw DomainError(.invalidCatalogue, "question '\(code)' has no prompt: write what the handler asks")
        }
        if datatype.isList {
            guard !values.isEmpty, values.count <= DomainLimits.listValuesMax, Set(values).count == values.count else {
                throw DomainError(
                    .invalidCatalogue,
                    "question '\(code)' is a \(datatype.rawValue) and needs 1 to \(DomainLimits.listValuesMax) "
                        + "distinct values")
            }
        } else if !values.isEmpty {
            throw DomainError(
                .invalidCatalogue, "question '\(code)' is a \(datatype.rawValue); only list questions take values")
        }
        self.code = code
        self.prompt = prompt
        self.datatype = datatype
        self.required = required
        self.values = values
        self.order = order
    }
}

/// What a caller said in answer to one script question.
public enum Answer: Hashable, Codable, Sendable {
    /// A single value (string, number, datetime, text, or one list value).
    case value(String)
    /// Several values of a `multivaluelist`.
    case values([String])
    /// The caller could not answer; the call goes ahead all the same (5.3.3).
    case notKnown

    private enum CodingKeys: String, CodingKey { case value, values, notKnown }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let value = try container.decodeIfPresent(String.self, forKey: .value) {
            self = .value(value)
        } else if let values = try container.decodeIfPresent([String].self, forKey: .values) {
            self = .values(values)
        } else {
            self = .notKnown
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .value(let value): try container.encode(value, forKey: .value)
        case .values(let values): try container.encode(values, forKey: .values)
        case .notKnown: try container.encode(true, forKey: .notKnown)
        }
    }

    /// The answer as a person reads it.
    public var display: String {
        switch self {
        case .value(let value): value
        case .values(let values): values.joined(separator: ", ")
        case .notKnown: "(caller could not say)"
        }
    }
}

extension ScriptQuestion {
    /// Checks one answer against this question and returns it in canonical form.
    public func validate(_ answer: Answer) throws -> Answer {
        switch (datatype, answer) {
        case (_, .notKnown):
            return .notKnown
        case (.multivaluelist, .value(let single)):
            return try validate(.values(single.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }))
        case (.multivaluelist, .values(let chosen)):
            guard !chosen.isEmpty else { throw invalid("choose at least one of: \(values.joined(separator: ", "))") }
            let canonical = try chosen.map(canonicalListValue)
            guard Set(canonical).count == canonical.count else { throw invalid("a value is given twice") }
            return .values(canonical)
        case (_, .values):
            throw invalid("it takes one value, not a list")
        case (.singlevaluelist, .value(let text)):
            return .value(try canonicalListValue(text))
        case (.number, .value(let text)):
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard let number = Double(trimmed), number.isFinite else { throw invalid("'\(text)' is not a number") }
            return .value(trimmed)
        case (.datetime, .value(let text)):
            guard Self.parseDatetime(text) != nil else {
                throw invalid("'\(text)' is not a date and time: write it as 2026-11-22T21:30:00Z or 2026-11-22T21:30")
            }
            return .value(text)
        case (.string, .value(let text)):
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { throw invalid("the answer is empty; record --not-known if the caller cannot say") }
            guard trimmed.count <= DomainLimits.stringAnswerCharactersMax, !trimmed.contains("\n") else {
                throw invalid("a short answer is one line of at most \(DomainLimits.stringAnswerCharactersMax) characters")
            }
            return .value(trimmed)
        case (.text, .value(let text)):
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { throw invalid("the answer is empty; record --not-known if the caller cannot say") }
            guard trimmed.count <= DomainLimits.textAnswerCharactersMax else {
                throw invalid("it is longer than \(DomainLimits.textAnswerCharactersMax) characters")
            }
            return .value(trimmed)
        }
    }

    private func canonicalListValue(_ text: String) throws -> String {
        let wanted = text.trimmingCharacters(in: .whitespaces)
        guard let match = values.first(where: { $0.caseInsensitiveCompare(wanted) == .orderedSame }) else {
            throw invalid("'\(text)' is not one of: \(values.joined(separator: ", "))")
        }
        return match
    }

    private func invalid(_ why: String) -> DomainError {
        DomainError(.invalidAnswer, "answer to '\(code)' (\(prompt)) is not valid: \(why)")
    }

    /// ISO 8601 with or without zone; a time without zone is taken as UTC by this check only.
    static func parseDatetime(_ text: String) -> Date? {
        if let date = try? zoned.parse(text) { return date }
        if let date = try? unzoned.parse(text) { return date }
        return try? unzoned.parse(text + ":00")
    }

    // Value-type format styles, made once and safe to share across threads.
    static let zoned = Date.ISO8601FormatStyle()
    static let unzoned = Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!).year().month().day()
        .dateTimeSeparator(.standard).time(includingFractionalSeconds: false)
}
