import Foundation

/// A referral's escalation as a node's timer recorded it (5.3.2, 6.4b): the referral moved to `step` on its own
/// because the step before waited its acknowledgement time with no acknowledgement.
///
/// `step` is numbered from 1 as the procedure is written; one past the last step is the procedure's "when everyone
/// fails" action (`isFallback`). A referral has at most one escalation per step: the store keys it by (referral,
/// step), so two sites that record it at once merge into one.
public struct ReferralTimerEscalation: Hashable, Sendable {
    public let step: Int
    /// When the node recorded it, by the cluster's clock.
    public let at: Date

    public init(step: Int, at: Date) {
        self.step = step
        self.at = at
    }
}

/// What a node's timer must do for a referral now.
public enum ReferralTimerDue: Hashable, Sendable, CustomStringConvertible {
    /// The step before waited its acknowledgement time: start `step`, queueing its SMS and email (5.3.2).
    case step(Int, dueAt: Date)
    /// Everyone in the procedure was tried: record the fallback and message its emergency contacts (5.3.2, 8.9).
    case fallback(step: Int, dueAt: Date)

    /// The step the escalation moves to (one past the last for the fallback).
    public var step: Int {
        switch self {
        case .step(let step, _), .fallback(let step, _): step
        }
    }

    public var dueAt: Date {
        switch self {
        case .step(_, let dueAt), .fallback(_, let dueAt): dueAt
        }
    }

    public var description: String {
        switch self {
        case .step(let step, _): "step \(step)"
        case .fallback: "fallback"
        }
    }
}

extension ReferralEscalation {
    /// The step number that stands for the procedure's fallback: one past its last step.
    public var fallbackStep: Int { procedure.steps.count + 1 }

    /// Whether the fallback was recorded by a timer.
    public var fallbackRecorded: Bool { timerEscalations.contains { $0.step == fallbackStep } }

    /// What a node's timer must do at `now`, or `nil` when nothing is due without a person's action.
    ///
    /// Due: the step the referral is in has finished (every contact in it made), reached someone, and waited its
    /// acknowledgement time, so the next step starts; or every step has been tried and nobody acknowledged, so the
    /// fallback applies. Never due while a step is under way (a handler is working it), nor twice for one step.
    public func timerDue(at now: Date) -> ReferralTimerDue? {
        guard let dueAt = timerDueAt else { return nil }
        guard now >= dueAt else { return nil }
        if cursor == plan.count { return .fallback(step: fallbackStep, dueAt: dueAt) }
        return .step(plan[cursor].step, dueAt: dueAt)
    }

    /// When a timer action falls due if nothing else is recorded first, or `nil` when none will without a
    /// person's action. The state changes only when a fact is recorded, so this holds until then.
    public var timerDueAt: Date? {
        guard acknowledgedBy == nil else { return nil }
        if cursor == plan.count {
            guard !fallbackRecorded else { return nil }
            // Every contact made: after the last step's wait, or at once when all of it failed outright; a plan with
            // nobody in it (a rota gap) falls to the fallback as soon as the call is referred.
            return waitEnd ?? lastAttemptAt ?? callEndedAt
        }
        guard let currentStep, plan[cursor].step != currentStep, let until = waitEnd else { return nil }
        return until
    }

    /// The contacts a timer escalation to `step` messages: the SMS and email entries of that step not yet done.
    /// Phone and pager entries are left to a person: a node cannot dial (5.3.2).
    public func timerMessages(step: Int) -> [PlannedContact] {
        if step == fallbackStep {
            return emergencyContacts.flatMap { person in
                [ChannelKind.sms, .email].compactMap { kind in
                    person.channel(kind).map { PlannedContact(step: step, contact: person, channel: $0) }
                }
            }
        }
        return plan.indices.filter { plan[$0].step == step && !done[$0] && Self.nodeSends(plan[$0].channel.kind) }
            .map { plan[$0] }
    }

    /// Whether a node sends this channel itself (through the outbox) rather than leaving it to a person.
    static func nodeSends(_ kind: ChannelKind) -> Bool { kind == .sms || kind == .email }

    /// Records a timer escalation: the step's SMS and email entries count as made at `escalation.at`, and the step's
    /// wait runs from then; phone and pager entries remain for a handler. Refused when the referral was acknowledged,
    /// when the step is not the one the referral is at or about to start, or when it was escalated before.
    ///
    /// A timer escalation racing a handler who started the same step is taken: its messages were queued, so the
    /// step's SMS and email are done either way.
    public mutating func record(_ escalation: ReferralTimerEscalation) throws {
        if let acknowledgedBy {
            throw DomainError(.lifecycle, "the referral was already acknowledged by \(acknowledgedBy.name)")
        }
        guard !timerEscalations.contains(where: { $0.step == escalation.step }) else {
            throw DomainError(.lifecycle, "step \(escalation.step) was already escalated by a timer")
        }
        if escalation.step == fallbackStep {
            guard cursor == plan.count else {
                throw DomainError(
                    .lifecycle, "the fallback applies only when everyone has been tried; step \(plan[cursor].step) is next")
            }
            // The wait of the last step is over: the fallback does not start another.
            timerEscalations.append(escalation)
            return
        }
        guard cursor < plan.count, plan[cursor].step == escalation.step else {
            throw DomainError(
                .lifecycle,
                "step \(escalation.step) is not the step the referral is at"
                    + (cursor < plan.count ? " (step \(plan[cursor].step))" : " (everyone has been tried)"))
        }
        let messaged = timerMessages(step: escalation.step)
        enterStep(escalation.step)
        for index in plan.indices where plan[index].step == escalation.step && !done[index] {
            if Self.nodeSends(plan[index].channel.kind) { markDone(index) }
        }
        stepReachedSomeone = stepReachedSomeone || !messaged.isEmpty
        lastAttemptAt = max(lastAttemptAt ?? escalation.at, escalation.at)
        timerEscalations.append(escalation)
    }

    /// Whether a timer escalation left something only a person can do: a phone call or pager message at the step
    /// it started, or the procedure's fallback. Such a referral belongs on the overdue board whatever its deadline.
    public func awaitsHandler(at now: Date) -> Bool {
        guard acknowledgedBy == nil, let last = timerEscalations.last else { return false }
        switch next(at: now) {
        case .contact(_, let channel, let step): return step == last.step && !Self.nodeSends(channel.kind)
        case .exhausted: return true
        case .wait, .done: return false
        }
    }
}
