import Foundation

/// Whom one step of an Escalation Procedure contacts.
public enum EscalationTarget: Hashable, Sendable, CustomStringConvertible {
    /// Everyone on call at a stage of the rota.
    case stage(Int)
    /// The managers named by the contacts on call at a stage (5.2.3.6, 5.3.2: "the management of the On-Call Duty
    /// Staff member").
    case managersOf(stage: Int)

    public var description: String {
        switch self {
        case .stage(let number): "stage \(number)"
        case .managersOf(let number): "managers of stage \(number)"
        }
    }
}

/// One step of an Escalation Procedure: whom to contact, by which channels in order, and how long to wait for an
/// acknowledgement before the next step.
public struct EscalationStep: Hashable, Sendable {
    public let target: EscalationTarget
    public let channels: [ChannelKind]
    public let acknowledgementWaitMs: Int

    public var acknowledgementWait: Duration { .milliseconds(acknowledgementWaitMs) }

    public init(_ target: EscalationTarget, channels: [ChannelKind], acknowledgementWaitMs: Int) throws {
        guard !channels.isEmpty, Set(channels).count == channels.count else {
            throw DomainError(.invalidValue, "an escalation step for \(target) needs one or more different channels")
        }
        guard (0...DomainLimits.acknowledgementWaitMsMax).contains(acknowledgementWaitMs) else {
            throw DomainError(
                .invalidValue,
                "an acknowledgement wait of \(acknowledgementWaitMs) ms is not allowed: use 0 to "
                    + "\(DomainLimits.acknowledgementWaitMsMax) ms")
        }
        self.target = target
        self.channels = channels
        self.acknowledgementWaitMs = acknowledgementWaitMs
    }
}

/// What to do when nobody acknowledges a referral (5.3.2, 8.9): the failed referral is always logged, with the
/// reasons, for the monthly report (11.7.6).
public struct EscalationFallback: Hashable, Sendable {
    /// The PO's emergency managers, to be called in order.
    public let emergencyContacts: [OnCallContactID]
    /// Whether the call-centre supervisor is alerted.
    public let alertSupervisor: Bool
    /// The PO's own words for the handler.
    public let instructions: String

