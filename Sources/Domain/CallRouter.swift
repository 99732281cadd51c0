import Foundation

/// A number that places one call in the split between sites, the same on every node.
///
/// Made from the caller's number and a time bucket, so a caller who rings again within the bucket reaches the same
/// site, and every node that routes the call picks the same one. FNV-1a rather than Swift's `Hasher`, whose seed
/// differs in every process.
public struct RoutingKey: Hashable, Codable, Sendable, CustomStringConvertible {
    public let value: UInt64

    public init(value: UInt64) {
        self.value = value
    }

    public init(text: String) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        value = hash
    }

    /// The key of a call from `caller` offered at `instant`, in buckets of `bucketSeconds`.
    public init(
        caller: String, at instant: Date, bucketSeconds: Int = DomainLimits.routingKeyBucketSecondsDefault
    ) {
        let bucket = Int64((instant.timeIntervalSince1970 / Double(max(1, bucketSeconds))).rounded(.down))
        self.init(text: "\(caller)|\(bucket)")
    }

    /// Where the call falls in 0..<100: the cumulative weight it lands in picks its site.
    public var percentile: Int { Int(value % 100) }

    public var description: String { String(value, radix: 16) }
}

/// A call to place: who it is for and how urgent its Service Standard makes it.
public struct RoutedCall: Hashable, Sendable {
    public let organisation: OrganisationCode
    public let option: ServiceOptionCode
    public let standard: ServiceStandard
    public let key: RoutingKey

    public init(organisation: OrganisationCode, option: ServiceOptionCode, standard: ServiceStandard, key: RoutingKey) {
        self.organisation = organisation
        self.option = option
        self.standard = standard
        self.key = key
    }
}

/// Where a new call goes, and why each site got its share.
public struct RoutingAnswer: Hashable, Codable, Sendable {
    /// What happens to the call at the picked site.
    public enum Disposition: String, Codable, Sendable {
        /// A handler trained for the organisation is free for it, within its isolation cap.
        case answer
        /// It waits in the site's queue for one (Platinum and Gold ahead of Silver and Bronze, 7.1.5).
        case queue
        /// The site takes no share of this call.
        case none
    }

    /// One site's share of the call and the reason for it.
    public struct Site: Hashable, Codable, Sendable {
        public let site: SiteCode
        public let weightPercent: Int
        public let disposition: Disposition
        public let reason: String
    }

    public let organisation: OrganisationCode
    public let option: ServiceOptionCode
    public let standard: ServiceStandard
    /// "cut off: cannot see X, Y" when this node sees fewer than a majority of the voting sites.
    public let cutOff: String?
    /// Every voting site, largest weight first, then by site code; the weights add up to 100 when any is above 0.
    public let sites: [Site]
    /// The site this call goes to, chosen by its key; `nil` when no site can take it.
    public let pick: SiteCode?
    /// What happens to the call there; `.none` when there is no pick.
    public let disposition: Disposition
    /// Rules that shaped the answer as a whole (a split that could not be honoured, priority when short).
    public let notes: [String]

    public func weight(of site: SiteCode) -> Int {
        sites.first { $0.site == site }?.weightPercent ?? 0
    }
}

