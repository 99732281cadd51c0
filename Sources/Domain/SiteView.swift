/// A site's state as its heartbeats announce it (DESIGN.md "Failover and traffic").
public enum SiteState: String, Codable, Sendable, CaseIterable {
    /// Takes new calls.
    case up
    /// Finishes the calls it has and takes no new ones (a planned hand-over).
    case draining
    /// Its people have left the building (8.1): it takes no calls.
    case evacuated
    /// Missed its heartbeats, or said it is down.
    case down
}

/// Handlers signed in at a site who are trained for the same organisations.
public struct HandlerGroup: Hashable, Codable, Sendable {
    public let count: Int
    public let trainedFor: [OrganisationCode]

    public init(count: Int, trainedFor: [OrganisationCode]) {
        self.count = count
        self.trainedFor = trainedFor
    }
}

/// One organisation's calls at a site: being handled, and waiting for a handler.
public struct OrganisationCalls: Hashable, Codable, Sendable {
    public let organisation: OrganisationCode
    public let inProgress: Int
    public let queued: Int

    public init(organisation: OrganisationCode, inProgress: Int, queued: Int) {
        self.organisation = organisation
        self.inProgress = inProgress
        self.queued = queued
    }
}

/// What one site says about itself in its heartbeats: state, handlers signed in by training, calls by organisation.
///
/// Codable so the node can build it from heartbeats and the `route` command can read it from a file.
public struct SiteView: Hashable, Codable, Sendable {
    public let site: SiteCode
    public let state: SiteState
    public let handlers: [HandlerGroup]
    public let calls: [OrganisationCalls]

    public init(site: SiteCode, state: SiteState, handlers: [HandlerGroup], calls: [OrganisationCalls]) throws {
        self.site = site
        self.state = state
        self.handlers = handlers
        self.calls = calls
        try check()
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        site = try container.decode(SiteCode.self, forKey: .site)
        state = try container.decode(SiteState.self, forKey: .state)
        handlers = try container.decodeIfPresent([HandlerGroup].self, forKey: .handlers) ?? []
        calls = try container.decodeIfPresent([OrganisationCalls].self, forKey: .calls) ?? []
        try check()
    }

    /// Every count within its limit and every organisation listed once, so sums cannot overflow.
    private func check() throws {
        var problems: [DomainError] = []
        if handlers.count > DomainLimits.routingHandlerGroupsPerSiteMax {
            problems.append(
                DomainError(
                    .invalidValue,
                    "site \(site) lists \(handlers.count) handler groups; at most "
                        + "\(DomainLimits.routingHandlerGroupsPerSiteMax) are allowed: merge groups with the same "
                        + "training"))
        }
        for group in handlers where !(0...DomainLimits.routingHandlersPerSiteMax).contains(group.count) {
            problems.append(
                DomainError(
                    .invalidValue,
                    "site \(site) has a handler group of \(group.count); a count is 0 to "
                        + "\(DomainLimits.routingHandlersPerSiteMax)"))
        }
        if problems.isEmpty, handlers.reduce(0, { $0 + $1.count }) > DomainLimits.routingHandlersPerSiteMax {
            problems.append(
                DomainError(
                    .invalidValue,
                    "site \(site) has more than \(DomainLimits.routingHandlersPerSiteMax) handlers signed in"))
        }
        if calls.count > DomainLimits.routingOrganisationsPerSiteMax {
            problems.append(
                DomainError(
                    .invalidValue,
                    "site \(site) lists calls for \(calls.count) organisations; at most "
                        + "\(DomainLimits.routingOrganisationsPerSiteMax) are allowed"))
        }
        var seen = Set<OrganisationCode>()
        for entry in calls {
            if !seen.insert(entry.organisation).inserted {
                problems.append(
                    DomainError(
                        .invalidValue,
                        "site \(site) lists calls for \(entry.organisation) twice: give one entry per organisation"))
            }
            let range = 0...DomainLimits.routingCallsPerOrganisationMax
            if !range.contains(entry.inProgress) || !range.contains(entry.queued) {
                problems.append(
                    DomainError(
                        .invalidValue,
                        "site \(site) reports \(entry.inProgress) in progress and \(entry.queued) queued for "
                            + "\(entry.organisation); each must be 0 to \(DomainLimits.routingCallsPerOrganisationMax)"))
            }
        }
        guard problems.isEmpty else { throw DomainErrors(problems) }
    }

