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
        let first = a.advance(to: 600, routable: ["WST", "EST"])
        #expect(first == b.advance(to: 600, routable: ["WST", "EST"]))
        // 720 an hour for 10 minutes: about 120 calls.
        #expect((80...160).contains(offered(first).count))
    }

    @Test func everyOrganisationGetsDummyCalls() throws {
        let catalogue = try repositoryCatalogue()
        let source = SteadyTrafficSource(catalogue: catalogue, sites: ["WST"], load: load, seed: 1)
        let organisations = Set(offered(source.advance(to: 3_600, routable: ["WST"])).map(\.organisation))
        #expect(organisations == Set(catalogue.organisations.map(\.code.rawValue)))
    }

    @Test func callsGoOnlyToRoutableSitesAndANonAnsweringSitesCallsAreAbandoned() throws {
        let source = SteadyTrafficSource(catalogue: try repositoryCatalogue(), sites: ["WST", "EST"], load: load, seed: 3)
        _ = source.advance(to: 300, routable: ["WST", "EST"])
        source.setAnswering("EST", false)
        let during = source.advance(to: 600, routable: ["WST"])
        #expect(offered(during).allSatisfy { $0.site == "WST" })
        let answeredAtEST = during.filter { if case .answered(let call, _, _) = $0 { call.site == "EST" } else { false } }
        #expect(answeredAtEST.isEmpty)
        let nowhere = source.advance(to: 700, routable: [])
        #expect(offered(nowhere).allSatisfy { $0.site == nil })
        #expect(nowhere.contains { if case .abandoned(let call, _, _) = $0 { call.site == nil } else { false } })
    }

    @Test func aSurgeRaisesOnlyThatOrganisationsShare() throws {
        let source = SteadyTrafficSource(catalogue: try repositoryCatalogue(), sites: ["WST"], load: load, seed: 5)
        let normal = offered(source.advance(to: 3_600, routable: ["WST"]))
        source.setSurge("EAL", factor: 10)
        let surged = offered(source.advance(to: 7_200, routable: ["WST"]))
        let share = { (calls: [DummyCall]) in Double(calls.filter { $0.organisation == "EAL" }.count) / Double(calls.count) }
        #expect(share(surged) > 3 * share(normal))
    }

    @Test func aShortSiteTakesFewerNewCalls() throws {
        let source = SteadyTrafficSource(catalogue: try repositoryCatalogue(), sites: ["WST", "EST"], load: load, seed: 9)
        source.setHandlers("WST", 1)
        let calls = offered(source.advance(to: 3_600, routable: ["WST", "EST"]))
        #expect(calls.filter { $0.site == "WST" }.count * 2 < calls.filter { $0.site == "EST" }.count)
    }
}
