import Foundation
import Logging
import Store

/// Delivers the messages this site queued, each once per run, under the delivery rule (README, "Messages: the
/// outbox"): every attempt is recorded before the transport is asked and its result after.
///
/// The rule for an attempt that began and never got a result (the sender stopped between the two): it is
/// closed as interrupted once it is older than `policy.interruptedAfterMs`, and the message is then sent again
/// (at least once) unless its transport can look the message up by its reference and finds it, in which case
/// it is recorded as sent and not sent again (Notify, the file transport). A referral that never arrives is worse
/// than one that arrives twice (6.4b, 5.3.2).
public struct OutboxDelivery: Sendable {
    /// What happened to one message in a run.
    public enum Result: String, Codable, Sendable {
        /// Handed to its transport.
        case sent
        /// An interrupted attempt had sent it after all: the transport found it by its reference.
        case foundSent = "found-sent"
        /// Not sent; tried again in a later run.
        case failed
        /// Refused by the provider; not tried again (5.3.2: a person follows the Escalation Procedure).
        case rejected
        /// The transports file names no transport for its channel; no attempt was made.
        case noTransport = "no-transport"
        /// Another sender got there first (an attempt under way, or already sent).
        case skipped
    }

    /// One message's part of a run; never the body.
    public struct Entry: Codable, Sendable, Equatable {
        public let message: OutboxMessageID
        public let channel: OutboxChannel
        public let recipient: String
        public let transport: String?
        public let result: Result
        public let attempt: OutboxAttemptID?
        public let providerID: String?
        public let error: String?
        /// The interrupted attempt this run closed first, if any.
        public let interrupted: OutboxAttemptID?
    }

    public let database: AppDatabase
    public let transports: [OutboxChannel: any MessageTransport]
    public let policy: OutboxRetryPolicy
    let clock: @Sendable () -> Date
    let logger: Logger

    public init(
        database: AppDatabase, transports: [OutboxChannel: any MessageTransport],
        policy: OutboxRetryPolicy = OutboxRetryPolicy(), clock: @escaping @Sendable () -> Date = { Date() },
        logger: Logger
    ) {
        precondition(
            Int64(TransportLimits.transportTimeoutMsMax) < OutboxLimits.interruptedAfterMsDefault,
            "a transport's time limit must end before its attempt can be taken as interrupted")
        self.database = database
        self.transports = transports
        self.policy = policy
        self.clock = clock
        self.logger = logger
    }

    /// Sends up to `limit` pending messages, oldest first, one after another.
    public func run(limit: Int = OutboxLimits.pendingBatchMax) async throws -> [Entry] {
        var entries: [Entry] = []
        for message in try database.pendingMessages(limit: limit, at: clock(), policy: policy) {
            entries.append(try await deliver(message))
        }
        return entries
    }

    func deliver(_ message: OutboxMessage) async throws -> Entry {
        func entry(
            _ result: Result, transport: String? = nil, attempt: OutboxAttemptID? = nil, providerID: String? = nil,
            error: String? = nil, interrupted: OutboxAttemptID? = nil
        ) -> Entry {
            Entry(
                message: message.id, channel: message.channel, recipient: message.recipient, transport: transport,
                result: result, attempt: attempt, providerID: providerID, error: error, interrupted: interrupted)
        }
        guard let transport = transports[message.channel] else {
            return entry(.noTransport, error: "the transports file names no transport for \(message.channel)")
        }
        var metadata: Logger.Metadata = [
            "outbox.message": "\(message.id)", "outbox.channel": "\(message.channel)",
            "outbox.transport": "\(transport.name)",
        ]
        var interrupted: OutboxAttemptID?
        if let open = message.openAttempt {
            // Only an attempt made with this same transport can be looked up there.
            let found: LookupResult
            do {
                found = open.transport == transport.name ? try await transport.lookUp(message) : .cannotTell
            } catch {
                logger.warning("cannot look up an interrupted attempt", metadata: metadata)
                return entry(
                    .failed, transport: transport.name, attempt: open.id,
                    error:
                        "attempt \(open.id) was interrupted and \(transport.name) could not be asked whether it took "
                        + "the message (\(error)); it is asked again next run, and nothing is sent until then")
            }
            // Another sender at this site may have settled the attempt since it was read: then this run skips it.
            do {
                switch found {
                case .accepted(let receipt):
                    try database.finishAttempt(
                        open.id, outcome: .sent, providerID: receipt.providerID, error: nil, at: clock())
                    logger.info("interrupted attempt had sent the message", metadata: metadata)
                    return entry(
                        .foundSent, transport: transport.name, attempt: open.id, providerID: receipt.providerID)
                case .notFound:
                    try database.finishAttempt(
                        open.id, outcome: .interrupted, providerID: nil,
                        error: "interrupted with no result; \(transport.name) holds no message with this reference, "
                            + "so it is sent again", at: clock())
                case .cannotTell:
                    try database.finishAttempt(
                        open.id, outcome: .interrupted, providerID: nil,
                        error: "interrupted with no result; \(open.transport) cannot say whether it took the message, "
                            + "so it is sent again (at least once)", at: clock())
                }
            } catch let error as OutboxError {
                return entry(.skipped, transport: transport.name, attempt: open.id, error: error.description)
            }
            interrupted = open.id
            guard message.failures + 1 < OutboxLimits.attemptsMax else {
                return entry(
                    .failed, transport: transport.name, error: "given up after \(OutboxLimits.attemptsMax) attempts",
                    interrupted: interrupted)
            }
        }
        let attempt: OutboxAttemptID
        do {
            attempt = try database.beginAttempt(message.id, transport: transport.name, at: clock())
        } catch let error as OutboxError {
            return entry(.skipped, transport: transport.name, error: error.description, interrupted: interrupted)
        }
        metadata["outbox.attempt"] = "\(attempt)"
        do {
            let receipt = try await transport.send(message)
            try database.finishAttempt(attempt, outcome: .sent, providerID: receipt.providerID, error: nil, at: clock())
            logger.info("message sent", metadata: metadata)
            return entry(
                .sent, transport: transport.name, attempt: attempt, providerID: receipt.providerID,
                interrupted: interrupted)
        } catch let error as TransportError {
            try database.finishAttempt(
                attempt, outcome: error.outcome, providerID: nil, error: error.message, at: clock())
            metadata["outbox.outcome"] = "\(error.outcome)"
            logger.warning("message not sent: \(error.message)", metadata: metadata)
            return entry(
                error.kind == .rejected ? .rejected : .failed, transport: transport.name, attempt: attempt,
                error: error.message, interrupted: interrupted)
        } catch {
            let text = "\(transport.name) failed: \(error)"
            try database.finishAttempt(attempt, outcome: .failed, providerID: nil, error: text, at: clock())
            logger.warning("message not sent", metadata: metadata)
            return entry(.failed, transport: transport.name, attempt: attempt, error: text, interrupted: interrupted)
        }
    }
}
