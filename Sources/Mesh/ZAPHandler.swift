import CZeroMQ
import Foundation
import Logging
import Replication
import Sodium

/// Decides which CURVE clients may connect: the ZeroMQ Authentication Protocol (ZAP, RFC 27).
///
/// libzmq asks it about every incoming CURVE handshake on this context, over an inproc REP socket. A client
/// whose public key is on the allow-list is accepted with its site code as `User-Id`, which then travels with
/// each of its messages; every other key gets status 400 and the connection is dropped before any frame
/// arrives (DESIGN.md, Transport: "a peer whose key is not listed is refused").
final class ZAPHandler {
    static let endpoint = "inproc://zeromq.zap.01"
    /// The ZAP domain the endpoint's ROUTER socket asks about; requests for any other are refused.
    static let domain = "nightdesk"

    private let socket: ZMQSocket
    private let sitesByKey: [Data: SiteID]
    private let counters: MeshCounters
    private let logger: Logger
    private let message = ZMQMessage()
    /// Refusals per client key, to log the first and then every power of two (a refused client keeps retrying).
    private var refusalsByKey: [Data: Int] = [:]
    private var refusalsOfUntrackedKeys = 0

    /// Binds the ZAP endpoint; do it before any CURVE server socket binds, or libzmq lets clients in unchecked.
    init(
        context: ZMQContext, allowedClients: [SiteID: CurvePublicKey], counters: MeshCounters, logger: Logger
    ) throws(MeshError) {
        socket = try ZMQSocket(context, type: ZMQ_REP, linger: .zero)
        try socket.bind(Self.endpoint)
        sitesByKey = Dictionary(uniqueKeysWithValues: allowedClients.map { ($0.value.bytes, $0.key) })
        self.counters = counters
        self.logger = logger
    }

    /// Answers requests until the context is shut down.
    func run() {
        defer { socket.close() }
        var items = [zmq_pollitem_t(socket: socket.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)]
        do throws(MeshError) {
            while true {
                _ = try zmqPoll(&items, timeout: nil)
                while let request = try receiveRequest() {
                    try reply(to: request)
                }
            }
        } catch .terminated {
            return  // the endpoint is stopping
        } catch {
            logger.critical("ZAP handler failed; no new peer can connect", metadata: ["error": "\(error)"])
        }
    }

    /// The parts of one request, or nil when none is waiting.
    private func receiveRequest() throws(MeshError) -> [[UInt8]]? {
        guard try message.receive(from: socket) else { return nil }
        var parts = [message.bytes]
        // RFC 27 requests have 7 parts with CURVE (version, id, domain, address, identity, mechanism, key).
        while message.hasMore, parts.count < 8, try message.receive(from: socket) {
            parts.append(message.bytes)
        }
        _ = try message.discardRemainingParts(of: socket)
        return parts
    }

    private func reply(to request: [[UInt8]]) throws(MeshError) {
        let requestID = request.count > 1 ? request[1] : []
        guard request.count == 7, String(decoding: request[0], as: UTF8.self) == "1.0" else {
            logger.error("malformed ZAP request", metadata: ["zap.parts": "\(request.count)"])
            return try send(requestID, status: "500", text: "malformed ZAP request", userID: "")
        }
        let domain = String(decoding: request[2], as: UTF8.self)
        let address = String(decoding: request[3], as: UTF8.self)
        let mechanism = String(decoding: request[5], as: UTF8.self)
        let key = Data(request[6])
        guard domain == Self.domain, mechanism == "CURVE", key.count == 32 else {
            refuse(key: key, address: address, reason: "not a CURVE client of domain \(Self.domain)")
            return try send(requestID, status: "400", text: "CURVE clients only", userID: "")
        }
        guard let site = sitesByKey[key] else {
            refuse(key: key, address: address, reason: "client key not in the allow-list")
            return try send(requestID, status: "400", text: "client key not allowed", userID: "")
        }
        logger.debug(
            "accepted peer", metadata: ["peer.site": "\(site)", "peer.address": "\(address)"])
        try send(requestID, status: "200", text: "OK", userID: site.rawValue)
    }

    private func refuse(key: Data, address: String, reason: String) {
        counters.clientsRefused.increment()
        let count: Int
        if let previous = refusalsByKey[key] {
            count = previous + 1
            refusalsByKey[key] = count
        } else if refusalsByKey.count < MeshLimits.refusedKeysTrackedMax {
            count = 1
            refusalsByKey[key] = count
        } else {
            refusalsOfUntrackedKeys += 1
            count = refusalsOfUntrackedKeys
        }
        guard count & (count - 1) == 0 else { return }  // 1, 2, 4, 8…: a retrying client cannot flood the log
        let keyText = (try? CurvePublicKey(bytes: key))?.z85 ?? "(\(key.count) bytes)"
        logger.warning(
            "refused a connection: \(reason)",
            metadata: [
                "peer.address": "\(address)", "peer.key": "\(keyText)", "refusal.count": "\(count)",
            ])
    }

    private func send(_ requestID: [UInt8], status: String, text: String, userID: String) throws(MeshError) {
        let parts: [[UInt8]] = [
            Array("1.0".utf8), requestID, Array(status.utf8), Array(text.utf8), Array(userID.utf8), [],
        ]
        for (index, part) in parts.enumerated() {
            // The reply goes to libzmq's own inproc socket, which always has room: a full pipe is a bug there.
            guard case .done = try socket.send(part, more: index < parts.count - 1) else {
                throw zmqError("zmq_send(ZAP reply)", code: czeromq_eagain())
            }
        }
    }
}
