import Foundation
import Store

/// What a transport says when it has taken a message.
public struct DeliveryReceipt: Sendable, Equatable, Codable {
    /// The transport's name, as recorded on the attempt.
    public let transport: String
    /// The provider's own identifier for the message, for tracing it with them (Notify's notification id).
    public let providerID: String?

    public init(transport: String, providerID: String?) {
        self.transport = transport
        self.providerID = providerID
    }
}

/// What a transport knows of a message it may have taken during an interrupted attempt.
public enum LookupResult: Sendable, Equatable {
    /// It holds the message: it was sent, and must not be sent again.
    case accepted(DeliveryReceipt)
    /// It holds nothing with the message's reference: sending it again sends it once.
    case notFound
    /// It cannot say (sendmail hands mail on and keeps no record we can ask).
    case cannotTell
}

/// A way to deliver outbox messages: a mail command, GOV.UK Notify, or a file for the demo.
///
/// `send` either returns once the transport has taken the message or throws; it never takes longer than the
/// transport's own time limit, which `TransportLimits` keeps below the outbox's interruption bound so an
/// attempt under way is never mistaken for an interrupted one.
public protocol MessageTransport: Sendable {
    /// Recorded on every attempt: `sendmail`, `notify` or `file`.
    var name: String { get }
    /// The channels it can carry.
    var channels: Set<OutboxChannel> { get }
    /// Hands one message over; the message id travels with it as its reference (Message-ID, Notify `reference`).
    func send(_ message: OutboxMessage) async throws -> DeliveryReceipt
    /// Whether the transport already holds the message, looked up by its reference.
    func lookUp(_ message: OutboxMessage) async throws -> LookupResult
    /// Whether `lookUp` also finds what another site's transport of the same name took: true for Notify, where
    /// every site sends through the cluster's one Notify service; false for a file (each site writes its own)
    /// and for sendmail (which cannot look anything up).
    var lookUpCoversOtherSites: Bool { get }
}

extension MessageTransport {
    public func lookUp(_ message: OutboxMessage) async throws -> LookupResult { .cannotTell }
    public var lookUpCoversOtherSites: Bool { false }
}

/// A send that did not happen, worded for the operator; never includes a message body or a key.
public struct TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// The message itself was refused (a bad number, a missing template): trying again cannot help.
        case rejected
        /// The transport could not take it now (network, provider down, rate limit, a mail command failing).
        case failed
    }

    public let kind: Kind
    public let transport: String
    public let message: String

    public init(_ kind: Kind, transport: String, _ message: String) {
        self.kind = kind
        self.transport = transport
        self.message = message
    }

    /// The outcome recorded on the attempt.
    public var outcome: AttemptOutcome { kind == .rejected ? .rejected : .failed }

    public var description: String { "\(transport): \(message)" }
}
