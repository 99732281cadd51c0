import Domain
import Foundation
import Node
import Testing

@testable import Drill

/// The repository's catalogue of the specification's 11 organisations.
func repositoryCatalogue() throws -> Catalogue {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Topology/participants.toml").standardized.path
    return try CatalogueFile(path: path).catalogue
}

let load = DrillDefinition.Load(
    profile: "steady", callsPerHour: 720, everyOrganisation: true, handlersPerSite: 3, handlingSeconds: 60,
    patienceSeconds: 30)

func offered(_ events: [TrafficEvent]) -> [DummyCall] {
    events.compactMap { if case .offered(let call) = $0 { call } else { nil } }
}

@Suite("Runbook traffic source")
struct RunbookTrafficSourceTests {
    @Test func oneSeedOffersTheSameCalls() throws {
        let catalogue = try repositoryCatalogue()
        let a = SteadyTrafficSource(catalogue: catalogue, sites: ["WST", "EST"], load: load, seed: 7)
        let b = SteadyTrafficSource(catalogue: catalogue, sites: ["WST", "EST"], load: load, seed: 7)
        let first = a.advance(to: 600, routing: .even(["WST", "EST"]))
        #expect(first == b.advance(to: 600, routing: .even(["WST", "EST"])))
        // 720 an hour for 10 minutes: about 120 calls.
        #expect((80...160).contains(offered(first).count))
    }

    @Test func everyOrganisationGetsDummyCalls() throws {
        let catalogue = try repositoryCatalogue()
        let source = SteadyTrafficSource(catalogue: catalogue, sites: ["WST"], load: load, seed: 1)
        let organisations = Set(offered(source.advance(to: 3_600, routing: .even(["WST"]))).map(\.organisation))
        #expect(organisations == Set(catalogue.organisations.map(\.code.rawValue)))
    }

    @Test func callsGoOnlyToRoutableSitesAndANonAnsweringSitesCallsAreAbandoned() throws {
        let source = SteadyTrafficSource(catalogue: try repositoryCatalogue(), sites: ["WST", "EST"], load: load, seed: 3)
        _ = source.advance(to: 300, routing: .even(["WST", "EST"]))
        source.setCondition("EST", .telephonyLost)
        let during = source.advance(to: 600, routing: .even(["WST"]))
        #expect(offered(during).allSatisfy { $0.site == "WST" })
        let answeredAtEST = during.filter { if case .answered(let call, _, _) = $0 { call.site == "EST" } else { false } }
        #expect(answeredAtEST.isEmpty)
        let nowhere = source.advance(to: 700, routing: .even([]))
        #expect(offered(nowhere).allSatisfy { $0.site == nil })
        #expect(nowhere.contains { if case .abandoned(let call, _, _) = $0 { call.site == nil } else { false } })
    }

    @Test func aSurgeRaisesOnlyThatOrganisationsShare() throws {
        let source = SteadyTrafficSource(catalogue: try repositoryCatalogue(), sites: ["WST"], load: load, seed: 5)
        let normal = offered(source.advance(to: 3_600, routing: .even(["WST"])))
        source.setSurge("EAL", factor: 10)
        let surged = offered(source.advance(to: 7_200, routing: .even(["WST"])))
        let share = { (calls: [DummyCall]) in Double(calls.filter { $0.organisation == "EAL" }.count) / Double(calls.count) }
        #expect(share(surged) > 3 * share(normal))
    }

    @Test func newCallsFollowRoutingsSplitWhileHandlersAreFreeAndGoWhereOneIsFreeWhenNot() throws {
        // Plenty of handlers: every site always has one free, so the draw follows the split alone.
        var roomy = load
        roomy.handlersPerSite = 200
        let split = RoutingTable(answers: [:], otherwise: [SiteShare(site: "WST", percent: 20), SiteShare(site: "EST", percent: 80)])
        let source = SteadyTrafficSource(catalogue: try repositoryCatalogue(), sites: ["WST", "EST"], load: roomy, seed: 9)
        let calls = offered(source.advance(to: 3_600, routing: split))
        let atWST = calls.filter { $0.site == "WST" }.count
        // 720 calls, a fifth expected at WST: well inside 10%–30% for any seed.
        #expect(Double(atWST) > 0.1 * Double(calls.count) && Double(atWST) < 0.3 * Double(calls.count))
        #expect(calls.allSatisfy { $0.site != nil })
        // One handler at EST, many at WST: EST is rarely free, so most calls go to WST despite its 20%.
        let short = SteadyTrafficSource(catalogue: try repositoryCatalogue(), sites: ["WST", "EST"], load: roomy, seed: 9)
        short.setHandlers("EST", 1)
        let shortCalls = offered(short.advance(to: 3_600, routing: split))
        #expect(shortCalls.filter { $0.site == "WST" }.count * 2 > shortCalls.count)
        // The same seed offers the same calls whatever routing did with them.
        #expect(shortCalls.map(\.organisation) == calls.map(\.organisation))
        #expect(shortCalls.map(\.offeredAtSeconds) == calls.map(\.offeredAtSeconds))
    }

    @Test func aTelephonyLossCutsOffTheSitesQueueAndPassesItsShareOn() throws {
        var busy = load
        busy.handlersPerSite = 1
        let source = SteadyTrafficSource(catalogue: try repositoryCatalogue(), sites: ["WST", "EST"], load: busy, seed: 4)
        _ = source.advance(to: 600, routing: .even(["WST", "EST"]))
        source.setCondition("WST", .telephonyLost)
        let after = source.advance(to: 900, routing: .even(["WST", "EST"]))
        let cutOff = after.filter { if case .abandoned(let call, _, let at) = $0 { call.site == "WST" && at == 600 } else { false } }
        #expect(!cutOff.isEmpty, "one handler at 720 calls an hour leaves a queue, cut off at the loss")
        #expect(offered(after).allSatisfy { $0.site == "EST" })
    }

    @Test func pickFallsInTheCumulativeShare() {
        let shares = [SiteShare(site: "A", percent: 30), SiteShare(site: "B", percent: 0), SiteShare(site: "C", percent: 70)]
        #expect(RoutingTable.pick(shares, unit: 0) == "A")
        #expect(RoutingTable.pick(shares, unit: 0.299) == "A")
        #expect(RoutingTable.pick(shares, unit: 0.3) == "C")
        #expect(RoutingTable.pick(shares, unit: 0.999) == "C")
        #expect(RoutingTable.pick([SiteShare(site: "A", percent: 0)], unit: 0.5) == nil)
        #expect(RoutingTable.even(["A", "B", "C"]).otherwise.map(\.percent) == [34, 33, 33])
    }
}
