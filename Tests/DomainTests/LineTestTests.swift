import Domain
import Foundation
import NightdeskTestSupport
import Testing

@Suite struct LineTestPlanTests {
    let catalogue: Catalogue
    let main: PhoneNumber
    let noiseLine: PhoneNumber

    init() throws {
        catalogue = try Fixtures.catalogue()
        main = try PhoneNumber(parsing: "+442079460001")
        noiseLine = try PhoneNumber(parsing: "020 7946 0002")
    }

    /// The plan for Ealing's noise line (option hours "noise": Thu–Sat 19:00, to 03:00 the next morning).
    func noisePlan(threshold: Int = 1) throws -> LineTestPlan {
        let ealing = catalogue.organisation(try OrganisationCode("EAL"))!
        return LineTestPlan(
            number: noiseLine, hours: [ealing.option(try ServiceOptionCode("noise-patrol"))!.hours],
            calendar: catalogue.calendar, policy: try LineTestPolicy(thresholdCallsPerHour: threshold))
    }

    /// Ealing's main number serves every option, so it is open when any of them is.
    func mainPlan(threshold: Int = 1) throws -> LineTestPlan {
        let ealing = catalogue.organisation(try OrganisationCode("EAL"))!
        return LineTestPlan(
            number: main, hours: ealing.options.map(\.hours), calendar: catalogue.calendar,
            policy: try LineTestPolicy(thresholdCallsPerHour: threshold))
    }

    func minute(_ instant: Date) -> Int64 { Int64(instant.timeIntervalSince1970 / 60) }

