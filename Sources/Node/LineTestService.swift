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

extension RoutingSnapshot {
    /// What a node sees of the cluster in its heartbeats, as the routing's input: the call-centre sites of the
    /// topology, those seen live (and itself), each one's announced state, and its signed-in handlers per
    /// organisation. Heartbeats give trained handlers per organisation, not which handler is trained for which set,
    /// so each organisation's trained handlers stand as one group: right for "which sites can take this
    /// organisation's call", an estimate for the isolation reserve between organisations.
    public static func heartbeats(node: SiteCode, topology: ClusterTopology, view: ClusterView) throws -> RoutingSnapshot {
        let voting = topology.sites.filter { $0.role == .site }.map(\.code)
        let live = Set(view.live.compactMap { try? SiteCode($0.rawValue) }).union([node])
        var views: [Domain.SiteView] = []
        for site in voting where live.contains(site) {
            guard let report = view.sites.first(where: { $0.key.rawValue == site.rawValue })?.value else { continue }
            let state: Domain.SiteState =
                switch report.state {
                case .up: .up
                case .draining: .draining
                case .evacuated: .evacuated
                case .down: .down
                }
            let groups = try (report.capacity?.trainedByOrganisation ?? [:]).sorted { $0.key < $1.key }.map {
                HandlerGroup(count: $0.value, trainedFor: [try OrganisationCode($0.key)])
            }
            views.append(try Domain.SiteView(site: site, state: state, handlers: groups, calls: []))
        }
        return RoutingSnapshot(
            node: node, votingSites: voting, seen: voting.filter(live.contains), views: views)
    }
}
