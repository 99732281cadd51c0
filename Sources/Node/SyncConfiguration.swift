import Foundation
import Mesh
import Replication
import Sodium

/// Everything the sync service needs to join its site to the cluster: identity, keys, peers and settings.
///
/// Built from the topology file and the site's key folder (`SyncConfiguration.load`); tests build it directly.
public struct SyncConfiguration: Sendable {
    public var site: SiteID
    /// The cluster id from the topology: peers announcing another are refused.
    public var cluster: String
    /// The mesh endpoint: where it listens, whom it dials, whose keys it lets in.
    public var mesh: MeshConfiguration
    /// Each site's Ed25519 public key, to verify the checkpoints of its change sets.
    public var signers: [SiteID: SigningPublicKey]
    /// This site's signing key: it signs checkpoints of its own change sets.
    public var signingKeyPair: SigningKeyPair
    /// The data keys this site holds: its organisations' and the cluster key. Change sets of any other scope
    /// are stored and relayed unopened.
    public var dataKeys: [ChangeScope: DataKey]
    /// Whether this site holds every organisation (a call centre with `holds = ["*"]`). When it does not, local
    /// writes to scopes without a data key here are refused, since they could never be sealed.
    public var holdsEveryOrganisation = true
    public var session = PeerSession.Settings()
    /// How often the service seals new local change sets, streams to peers and checks links.
    public var tickInterval: Duration = .milliseconds(20)
    /// How often a `heartbeat` goes to each connected peer.
    public var heartbeatInterval: Duration = .seconds(1)
    /// How often the status file and metrics gauges are refreshed.
    public var statusInterval: Duration = .seconds(1)
    /// Where `node status` reads from; nil writes no file.
    public var statusPath: String?
    /// On SIGTERM, how long the service keeps pushing this site's unsent change sets to peers before it stops.
    public var drainTimeout: Duration = .seconds(3)
    /// The cluster's voting (call-centre) sites in topology order, written to the status file so `route --live`
    /// and `site evacuate` need only the data folder; empty when not known (tests that build this directly).
    public var votingSites: [SiteID] = []

    public init(
        site: SiteID, cluster: String, mesh: MeshConfiguration, signers: [SiteID: SigningPublicKey],
        signingKeyPair: SigningKeyPair, dataKeys: [ChangeScope: DataKey]
    ) {
        self.site = site
        self.cluster = cluster
        self.mesh = mesh
        self.signers = signers
        self.signingKeyPair = signingKeyPair
        self.dataKeys = dataKeys
    }
}

/// Limits of the sync service (STYLE.md: a limit on everything).
enum SyncLimits {
    /// Most own change sets sealed in one transaction.
    static let sealBatchSetsMax = 1_024
    /// Most change sets in one `changeSets` frame.
    static let frameSetsMax = 512
    /// Most frames sent to one peer in one tick, so one busy peer cannot hold up the others.
    static let framesPerPeerPerTickMax = 8
    /// Acknowledgements to a peer are sent at most this often while what this node holds keeps changing.
    static let ackIntervalMs: Int64 = 100
    /// How long a peer may lack another origin's change sets, while this node sees that origin, before this
    /// node relays them.
    static let relayDelayMs: Int64 = 1_000
    /// Heartbeat samples kept per peer for the cluster clock.
    static let heartbeatSamplesPerPeerMax = 16
}

/// What `node status` shows: written by the running node, read by the command.
public struct MeshStatus: Codable, Sendable, Equatable {
    public struct Peer: Codable, Sendable, Equatable {
        public var site: String
        public var health: String
        public var lagChangeSets: UInt64
        public var lagSeconds: Double
        public var lastContactMsAgo: Int64?
        public var epoch: UInt64
        public var refusal: String?
        public var siteState: String?
        /// The capacity the peer last announced in a heartbeat (nil if it never has: an older node).
        public var capacity: SiteCapacity?
        /// How long ago that heartbeat arrived.
        public var capacityMsAgo: Int64?
        /// The highest of this site's own change sets the peer has acknowledged holding (the RPO of an evacuation).
        public var acknowledgedOwnSequence: UInt64?
    }

    public var site: String
    public var cluster: String
    public var epoch: UInt64
    public var listening: String
    public var writtenAtMs: Int64
    public var held: [String: UInt64]
    public var unsealedChangeSets: Int
    public var peers: [Peer]
    public var rejected: [String: Int]
    public var clientsRefused: Int
    /// This site's own state and capacity, as its heartbeats announce them (nil in files of older nodes).
    public var siteState: String?
    public var capacity: SiteCapacity?
    /// The last of this site's own change sets sealed (nil in files of older nodes).
    public var ownHeadSequence: UInt64?
    /// The cluster's voting sites, from the topology (nil in files of older nodes).
    public var votingSites: [String]?
    /// How long a peer may go unheard before it is down here (`peerDownAfterMs`).
    public var peerDownAfterMs: Int64?
}

/// What this node sees of the cluster: the sites in contact and the heartbeat samples of their clocks.
public struct ClusterView: Sendable {
    public struct Sample: Sendable {
        public let site: SiteID
        public let peerSentAtMs: Int64
        public let receivedAtMs: Int64
    }

    /// A site's state and capacity as last announced: this node's own from its store, a peer's from its heartbeat.
    public struct SiteReport: Sendable, Equatable {
        public let state: SiteState
        /// Nil for a peer whose heartbeats carry no capacity (an older node).
        public let capacity: SiteCapacity?
        /// When this node read or heard it, by its own clock.
        public let atMs: Int64
    }

    public let live: Set<SiteID>
    public let samples: [Sample]
    /// Every site this node has a report of, itself included (DESIGN.md, Failover and traffic).
    public let sites: [SiteID: SiteReport]
    /// Live peers that said they hold change sets this node does not hold yet: a node back from an outage waits
    /// until this is empty before it sends the outbox, so it never resends what a survivor sent while it was down.
    public var aheadOfThisNode: Set<SiteID> = []
}