/// Decides where a new call goes, the same way on every node that has the same heartbeats (DESIGN.md "Failover
/// and traffic"; 7.1.7, 7.1.10).
///
/// The rules, in the order they apply:
///
/// 1. **Majority.** A node that sees fewer than a majority of the voting sites (itself included) is cut off: it
///    answers "cut off: cannot see X, Y" and routes only to itself, never to a site it cannot see, whose state it
///    does not know. A site the node does not see is never routed to, cut off or not.
/// 2. **Only `up` sites take new calls.** Draining sites finish their calls, evacuated and down ones take none, and
///    a site with no handler trained for the organisation takes none of its calls.
/// 3. **Isolation (7.1.7).** At each site, `routingReservePercent` of the handlers signed in (rounded down) are held
///    in reserve and shared among the organisations the site serves, in proportion to the handlers trained for each
///    (largest remainder, so the whole reserve is shared out). One organisation's calls at a site (in progress and
///    queued) are capped at the site's handlers less the other organisations' reserves, so however hard one
///    organisation surges, the handlers left at the site always cover every other organisation's reserve. A call over the cap is queued, not answered, so it waits for its own
///    organisation's calls to end rather than taking another's handlers.
/// 4. **Priority (6.2, 6.3, 7.1.5).** Gold promises 80% answered in 20 s; Silver and Bronze 60 s. So at every site
///    `routingPriorityHoldbackPercent` of the handlers (at least one) are left free by Silver and Bronze calls for
///    Platinum and Gold ones. While any site has room, a call is spread over the sites with room in proportion to
///    it — Platinum and Gold may use the held-back handlers, Silver and Bronze only the room beyond them, so when
///    trained capacity is short a Silver or Bronze call overflows to a site that still has spare room, or is
///    queued. When no site has room at all, a Platinum or Gold call is offered whole to the best site (most trained
///    handlers for the organisation less its calls there), where it queues ahead of lower standards; a Silver or
///    Bronze call queues, spread in proportion to trained handlers.
/// 5. **Manual split.** An operator's split replaces the weights among the sites that can take the call. A site in
///    the split that cannot (down, not seen, no trained handler) gets 0 and its share is spread over the others in
///    proportion to theirs; its reason says so. A split none of whose sites can take the call is set aside and the
///    weights come from capacity, said in the notes.
///
/// Weights are whole percentages that add up to 100 (largest remainder, ties by site code). The call's key picks
/// one site by where it falls in the cumulative weights of the sites in answer order. Nothing here depends on the
/// order of the inputs, so every node with the same views gives the same answer.
public struct CallRouter: Hashable, Sendable {
    public let node: SiteCode
    /// The voting sites in code order.
    public let votingSites: [SiteCode]
    /// The voting sites this node sees, itself included.
    public let seen: Set<SiteCode>
    public let views: [SiteCode: SiteView]
    public let split: ManualSplit?
    public let reservePercent: Int
    public let holdbackPercent: Int

    public init(
        _ snapshot: RoutingSnapshot, reservePercent: Int = DomainLimits.routingReservePercent,
        holdbackPercent: Int = DomainLimits.routingPriorityHoldbackPercent
    ) throws {
        var problems: [DomainError] = []
        let voting = Set(snapshot.votingSites)
        if snapshot.votingSites.isEmpty {
            problems.append(DomainError(.invalidValue, "votingSites is empty: list the cluster's call-centre sites"))
        }
        if snapshot.votingSites.count > DomainLimits.clusterSitesMax {
            problems.append(
                DomainError(
                    .invalidValue,
                    "\(snapshot.votingSites.count) voting sites is more than the "
                        + "\(DomainLimits.clusterSitesMax) allowed"))
        }
        if voting.count != snapshot.votingSites.count {
            problems.append(DomainError(.invalidValue, "votingSites lists a site twice: list each site once"))
        }
        if !snapshot.votingSites.isEmpty && !voting.contains(snapshot.node) {
            problems.append(
                DomainError(
                    .invalidValue,
                    "node \(snapshot.node) is not one of the voting sites (\(Self.list(voting.sorted()))): only a "
                        + "call-centre site routes calls"))
        }
        for site in Set(snapshot.seen).subtracting(voting).sorted() {
            problems.append(
                DomainError(.invalidValue, "seen lists \(site), which is not a voting site: list only voting sites"))
        }
        var views: [SiteCode: SiteView] = [:]
        for view in snapshot.views {
            if !voting.contains(view.site) {
                problems.append(
                    DomainError(
                        .invalidValue,
                        "views has site \(view.site), which is not a voting site: replicas take no calls"))
            } else if views.updateValue(view, forKey: view.site) != nil {
                problems.append(
                    DomainError(.invalidValue, "views has site \(view.site) twice: give one view per site"))
            }
        }
        for share in snapshot.split?.shares ?? [] where !voting.contains(share.site) {
            problems.append(
                DomainError(
                    .invalidValue,
                    "the manual split names \(share.site), which is not a voting site: use "
                        + Self.list(voting.sorted())))
        }
        if !(0...50).contains(reservePercent) || !(0...50).contains(holdbackPercent) {
            problems.append(
                DomainError(
                    .invalidValue,
                    "reserve \(reservePercent)% and holdback \(holdbackPercent)% must each be 0 to 50%"))
        }
        guard problems.isEmpty else { throw DomainErrors(problems) }
        node = snapshot.node
        votingSites = voting.sorted()
        seen = Set(snapshot.seen).union([snapshot.node])
        self.views = views
        split = snapshot.split
        self.reservePercent = reservePercent
        self.holdbackPercent = holdbackPercent
    }

