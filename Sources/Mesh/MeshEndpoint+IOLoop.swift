import CZeroMQ
import Foundation
import Logging
import Replication
import Sodium
import Synchronization

/// This site's outgoing connection to one peer: a DEALER (CURVE client) and the monitor reporting its state.
final class PeerLink {
    let peer: MeshPeer
    let dealer: ZMQSocket
    private let monitor: ZMQSocket
    /// Whether the CURVE handshake has succeeded and the connection has not dropped since, as last reported.
    private(set) var isConnected = false
    /// Failed handshakes since the last success, to log the first and then every power of two.
    private var failures = 0
    /// Handshakes completed while reading the current batch of monitor events.
    private var handshakesSinceLastRead = 0

    static let monitoredEvents =
        ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
        | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL

    init(peer: MeshPeer, serial: Int, context: ZMQContext, _ configuration: MeshConfiguration) throws(MeshError) {
        self.peer = peer
        dealer = try ZMQSocket(context, type: ZMQ_DEALER, linger: configuration.linger)
        try dealer.set(ZMQ_ROUTING_ID, bytes: Array(configuration.site.rawValue.utf8), "ZMQ_ROUTING_ID")
        try dealer.set(ZMQ_CURVE_SERVERKEY, bytes: [UInt8](peer.publicKey.bytes), "ZMQ_CURVE_SERVERKEY")
        try dealer.set(ZMQ_CURVE_PUBLICKEY, bytes: [UInt8](configuration.keyPair.publicKey.bytes), "ZMQ_CURVE_PUBLICKEY")
        try dealer.set(ZMQ_CURVE_SECRETKEY, bytes: configuration.keyPair.secretKey.zmqOptionText, "ZMQ_CURVE_SECRETKEY")
        try dealer.set(ZMQ_SNDHWM, configuration.sendHighWaterMarkFrames, "ZMQ_SNDHWM")
        try dealer.set(ZMQ_RCVHWM, configuration.receiveHighWaterMarkFrames, "ZMQ_RCVHWM")
        // Queue only on a connection whose handshake is done: with no such connection a send reports EAGAIN at
        // once instead of piling frames up for a peer that may never come back.
        try dealer.set(ZMQ_IMMEDIATE, 1, "ZMQ_IMMEDIATE")
        try dealer.set(ZMQ_MAXMSGSIZE, int64: Int64(MeshLimits.frameBytesMax), "ZMQ_MAXMSGSIZE")
        try dealer.set(ZMQ_RECONNECT_IVL, configuration.reconnectInterval.zmqMilliseconds, "ZMQ_RECONNECT_IVL")
        try dealer.set(
            ZMQ_RECONNECT_IVL_MAX, configuration.reconnectIntervalMax.zmqMilliseconds, "ZMQ_RECONNECT_IVL_MAX")
        try Self.setTimers(dealer, configuration)

        let monitorEndpoint = "inproc://mesh.monitor.\(serial).\(peer.site)"
        try dealer.monitor(monitorEndpoint, events: Self.monitoredEvents)
        monitor = try ZMQSocket(context, type: ZMQ_PAIR, linger: .zero)
        try monitor.connect(monitorEndpoint)
        try dealer.connect(peer.endpoint)
    }

    /// Handshake and liveness timers, the same on both ends of a connection.
    static func setTimers(_ socket: ZMQSocket, _ configuration: MeshConfiguration) throws(MeshError) {
        try socket.set(ZMQ_HANDSHAKE_IVL, configuration.handshakeTimeout.zmqMilliseconds, "ZMQ_HANDSHAKE_IVL")
        try socket.set(ZMQ_HEARTBEAT_IVL, configuration.heartbeatInterval.zmqMilliseconds, "ZMQ_HEARTBEAT_IVL")
        try socket.set(
            ZMQ_HEARTBEAT_TIMEOUT, configuration.heartbeatTimeout.zmqMilliseconds, "ZMQ_HEARTBEAT_TIMEOUT")
    }

