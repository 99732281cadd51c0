import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// No TCP port on 127.0.0.1 could be bound.
public struct LoopbackPortUnavailable: Error {}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound, then released), below the range the system
/// hands out for outgoing connections and port-0 binds (32768 and up on Linux), so a port freed between a
/// node's stop and restart is not taken meanwhile by some other connection of the test process.
public func freeLoopbackPort() throws -> UInt16 {
    for _ in 0..<LoopbackPorts.attemptsMax {
        let port = UInt16.random(in: LoopbackPorts.range)
        if try canBind(port) { return port }
    }
    throw LoopbackPortUnavailable()
}

enum LoopbackPorts {
    static let range: ClosedRange<UInt16> = 20_000...32_000
    static let attemptsMax = 500
}

private func canBind(_ port: UInt16) throws -> Bool {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw LoopbackPortUnavailable() }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = port.bigEndian
    let length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
    }
    return bound == 0
}
