import Foundation
import Replication
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// What the endpoint's callers share with its I/O thread: a bounded command queue with a wake-up pipe that
// `zmq_poll` watches next to the sockets, the set of connected peers, and the signal that it has finished.

/// An instruction for the I/O thread; each carries the continuation that receives its outcome.
enum Command: Sendable {
    case send(SiteID, [UInt8], CheckedContinuation<Result<Void, MeshError>, Never>)
    case addPeer(MeshPeer, CheckedContinuation<Result<Void, MeshError>, Never>)
    case stop

    /// Answers a command the I/O thread will never run.
    func refuse(_ error: MeshError) {
        switch self {
        case .send(_, _, let reply), .addPeer(_, let reply): reply.resume(returning: .failure(error))
        case .stop: break
        }
    }
}

/// A bounded queue of commands for the I/O thread, and the pipe that wakes it from `zmq_poll`.
final class Mailbox: Sendable {
    private struct Queue {
        var commands: [Command] = []
        var isClosed = false
    }

    enum PostOutcome { case posted, full, closed }

    private let queue = Mutex(Queue())
    /// The end `zmq_poll` watches; readable when commands are waiting.
    let wakeReadFD: Int32
    private let wakeWriteFD: Int32

    init() throws(MeshError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw .socket(operation: "pipe", code: errno, reason: String(cString: strerror(errno)))
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeReadFD = fds[0]
        wakeWriteFD = fds[1]
    }

    deinit {
        close(wakeReadFD)
        close(wakeWriteFD)
    }

    /// Queues `command`; only `stop` may go past `MeshLimits.pendingSendsMax`.
    func post(_ command: Command) -> PostOutcome {
        enum Step { case closed, full, queuedFirst, queued }
        let step: Step = queue.withLock { queue in
            guard !queue.isClosed else { return .closed }
            if case .stop = command {
            } else if queue.commands.count >= MeshLimits.pendingSendsMax {
                return .full
            }
            queue.commands.append(command)
            return queue.commands.count == 1 ? .queuedFirst : .queued
        }
        switch step {
        case .closed: return .closed
        case .full: return .full
        case .queued: return .posted
        case .queuedFirst:
            // One wake-up byte per batch: the I/O thread takes every waiting command each time it wakes.
            var byte: UInt8 = 1
            _ = write(wakeWriteFD, &byte, 1)  // EAGAIN only when the pipe is already full of wake-ups
            return .posted
        }
    }

    /// Every waiting command, oldest first.
    func takeAll() -> [Command] {
        queue.withLock { queue in
            defer { queue.commands.removeAll(keepingCapacity: true) }
            return queue.commands
        }
    }

    /// Reads the wake-up bytes so the pipe is quiet until the next post.
    func clearWakeUps() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeReadFD, &buffer, buffer.count) > 0 {}
    }

    /// Refuses every later post and returns the commands still waiting.
    func closeQueue() -> [Command] {
        queue.withLock { queue in
            queue.isClosed = true
            defer { queue.commands.removeAll() }
            return queue.commands
        }
    }
}

/// Lets any number of tasks wait for the I/O thread to finish.
final class CompletionSignal: Sendable {
    private struct State {
        var isFired = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func wait() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let fired = state.withLock { state in
                if !state.isFired { state.waiters.append(waiter) }
                return state.isFired
            }
            if fired { waiter.resume() }
        }
    }

    func fire() {
        let waiters = state.withLock { state in
            state.isFired = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// The peers an endpoint has an authenticated outgoing connection to, as its I/O thread last saw them.
final class PeerStates: Sendable {
    /// Connected peers and, for each, how many handshakes its link has completed: a peer that dropped and
    /// came back between two looks has a higher number, so the sync session knows to say hello again.
    private let connected = Mutex([SiteID: UInt64]())
    private let handshakes = Mutex([SiteID: UInt64]())

    var snapshot: Set<SiteID> { connected.withLock { Set($0.keys) } }
    var generations: [SiteID: UInt64] { connected.withLock { $0 } }

    func set(_ site: SiteID, connected isConnected: Bool, newHandshake: Bool) {
        let generation = handshakes.withLock { counts in
            if newHandshake { counts[site, default: 0] += 1 }
            return counts[site, default: 0]
        }
        connected.withLock { sites in sites[site] = isConnected ? generation : nil }
    }

    func removeAll() { connected.withLock { $0.removeAll() } }
}