    /// How many voting sites, itself included, a node must see to route to others.
    public var votesNeeded: Int { votingSites.count / 2 + 1 }

    /// The voting sites this node cannot see.
    public var notSeen: [SiteCode] { votingSites.filter { !seen.contains($0) } }

    public var isCutOff: Bool { seen.count < votesNeeded }

    // MARK: - Capacity

    /// One site's capacity for one organisation's calls, with the arithmetic behind it.
    public struct Capacity: Hashable, Sendable {
        public let handlersSignedIn: Int
        public let trained: Int
        /// Each organisation's guaranteed reserve at the site (rule 3).
        public let reserves: [OrganisationCode: Int]
        /// Most calls (in progress and queued) the organisation may have at the site.
        public let cap: Int
        /// The organisation's calls at the site, in progress and queued.
        public let ownCalls: Int
        /// Every organisation's calls at the site, in progress and queued.
        public let allCalls: Int
        /// Calls the site can still answer for the organisation now.
        public let room: Int
        /// Handlers left free for Platinum and Gold calls (rule 4).
        public let holdback: Int

        /// The room a call of this standard may use.
        public func room(for standard: ServiceStandard) -> Int {
            standard <= .gold ? room : max(0, room - holdback)
        }
    }

    public func capacity(of view: SiteView, for organisation: OrganisationCode) -> Capacity {
        let handlers = view.handlersSignedIn
        var trainedBy: [OrganisationCode: Int] = [:]
        for group in view.handlers where group.count > 0 {
            for served in Set(group.trainedFor) { trainedBy[served, default: 0] += group.count }
        }
        let reserves = Self.apportion(handlers * reservePercent / 100, by: trainedBy)
        let othersReserve = reserves.filter { $0.key != organisation }.values.reduce(0, +)
        let cap = handlers - othersReserve
        let trained = trainedBy[organisation] ?? 0
        let own = view.calls(for: organisation)
        let ownCalls = own.inProgress + own.queued
        let allCalls = view.calls.reduce(0) { $0 + $1.inProgress + $1.queued }
        let room = max(0, min(min(trained, cap) - ownCalls, handlers - allCalls))
        let holdback = (handlers * holdbackPercent + 99) / 100
        return Capacity(
            handlersSignedIn: handlers, trained: trained, reserves: reserves, cap: cap, ownCalls: ownCalls,
            allCalls: allCalls, room: room, holdback: holdback)
    }

    // MARK: - Routing

