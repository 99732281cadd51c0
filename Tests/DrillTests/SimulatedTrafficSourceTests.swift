import Domain
import Foundation
import Testing

@testable import Drill

/// The specification profile's `[load]` as a runbook without `handlersPerSite` gives it: the incumbent staffing.
func specificationLoad(sites: [String] = threeSites, startHour: Int = 17, volumePercent: Int = 100)
    -> DrillDefinition.Load
{
    DrillDefinition.Load(
        profile: "specification", callsPerHour: 0, everyOrganisation: true,
        handlersPerSite: SimulatedTrafficSource.mostScheduledHandlers(sites: sites, volumePercent: volumePercent),
        handlingSeconds: 120, patienceSeconds: 60, startHour: startHour, volumePercent: volumePercent,
        handlersPerSiteGiven: false)
}

let threeSites = ["WST", "EST", "NTH"]

/// Advances `source` to `seconds` in steps of `step` drill seconds, as the runner's ticks do, with one table.
func drive(
    _ source: any TrafficSource, from start: Double = 0, to seconds: Double, step: Double = 5,
    routing: RoutingTable
) -> [TrafficEvent] {
    var events: [TrafficEvent] = []
    var time = start
    while time < seconds {
        time = min(time + step, seconds)
        events += source.advance(to: time, routing: routing)
    }
    return events
}

func answered(_ events: [TrafficEvent]) -> [(call: DummyCall, wait: Double, at: Double)] {
    events.compactMap { if case .answered(let call, let wait, let at) = $0 { (call, wait, at) } else { nil } }
}

func abandoned(_ events: [TrafficEvent]) -> [(call: DummyCall, wait: Double, at: Double)] {
    events.compactMap { if case .abandoned(let call, let wait, let at) = $0 { (call, wait, at) } else { nil } }
}

@Suite("Simulated traffic source")
struct SimulatedTrafficSourceTests {
    @Test func oneSeedGivesTheSameEventsForTheSameFaultsAndRouting() throws {
        let catalogue = try repositoryCatalogue()
        func run(seed: UInt64) throws -> [TrafficEvent] {
            let source = try SimulatedTrafficSource(
                catalogue: catalogue, sites: threeSites, load: specificationLoad(), seed: seed)
            var events = drive(source, to: 900, routing: .even(threeSites))
            source.setCondition("EST", .telephonyLost)
            source.setSurge("ENF", factor: 3)
            events += drive(source, from: 900, to: 1_800, routing: .even(["WST", "NTH"]))
            source.setCondition("EST", .normal)
            events += drive(source, from: 1_800, to: 2_400, routing: .even(threeSites))
            return events
        }
        let first = try run(seed: 11)
        #expect(offered(first).count > 50)
        #expect(first == (try run(seed: 11)))
        #expect(first != (try run(seed: 12)))
    }

    @Test func everyCatalogueOrganisationIsOfferedCallsInAnEveningPeakHour() throws {
        // 8.6 c: dummy calls for every Participating Organisation; 2.1.5: 17:00–18:00 on a weekday.
        let catalogue = try repositoryCatalogue()
        let source = try SimulatedTrafficSource(
            catalogue: catalogue, sites: threeSites, load: specificationLoad(), seed: 3)
        let calls = offered(drive(source, to: 3_600, routing: .even(threeSites)))
        #expect(Set(calls.map(\.organisation)) == Set(catalogue.organisations.map(\.code.rawValue)))
        // Each call names one of its organisation's catalogue options, at the call's Service Standard whenever the
        // organisation has an option at that standard.
        for call in calls {
            let organisation = try #require(catalogue.organisations.first { $0.code.rawValue == call.organisation })
            let option = try #require(organisation.options.first { $0.code.rawValue == call.option })
            if organisation.options.contains(where: { $0.standard == call.standard }) {
                #expect(option.standard == call.standard, "\(call.organisation) \(call.option)")
            }
        }
        // About 141 calls in the weekday 17:00 hour of an October (2.1.9 spread by the hourly shape, PROFILE.md).
        // The smallest, Homes for Haringey (HFH), has about 2 of them, so an hour without one is possible (about 1
        // seed in 8); over the runbooks' 20 drill minutes it is missed about half the time.
        let expected = SimulatedTrafficSource.busiestCallsPerHour(
            startHour: 17, drillSeconds: 3_600, volumePercent: 100)
        #expect(abs(Double(calls.count) - expected) < 4 * expected.squareRoot(), "\(calls.count) vs \(expected)")
    }

