import Domain
import Foundation
import NightdeskTestSupport
import Testing

@Suite struct ReferralEscalationTests {
    typealias R = Rotas

    let directory: OnCallDirectory
    let answer: OnCallAnswer
    let procedure: EscalationProcedure
    let ann: OnCallContact
    let ben: OnCallContact
    let cat: OnCallContact
    let mo: OnCallContact
    /// The call ended at 22:00; the handler starts the referral at once.
    let ended = R.london("2026-11-23 22:00")

    init() throws {
        mo = R.contact("Mo Manager", role: .manager)
        ann = R.contact("Ann Archer", manager: "mo-manager")
        ben = R.contact("Ben Baker", email: false)
        cat = R.contact("Cat Cole", pager: true)
        let pair = try Rotation(
            length: .weekly, handoff: R.time("09:00"), startDate: R.date("2026-01-05"), turns: [[ben.id, cat.id]])
        directory = try R.directory(
            [
                R.rota(
                    "eal-ds",
                    stages: [
                        R.stage(1, [R.layer(people: ["ann-archer"])]),
                        R.stage(2, [try RotaLayer(name: "pair", priority: 1, rotation: pair)]),
                    ])
            ], contacts: [ann, ben, cat, mo])
        answer = directory.onCall(organisation: R.ealing, option: R.structures, at: ended)
        procedure = try EscalationProcedure(
            organisation: R.ealing, option: R.structures,
            steps: [
                EscalationStep(.stage(1), channels: [.phone, .sms], acknowledgementWaitMs: 300_000),
                EscalationStep(.stage(2), channels: [.phone, .sms, .pager], acknowledgementWaitMs: 300_000),
                EscalationStep(.managersOf(stage: 1), channels: [.phone], acknowledgementWaitMs: 120_000),
            ],
            whenExhausted: EscalationFallback(
                emergencyContacts: [mo.id], alertSupervisor: true, instructions: "Call the emergency planning officer"))
    }

    func start(limit: Int = DomainLimits.referralLimitMinutesDefault) throws -> ReferralEscalation {
        try ReferralEscalation(
            procedure: procedure, answer: answer, directory: directory, callEndedAt: ended, referralLimitMinutes: limit)
    }

    func attempt(_ contact: OnCallContact, _ channel: ChannelKind, _ seconds: Double, _ outcome: ReferralOutcome) throws
        -> ReferralAttempt
    {
        try ReferralAttempt(contact: contact.id, channel: channel, at: ended + seconds, outcome: outcome)
    }

