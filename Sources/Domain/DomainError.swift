/// A rule of the domain that an input broke, with a message a person can act on.
public struct DomainError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        case invalidValue
        case unknownOrganisation
        case optionNotOperated
        case outOfHours
        case missingRequiredAnswer
        case invalidAnswer
        case unknownQuestion
        case invalidCatalogue
        case lifecycle
        case notFound
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// Several domain errors found together, so a person can fix them all at once.
public struct DomainErrors: Error, Sendable, CustomStringConvertible {
    public let errors: [DomainError]

    public init(_ errors: [DomainError]) {
        precondition(!errors.isEmpty, "DomainErrors needs at least one error")
        self.errors = errors
    }

    public var description: String { errors.map(\.message).joined(separator: "\n") }
}
