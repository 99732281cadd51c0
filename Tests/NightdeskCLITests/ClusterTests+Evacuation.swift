import Domain
import Foundation
import NightdeskTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Live routing from heartbeats, a planned evacuation with RPO 0, and failover when a site is lost (8.1, 8.5, 8.6;
/// DESIGN.md "Failover and traffic", "Durability"), each site a separate `nightdesk node run` process on 127.0.0.1.
@Suite(.serialized) struct EvacuationClusterTests {
    /// Heartbeats go every second and the status file is rewritten every second.
    static let fewSeconds = 15.0
    /// The default `peerDownAfterMs` (3 s) plus a status rewrite and a command's run, with room for a busy machine.
    static let detectionSecondsMax = 8.0

    /// Signs one handler trained for EAL in at each site, and waits until `EST` routes to all three.
    func startRouting(_ cluster: TestCluster) async throws {
        for code in ["WST", "EST", "NTH"] {
            try cluster.succeed(
                code,
                ["handler", "signin", "--handler", "\(code.lowercased())-h1", "--name", "Handler \(code)", "--trained", "EAL"])
        }
        let routed = try await cluster.eventually(seconds: Self.fewSeconds) {
            guard let route = try cluster.liveRoute("EST") else { return false }
            return ["WST", "EST", "NTH"].allSatisfy { route.weight($0) > 0 }
        }
        try #require(routed, "EST never routed to all three: \(String(describing: try? cluster.liveRoute("EST")))")
    }

    @Test func anEvacuatedSiteHasItsChangeSetsHeldElsewhereTakesNoCallsAndItsTimersStandDownUntilItReturns()
        async throws
    {
        let cluster = try TestCluster(["WST", "EST", "NTH"])
        for code in ["WST", "EST", "NTH"] { try cluster.start(code) }
        try await startRouting(cluster)

        // EST's live routing spreads callers over all three sites.
        var picks = Set<String>()
        for index in 0..<40 {
            if let pick = try cluster.liveRoute("EST", caller: "07700 9001\(String(format: "%02d", index))")?.answer.pick {
                picks.insert(pick)
            }
        }
        #expect(picks == ["WST", "EST", "NTH"], "\(picks)")

        // Calls written at West just before it is evacuated, still in progress: handed over.
        var references: [String] = []
        for index in 0..<5 { references.append(try cluster.logCallNow("WST", caller: "Evacuation Caller \(index)")) }
        let evacuation = try cluster.run("WST", ["site", "evacuate", "--handover", "--timeout-s", "20", "--json"])
        try #require(evacuation.status == 0, "\(evacuation)\n\(cluster.log("WST"))")
        let report = try decode(EvacuationJSON.self, evacuation.stdout)
        #expect(report.state == "evacuated" && report.rpoZero)
        #expect(report.phases.map(\.name) == ["draining", "calls", "replication", "evacuated"])
        #expect(Set(references).isSubset(of: Set(report.handedOver)), "\(report.handedOver)")
        #expect(!report.heldBy.isEmpty && report.heldBy.allSatisfy { (report.acknowledged[$0] ?? 0) >= report.ownHeadSequence })
        // RPO 0: the moment it reports evacuated, every call written at West is held at East or North.
        var held = Set<String>()
        for code in report.heldBy {
            let search = try cluster.run(code, ["call", "search", "--json", "--limit", "200"])
            try #require(search.status == 0, "\(search)")
            held.formUnion(try decode([Call].self, search.stdout).map(\.reference.description))
        }
        #expect(Set(references).isSubset(of: held), "held at \(report.heldBy): \(held.sorted())")
        #expect(try cluster.succeed("WST", ["site", "state"]).stdout.contains("site WST is evacuated"))

        // East routes nothing to West, and says why.
        #expect(
            try await cluster.eventually(seconds: Self.fewSeconds) {
                guard let route = try cluster.liveRoute("EST") else { return false }
                return route.weight("WST") == 0 && route.reason("WST").contains("evacuated")
            }, "\(String(describing: try? cluster.liveRoute("EST")))")
        // West's timers stand down: it has no people to act.
        let stoodDown = await cluster.eventually(seconds: Self.fewSeconds) {
            cluster.log("WST").contains("its timers stand down")
        }
        #expect(stoodDown, "\(cluster.log("WST"))")
        // Evacuating again changes nothing.
        #expect(try cluster.succeed("WST", ["site", "evacuate"]).stdout.contains("already evacuated"))

        // Back again: West gets its share. The five calls it handed over were opened there and still count as its
        // calls in progress, so its returning staff sign in first, leaving it room.
        for index in 2...7 {
            try cluster.succeed(
                "WST", ["handler", "signin", "--handler", "wst-h\(index)", "--name", "Handler \(index)", "--trained", "EAL"])
        }
        #expect(try cluster.succeed("WST", ["site", "return"]).stdout.contains("is up again (was evacuated)"))
        #expect(
            try await cluster.eventually(seconds: Self.fewSeconds) {
                try cluster.liveRoute("EST")?.weight("WST") ?? 0 > 0
            }, "\(String(describing: try? cluster.liveRoute("EST")))")
        let actsAgain = await cluster.eventually(seconds: Self.fewSeconds) {
            cluster.log("WST").contains("this site is up again")
        }
        #expect(actsAgain, "\(cluster.log("WST"))")
    }

    @Test func aKilledSiteGetsNoTrafficWithinThePeerDownTimeout() async throws {
        let cluster = try TestCluster(["WST", "EST", "NTH"], replicas: ["CNC": ["EAL"]])
        // Without a running node there is nothing to evacuate or route from: exit 69.
        let notRunning = try cluster.run("WST", ["site", "evacuate"])
        #expect(notRunning.status == 69 && notRunning.stderr.contains("not running"), "\(notRunning)")
        let noRoute = try cluster.run("WST", ["route", "--live"] + TestCluster.goldNumber)
        #expect(noRoute.status == 69, "\(noRoute)")

        for code in ["WST", "EST", "NTH", "CNC"] { try cluster.start(code) }
        try await startRouting(cluster)
        // A replica takes no calls: it is refused and stays as it was.
        #expect(
            try await cluster.eventually(seconds: Self.fewSeconds) { try cluster.status("CNC") != nil })
        let replica = try cluster.run("CNC", ["site", "evacuate"])
        #expect(replica.status == 65 && replica.stderr.contains("is a replica"), "\(replica)")
        #expect(try cluster.succeed("CNC", ["site", "state"]).stdout.contains("is up"))

        // An operator's split at East replaces its weights; a bad one is refused and changes nothing.
        try cluster.succeed("EST", ["route", "split", "--set", "WST=70,EST=30"])
        let split = try #require(try cluster.liveRoute("EST"))
        #expect(split.weight("WST") == 70 && split.weight("EST") == 30 && split.weight("NTH") == 0, "\(split)")
        let bad = try cluster.run("EST", ["route", "split", "--set", "WST=75,EST=25"])
        #expect(bad.status == 65 && bad.stderr.contains("multiple of 10"), "\(bad)")
        #expect(try cluster.succeed("EST", ["route", "split"]).stdout.contains("manual split EST 30%, WST 70%"))
        try cluster.succeed("EST", ["route", "split", "--clear"])
        #expect(try cluster.liveRoute("EST")?.weight("NTH") ?? 0 > 0)

        let killed = Date()
        cluster.signal("WST", SIGKILL)
        var detected: [String: Double] = [:]
        let deadline = killed.addingTimeInterval(Self.detectionSecondsMax + 5)
        while detected.count < 2, Date() < deadline {
            for code in ["EST", "NTH"] where detected[code] == nil {
                if let route = try cluster.liveRoute(code), route.weight("WST") == 0 {
                    detected[code] = Date().timeIntervalSince(killed)
                    #expect(route.reason("WST").contains("not seen"), "\(route.reason("WST"))")
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        print("failover: WST killed; traffic moved at EST after \(detected["EST"].map { String(format: "%.2f", $0) } ?? "never") s, NTH after \(detected["NTH"].map { String(format: "%.2f", $0) } ?? "never") s")
        for code in ["EST", "NTH"] {
            #expect((detected[code] ?? .infinity) < Self.detectionSecondsMax, "\(code): \(String(describing: detected[code]))")
        }
        // The survivors still route to each other.
        let route = try #require(try cluster.liveRoute("EST"))
        #expect(route.weight("EST") > 0 && route.weight("NTH") > 0 && route.weight("EST") + route.weight("NTH") == 100)
    }
}

/// `peerDownAfterMs` in the node configuration file: checked before the node starts.
@Suite(.serialized) struct PeerDownAfterConfigurationTests {
    @Test func aPeerDownAfterBelowTheHeartbeatIntervalStopsTheNodeBeforeItStarts() async throws {
        let cluster = try TestCluster(["WST", "EST"])
        try cluster.start("WST", extraConfig: "peerDownAfterMs = 500\n")
        // A bad configuration file is refused like any other (exit 65, the problem named).
        #expect(await cluster.waitForExit("WST") == 65)
        #expect(cluster.log("WST").contains("peerDownAfterMs 500 must be from 1500 to 600000"), "\(cluster.log("WST"))")
        #expect(!FileManager.default.fileExists(atPath: cluster.path("WST/mesh-status.json")))
    }
}
