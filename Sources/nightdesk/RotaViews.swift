import Domain
import Foundation
import Store

// What the rota, procedure and referral commands print with --json, and the text helpers they share.

/// A UK number as a person dials it at home, grouped as it is read aloud: `020 7946 0123`, `07700 900123`.
func national(_ number: PhoneNumber) -> String {
    let digits = Array("0" + number.e164.dropFirst(3))
    guard digits.count == 11 else { return String(digits) }
    // 02x numbers are area code, then four and four; the rest are read as five then six.
    let groups = digits[1] == "2" ? [3, 4, 4] : [5, 6]
    var rest = digits[...]
    return groups.map { size in
        defer { rest = rest.dropFirst(size) }
        return String(rest.prefix(size))
    }.joined(separator: " ")
}

/// A channel as a handler reads it: `phone 02079460101`, `email a@example.org`.
func spoken(_ channel: ContactChannel) -> String {
    switch channel {
    case .phone(let number): "phone \(national(number))"
    case .sms(let number): "SMS \(national(number))"
    case .email(let address): "email \(address)"
    case .pager(let number): "pager \(national(number))"
    }
}

/// The number or address of a channel.
func channelAddress(_ channel: ContactChannel) -> String {
    switch channel {
    case .phone(let number), .sms(let number), .pager(let number): national(number)
    case .email(let address): address.rawValue
    }
}

struct ChannelView: Encodable {
    let kind: String
    let address: String

    init(_ channel: ContactChannel) {
        kind = channel.kind.rawValue
        address = channelAddress(channel)
    }
}

struct ContactView: Encodable {
    let id: String
    let organisation: String
    let name: String
    let role: String
    let phone: String?
    let mobile: String?
    let email: String?
    let pager: String?
    let manager: String?
    let withdrawn: Bool

    init(_ entry: ContactEntry) {
        let contact = entry.contact
        id = contact.id.rawValue
        organisation = contact.organisation.rawValue
        name = contact.name
        role = contact.role.rawValue
        phone = contact.phone.map(national)
        mobile = contact.mobile.map(national)
        email = contact.email?.rawValue
        pager = contact.pager.map(national)
        manager = contact.manager?.rawValue
        withdrawn = entry.withdrawn
    }
}

/// Why a person is on call, in words and in parts.
struct ReasonView: Encodable {
    let text: String
    let rule: String
    let layer: String?
    let turn: Int?
    let override: String?
    let replacing: String?
    let from: Date?
    let until: Date?

    init(_ reason: OnCallReason) {
        switch reason.rule {
        case .rotation(let layer, let priority, let turn, let startsAt, let endsAt):
            rule = "rotation"
            self.layer = layer
            self.turn = turn
            override = nil
            replacing = nil
            from = startsAt
            until = endsAt
            text =
                "stage \(reason.stage), layer '\(layer)' (priority \(priority)), turn \(turn): "
                + "\(london(startsAt)) – \(endsAt.map(london) ?? "open-ended")"
        case .override(let id, let replaced, let startsAt, let endsAt):
            rule = "override"
            layer = nil
            turn = nil
            override = id.rawValue
            replacing = replaced?.rawValue
            from = startsAt
            until = endsAt
            text =
                "stage \(reason.stage), override \(id)" + (replaced.map { " covering \($0)" } ?? "")
                + ": \(london(startsAt)) – \(london(endsAt))"
        }
    }
}

struct OnCallView: Encodable {
    struct Person: Encodable {
        let id: String
        let name: String
        let role: String
        let channels: [ChannelView]
        let reason: ReasonView
    }
    struct Stage: Encodable {
        let number: Int
        let name: String
        let people: [Person]
    }

    let organisation: String
    let option: String
    let at: Date
    let rotaGap: Bool
    let message: String?
    let rota: String?
    let stages: [Stage]

    init(_ answer: OnCallAnswer, organisation: OrganisationCode, option: ServiceOptionCode, at: Date) {
        self.organisation = organisation.rawValue
        self.option = option.rawValue
        self.at = at
        switch answer {
        case .rotaGap(let gap):
            rotaGap = true
            message = "ROTA GAP: " + gap.description
            rota = nil
            stages = []
        case .onCall(let list):
            rotaGap = false
            message = nil
            rota = list.rota.rawValue
            stages = list.stages.map { stage in
                Stage(
                    number: stage.number, name: stage.name,
                    people: stage.people.map { person in
                        Person(
                            id: person.contact.id.rawValue, name: person.contact.name,
                            role: person.contact.role.rawValue, channels: person.channels.map(ChannelView.init),
                            reason: ReasonView(person.reason))
                    })
            }
        }
    }

    func printText() {
        if let message {
            print(message)
            return
        }
        print("\(organisation) \(option) at \(london(at)), rota \(rota ?? "-"):")
        var position = 0
        for stage in stages {
            print("Stage \(stage.number): \(stage.name)")
            for person in stage.people {
                position += 1
                print("  \(position). \(person.name) (\(person.id)), \(person.role)")
                print("     " + person.channels.map { "\($0.kind) \($0.address)" }.joined(separator: " · "))
                print("     why: \(person.reason.text)")
            }
        }
    }
}

/// What to do next with a referral, with the message to send when the next contact is by SMS, pager or email.
struct ActionView: Encodable {
    let kind: String
    let step: Int?
    let contact: String?
    let name: String?
    let channel: ChannelView?
    let until: Date?
    let acknowledgedBy: String?
    let fallback: FallbackView?
    let text: String

