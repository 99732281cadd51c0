/// Whether this node acts on a due timer (a lone-worker alert, a referral's escalation) or leaves it to another.
public enum TimerDecision: Hashable, Sendable {
    case act
    case standDown(reason: String)
}

/// Who acts on a due timer, decided the same way by every node that has the same view of the cluster.
///
/// Timers are replicated data that every live node evaluates (DESIGN.md "Failover and traffic"); the notification
/// they cause must go once, and the escalation procedure must run at all times of day and night (8.9) — including
/// when the site that would normally act has gone. So each node asks, for each due timer:
///
/// 1. Does it see a strict majority of the cluster's voting sites, itself included? If not it is cut off and
///    stands down. In a partition at most one side holds a majority, so only that side acts: when the cluster
///    heals it never holds two escalations (two sets of calls to a manager, two red alerts) for one deadline.
///    Replicas (for example at a council) neither vote nor act: they hold only some organisations' data and have
///    no call handlers to take an alert.
/// 2. Is it the first live site in the organisation's preference order, or when the organisation has none or
///    none of its preferred sites is live, the first live site in the cluster's rank order? Only that site acts;
///    when it goes down, the next one takes over from the next evaluation.
///
/// 3. Sites that are draining or evacuated (8.1) are `passedOver`: they still count towards the majority (they are
///    live and see the cluster), but they do not act while an `up` site is live, since an evacuated site has no
///    people and a draining one is handing its work over. Only when every live site is passed over does the first
///    of them act, so escalations still go at all times (8.9).
///
/// With 2 voting sites a majority is both, so a lone survivor cannot act: the cluster then gives up availability
/// to avoid duplicates. A 2-site cluster may set `allowMinority` instead, and then a lone survivor acts — but in a
/// partition (the sites alive, the link between them cut) both sides act, and the healed cluster holds two
/// escalations for one deadline; the operator accepts that duplicate risk by setting the flag. It is refused for
/// larger clusters, where a majority survives the loss of any one site.
///
/// What a majority does not give: nodes whose views differ (A sees C but not B, B sees C but not A) can both be
/// first in their own view. The raised alert is a replicated fact whose earliest copy wins, so the second raise is
/// harmless in the record; a duplicate notification in that window is possible and the notifier should key its
/// messages by session and alert so that a gateway can drop the repeat.
public struct TimerElection: Hashable, Sendable {
    /// The voting sites, in the cluster's rank order.
    public let ranked: [SiteCode]
    public let replicas: Set<SiteCode>
    /// Only for a 2-site cluster: a lone survivor acts, accepting duplicates in a partition.
    public let allowMinority: Bool

    public init(ranked: [SiteCode], replicas: Set<SiteCode> = [], allowMinority: Bool = false) throws {
        guard !ranked.isEmpty else {
            throw DomainError(.invalidValue, "a cluster needs at least one voting site to act on timers")
        }
        guard ranked.count + replicas.count <= DomainLimits.clusterSitesMax else {
            throw DomainError(
                .invalidValue,
                "a cluster of \(ranked.count + replicas.count) sites is more than the "
                    + "\(DomainLimits.clusterSitesMax) allowed")
        }
        var seen = Set<SiteCode>()
        if let repeated = ranked.first(where: { !seen.insert($0).inserted }) {
            throw DomainError(.invalidValue, "site \(repeated) is listed twice in the cluster's rank order")
        }
        if let both = replicas.intersection(ranked).sorted().first {
            throw DomainError(
                .invalidValue, "site \(both) is listed both as a voting site and as a replica: it is one or the other")
        }
        if allowMinority && ranked.count != 2 {
            throw DomainError(
                .invalidValue,
                "allowMinority is only for a cluster of 2 voting sites; this one has \(ranked.count), so "
                    + (ranked.count == 1
                        ? "its one site always acts" : "a majority survives the loss of a site: remove the flag"))
        }
        self.ranked = ranked
        self.replicas = replicas
        self.allowMinority = allowMinority
    }

    /// How many voting sites, itself included, a node must see live to act.
    public var votesNeeded: Int { allowMinority ? 1 : ranked.count / 2 + 1 }

    /// What `node` should do about a due timer, given the sites it sees live now (itself counts even if absent),
    /// the organisation's preferred sites in order (`[]` for none), and the live sites that are draining or
    /// evacuated (rule 3).
    public func decide(
        node: SiteCode, live: Set<SiteCode>, preferred: [SiteCode] = [], passedOver: Set<SiteCode> = []
    ) -> TimerDecision {
        if replicas.contains(node) {
            return .standDown(reason: "replica: \(node) holds data only and never acts on timers")
        }
        guard ranked.contains(node) else {
            return .standDown(reason: "not a voting site: \(node) is not in this cluster's topology")
        }
        var seen = live.intersection(ranked)
        seen.insert(node)
        guard seen.count >= votesNeeded else {
            var reason = "cut off: sees \(seen.count) of \(ranked.count) sites"
            if ranked.count == 2 {
                reason += "; a 2-site cluster acts only with both sites live unless allowMinority is set"
            }
            return .standDown(reason: reason)
        }
        let staffed = seen.subtracting(passedOver)
        guard let chosen = actor(live: staffed.isEmpty ? seen : staffed, preferred: preferred) else {
            // Unreachable: `seen` holds the node itself, a voting site.
            return .standDown(reason: "no live voting site")
        }
        if chosen.site == node { return .act }
        if passedOver.contains(node) && !staffed.isEmpty {
            return .standDown(
                reason: "\(node) is draining or evacuated (8.1): \(chosen.site) acts, the first live site that is up in "
                    + chosen.order)
        }
        return .standDown(reason: "\(chosen.site) acts: it is the first live site in \(chosen.order)")
    }

    /// The site that acts given a view of live sites, and which order chose it.
    func actor(live: Set<SiteCode>, preferred: [SiteCode]) -> (site: SiteCode, order: String)? {
        // A preferred site that is a replica or unknown is passed over: only voting sites act.
        if let site = preferred.first(where: { live.contains($0) && ranked.contains($0) }) {
            return (site, "the organisation's preference order")
        }
        if let site = ranked.first(where: live.contains) {
            return (site, "the cluster's rank order")
        }
        return nil
    }

    /// Checks an organisation's preference order against the cluster, for the topology file's loader.
    public func checkPreference(_ preferred: [SiteCode], organisation: OrganisationCode) throws {
        var seen = Set<SiteCode>()
        for site in preferred {
            guard seen.insert(site).inserted else {
                throw DomainError(.invalidValue, "\(organisation)'s preferred sites list \(site) twice")
            }
            if replicas.contains(site) {
                throw DomainError(
                    .invalidValue,
                    "\(organisation)'s preferred sites list \(site), a replica: replicas never act on timers, so "
                        + "list only voting sites")
            }
            guard ranked.contains(site) else {
                throw DomainError(
                    .invalidValue,
                    "\(organisation)'s preferred sites list \(site), which is not a site of this cluster: use one of "
                        + ranked.map(\.rawValue).joined(separator: ", "))
            }
        }
    }
}