    /// Where a new call goes.
    public func route(_ call: RoutedCall) -> RoutingAnswer {
        let organisation = call.organisation
        let cutOffText = isCutOff ? "cut off: cannot see \(Self.list(notSeen))" : nil
        var notes: [String] = []
        if let cutOffText {
            notes.append(
                "\(cutOffText); \(node) sees \(seen.count) of \(votingSites.count) voting sites, fewer than the "
                    + "\(votesNeeded) of a majority, so it routes only to itself")
        }

        // Rules 1 and 2: which sites may take the call at all.
        var excluded: [SiteCode: String] = [:]
        var eligible: [SiteCode: Capacity] = [:]
        for site in votingSites {
            if !seen.contains(site) {
                excluded[site] = "not seen from \(node): its state is unknown here, so no call is sent to it"
                continue
            }
            if isCutOff && site != node {
                excluded[site] = "\(node) is cut off from the majority and routes only to itself"
                continue
            }
            guard let view = views[site] else {
                excluded[site] = "no view from its heartbeats yet"
                continue
            }
            switch view.state {
            case .down:
                excluded[site] = "down: takes no calls"
                continue
            case .draining:
                excluded[site] = "draining: finishes its calls and takes no new ones"
                continue
            case .evacuated:
                excluded[site] = "evacuated: takes no calls"
                continue
            case .up:
                break
            }
            let capacity = capacity(of: view, for: organisation)
            if capacity.trained == 0 {
                excluded[site] = "up, but no handler signed in is trained for \(organisation)"
                continue
            }
            eligible[site] = capacity
        }

        var raw: [SiteCode: Int] = [:]
        var dispositions: [SiteCode: RoutingAnswer.Disposition] = [:]
        var reasons: [SiteCode: String] = [:]
        let describe = { (site: SiteCode, capacity: Capacity) -> String in
            "up: \(capacity.trained) of \(capacity.handlersSignedIn) handlers trained for \(organisation), "
                + "\(capacity.ownCalls) of its calls here (cap \(capacity.cap), "
                + "\(capacity.handlersSignedIn - capacity.cap) kept for other organisations), room for "
                + "\(capacity.room(for: call.standard)) more \(call.standard.rawValue) call"
                + (capacity.room(for: call.standard) == 1 ? "" : "s")
        }

        // Rule 5: an operator's split, among the sites that can take the call.
        var splitUsed = false
        if let split {
            let live = split.shares.filter { $0.percent > 0 && eligible[$0.site] != nil }
            if live.isEmpty {
                notes.append(
                    "the manual split (\(Self.describe(split))) names no site that can take \(organisation)'s calls: "
                        + "routing by capacity instead")
            } else {
                splitUsed = true
                let lost = split.shares.filter { $0.percent > 0 && eligible[$0.site] == nil }
                let takers = Self.list(live.map(\.site))
                for share in live {
                    let capacity = eligible[share.site]!
                    raw[share.site] = share.percent
                    let room = capacity.room(for: call.standard)
                    dispositions[share.site] = room > 0 ? .answer : .queue
                    reasons[share.site] =
                        "manual split \(share.percent)%"
                        + (lost.isEmpty ? "" : ", plus its part of the shares of \(Self.list(lost.map(\.site)))")
                        + "; " + describe(share.site, capacity) + (room > 0 ? "" : ", so the call queues here")
                }
                for share in lost {
                    excluded[share.site] =
                        (excluded[share.site] ?? "cannot take the call")
                        + "; its \(share.percent)% of the manual split is spread over \(takers)"
                }
                for site in eligible.keys where split.percent(for: site) ?? 0 == 0 {
                    reasons[site] = "not in the operator's manual split; " + describe(site, eligible[site]!)
                }
            }
        }

        // Rules 3 and 4: weights from room for this organisation and standard.
        if !splitUsed {
            let withRoom = eligible.filter { $0.value.room(for: call.standard) > 0 }
            if !withRoom.isEmpty {
                for (site, capacity) in withRoom {
                    raw[site] = capacity.room(for: call.standard)
                    dispositions[site] = .answer
                    reasons[site] = describe(site, capacity)
                }
                for (site, capacity) in eligible where withRoom[site] == nil {
                    reasons[site] = describe(site, capacity) + Self.whyFull(capacity, standard: call.standard)
                }
                if withRoom.count < eligible.count {
                    notes.append(
                        "\(organisation)'s \(call.standard.rawValue) calls overflow to the sites with room: "
                            + Self.list(withRoom.keys.sorted()))
                }
            } else if !eligible.isEmpty {
                if call.standard <= .gold {
                    // Offered whole to the best site, where it queues ahead of lower standards (7.1.5).
                    let best = eligible.min { a, b in
                        let scoreA = a.value.trained - a.value.ownCalls
                        let scoreB = b.value.trained - b.value.ownCalls
                        return scoreA != scoreB ? scoreA > scoreB : a.key < b.key
                    }!
                    raw[best.key] = 1
                    dispositions[best.key] = .queue
                    for (site, capacity) in eligible {
                        reasons[site] =
                            describe(site, capacity) + Self.whyFull(capacity, standard: call.standard)
                            + (site == best.key
                                ? "; the best site for a \(call.standard.rawValue) call: it queues here ahead of "
                                    + "Silver and Bronze (7.1.5)"
                                : "")
                    }
                    notes.append(
                        "no site has room for \(organisation): a \(call.standard.rawValue) call is offered whole to "
                            + "the best site, \(best.key)")
                } else {
                    for (site, capacity) in eligible {
                        raw[site] = capacity.trained
                        dispositions[site] = .queue
                        reasons[site] =
                            describe(site, capacity) + Self.whyFull(capacity, standard: call.standard)
                            + "; queues here in proportion to its trained handlers"
                    }
                    notes.append(
                        "no site has room for \(organisation)'s \(call.standard.rawValue) calls beyond what is left "
                            + "for Platinum and Gold: the call is queued")
                }
            }
        }

        let percents = Self.percentages(raw)
        var sites: [RoutingAnswer.Site] = votingSites.map { site in
            let weight = percents[site] ?? 0
            return RoutingAnswer.Site(
                site: site, weightPercent: weight, disposition: weight > 0 ? dispositions[site] ?? .none : .none,
                reason: excluded[site] ?? reasons[site] ?? "takes no share")
        }
        sites.sort { $0.weightPercent != $1.weightPercent ? $0.weightPercent > $1.weightPercent : $0.site < $1.site }

        var pick: SiteCode?
        var disposition = RoutingAnswer.Disposition.none
        var cumulative = 0
        for site in sites where site.weightPercent > 0 {
            cumulative += site.weightPercent
            if call.key.percentile < cumulative {
                pick = site.site
                disposition = site.disposition
                break
            }
        }
        if pick == nil {
            notes.append("no site can take \(organisation)'s calls now")
        }
        return RoutingAnswer(
            organisation: organisation, option: call.option, standard: call.standard, cutOff: cutOffText,
            sites: sites, pick: pick, disposition: disposition, notes: notes)
    }