    struct FallbackView: Encodable {
        let emergencyContacts: [String]
        let alertSupervisor: Bool
        let instructions: String
    }

    init(_ action: EscalationAction, emergencyContacts: [OnCallContact]) {
        var step: Int?
        var contact: String?
        var name: String?
        var channel: ChannelView?
        var until: Date?
        var acknowledgedBy: String?
        var fallback: FallbackView?
        switch action {
        case .contact(let person, let how, let number):
            kind = "contact"
            step = number
            contact = person.id.rawValue
            name = person.name
            channel = ChannelView(how)
            text = "step \(number): \(spoken(how)) to \(person.name) (\(person.id))"
        case .wait(let time):
            kind = "wait"
            until = time
            text = "wait for an acknowledgement until \(london(time)); then ask again with `nightdesk referral next`"
        case .done(let person):
            kind = "done"
            acknowledgedBy = person.id.rawValue
            text = "done: acknowledged by \(person.name) (\(person.id))"
        case .exhausted(let plan):
            kind = "exhausted"
            fallback = FallbackView(
                emergencyContacts: plan.emergencyContacts.map(\.rawValue), alertSupervisor: plan.alertSupervisor,
                instructions: plan.instructions)
            var parts = ["everyone in the procedure has been tried (5.3.2)"]
            if plan.alertSupervisor { parts.append("alert the supervisor") }
            for person in emergencyContacts {
                parts.append("call \(person.name) (\(person.id))" + (person.phone.map { " on \(national($0))" } ?? ""))
            }
            if !plan.instructions.isEmpty { parts.append(plan.instructions) }
            text = parts.joined(separator: "; ")
        }
        self.step = step
        self.contact = contact
        self.name = name
        self.channel = channel
        self.until = until
        self.acknowledgedBy = acknowledgedBy
        self.fallback = fallback
    }
}

struct ReferralView: Encodable {
    struct Attempt: Encodable {
        let at: Date
        let contact: String
        let channel: String
        let outcome: String
        let site: String
        let author: String
        let counted: Bool
    }
    struct Planned: Encodable {
        let step: Int
        let contact: String
        let name: String
        let channel: ChannelView
    }

    let reference: String
    let organisation: String
    let option: String
    let status: String
    let createdAt: Date
    let callEndedAt: Date
    let deadline: Date
    let overdue: Bool
    let passedAt: Date?
    let dispatchSeconds: Double?
    let acknowledgedBy: String?
    struct TimerEscalation: Encodable {
        /// The step it started; one past the procedure's last is its fallback.
        let step: Int
        let fallback: Bool
        let at: Date
        let dueAt: Date
        let site: String
        let queued: [TimerEscalationMessage]
        let counted: Bool
    }

    let next: ActionView
    let plan: [Planned]
    let attempts: [Attempt]
    /// Escalations a node recorded on its own when a step's wait ended (5.3.2).
    let timerEscalations: [TimerEscalation]
    /// A timer escalation left something only a person can do (a phone call, a pager message, the fallback).
    let awaitsHandler: Bool

    init(_ record: ReferralRecord, at now: Date) {
        let escalation = record.escalation
        reference = record.reference.description
        organisation = record.organisation.rawValue
        option = record.option.rawValue
        status = record.status.rawValue
        createdAt = record.createdAt
        callEndedAt = escalation.callEndedAt
        deadline = record.deadline
        overdue = record.isOverdue(at: now)
        passedAt = escalation.passedAt
        dispatchSeconds = record.dispatchSeconds
        acknowledgedBy = escalation.acknowledgedBy?.id.rawValue
        next = ActionView(escalation.next(at: now), emergencyContacts: escalation.emergencyContacts)
        plan = escalation.plan.map {
            Planned(
                step: $0.step, contact: $0.contact.id.rawValue, name: $0.contact.name, channel: ChannelView($0.channel))
        }
        attempts = record.attempts.map {
            Attempt(
                at: $0.attempt.at, contact: $0.attempt.contact.rawValue, channel: $0.attempt.channel.rawValue,
                outcome: $0.attempt.outcome.rawValue, site: $0.site, author: $0.author, counted: $0.counted)
        }
        timerEscalations = record.timerEscalations.map {
            TimerEscalation(
                step: $0.escalation.step, fallback: $0.escalation.step == escalation.fallbackStep, at: $0.escalation.at,
                dueAt: $0.dueAt, site: $0.site, queued: $0.messages, counted: $0.counted)
        }
        awaitsHandler = escalation.awaitsHandler(at: now)
    }

    /// One line for a supervisor's list.
    var line: String {
        var text =
            "\(reference)  \(organisation) \(option)  \(status)\(overdue ? " OVERDUE" : "")"
            + "\(awaitsHandler ? " HANDLER NEEDED" : "")  deadline \(london(deadline))  next: \(next.text)"
        if let last = timerEscalations.last {
            text += "\n    " + last.summary
        }
        return text
    }
}

extension ReferralView.TimerEscalation {
    /// E.g. `escalated automatically to step 2 by EST at 2026-11-23 21:11 (2 messages queued)`.
    var summary: String {
        (fallback ? "fallback recorded automatically" : "escalated automatically to step \(step)")
            + " by \(site) at \(london(at)) (\(queued.count) message\(queued.count == 1 ? "" : "s") queued"
            + (queued.isEmpty ? "" : ": " + queued.map { "\($0.channel) to \($0.contact)" }.joined(separator: ", "))
            + ")" + (counted ? "" : " — not taken: a handler had moved the referral on")
    }
}
