import Domain

/// What a router sees of one site when a call arrives (DESIGN.md "Failover and traffic": capacity by PO skill).
public struct SiteSnapshot: Sendable, Equatable {
    public let site: SiteCode
    /// False while the site is draining, evacuated or without telephony.
    public let takingCalls: Bool
    /// Handlers on shift trained for the call's organisation, busy or free.
    public let handlersOnShift: Int
    /// Of those, the ones free now.
    public let freeHandlers: Int
    /// Calls queued at the site, for any organisation.
    public let callsWaiting: Int
}

/// One call to place: its organisation and Service Standard, and every site as it is now.
public struct RoutingRequest: Sendable {
    public let organisation: OrganisationCode
    public let standard: ServiceStandard
    public let sites: [SiteSnapshot]
}

/// Picks the site (an index into `request.sites`) for a call, or `nil` when no site can take it.
///
/// Pluggable so the Domain's call router can be tried in the same model; it must be deterministic, because a seed
/// must reproduce a run.
public typealias SimulatedRouting = @Sendable (RoutingRequest) -> Int?

public enum DefaultRouting {
    /// The site taking calls with the most free handlers trained for the organisation; ties go to the site with
    /// more such handlers on shift, then fewer calls waiting, then the first listed.
    public static let mostFreeTrainedHandlers: SimulatedRouting = { request in
        var best: Int?
        for (index, site) in request.sites.enumerated() where site.takingCalls {
            guard let chosen = best else {
                best = index
                continue
            }
            let current = request.sites[chosen]
            let key = (site.freeHandlers, site.handlersOnShift, -site.callsWaiting)
            let currentKey = (current.freeHandlers, current.handlersOnShift, -current.callsWaiting)
            if key > currentKey { best = index }
        }
        return best
    }
}