    @Test func aTestCallIsOwedAtTheStartOfEachOutOfHoursPeriod() throws {
        // 8.13: "an initial daily test call … immediately following each regular transfer". 2026-11-26 is a
        // Thursday: the noise line opens at 19:00.
        let plan = try noisePlan(threshold: 0)
        #expect(plan.due(at: Fixtures.london("2026-11-26 18:59"), callsPastHour: 0, recorded: []).isEmpty)
        let atStart = plan.due(at: Fixtures.london("2026-11-26 19:00"), callsPastHour: 0, recorded: [])
        #expect(atStart == [
            LineTestSlot(number: noiseLine, kind: .periodStart, slotMinute: minute(Fixtures.london("2026-11-26 19:00")))
        ])
        // Still owed a little later (a site that was down at 19:00 makes it when it is back)…
        #expect(plan.due(at: Fixtures.london("2026-11-26 19:25"), callsPastHour: 5, recorded: []) == atStart)
        // …but once recorded, not again, and not after the grace.
        #expect(plan.due(at: Fixtures.london("2026-11-26 19:25"), callsPastHour: 5, recorded: Set(atStart)).isEmpty)
        #expect(plan.due(at: Fixtures.london("2026-11-26 19:31"), callsPastHour: 5, recorded: []).isEmpty)
    }

    @Test func aPeriodRunningOverMidnightStartsOnceNotAtMidnight() throws {
        // Friday's noise hours are 00:00–03:00 (Thursday night's period continuing) and 19:00–24:00.
        let plan = try noisePlan(threshold: 0)
        #expect(plan.periodStart(at: Fixtures.london("2026-11-27 00:10")) == nil)
        #expect(plan.periodStart(at: Fixtures.london("2026-11-27 19:10")) == Fixtures.london("2026-11-27 19:00"))
    }

    @Test func aQuietNumberIsTestedEveryHalfHourWhileOpen() throws {
        // 8.13: every half hour while demand per hour is below the organisation's threshold.
        let plan = try noisePlan(threshold: 3)
        let at2010 = plan.due(at: Fixtures.london("2026-11-26 20:10"), callsPastHour: 2, recorded: [])
        #expect(at2010 == [
            LineTestSlot(number: noiseLine, kind: .lowDemand, slotMinute: minute(Fixtures.london("2026-11-26 20:00")))
        ])
        #expect(plan.due(at: Fixtures.london("2026-11-26 20:29"), callsPastHour: 2, recorded: Set(at2010)).isEmpty)
        let at2030 = plan.due(at: Fixtures.london("2026-11-26 20:30"), callsPastHour: 2, recorded: Set(at2010))
        #expect(at2030.map(\.slotMinute) == [minute(Fixtures.london("2026-11-26 20:30"))])
        // Busy enough: no test. Closed: no test, however quiet.
        #expect(plan.due(at: Fixtures.london("2026-11-26 20:10"), callsPastHour: 3, recorded: []).isEmpty)
        #expect(plan.due(at: Fixtures.london("2026-11-26 12:00"), callsPastHour: 0, recorded: []).isEmpty)
        // A threshold of 0 turns the half-hourly tests off.
        #expect(try noisePlan(threshold: 0).due(at: Fixtures.london("2026-11-26 20:10"), callsPastHour: 0, recorded: [])
            .isEmpty)
    }

    @Test func aPeriodStartTestStandsForThatHalfHoursLowDemandTest() throws {
        let plan = try noisePlan(threshold: 5)
        let due = plan.due(at: Fixtures.london("2026-11-26 19:05"), callsPastHour: 0, recorded: [])
        #expect(due.map(\.kind) == [.periodStart])
        #expect(plan.due(at: Fixtures.london("2026-11-26 19:05"), callsPastHour: 0, recorded: Set(due)).isEmpty)
        #expect(plan.due(at: Fixtures.london("2026-11-26 19:30"), callsPastHour: 0, recorded: Set(due)).map(\.kind)
            == [.lowDemand])
    }

    @Test func aGeneralNumberOpensWhenItsFirstOptionOpens() throws {
        // Ealing's main number: "evenings" opens 17:00 on a weekday, before noise (19:00 Thursday).
        let plan = try mainPlan()
        #expect(plan.periodStart(at: Fixtures.london("2026-11-26 17:02")) == Fixtures.london("2026-11-26 17:00"))
        #expect(plan.periodStart(at: Fixtures.london("2026-11-26 19:02")) == nil)
    }

    @Test func theStartTestFollowsTheClocksChange() throws {
        // 2026-03-29: the clocks go forward at 01:00 UTC. A weekday evening period still starts at 17:00 local
        // on the Monday after, which is 16:00 UTC.
        let plan = try mainPlan(threshold: 0)
        let due = plan.due(at: Fixtures.utc("2026-03-30T16:00:00Z"), callsPastHour: 0, recorded: [])
        #expect(due.map(\.slotMinute) == [minute(Fixtures.utc("2026-03-30T16:00:00Z"))])
        #expect(plan.due(at: Fixtures.utc("2026-03-30T15:59:00Z"), callsPastHour: 0, recorded: []).isEmpty)
    }

    @Test func aWeekMinuteByMinuteOwesEachSlotOnce() throws {
        // Evaluate a week minute by minute, recording what is made: each period start is tested exactly once, and
        // no half hour gets two tests.
        let plan = try mainPlan(threshold: 2)
        var recorded = Set<LineTestSlot>()
        var start = Fixtures.london("2026-11-23 00:00")
        for step in 0..<(7 * 24 * 60) {
            // Demand that rises and falls through the threshold: 0, 1, 2, 3 calls in turn, changing every 17 min.
            let calls = (step / 17) % 4
            for slot in plan.due(at: start, callsPastHour: calls, recorded: recorded) {
                #expect(recorded.insert(slot).inserted, "slot \(slot) owed twice")
            }
            start += 60
        }
        let starts = recorded.filter { $0.kind == .periodStart }.count
        // Mon–Fri open at 17:00 (the 00:00–08:00 run continues the night before, except Monday's, which continues
        // Sunday's all-day hours); Saturday and Sunday are all day from Friday evening on: 5 starts.
        #expect(starts == 5)
        #expect(recorded.contains { $0.kind == .lowDemand })
        let halfHours = Dictionary(grouping: recorded, by: \.slotMinute).values
        #expect(halfHours.allSatisfy { $0.count == 1 })
    }

    @Test func aFailureEscalatesOnceUntilTheLinePassesAgain() {
        let failed = LineTestOutcome.failed(reason: "no site answers")
        #expect(lineTestFailureEscalates(failed, previous: nil))
        #expect(lineTestFailureEscalates(failed, previous: .passed))
        #expect(!lineTestFailureEscalates(failed, previous: failed))
        #expect(!lineTestFailureEscalates(.passed, previous: failed))
    }

    @Test func aThresholdOutOfRangeIsRefused() {
        #expect(throws: DomainError.self) { try LineTestPolicy(thresholdCallsPerHour: -1) }
        #expect(throws: DomainError.self) { try LineTestPolicy(thresholdCallsPerHour: 1_001) }
    }
}
