import Foundation
import Logging
import Mesh
import Replication
import Sodium
import Synchronization

/// Collects what an endpoint receives, from one long-lived task (an `AsyncStream` has one consumer).
final class Inbox: Sendable {
    private let frames = Mutex<[ReceivedFrame]>([])
    private let finished = Atomic(false)

    init(_ stream: AsyncStream<ReceivedFrame>) {
        Task {
            for await frame in stream { self.frames.withLock { $0.append(frame) } }
            self.finished.store(true, ordering: .sequentiallyConsistent)
        }
    }

    var all: [ReceivedFrame] { frames.withLock { $0 } }
    var count: Int { frames.withLock { $0.count } }
    var isFinished: Bool { finished.load(ordering: .sequentiallyConsistent) }
}

/// Waits until `condition` holds, checking every few milliseconds; false if `timeout` passes first.
func eventually(within timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

/// Keeps every log record, so tests can check what an endpoint reported.
final class LogRecorder: Sendable {
    struct Record: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    private let records = Mutex<[Record]>([])

    var all: [Record] { records.withLock { $0 } }

    func append(_ record: Record) { records.withLock { $0.append(record) } }

    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { _ in Handler(recorder: self) }
        logger.logLevel = .debug
        return logger
    }

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            recorder.append(
                Record(level: event.level, message: event.message.description, metadata: merged.mapValues { "\($0)" }))
        }
    }
}

/// A site of a test cluster: its code and key pair.
struct TestSite {
    let id: SiteID
    let keys: CurveKeyPair

    init(_ code: String) throws {
        id = SiteID(code)
        keys = CurveKeyPair.generate()
    }

    init(_ code: String, keys: CurveKeyPair) {
        id = SiteID(code)
        self.keys = keys
    }

    func peer(at endpoint: String) -> MeshPeer {
        MeshPeer(site: id, endpoint: endpoint, publicKey: keys.publicKey)
    }

    /// An endpoint for this site on 127.0.0.1 and a free port, with short timers for tests.
    func endpoint(
        peers: [MeshPeer] = [], allowing allowed: [TestSite], logs: LogRecorder = LogRecorder(),
        adjust: (inout MeshConfiguration) -> Void = { _ in }
    ) -> MeshEndpoint {
        var configuration = MeshConfiguration(
            site: id, keyPair: keys, peers: peers,
            allowedClients: Dictionary(uniqueKeysWithValues: allowed.map { ($0.id, $0.keys.publicKey) }))
        configuration.reconnectInterval = .milliseconds(20)
        configuration.reconnectIntervalMax = .milliseconds(200)
        configuration.linger = .milliseconds(100)
        adjust(&configuration)
        return MeshEndpoint(configuration: configuration, logger: logs.logger("mesh.\(id)"))
    }
}

extension MeshEndpoint {
    /// Sends, backing off while the link is full or down as a sync session would, for at most `timeout`.
    func sendPatiently(to site: SiteID, frame: Frame, within timeout: Duration = .seconds(5)) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                return try await send(to: site, frame: frame)
            } catch .wouldBlock, .peerUnavailable {
                guard ContinuousClock.now < deadline else { throw MeshError.wouldBlock(site) }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }
}
