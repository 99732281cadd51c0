import Domain
import Foundation
import NightdeskTestSupport
import Testing

/// A referral escalating on a node's timer (5.3.2, 6.4b): when it falls due, what it sends, what it leaves to a
/// person, and that no step is ever escalated twice.
@Suite struct ReferralTimerTests {
    typealias R = Rotas

    let fixture: ReferralEscalationTests

    init() throws { fixture = try ReferralEscalationTests() }

    var ended: Date { fixture.ended }
    var ann: OnCallContact { fixture.ann }
    var ben: OnCallContact { fixture.ben }
    var cat: OnCallContact { fixture.cat }
    var mo: OnCallContact { fixture.mo }

    func attempt(_ contact: OnCallContact, _ channel: ChannelKind, _ seconds: Double, _ outcome: ReferralOutcome) throws
        -> ReferralAttempt
    {
        try fixture.attempt(contact, channel, seconds, outcome)
    }

    /// A procedure of messages only: stage 1 by SMS, stage 2 by SMS and email, a minute's wait each.
    func messagesOnly() throws -> ReferralEscalation {
        let procedure = try EscalationProcedure(
            organisation: R.ealing, option: R.structures,
            steps: [
                EscalationStep(.stage(1), channels: [.sms], acknowledgementWaitMs: 60_000),
                EscalationStep(.stage(2), channels: [.sms, .email], acknowledgementWaitMs: 60_000),
            ],
            whenExhausted: EscalationFallback(emergencyContacts: [mo.id], instructions: "Call emergency planning"))
        return try ReferralEscalation(
            procedure: procedure, answer: fixture.answer, directory: fixture.directory, callEndedAt: ended)
    }

    @Test func nothingIsDueBeforeTheFirstContactOrWhileAStepIsUnderWay() throws {
        var escalation = try fixture.start()
        // The handler makes the first contact: a node never starts a referral's first step.
        #expect(escalation.timerDue(at: ended + 86_400) == nil)
        #expect(escalation.timerDueAt == nil)
        try escalation.record(attempt(ann, .phone, 30, .noAnswer))
        // Ann's SMS is still to send: the step is under way.
        #expect(escalation.timerDue(at: ended + 86_400) == nil)
    }

    @Test func aStepThatWaitedItsAcknowledgementTimeIsDueToTheNextStepNotASecondBefore() throws {
        var escalation = try fixture.start()
        try escalation.record(attempt(ann, .phone, 30, .noAnswer))
        try escalation.record(attempt(ann, .sms, 40, .sent))
        #expect(escalation.timerDueAt == ended + 340)
        #expect(escalation.timerDue(at: ended + 339.999) == nil)
        #expect(escalation.timerDue(at: ended + 340) == .step(2, dueAt: ended + 340))
        #expect(escalation.timerDue(at: ended + 4_000) == .step(2, dueAt: ended + 340))
    }

