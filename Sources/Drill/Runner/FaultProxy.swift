import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a cut link fails, as a business-continuity tester would fault it (8.1: loss of the WAN).
public enum LinkCut: Sendable, Equatable {
    /// Packets vanish: connections stay open but nothing crosses, and new connections are taken and left silent,
    /// so each end notices only by its own timeouts. What a cut WAN circuit looks like from a site.
    case blackHole
    /// Connections are closed at once and new ones closed as soon as they arrive: a router answering with resets.
    case refuse
}

/// Every maximum of the fault proxy (STYLE.md: a limit on everything).
public enum FaultProxyLimits {
    /// Connections one proxy carries at once; more are closed as soon as they arrive.
    public static let connectionsMax = 16
    /// Bytes read from one side before they are written to the other.
    public static let chunkBytesMax = 64 * 1024
    /// How often a waiting thread looks at the proxy's state: the longest a cut or heal takes to act.
    public static let pollIntervalMs: Int32 = 50
    /// Longest `stop()` waits for the proxy's threads to end.
    public static let stopWaitMs = 3_000
    /// Tries at a free port before giving up.
    public static let bindAttemptsMax = 20
}

/// The proxy could not be set up; `reason` says which call failed and with what.
public struct FaultProxyError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "fault proxy: \(reason)" }
}

/// One direction of one link between two node processes on 127.0.0.1: a TCP forwarder listening on a free port
/// and forwarding to `targetPort`, which a drill (or a test) can `cut()` and `heal()` while both processes keep
/// running — a network partition without root or network namespaces (8.1 c, d: loss of a site's WAN links).
///
/// Give a node the proxy's `port` instead of its peer's port for its outgoing link to that peer (`ProxiedLinks`
/// does this for a whole cluster). Each accepted connection gets one thread that moves at most `chunkBytesMax` at
/// a time in either direction, and no more than `connectionsMax` are carried at once. While cut as a black hole a connection's thread simply stops reading,
/// so unsent bytes wait in the kernel's socket buffers as they would in a real cut; on `heal()` it reads again.
/// The threads hold the proxy until `stop()`, which its owner must call.
public final class FaultProxy: @unchecked Sendable {
    /// Where the proxy listens, on 127.0.0.1.
    public let port: UInt16
    /// Where it forwards to, on 127.0.0.1.
    public let targetPort: UInt16

    private let lock = NSLock()
    private var cutMode: LinkCut?
    private var stopped = false
    private var listener: Int32
    /// Each carried connection's two descriptors, by connection number: shut down from outside to end it.
    private var connections: [Int: (client: Int32, upstream: Int32)] = [:]
    private var nextConnection = 0
    private var threadsRunning = 0
    private var accepted = 0
    private var turnedAway = 0
    private var forwarded = 0

    /// A proxy to `targetPort`, listening and forwarding at once, on a port not among `avoiding` (ports promised
    /// to nodes that have not bound them yet, which a free-port probe cannot see).
    public init(targetPort: UInt16, avoiding reserved: Set<UInt16> = []) throws {
        self.targetPort = targetPort
        var lastError = "no attempt"
        for _ in 0..<FaultProxyLimits.bindAttemptsMax {
            let port = try LocalCluster.freePort()
            if port == targetPort || reserved.contains(port) {
                lastError = "port \(port) is reserved"
                continue
            }
            switch Self.makeListener(port) {
            case .success(let descriptor):
                self.port = port
                self.listener = descriptor
                startThread { $0.acceptLoop() }
                return
            case .failure(let error):
                lastError = error.reason
            }
        }
        throw FaultProxyError(
            reason: "no free port to listen on after \(FaultProxyLimits.bindAttemptsMax) tries: \(lastError)")
    }

    /// Cuts the link: with `.refuse` every connection is closed at once and new ones are closed on arrival; with
    /// `.blackHole` they stay open and silent. Takes effect within `pollIntervalMs`.
    public func cut(_ mode: LinkCut = .blackHole) {
        lock.withLock {
            cutMode = mode
            if mode == .refuse { shutDownAll() }
        }
    }

    /// Restores the link: connections held silent carry their waiting bytes on, and new ones are forwarded.
    public func heal() {
        lock.withLock { cutMode = nil }
    }

    /// Whether the link is cut now, and how.
    public var cut: LinkCut? { lock.withLock { cutMode } }

    /// Connections accepted and forwarded since the proxy started.
    public var connectionsAccepted: Int { lock.withLock { accepted } }
    /// Connections closed on arrival: refused while cut, over `connectionsMax`, or with the target not listening.
    public var connectionsTurnedAway: Int { lock.withLock { turnedAway } }
    /// Bytes carried in both directions since the proxy started.
    public var bytesForwarded: Int { lock.withLock { forwarded } }
    /// Connections carried now.
    public var openConnections: Int { lock.withLock { connections.count } }

    /// Closes the listener and every connection, and waits up to `stopWaitMs` for the threads to end.
    public func stop() {
        let first = lock.withLock { () -> Bool in
            guard !stopped else { return false }
            stopped = true
            shutDownAll()
            return true
        }
        guard first else { return }
        let deadline = Date().addingTimeInterval(Double(FaultProxyLimits.stopWaitMs) / 1_000)
        while lock.withLock({ threadsRunning }) > 0, Date() < deadline { usleep(10_000) }
    }

    // MARK: - Threads