    public init(emergencyContacts: [OnCallContactID] = [], alertSupervisor: Bool = true, instructions: String = "") {
        self.emergencyContacts = emergencyContacts
        self.alertSupervisor = alertSupervisor
        self.instructions = instructions.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A Participating Organisation's procedure for passing a referral on a Service Option (5.2.3.3, 5.3.2).
public struct EscalationProcedure: Hashable, Sendable {
    public let organisation: OrganisationCode
    public let option: ServiceOptionCode
    public let steps: [EscalationStep]
    public let whenExhausted: EscalationFallback

    public init(
        organisation: OrganisationCode, option: ServiceOptionCode, steps: [EscalationStep],
        whenExhausted: EscalationFallback
    ) throws {
        guard !steps.isEmpty, steps.count <= DomainLimits.escalationStepsMax else {
            throw DomainError(
                .invalidValue,
                "the escalation procedure for \(organisation) \(option) needs 1 to \(DomainLimits.escalationStepsMax) "
                    + "steps; it has \(steps.count)")
        }
        self.organisation = organisation
        self.option = option
        self.steps = steps
        self.whenExhausted = whenExhausted
    }
}

/// How one attempt to reach a contact ended.
public enum ReferralOutcome: String, Sendable, CaseIterable {
    /// Phone: the contact answered and took the referral.
    case answered
    /// Phone: rang out, busy or voicemail.
    case noAnswer = "no-answer"
    /// SMS, email or pager: dispatched (8.14), not yet acknowledged.
    case sent
    /// The contact confirmed they have the referral, by any channel.
    case acknowledged
    /// Could not be placed or sent at all, e.g. a gateway error.
    case failed

    var passesReferral: Bool { self == .answered || self == .acknowledged }
}

/// One attempt to reach a contact, as the handler or the messaging gateway recorded it.
public struct ReferralAttempt: Hashable, Sendable {
    public let contact: OnCallContactID
    public let channel: ChannelKind
    public let at: Date
    public let outcome: ReferralOutcome

    public init(contact: OnCallContactID, channel: ChannelKind, at: Date, outcome: ReferralOutcome) throws {
        switch (channel.isConversation, outcome) {
        case (true, .sent):
            throw DomainError(.invalidValue, "a phone call is answered or not; record it as answered or no-answer")
        case (false, .answered), (false, .noAnswer):
            throw DomainError(
                .invalidValue, "\(channel.rawValue) is a message: record it as sent, acknowledged or failed")
        default: break
        }
        self.contact = contact
        self.channel = channel
        self.at = at
        self.outcome = outcome
    }
}

/// One contact the procedure will make, in order.
public struct PlannedContact: Hashable, Sendable {
    /// Numbered from 1, as the procedure is written.
    public let step: Int
    public let contact: OnCallContact
    public let channel: ContactChannel
}

/// What the handler (or the node's timers) should do next with a referral.
public enum EscalationAction: Hashable, Sendable {
    case contact(OnCallContact, ContactChannel, step: Int)
    /// Wait for an acknowledgement; ask again at `until`, or when an attempt is recorded.
    case wait(until: Date)
    case done(acknowledgedBy: OnCallContact)
    /// Everybody in the procedure was tried and none acknowledged (5.3.2).
    case exhausted(EscalationFallback)
}

/// A referral working through its Escalation Procedure: a value that takes attempts and says what to do next.
///
/// The plan is fixed when the referral starts: the procedure's steps over the on-call answer, each person at a
/// step on each of the step's channels they have, person by person. After a step's last contact the referral
/// waits for the step's acknowledgement time (unless every attempt in the step failed outright), then moves on.
public struct ReferralEscalation: Sendable {
    public let procedure: EscalationProcedure
    public let plan: [PlannedContact]
    public let emergencyContacts: [OnCallContact]
    public let callEndedAt: Date
    /// 6.4b: the PO's limit after the end of the call, 10 minutes unless it set another.
    public let referralDeadline: Date
    public private(set) var attempts: [ReferralAttempt] = []
    /// When the referral was first passed: a phone answered or a message dispatched (11.7.3 g).
    public private(set) var passedAt: Date?
    public private(set) var acknowledgedBy: OnCallContact?

    /// Timer escalations the procedure took, in order (`ReferralEscalation+Timer.swift`).
    public internal(set) var timerEscalations: [ReferralTimerEscalation] = []

    /// Which entries of `plan` are done: contacted by a handler, or messaged by a node's timer escalation.
    var done: [Bool] = []
    /// Index into `plan` of the next contact to make: the first entry not done.
    var cursor = 0
    /// When the escalation last moved: an attempt the procedure took, or a timer escalation.
    var lastAttemptAt: Date?
    /// The step the escalation is in: that of the last attempt taken or timer escalation.
    var currentStep: Int?
    /// Whether any contact in `currentStep` did more than fail.
    var stepReachedSomeone = false

    public init(
        procedure: EscalationProcedure, answer: OnCallAnswer, directory: OnCallDirectory, callEndedAt: Date,
        referralLimitMinutes: Int = DomainLimits.referralLimitMinutesDefault
    ) throws {
        guard (1...DomainLimits.referralLimitMinutesMax).contains(referralLimitMinutes) else {
            throw DomainError(
                .invalidValue,
                "a referral limit of \(referralLimitMinutes) minutes is not allowed: use 1 to "
                    + "\(DomainLimits.referralLimitMinutesMax)")
        }
        if let list = answer.list, list.organisation != procedure.organisation || list.option != procedure.option {
            throw DomainError(
                .invalidValue,
                "the on-call answer is for \(list.organisation) \(list.option) but the procedure is for "
                    + "\(procedure.organisation) \(procedure.option)")
        }
        var plan: [PlannedContact] = []
        for (index, step) in procedure.steps.enumerated() {
            for person in Self.people(step.target, answer: answer, directory: directory) {
                for kind in step.channels {
                    guard let channel = person.channel(kind) else { continue }
                    plan.append(PlannedContact(step: index + 1, contact: person, channel: channel))
                }
            }
        }
        self.plan = plan
        done = Array(repeating: false, count: plan.count)
        emergencyContacts = try procedure.whenExhausted.emergencyContacts.map { id in
            guard let contact = directory.contact(id) else {
                throw DomainError(
                    .notFound, "the escalation procedure's emergency contact \(id) is not a contact: add them first")
            }
            return contact
        }
        self.procedure = procedure
        self.callEndedAt = callEndedAt
        referralDeadline = callEndedAt.addingTimeInterval(Double(referralLimitMinutes) * 60)
    }

    private static func people(_ target: EscalationTarget, answer: OnCallAnswer, directory: OnCallDirectory)
        -> [OnCallContact]
    {
        guard let list = answer.list else { return [] }
        switch target {
        case .stage(let number):
            return list.stage(number)?.people.map(\.contact) ?? []
        case .managersOf(let number):
            var seen = Set<OnCallContactID>()
            return (list.stage(number)?.people ?? []).compactMap { person in
                guard let id = person.contact.manager, seen.insert(id).inserted else { return nil }
                return directory.contact(id)
            }
        }
    }

    /// What to do at `now`.
    public func next(at now: Date) -> EscalationAction {
        if let acknowledgedBy { return .done(acknowledgedBy: acknowledgedBy) }
        if let until = waitEnd, now < until { return .wait(until: until) }
        guard cursor < plan.count else { return .exhausted(procedure.whenExhausted) }
        let planned = plan[cursor]
        return .contact(planned.contact, planned.channel, step: planned.step)
    }

    /// Records an attempt: the one `next` asked for, or an acknowledgement from someone already contacted.
    public mutating func record(_ attempt: ReferralAttempt) throws {
        if let acknowledgedBy {
            throw DomainError(
                .lifecycle, "the referral was already acknowledged by \(acknowledgedBy.name); nothing more to record")
        }
        guard attempts.count < DomainLimits.referralAttemptsMax else {
            throw DomainError(.lifecycle, "the referral has \(attempts.count) attempts; no more can be recorded")
        }
        if let last = attempts.last, attempt.at < last.at {
            throw DomainError(
                .invalidValue, "an attempt at \(attempt.at) cannot be recorded after one at \(last.at): record in order"
            )
        }
        let expected = next(at: attempt.at)
        if case .contact(let contact, let channel, let step) = expected, contact.id == attempt.contact,
            channel.kind == attempt.channel
        {
            enterStep(step)
            stepReachedSomeone = stepReachedSomeone || attempt.outcome != .failed
            markDone(cursor)
            lastAttemptAt = attempt.at
            accept(attempt, from: contact)
            return
        }
        // A late acknowledgement, e.g. a reply to an SMS sent at an earlier step (by a handler or a node's timer),
        // ends the escalation (5.3.2).
        if attempt.outcome == .acknowledged, let earlier = contacted(attempt.contact) {
            accept(attempt, from: earlier)
            return
        }
        throw DomainError(
            .lifecycle, "cannot record \(attempt.channel.rawValue) to \(attempt.contact): " + Self.explain(expected))
    }

    /// The step the escalation is in becomes `step`; a new step has reached nobody yet.
    mutating func enterStep(_ step: Int) {
        if currentStep != step {
            currentStep = step
            stepReachedSomeone = false
        }
    }

    /// Marks a plan entry done and moves the cursor to the first entry not done.
    mutating func markDone(_ index: Int) {
        done[index] = true
        while cursor < plan.count, done[cursor] { cursor += 1 }
    }

    /// When the wait after a finished step ends: the step's last contact (or timer escalation) plus its
    /// acknowledgement time; `nil` while a step is under way, or when every contact in it failed outright.
    var waitEnd: Date? {
        guard let currentStep, cursor == plan.count || plan[cursor].step != currentStep, stepReachedSomeone,
            let lastAttemptAt
        else { return nil }
        let step = procedure.steps[currentStep - 1]
        return lastAttemptAt.addingTimeInterval(Double(step.acknowledgementWaitMs) / 1_000)
    }

    /// Someone already contacted (a plan entry done, or an emergency contact messaged by the fallback) with `id`.
    func contacted(_ id: OnCallContactID) -> OnCallContact? {
        if let index = plan.indices.first(where: { done[$0] && plan[$0].contact.id == id }) {
            return plan[index].contact
        }
        if fallbackRecorded { return emergencyContacts.first { $0.id == id } }
        return nil
    }

    mutating func accept(_ attempt: ReferralAttempt, from contact: OnCallContact) {
        attempts.append(attempt)
        if passedAt == nil, attempt.outcome.passesReferral || attempt.outcome == .sent { passedAt = attempt.at }
        if attempt.outcome.passesReferral { acknowledgedBy = contact }
    }

    private static func explain(_ expected: EscalationAction) -> String {
        switch expected {
        case .contact(let contact, let channel, let step):
            "the procedure says to contact \(contact.name) (\(contact.id)) by \(channel) next, at step \(step)"
        case .wait(let until):
            "the procedure is waiting for an acknowledgement until \(until); only an acknowledgement from someone "
                + "already contacted can be recorded now"
        case .done(let contact): "the referral was acknowledged by \(contact.name)"
        case .exhausted: "everyone in the procedure has been tried: follow its fallback"
        }
    }

    /// Whether the referral missed the PO's time limit (6.4b): not passed by the deadline.
    public func isOverdue(at now: Date) -> Bool { (passedAt ?? now) > referralDeadline }
}
