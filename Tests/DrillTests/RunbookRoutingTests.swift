import Foundation
import Testing

@testable import Drill

@Suite("Runbook routing stand-in")
struct RunbookRoutingTests {
    /// Writes a `mesh-status.json` for `site` in `root/site` with the health it sees of each peer.
    func writeStatus(_ root: URL, _ site: String, peers: [String: String], writtenAtMs: Int64) throws -> String {
        let folder = root.appendingPathComponent(site)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let peerJSON = peers.map { peer, health in
            "{\"site\":\"\(peer)\",\"health\":\"\(health)\",\"lagChangeSets\":0,\"lagSeconds\":0,\"epoch\":1}"
        }.joined(separator: ",")
        let json = """
            {"site":"\(site)","cluster":"drill","epoch":1,"listening":"tcp://127.0.0.1:1","writtenAtMs":\(writtenAtMs),
             "held":{},"unsealedChangeSets":0,"peers":[\(peerJSON)],"rejected":{},"clientsRefused":0}
            """
        try json.write(to: folder.appendingPathComponent("mesh-status.json"), atomically: true, encoding: .utf8)
        return folder.path
    }

    @Test func aSiteMostFreshViewsSeeDownIsNotRoutedToButOneFreshlyRestartedNodeCannotEmptyRouting() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("drill-routing-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let now: Int64 = 1_800_000_000_000
        // EST has just restarted: it has not heard from anyone yet. WST and NTH still see EST down.
        let paths = [
            "WST": try writeStatus(root, "WST", peers: ["EST": "down", "NTH": "connected"], writtenAtMs: now),
            "EST": try writeStatus(root, "EST", peers: ["WST": "down", "NTH": "down"], writtenAtMs: now),
            "NTH": try writeStatus(root, "NTH", peers: ["WST": "connected", "EST": "down"], writtenAtMs: now),
        ]
        let routing = MeshStatusRouting(observer: ClusterObserver(dataPaths: paths))
        #expect(routing.routableSites(among: ["WST", "EST", "NTH"], nowMs: now) == ["WST", "NTH"])
        routing.declare("NTH", outOfService: true)
        #expect(routing.routableSites(among: ["WST", "EST", "NTH"], nowMs: now) == ["WST"])
        // Stale views (older than 3 s) are not the view of a running node: nobody is seen down.
        routing.declare("NTH", outOfService: false)
        #expect(routing.routableSites(among: ["WST", "EST", "NTH"], nowMs: now + 10_000) == ["WST", "EST", "NTH"])
    }
}
