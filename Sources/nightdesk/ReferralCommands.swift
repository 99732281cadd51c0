import ArgumentParser
import Domain
import Foundation
import Node
import Store

extension CallCommand {
    struct Refer: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Refer a call to On-call Duty Staff: who to contact first, by when, and the SMS to send.",
            discussion: """
                Finds who is on call now (7.5), fixes the escalation plan from the organisation's Escalation \
                Procedure (or the standard one), sets the deadline to the organisation's limit after the call ended \
                (10 minutes unless it set another, 6.4b) and moves the call to referred. Record each attempt with \
                `nightdesk referral attempt`.
                """)
        @Argument(help: "The call's reference.") var reference: String
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: "Sub-category for a narrower rota, e.g. heating.") var subCategory: String?
        @Option(name: .long, help: "When: now, 2026-11-22T21:30 (London) or ISO 8601.") var at: String = "now"
        @Option(name: .long, help: "Handler's name for the record.") var handler: String = defaultHandler()
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let now = Date()
                let instant = try parseTime(at, option: "--at", now: now)
                let parsed = try CallReference(parsing: reference)
                let folder = try dataOptions.open()
                let start = try folder.database.refer(
                    parsed, subCategory: subCategory, author: handler, at: instant, recordedAt: now)
                let view = ReferView(start)
                if output.json {
                    try printJSON(view)
                    return
                }
                let referral = view.referral
                print(
                    "Referred \(referral.reference) (\(referral.organisation) \(referral.option)): pass it on by "
                        + "\(london(referral.deadline)) (6.4b)")
                if let gap = view.rotaGap { print("ROTA GAP: \(gap)") }
                if !start.procedureSet { print("  no procedure set for this option: following the standard one") }
                print("  first: \(referral.next.text)")
                print("  SMS (\(start.sms.septets)/\(DomainLimits.smsSeptetsMax) characters):")
                for line in start.sms.text.split(separator: "\n", omittingEmptySubsequences: false) {
                    print("    \(line)")
                }
                print("  email subject: \(start.email.subject)")
            }
        }
    }
}

