import Replication
import Sodium

/// A site this endpoint sends to: where it listens and the public key that proves it is that site.
public struct MeshPeer: Hashable, Sendable {
    public var site: SiteID
    /// A ZeroMQ endpoint, e.g. `tcp://10.1.2.3:7601`.
    public var endpoint: String
    /// The peer's CURVE public key: the connection succeeds only with the server holding its secret key.
    public var publicKey: CurvePublicKey

    public init(site: SiteID, endpoint: String, publicKey: CurvePublicKey) {
        self.site = site
        self.endpoint = endpoint
        self.publicKey = publicKey
    }
}

/// How one site's mesh endpoint listens, whom it dials and whom it lets in.
public struct MeshConfiguration: Sendable {
    /// This site: the identity of its sockets and what the peers' allow-lists know it as.
    public var site: SiteID
    public var keyPair: CurveKeyPair
    /// The interface to listen on; the default accepts only this machine.
    public var listenHost: String = "127.0.0.1"
    /// The TCP port to listen on; 0 picks a free one (read it back from `MeshEndpoint.start()`).
    public var listenPort: UInt16 = 0
    /// The sites this endpoint sends to.
    public var peers: [MeshPeer]
    /// The sites allowed to send to this endpoint, by their CURVE public keys; every other key is refused.
    public var allowedClients: [SiteID: CurvePublicKey]
    /// Frames queued per outgoing link before `send` reports `wouldBlock` (`ZMQ_SNDHWM`).
    public var sendHighWaterMarkFrames: Int32 = 1_000
    /// Frames queued per incoming connection before the sender is held back (`ZMQ_RCVHWM`).
    public var receiveHighWaterMarkFrames: Int32 = 1_000
    /// Received frames buffered for the consumer of `MeshEndpoint.received` before reading pauses.
    public var receiveBufferFrames = 1_024
    /// How long a closing socket may keep trying to deliver queued frames: bounds `stop()`.
    public var linger: Duration = .milliseconds(250)
    /// Delay before the first reconnection attempt to a peer; it doubles up to `reconnectIntervalMax`.
    public var reconnectInterval: Duration = .milliseconds(100)
    public var reconnectIntervalMax: Duration = .seconds(5)
    /// Longest a connection may take to finish its CURVE handshake.
    public var handshakeTimeout: Duration = .seconds(5)
    /// ZMTP pings on every connection, so a silently dead link is noticed within `heartbeatTimeout`.
    ///
    /// A receiver that stops reading (its `received` buffer full) stops answering pings too, so the timeout
    /// also bounds how long a stalled consumer keeps its connections: keep it well above any stall the sync
    /// session allows. Failover decisions use the sync protocol's own heartbeat frames, not this.
    public var heartbeatInterval: Duration = .seconds(1)
    public var heartbeatTimeout: Duration = .seconds(10)

    public init(
        site: SiteID, keyPair: CurveKeyPair, peers: [MeshPeer] = [], allowedClients: [SiteID: CurvePublicKey] = [:]
    ) {
        self.site = site
        self.keyPair = keyPair
        self.peers = peers
        self.allowedClients = allowedClients
    }

    /// Throws `invalidConfiguration` with what to change.
    func validate() throws(MeshError) {
        guard WireText.isSiteCode(Array(site.rawValue.utf8)) else {
            throw .invalidConfiguration("site code '\(site)' must be 1 to 8 printable ASCII characters")
        }
        guard !listenHost.isEmpty else { throw .invalidConfiguration("listenHost is empty") }
        guard peers.count <= MeshLimits.peersMax else {
            throw .invalidConfiguration("\(peers.count) peers, over the limit of \(MeshLimits.peersMax)")
        }
        var seen = Set<SiteID>()
        for peer in peers {
            try Self.validate(peer, site: site)
            guard seen.insert(peer.site).inserted else {
                throw .invalidConfiguration("peer \(peer.site) is listed twice")
            }
        }
        var sitesByKey: [CurvePublicKey: SiteID] = [:]
        for (client, key) in allowedClients.sorted(by: { $0.key < $1.key }) {
            guard WireText.isSiteCode(Array(client.rawValue.utf8)) else {
                throw .invalidConfiguration("allowed site code '\(client)' must be 1 to 8 printable ASCII characters")
            }
            if let other = sitesByKey.updateValue(client, forKey: key) {
                throw .invalidConfiguration("sites \(other) and \(client) have the same public key; give each its own")
            }
        }
        for (name, frames) in [
            ("sendHighWaterMarkFrames", sendHighWaterMarkFrames),
            ("receiveHighWaterMarkFrames", receiveHighWaterMarkFrames),
        ] {
            guard (1...MeshLimits.highWaterMarkFramesMax).contains(frames) else {
                throw .invalidConfiguration("\(name) is \(frames); use 1 to \(MeshLimits.highWaterMarkFramesMax)")
            }
        }
        guard (1...MeshLimits.receiveBufferFramesMax).contains(receiveBufferFrames) else {
            throw .invalidConfiguration(
                "receiveBufferFrames is \(receiveBufferFrames); use 1 to \(MeshLimits.receiveBufferFramesMax)")
        }
        guard linger >= .zero, linger <= MeshLimits.lingerMax else {
            throw .invalidConfiguration("linger is \(linger); use 0 to \(MeshLimits.lingerMax) so stop() stays prompt")
        }
        for (name, duration) in [
            ("reconnectInterval", reconnectInterval), ("handshakeTimeout", handshakeTimeout),
            ("heartbeatInterval", heartbeatInterval), ("heartbeatTimeout", heartbeatTimeout),
        ] {
            guard duration >= .milliseconds(1) else { throw .invalidConfiguration("\(name) must be at least 1 ms") }
        }
        guard reconnectIntervalMax >= reconnectInterval else {
            throw .invalidConfiguration("reconnectIntervalMax must be at least reconnectInterval")
        }
        guard heartbeatTimeout > heartbeatInterval else {
            throw .invalidConfiguration("heartbeatTimeout must be longer than heartbeatInterval")
        }
    }

    static func validate(_ peer: MeshPeer, site: SiteID) throws(MeshError) {
        guard peer.site != site else { throw .invalidConfiguration("\(site) lists itself as a peer") }
        guard WireText.isSiteCode(Array(peer.site.rawValue.utf8)) else {
            throw .invalidConfiguration("peer site code '\(peer.site)' must be 1 to 8 printable ASCII characters")
        }
        guard peer.endpoint.hasPrefix("tcp://") || peer.endpoint.hasPrefix("ipc://") else {
            throw .invalidConfiguration(
                "peer \(peer.site) endpoint '\(peer.endpoint)' must start with tcp:// or ipc://")
        }
    }
}
