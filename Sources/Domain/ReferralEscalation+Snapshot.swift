import Foundation

/// Where a referral stands, as the store keeps it for listing; it only moves forward.
///
/// `open`: nobody has been reached yet. `passed`: a message was dispatched (11.7.3 g: "successful dispatch") but
/// nobody has acknowledged it. `acknowledged`: an officer took the referral. That everyone was tried and the
/// fallback applies is not a stored state: it depends on the time as well as the attempts, so `next(at:)` says it.
public enum ReferralStatus: String, Codable, Sendable, CaseIterable, Comparable {
    case open
    case passed
    case acknowledged

    var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}

extension PlannedContact: Codable {
    private enum CodingKeys: String, CodingKey { case step, contact, channel }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let step = try container.decode(Int.self, forKey: .step)
        let contact = try container.decode(OnCallContact.self, forKey: .contact)
        let kind = try container.decode(ChannelKind.self, forKey: .channel)
        guard (1...DomainLimits.escalationStepsMax).contains(step), let channel = contact.channel(kind) else {
            throw DomainError(
                .invalidValue, "a planned contact of \(contact.id) at step \(step) by \(kind.rawValue) is not possible")
        }
        self.init(step: step, contact: contact, channel: channel)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(step, forKey: .step)
        try container.encode(contact, forKey: .contact)
        try container.encode(channel.kind, forKey: .channel)
    }
}

/// A referral's plan as fixed when it started: kept with the referral so that every site replays its attempts
/// against the same plan, however the rota or the procedure changes afterwards.
public struct ReferralPlanSnapshot: Hashable, Sendable, Codable {
    public let procedure: EscalationProcedure
    public let plan: [PlannedContact]
    public let emergencyContacts: [OnCallContact]
    public let callEndedAt: Date
    public let referralDeadline: Date

    private enum CodingKeys: String, CodingKey {
        case procedure, plan, emergencyContacts, callEndedAtMs, referralDeadlineMs
    }

    init(
        procedure: EscalationProcedure, plan: [PlannedContact], emergencyContacts: [OnCallContact], callEndedAt: Date,
        referralDeadline: Date
    ) {
        self.procedure = procedure
        self.plan = plan
        self.emergencyContacts = emergencyContacts
        self.callEndedAt = callEndedAt
        self.referralDeadline = referralDeadline
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        procedure = try container.decode(EscalationProcedure.self, forKey: .procedure)
        plan = try container.decode([PlannedContact].self, forKey: .plan)
        emergencyContacts = try container.decode([OnCallContact].self, forKey: .emergencyContacts)
        callEndedAt = Date(milliseconds: try container.decode(Int64.self, forKey: .callEndedAtMs))
        referralDeadline = Date(milliseconds: try container.decode(Int64.self, forKey: .referralDeadlineMs))
        // The escalation walks the plan step by step, so steps must exist and never go back.
        for (index, planned) in plan.enumerated() {
            guard planned.step <= procedure.steps.count, index == 0 || plan[index - 1].step <= planned.step else {
                throw DomainError(.invalidValue, "a referral plan's steps are out of order or not in its procedure")
            }
        }
        guard referralDeadline > callEndedAt else {
            throw DomainError(.invalidValue, "a referral plan's deadline is not after the end of its call")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(procedure, forKey: .procedure)
        try container.encode(plan, forKey: .plan)
        try container.encode(emergencyContacts, forKey: .emergencyContacts)
        try container.encode(callEndedAt.milliseconds, forKey: .callEndedAtMs)
        try container.encode(referralDeadline.milliseconds, forKey: .referralDeadlineMs)
    }
}

extension ReferralEscalation {
    /// The plan as fixed when the referral started.
    public var snapshot: ReferralPlanSnapshot {
        ReferralPlanSnapshot(
            procedure: procedure, plan: plan, emergencyContacts: emergencyContacts, callEndedAt: callEndedAt,
            referralDeadline: referralDeadline)
    }

    /// A referral restarted from its plan, with no attempts yet: `replay(_:)` adds those recorded.
    public init(snapshot: ReferralPlanSnapshot) {
        procedure = snapshot.procedure
        plan = snapshot.plan
        emergencyContacts = snapshot.emergencyContacts
        callEndedAt = snapshot.callEndedAt
        referralDeadline = snapshot.referralDeadline
        done = Array(repeating: false, count: snapshot.plan.count)
    }

    /// Records attempts and timer escalations in time order (ties kept in the order given, attempts before timer
    /// escalations) and returns the positions, in `recorded`, of the attempts the procedure did not take.
    ///
    /// Every site replays the same set of attempts in the same order, so all reach the same state. An attempt the
    /// procedure does not take (the same step recorded at two sites at once, say) stays on record but does not
    /// move the escalation, unless someone in the plan answered or acknowledged: that ends it. A timer escalation
    /// the procedure does not take (a handler moved the referral on first) stays on record too; the taken ones are
    /// `timerEscalations`.
    public mutating func replay(_ recorded: [ReferralAttempt], timers: [ReferralTimerEscalation] = []) -> Set<Int> {
        enum Event {
            case attempt(Int, ReferralAttempt)
            case timer(Int, ReferralTimerEscalation)
            var key: (Date, Int, Int) {
                switch self {
                case .attempt(let offset, let attempt): (attempt.at, 0, offset)
                case .timer(let offset, let timer): (timer.at, 1, offset)
                }
            }
        }
        let events =
            (recorded.enumerated().map { Event.attempt($0.offset, $0.element) }
            + timers.enumerated().map { Event.timer($0.offset, $0.element) }).sorted { $0.key < $1.key }
        var skipped = Set<Int>()
        for event in events {
            guard case .attempt(let position, let attempt) = event else {
                if case .timer(_, let timer) = event { try? record(timer) }
                continue
            }
            do {
                try record(attempt)
            } catch {
                // An answer or acknowledgement recorded out of turn (two sites working the referral at once) still
                // means the officer has the referral (5.3.2), however the sites' records interleave.
                if attempt.outcome.passesReferral, acknowledgedBy == nil,
                    let person = plan.first(where: { $0.contact.id == attempt.contact })?.contact
                        ?? contacted(attempt.contact)
                {
                    accept(attempt, from: person)
                } else {
                    skipped.insert(position)
                }
            }
        }
        return skipped
    }

    public var status: ReferralStatus {
        if acknowledgedBy != nil { return .acknowledged }
        return passedAt == nil ? .open : .passed
    }
}

extension Date {
    /// Whole milliseconds since 1970, as stored documents carry instants.
    var milliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    init(milliseconds: Int64) { self.init(timeIntervalSince1970: Double(milliseconds) / 1000) }
}
