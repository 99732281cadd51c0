import Replication

/// What one node knows of one peer's sync session, and the flow-control decisions that follow from it.
///
/// A value-type state machine (STYLE.md rule 5): events go in with the time, decisions come out; the node's
/// sync service carries them out on the sockets and the store. PROTOCOL.md, Sync session, describes the
/// exchange this implements.
public struct PeerSession: Sendable, Equatable {
    /// Whether the peer may take part.
    public enum Admission: Sendable, Equatable {
        /// No `hello` yet on this connection: its other frames are ignored.
        case awaitingHello
        case admitted
        /// Another cluster, or an epoch older than one already seen: everything from it is ignored.
        case refused(reason: String)
    }

    /// How the peer looks from here, for `node status` and failover.
    public enum Health: String, Sendable, Equatable, Codable {
        /// In contact and holding everything this node holds (or catching up within `lagAllowedMs`).
        case connected
        /// In contact but behind for longer than `lagAllowedMs`.
        case lagging
        /// Not heard from for `downAfterMs`, or never.
        case down
        /// Refused: another cluster or a stale epoch.
        case refused
    }

    public struct Settings: Sendable, Equatable {
        /// Change sets this node lets a peer send before granting more (in `request` frames).
        public var creditWindowChangeSets = 4_096
        /// A peer not heard from for this long is down.
        public var downAfterMs: Int64 = 5_000
        /// A peer behind this node for longer than this is lagging.
        public var lagAllowedMs: Int64 = 2_000
        /// Change sets sent but not acknowledged for this long are sent again (the connection may have dropped
        /// what it carried).
        public var resendAfterMs: Int64 = 3_000

        public init() {}
    }

    public let site: SiteID
    public private(set) var admission: Admission = .awaitingHello
    /// The highest epoch seen from the peer, here or in an earlier run of this node.
    public private(set) var epoch: UInt64
    /// What the peer last said it holds.
    public private(set) var peerHeld = VersionVector()
    /// What this node has sent it since it last said what it holds: the start of the next run to send.
    public private(set) var sentThrough = VersionVector()
    /// What the peer held when it last granted credit, and how many change sets beyond that it will take.
    ///
    /// Credit counts from the vector of the grant, so change sets in flight when a new grant arrives count
    /// against it: the window bounds what is in flight, however often the peer grants.
    public private(set) var grantBase = VersionVector()
    public private(set) var grant = 0
    /// Since when the peer has lacked change sets of each origin that this node holds.
    public private(set) var behindSinceByOrigin: [SiteID: Int64] = [:]
    public private(set) var lastContactMs: Int64?
    public private(set) var remoteState: SiteState?
    /// When the peer last acknowledged more, or this node last had nothing unacknowledged out to it.
    private var progressAtMs: Int64 = 0
    /// Since when the peer has held less than this node (nil while it holds everything).
    public private(set) var behindSinceMs: Int64?

    public init(site: SiteID, knownEpoch: UInt64 = 0) {
        self.site = site
        self.epoch = knownEpoch
    }

    // MARK: - Events

    /// The connection to the peer dropped: whatever was in flight may be lost, and credit goes with it.
    public mutating func linkDown() {
        grant = 0
        sentThrough = peerHeld
        if case .admitted = admission { admission = .awaitingHello }
    }

    /// A `hello`: admitted when the cluster matches, the epoch is not older than one already seen, and the
    /// peer holds at least as much of its own log as this node holds of it (`localHeldOfPeer`).
    ///
    /// A node restored from an old backup fails one of the last two: it either restarts from an older epoch or
    /// has lost change sets it wrote, whose sequence numbers it would reuse for different changes.
    public mutating func receivedHello(
        cluster: String, expectedCluster: String, epoch: UInt64, held: VersionVector,
        localHeldOfPeer: OriginSequence = .zero, atMs nowMs: Int64
    ) -> Admission {
        lastContactMs = nowMs
        guard cluster == expectedCluster else {
            admission = .refused(reason: "it belongs to cluster '\(cluster)', this node to '\(expectedCluster)'")
            return admission
        }
        guard epoch >= self.epoch else {
            admission = .refused(
                reason: "it announced epoch \(epoch) after epoch \(self.epoch) was seen: it was restored from an old "
                    + "backup; re-create its data folder from a live site")
            return admission
        }
        guard held[site] >= localHeldOfPeer else {
            admission = .refused(
                reason: "it holds \(held[site]) of its own change sets but this node holds \(localHeldOfPeer) of them: "
                    + "it was restored from an old backup; re-create its data folder from a live site")
            return admission
        }
        self.epoch = epoch
        admission = .admitted
        peerHeld = held
        sentThrough = held
        grant = 0
        grantBase = held
        progressAtMs = nowMs
        return admission
    }