    /// Why a site with trained handlers has no room for this call.
    static func whyFull(_ capacity: Capacity, standard: ServiceStandard) -> String {
        if capacity.ownCalls >= capacity.cap {
            return ", at its isolation cap: the rest are kept for other organisations (7.1.7)"
        }
        if capacity.room == 0 {
            return ", every handler is busy"
        }
        return ", the rest left free for Platinum and Gold calls (\(capacity.holdback) held back)"
    }

    /// Whole percentages in proportion to `raw` that add up to 100 (largest remainder, ties by site code); empty
    /// when nothing is above 0.
    static func percentages(_ raw: [SiteCode: Int]) -> [SiteCode: Int] {
        apportion(100, by: raw)
    }

    /// `amount` shared in whole units in proportion to `weights` (largest remainder, ties by key), so the shares
    /// add up to `amount` exactly; empty when no weight is above 0.
    public static func apportion<Key: Comparable>(_ amount: Int, by weights: [Key: Int]) -> [Key: Int] {
        let positive = weights.filter { $0.value > 0 }
        let total = positive.values.reduce(0, +)
        guard total > 0 else { return [:] }
        var result: [Key: Int] = [:]
        var remainders: [(key: Key, remainder: Int)] = []
        for (key, weight) in positive {
            result[key] = weight * amount / total
            remainders.append((key, weight * amount % total))
        }
        remainders.sort { $0.remainder != $1.remainder ? $0.remainder > $1.remainder : $0.key < $1.key }
        var left = amount - result.values.reduce(0, +)
        for entry in remainders where left > 0 {
            result[entry.key, default: 0] += 1
            left -= 1
        }
        return result
    }

    static func list(_ sites: [SiteCode]) -> String {
        sites.map(\.rawValue).joined(separator: ", ")
    }

    static func describe(_ split: ManualSplit) -> String {
        split.shares.map { "\($0.site) \($0.percent)%" }.joined(separator: ", ")
    }
}