    @Test func aTimerEscalationSendsTheStepsMessagesAndLeavesPhoneAndPagerToAPerson() throws {
        var escalation = try fixture.start()
        try escalation.record(attempt(ann, .phone, 30, .noAnswer))
        try escalation.record(attempt(ann, .sms, 40, .sent))
        #expect(
            escalation.timerMessages(step: 2).map { "\($0.contact.id) \($0.channel.kind.rawValue)" } == [
                "ben-baker sms", "cat-cole sms",
            ])
        try escalation.record(ReferralTimerEscalation(step: 2, at: ended + 341))
        #expect(escalation.timerEscalations == [ReferralTimerEscalation(step: 2, at: ended + 341)])
        // The node cannot dial: the handler phones Ben, then Cat, then pages Cat; the SMS are not asked for again.
        #expect(escalation.next(at: ended + 342) == .contact(ben, ben.channel(.phone)!, step: 2))
        #expect(escalation.awaitsHandler(at: ended + 342))
        #expect(escalation.timerDue(at: ended + 86_400) == nil)
        try escalation.record(attempt(ben, .phone, 400, .noAnswer))
        #expect(escalation.next(at: ended + 401) == .contact(cat, cat.channel(.phone)!, step: 2))
        try escalation.record(attempt(cat, .phone, 410, .noAnswer))
        #expect(escalation.next(at: ended + 411) == .contact(cat, cat.channel(.pager)!, step: 2))
        try escalation.record(attempt(cat, .pager, 420, .sent))
        // The step's wait runs from its last contact; then step 3 (Ann's manager, by phone) falls due.
        #expect(escalation.next(at: ended + 421) == .wait(until: ended + 720))
        #expect(!escalation.awaitsHandler(at: ended + 421))
        #expect(escalation.timerDue(at: ended + 720) == .step(3, dueAt: ended + 720))
        #expect(escalation.timerMessages(step: 3).isEmpty, "a phone-only step queues nothing")
        try escalation.record(ReferralTimerEscalation(step: 3, at: ended + 721))
        #expect(escalation.next(at: ended + 722) == .contact(mo, mo.channel(.phone)!, step: 3))
        #expect(escalation.awaitsHandler(at: ended + 722))
        #expect(escalation.timerDue(at: ended + 86_400) == nil, "no second escalation of step 3")
    }

    @Test func aProcedureOfMessagesRunsToItsFallbackOnTheTimerAlone() throws {
        var escalation = try messagesOnly()
        try escalation.record(attempt(ann, .sms, 0, .sent))
        #expect(escalation.timerDue(at: ended + 60) == .step(2, dueAt: ended + 60))
        try escalation.record(ReferralTimerEscalation(step: 2, at: ended + 61))
        // Ben has no email: Ben's SMS, Cat's SMS and email; all made, so the step waits from its escalation.
        #expect(escalation.next(at: ended + 62) == .wait(until: ended + 121))
        #expect(escalation.timerDue(at: ended + 120.9) == nil)
        #expect(escalation.timerDue(at: ended + 121) == .fallback(step: 3, dueAt: ended + 121))
        #expect(
            escalation.timerMessages(step: 3).map { "\($0.contact.id) \($0.channel.kind.rawValue)" } == [
                "mo-manager sms", "mo-manager email",
            ])
        try escalation.record(ReferralTimerEscalation(step: 3, at: ended + 122))
        #expect(escalation.fallbackRecorded)
        #expect(escalation.timerDue(at: ended + 86_400) == nil)
        #expect(escalation.timerDueAt == nil)
        guard case .exhausted = escalation.next(at: ended + 123) else {
            Issue.record("expected the fallback, got \(escalation.next(at: ended + 123))")
            return
        }
        #expect(escalation.awaitsHandler(at: ended + 123))
        // The emergency contact the fallback messaged may still take it.
        try escalation.record(attempt(mo, .sms, 200, .acknowledged))
        #expect(escalation.next(at: ended + 201) == .done(acknowledgedBy: mo))
    }

    @Test func aStepWhoseContactsAllFailedIsLeftToTheHandlerButEveryoneFailingFallsDueAtOnce() throws {
        var escalation = try messagesOnly()
        try escalation.record(attempt(ann, .sms, 0, .failed))
        // The handler carries on at once with step 2: no wait, no timer.
        #expect(escalation.timerDue(at: ended + 86_400) == nil)
        try escalation.record(attempt(ben, .sms, 10, .failed))
        try escalation.record(attempt(cat, .sms, 20, .failed))
        try escalation.record(attempt(cat, .email, 30, .failed))
        #expect(escalation.timerDue(at: ended + 30) == .fallback(step: 3, dueAt: ended + 30))
    }

    @Test func aReferralWithNobodyOnCallFallsToTheFallbackAtOnce() throws {
        let gap = fixture.directory.onCall(
            organisation: R.ealing, option: R.structures, at: R.london("2025-12-01 12:00"))
        let escalation = try ReferralEscalation(
            procedure: fixture.procedure, answer: gap, directory: fixture.directory, callEndedAt: ended)
        #expect(escalation.plan.isEmpty)
        #expect(escalation.timerDue(at: ended) == .fallback(step: 4, dueAt: ended))
    }

    @Test func aTimerEscalationIsRefusedTwiceForAStepOutOfTurnOrAfterAnAcknowledgement() throws {
        var escalation = try fixture.start()
        try escalation.record(attempt(ann, .phone, 30, .noAnswer))
        try escalation.record(attempt(ann, .sms, 40, .sent))
        #expect(throws: DomainError.self) { try escalation.record(ReferralTimerEscalation(step: 3, at: ended + 341)) }
        #expect(throws: DomainError.self) { try escalation.record(ReferralTimerEscalation(step: 4, at: ended + 341)) }
        try escalation.record(ReferralTimerEscalation(step: 2, at: ended + 341))
        #expect(throws: DomainError.self) { try escalation.record(ReferralTimerEscalation(step: 2, at: ended + 342)) }
        // Ben replies to the SMS the node queued: the referral is his.
        try escalation.record(attempt(ben, .sms, 350, .acknowledged))
        #expect(escalation.next(at: ended + 351) == .done(acknowledgedBy: ben))
        #expect(escalation.timerDue(at: ended + 86_400) == nil)
        #expect(!escalation.awaitsHandler(at: ended + 351))
        #expect(throws: DomainError.self) { try escalation.record(ReferralTimerEscalation(step: 3, at: ended + 900)) }
    }

    @Test func aHandlerWhoStartsTheStepFirstStillHasTheTimersMessagesCounted() throws {
        var escalation = try fixture.start()
        try escalation.record(attempt(ann, .phone, 30, .noAnswer))
        try escalation.record(attempt(ann, .sms, 40, .sent))
        // At one site a handler phones Ben as the wait ends; at another the node escalates a moment later.
        var replayed = ReferralEscalation(snapshot: escalation.snapshot)
        let attempts = [
            try attempt(ann, .phone, 30, .noAnswer), try attempt(ann, .sms, 40, .sent),
            try attempt(ben, .phone, 340, .noAnswer),
        ]
        let skipped = replayed.replay(attempts, timers: [ReferralTimerEscalation(step: 2, at: ended + 341)])
        #expect(skipped.isEmpty)
        #expect(replayed.timerEscalations.map(\.step) == [2])
        // Ben's and Cat's SMS went from the outbox: Cat's phone is next.
        #expect(replayed.next(at: ended + 342) == .contact(cat, cat.channel(.phone)!, step: 2))
    }

    /// Seeded random schedules: handlers at two sites and two nodes' timers (whose views may differ) work a
    /// referral; replaying the merged facts at any site, in any order, never escalates a step twice, and the
    /// timer never finds due a step it has escalated.
    @Test(arguments: 0..<40) func randomSchedulesNeverEscalateAStepTwice(seed: UInt64) throws {
        var random = CallReferenceTests.SplitMix64(state: 0xD1CE_0000 + seed)
        let start = try seed.isMultiple(of: 2) ? fixture.start() : messagesOnly()
        var attempts: [ReferralAttempt] = []
        // Keyed by step, as the store keys them: two nodes recording one step write one row.
        var timers: [Int: ReferralTimerEscalation] = [:]
        var now = ended
        for _ in 0..<200 {
            now += Double(Int.random(in: 1...90, using: &random))
            var state = ReferralEscalation(snapshot: start.snapshot)
            _ = state.replay(attempts, timers: timers.values.sorted { $0.step < $1.step })
            #expect(Set(state.timerEscalations.map(\.step)).count == state.timerEscalations.count, "seed=\(seed)")
            if let due = state.timerDue(at: now) {
                #expect(timers[due.step] == nil, "step \(due.step) found due again; reproduce with seed=\(seed)")
                // One or two nodes record it, a little apart; the row merges on its (referral, step) identity.
                let nodes = Int.random(in: 1...2, using: &random)
                for node in 0..<nodes { timers[due.step] = ReferralTimerEscalation(step: due.step, at: now + Double(node)) }
                continue
            }
            switch state.next(at: now) {
            case .contact(let person, let channel, _):
                guard Int.random(in: 0..<3, using: &random) > 0 else { continue }  // the handler is busy
                let outcome: ReferralOutcome =
                    channel.kind == .phone
                    ? (Int.random(in: 0..<12, using: &random) == 0 ? .answered : .noAnswer)
                    : (Int.random(in: 0..<6, using: &random) == 0 ? .failed : .sent)
                attempts.append(
                    try ReferralAttempt(contact: person.id, channel: channel.kind, at: now, outcome: outcome))
            case .wait, .exhausted:
                // Now and then someone already contacted acknowledges.
                if Int.random(in: 0..<40, using: &random) == 0, let person = state.plan.first?.contact,
                    state.attempts.contains(where: { $0.contact == person.id })
                {
                    attempts.append(
                        try ReferralAttempt(contact: person.id, channel: .sms, at: now, outcome: .acknowledged))
                }
            case .done:
                break
            }
        }
        // Every site, whatever order its facts arrived in, reaches the same state.
        var forward = ReferralEscalation(snapshot: start.snapshot)
        _ = forward.replay(attempts, timers: timers.values.sorted { $0.step < $1.step })
        var backward = ReferralEscalation(snapshot: start.snapshot)
        _ = backward.replay(attempts.reversed(), timers: timers.values.sorted { $0.step > $1.step })
        #expect(forward.timerEscalations == backward.timerEscalations, "seed=\(seed)")
        #expect(forward.next(at: now) == backward.next(at: now), "seed=\(seed)")
        #expect(forward.timerDue(at: now) == nil || timers[forward.timerDue(at: now)!.step] == nil, "seed=\(seed)")
        let steps = forward.timerEscalations.map(\.step)
        #expect(steps == steps.sorted() && Set(steps).count == steps.count, "seed=\(seed)")
    }
}
