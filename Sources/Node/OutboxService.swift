import Domain
import Foundation
import Logging
import ServiceLifecycle
import Store

/// Delivers the replicated outbox from the node: every tick it sends, through this site's transports, the
/// pending messages the `DeliveryElection` gives it — those its own site queued while it is live, and another
/// site's when that site is down and this one is next in rank (a takeover, 8.9).
///
/// The delivery rule itself (attempt before send, result after, an unfinished attempt looked up or sent again)
/// is `OutboxDelivery`'s. This service adds who sends: a node that cannot see a majority of the voting sites
/// sends nothing, and a node that knows its live peers hold change sets it lacks (it is back from an outage or a
/// partition) waits until it has them, so it never resends a message a survivor sent in the meantime.
public struct OutboxService: Service {
    let sync: SyncService
    let delivery: OutboxDelivery
    let site: SiteCode
    let election: DeliveryElection
    /// Every site of the topology, in file order: whose messages the election is asked about.
    let queuers: [SiteCode]
    let interval: Duration
    let batchMax: Int
    let metrics: NodeMetrics
    let logger: Logger

    public init(
        sync: SyncService, delivery: OutboxDelivery, site: SiteCode, election: DeliveryElection, queuers: [SiteCode],
        interval: Duration = .milliseconds(NodeLimits.outboxIntervalMsDefault),
        batchMax: Int = NodeLimits.outboxBatchMax, metrics: NodeMetrics, logger: Logger
    ) {
        precondition(interval >= .milliseconds(10), "the outbox is looked at most every 10 ms")
        precondition(batchMax >= 1 && batchMax <= OutboxLimits.pendingBatchMax, "batch out of range")
        self.sync = sync
        self.delivery = delivery
        self.site = site
        self.election = election
        self.queuers = queuers
        self.interval = interval
        self.batchMax = batchMax
        self.metrics = metrics
        self.logger = logger
    }

    /// Whose queued messages this node sends now, or why none: what one tick does, without the sending.
    public enum Turn: Equatable, Sendable {
        case send(OutboxQueuers)
        case wait(reason: String)
    }

    /// This node's turn given what it sees of the cluster: pure, so the rule can be tested without a mesh.
    public static func turn(
        node: SiteCode, election: DeliveryElection, queuers: [SiteCode], live: Set<SiteCode>,
        aheadOfThisNode: Set<SiteCode>
    ) -> Turn {
        guard election.delivering.contains(node) else {
            return .wait(reason: "\(node) does not deliver the outbox (its topology entry has no delivers = true)")
        }
        let seen = live.union([node]).intersection(election.timers.ranked)
        guard seen.count >= election.timers.votesNeeded else {
            return .wait(reason: "cut off: sees \(seen.count) of \(election.timers.ranked.count) sites")
        }
        if !aheadOfThisNode.isEmpty {
            return .wait(
                reason: "catching up: " + aheadOfThisNode.map(\.rawValue).sorted().joined(separator: ", ")
                    + " hold change sets not yet here, which may record messages as sent")
        }
        let mine = election.sends(node: node, live: live, queuers: queuers)
        let unlisted = election.decide(node: node, live: live, queuedBy: nil) == .act
        guard !mine.isEmpty || unlisted else { return .wait(reason: "no queueing site's messages fall to \(node)") }
        let sites = Set(mine.map(\.rawValue))
        return .send(unlisted ? .sitesAndUnlisted(sites, listed: Set(queuers.map(\.rawValue))) : .sites(sites))
    }

    public func run() async throws {
        var lastReason = ""
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let view = await sync.clusterView()
            let turn = Self.turn(
                node: site, election: election, queuers: queuers,
                live: Set(view.live.compactMap { try? SiteCode($0.rawValue) }),
                aheadOfThisNode: Set(view.aheadOfThisNode.compactMap { try? SiteCode($0.rawValue) }))
            switch turn {
            case .wait(let reason):
                if reason != lastReason {
                    logger.debug("outbox: not sending now", metadata: ["outbox.reason": "\(reason)"])
                }
                lastReason = reason
            case .send(let queuers):
                lastReason = ""
                do {
                    let entries = try await delivery.run(limit: batchMax, queuedBy: queuers)
                    metrics.outbox(entries)
                } catch {
                    logger.error("delivering the outbox failed", metadata: ["error": "\(error)"])
                }
            }
            let interval = interval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
