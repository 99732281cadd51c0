/// Which live node sends an outbox message: the `TimerElection` asked with the queueing site preferred, among
/// the sites whose nodes deliver.
///
/// A message must reach On-call Duty Staff at any time of day or night, including when the site that queued it
/// has been lost (6.4b, 8.9), and must go once. So the queueing site sends it while it is live; when it is down,
/// the first live delivering site in the cluster's rank order takes over; and a node that cannot see a majority
/// of the voting sites sends nothing, so in a partition only one side sends (`TimerElection`). Replicas never
/// send.
///
/// Only sites the topology marks `delivers = true` are ever chosen: their nodes are started with transports (the
/// node refuses to start otherwise), so no message is left with a site that cannot send it. A site that does not
/// deliver still votes (it counts towards the majority) and is passed over as the sender, even for the messages
/// it queued itself. The majority is over every voting site, delivering or not, so the rule that a partition has
/// at most one acting side is the same one the timers follow.
public struct DeliveryElection: Hashable, Sendable {
    public let timers: TimerElection
    /// The voting sites that deliver, in the cluster's rank order.
    public let delivering: [SiteCode]

    public init(timers: TimerElection, delivering: Set<SiteCode>) throws {
        if let replica = delivering.intersection(timers.replicas).sorted().first {
            throw DomainError(
                .invalidValue, "replica \(replica) is marked as delivering the outbox: replicas never send messages")
        }
        if let unknown = delivering.subtracting(timers.ranked).sorted().first {
            throw DomainError(
                .invalidValue, "site \(unknown) is marked as delivering the outbox but is not a site of this cluster")
        }
        self.timers = timers
        self.delivering = timers.ranked.filter(delivering.contains)
    }

    /// What `node` does about a message queued by `queuedBy` (`nil`: a site no longer in the topology), given the
    /// sites it sees live now.
    public func decide(node: SiteCode, live: Set<SiteCode>, queuedBy: SiteCode?) -> TimerDecision {
        guard delivering.contains(node) else {
            return .standDown(reason: "\(node) does not deliver the outbox (its topology entry has no delivers = true)")
        }
        // The queueing site first, then every delivering site in rank order: the timer election takes the first
        // live one of these, so a site that does not deliver is never chosen while this node (which does) is live.
        let preferred = (queuedBy.map { delivering.contains($0) ? [$0] : [] } ?? []) + delivering
        return timers.decide(node: node, live: live, preferred: preferred)
    }

    /// The queueing sites among `queuers` whose messages `node` sends now, given the sites it sees live.
    public func sends(node: SiteCode, live: Set<SiteCode>, queuers: [SiteCode]) -> Set<SiteCode> {
        Set(queuers.filter { decide(node: node, live: live, queuedBy: $0) == .act })
    }
}