    @Test func callsGoOnlyToSitesTheTableGivesAShare() throws {
        let source = try SimulatedTrafficSource(
            catalogue: try repositoryCatalogue(), sites: threeSites, load: specificationLoad(), seed: 5)
        let table = RoutingTable(
            answers: [.init(organisation: "EAL", standard: .gold): [SiteShare(site: "WST", percent: 100)]],
            otherwise: [
                SiteShare(site: "WST", percent: 0), SiteShare(site: "EST", percent: 25),
                SiteShare(site: "NTH", percent: 75),
            ])
        let calls = offered(drive(source, to: 3_600, routing: table))
        let ealingGold = calls.filter { $0.organisation == "EAL" && $0.standard == .gold }
        #expect(!ealingGold.isEmpty)
        #expect(ealingGold.allSatisfy { $0.site == "WST" })
        let others = calls.filter { !($0.organisation == "EAL" && $0.standard == .gold) }
        #expect(others.allSatisfy { $0.site == "EST" || $0.site == "NTH" })
        let atNorth = Double(others.filter { $0.site == "NTH" }.count) / Double(others.count)
        #expect((0.6...0.9).contains(atNorth), "\(atNorth) of calls at NTH for a 75% share")

        // No share anywhere: every call is lost to the failure, reported as abandoned without a wait.
        let nowhere = drive(source, from: 3_600, to: 4_200, routing: .even([]))
        let lost = offered(nowhere)
        #expect(!lost.isEmpty)
        #expect(lost.allSatisfy { $0.site == nil })
        let ends = abandoned(nowhere).filter { $0.call.site == nil }
        #expect(Set(ends.map(\.call.id)) == Set(lost.map(\.id)))
        #expect(ends.allSatisfy { $0.wait == 0 && $0.at == $0.call.offeredAtSeconds })
    }

    @Test func aNewCallGoesWhereAHandlerIsFreeInRoutingsProportions() throws {
        // EST has lost power (8.1 e): it still takes calls, but no handler there is ever free. With a fifth of
        // the volume and 5 handlers at WST, WST nearly always has one free, so EST's half share is passed to it
        // and EST gets a call only when every WST handler is busy.
        var load = specificationLoad(volumePercent: 20)
        load.handlersPerSite = 5
        load.handlersPerSiteGiven = true
        let source = try SimulatedTrafficSource(
            catalogue: try repositoryCatalogue(), sites: threeSites, load: load, seed: 4)
        source.setCondition("EST", .powerLost)
        let table = RoutingTable(
            answers: [:], otherwise: [SiteShare(site: "WST", percent: 50), SiteShare(site: "EST", percent: 50)])
        let calls = offered(drive(source, to: 7_200, routing: table))
        #expect(calls.count > 30)
        #expect(calls.allSatisfy { $0.site == "WST" || $0.site == "EST" })
        let atEast = Double(calls.filter { $0.site == "EST" }.count) / Double(calls.count)
        #expect(atEast < 0.1, "\(atEast) of calls at a site with nobody free, for a 50% share")
    }

    /// A source whose WST has one handler and takes every call for ten minutes, so calls queue there.
    static func queueAtWest(seed: UInt64 = 8) throws -> SimulatedTrafficSource {
        var load = specificationLoad()
        load.handlersPerSite = 1
        load.handlersPerSiteGiven = true
        let source = try SimulatedTrafficSource(
            catalogue: try repositoryCatalogue(), sites: threeSites, load: load, seed: seed)
        _ = drive(source, to: 600, routing: .even(["WST"]))
        return source
    }

    @Test func aDrainingSiteGetsNoNewCallsButAnswersItsQueue() throws {
        // 8.1 f: an evacuating site stops taking calls; its handlers finish the queued ones.
        let source = try Self.queueAtWest()
        source.setCondition("WST", .draining)
        let after = drive(source, from: 600, to: 1_800, routing: .even(threeSites))
        let calls = offered(after)
        #expect(!calls.isEmpty)
        #expect(calls.allSatisfy { $0.site == "EST" || $0.site == "NTH" }, "WST's share passes to the others")
        let westAnswers = answered(after).filter { $0.call.site == "WST" }
        #expect(!westAnswers.isEmpty, "WST's handler keeps answering its queue")
        #expect(westAnswers.allSatisfy { $0.call.offeredAtSeconds < 600 })
        #expect(source.handlersOnShift("WST") == 1)
    }

