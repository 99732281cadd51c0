import Domain
import Foundation
import NightdeskTestSupport
import Store
import Testing

@testable import Node

/// Line tests made by a node (8.13) against a real store and the real `CallRouter`: through the routing path, once
/// per slot, only by the elected site, and a failure escalated once to the organisation's escalation contacts.
@Suite struct LineTesterTests {
    static let sites = try! ["WST", "EST", "NTH"].map(SiteCode.init)
    /// Thursday 2026-11-26: Ealing's weekday evening hours start at 17:00.
    static let periodStart = Fixtures.london("2026-11-26 17:00")
    let ealing = try! OrganisationCode("EAL")

    /// The fixture catalogue's store with Ealing's dangerous-structures procedure naming an emergency contact.
    func store() throws -> OutboxTestStore {
        let store = try OutboxTestStore()
        try store.database.saveContacts(
            [try TimerEvaluatorTests.contact("eal-emergency", "Emergency Planning", number: 803)], at: Self.periodStart)
        try store.database.setProcedure(
            try EscalationProcedure(
                organisation: ealing, option: ServiceOptionCode("dangerous-structures"),
                steps: [try EscalationStep(.stage(1), channels: [.phone], acknowledgementWaitMs: 60_000)],
                whenExhausted: EscalationFallback(emergencyContacts: [try OnCallContactID("eal-emergency")])),
            at: Self.periodStart)
        return store
    }

    /// A router where every site is up and `trained` handlers at each are trained for Ealing and Wandle.
    static func router(node: SiteCode = sites[0], trained: Int, states: [SiteState] = [.up, .up, .up]) throws
        -> CallRouter
    {
        let views = try zip(sites, states).map { site, state in
            try SiteView(
                site: site, state: state,
                handlers: trained == 0
                    ? [] : [HandlerGroup(count: trained, trainedFor: [try OrganisationCode("EAL"), try OrganisationCode("WAN")])],
                calls: [])
        }
        return try CallRouter(RoutingSnapshot(node: node, votingSites: sites, seen: sites, views: views))
    }

    func tester(_ store: OutboxTestStore, site: SiteCode = sites[0], router: CallRouter, dial: String? = nil) throws
        -> LineTester
    {
        var configuration = LineTestConfiguration.standard
        if let dial {
            configuration = LineTestConfiguration(
                enabled: true, interval: .seconds(15), thresholds: [:], dialCommand: dial, dialTimeoutMs: 5_000)
        }
        return LineTester(
            database: store.database, site: site, election: try TimerElection(ranked: Self.sites),
            configuration: configuration, route: { router.route($0) })
    }

    @Test func eachNumberIsTestedOnceAtThePeriodStartThroughTheRouting() async throws {
        let store = try store()
        let tester = try tester(store, router: try Self.router(trained: 3))
        let made = try await tester.evaluate(now: Self.periodStart + 60, live: Set(Self.sites))
        // The fixture's numbers open at 17:00 on a weekday: Ealing's main number (evenings) only; the noise line
        // opens at 19:00 on Thursdays, Wandle's at 17:00 (its "xmas" hours).
        #expect(Set(made.map(\.slot.number.e164)) == ["+442079460001", "+442079460003"])
        #expect(made.allSatisfy { $0.outcome == .passed && $0.slot.kind == .periodStart && $0.routeSite != nil })
        #expect(made.allSatisfy { Self.sites.map(\.rawValue).contains($0.routeSite!) })
        // The same slot is not tested again a moment later.
        #expect(try await tester.evaluate(now: Self.periodStart + 120, live: Set(Self.sites)).isEmpty)
        #expect(try store.database.outbox().isEmpty)
    }

    @Test func onlyTheElectedSiteTestsAndAnotherTakesOverWhenItIsDown() async throws {
        let store = try store()
        let router = try Self.router(node: Self.sites[1], trained: 3)
        let east = try tester(store, site: Self.sites[1], router: router)
        #expect(try await east.evaluate(now: Self.periodStart + 60, live: Set(Self.sites)).isEmpty)
        let westGone = Set(Self.sites.dropFirst())
        #expect(try await east.evaluate(now: Self.periodStart + 60, live: westGone).count == 2)
    }

