import Synchronization

/// What an endpoint has done since it started.
public struct MeshStatistics: Hashable, Sendable {
    /// Frames handed to an outgoing socket.
    public var framesSent = 0
    /// Frames received, authenticated and decoded.
    public var framesReceived = 0
    /// Frames received but dropped: undecodable, multi-part, or sent under another site's routing id.
    public var framesRejected = 0
    /// Frames received that no one was left to consume (the `received` stream was abandoned or stopped).
    public var framesDiscarded = 0
    /// Sends refused because the peer had no connection.
    public var sendsUnavailable = 0
    /// Sends refused because the link was full.
    public var sendsBlocked = 0
    /// Connections refused by the ZAP handler: client keys not on the allow-list.
    public var clientsRefused = 0
}

/// The counters behind `MeshStatistics`, updated by the I/O and ZAP threads.
final class MeshCounters: Sendable {
    let framesSent = Atomic(0)
    let framesReceived = Atomic(0)
    let framesRejected = Atomic(0)
    let framesDiscarded = Atomic(0)
    let sendsUnavailable = Atomic(0)
    let sendsBlocked = Atomic(0)
    let clientsRefused = Atomic(0)

    func snapshot() -> MeshStatistics {
        MeshStatistics(
            framesSent: framesSent.load(ordering: .relaxed),
            framesReceived: framesReceived.load(ordering: .relaxed),
            framesRejected: framesRejected.load(ordering: .relaxed),
            framesDiscarded: framesDiscarded.load(ordering: .relaxed),
            sendsUnavailable: sendsUnavailable.load(ordering: .relaxed),
            sendsBlocked: sendsBlocked.load(ordering: .relaxed),
            clientsRefused: clientsRefused.load(ordering: .relaxed))
    }
}

extension Atomic where Value == Int {
    func increment() { add(1, ordering: .relaxed) }
}