    @Test func aTelephonyLossCutsOffTheQueue() throws {
        // 8.1 a, b: no call reaches the site; callers queued there are cut off.
        let source = try Self.queueAtWest()
        source.setCondition("WST", .telephonyLost)
        let after = drive(source, from: 600, to: 1_200, routing: .even(threeSites))
        let cutOff = abandoned(after).filter { $0.call.site == "WST" }
        #expect(!cutOff.isEmpty, "one handler at the evening peak leaves a queue")
        #expect(cutOff.allSatisfy { $0.at == 600 && $0.wait == 600 - $0.call.offeredAtSeconds })
        #expect(answered(after).allSatisfy { $0.call.site != "WST" })
        #expect(offered(after).allSatisfy { $0.site != "WST" })
        // Back to normal: WST takes calls again.
        source.setCondition("WST", .normal)
        let restored = offered(drive(source, from: 1_200, to: 1_800, routing: .even(threeSites)))
        #expect(restored.contains { $0.site == "WST" })
    }

    @Test func aPowerLossLeavesNobodyAnsweringThere() throws {
        // 8.1 e: the site's handlers are gone; calls routing still sends there wait until their callers give up.
        let source = try SimulatedTrafficSource(
            catalogue: try repositoryCatalogue(), sites: threeSites, load: specificationLoad(), seed: 6)
        _ = drive(source, to: 600, routing: .even(threeSites))
        #expect(source.handlersOnShift("EST") == 4)
        source.setCondition("EST", .powerLost)
        #expect(source.handlersOnShift("EST") == 0)
        let during = drive(source, from: 600, to: 1_800, routing: .even(threeSites))
        #expect(answered(during).allSatisfy { $0.call.site != "EST" })
        #expect(offered(during).contains { $0.site == "EST" }, "routing has not moved the traffic yet")
        #expect(abandoned(during).contains { $0.call.site == "EST" })
        source.setCondition("EST", .normal)
        #expect(source.handlersOnShift("EST") == 4)
        let restored = drive(source, from: 1_800, to: 2_400, routing: .even(threeSites))
        #expect(answered(restored).contains { $0.call.site == "EST" })
    }

    @Test func aHandlerShortageTakesTheSiteDownToThatManyAndTheLoadsHandlersEndIt() throws {
        // 8.1 g. At 17:00 the incumbent's 13 handlers over three sites are 5, 4 and 4.
        let load = specificationLoad()
        let source = try SimulatedTrafficSource(
            catalogue: try repositoryCatalogue(), sites: threeSites, load: load, seed: 2)
        _ = drive(source, to: 60, routing: .even(threeSites))
        #expect(threeSites.map { source.handlersOnShift($0) } == [5, 4, 4])
        source.setHandlers("WST", 1)
        // Handlers busy on a call finish it before they go.
        _ = drive(source, from: 60, to: 1_800, routing: .even(threeSites))
        #expect(source.handlersOnShift("WST") == 1)
        // The runner sets a site back to the load's handlersPerSite at the end of the fault.
        source.setHandlers("WST", load.handlersPerSite)
        #expect(source.handlersOnShift("WST") == 5)
        #expect(source.problems.isEmpty)
    }

    @Test func aSurgeRaisesOnlyThatOrganisationsCalls() throws {
        // 8.1 h, i.
        let source = try SimulatedTrafficSource(
            catalogue: try repositoryCatalogue(), sites: threeSites, load: specificationLoad(), seed: 9)
        let normal = offered(drive(source, to: 3_600, routing: .even(threeSites)))
        source.setSurge("EAL", factor: 5)
        let surged = offered(drive(source, from: 3_600, to: 7_200, routing: .even(threeSites)))
        let share = { (calls: [DummyCall]) in
            Double(calls.filter { $0.organisation == "EAL" }.count) / Double(calls.count)
        }
        #expect(share(surged) > 2 * share(normal), "\(share(surged)) vs \(share(normal))")
        source.setSurge("NOPE", factor: 2)
        #expect(source.problems.count == 1)
    }

