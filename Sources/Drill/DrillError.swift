/// A traffic model, staffing schedule or event list that cannot be run, with what to change.
public struct DrillError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        case invalidProfile
        case invalidStaffing
        case invalidEvent
        case invalidRun
        case tooLarge
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