    /// Handlers signed in, whatever their training.
    public var handlersSignedIn: Int { handlers.reduce(0) { $0 + $1.count } }

    /// Handlers signed in who are trained for `organisation`.
    public func trained(for organisation: OrganisationCode) -> Int {
        handlers.reduce(0) { $0 + ($1.trainedFor.contains(organisation) ? $1.count : 0) }
    }

    /// The organisation's calls here; none when it is not listed.
    public func calls(for organisation: OrganisationCode) -> OrganisationCalls {
        calls.first { $0.organisation == organisation }
            ?? OrganisationCalls(organisation: organisation, inProgress: 0, queued: 0)
    }
}

/// An operator's manual split of new calls between sites (8.5, 8.6 drills; a planned move of traffic).
///
/// Percentages are in steps of `DomainLimits.routingSplitStepPercent` and sum to 100.
public struct ManualSplit: Hashable, Codable, Sendable {
    public struct Share: Hashable, Codable, Sendable {
        public let site: SiteCode
        public let percent: Int

        public init(site: SiteCode, percent: Int) {
            self.site = site
            self.percent = percent
        }
    }

    /// The shares in site order.
    public let shares: [Share]

    public init(_ shares: [Share]) throws {
        var problems: [DomainError] = []
        let step = DomainLimits.routingSplitStepPercent
        if shares.isEmpty {
            problems.append(DomainError(.invalidValue, "a manual split needs at least one site"))
        }
        var seen = Set<SiteCode>()
        for share in shares {
            if !seen.insert(share.site).inserted {
                problems.append(
                    DomainError(.invalidValue, "the manual split lists \(share.site) twice: give each site one share"))
            }
            if !(0...100).contains(share.percent) || share.percent % step != 0 {
                problems.append(
                    DomainError(
                        .invalidValue,
                        "the manual split gives \(share.site) \(share.percent)%: use a multiple of \(step) from 0 to 100"))
            }
        }
        let total = shares.reduce(0) { $0 + $1.percent }
        if !shares.isEmpty && total != 100 {
            problems.append(
                DomainError(.invalidValue, "the manual split's shares add up to \(total)%: they must add up to 100%"))
        }
        guard problems.isEmpty else { throw DomainErrors(problems) }
        self.shares = shares.sorted { $0.site < $1.site }
    }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode([Share].self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(shares)
    }

    public func percent(for site: SiteCode) -> Int? {
        shares.first { $0.site == site }?.percent
    }
}

/// Everything a node knows when it routes a call: the cluster's call-centre sites, which of them it can see, their
/// views, and any manual split. The `route` command reads it from a JSON file; the node builds it from heartbeats.
public struct RoutingSnapshot: Hashable, Codable, Sendable {
    /// The node answering.
    public let node: SiteCode
    /// The cluster's voting (call-centre) sites; replicas take no calls and are not listed.
    public let votingSites: [SiteCode]
    /// Sites whose heartbeats this node receives now; the node always sees itself.
    public let seen: [SiteCode]
    public let views: [SiteView]
    public let split: ManualSplit?

    public init(
        node: SiteCode, votingSites: [SiteCode], seen: [SiteCode], views: [SiteView], split: ManualSplit? = nil
    ) {
        self.node = node
        self.votingSites = votingSites
        self.seen = seen
        self.views = views
        self.split = split
    }
}