    private func startThread(_ body: @escaping @Sendable (FaultProxy) -> Void) {
        lock.withLock { threadsRunning += 1 }
        let thread = Thread { [self] in
            body(self)
            lock.withLock { threadsRunning -= 1 }
        }
        thread.name = "fault-proxy-\(port)"
        thread.start()
    }

    /// Must hold `lock`. Shuts every connection down, which wakes its thread to close it.
    private func shutDownAll() {
        for (client, upstream) in connections.values {
            shutdown(client, Int32(SHUT_RDWR))
            shutdown(upstream, Int32(SHUT_RDWR))
        }
    }

    private func acceptLoop() {
        defer { _ = lock.withLock { close(listener) } }
        while !lock.withLock({ stopped }) {
            var descriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, FaultProxyLimits.pollIntervalMs) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            Self.noSigPipe(client)
            let (mode, full) = lock.withLock { (cutMode, connections.count >= FaultProxyLimits.connectionsMax) }
            if mode == .refuse || full {
                turnAway(client)
                continue
            }
            // A black-holed link takes the connection, as the far end's TCP would, and leaves it silent: the
            // upstream side is dialled now so the connection can carry on as soon as the link heals.
            guard let upstream = Self.dial(targetPort) else {
                turnAway(client)
                continue
            }
            let number = lock.withLock { () -> Int? in
                guard !stopped else { return nil }
                accepted += 1
                nextConnection += 1
                connections[nextConnection] = (client, upstream)
                return nextConnection
            }
            guard let number else {
                close(client)
                close(upstream)
                return
            }
            startThread { $0.carry(number, client: client, upstream: upstream) }
        }
    }

    private func turnAway(_ descriptor: Int32) {
        lock.withLock { turnedAway += 1 }
        close(descriptor)
    }

    /// Moves bytes both ways until either side closes, the link is cut with `.refuse`, or the proxy stops.
    private func carry(_ number: Int, client: Int32, upstream: Int32) {
        defer {
            lock.withLock { _ = connections.removeValue(forKey: number) }
            close(client)
            close(upstream)
        }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: FaultProxyLimits.chunkBytesMax, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let (mode, isStopped) = lock.withLock { (cutMode, stopped) }
            if isStopped || mode == .refuse { return }
            if mode == .blackHole {
                // Read nothing: the senders' kernel buffers fill and their TCP waits, as across a cut circuit.
                // An end that gives up and closes its socket is let go, so retries cannot use up the connections.
                if Self.peerClosed([client, upstream]) { return }
                continue
            }
            var descriptors = [
                pollfd(fd: client, events: Int16(POLLIN), revents: 0),
                pollfd(fd: upstream, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&descriptors, 2, FaultProxyLimits.pollIntervalMs)
            if ready < 0 && errno != EINTR { return }
            guard ready > 0 else { continue }
            for (index, (from, to)) in [(client, upstream), (upstream, client)].enumerated()
            where descriptors[index].revents != 0 {
                // A cut that came while waiting holds what arrived; it is read after the heal.
                if lock.withLock({ cutMode }) != nil { break }
                let count = recv(from, buffer, FaultProxyLimits.chunkBytesMax, 0)
                guard count > 0 else { return }  // closed, reset or shut down
                // Counted before it goes on, so whoever receives these bytes already sees them counted.
                lock.withLock { forwarded += count }
                guard Self.sendAll(to, buffer, count) else { return }
            }
        }
    }

    // MARK: - Sockets

    private static func makeListener(_ port: UInt16) -> Result<Int32, FaultProxyError> {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return .failure(FaultProxyError(reason: "socket() failed, errno \(errno)")) }
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = loopback(port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(descriptor, Int32(FaultProxyLimits.connectionsMax)) == 0 else {
            let error = errno
            close(descriptor)
            return .failure(FaultProxyError(reason: "cannot listen on 127.0.0.1:\(port), errno \(error)"))
        }
        return .success(descriptor)
    }

    /// A connected socket to 127.0.0.1:`port`, or nil when nothing listens there.
    private static func dial(_ port: UInt16) -> Int32? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        var address = loopback(port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            return nil
        }
        noSigPipe(descriptor)
        return descriptor
    }

    /// Waits up to `pollIntervalMs` without reading, and says whether either end has closed its side.
    private static func peerClosed(_ ends: [Int32]) -> Bool {
        #if canImport(Glibc)
        let closing = Int16(0x2000) | Int16(POLLHUP) | Int16(POLLERR)  // 0x2000: POLLRDHUP, which needs _GNU_SOURCE
        #else
        let closing = Int16(POLLHUP) | Int16(POLLERR)
        #endif
        var descriptors = ends.map { pollfd(fd: $0, events: closing, revents: 0) }
        guard poll(&descriptors, nfds_t(descriptors.count), FaultProxyLimits.pollIntervalMs) > 0 else { return false }
        return descriptors.contains { $0.revents & closing != 0 }
    }

    /// The address 127.0.0.1:`port`.
    static func loopback(_ port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        return address
    }

    private static func noSigPipe(_ descriptor: Int32) {
        #if canImport(Darwin)
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    private static func sendAll(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Bool {
        #if canImport(Glibc)
        let flags = Int32(MSG_NOSIGNAL)
        #else
        let flags: Int32 = 0
        #endif
        var sent = 0
        while sent < count {
            let result = send(descriptor, buffer + sent, count - sent, flags)
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { return false }
            sent += result
        }
        return true
    }
}
