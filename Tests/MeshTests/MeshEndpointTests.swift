import Foundation
import Replication
import Sodium
import Testing

@testable import Mesh

/// Real CURVE sockets over TCP on 127.0.0.1, each endpoint on a free port; every wait is bounded.
@Suite(.timeLimit(.minutes(1))) struct MeshEndpointTests {
    /// Two sites, each dialling the other, both up and linked.
    func linkedPair(
        adjustWest: (inout MeshConfiguration) -> Void = { _ in },
        adjustEast: (inout MeshConfiguration) -> Void = { _ in }
    ) async throws -> (west: TestSite, east: TestSite, westEndpoint: MeshEndpoint, eastEndpoint: MeshEndpoint) {
        let west = try TestSite("WST")
        let east = try TestSite("EST")
        let eastEndpoint = east.endpoint(allowing: [west], adjust: adjustEast)
        let eastAddress = try eastEndpoint.start()
        let westEndpoint = west.endpoint(peers: [east.peer(at: eastAddress)], allowing: [east], adjust: adjustWest)
        let westAddress = try westEndpoint.start()
        try await eastEndpoint.addPeer(west.peer(at: westAddress))
        let linked = await eventually {
            westEndpoint.connectedPeers == [east.id] && eastEndpoint.connectedPeers == [west.id]
        }
        try #require(linked, "the two sites did not link within 5 s")
        return (west, east, westEndpoint, eastEndpoint)
    }

    @Test func twoSitesExchangeFramesBothWaysOverCurve() async throws {
        let (west, east, westEndpoint, eastEndpoint) = try await linkedPair()
        #expect(westEndpoint.boundEndpoint?.hasPrefix("tcp://127.0.0.1:") == true)
        let westInbox = Inbox(westEndpoint.received)
        let eastInbox = Inbox(eastEndpoint.received)

        let hello = Frame.hello(
            site: west.id, clusterID: ClusterID("ooh-test")!, epoch: 1,
            heldVector: VersionVector([west.id: OriginSequence(2)]))
        let sets = Frame.changeSets([Data("first".utf8), Data("second".utf8)])
        let request = Frame.request(vector: VersionVector([west.id: OriginSequence(2)]), creditChangeSets: 64)
        try await westEndpoint.send(to: east.id, frame: hello)
        try await westEndpoint.send(to: east.id, frame: sets)
        try await eastEndpoint.send(to: west.id, frame: request)

        #expect(await eventually { eastInbox.count == 2 && westInbox.count == 1 })
        #expect(
            eastInbox.all == [ReceivedFrame(from: west.id, frame: hello), ReceivedFrame(from: west.id, frame: sets)])
        #expect(westInbox.all == [ReceivedFrame(from: east.id, frame: request)])
        #expect(westEndpoint.statistics.framesSent == 2)
        #expect(eastEndpoint.statistics.framesReceived == 2)
        #expect(eastEndpoint.statistics.clientsRefused == 0)

        await westEndpoint.stop()
        await eastEndpoint.stop()
        #expect(await eventually { westInbox.isFinished && eastInbox.isFinished })
    }

    @Test func aClientWhoseKeyIsNotOnTheAllowListIsRefusedAndItsFramesNeverArrive() async throws {
        let west = try TestSite("WST")
        let east = try TestSite("EST")
        // Claims to be EST, and knows WST's public key, but holds a key of its own that WST does not list.
        let intruder = try TestSite("EST")
        let logs = LogRecorder()
        let westEndpoint = west.endpoint(allowing: [east], logs: logs)
        let westAddress = try westEndpoint.start()
        let westInbox = Inbox(westEndpoint.received)
        let eastEndpoint = east.endpoint(peers: [west.peer(at: westAddress)], allowing: [])
        let intruderEndpoint = intruder.endpoint(peers: [west.peer(at: westAddress)], allowing: [])
        try eastEndpoint.start()
        try intruderEndpoint.start()

        #expect(await eventually { westEndpoint.statistics.clientsRefused >= 1 })
        #expect(await eventually { eastEndpoint.connectedPeers == [west.id] })
        let fromIntruder = Frame.heartbeat(site: east.id, state: .evacuated, sentAtMs: 666)
        await #expect(throws: MeshError.peerUnavailable(west.id)) {
            try await intruderEndpoint.send(to: west.id, frame: fromIntruder)
        }
        let fromEast = Frame.heartbeat(site: east.id, state: .up, sentAtMs: 1)
        try await eastEndpoint.send(to: west.id, frame: fromEast)

        #expect(await eventually { westInbox.count == 1 })
        try await Task.sleep(for: .milliseconds(200))  // time for anything else to (wrongly) arrive
        #expect(westInbox.all == [ReceivedFrame(from: east.id, frame: fromEast)])
        #expect(intruderEndpoint.connectedPeers.isEmpty)
        let refusals = logs.all.filter { $0.level == .warning && $0.message.contains("refused a connection") }
        #expect(refusals.first?.metadata["peer.key"] == intruder.keys.publicKey.z85)
        #expect(refusals.first?.metadata["peer.address"] == "127.0.0.1")

        await intruderEndpoint.stop()
        await eastEndpoint.stop()
        await westEndpoint.stop()
    }

    @Test func framesSentUnderAnotherSitesCodeAreRejected() async throws {
        let west = try TestSite("WST")
        let east = try TestSite("EST")
        let north = try TestSite("NTH")
        // EST's own key, but NTH's site code as its routing id: the key proves EST, so NTH is a lie.
        let impostor = TestSite(north.id.rawValue, keys: east.keys)
        let westEndpoint = west.endpoint(allowing: [east, north])
        let westAddress = try westEndpoint.start()
        let westInbox = Inbox(westEndpoint.received)
        let impostorEndpoint = impostor.endpoint(peers: [west.peer(at: westAddress)], allowing: [])
        try impostorEndpoint.start()
        #expect(await eventually { impostorEndpoint.connectedPeers == [west.id] })

        try await impostorEndpoint.send(to: west.id, frame: .heartbeat(site: north.id, state: .up, sentAtMs: 2))
        #expect(await eventually { westEndpoint.statistics.framesRejected == 1 })
        #expect(westInbox.count == 0)

        await impostorEndpoint.stop()
        await westEndpoint.stop()
    }

    @Test func aPeerThatIsDownIsReportedUnavailableNotDroppedSilently() async throws {
        // A port where nothing listens any more: an endpoint that started and stopped.
        let ghost = try TestSite("GST")
        let ghostEndpoint = ghost.endpoint(allowing: [])
        let ghostAddress = try ghostEndpoint.start()
        await ghostEndpoint.stop()

        let west = try TestSite("WST")
        let westEndpoint = west.endpoint(peers: [ghost.peer(at: ghostAddress)], allowing: [])
        try westEndpoint.start()
        let heartbeat = Frame.heartbeat(site: west.id, state: .up, sentAtMs: 3)
        await #expect(throws: MeshError.peerUnavailable(ghost.id)) {
            try await westEndpoint.send(to: ghost.id, frame: heartbeat)
        }
        await #expect(throws: MeshError.unknownPeer(SiteID("XYZ"))) {
            try await westEndpoint.send(to: SiteID("XYZ"), frame: heartbeat)
        }
        #expect(westEndpoint.statistics.sendsUnavailable == 1)
        #expect(westEndpoint.statistics.framesSent == 0)
        await westEndpoint.stop()
        await #expect(throws: MeshError.notRunning) { try await westEndpoint.send(to: ghost.id, frame: heartbeat) }
    }

    @Test func aPeerThatStopsBecomesUnavailable() async throws {
        let (west, east, westEndpoint, eastEndpoint) = try await linkedPair()
        let heartbeat = Frame.heartbeat(site: west.id, state: .up, sentAtMs: 4)
        try await westEndpoint.send(to: east.id, frame: heartbeat)

        await eastEndpoint.stop()
        #expect(await eventually { !westEndpoint.connectedPeers.contains(east.id) })
        await #expect(throws: MeshError.peerUnavailable(east.id)) {
            try await westEndpoint.send(to: east.id, frame: heartbeat)
        }
        await westEndpoint.stop()
    }

    @Test func aFullLinkReportsWouldBlockAndLosesNothing() async throws {
        // Small queues everywhere, and nobody reading at EST until WST has been held back for a while.
        let (west, east, westEndpoint, eastEndpoint) = try await linkedPair(
            adjustWest: { $0.sendHighWaterMarkFrames = 4 },
            adjustEast: {
                $0.receiveHighWaterMarkFrames = 4
                $0.receiveBufferFrames = 4
            })
        let payload = Data(repeating: 0x5A, count: 16 * 1024)
        // `wouldBlock` comes and goes while libzmq drains WST's queue into TCP; back off and retry as a sync
        // session would. Once EST's buffer, its socket queue and both kernels' TCP buffers are full, it stays.
        var accepted = 0
        var blockedSince: ContinuousClock.Instant? = nil
        while accepted < 4_000 {
            do {
                try await westEndpoint.send(
                    to: east.id, frame: .changeSets([Data(withUInt32(UInt32(accepted))) + payload]))
                accepted += 1
                blockedSince = nil
            } catch {
                #expect(error == .wouldBlock(east.id))
                let since = blockedSince ?? .now
                blockedSince = since
                if since.duration(to: .now) > .milliseconds(300) { break }
                try await Task.sleep(for: .milliseconds(2))
            }
        }
        #expect(blockedSince != nil, "\(accepted) frames of 16 KiB sent without lasting back-pressure")
        #expect(accepted > 8, "more than the high-water marks fit in the TCP buffers")
        #expect(westEndpoint.statistics.sendsBlocked >= 1)
        #expect(westEndpoint.statistics.sendsUnavailable == 0)

        // Once EST reads, every frame WST's send accepted arrives, in order.
        let eastInbox = Inbox(eastEndpoint.received)
        #expect(await eventually(within: .seconds(10)) { eastInbox.count == accepted })
        let indexes = eastInbox.all.compactMap { received -> UInt32? in
            guard case .changeSets(let sets) = received.frame, let set = sets.first else { return nil }
            return set.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
        }
        #expect(indexes == (0..<UInt32(accepted)).map { $0 })
        #expect(eastEndpoint.statistics.framesRejected == 0)
        try await westEndpoint.sendPatiently(to: east.id, frame: .heartbeat(site: west.id, state: .up, sentAtMs: 5))
        #expect(await eventually { eastInbox.count == accepted + 1 })

        await westEndpoint.stop()
        await eastEndpoint.stop()
    }

    /// The limit of the safety net: a receiver that stops reading also stops answering ZMTP pings, and loses the
    /// connection after `heartbeatTimeout`. The sender hears of it (`peerUnavailable`, then a new link), frames
    /// queued on the old connection may be lost (the sync protocol re-requests them), and the frames that drain
    /// from the old connection still count as the sender's.
    @Test func aReceiverStalledPastTheHeartbeatTimeoutIsRelinkedAndKeepsTheSendersFrames() async throws {
        let logs = LogRecorder()
        let west = try TestSite("WST")
        let east = try TestSite("EST")
        func adjust(_ configuration: inout MeshConfiguration) {
            configuration.heartbeatInterval = .milliseconds(100)
            configuration.heartbeatTimeout = .milliseconds(400)
            configuration.sendHighWaterMarkFrames = 4
            configuration.receiveHighWaterMarkFrames = 4
            configuration.receiveBufferFrames = 4
        }
        let eastEndpoint = east.endpoint(allowing: [west], adjust: adjust)
        let eastAddress = try eastEndpoint.start()
        let westEndpoint = west.endpoint(peers: [east.peer(at: eastAddress)], allowing: [], logs: logs, adjust: adjust)
        try westEndpoint.start()
        #expect(await eventually { westEndpoint.connectedPeers == [east.id] })

        let payload = Data(repeating: 0x33, count: 16 * 1024)
        var accepted = Set<UInt32>()
        let stallEnd = ContinuousClock.now + .milliseconds(1_500)
        var index: UInt32 = 0
        while ContinuousClock.now < stallEnd {
            do {
                try await westEndpoint.send(to: east.id, frame: .changeSets([Data(withUInt32(index)) + payload]))
                accepted.insert(index)
                index += 1
            } catch {
                #expect([.wouldBlock(east.id), .peerUnavailable(east.id)].contains(error))
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        #expect(logs.all.contains { $0.message.contains("link to peer lost") })

        let eastInbox = Inbox(eastEndpoint.received)
        #expect(await eventually { westEndpoint.connectedPeers == [east.id] })
        try await westEndpoint.sendPatiently(to: east.id, frame: .heartbeat(site: west.id, state: .up, sentAtMs: 6))
        #expect(await eventually { eastInbox.all.contains { $0.frame.type == .heartbeat } })
        let received = eastInbox.all.compactMap { received -> UInt32? in
            guard case .changeSets(let sets) = received.frame, let set = sets.first else { return nil }
            return set.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
        }
        #expect(Set(received).count == received.count, "no frame arrives twice")
        #expect(Set(received).isSubset(of: accepted))
        #expect(eastInbox.all.allSatisfy { $0.from == west.id })
        #expect(eastEndpoint.statistics.framesRejected == 0)

        await westEndpoint.stop()
        await eastEndpoint.stop()
    }

    @Test func stopIsPromptWithFramesInFlight() async throws {
        let (west, east, westEndpoint, eastEndpoint) = try await linkedPair()
        _ = Inbox(eastEndpoint.received)
        let payload = Data(repeating: 1, count: 4 * 1024)
        // Both directions busy: WST sends as fast as it may, EST too, until they are stopped.
        let senders = [(westEndpoint, east.id), (eastEndpoint, west.id)].map { endpoint, peer in
            Task {
                var sent = 0
                while true {
                    do {
                        try await endpoint.send(to: peer, frame: .changeSets([payload]))
                        sent += 1
                    } catch MeshError.notRunning {
                        return sent
                    } catch {
                        await Task.yield()
                    }
                }
            }
        }
        #expect(await eventually { eastEndpoint.statistics.framesReceived >= 100 })

        let clock = ContinuousClock()
        let elapsed = await clock.measure {
            await westEndpoint.stop()
            await eastEndpoint.stop()
        }
        #expect(elapsed < .seconds(2), "stopping took \(elapsed)")
        for sender in senders { #expect(await sender.value > 0) }
    }

    @Test func anEndpointStartsOnceAndStopsIdempotently() async throws {
        let west = try TestSite("WST")
        let endpoint = west.endpoint(allowing: [])
        try endpoint.start()
        #expect(throws: MeshError.alreadyStarted) { try endpoint.start() }
        async let first: Void = endpoint.stop()
        async let second: Void = endpoint.stop()
        _ = await (first, second)
        await endpoint.stop()
        #expect(endpoint.boundEndpoint == nil)

        let unstarted = west.endpoint(allowing: [])
        await unstarted.stop()
        #expect(throws: MeshError.alreadyStarted) { try unstarted.start() }
    }

    @Test func inconsistentConfigurationsAreRefusedWithTheReason() throws {
        let west = try TestSite("WST")
        let east = try TestSite("EST")
        let selfPeer = west.endpoint(peers: [west.peer(at: "tcp://127.0.0.1:1")], allowing: [])
        #expect(throws: MeshError.invalidConfiguration("WST lists itself as a peer")) { try selfPeer.start() }
        let twins = west.endpoint(allowing: [east, TestSite("NTH", keys: east.keys)])
        #expect(throws: MeshError.invalidConfiguration("sites EST and NTH have the same public key; give each its own"))
        {
            try twins.start()
        }
        let zeroMark = west.endpoint(allowing: []) { $0.sendHighWaterMarkFrames = 0 }
        #expect(throws: MeshError.self) { try zeroMark.start() }
        let longLinger = west.endpoint(allowing: []) { $0.linger = .seconds(30) }
        #expect(throws: MeshError.self) { try longLinger.start() }
    }
}
