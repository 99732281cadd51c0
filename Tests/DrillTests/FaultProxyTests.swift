import Drill
import Foundation
import NightdeskTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The fault proxy drills and the partition tests cut links with: real sockets on 127.0.0.1, an echo server behind it.
@Suite struct FaultProxyTests {
    @Test func bytesPassBothWaysThroughAnOpenLink() throws {
        let echo = try EchoServer()
        let proxy = try FaultProxy(targetPort: echo.port)
        defer { proxy.stop() }
        let client = try #require(TestSocket(port: proxy.port))
        #expect(client.write("across the link"))
        #expect(client.receive(count: 15, withinMs: 3_000) == "across the link")
        #expect(proxy.connectionsAccepted == 1)
        #expect(proxy.bytesForwarded == 30)
    }

    @Test func aBlackHoleCarriesNothingUntilHealedThenDeliversWhatWaited() throws {
        let echo = try EchoServer()
        let proxy = try FaultProxy(targetPort: echo.port)
        defer { proxy.stop() }
        let client = try #require(TestSocket(port: proxy.port))
        #expect(client.write("before"))
        #expect(client.receive(count: 6, withinMs: 3_000) == "before")
        proxy.cut(.blackHole)
        try waitForPollInterval()
        #expect(client.write("during"))
        #expect(client.receive(count: 6, withinMs: 600) == "", "nothing crosses a black hole")
        // A connection made during the cut is taken but stays silent too.
        let late = try #require(TestSocket(port: proxy.port))
        #expect(late.write("late"))
        #expect(late.receive(count: 4, withinMs: 600) == "")
        proxy.heal()
        #expect(client.receive(count: 6, withinMs: 3_000) == "during", "held bytes go on after the heal")
        #expect(late.receive(count: 4, withinMs: 3_000) == "late")
        #expect(client.write("after"))
        #expect(client.receive(count: 5, withinMs: 3_000) == "after")
    }

    @Test func aRefusingCutClosesConnectionsAndTurnsNewOnesAwayUntilHealed() throws {
        let echo = try EchoServer()
        let proxy = try FaultProxy(targetPort: echo.port)
        defer { proxy.stop() }
        let client = try #require(TestSocket(port: proxy.port))
        #expect(client.write("ping"))
        #expect(client.receive(count: 4, withinMs: 3_000) == "ping")
        proxy.cut(.refuse)
        #expect(client.waitForClose(withinMs: 3_000), "an open connection is closed by the cut")
        let refused = try #require(TestSocket(port: proxy.port))
        #expect(refused.waitForClose(withinMs: 3_000), "a new connection is closed on arrival")
        #expect(proxy.connectionsTurnedAway >= 1)
        // The proxy's own bookkeeping of a closed connection may trail the close by a poll: wait for it, bounded.
        let deadline = Date().addingTimeInterval(3)
        while proxy.openConnections != 0, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(proxy.openConnections == 0)
        proxy.heal()
        let healed = try #require(TestSocket(port: proxy.port))
        #expect(healed.write("pong"))
        #expect(healed.receive(count: 4, withinMs: 3_000) == "pong")
    }

    @Test func stoppingClosesEverythingAndEndsItsThreads() throws {
        let echo = try EchoServer()
        let proxy = try FaultProxy(targetPort: echo.port)
        let client = try #require(TestSocket(port: proxy.port))
        #expect(client.write("x"))
        #expect(client.receive(count: 1, withinMs: 3_000) == "x")
        proxy.stop()
        #expect(client.waitForClose(withinMs: 3_000))
        #expect(proxy.openConnections == 0)
        #expect(TestSocket(port: proxy.port) == nil, "nothing listens once stopped")
    }

    /// A cut or heal acts within the proxy's poll interval; wait a little more than that.
    private func waitForPollInterval() throws {
        usleep(UInt32(FaultProxyLimits.pollIntervalMs) * 3 * 1_000)
    }
}

#if canImport(Glibc)
private let noSignal = Int32(MSG_NOSIGNAL)
#else
private let noSignal: Int32 = 0
#endif

/// A flag threads poll to know when to end.
final class RunningFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var on = true
    var isOn: Bool { lock.withLock { on } }
    func turnOff() { lock.withLock { on = false } }
}

/// A blocking TCP client on 127.0.0.1 whose every wait is bounded.
final class TestSocket: Equatable {
    let descriptor: Int32

    /// A connection to `port`, or nil if nothing accepts it.
    init?(port: UInt16) {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            return nil
        }
    }

    deinit { close(descriptor) }

    static func == (left: TestSocket, right: TestSocket) -> Bool { left.descriptor == right.descriptor }

    func write(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, noSignal) } == bytes.count
    }

    /// Up to `count` bytes that arrive within `withinMs`, as text; "" if none did.
    func receive(count: Int, withinMs: Int) -> String {
        var bytes: [UInt8] = []
        let deadline = Date().addingTimeInterval(Double(withinMs) / 1_000)
        while bytes.count < count, Date() < deadline {
            var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&waiting, 1, 50) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: count - bytes.count)
            let read = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard read > 0 else { break }
            bytes += chunk[0..<read]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether the other end closes the connection (end of stream or reset) within `withinMs`.
    func waitForClose(withinMs: Int) -> Bool {
        let deadline = Date().addingTimeInterval(Double(withinMs) / 1_000)
        while Date() < deadline {
            var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&waiting, 1, 50) > 0 else { continue }
            var byte: UInt8 = 0
            if recv(descriptor, &byte, 1, 0) <= 0 { return true }
        }
        return false
    }
}

/// A TCP server on 127.0.0.1 that writes back whatever each connection sends, one thread per connection, until
/// released.
final class EchoServer: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let running = RunningFlag()

    init() throws {
        port = try freeLoopbackPort()
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(bound == 0 && listen(listener, 8) == 0, "the echo server cannot listen on \(port)")
        let (server, flag) = (listener, running)
        Thread {
            while flag.isOn {
                var waiting = pollfd(fd: server, events: Int16(POLLIN), revents: 0)
                guard poll(&waiting, 1, 50) > 0 else { continue }
                let connection = accept(server, nil, nil)
                guard connection >= 0 else { continue }
                Thread { Self.echo(connection, flag) }.start()
            }
            close(server)
        }.start()
    }

    deinit { running.turnOff() }

    private static func echo(_ connection: Int32, _ running: RunningFlag) {
        defer { close(connection) }
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while running.isOn {
            var waiting = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
            guard poll(&waiting, 1, 50) > 0 else { continue }
            let read = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            guard read > 0 else { return }
            let sent = buffer.withUnsafeBytes { send(connection, $0.baseAddress, read, noSignal) }
            guard sent == read else { return }
        }
    }
}
