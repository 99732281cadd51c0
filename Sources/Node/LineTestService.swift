import Domain
import Foundation
import Logging
import ServiceLifecycle
import Store

/// Makes the line tests a node owes (8.13) as a service of `node run`: every `interval`, by the cluster's clock and
/// with the sites it sees live, it asks the `LineTester` for the owed tests the election gives it, and logs each.
public struct LineTestService: Service {
    let sync: SyncService
    let tester: LineTester
    let site: SiteCode
    let interval: Duration
    let logger: Logger

    public init(sync: SyncService, tester: LineTester, site: SiteCode, interval: Duration, logger: Logger) {
        precondition(interval >= .seconds(1), "line tests are checked at most every second")
        self.sync = sync
        self.tester = tester
        self.site = site
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        var time = try ClusterTime(site: site)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let (now, live) = time.read(await sync.clusterView())
            do {
                for record in try await tester.evaluate(now: now, live: live) {
                    var metadata: Logger.Metadata = [
                        "line.number": "\(record.slot.number.e164)", "line.kind": "\(record.slot.kind.rawValue)",
                        "line.organisation": "\(record.organisation)",
                        "line.route_site": "\(record.routeSite ?? "-")", "line.duration_ms": "\(record.durationMs)",
                    ]
                    if case .failed(let reason) = record.outcome {
                        metadata["line.reason"] = "\(reason)"
                        metadata["line.escalated"] = "\(record.escalated)"
                        logger.error("line test failed", metadata: metadata)
                    } else {
                        logger.info("line test passed", metadata: metadata)
                    }
                }
            } catch {
                logger.error("line tests could not run", metadata: ["error": "\(error)"])
            }
            let interval = interval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