    @Test func aLineNoSiteCanAnswerFailsAndEscalatesOnce() async throws {
        let store = try store()
        let tester = try tester(store, router: try Self.router(trained: 0))
        let made = try await tester.evaluate(now: Self.periodStart + 60, live: Set(Self.sites))
        let ealingMain = try #require(made.first { $0.slot.number.e164 == "+442079460001" })
        guard case .failed(let reason) = ealingMain.outcome else {
            Issue.record("expected a failure, got \(ealingMain.outcome)")
            return
        }
        #expect(reason.contains("no site can take EAL's calls"))
        #expect(ealingMain.escalated && ealingMain.routeSite == nil)
        let messages = try store.database.outbox()
        #expect(Set(messages.map(\.recipient)) == ["+447700900803", "eal-emergency@example.org"])
        #expect(messages.allSatisfy { $0.body.contains("+442079460001") || $0.body.contains("020 7946 0001") })
        // Half an hour later the line is still down (demand below threshold): tested, recorded, nobody messaged
        // again (the streak was escalated once).
        let later = try await tester.evaluate(now: Self.periodStart + 1_800, live: Set(Self.sites))
        #expect(later.contains { $0.slot.number.e164 == "+442079460001" && $0.slot.kind == .lowDemand && !$0.escalated })
        #expect(try store.database.outbox().count == messages.count)
    }

    @Test func aDialCommandPlacesTheRealTestCallAndItsFailureIsTheOutcome() async throws {
        let store = try store()
        let folder = try TemporaryFolder()
        let log = folder.path("dialled")
        let answers = folder.path("dial-ok")
        try "#!/bin/sh\necho \"$1 $2\" >> \(log)\nexit 0\n".write(toFile: answers, atomically: true, encoding: .utf8)
        let fails = folder.path("dial-busy")
        try "#!/bin/sh\necho 'number busy' >&2\nexit 3\n".write(toFile: fails, atomically: true, encoding: .utf8)
        for path in [answers, fails] {
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
        }
        let router = try Self.router(trained: 2)
        let made = try await tester(store, router: router, dial: answers)
            .evaluate(now: Self.periodStart + 60, live: Set(Self.sites))
        #expect(made.count == 2 && made.allSatisfy { $0.outcome == .passed })
        let dialled = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").sorted()
        #expect(dialled.count == 2 && dialled.allSatisfy { line in Self.sites.contains { line.hasSuffix($0.rawValue) } })
        let failed = try await tester(store, router: router, dial: fails)
            .evaluate(now: Self.periodStart + 1_800, live: Set(Self.sites))
        #expect(!failed.isEmpty)
        #expect(failed.allSatisfy { $0.outcome == .failed(reason: "the test call failed (dial command exit 3): number busy") })
    }

    @Test func theConfigurationFileIsCheckedWithEveryProblemListed() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("line-tests.toml")
        try """
            [lineTests]
            intervalMs = 10
            colour = "blue"
            [lineTests.thresholds]
            EAL = 2
            ZZZ = 1
            WAN = -4
            """.write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            try LineTestConfiguration.load(path: path, catalogue: try Fixtures.catalogue())
        } throws: { error in
            guard case NodeError.invalidFile(_, let problems) = error else { return false }
            return problems.count == 4 && problems.contains { $0.contains("intervalMs") }
                && problems.contains { $0.contains("colour") } && problems.contains { $0.contains("ZZZ") }
                && problems.contains { $0.contains("WAN") }
        }
        try """
            [lineTests]
            dialCommand = "dial-test"
            [lineTests.thresholds]
            EAL = 3
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let loaded = try LineTestConfiguration.load(path: path, catalogue: try Fixtures.catalogue())
        #expect(loaded.policy(ealing).thresholdCallsPerHour == 3)
        #expect(loaded.policy(try OrganisationCode("WAN")) == .standard)
        #expect(loaded.dialCommand == "dial-test")
    }
}