    @Test func thePlanIsEachStepsPeopleOnEachChannelTheyHaveInOrder() throws {
        let escalation = try start()
        // Ben has no email and no pager; Cat has a pager; the third step reaches Ann's manager by phone.
        #expect(
            escalation.plan.map { "\($0.step) \($0.contact.id) \($0.channel.kind.rawValue)" } == [
                "1 ann-archer phone", "1 ann-archer sms", "2 ben-baker phone", "2 ben-baker sms", "2 cat-cole phone",
                "2 cat-cole sms", "2 cat-cole pager", "3 mo-manager phone",
            ])
        #expect(escalation.next(at: ended) == .contact(ann, ann.channel(.phone)!, step: 1))
    }

    @Test func anAnsweredCallEndsTheEscalationAndNothingMoreIsRecorded() throws {
        var escalation = try start()
        try escalation.record(attempt(ann, .phone, 40, .answered))
        #expect(escalation.next(at: ended + 41) == .done(acknowledgedBy: ann))
        #expect(escalation.next(at: ended + 86_400) == .done(acknowledgedBy: ann))
        #expect(escalation.passedAt == ended + 40)
        #expect(throws: DomainError.self) { try escalation.record(attempt(ann, .sms, 50, .acknowledged)) }
    }

    @Test func anUnacknowledgedStepWaitsItsTimeThenEscalatesToTheNextStage() throws {
        var escalation = try start()
        try escalation.record(attempt(ann, .phone, 30, .noAnswer))
        #expect(escalation.next(at: ended + 31) == .contact(ann, ann.channel(.sms)!, step: 1))
        try escalation.record(attempt(ann, .sms, 60, .sent))
        #expect(escalation.next(at: ended + 61) == .wait(until: ended + 360))
        #expect(escalation.next(at: ended + 359) == .wait(until: ended + 360))
        #expect(escalation.next(at: ended + 360) == .contact(ben, ben.channel(.phone)!, step: 2))
    }

    @Test func anAcknowledgementWhileWaitingOrAfterTheNextStepStartedEndsTheEscalation() throws {
        var waiting = try start()
        try waiting.record(attempt(ann, .phone, 30, .noAnswer))
        try waiting.record(attempt(ann, .sms, 60, .sent))
        try waiting.record(attempt(ann, .sms, 200, .acknowledged))
        #expect(waiting.next(at: ended + 201) == .done(acknowledgedBy: ann))

        var late = try start()
        try late.record(attempt(ann, .phone, 30, .noAnswer))
        try late.record(attempt(ann, .sms, 60, .sent))
        try late.record(attempt(ben, .phone, 400, .noAnswer))
        // Ann replies to the first SMS while stage 2 is being tried.
        try late.record(attempt(ann, .sms, 420, .acknowledged))
        #expect(late.next(at: ended + 421) == .done(acknowledgedBy: ann))
        #expect(late.attempts.count == 4)
    }

    @Test func aStepInWhichEveryAttemptFailedMovesOnWithoutWaiting() throws {
        var escalation = try start()
        try escalation.record(attempt(ann, .phone, 10, .failed))
        try escalation.record(attempt(ann, .sms, 20, .failed))
        #expect(escalation.next(at: ended + 20) == .contact(ben, ben.channel(.phone)!, step: 2))
        #expect(escalation.passedAt == nil)
    }

    @Test func whenEveryoneHasBeenTriedTheFallbackIsReturned() throws {
        var escalation = try start()
        var seconds = 0.0
        while case .contact(let contact, let channel, _) = escalation.next(at: ended + seconds) {
            try escalation.record(
                attempt(contact, channel.kind, seconds, channel.kind.isConversation ? .noAnswer : .sent))
            seconds += 10
            if case .wait(let until) = escalation.next(at: ended + seconds) { seconds = until.timeIntervalSince(ended) }
        }
        #expect(escalation.attempts.count == 8)
        #expect(escalation.next(at: ended + seconds) == .exhausted(procedure.whenExhausted))
        #expect(escalation.emergencyContacts == [mo])
        #expect(throws: DomainError.self) { try escalation.record(attempt(mo, .phone, seconds + 1, .noAnswer)) }
    }

    @Test func aRotaGapGoesStraightToTheFallback() throws {
        let gap = directory.onCall(organisation: R.ealing, option: R.structures, at: R.london("2025-12-01 12:00"))
        let escalation = try ReferralEscalation(
            procedure: procedure, answer: gap, directory: directory, callEndedAt: ended)
        #expect(escalation.plan.isEmpty)
        #expect(escalation.next(at: ended) == .exhausted(procedure.whenExhausted))
    }

    @Test func attemptsOutOfTurnOrTimeAreRefusedWithWhatTheProcedureExpects() throws {
        var escalation = try start()
        let wrong = #expect(throws: DomainError.self) { try escalation.record(attempt(ben, .phone, 10, .noAnswer)) }
        #expect(wrong?.message.contains("contact Ann Archer (ann-archer) by phone") == true)
        try escalation.record(attempt(ann, .phone, 30, .noAnswer))
        #expect(throws: DomainError.self) { try escalation.record(attempt(ann, .sms, 20, .sent)) }
        #expect(throws: DomainError.self) { try attempt(ann, .sms, 40, .answered) }
        #expect(throws: DomainError.self) { try attempt(ann, .phone, 40, .sent) }
        try escalation.record(attempt(ann, .sms, 60, .sent))
        let early = #expect(throws: DomainError.self) { try escalation.record(attempt(ben, .phone, 100, .noAnswer)) }
        #expect(early?.message.contains("waiting for an acknowledgement") == true)
        // Somebody never contacted cannot acknowledge.
        #expect(throws: DomainError.self) { try escalation.record(attempt(cat, .phone, 120, .acknowledged)) }
    }

    @Test func theReferralDeadlineIsThePOsLimitAfterTheCallEnds() throws {
        // 6.4b: 10 minutes by default; a PO may set its own.
        #expect(try start().referralDeadline == ended + 600)
        #expect(try start(limit: 15).referralDeadline == ended + 900)
        #expect(throws: DomainError.self) { try start(limit: 0) }
        var escalation = try start()
        #expect(!escalation.isOverdue(at: ended + 600))
        #expect(escalation.isOverdue(at: ended + 601))
        // 11.7.3 g: a dispatched SMS passes the referral, even before it is acknowledged.
        try escalation.record(attempt(ann, .phone, 30, .noAnswer))
        try escalation.record(attempt(ann, .sms, 590, .sent))
        #expect(!escalation.isOverdue(at: ended + 3_600))
        var slow = try start()
        try slow.record(attempt(ann, .phone, 700, .answered))
        #expect(slow.isOverdue(at: ended + 701))
    }

    @Test func theProcedureMustBeForTheOrganisationAndOptionOfTheAnswer() throws {
        let other = try EscalationProcedure(
            organisation: R.ealing, option: R.noise, steps: procedure.steps, whenExhausted: procedure.whenExhausted)
        #expect(throws: DomainError.self) {
            try ReferralEscalation(procedure: other, answer: answer, directory: directory, callEndedAt: ended)
        }
        #expect(throws: DomainError.self) {
            try EscalationStep(.stage(1), channels: [.phone, .phone], acknowledgementWaitMs: 1_000)
        }
    }

    @Test func attemptLimitsLeaveRoomForTheLargestPlan() {
        // Every person of every step on every channel, with an acknowledgement, must be recordable.
        #expect(
            DomainLimits.escalationStepsMax * DomainLimits.peoplePerTurnMax * ChannelKind.allCases.count + 1
                <= DomainLimits.referralAttemptsMax)
    }

    @Test func randomAttemptSequencesFollowThePlanStopAtAcknowledgementAndTerminate() throws {
        for seed in UInt64(1)...300 {
            var random = CallReferenceTests.SplitMix64(state: seed)
            let steps = try (0..<Int.random(in: 1...4, using: &random)).map { _ in
                try EscalationStep(
                    Bool.random(using: &random) ? .stage(Int.random(in: 1...3, using: &random)) : .managersOf(stage: 1),
                    channels: Array(
                        ChannelKind.allCases.shuffled(using: &random).prefix(Int.random(in: 1...4, using: &random))),
                    acknowledgementWaitMs: Int.random(in: 0...600_000, using: &random))
            }
            let procedure = try EscalationProcedure(
                organisation: R.ealing, option: R.structures, steps: steps, whenExhausted: EscalationFallback())
            var escalation = try ReferralEscalation(
                procedure: procedure, answer: answer, directory: directory, callEndedAt: ended)
            var now = ended
            var made = 0
            var acknowledged = false
            var actions = 0
            let bound = 2 * escalation.plan.count + steps.count + 2
            loop: while true {
                actions += 1
                guard actions <= bound else {
                    Issue.record("seed=\(seed): no end after \(bound) actions")
                    break
                }
                switch escalation.next(at: now) {
                case .done:
                    #expect(acknowledged, "seed=\(seed)")
                    break loop
                case .exhausted:
                    #expect(!acknowledged && made == escalation.plan.count, "seed=\(seed)")
                    break loop
                case .wait(let until):
                    #expect(until > now, "seed=\(seed)")
                    let contacted = escalation.plan.prefix(made).map(\.contact)
                    if let someone = contacted.randomElement(using: &random), Int.random(in: 0..<5, using: &random) == 0
                    {
                        let at = now + until.timeIntervalSince(now) * Double.random(in: 0..<1, using: &random)
                        try escalation.record(
                            ReferralAttempt(contact: someone.id, channel: .sms, at: at, outcome: .acknowledged))
                        acknowledged = true
                        now = at
                    } else {
                        now = until
                    }
                case .contact(let contact, let channel, let step):
                    #expect(!acknowledged, "seed=\(seed): contacted after acknowledgement")
                    // Exactly the next planned contact: no stage skipped, none out of order.
                    let planned = escalation.plan[made]
                    #expect(
                        planned.contact == contact && planned.channel == channel && planned.step == step, "seed=\(seed)"
                    )
                    let outcomes: [ReferralOutcome] =
                        channel.kind.isConversation
                        ? [.answered, .noAnswer, .noAnswer, .failed] : [.sent, .sent, .failed, .acknowledged]
                    let outcome = outcomes.randomElement(using: &random)!
                    try escalation.record(
                        ReferralAttempt(contact: contact.id, channel: channel.kind, at: now, outcome: outcome))
                    made += 1
                    acknowledged = acknowledged || outcome == .answered || outcome == .acknowledged
                    now += Double(Int.random(in: 0...90, using: &random))
                }
            }
            if acknowledged {
                #expect(
                    escalation.next(at: now + 86_400) == .done(acknowledgedBy: escalation.acknowledgedBy!),
                    "seed=\(seed)")
            }
        }
    }
}
