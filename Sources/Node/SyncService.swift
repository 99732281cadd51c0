import Dispatch
import Foundation
import Logging
import Mesh
import ServiceLifecycle
import Store

#if canImport(Glibc)
import Glibc
#endif

/// The node's link to the cluster, run in the node's `ServiceGroup` next to the other services.
///
/// On graceful shutdown (SIGTERM) it finishes the frame in hand, seals what is left of this site's change
/// sets, keeps streaming until every connected peer holds them or `drainTimeout` passes, then closes the
/// sockets.
public struct SyncService: Service {
    let engine: SyncEngine
    let configuration: SyncConfiguration
    let logger: Logger
    /// The service's tasks (and so its actor, SE-0417) run here rather than on Swift's cooperative pool: the
    /// engine blocks on SQLite, and must neither hold up the node's other services nor wait behind them.
    let executor: SerialQueueTaskExecutor

    public init(configuration: SyncConfiguration, database: AppDatabase, metrics: NodeMetrics, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.engine = SyncEngine(configuration: configuration, database: database, metrics: metrics, logger: logger)
        self.executor = SerialQueueTaskExecutor(label: "nightdesk.sync.\(configuration.site)")
    }

    /// What this node sees of the cluster now (see `TimerService`).
    public func clusterView() async -> ClusterView {
        await engine.clusterView()
    }

    /// This node's mesh status now, as `mesh-status.json` carries it (which is written from it every second).
    public func status() async -> MeshStatus {
        await engine.status()
    }

    /// Starts the endpoint and returns where it listens, before `run()`; `run()` starts it if this was not called.
    public func start() async throws -> String {
        try await withTaskExecutorPreference(executor) { try await engine.start() }
    }

    public func run() async throws {
        if await engine.listening.isEmpty { _ = try await engine.start() }
        let engine = engine
        let configuration = configuration
        await withTaskExecutorPreference(executor) {
            await runLoops(engine, configuration: configuration)
        }
        logger.info("sync stopped")
    }

    private func runLoops(_ engine: SyncEngine, configuration: SyncConfiguration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await frame in engine.endpoint.received {
                    await engine.handle(frame)
                }
            }
            group.addTask {
                var lastStatus = ContinuousClock.now - configuration.statusInterval
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    await engine.tick()
                    if ContinuousClock.now - lastStatus >= configuration.statusInterval {
                        lastStatus = .now
                        await Self.writeStatus(engine, to: configuration.statusPath)
                    }
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: configuration.tickInterval) }
                }
                await drain(engine, configuration: configuration)
                await Self.writeStatus(engine, to: configuration.statusPath)
                await engine.stop()
            }
        }
    }

    private func drain(_ engine: SyncEngine, configuration: SyncConfiguration) async {
        // A cancelled task cannot sleep, so draining would spin: cancellation means stop now.
        guard !Task.isCancelled else { return }
        let deadline = ContinuousClock.now + configuration.drainTimeout
        while ContinuousClock.now < deadline, !Task.isCancelled {
            await engine.tick()
            if await engine.unsealed == 0, await engine.ownChangeSetsAcknowledged { return }
            try? await Task.sleep(for: configuration.tickInterval)
        }
        logger.warning("stopping with change sets not yet acknowledged by every connected peer")
    }

    /// Writes `node status`'s file atomically, private to the node's user.
    static func writeStatus(_ engine: SyncEngine, to path: String?) async {
        guard let path else { return }
        let status = await engine.status()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        guard let data = try? encoder.encode(status) else { return }
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600])
        else { return }
        _ = rename(temporary, path)
    }
}

/// A task executor on a serial dispatch queue of its own.
final class SerialQueueTaskExecutor: TaskExecutor, @unchecked Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