    var monitorPollItem: zmq_pollitem_t {
        zmq_pollitem_t(socket: monitor.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
    }

    /// Applies every connection event waiting on the monitor.
    func readEvents(_ message: ZMQMessage, peerStates: PeerStates, logger: Logger) throws(MeshError) {
        let wasConnected = isConnected
        handshakesSinceLastRead = 0
        while try message.receive(from: monitor) {
            // Part 1: event number (UInt16) and value (UInt32), native byte order; part 2: the endpoint.
            let header = message.bytes
            _ = try message.discardRemainingParts(of: monitor)
            guard header.count >= 6 else { continue }
            let event = header.withUnsafeBytes { Int32($0.loadUnaligned(fromByteOffset: 0, as: UInt16.self)) }
            let value = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 2, as: UInt32.self) }
            apply(event: event, value: value, logger: logger)
        }
        if isConnected != wasConnected || handshakesSinceLastRead > 0 {
            peerStates.set(peer.site, connected: isConnected, newHandshake: handshakesSinceLastRead > 0)
        }
    }

    private func apply(event: Int32, value: UInt32, logger: Logger) {
        let metadata: Logger.Metadata = ["peer.site": "\(peer.site)", "peer.endpoint": "\(peer.endpoint)"]
        switch event {
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
            isConnected = true
            handshakesSinceLastRead += 1
            failures = 0
            logger.info("linked to peer", metadata: metadata)
        case ZMQ_EVENT_DISCONNECTED:
            if isConnected { logger.warning("link to peer lost; reconnecting", metadata: metadata) }
            isConnected = false
        default:
            isConnected = false
            failures += 1
            guard failures & (failures - 1) == 0 else { return }
            let reason =
                switch event {
                case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
                    "the peer refused this site's key (ZAP status \(value)): is this site on its allow-list?"
                case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
                    "CURVE handshake failed: does the peer's public key in the topology match its key file?"
                default:
                    "handshake failed"
                }
            logger.warning(
                "cannot link to peer: \(reason)",
                metadata: metadata.merging(["handshake.failures": "\(failures)"]) { $1 })
        }
    }

    func close() {
        _ = try? dealer.monitor(nil, events: 0)
        monitor.close()
        dealer.close()
    }
}

/// The endpoint's I/O thread: owns the ROUTER, every peer link and their monitors.
///
/// One turn: wait in `zmq_poll` for the mailbox, the ROUTER or a monitor; apply connection events; run the
/// commands (sends, new peers, stop); then read frames into `received` until none wait or its buffer is full.
final class IOLoop {
    private let configuration: MeshConfiguration
    private let context: ZMQContext
    private let router: ZMQSocket
    private var links: [SiteID: PeerLink]
    private var nextSerial: Int
    private let mailbox: Mailbox
    private let continuation: AsyncStream<ReceivedFrame>.Continuation
    private let counters: MeshCounters
    private let peerStates: PeerStates
    private let finished: CompletionSignal
    private let logger: Logger
    private let message = ZMQMessage()
    /// Allowed sites by the `User-Id` the ZAP handler gives their connections.
    private let allowedSites: [String: SiteID]
    /// A frame the full `received` buffer refused: delivered before any other is read.
    private var held: ReceivedFrame?
    /// Rejected frames per sender (bounded by the allow-list), to log the first and every power of two.
    private var rejectionsBySender: [String: Int] = [:]

    init(
        configuration: MeshConfiguration, context: ZMQContext, router: ZMQSocket, links: [SiteID: PeerLink],
        mailbox: Mailbox, continuation: AsyncStream<ReceivedFrame>.Continuation, counters: MeshCounters,
        peerStates: PeerStates, finished: CompletionSignal, logger: Logger
    ) {
        self.configuration = configuration
        self.context = context
        self.router = router
        self.links = links
        self.nextSerial = links.count
        self.mailbox = mailbox
        self.continuation = continuation
        self.counters = counters
        self.peerStates = peerStates
        self.finished = finished
        self.logger = logger
        self.allowedSites = Dictionary(
            uniqueKeysWithValues: configuration.allowedClients.keys.map { ($0.rawValue, $0) })
    }

    func run() {
        do throws(MeshError) {
            while try turn() {}
        } catch {
            logger.critical("mesh I/O thread failed; the endpoint stops", metadata: ["error": "\(error)"])
        }
        shutdown()
    }

    /// One turn of the loop; false once told to stop.
    private func turn() throws(MeshError) -> Bool {
        let polledLinks = Array(links.values)
        var items = [
            zmq_pollitem_t(socket: nil, fd: mailbox.wakeReadFD, events: Int16(ZMQ_POLLIN), revents: 0),
            zmq_pollitem_t(socket: router.handle, fd: 0, events: held == nil ? Int16(ZMQ_POLLIN) : 0, revents: 0),
        ]
        items += polledLinks.map(\.monitorPollItem)
        // With a frame held back, wake regularly to retry it; otherwise only a command or a socket wakes us.
        _ = try zmqPoll(&items, timeout: held == nil ? nil : MeshLimits.receiveRetryInterval)

        for (index, link) in polledLinks.enumerated() where items[2 + index].revents & Int16(ZMQ_POLLIN) != 0 {
            try link.readEvents(message, peerStates: peerStates, logger: logger)
        }
        if items[0].revents & Int16(ZMQ_POLLIN) != 0 { mailbox.clearWakeUps() }
        var stopping = false
        for command in mailbox.takeAll() {
            switch command {
            case .send(let site, let bytes, let reply):
                reply.resume(returning: stopping ? .failure(.notRunning) : send(bytes, to: site))
            case .addPeer(let peer, let reply):
                reply.resume(returning: stopping ? .failure(.notRunning) : addPeer(peer))
            case .stop:
                stopping = true
            }
        }
        if stopping { return false }
        if let frame = held {
            held = nil
            deliver(frame)
        }
        var read = 0
        while held == nil, read < MeshLimits.receiveBatchFramesMax {
            switch try receive() {
            case .nothing: return true
            case .rejected: break
            case .frame(let frame): deliver(frame)
            }
            read += 1
        }
        return true
    }

