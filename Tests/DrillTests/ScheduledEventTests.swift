import Domain
import Drill
import Testing

/// Failures and surges scheduled into a run change where calls go and how they fare (8.1, 8.6, 2.1.5).
@Suite struct ScheduledEventTests {
    static let west = try! SiteCode("WST")
    static let east = try! SiteCode("EST")
    static let hour = 3_600.0
    static let twoSites = StaffingSchedule.incumbent.split(over: ["WST", "EST"])

    /// Steps through one evening and collects every transition.
    static func transitions(
        _ events: [ScheduledEvent], seed: UInt64 = 4,
        routing: @escaping SimulatedRouting = DefaultRouting.mostFreeTrainedHandlers
    ) throws -> (CallCentreSimulation, [CallTransition]) {
        var simulation = try CallCentreSimulation(
            configuration: SimulationConfiguration(staffing: twoSites, events: events, days: 1, routing: routing),
            seed: seed)
        var all: [CallTransition] = []
        var time = 0.0
        while time < simulation.runSeconds {
            time = min(time + 900, simulation.runSeconds)
            all += try simulation.advance(to: time).transitions
        }
        return (simulation, all)
    }

    @Test func aDrainingSiteTakesNoNewCallsButFinishesItsQueue() throws {
        let (simulation, transitions) = try Self.transitions([
            ScheduledEvent(.draining(site: Self.west), startSeconds: 17 * Self.hour, endSeconds: 21 * Self.hour)
        ])
        let during = transitions.filter {
            $0.kind == .arrived && (17 * Self.hour..<21 * Self.hour).contains($0.timeSeconds)
        }
        #expect(during.count > 100)
        #expect(during.allSatisfy { $0.site == Self.east })
        let before = transitions.filter { $0.kind == .arrived && $0.timeSeconds < 17 * Self.hour }
        #expect(before.contains { $0.site == Self.west })
        #expect(simulation.report().figures(window: .during).lostToFailure == 0)
    }

    @Test func losingTelephonyCutsOffTheCallsQueuedThere() throws {
        // West takes every call it can, short of handlers at the peak so calls queue there; then its telephony goes.
        let westFirst: SimulatedRouting = { request in
            request.sites.firstIndex { $0.takingCalls && $0.site.rawValue == "WST" }
                ?? request.sites.firstIndex(where: \.takingCalls)
        }
        let (simulation, transitions) = try Self.transitions(
            [
                ScheduledEvent(
                    .handlerShortage(site: Self.west, staffingPercent: 30), startSeconds: 17 * Self.hour,
                    endSeconds: 20 * Self.hour),
                ScheduledEvent(
                    .telephonyLost(site: Self.west), startSeconds: 18 * Self.hour, endSeconds: 19 * Self.hour),
            ], routing: westFirst)
        let cut = transitions.filter { $0.kind == .lostToFailure }
        #expect(!cut.isEmpty)
        #expect(cut.allSatisfy { $0.site == Self.west && $0.timeSeconds == 18 * Self.hour })
        let arrivedDuringLoss = transitions.filter {
            $0.kind == .arrived && (18 * Self.hour..<19 * Self.hour).contains($0.timeSeconds)
        }
        #expect(arrivedDuringLoss.allSatisfy { $0.site == Self.east })
        #expect(simulation.report().figures(window: .during).lostToFailure == cut.count)
    }

    @Test func aPowerFailureSendsNewCallsToTheOtherSite() throws {
        let (_, transitions) = try Self.transitions([
            ScheduledEvent(.powerFailure(site: Self.east), startSeconds: 17 * Self.hour, endSeconds: 20 * Self.hour)
        ])
        let answeredDuring = transitions.filter {
            $0.kind == .answered && (17.1 * Self.hour..<20 * Self.hour).contains($0.timeSeconds)
        }
        #expect(answeredDuring.count > 100)
        #expect(answeredDuring.allSatisfy { $0.site == Self.west })
    }

    @Test func whenEverySiteIsDownCallsAreLostNotQueued() throws {
        let (simulation, transitions) = try Self.transitions([
            ScheduledEvent(.telephonyLost(site: Self.west), startSeconds: 17 * Self.hour, endSeconds: 18 * Self.hour),
            ScheduledEvent(.draining(site: Self.east), startSeconds: 17 * Self.hour, endSeconds: 18 * Self.hour),
        ])
        let arrived = transitions.filter {
            $0.kind == .arrived && (17 * Self.hour..<18 * Self.hour).contains($0.timeSeconds)
        }
        #expect(arrived.count > 50)
        #expect(arrived.allSatisfy { $0.site == nil })
        let during = simulation.report().figures(window: .during)
        #expect(during.offered == during.lostToFailure)
        #expect(during.answered == 0)
        #expect(during.lostToFailure == arrived.count)
    }

    @Test func aSurgeMultipliesOneOrganisationsCalls() throws {
        let enfield = try OrganisationCode("ENF")
        func enfieldEvenings(_ events: [ScheduledEvent]) throws -> Int {
            var simulation = try CallCentreSimulation(
                configuration: SimulationConfiguration(events: events, days: 14), seed: 21)
            return simulation.run().figures(organisation: enfield, hours: 18...19, weekend: false).offered
        }
        // Every weekday evening of two weeks, 18:00–20:00.
        let surges = (0..<14).filter { $0 % 7 < 5 }.map { day in
            ScheduledEvent(
                .surge(organisation: enfield, multiplier: 3), startSeconds: Double(day) * 86_400 + 18 * Self.hour,
                endSeconds: Double(day) * 86_400 + 20 * Self.hour)
        }
        let plain = try enfieldEvenings([])
        let surged = try enfieldEvenings(surges)
        #expect(plain > 100)
        let ratio = Double(surged) / Double(plain)
        #expect((2.6...3.4).contains(ratio), "\(surged) vs \(plain)")
    }

    @Test func aCustomRouterDecidesWhereCallsGo() throws {
        var simulation = try CallCentreSimulation(
            configuration: SimulationConfiguration(
                staffing: Self.twoSites, days: 1,
                routing: { request in request.sites.firstIndex { $0.site.rawValue == "EST" } }),
            seed: 3)
        let step = try simulation.advance(to: 86_400)
        let arrived = step.transitions.filter { $0.kind == .arrived }
        #expect(!arrived.isEmpty)
        #expect(arrived.allSatisfy { $0.site == Self.east })
    }
}
