import ArgumentParser
import Domain
import Foundation
import Node
import Sodium
import Store

/// `nightdesk lone`: lone-worker sessions (5.2.3.6).
struct LoneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lone",
        abstract: "Lone-worker sessions: officers who check in before going on site and out when they leave (5.2.3.6).",
        discussion: """
            A session is named by the reference of the lone-worker call that started it. Check-out codes are never \
            given on the command line: they are read from NIGHTDESK_LONE_CODE (and NIGHTDESK_LONE_DURESS when \
            starting), else from standard input, one per line, and stored only as salted hashes.
            """,
        subcommands: [Start.self, CheckIn.self, CheckOut.self, Ack.self, Resolve.self, Board.self, Show.self])

    /// Options every lone command that records something takes.
    struct Recording: ParsableArguments {
        @Option(name: .long, help: "When: now, 2026-11-22T21:30 (London) or ISO 8601.") var at: String = "now"
        @Option(name: .long, help: "Handler's id for the record, e.g. wst-akhan.") var handler: String = defaultHandler()
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a session for an officer about to go on site: logs the lone-worker call too.",
            discussion: """
                The codes are read from NIGHTDESK_LONE_CODE and NIGHTDESK_LONE_DURESS, else from standard input \
                (check-out code on the first line, duress code on the second). They must differ in at least two \
                characters. The call is logged under --option (lone-worker-support unless given), whose script \
                answers may be given with --answer; for lone-worker-support they are filled in from the session.
                """)
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: "The Participating Organisation's code, e.g. EAL.") var po: String
        @Option(name: .long, help: "The Service Option the call is logged under.")
        var option: String = loneWorkerOption
        @Option(name: .long, help: "The officer's contact id, e.g. eal-jsmith.") var staff: String
        @Option(name: .long, help: "The officer's name.") var name: String
        @Option(name: .long, help: "The number to call the officer back on.") var callerPhone: String
        @Option(name: .long, help: "Where the officer is going.") var location: String
        @Option(name: .long, help: "What they are doing there.") var task: String
        @Option(name: .long, help: "Minutes the officer expects to be on site.") var minutes: Int
        @Option(name: .long, help: "The officer's manager's contact id, for the urgent escalation.") var manager: String?
        @Option(
            name: .long,
            help: """
                Minutes handlers have to acknowledge an amber alert before it goes red, as agreed with the \
                organisation (default 5).
                """)
        var acknowledgementMinutes: Int?
        @Option(name: .long, parsing: .singleValue, help: "A script answer, code=value; repeatable.")
        var answer: [String] = []
        @Option(name: .long, parsing: .singleValue, help: "A script question the officer could not answer.")
        var notKnown: [String] = []
        @OptionGroup var recording: Recording
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let now = Date()
                let instant = try parseTime(recording.at, option: "--at", now: now)
                let (code, duress) = try readCodes(starting: true)
                let organisation = try OrganisationCode(po)
                let credentials = try LoneWorkerCredentials.enrol(code: code, duressCode: duress) {
                    try CredentialHash(encoded: try PasswordHash.hash($0))
                }
                let officer = try LoneWorkerOfficer(
                    staff: try OnCallContactID(staff), organisation: organisation,
                    manager: try manager.map(OnCallContactID.init), name: name,
                    callerNumber: try PhoneNumber(parsing: callerPhone), credentials: credentials)
                var answers = try parseAnswers(answer, notKnown: notKnown)
                if option == loneWorkerOption {
                    // The lone-worker script asks what the session already holds (5.3.3: ask only what is needed).
                    answers["check_in_type"] = answers["check_in_type"] ?? .value("Arriving on site")
                    answers["staff_identifier"] = answers["staff_identifier"] ?? .value("\(officer.name) (\(staff))")
                    answers["expected_minutes"] = answers["expected_minutes"] ?? .value(String(minutes))
                }
                let draft = CallDraft(
                    organisation: organisation, option: try ServiceOptionCode(option),
                    caller: try Caller(name: officer.name, phone: officer.callerNumber), answers: answers,
                    details: "\(task) at \(location)", action: CallAction(kind: .loneWorker), offeredAt: instant)
                let folder = try dataOptions.open()
                let session = try folder.database.startLoneWorkerSession(
                    draft, officer: officer, location: location, task: task, expectedDuration: .seconds(minutes * 60),
                    acknowledgementWindow: .milliseconds(
                        // Clamped so that any number gives the domain's range error rather than overflowing.
                        acknowledgementMinutes.map { min(max($0, -1_000_000), 1_000_000) * 60_000 }
                            ?? DomainLimits.loneWorkerAcknowledgementWindowMsDefault),
                    author: try HandlerID(recording.handler).rawValue, at: instant, recordedAt: now)
                let view = LoneSessionView(session, at: instant)
                if output.json { return try printJSON(view) }
                print(
                    "Lone worker \(view.reference) started: \(view.officer) at \(view.location), due out by "
                        + "\(london(view.deadline)) (5.2.3.6)")
            }
        }
    }

    struct CheckIn: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkin", abstract: "The officer called to say they need longer on site.")
        @Argument(help: "The session's call reference.") var reference: String
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: "Minutes from now the officer now expects to stay.") var minutes: Int
        @OptionGroup var recording: Recording
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let now = Date()
                let instant = try parseTime(recording.at, option: "--at", now: now)
                let session = try dataOptions.open().database.checkIn(
                    try CallReference(parsing: reference), extendBy: .seconds(minutes * 60),
                    by: try HandlerID(recording.handler), at: instant, recordedAt: now)
                let view = LoneSessionView(session, at: instant)
                if output.json { return try printJSON(view) }
                print("Checked in \(view.reference) (\(view.officer)): due out by \(london(view.deadline))")
            }
        }
    }

    struct CheckOut: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkout",
            abstract: "The officer called to say they have left the site, giving their code.",
            discussion: """
                The code is read from NIGHTDESK_LONE_CODE, else from the first line of standard input. Read the \
                reply printed back to the officer as it stands.
                """)
        @Argument(help: "The session's call reference.") var reference: String
        @OptionGroup var dataOptions: DataOptions
        @OptionGroup var recording: Recording

        func run() throws {
            try runReportingErrors {
                let now = Date()
                let instant = try parseTime(recording.at, option: "--at", now: now)
                let (code, _) = try readCodes(starting: false)
                let reply = try dataOptions.open().database.checkOut(
                    try CallReference(parsing: reference), code: code,
                    verify: { PasswordHash.verify($0, against: $1.encoded) }, by: try HandlerID(recording.handler),
                    at: instant, recordedAt: now)
                // 5.2.3.6: the reply is the same whichever code was given, so nothing else is printed here.
                print(reply.script)
            }
        }
    }

    struct Ack: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Acknowledge an amber (overdue) session: it will not go red by itself while you act on it.")
        @Argument(help: "The session's call reference.") var reference: String
        @OptionGroup var dataOptions: DataOptions
        @OptionGroup var recording: Recording

        func run() throws {
            try runReportingErrors {
                let now = Date()
                let instant = try parseTime(recording.at, option: "--at", now: now)
                let handler = try HandlerID(recording.handler)
                let session = try dataOptions.open().database.acknowledge(
                    try CallReference(parsing: reference), by: handler, at: instant, recordedAt: now)
                print(
                    "Acknowledged amber for \(session.start.call) (\(session.start.officer.name)) by \(handler): "
                        + "call them on \(session.start.officer.callerNumber.e164)")
            }
        }
    }

    struct Resolve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close a session, saying what happened (after an alert, or when it is no longer needed).")
        @Argument(help: "The session's call reference.") var reference: String
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: "What happened, e.g. 'officer found safe by manager'.") var note: String
        @OptionGroup var recording: Recording

        func run() throws {
            try runReportingErrors {
                let now = Date()
                let instant = try parseTime(recording.at, option: "--at", now: now)
                let session = try dataOptions.open().database.resolve(
                    try CallReference(parsing: reference), note: note, by: try HandlerID(recording.handler),
                    at: instant, recordedAt: now)
                print("Resolved \(session.start.call) (\(session.start.officer.name)).")
            }
        }
    }

    struct Board: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every open session: red and amber first, with deadlines in London time.")
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: "Only this organisation's sessions.") var po: String?
        @Option(name: .long, help: "When: now, 2026-11-22T21:30 (London) or ISO 8601.") var at: String = "now"
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let instant = try parseTime(at, option: "--at", now: Date())
                let entries = try dataOptions.open().database.loneWorkerBoard(
                    at: instant, organisation: try po.map(OrganisationCode.init))
                let views = entries.map { LoneSessionView($0.session, at: instant) }
                if output.json { return try printJSON(views) }
                guard !views.isEmpty else { return print("No lone workers on site.") }
                for view in views { print(view.boardLine) }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A session's details and timeline.")
        @Argument(help: "The session's call reference.") var reference: String
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: "When: now, 2026-11-22T21:30 (London) or ISO 8601.") var at: String = "now"
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let instant = try parseTime(at, option: "--at", now: Date())
                let parsed = try CallReference(parsing: reference)
                guard let session = try dataOptions.open().database.loneWorkerSession(parsed) else {
                    throw DomainError(.notFound, "no lone-worker session is held here for \(parsed)")
                }
                let view = LoneSessionView(session, at: instant)
                if output.json { return try printJSON(view) }
                print(view.boardLine)
                print("  \(view.task); call back on \(view.callerPhone)")
                for event in session.timeline { print("  \(LoneSessionView.line(event))") }
            }
        }
    }
}

/// The Service Option lone-worker calls are logged under unless another is given.
let loneWorkerOption = "lone-worker-support"

/// The officer's codes from the environment, else from standard input, one per line: never from argv, where
/// other users of the machine could read them.
func readCodes(starting: Bool) throws -> (code: String, duress: String) {
    let environment = ProcessInfo.processInfo.environment
    func next(_ variable: String, _ what: String) throws -> String {
        if let value = environment[variable], !value.isEmpty { return value }
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw DomainError(
                .invalidValue, "no \(what) was given: set \(variable) or give it on standard input, never as an option")
        }
        return line
    }
    let code = try next("NIGHTDESK_LONE_CODE", "check-out code")
    return (code, starting ? try next("NIGHTDESK_LONE_DURESS", "duress code") : "")
}
