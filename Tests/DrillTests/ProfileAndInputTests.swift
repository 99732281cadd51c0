import Domain
import Drill
import Testing

/// The profile carries the specification's figures, and bad input is refused with a message that says what to fix.
@Suite struct ProfileAndInputTests {
    @Test func theProfileAddsUpToTheSpecificationsFigures() throws {
        let profile = TrafficProfile.specification
        #expect(abs(profile.totalCallsPerYear - 350_000) < 1)  // 2.1.9
        let enfield = try #require(profile.organisations.first { $0.organisation.rawValue == "ENF" })
        #expect(enfield.callsPerYear[.gold] == 29_154)
        let ealing = try #require(profile.organisations.first { $0.organisation.rawValue == "EAL" })
        #expect(ealing.callsPerYear[.gold] == 9_563)
        #expect(ealing.callsPerYear[.silver] == 23_129)
        // 2.1.5: the weekday evening peak is the busiest time, and weekday daytime is closed.
        let index = try #require(profile.index(of: enfield.organisation))
        let peak = profile.callsPerHour(organisation: index, standard: .gold, month: 0, weekend: false, hour: 17)
        for hour in 0..<24 where !(17...18).contains(hour) {
            #expect(
                profile.callsPerHour(organisation: index, standard: .gold, month: 0, weekend: false, hour: hour) < peak)
            #expect(
                profile.callsPerHour(organisation: index, standard: .gold, month: 0, weekend: true, hour: hour) < peak)
        }
        #expect(profile.callsPerHour(organisation: index, standard: .gold, month: 0, weekend: false, hour: 12) == 0)
    }

    @Test func aSurgeIsReadFromTheCommandLineForm() throws {
        let surge = try ScheduledEvent.surge(parsing: "ENF=x3@18:00-20:00")
        #expect(surge.kind == .surge(organisation: try OrganisationCode("ENF"), multiplier: 3))
        #expect(surge.startSeconds == 18 * 3_600)
        #expect(surge.endSeconds == 20 * 3_600)
        let overnight = try ScheduledEvent.surge(parsing: "rbk=x1.5@2/23:30-01:00")
        #expect(overnight.startSeconds == 86_400 + 23.5 * 3_600)
        #expect(overnight.endSeconds == 2 * 86_400 + 3_600)
        for bad in ["ENF=3@18:00-20:00", "ENF=x3", "ENF=x3@18-20", "EN=x3@18:00-20:00", "ENF=x3@0/18:00-20:00"] {
            #expect(throws: DrillError.self, "\(bad)") { try ScheduledEvent.surge(parsing: bad) }
        }
    }

    @Test func badStaffingIsRefusedWithWhatToFix() throws {
        var short = StaffingSchedule.incumbent
        short.sites[0].teams[0].weekday.removeLast()
        let error = try #require(throws: DrillError.self) {
            try CallCentreSimulation(configuration: SimulationConfiguration(staffing: short, days: 1), seed: 1)
        }
        #expect(error.message.contains("give 24"))
        var unknownSkill = StaffingSchedule.incumbent
        unknownSkill.sites[0].teams[0].skills = ["XYZ"]
        #expect(throws: DrillError.self) {
            try CallCentreSimulation(configuration: SimulationConfiguration(staffing: unknownSkill, days: 1), seed: 1)
        }
    }

    @Test func eventsAreCheckedAndBounded() throws {
        let elsewhere = ScheduledEvent(.draining(site: try SiteCode("NTH")), startSeconds: 0, endSeconds: 60)
        let error = try #require(throws: DrillError.self) {
            try CallCentreSimulation(configuration: SimulationConfiguration(events: [elsewhere], days: 1), seed: 1)
        }
        #expect(error.message.contains("NTH") && error.message.contains("WST"))
        let backwards = ScheduledEvent(.draining(site: try SiteCode("WST")), startSeconds: 60, endSeconds: 0)
        #expect(throws: DrillError.self) {
            try CallCentreSimulation(configuration: SimulationConfiguration(events: [backwards], days: 1), seed: 1)
        }
        let many = Array(
            repeating: ScheduledEvent(.draining(site: try SiteCode("WST")), startSeconds: 0, endSeconds: 60),
            count: DrillLimits.eventsPerRunMax + 1)
        let tooMany = try #require(throws: DrillError.self) {
            try CallCentreSimulation(configuration: SimulationConfiguration(events: many, days: 1), seed: 1)
        }
        #expect(tooMany.kind == .tooLarge)
    }

    @Test func aRunThatWouldExceedTheCallLimitIsRefusedBeforeItStarts() throws {
        let surge = ScheduledEvent(
            .surge(organisation: try OrganisationCode("HGY"), multiplier: DrillLimits.surgeMultiplierMax),
            startSeconds: 0, endSeconds: 400 * 86_400)
        let error = try #require(throws: DrillError.self) {
            try CallCentreSimulation(configuration: SimulationConfiguration(events: [surge], days: 400), seed: 1)
        }
        #expect(error.kind == .tooLarge)
        #expect(error.message.contains("fewer days"))
    }
}