struct ReferralCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "referral",
        abstract: "Follow referrals to On-call Duty Staff through their Escalation Procedure (5.3.2, 6.4b).",
        discussion: "A referral is named by its call's reference.",
        subcommands: [Attempt.self, Next.self, List.self, Show.self, Times.self])

    struct Attempt: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record an attempt to pass a referral: a phone call answered or not, a message sent or failed, "
                + "or an acknowledgement.",
            discussion: """
                The attempt must be the one the procedure asks for next (see `referral next`), or an \
                acknowledgement from someone already contacted. Outcomes: phone answered or no-answer; SMS, email \
                and pager sent; any channel acknowledged or failed.
                """)
        @Argument(help: "The call's reference.") var reference: String
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: "phone, sms, email or pager.") var channel: String
        @Option(name: .long, help: "The contact's id.") var contact: String
        @Option(name: .long, help: "answered, no-answer, sent, acknowledged or failed.") var outcome: String
        @Option(name: .long, help: "When: now, 2026-11-22T21:30 (London) or ISO 8601.") var at: String = "now"
        @Option(name: .long, help: "Handler's name for the record.") var handler: String = defaultHandler()
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let now = Date()
                let instant = try parseTime(at, option: "--at", now: now)
                guard let kind = ChannelKind(rawValue: channel) else {
                    throw DomainError(.invalidValue, "--channel '\(channel)' must be phone, sms, email or pager")
                }
                guard let result = ReferralOutcome(rawValue: outcome) else {
                    throw DomainError(
                        .invalidValue,
                        "--outcome '\(outcome)' must be one of "
                            + ReferralOutcome.allCases.map(\.rawValue).joined(separator: ", "))
                }
                let parsed = try CallReference(parsing: reference)
                let folder = try dataOptions.open()
                let record = try folder.database.recordAttempt(
                    parsed, contact: try OnCallContactID(contact), channel: kind, outcome: result, author: handler,
                    at: instant, recordedAt: now)
                let view = ReferralView(record, at: max(now, instant))
                if output.json {
                    try printJSON(view)
                    return
                }
                print("Recorded \(kind.rawValue) to \(contact): \(result.rawValue). Referral \(view.status).")
                print("  next: \(view.next.text)")
            }
        }
    }

    struct Next: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What to do next with a referral, with the message to send when it is an SMS or email.")
        @Argument(help: "The call's reference.") var reference: String
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: "When: now, 2026-11-22T21:30 (London) or ISO 8601.") var at: String = "now"
        @Flag(
            name: .long,
            help: "When the next step is an SMS or email, put it in the outbox for `nightdesk outbox send` to deliver.")
        var queue = false
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let instant = try parseTime(at, option: "--at", now: Date())
                let parsed = try CallReference(parsing: reference)
                let folder = try dataOptions.open()
                let (record, action) = try folder.database.nextAction(parsed, at: instant)
                if queue {
                    try queueMessage(action, reference: parsed, folder: folder)
                    return
                }
                let view = ReferralView(record, at: instant)
                if output.json {
                    try printJSON(view)
                    return
                }
                print("\(view.line)")
                if let passed = view.passedAt { print("  passed on at \(london(passed))") }
                print("  next: \(view.next.text)")
                if case .contact(_, let channel, _) = action, channel.kind != .phone,
                    let call = try folder.database.callRecord(parsed)?.call
                {
                    if channel.kind == .email {
                        let catalogue = try folder.database.catalogue()
                        if let organisation = catalogue.organisation(call.organisation) {
                            let email = ReferralMessage.email(
                                for: call, organisation: organisation, calendar: catalogue.calendar)
                            print("  subject: \(email.subject)")
                            print(
                                email.body.split(separator: "\n", omittingEmptySubsequences: false)
                                    .map { "    \($0)" }.joined(separator: "\n"))
                        }
                    } else {
                        print("  text:")
                        for line in ReferralMessage.sms(for: call).text.split(separator: "\n") { print("    \(line)") }
                    }
                }
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Referrals not yet acknowledged, soonest deadline first (for supervisors).")
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .customLong("po"), help: "Only this organisation.") var organisation: String?
        @Flag(name: .long, help: "Only those not passed on by their deadline (6.4b).") var overdue = false
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let now = Date()
                let code = try organisation.map(OrganisationCode.init)
                let folder = try dataOptions.open()
                let records =
                    overdue
                    ? try folder.database.overdueReferrals(at: now, organisation: code)
                    : try folder.database.outstandingReferrals(organisation: code)
                let views = records.map { ReferralView($0, at: now) }
                if output.json {
                    try printJSON(views)
                    return
                }
                if views.isEmpty { print(overdue ? "No overdue referrals." : "No referrals waiting.") }
                for view in views { print(view.line) }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A referral's timeline: when it was made, every attempt, and every automatic escalation.",
            discussion: """
                Automatic escalations are those a node recorded when a step's acknowledgement time passed with no \
                acknowledgement (5.3.2): which site, when, and the SMS and email it queued.
                """)
        @Argument(help: "The call's reference.") var reference: String
        @OptionGroup var dataOptions: DataOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let now = Date()
                let parsed = try CallReference(parsing: reference)
                let folder = try dataOptions.open()
                guard let record = try folder.database.referral(parsed) else {
                    throw DomainError(
                        .notFound,
                        "call \(parsed) has no referral here; make one with `nightdesk call refer \(parsed)`")
                }
                let view = ReferralView(record, at: now)
                if output.json {
                    try printJSON(view)
                    return
                }
                print(view.line.split(separator: "\n").first.map(String.init) ?? "")
                var entries: [(Date, Int, String)] = [
                    (view.createdAt, 0, "referred by \(record.author) at \(record.site); pass on by \(london(view.deadline))")
                ]
                for attempt in view.attempts {
                    entries.append(
                        (
                            attempt.at, 1,
                            "\(attempt.channel) to \(attempt.contact): \(attempt.outcome) (\(attempt.author) at \(attempt.site))"
                                + (attempt.counted ? "" : " — not taken by the procedure")
                        ))
                }
                for escalation in view.timerEscalations { entries.append((escalation.at, 2, escalation.summary)) }
                for (at, _, text) in entries.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
                    print("  \(london(at))  \(text)")
                }
                print("  next: \(view.next.text)")
            }
        }
    }

    struct Times: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time taken to pass on referrals in a month, by Service Option (11.7.3 g–h).",
            discussion: "From the end of each call to the first successful dispatch; cases over the limit are listed.")
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .customLong("po"), help: "Participating Organisation code.") var organisation: String
        @Option(name: .long, help: "The month, YYYY-MM.") var month: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let code = try OrganisationCode(organisation)
                let parsed = try LocalMonth(parsing: month)
                let folder = try dataOptions.open()
                let summaries = DispatchSummary.of(
                    try folder.database.referrals(organisation: code, month: parsed), at: Date())
                if output.json {
                    try printJSON(summaries)
                    return
                }
                if summaries.isEmpty { print("No referrals for \(code) in \(parsed).") }
                func minutes(_ seconds: Double?) -> String {
                    seconds.map { String(format: "%d:%02d", Int($0) / 60, Int($0) % 60) } ?? "-"
                }
                for summary in summaries {
                    print(
                        "\(summary.option): \(summary.cases) passed on, average \(minutes(summary.averageSeconds)), "
                            + "longest \(minutes(summary.maxSeconds))")
                    if !summary.overLimit.isEmpty {
                        print("  over the limit: " + summary.overLimit.map(\.description).joined(separator: ", "))
                    }
                }
            }
        }
    }
}