    /// Gold answered within 20 s and all calls abandoned, as the drill report counts them (over calls offered), for
    /// the evening peak 17:00–19:00 on a weekday, pooled over 20 seeded evenings so no one lucky seed decides.
    static func eveningPeak(sites: [String], routing: RoutingTable) throws -> (gold: Double, abandoned: Double) {
        let catalogue = try repositoryCatalogue()
        var (offeredCalls, abandonedCalls, goldCalls, goldWithin20) = (0, 0, 0, 0)
        for seed in UInt64(1)...20 {
            let source = try SimulatedTrafficSource(
                catalogue: catalogue, sites: sites, load: specificationLoad(sites: sites), seed: seed)
            let events = drive(source, to: 7_200, step: 10, routing: routing)
            let calls = offered(events)
            let gold = Set(calls.filter { $0.standard == .gold }.map(\.id))
            offeredCalls += calls.count
            abandonedCalls += abandoned(events).count
            goldCalls += gold.count
            goldWithin20 += answered(events).filter { gold.contains($0.call.id) && $0.wait <= 20 }.count
        }
        #expect(goldCalls > 3_000)
        return (Double(goldWithin20) * 100 / Double(goldCalls), Double(abandonedCalls) * 100 / Double(offeredCalls))
    }

    @Test func theEveningPeakHoldsGoldWithTheIncumbentStaffingOverThreeSites() throws {
        // 2.1.2 c, 6.2: Gold 80% answered within 20 s, under 5% abandoned, with the incumbent's 13 then 12 handlers
        // shared 5/4/4 then 4/4/4 over three sites and an even split: the model's calibration in the drill's use
        // (about 87% and 3.5%). It holds because the call distributor offers a call where a handler is free, in
        // routing's proportions: drawn blind to free handlers, each site's queue is on its own and the three lose
        // the pooling of the incumbent's one queue (about 72% and 8%; 5 handlers a site all evening would be
        // needed for about 85% and 4%).
        let (gold, abandoned) = try Self.eveningPeak(sites: threeSites, routing: .even(threeSites))
        #expect(gold >= 80, "Gold within 20 s: \(gold)%")
        #expect(abandoned < 5, "abandoned: \(abandoned)%")
    }

    @Test func theEveningPeakHoldsGoldWithTheIncumbentsHandlersInOneQueue() throws {
        // The calibration holding in the drill's use of the model: one site with all 13 of the incumbent's handlers
        // (StaffingSchedule.incumbent, fitted to Enfield's 12-month row, Appendix 2).
        let (gold, abandoned) = try Self.eveningPeak(sites: ["WST"], routing: .even(["WST"]))
        #expect(gold >= 80, "Gold within 20 s: \(gold)%")
        #expect(abandoned < 5, "abandoned: \(abandoned)%")
    }

    @Test func anOrganisationTheProfileDoesNotKnowGetsTheTypicalVolume() throws {
        let unknown = try OrganisationCode("ZZZ")
        let profile = try SimulatedTrafficSource.profile(
            for: [try OrganisationCode("ENF"), unknown], volumePercent: 200)
        let typical =
            TrafficProfile.specificationCallsPerYear / Double(TrafficProfile.specification.organisations.count)
        let index = try #require(profile.index(of: unknown))
        #expect(abs(profile.organisations[index].totalCallsPerYear - 2 * typical) < 1)
        #expect((profile.organisations[index].callsPerYear[.gold] ?? 0) > 0)
        #expect((profile.organisations[index].callsPerYear[.silver] ?? 0) > 0)
        let enfield = try #require(profile.index(of: try OrganisationCode("ENF")))
        #expect(profile.organisations[enfield].totalCallsPerYear == 2 * Double(TrafficProfile.Enfield.offered))
        #expect(profile.organisations.count == 2, "the profile's organisations outside the catalogue are left out")
    }

    @Test func optionsComeFromTheMixWhereTheCatalogueHasThemAtTheCallsStandard() throws {
        let catalogue = try repositoryCatalogue()
        let ealing = try #require(catalogue.organisations.first { $0.code.rawValue == "EAL" })
        var picker = OptionPicker(ealing)
        // Ealing's mix (Appendix 2): social services is Gold in the catalogue, noise patrol Silver.
        let socialServices = try ServiceOptionCode("social-services-emergencies")
        #expect(picker.pick(.gold, suggested: socialServices) == socialServices.rawValue)
        #expect(picker.pick(.silver, suggested: try ServiceOptionCode("noise-patrol")) == "noise-patrol")
        let golds = ealing.options.filter { $0.standard == .gold }.map(\.code.rawValue)
        let turns = (0..<golds.count).map { _ in picker.pick(.gold, suggested: try? ServiceOptionCode("noise-patrol")) }
        #expect(turns == golds, "a Gold call drawn as noise patrol takes Ealing's Gold options in turn")
        // Ealing has no Platinum option: all its options in turn.
        #expect(picker.pick(.platinum, suggested: nil) == ealing.options[0].code.rawValue)
    }

