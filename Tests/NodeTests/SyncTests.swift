import Foundation
import Mesh
import Node
import Replication
import Sodium
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
        for site in sites { try await site.start(in: sites, keys: keys) }
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
        for site in sites { try await site.start(in: sites, keys: keys) }
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
        // The replica cannot write what it could never seal.
        #expect(throws: StoreError.scopeNotHeld(scope: "ENF", held: ["EAL"])) { try replica.logCalls(1, organisation: "ENF") }
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
        try await west.start(in: [west, east], keys: keys, clusterID: "london")
        try await east.start(in: [west, east], keys: keys, clusterID: "elsewhere")
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

/// Faults: links that are missing, peers that lie, sites that restart.
@Suite(.serialized) struct SyncFaultTests {
    @Test func changeSetsReachASiteThroughAnotherWhenTheirOwnLinkIsDown() async throws {
        let keys = try clusterDataKeys()
        let west = try SyncTestSite("WST")
        let middle = try SyncTestSite("CEN")
        let north = try SyncTestSite("NTH")
        // WST and NTH have no link to each other: everything between them goes through MID.
        try await west.start(in: [west, middle], keys: keys, signersFrom: [west, middle, north])
        try await middle.start(in: [west, middle, north], keys: keys)
        try await north.start(in: [middle, north], keys: keys, signersFrom: [west, middle, north])
        try west.logCalls(7, caller: "From West")
        try north.logCalls(3, caller: "From North")
        let converged = try await eventually { try Set([west, middle, north].map { try $0.digest() }).count == 1 }
        for site in [west, middle, north] { await site.stop() }
        #expect(converged)
        #expect(try north.database.callCounts().total == 10)
    }

    @Test func aStoppedSiteCatchesUpWhatWasWrittenWhileItWasAway() async throws {
        let keys = try clusterDataKeys()
        let sites = try ["WST", "EST"].map { try SyncTestSite($0) }
        let (west, east) = (sites[0], sites[1])
        for site in sites { try await site.start(in: sites, keys: keys) }
        try west.logCalls(2)
        #expect(try await eventually { try east.database.callCounts().total == 2 })
        await east.stop()
        for _ in 0..<5 { try west.logCalls(20) }
        try east.logCalls(1, caller: "Written while cut off")
        try await east.start(in: sites, keys: keys)
        let converged = try await eventually { try west.digest() == east.digest() }
        for site in sites { await site.stop() }
        #expect(converged)
        #expect(try east.database.callCounts().total == 103)
    }

    @Test func forgedTamperedAndMalformedChangeSetsAreRejectedAndNeverApplied() async throws {
        let keys = try clusterDataKeys()
        let west = try SyncTestSite("WST")
        let evil = try SyncTestSite("BAD")
        let north = try SyncTestSite("NTH")  // in the topology, not running
        try await west.start(in: [west, evil], keys: keys, signersFrom: [west, evil, north])
        // EVL is a member of the cluster that speaks the protocol by hand.
        var mesh = MeshConfiguration(
            site: evil.site, keyPair: evil.curve,
            peers: [MeshPeer(site: west.site, endpoint: west.endpoint, publicKey: west.curve.publicKey)],
            allowedClients: [west.site: west.curve.publicKey])
        mesh.listenPort = evil.port
        let endpoint = MeshEndpoint(configuration: mesh, logger: .init(label: "evil"))
        try endpoint.start()
        #expect(await eventually(within: .seconds(5)) { endpoint.connectedPeers.contains(west.site) })
        try await endpoint.send(
            to: west.site, frame: .hello(site: evil.site, clusterID: ClusterID("test-cluster")!, epoch: 1, heldVector: .init()))

        func run(origin: SiteID, signedBy signer: SigningKeyPair, tamper: Bool = false) throws -> Data {
            var chain = try OriginChain(origin: origin.rawValue)
            let set = ChangeSet(
                origin: origin, sequence: OriginSequence(1),
                timestamp: HybridTimestamp(physicalMs: Date().milliseconds, logical: 0, site: origin),
                dependencies: .init(), scope: .cluster,
                operations: [RowOperation(table: "organisation", key: "EAL", action: .upsert(fields: ["name": .text("Forged")], supersedes: [:]))])
            var envelope = try SealedChangeSet.seal(
                Data(ChangeSetCodec.encode(set)), origin: origin, sequence: OriginSequence(1), clockMs: 0,
                scope: .cluster, key: keys["cluster"]!
            ).bytes
            chain.append(envelope)
            if tamper { envelope[envelope.count - 3] ^= 0x40 }
            let checkpoint = chain.checkpoint(signedBy: signer)
            return try SealedRun(
                origin: origin, firstSequence: OriginSequence(1), envelopes: [envelope],
                checkpointLink: checkpoint.link.bytes, checkpointSignature: checkpoint.signature.bytes
            ).encoded()
        }
        let before = try west.digest()
        try await endpoint.send(to: west.site, frame: .changeSets([Data("not a run".utf8)]))
        // EVL passes off a change set as NTH's, then as its own with a byte changed after chaining.
        try await endpoint.send(to: west.site, frame: .changeSets([try run(origin: north.site, signedBy: evil.signing)]))
        try await endpoint.send(to: west.site, frame: .changeSets([try run(origin: SiteID("ZZZ"), signedBy: evil.signing)]))
        try await endpoint.send(to: west.site, frame: .changeSets([try run(origin: evil.site, signedBy: evil.signing, tamper: true)]))
        let counted = await eventually(within: .seconds(5)) {
            let text = west.metrics.render()
            return ["malformed", "signature", "unknown_origin", "chain"].allSatisfy {
                text.contains("nightdesk_mesh_change_sets_rejected_total{reason=\"\($0)\"} 1")
            }
        }
        #expect(counted, "\(west.metrics.render())")
        #expect(try west.digest() == before)
        #expect(try west.database.sealedVector()[evil.site] == .zero)
        // The same run untampered is accepted: the rejections above were for the faults, not the run.
        try await endpoint.send(to: west.site, frame: .changeSets([try run(origin: evil.site, signedBy: evil.signing)]))
        #expect(try await eventually(within: .seconds(5)) { try west.database.sealedVector()[evil.site] == OriginSequence(1) })
        await endpoint.stop()
        await west.stop()
    }
}