struct ReferView: Encodable {
    struct SMS: Encodable {
        let text: String
        let septets: Int
    }
    struct Email: Encodable {
        let subject: String
        let body: String
    }

    let referral: ReferralView
    let procedureSet: Bool
    let rotaGap: String?
    let sms: SMS
    let email: Email

    init(_ start: ReferralStart) {
        referral = ReferralView(start.referral, at: start.referral.createdAt)
        procedureSet = start.procedureSet
        if case .rotaGap(let gap) = start.answer { rotaGap = gap.description } else { rotaGap = nil }
        sms = SMS(text: start.sms.text, septets: start.sms.septets)
        email = Email(subject: start.email.subject, body: start.email.body)
    }
}

extension ReferralCommand.Next {
    /// Queues the next step's SMS or email in the replicated outbox (5.2.5: the SMS gives name, address, phone,
    /// details and reference first) and prints its id; any other next step is refused with what to do instead.
    func queueMessage(_ action: EscalationAction, reference: CallReference, folder: NodeFolder) throws {
        guard case .contact(let contact, let channel, _) = action else {
            throw DomainError(.invalidValue, "the next step is not a message to send; see `nightdesk referral next \(reference)`")
        }
        guard let call = try folder.database.callRecord(reference)?.call else {
            throw DomainError(.notFound, "no call with reference \(reference) is held here")
        }
        let draft: OutboxDraft
        switch channel {
        case .sms(let number):
            draft = OutboxDraft(
                organisation: call.organisation, channel: .sms, recipient: number.e164,
                body: ReferralMessage.sms(for: call).text, callReference: reference)
        case .email(let address):
            let catalogue = try folder.database.catalogue()
            guard let organisation = catalogue.organisation(call.organisation) else {
                throw DomainError(.notFound, "organisation \(call.organisation) is not in the catalogue")
            }
            let email = ReferralMessage.email(for: call, organisation: organisation, calendar: catalogue.calendar)
            draft = OutboxDraft(
                organisation: call.organisation, channel: .email, recipient: address.rawValue, subject: email.subject,
                body: email.body, callReference: reference)
        case .phone, .pager:
            throw DomainError(
                .invalidValue,
                "the next step is to \(channel.kind) \(contact.name), which a person does: record the outcome with "
                    + "`nightdesk referral attempt`")
        }
        let id = try folder.database.enqueue(draft, at: Date())
        print("queued \(draft.channel.rawValue) to \(contact.name) as outbox message \(id); deliver with `nightdesk outbox send`")
    }
}
