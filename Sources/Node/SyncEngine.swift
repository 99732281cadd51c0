import Foundation
import Logging
import Mesh
import Replication
import Sodium
import Store

/// Joins the store to the mesh: seals this site's change sets, streams what each peer lacks within its
/// credit, verifies, opens and stores what peers send, and keeps each peer's session (PROTOCOL.md).
///
/// An actor: frames and ticks are handled one at a time, so the sessions and the store are never raced.
actor SyncEngine {
    let configuration: SyncConfiguration
    let database: AppDatabase
    let endpoint: MeshEndpoint
    let metrics: NodeMetrics
    let logger: Logger
    let now: @Sendable () -> Date

    private(set) var epoch: UInt64 = 0
    private(set) var listening = ""
    private var sessions: [SiteID: PeerSession] = [:]
    /// The link generation each peer had at the last tick (see `MeshEndpoint.connectionGenerations`).
    private var linkGenerations: [SiteID: UInt64] = [:]
    /// What this node holds of each origin's sealed log.
    private(set) var held = VersionVector()
    private var ownHead: (sequence: UInt64, link: Data)
    private var lastAckSent: [SiteID: (vector: VersionVector, atMs: Int64)] = [:]
    private var lastHeartbeatMs: Int64 = 0
    private var rejected: [String: Int] = [:]
    /// Refusals already logged, so a peer that keeps retrying is logged once per reason.
    private var loggedRefusals = Set<String>()
    private var missingKeyLogged = Set<String>()
    private(set) var unsealed = 0
    /// The latest heartbeats from each peer: its clock when it sent one, and this node's when it arrived.
    private var heartbeats: [SiteID: [(sentAtMs: Int64, receivedAtMs: Int64)]] = [:]
    /// What each site last announced, this one's own included (read from the store each heartbeat).
    private var reports: [SiteID: ClusterView.SiteReport] = [:]

    init(
        configuration: SyncConfiguration, database: AppDatabase, metrics: NodeMetrics, logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.database = database
        self.endpoint = MeshEndpoint(configuration: configuration.mesh, logger: logger)
        self.metrics = metrics
        self.logger = logger
        self.now = now
        self.ownHead = (0, OriginChain.genesisLink(origin: configuration.site.rawValue).bytes)
    }

    var nowMs: Int64 { now().milliseconds }

    /// Starts a new epoch, restores what is known of peers, and starts the endpoint.
    func start() throws -> String {
        epoch = try database.beginMeshEpoch(cluster: configuration.cluster)
        try database.setHeldScopes(
            configuration.holdsEveryOrganisation ? nil : Set(configuration.dataKeys.keys.map(\.description)))
        let known = Dictionary(uniqueKeysWithValues: try database.meshPeers().map { ($0.site, $0) })
        for peer in configuration.mesh.peers {
            sessions[peer.site] = PeerSession(site: peer.site, knownEpoch: known[peer.site]?.epoch ?? 0)
        }
        held = try database.sealedVector()
        if let head = try database.sealedHead(origin: configuration.site) {
            ownHead = (head.sequence.rawValue, head.link)
        }
        listening = try endpoint.start()
        logger.info(
            "sync started",
            metadata: [
                "mesh.cluster": "\(configuration.cluster)", "mesh.epoch": "\(epoch)", "mesh.endpoint": "\(listening)",
                "mesh.held": "\(held)",
            ])
        return listening
    }

    func stop() async {
        await endpoint.stop()
    }

    // MARK: - Ticks

    /// One round of the service's periodic work.
    func tick() async {
        let nowMs = nowMs
        do {
            try sealPending(atMs: nowMs)
        } catch {
            logger.error("sealing this site's change sets failed", metadata: ["error": "\(error)"])
        }
        await checkLinks()
        for site in sessions.keys.sorted() {
            sessions[site]!.tick(localHeld: held, atMs: nowMs, settings: configuration.session)
            await stream(to: site)
            await acknowledge(to: site, atMs: nowMs)
        }
        if nowMs - lastHeartbeatMs >= configuration.heartbeatInterval.milliseconds {
            lastHeartbeatMs = nowMs
            let own = ownReport(atMs: nowMs)
            reports[configuration.site] = own
            for site in linkGenerations.keys.sorted() {
                try? await endpoint.send(
                    to: site,
                    frame: .heartbeat(site: configuration.site, state: own.state, sentAtMs: nowMs, capacity: own.capacity))
            }
            recordAnnouncementsLive(atMs: nowMs)
        }
    }

    /// This site's state and capacity from its store, read afresh for every heartbeat so `site state --set` and
    /// handlers signing in are announced within one interval. A failed read announces the last known state.
    private func ownReport(atMs nowMs: Int64) -> ClusterView.SiteReport {
        let last = reports[configuration.site]
        do {
            let setting = try database.siteState()
            let state = SiteState.allCases.first { "\($0)" == setting.rawValue } ?? .up
            let figures = try database.siteCapacity(
                at: Date(milliseconds: nowMs), callsInProgressWindowMs: SiteCapacity.callsInProgressWindowMs)
            let capacity = SiteCapacity(
                handlersSignedIn: min(figures.handlersSignedIn, MeshLimits.capacityHandlersMax),
                trainedByOrganisation: figures.trainedByOrganisation.mapValues { min($0, MeshLimits.capacityHandlersMax) },
                callsInProgress: min(figures.callsInProgress, MeshLimits.capacityCallsMax))
            return ClusterView.SiteReport(state: state, capacity: capacity, atMs: nowMs)
        } catch {
            logger.error("reading this site's state and capacity failed", metadata: ["error": "\(error)"])
            return ClusterView.SiteReport(state: last?.state ?? .up, capacity: last?.capacity, atMs: nowMs)
        }
    }

    /// Records announcement versions that became live in this store (5.1.3): after change sets from peers are
    /// applied, and every heartbeat for any that arrived another way (a file import).
    func recordAnnouncementsLive(atMs nowMs: Int64) {
        // A council's replica (holding only some organisations) plays no announcements: it records none live.
        guard configuration.holdsEveryOrganisation else { return }
        do {
            let recorded = try database.recordAnnouncementsLive(at: Date(milliseconds: nowMs))
            if recorded > 0 {
                logger.info("announcements live here", metadata: ["announcement.versions": "\(recorded)"])
            }
        } catch {
            logger.error("recording announcements live failed", metadata: ["error": "\(error)"])
        }
    }

    /// Seals this site's change sets committed since the last seal, chains them and signs checkpoints: at
    /// least every `checkpointIntervalSetsMax` sets and at the end of each batch (OriginChain's rules).
    func sealPending(atMs nowMs: Int64) throws {
        let pending = try database.unsealedOwnChangeSets(
            after: OriginSequence(ownHead.sequence), limit: SyncLimits.sealBatchSetsMax)
        unsealed = pending.count
        guard !pending.isEmpty else { return }
        var chain = try OriginChain(
            origin: configuration.site.rawValue, sequence: ownHead.sequence,
            link: GenericHash.Digest(bytes: ownHead.link))
        var entries: [SealedEntry] = []
        var checkpoints: [StoredCheckpoint] = []
        for set in pending {
            guard let key = configuration.dataKeys[set.scope] else {
                if missingKeyLogged.insert("\(set.scope)").inserted {
                    logger.error(
                        "this site holds no data key for a scope it wrote; its change sets wait unsealed",
                        metadata: ["change.scope": "\(set.scope)", "change.sequence": "\(set.sequence)"])
                }
                break
            }
            let sealed = try SealedChangeSet.seal(
                set.payload, origin: configuration.site, sequence: set.sequence, clockMs: set.clockMs,
                scope: set.scope, key: key)
            let link = chain.append(sealed.bytes)
            entries.append(SealedEntry(envelope: sealed.bytes, link: link.bytes, clockMs: set.clockMs))
            if chain.sequence % UInt64(SodiumLimits.checkpointIntervalSetsMax) == 0 {
                checkpoints.append(storedCheckpoint(chain.checkpoint(signedBy: configuration.signingKeyPair)))
            }
        }
        guard !entries.isEmpty else { return }
        if checkpoints.last?.sequence.rawValue != chain.sequence {
            checkpoints.append(storedCheckpoint(chain.checkpoint(signedBy: configuration.signingKeyPair)))
        }
        try database.storeSealedRun(
            origin: configuration.site, first: OriginSequence(ownHead.sequence + 1), baseLink: ownHead.link,
            entries: entries, checkpoints: checkpoints, opened: [], at: Date(milliseconds: nowMs))
        ownHead = (chain.sequence, chain.link.bytes)
        held = held.merged(with: VersionVector([configuration.site: OriginSequence(chain.sequence)]))
        unsealed -= entries.count
        metrics.changeSetsSealed.increment(by: Int64(entries.count))
    }

    private func storedCheckpoint(_ checkpoint: Checkpoint) -> StoredCheckpoint {
        StoredCheckpoint(
            origin: SiteID(checkpoint.origin), sequence: OriginSequence(checkpoint.sequence),
            link: checkpoint.link.bytes, signature: checkpoint.signature.bytes)
    }

    /// Notices links that came up (say hello and grant credit) or went down (forget what was in flight).
    private func checkLinks() async {
        let current = endpoint.connectionGenerations
        for (site, generation) in current where linkGenerations[site] != generation && sessions[site] != nil {
            if linkGenerations[site] != nil { sessions[site]!.linkDown() }
            linkGenerations[site] = generation
            await send(
                .hello(
                    site: configuration.site, clusterID: ClusterID(configuration.cluster)!, epoch: epoch,
                    heldVector: held), to: site)
            await grantCredit(to: site)
        }
        for site in linkGenerations.keys where current[site] == nil {
            linkGenerations[site] = nil
            sessions[site]?.linkDown()
        }
    }

    private func grantCredit(to site: SiteID) async {
        await send(
            .request(vector: held, creditChangeSets: UInt32(configuration.session.creditWindowChangeSets)), to: site)
    }

    /// Sends the peer what it lacks, in runs ending at checkpoints, within its credit.
    private func stream(to site: SiteID) async {
        guard linkGenerations[site] != nil else { return }
        for _ in 0..<SyncLimits.framesPerPeerPerTickMax {
            guard let session = sessions[site], session.mayStream else { return }
            let from = streamingStart(for: session)
            // Most ticks there is nothing new: answer that from memory rather than the store.
            guard !from.covers(held) else { return }
            let runs: [SealedRunRecord]
            do {
                runs = try database.sealedRuns(
                    missingFrom: from, setsMax: min(session.credit, SyncLimits.frameSetsMax))
            } catch {
                logger.error("reading the sealed log failed", metadata: ["error": "\(error)"])
                return
            }
            guard !runs.isEmpty else { return }
            var items: [Data] = []
            var through = VersionVector()
            var count = 0
            for run in runs {
                let wire = SealedRun(
                    origin: run.origin, firstSequence: run.firstSequence, envelopes: run.envelopes,
                    checkpointLink: run.checkpoint.link, checkpointSignature: run.checkpoint.signature)
                guard let encoded = try? wire.encoded() else { continue }
                items.append(encoded)
                through = through.merged(with: VersionVector([run.origin: run.checkpoint.sequence]))
                count += run.envelopes.count
            }
            // Recorded before the send: while this one waits on the socket, another stream (a tick, a request)
            // must start after it rather than send the same runs again.
            let previous = session.sentThrough
            sessions[site]!.sent(through: through)
            do {
                try await endpoint.send(to: site, frame: .changeSets(items))
            } catch .peerUnavailable {
                sessions[site]?.linkDown()
                return
            } catch {
                sessions[site]?.unsent(previous: previous)
                return  // wouldBlock (the link is full) or stopping: try again next tick
            }
            metrics.changeSetsSent.increment(by: Int64(count))
        }
    }

    /// Where streaming to a peer starts: after what was sent, except that another origin's change sets are
    /// relayed only when this node cannot see that origin, or the peer has lacked them for `relayDelayMs`.
    ///
    /// In a full mesh each site gets an origin's change sets straight from it; relaying them at once as well
    /// would send nearly everything twice. The delay keeps relaying for when it is needed: a link down, or
    /// down only between the origin and this peer.
    private func streamingStart(for session: PeerSession) -> VersionVector {
        var start = session.sentThrough
        let nowMs = nowMs
        for (origin, sequence) in held.entries where origin != configuration.site {
            let originHealth = sessions[origin]?.health(atMs: nowMs, settings: configuration.session)
            let originVisible =
                linkGenerations[origin] != nil && (originHealth == .connected || originHealth == .lagging)
            let lackingSinceMs = session.behindSinceByOrigin[origin] ?? nowMs
            if origin == session.site || (originVisible && nowMs - lackingSinceMs < SyncLimits.relayDelayMs) {
                start = start.merged(with: VersionVector([origin: sequence]))
            }
        }
        return start
    }

    /// Tells an admitted peer what this node now holds, at most every `ackIntervalMs`.
    private func acknowledge(to site: SiteID, atMs nowMs: Int64) async {
        guard linkGenerations[site] != nil, case .admitted = sessions[site]?.admission else { return }
        if let last = lastAckSent[site], last.vector == held || nowMs - last.atMs < SyncLimits.ackIntervalMs {
            return
        }
        lastAckSent[site] = (held, nowMs)
        await send(.ack(heldVector: held), to: site)
    }

    func send(_ frame: Frame, to site: SiteID) async {
        do {
            try await endpoint.send(to: site, frame: frame)
        } catch {
            logger.debug("frame not sent", metadata: ["peer.site": "\(site)", "error": "\(error)"])
        }
    }

    // MARK: - Frames from peers

    func handle(_ received: ReceivedFrame) async {
        let site = received.from
        guard sessions[site] != nil else { return }
        let nowMs = nowMs
        metrics.framesReceived.increment()
        switch received.frame {
        case .hello(let sender, let cluster, let peerEpoch, let peerHeld):
            guard sender == site else {
                reject("malformed", count: 1, from: site, reason: "hello names \(sender), the link proves \(site)")
                return
            }
            let admission = sessions[site]!.receivedHello(
                cluster: cluster.rawValue, expectedCluster: configuration.cluster, epoch: peerEpoch, held: peerHeld,
                localHeldOfPeer: held[site], atMs: nowMs)
            switch admission {
            case .admitted:
                logger.info("peer admitted", metadata: ["peer.site": "\(site)", "peer.epoch": "\(peerEpoch)"])
                try? database.recordMeshPeer(
                    MeshPeerRecord(site: site, epoch: peerEpoch, held: peerHeld, lastContactMs: nowMs))
                lastAckSent[site] = nil
                await grantCredit(to: site)
            case .refused(let reason):
                metrics.peerRefused(reason.contains("cluster") ? "cluster" : "restored")
                if loggedRefusals.insert("\(site) \(reason)").inserted {
                    logger.error("peer refused", metadata: ["peer.site": "\(site)", "reason": "\(reason)"])
                }
            case .awaitingHello:
                break
            }
        case .request(let vector, let credit):
            guard admitted(site) else { return }
            sessions[site]!.receivedRequest(vector: vector, credit: credit, atMs: nowMs)
            await stream(to: site)
        case .ack(let vector):
            guard admitted(site) else { return }
            sessions[site]!.receivedAck(vector: vector, atMs: nowMs)
        case .heartbeat(_, let state, let sentAtMs, let capacity):
            sessions[site]!.heard(atMs: nowMs, state: state)
            reports[site] = ClusterView.SiteReport(state: state, capacity: capacity, atMs: nowMs)
            heartbeats[site, default: []].append((sentAtMs, nowMs))
            if heartbeats[site]!.count > SyncLimits.heartbeatSamplesPerPeerMax { heartbeats[site]!.removeFirst() }
        case .changeSets(let items):
            guard admitted(site) else { return }
            sessions[site]!.heard(atMs: nowMs)
            receive(items, from: site, atMs: nowMs)
            await grantCredit(to: site)
        }
    }

    private func admitted(_ site: SiteID) -> Bool {
        if case .admitted = sessions[site]?.admission { return true }
        metrics.peerRefused("unadmitted")
        return false
    }

    func reject(_ reason: String, count: Int, from site: SiteID, reason detail: String) {
        rejected[reason, default: 0] += count
        metrics.changeSetsRejected(reason, count: count)
        let total = rejected[reason]!
        // The first of each kind and then every power of two, so a hostile peer cannot flood the log.
        if total & (total - 1) == 0 || count > 1 {
            logger.warning(
                "change sets rejected",
                metadata: [
                    "peer.site": "\(site)", "reject.reason": "\(reason)", "reject.count": "\(count)",
                    "reject.detail": "\(detail)",
                ])
        }
    }

    // MARK: - Status

    /// The sites this node is in contact with (itself included) and the heartbeat samples to estimate the
    /// cluster's time from: what the timers decide who acts by.
    func clusterView() -> ClusterView {
        let nowMs = nowMs
        var live: Set<SiteID> = [configuration.site]
        var ahead: Set<SiteID> = []
        for (site, session) in sessions {
            let health = session.health(atMs: nowMs, settings: configuration.session)
            if health == .connected || health == .lagging { live.insert(site) }
            if live.contains(site), !held.covers(session.peerHeld) { ahead.insert(site) }
        }
        let samples = heartbeats.flatMap { site, list in
            list.map { ClusterView.Sample(site: site, peerSentAtMs: $0.sentAtMs, receivedAtMs: $0.receivedAtMs) }
        }
        var view = ClusterView(live: live, samples: samples, sites: reports)
        view.aheadOfThisNode = ahead
        return view
    }

    func status() -> MeshStatus {
        let nowMs = nowMs
        var peers: [MeshStatus.Peer] = []
        for site in sessions.keys.sorted() {
            let session = sessions[site]!
            let health = session.health(atMs: nowMs, settings: configuration.session)
            let lagSeconds = session.behindSinceMs.map { Double(nowMs - $0) / 1000 } ?? 0
            let lag = session.lagChangeSets(localHeld: held)
            metrics.peer(site, up: health == .connected || health == .lagging, lagChangeSets: lag, lagSeconds: lagSeconds)
            var refusal: String? = nil
            if case .refused(let reason) = session.admission { refusal = reason }
            peers.append(
                MeshStatus.Peer(
                    site: site.rawValue, health: health.rawValue, lagChangeSets: lag, lagSeconds: lagSeconds,
                    lastContactMsAgo: session.lastContactMs.map { nowMs - $0 }, epoch: session.epoch,
                    refusal: refusal, siteState: session.remoteState.map { "\($0)" }, capacity: reports[site]?.capacity,
                    capacityMsAgo: reports[site].map { nowMs - $0.atMs },
                    acknowledgedOwnSequence: session.peerHeld[configuration.site].rawValue))
            metrics.site(site, report: reports[site])
        }
        let statistics = endpoint.statistics
        metrics.mesh(statistics)
        metrics.unsealed(unsealed)
        metrics.site(configuration.site, report: reports[configuration.site])
        return MeshStatus(
            site: configuration.site.rawValue, cluster: configuration.cluster, epoch: epoch, listening: listening,
            writtenAtMs: nowMs,
            held: Dictionary(uniqueKeysWithValues: held.entries.map { ($0.key.rawValue, $0.value.rawValue) }),
            unsealedChangeSets: unsealed, peers: peers, rejected: rejected, clientsRefused: statistics.clientsRefused,
            siteState: reports[configuration.site].map { "\($0.state)" }, capacity: reports[configuration.site]?.capacity,
            ownHeadSequence: ownHead.sequence, votingSites: configuration.votingSites.map(\.rawValue),
            peerDownAfterMs: configuration.session.downAfterMs)
    }

    /// Whether every admitted, connected peer holds this site's own change sets (used when draining).
    var ownChangeSetsAcknowledged: Bool {
        sessions.values.allSatisfy { session in
            guard case .admitted = session.admission, linkGenerations[session.site] != nil else { return true }
            return session.peerHeld[configuration.site].rawValue >= ownHead.sequence
        }
    }

    func genesis(_ origin: SiteID) -> Data {
        OriginChain.genesisLink(origin: origin.rawValue).bytes
    }

    func noteStored(origin: SiteID, through sequence: OriginSequence) {
        held = held.merged(with: VersionVector([origin: sequence]))
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
