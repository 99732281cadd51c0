import Foundation
import Logging
import Store

/// Delivers outbox messages under the delivery rule (README, "Messages: the outbox"): every attempt is recorded
/// before the transport is asked and its result after, and a message whose sent result is recorded is never sent
/// again. `outbox send` runs it over this site's own messages; the node's `OutboxService` over those its
/// `DeliveryElection` gives it, which include another site's when that site is lost (a takeover).
///
/// An attempt that began and never got a result (its sender stopped between the two) is the one case that
/// needs a rule, and this is the only place that applies it. Such an attempt may still be under way until it is
/// older than `policy.interruptedAfterMs`, which is longer than any transport's time limit; nothing is sent for
/// the message until then. After that:
///
/// - **This site's own attempt** is closed here as `interrupted`, unless its transport looks the message up by
///   its reference and finds it (Notify, the file transport): then it is recorded as sent and not sent again —
///   **exactly once**. Otherwise (not found, or sendmail, which cannot tell) the message is sent again.
/// - **Another site's attempt** (a site lost mid-send) is never closed here: only the site that made an attempt
///   records its result, so the record keeps it without one. The survivor asks its own transport only when that
///   transport can see what the other site's took (`lookUpCoversOtherSites`: Notify, one service for the
///   cluster); if it finds the message it records an attempt of its own as sent, without sending — exactly
///   once. Otherwise it sends the message through its own transport — **at least once**: a file transport at
///   the lost site, or sendmail, may already have taken it.
///
/// At least once rather than at most once because a referral that never arrives is worse than one that arrives
/// twice (6.4b, 5.3.2); a resent email keeps its Message-ID so mail clients can tell it is the same message.
/// Failures are retried after a wait that doubles with each failure (`OutboxRetryPolicy`), until
/// `OutboxLimits.attemptsMax` attempts have been begun at any site; then, or when the provider rejects the
/// message, it is given up, logged at error level and left to a person (5.3.2).
public struct OutboxDelivery: Sendable {
    /// What happened to one message in a run.
    public enum Result: String, Codable, Sendable {
        /// Handed to its transport.
        case sent
        /// An interrupted attempt had sent it after all: the transport found it by its reference.
        case foundSent = "found-sent"
        /// Not sent; tried again in a later run, unless `givenUp`.
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
        /// The interrupted attempt this run closed first, or another site's left without a result, if any.
        public let interrupted: OutboxAttemptID?
        /// The site that queued the message, when it is not this one: this run took it over.
        public let takenOverFrom: String?
        /// No more automatic attempts: rejected, or the last attempt allowed failed (5.3.2).
        public let givenUp: Bool
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

    /// Sends up to `limit` pending messages queued by `queuers`, oldest first, one after another.
    public func run(limit: Int = OutboxLimits.pendingBatchMax, queuedBy queuers: OutboxQueuers = .here) async throws
        -> [Entry]
    {
        let here = try database.site().rawValue
        var entries: [Entry] = []
        for message in try database.pendingMessages(limit: limit, at: clock(), policy: policy, queuedBy: queuers) {
            entries.append(try await deliver(message, here: here))
        }
        return entries
    }

    func deliver(_ message: OutboxMessage) async throws -> Entry {
        try await deliver(message, here: try database.site().rawValue)
    }