    private func send(_ bytes: [UInt8], to site: SiteID) -> Result<Void, MeshError> {
        guard let link = links[site] else { return .failure(.unknownPeer(site)) }
        do throws(MeshError) {
            // The connection may have come or gone since this turn's poll: read its events first.
            try link.readEvents(message, peerStates: peerStates, logger: logger)
            guard link.isConnected else {
                counters.sendsUnavailable.increment()
                return .failure(.peerUnavailable(site))
            }
            switch try link.dealer.send(bytes) {
            case .done:
                counters.framesSent.increment()
                return .success(())
            case .wouldBlock:
                // Full, or the connection just dropped and its event is still on the monitor: look first.
                try link.readEvents(message, peerStates: peerStates, logger: logger)
                if link.isConnected {
                    counters.sendsBlocked.increment()
                    return .failure(.wouldBlock(site))
                }
                counters.sendsUnavailable.increment()
                return .failure(.peerUnavailable(site))
            }
        } catch {
            return .failure(error)
        }
    }

    private func addPeer(_ peer: MeshPeer) -> Result<Void, MeshError> {
        guard links[peer.site] == nil else {
            return .failure(.invalidConfiguration("peer \(peer.site) is already linked"))
        }
        guard links.count < MeshLimits.peersMax else {
            return .failure(.invalidConfiguration("already \(links.count) peers, the limit"))
        }
        do throws(MeshError) {
            links[peer.site] = try PeerLink(peer: peer, serial: nextSerial, context: context, configuration)
            nextSerial += 1
            return .success(())
        } catch {
            return .failure(error)
        }
    }

    private enum RouterRead {
        case nothing
        case rejected
        case frame(ReceivedFrame)
    }

    /// The next frame on the ROUTER, if one waits.
    private func receive() throws(MeshError) -> RouterRead {
        guard try message.receive(from: router) else { return .nothing }
        // A ROUTER delivers [routing id][body]: the id is the sender's claim, `User-Id` what ZAP proved.
        let routingID = message.bytes
        guard message.hasMore, try message.receive(from: router) else {
            return reject(sender: "?", reason: "a message without a body")
        }
        guard !message.hasMore else {
            _ = try message.discardRemainingParts(of: router)
            return reject(sender: "?", reason: "a multi-part message")
        }
        guard let userID = message.property("User-Id"), let site = allowedSites[userID] else {
            return reject(sender: "?", reason: "a connection the ZAP handler did not identify")
        }
        // A routing id starting with 0 is one libzmq generated: with ZMQ_ROUTER_HANDOVER, a reconnecting peer's
        // old connection is renamed so while its last frames drain. It claims nothing; `User-Id` still proves it.
        guard Array(userID.utf8) == routingID || routingID.first == 0 else {
            let claimed =
                routingID.allSatisfy(WireText.isPrintable)
                ? String(decoding: routingID, as: UTF8.self)
                : routingID.map { String($0, radix: 16) }.joined(separator: " ")
            return reject(sender: userID, reason: "a frame under another site's routing id '\(claimed)'")
        }
        do throws(FrameError) {
            let frame = try Frame(decoding: message.bytes)
            counters.framesReceived.increment()
            return .frame(ReceivedFrame(from: site, frame: frame))
        } catch {
            return reject(sender: userID, reason: "\(error)")
        }
    }

    private func reject(sender: String, reason: String) -> RouterRead {
        counters.framesRejected.increment()
        let count = (rejectionsBySender[sender] ?? 0) + 1
        rejectionsBySender[sender] = count
        if count & (count - 1) == 0 {
            logger.warning(
                "rejected a frame: \(reason)", metadata: ["peer.site": "\(sender)", "rejection.count": "\(count)"])
        }
        return .rejected
    }

    private func deliver(_ frame: ReceivedFrame) {
        switch continuation.yield(frame) {
        case .enqueued:
            break
        case .dropped(let refused):
            // The consumer is behind: hold this frame and stop reading, so the sockets' queues fill up and the
            // sender's `send` reports `wouldBlock`. Nothing is dropped.
            held = refused
        case .terminated:
            counters.framesDiscarded.increment()
        @unknown default:
            counters.framesDiscarded.increment()
        }
    }

    /// Closes every socket (each lingers at most `configuration.linger`), then the context.
    private func shutdown() {
        for command in mailbox.closeQueue() { command.refuse(.notRunning) }
        if held != nil {
            counters.framesDiscarded.increment()
            held = nil
        }
        for link in links.values { link.close() }
        links.removeAll()
        router.close()
        continuation.finish()
        peerStates.removeAll()
        context.shutdown()  // wakes the ZAP thread, which closes its socket
        context.terminate()  // returns once every socket is closed and done lingering
        finished.fire()
    }
}