    /// A `request`: what the peer holds and how many change sets it will take from now (a new grant
    /// replaces the last, so a lost request costs nothing but a pause).
    public mutating func receivedRequest(vector: VersionVector, credit: UInt32, atMs nowMs: Int64) {
        lastContactMs = nowMs
        guard case .admitted = admission else { return }
        acknowledge(vector, atMs: nowMs)
        grantBase = vector
        grant = Int(credit)
    }

    /// An `ack`: what the peer now holds.
    public mutating func receivedAck(vector: VersionVector, atMs nowMs: Int64) {
        lastContactMs = nowMs
        guard case .admitted = admission else { return }
        acknowledge(vector, atMs: nowMs)
    }

    /// Any other frame from the peer: it is alive.
    public mutating func heard(atMs nowMs: Int64, state: SiteState? = nil) {
        lastContactMs = nowMs
        if let state { remoteState = state }
    }

    /// How many more change sets the peer will take now: its grant less what was sent beyond the grant's vector.
    public var credit: Int {
        var inFlight = 0
        for (origin, sent) in sentThrough.entries where sent > grantBase[origin] {
            inFlight += Int(clamping: sent.rawValue - grantBase[origin].rawValue)
        }
        return max(0, grant - inFlight)
    }

    /// This node is sending change sets up to `through` (recorded before the send, so a second stream
    /// started while the first waits on the socket does not send them again).
    public mutating func sent(through: VersionVector) {
        sentThrough = sentThrough.merged(with: through)
    }

    /// The send recorded by `sent(through:)` did not happen: go back to `previous` (or to what the peer
    /// acknowledged, if that is further).
    public mutating func unsent(previous: VersionVector) {
        sentThrough = previous.merged(with: peerHeld)
    }

    private mutating func acknowledge(_ vector: VersionVector, atMs nowMs: Int64) {
        let merged = peerHeld.merged(with: vector)
        if merged != peerHeld { progressAtMs = nowMs }
        peerHeld = merged
        sentThrough = sentThrough.merged(with: merged)
    }

    // MARK: - Decisions

    /// Whether change sets may be sent now, and from which vector: admitted and with credit.
    public var mayStream: Bool {
        guard case .admitted = admission else { return false }
        return credit > 0
    }

    /// Called each tick with what this node holds: notes when the peer fell behind, and rewinds to the
    /// acknowledged vector when sent change sets have gone unacknowledged for `resendAfterMs`.
    public mutating func tick(localHeld: VersionVector, atMs nowMs: Int64, settings: Settings) {
        if peerHeld.covers(localHeld) {
            behindSinceMs = nil
        } else if behindSinceMs == nil {
            behindSinceMs = nowMs
        }
        for (origin, sequence) in localHeld.entries {
            if peerHeld[origin] >= sequence {
                behindSinceByOrigin[origin] = nil
            } else if behindSinceByOrigin[origin] == nil {
                behindSinceByOrigin[origin] = nowMs
            }
        }
        if peerHeld.covers(sentThrough) {
            progressAtMs = nowMs
        } else if nowMs - progressAtMs >= settings.resendAfterMs {
            sentThrough = peerHeld
            progressAtMs = nowMs
        }
    }

    /// How the peer looks now.
    public func health(atMs nowMs: Int64, settings: Settings) -> Health {
        if case .refused = admission { return .refused }
        guard let lastContactMs, nowMs - lastContactMs < settings.downAfterMs else { return .down }
        if let behindSinceMs, nowMs - behindSinceMs > settings.lagAllowedMs { return .lagging }
        return .connected
    }

    /// Change sets this node holds that the peer does not.
    public func lagChangeSets(localHeld: VersionVector) -> UInt64 {
        localHeld.entries.reduce(0) { total, entry in
            let theirs = peerHeld[entry.key].rawValue
            return total + (entry.value.rawValue > theirs ? entry.value.rawValue - theirs : 0)
        }
    }
}
