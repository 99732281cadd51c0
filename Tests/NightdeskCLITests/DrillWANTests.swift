import Drill
import Foundation
import Testing

/// A drill cluster's WAN cut made for real (8.1 c, d: loss of a site's wide-area links): the runner's
/// `LocalCluster` with proxied links, three real `nightdesk node run` processes on 127.0.0.1, and a site cut off
/// by its link proxies while every process keeps running.
@Suite("Drill WAN cut", .serialized)
struct DrillWANTests {
    static let sites = ["WST", "EST", "NTH"]

    /// Waits until `condition` holds, checking every 250 ms; false if `seconds` pass first.
    static func eventually(seconds: Double, _ condition: () throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(250))
        }
        return try condition()
    }

    static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1_000).rounded()) }

    /// Whether `site`'s fresh `mesh-status.json` shows each of `peers` with `health`.
    static func sees(_ observer: ClusterObserver, _ site: String, _ peers: [String], as health: String) -> Bool {
        peers.allSatisfy { observer.health(of: $0, seenBy: site, nowMs: nowMs()) == health }
    }

    static func allConnected(_ observer: ClusterObserver) -> Bool {
        sites.allSatisfy { site in sees(observer, site, sites.filter { $0 != site }, as: "connected") }
    }

    static func logs(_ cluster: LocalCluster) -> String {
        cluster.sites.map { "\($0.code): " + ((try? String(contentsOfFile: $0.logPath, encoding: .utf8)) ?? "") }
            .joined(separator: "\n")
    }

    @Test func cuttingASitesLinksLeavesItAloneWhileEveryNodeRunsAndHealingReconnectsIt() async throws {
        let folder = try DrillFolder()
        let binary = try #require(NightdeskBinary.url, "the nightdesk executable was not found; build it first")
        let cluster = try LocalCluster.create(
            root: folder.work, codes: Self.sites, catalogue: Repository.cataloguePath, binary: binary,
            proxiedLinks: true)
        defer { cluster.stopStarted() }
        #expect(cluster.hasProxiedLinks)

        // Each node reads its own copy of the topology, which differs from the cluster's only in the peers' sync.
        let common = try String(contentsOfFile: "\(folder.work)/cluster.toml", encoding: .utf8)
        for site in Self.sites {
            let configuration = try String(contentsOfFile: "\(folder.work)/\(site).toml", encoding: .utf8)
            #expect(configuration.contains("topology = \"cluster-\(site).toml\""), "\(configuration)")
            let own = try String(contentsOfFile: "\(folder.work)/cluster-\(site).toml", encoding: .utf8)
            let changed = zip(common.components(separatedBy: "\n"), own.components(separatedBy: "\n"))
                .filter { $0 != $1 }
            #expect(changed.count == 2 && changed.allSatisfy { $0.0.hasPrefix("sync = ") }, "\(site): \(changed)")
        }

        for site in Self.sites { try cluster.start(site) }
        let observer = ClusterObserver(
            dataPaths: Dictionary(uniqueKeysWithValues: cluster.sites.map { ($0.code, $0.dataPath) }))
        try #require(
            await Self.eventually(seconds: 30) { Self.allConnected(observer) }, "not connected: \(Self.logs(cluster))")
        for site in Self.sites {
            for peer in Self.sites where peer != site {
                #expect((cluster.bytesCarried(from: site, to: peer) ?? 0) > 0, "\(site) → \(peer) runs via its proxy")
            }
        }

        // NTH's WAN is cut: a black hole both ways on each of its links, every process still running.
        try cluster.cutLinks(of: "NTH")
        let cutAt = Date()
        let seen = await Self.eventually(seconds: 15) {
            Self.sees(observer, "WST", ["NTH"], as: "down") && Self.sees(observer, "EST", ["NTH"], as: "down")
                && Self.sees(observer, "NTH", ["WST", "EST"], as: "down")
        }
        try #require(seen, "the cut was not seen within 15 s: \(Self.logs(cluster))")
        let detectionSeconds = Date().timeIntervalSince(cutAt)
        // The nodes mark a peer down after 3 s of silence (peerDownAfterMs) and write their status every second.
        #expect(detectionSeconds >= 2, "seen down \(detectionSeconds) s after the cut: too soon for a silent link")
        for site in Self.sites { #expect(cluster.pid(site) != nil, "\(site)'s node is still running") }
        #expect(Self.sees(observer, "WST", ["EST"], as: "connected"), "the link between WST and EST is not cut")
        #expect(Self.sees(observer, "EST", ["WST"], as: "connected"))
        // Nothing crosses a cut link: the proxies of NTH's links carry no byte more.
        func carriedOnNTHsLinks() -> [Int?] {
            ["WST", "EST"].flatMap {
                [cluster.bytesCarried(from: "NTH", to: $0), cluster.bytesCarried(from: $0, to: "NTH")]
            }
        }
        let heldAt = carriedOnNTHsLinks()
        let westToEast = cluster.bytesCarried(from: "WST", to: "EST") ?? 0
        try await Task.sleep(for: .seconds(2))
        #expect(carriedOnNTHsLinks() == heldAt)
        #expect((cluster.bytesCarried(from: "WST", to: "EST") ?? 0) > westToEast, "WST and EST still talk")

        try cluster.healLinks()
        let healedAt = Date()
        #expect(
            await Self.eventually(seconds: 30) { Self.allConnected(observer) },
            "not reconnected within 30 s of the heal: \(Self.logs(cluster))")
        print("drill WAN cut: NTH seen down \(detectionSeconds) s after the cut, reconnected "
            + "\(Date().timeIntervalSince(healedAt)) s after the heal")
        for site in Self.sites { #expect(cluster.pid(site) != nil, "\(site)'s node is still running") }

        cluster.stopStarted()
        for site in Self.sites { #expect(cluster.pid(site) == nil, "\(site)'s node is stopped") }
        #expect(folder.runningNodes().isEmpty)
    }

    @Test func aClusterMadeWithoutProxiedLinksRefusesAWANCutAndSaysWhy() throws {
        let folder = try DrillFolder()
        let binary = try #require(NightdeskBinary.url, "the nightdesk executable was not found; build it first")
        let cluster = try LocalCluster.create(
            root: folder.work, codes: ["WST", "EST"], catalogue: Repository.cataloguePath, binary: binary)
        #expect(!cluster.hasProxiedLinks)
        #expect(!FileManager.default.fileExists(atPath: "\(folder.work)/cluster-WST.toml"))
        #expect(cluster.bytesCarried(from: "WST", to: "EST") == nil)
        #expect {
            try cluster.cutLinks(of: "EST")
        } throws: { error in
            guard case ClusterError.linksNotProxied(_, attached: false) = error else { return false }
            return "\(error)".contains("a real WAN cut needs a cluster the runner made with proxiedLinks")
        }
        #expect(throws: ClusterError.self) { try cluster.healLinks() }
    }
}