    func deliver(_ message: OutboxMessage, here: String) async throws -> Entry {
        let takenOverFrom = message.createdBySite == here ? nil : message.createdBySite
        func entry(
            _ result: Result, transport: String? = nil, attempt: OutboxAttemptID? = nil, providerID: String? = nil,
            error: String? = nil, interrupted: OutboxAttemptID? = nil, givenUp: Bool = false
        ) -> Entry {
            Entry(
                message: message.id, channel: message.channel, recipient: message.recipient, transport: transport,
                result: result, attempt: attempt, providerID: providerID, error: error, interrupted: interrupted,
                takenOverFrom: takenOverFrom, givenUp: givenUp)
        }
        guard let transport = transports[message.channel] else {
            return entry(.noTransport, error: "the transports file names no transport for \(message.channel)")
        }
        var metadata: Logger.Metadata = [
            "outbox.message": "\(message.id)", "outbox.channel": "\(message.channel)",
            "outbox.transport": "\(transport.name)",
        ]
        if let takenOverFrom { metadata["outbox.queued_by"] = "\(takenOverFrom)" }
        func givenUp(
            _ text: String, result: Result = .failed, attempt: OutboxAttemptID? = nil,
            interrupted: OutboxAttemptID? = nil
        ) -> Entry {
            logger.error("message given up, left to a person (5.3.2): \(text)", metadata: metadata)
            return entry(
                result, transport: transport.name, attempt: attempt, error: text, interrupted: interrupted,
                givenUp: true)
        }
        let stale = clock().milliseconds - policy.interruptedAfterMs
        // This site's own open attempt: the one read with the message, so that one settled since by another sender
        // at this site is left to it; else any older than the bound (another site's attempt may be newer).
        var own = message.openAttempt?.site == here ? message.openAttempt : nil
        var foreign: OutboxAttempt?
        if own == nil, message.openAttempt != nil {
            let open = try database.attempts(of: message.id).filter { $0.outcome == nil }
            own = open.first { $0.site == here && $0.startedAt.milliseconds <= stale }
            foreign = open.last { $0.site != here }
        }
        var interrupted: OutboxAttemptID?
        if let open = own {
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
            guard message.attempts < OutboxLimits.attemptsMax else {
                return givenUp("\(message.attempts) attempts, the most allowed", interrupted: interrupted)
            }
        } else if let open = foreign, open.startedAt.milliseconds <= stale {
            // A lost site's attempt, left without a result: only a transport that sees what the other site's took
            // can say it was sent; this site records the finding as an attempt of its own, and sends nothing.
            interrupted = open.id
            if open.transport == transport.name, transport.lookUpCoversOtherSites,
                case .accepted(let receipt)? = try? await transport.lookUp(message)
            {
                do {
                    let attempt = try database.beginAttempt(
                        message.id, transport: transport.name, at: clock(), takingOver: true,
                        interruptedAfterMs: policy.interruptedAfterMs)
                    try database.finishAttempt(
                        attempt, outcome: .sent, providerID: receipt.providerID, error: nil, at: clock())
                    logger.info("a lost site's attempt had sent the message", metadata: metadata)
                    return entry(
                        .foundSent, transport: transport.name, attempt: attempt, providerID: receipt.providerID,
                        interrupted: interrupted)
                } catch let error as OutboxError {
                    return entry(.skipped, transport: transport.name, error: error.description)
                }
            }
            logger.warning(
                "taking over a message whose sender stopped mid-send; sent again (at least once)",
                metadata: metadata.merging(["outbox.attempt_left_open": "\(open.id)"]) { $1 })
        }
        let attempt: OutboxAttemptID
        do {
            attempt = try database.beginAttempt(
                message.id, transport: transport.name, at: clock(), takingOver: takenOverFrom != nil,
                interruptedAfterMs: policy.interruptedAfterMs)
        } catch OutboxError.givenUp(_, let attempts) {
            return givenUp("\(attempts) attempts, the most allowed", interrupted: interrupted)
        } catch let error as OutboxError {
            return entry(.skipped, transport: transport.name, error: error.description, interrupted: interrupted)
        }
        metadata["outbox.attempt"] = "\(attempt)"
        // This attempt is the last allowed when, with it, `attemptsMax` have been begun (any own open attempt,
        // closed above, is among `message.attempts`).
        let last = message.attempts + 1 >= OutboxLimits.attemptsMax
        do {
            let receipt = try await transport.send(message)
            try database.finishAttempt(attempt, outcome: .sent, providerID: receipt.providerID, error: nil, at: clock())
            logger.info(takenOverFrom == nil ? "message sent" : "message sent for a lost site", metadata: metadata)
            return entry(
                .sent, transport: transport.name, attempt: attempt, providerID: receipt.providerID,
                interrupted: interrupted)
        } catch let error as TransportError {
            try database.finishAttempt(
                attempt, outcome: error.outcome, providerID: nil, error: error.message, at: clock())
            metadata["outbox.outcome"] = "\(error.outcome)"
            if error.kind == .rejected || last {
                return givenUp(
                    error.message, result: error.kind == .rejected ? .rejected : .failed, attempt: attempt,
                    interrupted: interrupted)
            }
            logger.warning("message not sent: \(error.message)", metadata: metadata)
            return entry(
                .failed, transport: transport.name, attempt: attempt, error: error.message, interrupted: interrupted)
        } catch {
            let text = "\(transport.name) failed: \(error)"
            try database.finishAttempt(attempt, outcome: .failed, providerID: nil, error: text, at: clock())
            if last { return givenUp(text, attempt: attempt, interrupted: interrupted) }
            logger.warning("message not sent", metadata: metadata)
            return entry(.failed, transport: transport.name, attempt: attempt, error: text, interrupted: interrupted)
        }
    }
}
