import ArgumentParser
import Domain
import Foundation
import Logging
import Node
import Store

struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Queue, list and send SMS and email messages to On-call Duty Staff.",
        discussion: """
            Every message and every attempt to send it is replicated to the other sites. A running node whose site \
            delivers sends the messages of its own site, and those of a lost site when it is next in rank; \
            `outbox send` sends this site's own. Each attempt is recorded before the transport is asked and its \
            result after, and a message that was sent is never sent again. See README, "Messages: the outbox".
            """,
        subcommands: [List.self, Show.self, Enqueue.self, Send.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List messages, newest first.")

        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: "Only messages in this state: queued, sending, sent or failed.") var status: String?
        @Option(name: .customLong("po"), help: "Only this Participating Organisation's messages, e.g. EAL.")
        var organisation: String?
        @Option(name: .long, help: "At most this many (default and maximum \(OutboxLimits.listMax)).")
        var limit: Int = OutboxLimits.listMax
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let state = try status.map { text in
                    guard let state = OutboxStatus(rawValue: text) else {
                        throw ValidationError(
                            "--status '\(text)' must be one of "
                                + OutboxStatus.allCases.map(\.rawValue).joined(separator: ", "))
                    }
                    return state
                }
                let folder = try dataOptions.open()
                let messages = try folder.database.outbox(
                    status: state, organisation: try organisation.map(OrganisationCode.init), limit: limit)
                if output.json {
                    try printJSON(messages)
                    return
                }
                if messages.isEmpty { print("no messages") }
                for message in messages {
                    var line =
                        "\(message.id)  \(message.status.rawValue)  \(message.organisation)  "
                        + "\(message.channel.rawValue) to \(message.recipient)  queued \(london(message.createdAt)) "
                        + "at \(message.createdBySite)  \(message.attempts) attempt\(message.attempts == 1 ? "" : "s")"
                    if let reference = message.callReference { line += "  call \(reference)" }
                    if let sender = message.sentBySite { line += "  sent by \(sender)" }
                    if message.givenUp { line += "  given up" }
                    print(line)
                    if message.status == .failed, let error = message.lastError { print("    last error: \(error)") }
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one message and every attempt to send it.")

        @OptionGroup var dataOptions: DataOptions
        @Argument(help: "The message id, as `outbox list` shows it.") var id: String
        @OptionGroup var output: OutputOptions

        struct View: Encodable {
            let message: OutboxMessage
            let attempts: [OutboxAttempt]
        }

        func run() throws {
            try runReportingErrors {
                let folder = try dataOptions.open()
                let id = try OutboxMessageID(parsing: id)
                guard let message = try folder.database.outboxMessage(id) else { throw OutboxError.messageNotFound(id) }
                let attempts = try folder.database.attempts(of: id)
                if output.json {
                    try printJSON(View(message: message, attempts: attempts))
                    return
                }
                print(
                    "\(message.id)  \(message.status.rawValue)  \(message.channel.rawValue) to \(message.recipient)  "
                        + "queued at \(message.createdBySite)"
                        + (message.sentBySite.map { "  sent by \($0)" } ?? "") + (message.givenUp ? "  given up" : ""))
                if let subject = message.subject { print("subject: \(subject)") }
                print(message.body)
                for attempt in attempts {
                    var line =
                        "  attempt \(attempt.id) at \(attempt.site) via \(attempt.transport), "
                        + "started \(london(attempt.startedAt))"
                    if let outcome = attempt.outcome { line += ": \(outcome.rawValue)" } else { line += ": no result" }
                    if let provider = attempt.providerID { line += " (\(provider))" }
                    if let error = attempt.error { line += " — \(error)" }
                    print(line)
                }
            }
        }
    }

    struct Enqueue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue a message (normally queued by a referral; this is for operators and tests).",
            discussion: """
                An SMS goes to a UK number and must fit one message: 160 GSM-7 characters (5.2.5). An email needs \
                --subject. Nothing is sent until `nightdesk outbox send` runs.
                """)

        @OptionGroup var dataOptions: DataOptions
        @Option(name: .customLong("po"), help: "Participating Organisation code, e.g. EAL.") var organisation: String
        @Option(name: .long, help: "sms or email.") var channel: String
        @Option(name: .long, help: "A UK phone number for SMS, an email address for email.") var to: String
        @Option(name: .long, help: "The email's subject.") var subject: String?
        @Option(name: .long, help: "The message.") var body: String
        @Option(name: .long, help: "The call it is about, e.g. WST-7KQ-M4XP.") var call: String?
        @Option(name: .long, help: "The referral it belongs to.") var referral: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                guard let channel = OutboxChannel(rawValue: channel) else {
                    throw ValidationError("--channel '\(channel)' must be sms or email")
                }
                let folder = try dataOptions.open()
                let draft = OutboxDraft(
                    organisation: try OrganisationCode(organisation), channel: channel, recipient: to, subject: subject,
                    body: body, referralID: referral, callReference: try call.map(CallReference.init(parsing:)))
                let id = try folder.database.enqueue(draft, at: Date())
                if output.json {
                    try printJSON(["id": id.rawValue])
                } else {
                    print(id)
                }
            }
        }
    }

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send this site's pending messages, each once, through the transports file's transports.",
            discussion: """
                Exit status 0 when every message tried was sent (or none was pending), 75 when some were not: they \
                are tried again by a later run (after --retry-delay-ms), or, if the provider refused them, left \
                for a person (5.3.2). An attempt with no result for --interrupted-after-ms was interrupted: the \
                message is looked up at its transport if it can say (Notify, file) and otherwise sent again.
                """)

        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: "The transports file ([transports] section; see README).") var transports: String
        @Option(name: .long, help: "Send at most this many (at most \(OutboxLimits.pendingBatchMax)).")
        var limit: Int = OutboxLimits.pendingBatchMax
        @Option(
            name: .long,
            help: ArgumentHelp(
                "Wait after a first failed attempt before the next, milliseconds; doubled after each further "
                    + "failure, up to \(OutboxLimits.retryDelayMsMax)."))
        var retryDelayMs: Int64 = OutboxLimits.retryDelayMsDefault
        @Option(name: .long, help: "Take an attempt with no result for this long as interrupted, milliseconds.")
        var interruptedAfterMs: Int64 = OutboxLimits.interruptedAfterMsDefault
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (1...OutboxLimits.pendingBatchMax).contains(limit) else {
                throw ValidationError("--limit must be from 1 to \(OutboxLimits.pendingBatchMax)")
            }
            guard (0...86_400_000).contains(retryDelayMs) else {
                throw ValidationError("--retry-delay-ms must be from 0 to 86400000")
            }
            guard (0...86_400_000).contains(interruptedAfterMs) else {
                throw ValidationError("--interrupted-after-ms must be from 0 to 86400000")
            }
        }

        func run() async throws {
            var entries: [OutboxDelivery.Entry] = []
            try await runReportingErrorsAsync {
                let folder = try dataOptions.open()
                let configuration = try TransportsConfiguration.load(path: transports)
                var logger = Logger(label: "nightdesk.outbox", factory: { StreamLogHandler.standardError(label: $0) })
                logger.logLevel =
                    ProcessInfo.processInfo.environment["NIGHTDESK_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
                    ?? .error
                logger[metadataKey: "node.site"] = "\(folder.site)"
                let delivery = OutboxDelivery(
                    database: folder.database, transports: configuration.byChannel,
                    policy: OutboxRetryPolicy(retryDelayMs: retryDelayMs, interruptedAfterMs: interruptedAfterMs),
                    logger: logger)
                entries = try await delivery.run(limit: limit)
            }
            if output.json {
                try printJSON(entries)
            } else {
                for entry in entries {
                    var line =
                        "\(entry.result.rawValue)  \(entry.message)  \(entry.channel.rawValue) to \(entry.recipient)"
                    if let transport = entry.transport { line += " via \(transport)" }
                    if let provider = entry.providerID { line += " (\(provider))" }
                    if let interrupted = entry.interrupted {
                        line += "; interrupted attempt \(interrupted) closed first"
                    }
                    print(line)
                    if let error = entry.error, entry.result != .sent { print("    \(error)") }
                }
                let sent = entries.filter { $0.result == .sent || $0.result == .foundSent }.count
                print("\(sent) of \(entries.count) pending message\(entries.count == 1 ? "" : "s") sent")
            }
            let unsent = entries.filter { ![.sent, .foundSent, .skipped].contains($0.result) }
            if !unsent.isEmpty { throw ExitCode(75) }
        }
    }
}

/// `runReportingErrors` for an async body: the same messages and exit codes.
func runReportingErrorsAsync(_ body: () async throws -> Void) async throws {
    var failure: (any Error)?
    do { try await body() } catch { failure = error }
    if let failure { try runReportingErrors { throw failure } }
}
