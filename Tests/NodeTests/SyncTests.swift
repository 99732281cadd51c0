import Foundation
import Mesh
import Node
import Replication
import Store
import Testing

/// Sites joined by real sync services over CURVE on loopback, each with its own store, in one process.
///
/// The multi-process tests (NightdeskCLITests) run the same with real `nightdesk node run` processes;
/// these reach into the stores directly to check what each site holds.
@Suite(.serialized) struct SyncTests {
    @Test func threeSitesWritingConcurrentlyConverge() async throws {
        let keys = try clusterDataKeys()
        let sites = try ["WST", "EST", "NTH"].map { try SyncTestSite($0) }
        for site in sites { try site.start(in: sites, keys: keys) }
        for (index, site) in sites.enumerated() {
            try site.logCalls(40 + index, caller: "Caller \(site.code)")
        }
        let converged = try await eventually {
            let digests = try Set(sites.map { try $0.digest() })
            return digests.count == 1
        }
        for site in sites { await site.stop() }
        let digests = try sites.map {
            "\(try $0.digest()) applied \(try $0.database.appliedVector()) held \(try $0.database.sealedVector()) "
                + "quarantined \(try $0.database.quarantined()) calls \(try $0.database.callCounts().total)"
        }
        #expect(converged, "\(digests)")
        for site in sites {
            #expect(try site.database.callCounts().total == 40 + 41 + 42)
            #expect(try site.database.sealedVector() == sites[0].database.sealedVector())
        }
    }

    @Test func aReplicaGetsOnlyItsOrganisationsData() async throws {
        let keys = try clusterDataKeys()
        let west = try SyncTestSite("WST")
        let replica = try SyncTestSite("EAR", holds: ["EAL"])
        let sites = [west, replica]
        for site in sites { try site.start(in: sites, keys: keys) }
        try west.logCalls(5, organisation: "EAL", caller: "Ealing Caller")
        try west.logCalls(5, organisation: "ENF", caller: "Enfield Zebedee")
        let converged = try await eventually {
            try replica.digest("EAL") == west.digest("EAL")
                && replica.database.sealedVector()[west.site] == west.database.sealedVector()[west.site]
        }
        for site in sites { await site.stop() }
        #expect(converged)
        // Enfield's change sets are held (for relaying) but unopened: no Enfield call, and no plaintext.
        #expect(try replica.database.callCounts().total == 5)
        #expect(try replica.digest("ENF") != west.digest("ENF"))
        let file = try Data(contentsOf: URL(fileURLWithPath: replica.folder.path("data/nightdesk.sqlite")))
        let wal = (try? Data(contentsOf: URL(fileURLWithPath: replica.folder.path("data/nightdesk.sqlite-wal")))) ?? Data()
        #expect(file.range(of: Data("Zebedee".utf8)) == nil && wal.range(of: Data("Zebedee".utf8)) == nil)
        #expect(file.range(of: Data("Ealing Caller".utf8)) != nil || wal.range(of: Data("Ealing Caller".utf8)) != nil)
    }

    @Test func aPeerOfAnotherClusterIsRefused() async throws {
        let keys = try clusterDataKeys()
        let west = try SyncTestSite("WST")
        let east = try SyncTestSite("EST")
        try west.start(in: [west, east], keys: keys, clusterID: "london")
        try east.start(in: [west, east], keys: keys, clusterID: "elsewhere")
        try west.logCalls(3)
        let refused = try await eventually(within: .seconds(5)) {
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: east.folder.path("status.json"))) else {
                return false
            }
            return try JSONDecoder().decode(MeshStatus.self, from: data).peers.first?.health == "refused"
        }
        await west.stop()
        await east.stop()
        #expect(refused)
        #expect(try east.database.callCounts().total == 0)
        #expect(west.metrics.render().contains("nightdesk_mesh_peer_refusals_total{reason=\"cluster\"}"))
    }
}
