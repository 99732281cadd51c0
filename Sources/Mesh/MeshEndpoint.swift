import CZeroMQ
import Foundation
import Logging
import Replication
import Sodium
import Synchronization

/// A frame and the site it came from, authenticated by the sender's CURVE key.
public struct ReceivedFrame: Hashable, Sendable {
    public let from: SiteID
    public let frame: Frame

    public init(from: SiteID, frame: Frame) {
        self.from = from
        self.frame = frame
    }
}

/// One site's end of the mesh: a CURVE-secured ROUTER that peers send to, and a DEALER to each peer.
///
/// Frames from a peer arrive on `received`; `send(to:frame:)` sends on this site's connection to the peer and
/// never drops silently: a peer without an authenticated connection is reported as `peerUnavailable`, a full
/// link as `wouldBlock`, and the caller backs off (PROTOCOL.md, Flow control). All sockets live on one
/// dedicated I/O thread, plus the ZAP handler's; `stop()` closes them within the configured linger.
public final class MeshEndpoint: Sendable {
    public let configuration: MeshConfiguration
    /// Every frame received from an allowed peer, in arrival order per peer; finishes when the endpoint stops.
    ///
    /// Consume it promptly: when `receiveBufferFrames` are waiting, the endpoint stops reading its socket and
    /// the senders see `wouldBlock`, so nothing is lost; but a stall longer than `heartbeatTimeout` costs the
    /// connections and what was queued on them (PROTOCOL.md, Flow control).
    public let received: AsyncStream<ReceivedFrame>

    private let receivedContinuation: AsyncStream<ReceivedFrame>.Continuation
    private let logger: Logger
    private let counters = MeshCounters()
    private let peerStates = PeerStates()
    private let finished = CompletionSignal()
    private let phase = Mutex(Phase.idle)

    private enum Phase {
        case idle
        case starting(stopRequested: Bool)
        case running(Mailbox, boundEndpoint: String)
        case stopped
    }