    @Test func theFactoryPicksTheSourceByProfile() throws {
        let catalogue = try repositoryCatalogue()
        #expect(
            try makeTrafficSource(catalogue: catalogue, sites: threeSites, load: load, seed: 1) is SteadyTrafficSource)
        #expect(
            try makeTrafficSource(catalogue: catalogue, sites: threeSites, load: specificationLoad(), seed: 1)
                is SimulatedTrafficSource)
        var unknown = load
        unknown.profile = "bursty"
        #expect(throws: DrillError.self) {
            try makeTrafficSource(catalogue: catalogue, sites: threeSites, load: unknown, seed: 1)
        }
        var late = specificationLoad()
        late.startHour = 24
        #expect(throws: DrillError.self) {
            try makeTrafficSource(catalogue: catalogue, sites: threeSites, load: late, seed: 1)
        }
    }
}

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

@Suite("Runbook parsing: the specification profile")
struct SpecificationLoadParsingTests {
    @Test func theSpecificationProfileNeedsNoSteadyKeysAndStartsAtTheEveningPeak() throws {
        let load = try Runbook.parse(runbookText(load: "profile = \"specification\"")).definition.load
        #expect(load.profile == "specification")
        #expect(load.startHour == 17)
        #expect(load.volumePercent == 100)
        #expect(!load.handlersPerSiteGiven)
        // The incumbent's 13 at 17:00 over WST, EST, NTH: 5, 4, 4; the most at one site is 5.
        #expect(load.handlersPerSite == 5)
        // The calls of the drill's busiest hour, for the bound on calls written per wall-clock second.
        #expect((100...200).contains(load.callsPerHour), "\(load.callsPerHour)")
    }

    @Test func startHourVolumeAndHandlersAreRead() throws {
        let load = try Runbook.parse(
            runbookText(load: "profile = \"specification\"\nstartHour = 2\nvolumePercent = 250\nhandlersPerSite = 3")
        ).definition.load
        #expect(load.startHour == 2)
        #expect(load.volumePercent == 250)
        #expect(load.handlersPerSite == 3)
        #expect(load.handlersPerSiteGiven)
        let steady = try Runbook.parse(runbookText()).definition.load
        #expect(steady.profile == "steady")
        #expect(steady.handlersPerSiteGiven)
    }

    @Test(arguments: [
        ("startHour = 24", "[load] startHour 24 must be an hour of the day from 0 to 23"),
        ("startHour = -1", "[load] startHour -1 must be an hour of the day from 0 to 23"),
        ("startHour = \"five\"", "[load] startHour must be a whole number"),
        ("volumePercent = 0", "[load] volumePercent 0 must be from 1 to 1000"),
        ("volumePercent = 1001", "[load] volumePercent 1001 must be from 1 to 1000"),
        ("callsPerHour = 180", "[load] callsPerHour applies only to profile = \"steady\""),
        ("patienceSeconds = 60", "[load] patienceSeconds applies only to profile = \"steady\""),
        ("handlersPerSite = 0", "[load] handlersPerSite must be from 1 to 500"),
    ])
    func aBadSpecificationLoadIsRefusedSayingWhatToGive(key: String, message: String) {
        let found = problems(runbookText(load: "profile = \"specification\"\n\(key)"))
        #expect(found.contains { $0.hasPrefix(message) }, "\(found)")
    }

    @Test func anUnknownProfileNamesTheKnownOnes() {
        let found = problems(runbookText(load: "profile = \"bursty\"\ncallsPerHour = 180"))
        #expect(found == ["[load] profile 'bursty' is not known; the profiles are steady, specification"])
    }

    @Test func specificationKeysAreRefusedForTheSteadyProfile() {
        let found = problems(runbookText(load: "callsPerHour = 180\nstartHour = 17"))
        #expect(found.contains { $0.hasPrefix("[load] startHour applies only to profile = \"specification\"") })
    }

    @Test func theSpecificationVolumeCountsTowardsTheWriteBound() {
        // About 141 calls in the 17:00 hour, ten times over, at 100 drill seconds a second: ~39 writes a second.
        let found = problems(
            runbookText(
                drill: "name = \"power\"\nscenario = \"8.1 e\"\ncompression = 100",
                load: "profile = \"specification\"\nvolumePercent = 1000"))
        #expect(found.contains { $0.hasPrefix("[load] the specification profile at volumePercent 1000 offers about") })
        #expect(problems(runbookText(load: "profile = \"specification\"\nvolumePercent = 1000")).isEmpty)
    }
}
