import Foundation
import NightdeskTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lone-worker timers (5.2.3.6) across a real network partition and a real skewed clock, with real
/// `nightdesk node run` processes: the business-continuity cases of a WAN cut (8.1) and of escalation that must
/// still run, once, at any hour (8.9).
@Suite(.serialized) struct PartitionTests {
    static let sites = ["WST", "EST", "NTH"]

    /// Starts a five-minute session at `site` whose deadline falls `leadSeconds` from now, with a one-minute
    /// acknowledgement window so that red follows amber, and the manager to escalate to; returns its reference
    /// and deadline.
    static func startSession(
        _ cluster: TestCluster, at site: String, leadSeconds: Double
    ) throws -> (reference: String, deadline: Date) {
        let started = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-300 + leadSeconds))
        let result = try cluster.run(
            site,
            [
                "lone", "start", "--po", "EAL", "--option", "dangerous-structures", "--answer", "structure_type=Wall",
                "--answer", "immediate_danger=No", "--staff", "eal-jsmith", "--name", "Jo Smith", "--caller-phone",
                "07700 900123", "--location", "12 Heron Walk, Ealing", "--task", "Inspect a bowing wall", "--minutes",
                "5", "--acknowledgement-minutes", "1", "--manager", "eal-pmorgan", "--at", started, "--json",
            ], environment: LoneCommandTests.codes)
        try #require(result.status == 0, "\(result)")
        let session = try decode(LoneJSON.self, result.stdout)
        return (session.reference, session.deadline)
    }

    static func allConnected(_ net: PartitionedCluster) throws -> Bool {
        try sites.allSatisfy { site in try net.sees(site, sites.filter { $0 != site }, as: "connected") }
    }

    @Test func aCutOffSiteRaisesNothingWhileTheMajorityRaisesAmberThenRedOnceAndTheHealedClusterHoldsOneOfEach()
        async throws
    {
        let net = try PartitionedCluster(Self.sites)
        let cluster = net.cluster
        let imported = try cluster.run("WST", ["contact", "import", "--file", RotaSamples.path("eal-contacts.toml")])
        try #require(imported.status == 0, "\(imported)")
        for site in Self.sites { try cluster.start(site) }
        try #require(try await cluster.eventually(seconds: 30) { try Self.allConnected(net) }, "\(cluster.log("WST"))")
        #expect(net.proxy(from: "WST", to: "EST")!.bytesForwarded > 0, "the links run through the proxies")

        // WST, first in the topology's order and so the site that would act, starts the session.
        let (reference, deadline) = try Self.startSession(cluster, at: "WST", leadSeconds: 25)
        try #require(
            try await cluster.eventually(seconds: 10) {
                try ["EST", "NTH"].allSatisfy {
                    try cluster.run($0, ["lone", "board", "--json"]).stdout.contains(reference)
                }
            })

        // The WAN at WST is cut: every process keeps running, WST alone, its timers still evaluated.
        net.isolate("WST")
        try #require(
            try await cluster.eventually(seconds: 15) {
                try net.sees("WST", ["EST", "NTH"], as: "down") && net.sees("EST", ["WST"], as: "down")
                    && net.sees("NTH", ["WST"], as: "down")
            }, "the cut was not seen")
        try #require(
            Date() < deadline.addingTimeInterval(-1), "the cut took effect only after the deadline; slow machine?")
        for site in Self.sites { #expect(try cluster.loneAlerts(site, session: reference).isEmpty, "\(site): early") }

        // The majority side raises amber within a few seconds of the deadline, and red a window later.
        let deadlineMs = Int64((deadline.timeIntervalSince1970 * 1_000).rounded())
        func alert(_ site: String, _ kind: String) throws -> LoneFactRow? {
            try cluster.loneAlerts(site, session: reference).first { $0.kind == kind }
        }
        let amberSeen = try await cluster.eventually(seconds: deadline.timeIntervalSinceNow + 15) {
            try alert("EST", "amber-raised") != nil && alert("NTH", "amber-raised") != nil
        }
        #expect(amberSeen, "\(cluster.log("EST"))")
        let amberLatenessSeconds = Date().timeIntervalSince(deadline)
        #expect(
            amberLatenessSeconds < 6, "amber seen at both majority sites \(amberLatenessSeconds) s after the deadline")
        let amber = try #require(try alert("EST", "amber-raised"))
        #expect(amber.site == "EST", "EST, first live site of the majority, acts: \(amber)")
        #expect(amber.atMs >= deadlineMs && amber.atMs - deadlineMs < 5_000, "amber at \(amber.atMs - deadlineMs) ms")
        let redSeen = try await cluster.eventually(seconds: 80) {
            try alert("EST", "missed-check-out-red-raised") != nil && alert("NTH", "missed-check-out-red-raised") != nil
        }
        #expect(redSeen, "\(cluster.log("EST"))")
        let red = try #require(try alert("EST", "missed-check-out-red-raised"))
        #expect(red.site == "EST")
        let redAfterAmberMs = red.atMs - amber.atMs
        #expect(redAfterAmberMs >= 60_000 && redAfterAmberMs < 65_000, "red \(redAfterAmberMs) ms after amber")
        for site in ["EST", "NTH"] {
            #expect(
                try await cluster.eventually(seconds: 10) {
                    try cluster.queuedChannels(site, session: reference) == ["email", "sms"]
                })
        }

        // WST, alone, stood down and says why; it recorded no alert and queued nothing.
        #expect(try cluster.loneAlerts("WST", session: reference).isEmpty)
        #expect(try cluster.queuedChannels("WST", session: reference).isEmpty)
        #expect(cluster.raisedLines("WST", session: reference) == 0)
        let wstLog = cluster.log("WST")
        #expect(wstLog.contains("timers due, left to another site"), "\(wstLog)")
        #expect(wstLog.contains("cut off: sees 1 of 3 sites"), "\(wstLog)")

        // The link heals: every site converges on one amber and one red, both EST's, and one set of messages.
        net.healAll()
        #expect(try await cluster.eventually(seconds: 30) { try Self.allConnected(net) }, "\(cluster.log("WST"))")
        #expect(try await cluster.converge(Self.sites), "\(cluster.log("WST"))")
        try await Task.sleep(for: .seconds(3))  // six timer rounds at every site after the heal
        #expect(try await cluster.converge(Self.sites))
        for site in Self.sites {
            let alerts = try cluster.loneAlerts(site, session: reference)
            #expect(
                alerts.map(\.kind).sorted() == ["amber-raised", "missed-check-out-red-raised"], "\(site): \(alerts)")
            #expect(alerts.allSatisfy { $0.site == "EST" }, "\(site): \(alerts)")
            #expect(try cluster.queuedChannels(site, session: reference) == ["email", "sms"], "\(site)")
            let board = try decode([LoneJSON].self, try cluster.run(site, ["lone", "board", "--json"]).stdout)
            #expect(board.first { $0.reference == reference }?.state == "red", "\(site)")
        }
        #expect(cluster.raisedLines("WST", session: reference) == 0, "\(cluster.log("WST"))")
        #expect(cluster.raisedLines("EST", session: reference) == 2)
        #expect(cluster.raisedLines("NTH", session: reference) == 0)
    }

    /// libfaketime's preload library, where Debian and Ubuntu put it (`Scripts/bootstrap` installs it).
    static let fakeTimeLibrary: String? = {
        var machine = utsname()
        uname(&machine)
        let arch = withUnsafeBytes(of: &machine.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return ["/usr/lib/\(arch)-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/faketime/libfaketime.so.1"]
            .first { FileManager.default.fileExists(atPath: $0) }
    }()

    /// Runs a node with its clock `seconds` ahead, really: libfaketime shifts every clock read of the process
    /// (Foundation's `Date()` included) while monotonic clocks stay true. Swift's runtime on Linux finds its
    /// command-line arguments by a method that fails when a library is preloaded into a process with address-space
    /// randomisation (the node then sees no arguments and prints its help), so the node runs under `setarch -R`,
    /// which turns randomisation off for that process only and needs no privilege.
    static func skewed(seconds: Int) throws -> (environment: [String: String], launcher: [String]) {
        let library = try #require(fakeTimeLibrary, "libfaketime is not installed: run Scripts/bootstrap")
        var machine = utsname()
        uname(&machine)
        let arch = withUnsafeBytes(of: &machine.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let setarch = try #require(
            ["/usr/bin/setarch", "/bin/setarch"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "setarch (util-linux) is not installed")
        return (
            [
                "LD_PRELOAD": library, "FAKETIME": "\(seconds >= 0 ? "+" : "")\(seconds)s",
                "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            ],
            [setarch, arch, "-R"]
        )
    }

    @Test func aSiteWhoseClockRunsThirtySecondsFastRaisesAmberAtTheTrueDeadlineNotBefore() async throws {
        let cluster = try TestCluster(Self.sites)
        let skew = try Self.skewed(seconds: 30)
        // WST, first in the topology's order, is the site that acts: its clock is the wrong one.
        try cluster.start("WST", environment: skew.environment, launcher: skew.launcher)
        for site in ["EST", "NTH"] { try cluster.start(site) }
        let everyone = { () throws -> Bool in
            try Self.sites.allSatisfy { site in
                try cluster.status(site).map { status in
                    Self.sites.filter { $0 != site }.allSatisfy { status.peer($0)?.health == "connected" }
                } ?? false
            }
        }
        try #require(try await cluster.eventually(seconds: 30, everyone), "\(cluster.log("WST"))")
        // A few heartbeats from each peer, so each node has measured the others' clocks.
        try await Task.sleep(for: .seconds(3))
        // The skew is real: WST's node reads its clock 30 s ahead (less up to a status interval of 500 ms).
        let lead = try cluster.statusClockLeadMs("WST")
        try #require((28_500...30_500).contains(lead), "WST's clock leads the true clock by \(lead) ms")
        #expect(abs(try cluster.statusClockLeadMs("EST")) < 1_500, "EST's clock is true")

        // The session is started at EST, whose clock is true: its deadline is 20 s away by the true clock, but
        // WST's own clock reaches it at once.
        let (reference, deadline) = try Self.startSession(cluster, at: "EST", leadSeconds: 20)
        early: while deadline.timeIntervalSinceNow > 1 {
            for site in Self.sites {
                let alerts = try cluster.loneAlerts(site, session: reference)
                guard alerts.isEmpty else {
                    let secondsLeft = deadline.timeIntervalSinceNow
                    Issue.record("\(site) holds \(alerts) \(secondsLeft) s before the deadline\n\(cluster.log("WST"))")
                    break early
                }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        func amber(_ site: String) throws -> LoneFactRow? {
            try cluster.loneAlerts(site, session: reference).first { $0.kind == "amber-raised" }
        }
        let seen = try await cluster.eventually(seconds: 15) { try Self.sites.allSatisfy { try amber($0) != nil } }
        #expect(seen, "\(cluster.log("WST"))")
        let lateness = Date().timeIntervalSince(deadline)
        #expect(lateness < 5, "amber held everywhere \(lateness) s after the deadline")
        let raised = try #require(try amber("EST"))
        let deadlineMs = Int64((deadline.timeIntervalSince1970 * 1_000).rounded())
        // ClusterClock errs late by a heartbeat's transit, never early (DESIGN.md; ClusterClock.swift).
        #expect(raised.site == "WST", "the skewed site itself acts, by cluster time: \(raised)")
        let raisedAfterDeadlineMs = raised.atMs - deadlineMs
        #expect(raisedAfterDeadlineMs >= 0 && raisedAfterDeadlineMs < 3_000, "raised \(raisedAfterDeadlineMs) ms late")
        #expect(cluster.raisedLines("WST", session: reference) == 1)
        #expect(cluster.raisedLines("EST", session: reference) + cluster.raisedLines("NTH", session: reference) == 0)

        // 30 s is inside the 60 s bound on a peer's clock: nothing is quarantined and the cluster converges.
        #expect(try await cluster.converge(Self.sites), "\(cluster.log("WST"))")
        for site in Self.sites {
            #expect(try cluster.quarantinedCount(site) == 0, "\(site)")
            #expect(try cluster.loneAlerts(site, session: reference).map(\.kind) == ["amber-raised"], "\(site)")
        }
    }
}