    /// An endpoint for `configuration`; nothing is bound or connected until `start()`.
    public init(configuration: MeshConfiguration, logger: Logger) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "mesh.site"] = "\(configuration.site)"
        self.logger = logger
        let bufferFrames = min(max(1, configuration.receiveBufferFrames), MeshLimits.receiveBufferFramesMax)
        (received, receivedContinuation) = AsyncStream.makeStream(
            of: ReceivedFrame.self, bufferingPolicy: .bufferingOldest(bufferFrames))
    }

    deinit {
        // An endpoint dropped without stop(): let its I/O thread close the sockets.
        if case .running(let mailbox, _) = phase.withLock({ $0 }) { _ = mailbox.post(.stop) }
        receivedContinuation.finish()
    }

    /// Binds the listening socket, connects to every configured peer, and starts the I/O threads.
    ///
    /// Returns the endpoint it listens on, e.g. `tcp://127.0.0.1:40123` (the port chosen when it was 0).
    @discardableResult
    public func start() throws(MeshError) -> String {
        MeshLimits.checkRelations()
        try configuration.validate()
        try phase.withLock { (phase) throws(MeshError) in
            guard case .idle = phase else { throw .alreadyStarted }
            phase = .starting(stopRequested: false)
        }
        var context: ZMQContext? = nil
        do throws(MeshError) {
            let newContext = try ZMQContext()
            context = newContext
            guard zmq_has("curve") == 1 else { throw .curveUnavailable }

            // The ZAP handler binds first: a CURVE server without one would admit every client.
            let zap = try ZAPHandler(
                context: newContext, allowedClients: configuration.allowedClients, counters: counters, logger: logger)
            DedicatedThread.start(name: "mesh-zap-\(configuration.site)") { zap.run() }

            let router = try Self.openRouter(newContext, configuration)
            let boundEndpoint = try router.string(ZMQ_LAST_ENDPOINT, "ZMQ_LAST_ENDPOINT")
            var links: [SiteID: PeerLink] = [:]
            for (serial, peer) in configuration.peers.enumerated() {
                links[peer.site] = try PeerLink(peer: peer, serial: serial, context: newContext, configuration)
            }
            let mailbox = try Mailbox()
            let loop = IOLoop(
                configuration: configuration, context: newContext, router: router, links: links, mailbox: mailbox,
                continuation: receivedContinuation, counters: counters, peerStates: peerStates, finished: finished,
                logger: logger)
            // From here the sockets belong to the I/O thread: `loop` is sent away and cannot be touched again.
            DedicatedThread.start(name: "mesh-io-\(configuration.site)") { loop.run() }
            let stopRequested = phase.withLock { phase in
                let stopRequested = if case .starting(stopRequested: true) = phase { true } else { false }
                phase = stopRequested ? .stopped : .running(mailbox, boundEndpoint: boundEndpoint)
                return stopRequested
            }
            if stopRequested { _ = mailbox.post(.stop) }
            logger.info(
                "mesh endpoint listening",
                metadata: ["mesh.endpoint": "\(boundEndpoint)", "mesh.peers": "\(configuration.peers.count)"])
            return boundEndpoint
        } catch {
            // Sockets opened so far close as they go out of scope; the ZAP thread ends with the context.
            context?.shutdown()
            phase.withLock { $0 = .stopped }
            receivedContinuation.finish()
            finished.fire()
            throw error
        }
    }

    /// The endpoint it listens on once started, e.g. `tcp://127.0.0.1:40123`.
    public var boundEndpoint: String? {
        phase.withLock { phase in
            if case .running(_, let endpoint) = phase { return endpoint }
            return nil
        }
    }

    /// Sends `frame` to `site`, or throws `peerUnavailable` / `wouldBlock` so the caller backs off.
    ///
    /// A frame that returns normally is queued on an authenticated connection; it can still be lost if that
    /// connection breaks before delivery, which the sync protocol's acknowledgements cover.
    public func send(to site: SiteID, frame: Frame) async throws(MeshError) {
        let bytes: [UInt8]
        do throws(FrameError) {
            bytes = try frame.encoded()
        } catch {
            throw .invalidFrame(error)
        }
        let mailbox = try runningMailbox()
        let result = await withCheckedContinuation { (reply: CheckedContinuation<Result<Void, MeshError>, Never>) in
            switch mailbox.post(.send(site, bytes, reply)) {
            case .posted: break
            case .full:
                counters.sendsBlocked.increment()
                reply.resume(returning: .failure(.wouldBlock(site)))
            case .closed: reply.resume(returning: .failure(.notRunning))
            }
        }
        try result.get()
    }

    /// Dials a peer not in the configuration (a site that joined); it may send once its connection is up.
    public func addPeer(_ peer: MeshPeer) async throws(MeshError) {
        try MeshConfiguration.validate(peer, site: configuration.site)
        let mailbox = try runningMailbox()
        let result = await withCheckedContinuation { (reply: CheckedContinuation<Result<Void, MeshError>, Never>) in
            switch mailbox.post(.addPeer(peer, reply)) {
            case .posted: break
            case .full: reply.resume(returning: .failure(.wouldBlock(peer.site)))
            case .closed: reply.resume(returning: .failure(.notRunning))
            }
        }
        try result.get()
    }

    /// The peers with an authenticated outgoing connection now.
    public var connectedPeers: Set<SiteID> { peerStates.snapshot }

    /// The connected peers, each with the number of handshakes its link has completed so far: a number that
    /// changed means the link dropped and came back, even if it looked connected at both looks.
    public var connectionGenerations: [SiteID: UInt64] { peerStates.generations }

    /// What the endpoint has sent, received, rejected and refused so far.
    public var statistics: MeshStatistics { counters.snapshot() }

    /// Closes every socket, giving queued frames at most `configuration.linger`, and finishes `received`.
    ///
    /// Returns once the sockets are closed; sends still waiting fail with `notRunning`. Safe to call again or
    /// concurrently: every call returns once the endpoint has stopped.
    public func stop() async {
        enum Step {
            case post(Mailbox)
            case finishUnstarted, wait
        }
        let step: Step = phase.withLock { phase in
            switch phase {
            case .idle:
                phase = .stopped
                return .finishUnstarted
            case .starting:
                phase = .starting(stopRequested: true)
                return .wait
            case .running(let mailbox, _):
                phase = .stopped
                return .post(mailbox)
            case .stopped:
                return .wait
            }
        }
        switch step {
        case .finishUnstarted:
            receivedContinuation.finish()
            finished.fire()
        case .post(let mailbox):
            _ = mailbox.post(.stop)
            await finished.wait()
            logger.info("mesh endpoint stopped")
        case .wait:
            await finished.wait()
        }
    }

    private func runningMailbox() throws(MeshError) -> Mailbox {
        try phase.withLock { (phase) throws(MeshError) -> Mailbox in
            guard case .running(let mailbox, _) = phase else { throw .notRunning }
            return mailbox
        }
    }

    private static func openRouter(_ context: ZMQContext, _ configuration: MeshConfiguration) throws(MeshError)
        -> ZMQSocket
    {
        let router = try ZMQSocket(context, type: ZMQ_ROUTER, linger: configuration.linger)
        try router.set(ZMQ_CURVE_SERVER, 1, "ZMQ_CURVE_SERVER")
        try router.set(ZMQ_CURVE_SECRETKEY, bytes: configuration.keyPair.secretKey.zmqOptionText, "ZMQ_CURVE_SECRETKEY")
        try router.set(ZMQ_ZAP_DOMAIN, bytes: Array(ZAPHandler.domain.utf8), "ZMQ_ZAP_DOMAIN")
        try router.set(ZMQ_ROUTING_ID, bytes: Array(configuration.site.rawValue.utf8), "ZMQ_ROUTING_ID")
        // This ROUTER only receives (each site sends on its own DEALER), but should anything ever reply on it,
        // an unknown peer must fail loudly rather than drop the frame.
        try router.set(ZMQ_ROUTER_MANDATORY, 1, "ZMQ_ROUTER_MANDATORY")
        // A restarted peer reconnects under the same routing id before the old connection is noticed dead;
        // the new connection takes over (identity is checked per frame against the ZAP User-Id anyway).
        try router.set(ZMQ_ROUTER_HANDOVER, 1, "ZMQ_ROUTER_HANDOVER")
        try router.set(ZMQ_SNDHWM, configuration.sendHighWaterMarkFrames, "ZMQ_SNDHWM")
        try router.set(ZMQ_RCVHWM, configuration.receiveHighWaterMarkFrames, "ZMQ_RCVHWM")
        try router.set(ZMQ_MAXMSGSIZE, int64: Int64(MeshLimits.frameBytesMax), "ZMQ_MAXMSGSIZE")
        try PeerLink.setTimers(router, configuration)
        let port = configuration.listenPort == 0 ? "*" : String(configuration.listenPort)
        try router.bind("tcp://\(configuration.listenHost):\(port)")
        return router
    }
}
