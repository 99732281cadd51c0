import Domain
import Foundation
import Testing

@testable import Drill

/// Events begun and ended while a run is in progress (a drill's faults), beside the scheduled ones.
@Suite("Call-centre simulation: events begun while running")
struct CallCentreLiveEventTests {
    static let west = try! SiteCode("WST")
    static let hour = 3_600.0
    static let twoSites = StaffingSchedule.incumbent.split(over: ["WST", "EST"])

    static func simulation(_ events: [ScheduledEvent] = [], seed: UInt64 = 4) throws -> CallCentreSimulation {
        try CallCentreSimulation(
            configuration: SimulationConfiguration(staffing: twoSites, events: events, days: 1), seed: seed)
    }

    @Test(arguments: [
        ScheduledEvent.Kind.draining(site: west), .telephonyLost(site: west), .powerFailure(site: west),
        .handlerShortage(site: west, staffingPercent: 25),
        .surge(organisation: try! OrganisationCode("ENF"), multiplier: 4),
    ])
    func anEventBegunAndEndedNowActsAsTheSameScheduledEvent(_ kind: ScheduledEvent.Kind) throws {
        let start = 17 * Self.hour + 1_200
        let end = 18 * Self.hour + 1_500
        var scheduled = try Self.simulation([ScheduledEvent(kind, startSeconds: start, endSeconds: end)])
        let expected = try scheduled.advance(to: 20 * Self.hour).transitions

        var live = try Self.simulation()
        var transitions = try live.advance(to: start).transitions
        try live.begin(kind)
        #expect(live.eventsInProgress == [kind])
        transitions += try live.advance(to: end).transitions
        try live.end(kind)
        #expect(live.eventsInProgress.isEmpty)
        transitions += try live.advance(to: 20 * Self.hour).transitions
        #expect(transitions.count > 300)
        #expect(transitions == expected)
    }

    @Test func whatABegunEventDoesAtOnceComesWithTheNextStep() throws {
        // West takes every call and is short of handlers, so calls queue there; then its telephony goes.
        var simulation = try CallCentreSimulation(
            configuration: SimulationConfiguration(
                staffing: Self.twoSites, days: 1,
                routing: { request in request.sites.firstIndex { $0.takingCalls && $0.site.rawValue == "WST" } }),
            seed: 9)
        _ = try simulation.advance(to: 17 * Self.hour)
        try simulation.begin(.handlerShortage(site: Self.west, staffingPercent: 20))
        _ = try simulation.advance(to: 17.5 * Self.hour)
        #expect(simulation.handlersOnShift(site: Self.west) == 1)
        try simulation.begin(.telephonyLost(site: Self.west))
        let step = try simulation.advance(to: 17.6 * Self.hour)
        let lost = step.transitions.filter { $0.kind == .lostToFailure }
        // Queued at West and cut off at the loss, before anything later in the step.
        let cut = lost.filter { $0.site == Self.west }
        #expect(!cut.isEmpty)
        #expect(cut.allSatisfy { $0.timeSeconds == 17.5 * Self.hour })
        #expect(Array(step.transitions.prefix(cut.count)) == cut)
        // New calls have nowhere to go (West alone takes calls here): lost at arrival, with no site.
        #expect(lost.filter { $0.site == nil }.allSatisfy { $0.timeSeconds > 17.5 * Self.hour && $0.waitSeconds == 0 })
        #expect(simulation.report().figures(window: .during).lostToFailure == lost.count)
    }

    @Test func aBadEventIsRefusedAndChangesNothing() throws {
        var simulation = try Self.simulation()
        var twin = try Self.simulation()
        _ = try simulation.advance(to: 17 * Self.hour)
        _ = try twin.advance(to: 17 * Self.hour)
        let refusals: [ScheduledEvent.Kind] = [
            .draining(site: try SiteCode("NTH")), .surge(organisation: try OrganisationCode("ZZZ"), multiplier: 2),
            .surge(organisation: try OrganisationCode("ENF"), multiplier: 0),
            .handlerShortage(site: Self.west, staffingPercent: 101),
        ]
        for kind in refusals {
            #expect(throws: DrillError.self) { try simulation.begin(kind) }
        }
        let error = #expect(throws: DrillError.self) { try simulation.end(.draining(site: Self.west)) }
        #expect(error?.message.contains("not begun") == true)
        #expect(simulation.eventsInProgress.isEmpty)
        #expect(try simulation.advance(to: 19 * Self.hour).transitions == twin.advance(to: 19 * Self.hour).transitions)
    }
}
