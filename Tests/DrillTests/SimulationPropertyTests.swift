import Domain
import Drill
import Testing

/// Properties every run must have, whatever the seed, events or routing.
@Suite struct SimulationPropertyTests {
    static let site2 = try! SiteCode("EST")
    static let site1 = try! SiteCode("WST")

    /// Two sites, with a failure, a telephony loss, a drain, a shortage and a surge on the first evening.
    static func eventfulConfiguration(days: Int = 2) -> SimulationConfiguration {
        let hour = 3_600.0
        return SimulationConfiguration(
            staffing: StaffingSchedule.incumbent.split(over: ["WST", "EST"]),
            events: [
                ScheduledEvent(
                    .surge(organisation: try! OrganisationCode("ENF"), multiplier: 3), startSeconds: 17 * hour,
                    endSeconds: 20 * hour),
                ScheduledEvent(.powerFailure(site: site1), startSeconds: 18 * hour, endSeconds: 19 * hour),
                ScheduledEvent(.telephonyLost(site: site2), startSeconds: 18.5 * hour, endSeconds: 18.75 * hour),
                ScheduledEvent(.draining(site: site2), startSeconds: 19 * hour, endSeconds: 20 * hour),
                ScheduledEvent(
                    .handlerShortage(site: site1, staffingPercent: 50), startSeconds: 21 * hour, endSeconds: 23 * hour),
            ],
            days: days)
    }

    @Test(arguments: [1, 7, 42] as [UInt64])
    func theSameSeedGivesTheSameRun(seed: UInt64) throws {
        var first = try CallCentreSimulation(configuration: Self.eventfulConfiguration(), seed: seed)
        var second = try CallCentreSimulation(configuration: Self.eventfulConfiguration(), seed: seed)
        #expect(first.run() == second.run())
        #expect(first.callCount == second.callCount)
    }

    @Test func differentSeedsGiveDifferentRuns() throws {
        var first = try CallCentreSimulation(configuration: Self.eventfulConfiguration(), seed: 1)
        var second = try CallCentreSimulation(configuration: Self.eventfulConfiguration(), seed: 2)
        #expect(first.run() != second.run())
    }

    @Test(arguments: [3, 11, 99] as [UInt64])
    func everyOfferedCallIsAnsweredAbandonedOrStillWaiting(seed: UInt64) throws {
        var simulation = try CallCentreSimulation(configuration: Self.eventfulConfiguration(), seed: seed)
        // Checked mid-run, at the evening's worst, as well as at the end.
        for stop in [18.6, 19.5, 36.0, 48.0].map({ $0 * 3_600 }) {
            _ = try simulation.advance(to: stop)
            let total = simulation.report().figures()
            #expect(total.offered == total.answered + total.abandoned + total.waiting, "at \(stop) s")
            #expect(total.offered == simulation.callCount)
        }
        let total = simulation.report().figures()
        #expect(total.offered > 1_000)
        #expect(total.lostToFailure > 0)
    }

    @Test func steppingGivesTheSameFiguresAsOneRunAndListsEveryCall() throws {
        var batch = try CallCentreSimulation(configuration: Self.eventfulConfiguration(days: 1), seed: 5)
        let expected = batch.run()
        var stepped = try CallCentreSimulation(configuration: Self.eventfulConfiguration(days: 1), seed: 5)
        var arrived = Set<Int>()
        var ended = Set<Int>()
        var time = 0.0
        while time < stepped.runSeconds {
            time = min(time + 600, stepped.runSeconds)
            let step = try stepped.advance(to: time)
            #expect(!step.truncated)
            for transition in step.transitions {
                #expect(transition.timeSeconds <= time)
                switch transition.kind {
                case .arrived: arrived.insert(transition.call)
                case .answered, .abandoned, .lostToFailure: #expect(ended.insert(transition.call).inserted)
                }
            }
        }
        #expect(stepped.report() == expected)
        let total = expected.figures()
        #expect(arrived.count == total.offered)
        #expect(ended.count == total.answered + total.abandoned)
        #expect(throws: DrillError.self) { try stepped.advance(to: time - 1) }
    }

    @Test func goldIsAnsweredBeforeSilverWhenCallsQueue() throws {
        // A busy week at a third of the incumbent's staffing: the queue is long, and Gold goes first (7.1.5).
        var simulation = try CallCentreSimulation(
            configuration: SimulationConfiguration(staffing: StaffingSchedule.incumbent.scaled(percent: 35), days: 7),
            seed: 8)
        let report = simulation.run()
        let gold = report.figures(standard: .gold)
        let silver = report.figures(standard: .silver)
        #expect(
            gold.averageWaitSeconds * 2 < silver.averageWaitSeconds,
            "\(gold.averageWaitSeconds) vs \(silver.averageWaitSeconds)")
        #expect(gold.abandonedPercent < silver.abandonedPercent)
    }
}
