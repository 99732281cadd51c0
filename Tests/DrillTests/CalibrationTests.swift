import Domain
import Drill
import Testing

/// The model, staffed like the incumbent, reproduces the specification's own figures.
@Suite struct CalibrationTests {
    /// Tolerances against Enfield's 12-month row (Appendix 2), stated in the README too.
    static let offeredTolerancePercent = 3.0
    static let withinSLATolerancePoints = 3.0
    static let abandonedTolerancePoints = 1.5
    static let averageWaitToleranceSeconds = 5.0

    /// One simulated year of the whole shared service (every organisation, ~350,000 calls, 2.1.9).
    static let year: TrafficReport = {
        var simulation = try! CallCentreSimulation(configuration: SimulationConfiguration(days: 365), seed: 2_016)
        return simulation.run()
    }()

    @Test func aSimulatedYearReproducesEnfieldsTwelveMonthRow() throws {
        let enfield = Self.year.figures(organisation: try OrganisationCode("ENF"), standard: .gold)
        let table = TrafficProfile.Enfield.self
        let offeredError = 100 * abs(Double(enfield.offered - table.offered)) / Double(table.offered)
        #expect(offeredError <= Self.offeredTolerancePercent, "offered \(enfield.offered) vs \(table.offered)")
        #expect(
            abs(enfield.answeredWithinThresholdPercent - table.answeredWithinSLAPercent)
                <= Self.withinSLATolerancePoints,
            "% answered within 20 s: \(enfield.answeredWithinThresholdPercent) vs \(table.answeredWithinSLAPercent)")
        #expect(
            abs(enfield.abandonedPercent - table.abandonedPercent) <= Self.abandonedTolerancePoints,
            "% abandoned: \(enfield.abandonedPercent) vs \(table.abandonedPercent)")
        #expect(
            abs(enfield.averageWaitSeconds - table.averageWaitSeconds) <= Self.averageWaitToleranceSeconds,
            "average wait: \(enfield.averageWaitSeconds) s vs \(table.averageWaitSeconds) s")
        // The abandoned calls split as the table's do: most within 0–19 s (793 of 1,251), not all.
        let quickShare = Double(enfield.abandonedUnder20Seconds) / Double(max(enfield.abandoned, 1))
        #expect((0.5...0.8).contains(quickShare), "share abandoned within 0–19 s: \(quickShare) vs 0.63")
    }

    @Test func aSimulatedYearCarriesTheSpecificationsAnnualVolume() {
        // 2.1.9: "approximately 350,000" a year.
        let offered = Double(Self.year.figures().offered)
        #expect(
            abs(offered - TrafficProfile.specificationCallsPerYear) / TrafficProfile.specificationCallsPerYear < 0.02)
    }

    @Test func kensingtonsCallersHangUpQuicklyAsItsTableShows() throws {
        // RBKC's table: 16.81% abandoned, 3,839 of 4,304 within 0–19 s. Its 70.19% within SLA is not reproduced
        // with shared handlers (PROFILE.md); the abandonment is.
        let kensington = Self.year.figures(organisation: try OrganisationCode("RBK"), standard: .gold)
        #expect(abs(kensington.abandonedPercent - TrafficProfile.Kensington.abandonedPercent) <= 3)
        #expect(Double(kensington.abandonedUnder20Seconds) / Double(kensington.abandoned) > 0.8)
    }

    /// Gold at the weekday evening peak (2.1.5: 5 pm – 9 pm) over four weeks.
    static func eveningPeakGold(staffingPercent: Int) throws -> TrafficFigures {
        var simulation = try CallCentreSimulation(
            configuration: SimulationConfiguration(
                staffing: StaffingSchedule.incumbent.scaled(percent: staffingPercent), days: 28, startDayOfYear: 280),
            seed: 17)
        return simulation.run().figures(standard: .gold, hours: 17...20, weekend: false)
    }

    @Test func goldHoldsAtTheEveningPeakWhenStaffedLikeTheIncumbent() throws {
        let peak = try Self.eveningPeakGold(staffingPercent: 100)
        let gold = ServiceStandard.gold.thresholds
        #expect(peak.offered > 5_000)
        #expect(
            peak.answeredWithinThresholdPercent >= gold.answeredPercent!,
            "6.2 a: \(peak.answeredWithinThresholdPercent)%")
        #expect(peak.abandonedPercent < gold.abandonedPercentBelow!, "6.2 b: \(peak.abandonedPercent)%")
    }

    @Test func goldFailsAtTheEveningPeakWithHalfTheHandlers() throws {
        let peak = try Self.eveningPeakGold(staffingPercent: 50)
        // Not a near miss: both halves of the standard fail by a wide margin.
        #expect(peak.answeredWithinThresholdPercent < 60, "\(peak.answeredWithinThresholdPercent)% within 20 s")
        #expect(peak.abandonedPercent > 10, "\(peak.abandonedPercent)% abandoned")
    }
}
