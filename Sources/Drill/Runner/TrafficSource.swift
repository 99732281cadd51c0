import Domain
import Foundation

/// One dummy call the traffic source offers (8.6 c): for which organisation and Service Option, to which site.
public struct DummyCall: Sendable, Equatable {
    public let id: Int
    public let organisation: String
    public let option: String
    public let standard: ServiceStandard
    /// The site the call was routed to; nil when no site could take calls.
    public let site: String?
    /// Drill seconds from the start of the drill.
    public let offeredAtSeconds: Double
}

/// What happened to a dummy call, at a drill time.
public enum TrafficEvent: Sendable, Equatable {
    case offered(DummyCall)
    /// A handler at the call's site answered it after `waitSeconds`; the runner logs it at that site.
    case answered(DummyCall, waitSeconds: Double, atSeconds: Double)
    /// The caller hung up after `waitSeconds` without an answer.
    case abandoned(DummyCall, waitSeconds: Double, atSeconds: Double)
}

/// What a fault does to one site's calls, as the traffic model sees it.
public enum SiteCondition: String, Sendable, Equatable {
    case normal
    /// The site's power is lost (8.1 e): no handler answers there; callers already queued wait until they give up.
    case powerLost
    /// No call reaches the site (8.1 a, b): calls queued there are cut off, and it takes no new ones.
    case telephonyLost
    /// The site is evacuating (8.1 f) or cut off (8.1 c, d): it takes no new calls; its handlers finish the queued.
    case draining
}

/// One site's share of new calls, as routing answered.
public struct SiteShare: Sendable, Equatable {
    public let site: String
    public let percent: Int

    public init(site: String, percent: Int) {
        self.site = site
        self.percent = percent
    }
}

/// Where routing sends new calls at one moment: each organisation's and Service Standard's split over the sites
/// (what `CallRouter` answers at a node), built once per tick by the runner.
public struct RoutingTable: Sendable, Equatable {
    public struct Key: Hashable, Sendable {
        public let organisation: String
        public let standard: ServiceStandard

        public init(organisation: String, standard: ServiceStandard) {
            self.organisation = organisation
            self.standard = standard
        }
    }

    /// Shares per organisation and standard; a key with no positive share means no site takes those calls.
    public var answers: [Key: [SiteShare]]
    /// Shares for a call whose organisation and standard `answers` does not list.
    public var otherwise: [SiteShare]
    /// The node whose routing answered.
    public var answeredBy: String?
    /// Why routing could not answer ("no running node", "cut off: cannot see …"), when it could not.
    public var problem: String?

    public init(
        answers: [Key: [SiteShare]], otherwise: [SiteShare] = [], answeredBy: String? = nil, problem: String? = nil
    ) {
        self.answers = answers
        self.otherwise = otherwise
        self.answeredBy = answeredBy
        self.problem = problem
    }

    /// An even split over `sites` for every call: for models tried without a cluster.
    public static func even(_ sites: [String]) -> RoutingTable {
        let each = sites.isEmpty ? 0 : 100 / sites.count
        let left = 100 - each * sites.count
        return RoutingTable(
            answers: [:],
            otherwise: sites.enumerated().map { SiteShare(site: $0.element, percent: each + ($0.offset < left ? 1 : 0)) })
    }

    /// The split for a call of `organisation` at `standard`: the sites with a positive share.
    public func shares(organisation: String, standard: ServiceStandard) -> [SiteShare] {
        (answers[Key(organisation: organisation, standard: standard)] ?? otherwise).filter { $0.percent > 0 }
    }

    /// The sites that take a share of some call.
    public var sitesTakingCalls: Set<String> {
        Set((answers.values.flatMap { $0 } + otherwise).filter { $0.percent > 0 }.map(\.site))
    }

    /// Each site's share of new calls averaged over every organisation and standard answered, percent.
    public var meanShares: [String: Double] {
        let lists = answers.isEmpty ? [otherwise] : Array(answers.values)
        guard !lists.isEmpty else { return [:] }
        var sums: [String: Double] = [:]
        for list in lists {
            for share in list { sums[share.site, default: 0] += Double(share.percent) }
        }
        return sums.mapValues { $0 / Double(lists.count) }
    }

    /// Picks a site from `shares` by `unit` in [0, 1): the cumulative share it falls in, as the telephony's
    /// percentage split does; nil when no site has a share.
    public static func pick(_ shares: [SiteShare], unit: Double) -> String? {
        let total = shares.reduce(0) { $0 + max($1.percent, 0) }
        guard total > 0 else { return nil }
        var point = unit * Double(total)
        for share in shares where share.percent > 0 {
            point -= Double(share.percent)
            if point < 0 { return share.site }
        }
        return shares.last { $0.percent > 0 }?.site
    }
}

/// A model of the calls arriving at the service and the handlers answering them, advanced by the drill runner.
///
/// The runner tells it what the fault does to sites and organisations, and where routing sends new calls; the
/// source returns what happened to the calls. `SteadyTrafficSource` is a plain Poisson model; the calibrated
/// call-centre simulation (`CallCentreSimulation`) implements it for the specification's profile.
public protocol TrafficSource: AnyObject {
    /// What the fault does to `site`'s calls now.
    func setCondition(_ site: String, _ condition: SiteCondition)
    /// Only `handlers` handlers are on shift at `site` (8.1 g); nil ends the shortage: the site's own staffing.
    func setHandlers(_ site: String, _ handlers: Int?)
    /// Multiplies `organisation`'s call rate by `factor` (8.1 h, i); 1 ends the surge.
    func setSurge(_ organisation: String, factor: Double)
    /// The handlers the model has on shift at `site` now; the runner keeps as many drill handlers signed in
    /// there, so the capacity the site's heartbeats publish, and so routing, follows the model's staffing.
    func handlersOnShift(_ site: String) -> Int
    /// Advances the model to `seconds` of drill time, placing each new call by `routing`'s split (a site whose
    /// condition lets it take no new call passes its share to the others), and returns what happened meanwhile,
    /// in time order.
    func advance(to seconds: Double, routing: RoutingTable) -> [TrafficEvent]
}

/// The runner's built-in traffic source: Poisson arrivals at a steady rate per organisation, every organisation's
/// Service Options in turn, queues per site in Service Standard order (7.1.5), exponential handling times, and
/// callers who hang up after a fixed patience. Seeded, so one seed offers the same calls.
///
/// Each new call goes where routing's split sends it, drawn with the source's seeded generator among the sites
/// with a handler free (among all the split's sites when none has one).
public final class SteadyTrafficSource: TrafficSource {
    struct Option {
        let organisation: String
        let option: String
        let standard: ServiceStandard
    }

    struct Waiting {
        let call: DummyCall
        let deadline: Double
    }

    struct Site {
        var handlers: Int
        var condition = SiteCondition.normal
        var busyUntil: [Double] = []
        var queue: [Waiting] = []
    }

    private let optionsByOrganisation: [(organisation: String, options: [Option])]
    private let ratePerOrganisationPerSecond: Double
    private let handlersPerSite: Int
    private let handlingSeconds: Double
    private let patienceSeconds: Double
    /// Separate streams, so the calls a seed offers do not depend on where routing sent earlier ones or how long
    /// they took: arrivals, handling times, and the draw between sites.
    private var arrivals: SplitMix64
    private var handling: SplitMix64
    private var picks: SplitMix64
    private var sites: [String: Site]
    private var surge: [String: Double] = [:]
    private var nextArrival: [Double]
    private var nextOptionIndex: [Int]
    private var now = 0.0
    private var nextID = 1
    /// Calls cut off by a lost telephony, reported as abandoned at the next advance.
    private var cutOff: [Waiting] = []

    /// `organisations` with their Service Options; `everyOrganisation` false offers calls for the first only.
    public init(
        catalogue: Catalogue, sites: [String], load: DrillDefinition.Load, seed: UInt64
    ) {
        let organisations = load.everyOrganisation ? catalogue.organisations : Array(catalogue.organisations.prefix(1))
        optionsByOrganisation = organisations.map { organisation in
            (
                organisation.code.rawValue,
                organisation.options.map {
                    Option(organisation: organisation.code.rawValue, option: $0.code.rawValue, standard: $0.standard)
                }
            )
        }
        ratePerOrganisationPerSecond = load.callsPerHour / 3_600 / Double(max(organisations.count, 1))
        handlersPerSite = load.handlersPerSite
        handlingSeconds = load.handlingSeconds
        patienceSeconds = load.patienceSeconds
        arrivals = SplitMix64(seed: seed)
        handling = SplitMix64(seed: seed ^ 0x4841_4E44_4C49_4E47)
        picks = SplitMix64(seed: seed ^ 0x5049_434B_5349_5445)
        self.sites = Dictionary(uniqueKeysWithValues: sites.map { ($0, Site(handlers: load.handlersPerSite)) })
        nextArrival = []
        nextOptionIndex = Array(repeating: 0, count: optionsByOrganisation.count)
        for _ in optionsByOrganisation { nextArrival.append(Self.exponential(mean: 1 / ratePerOrganisationPerSecond, &arrivals)) }
    }

    public func setCondition(_ site: String, _ condition: SiteCondition) {
        sites[site]?.condition = condition
        if condition == .telephonyLost, let queue = sites[site]?.queue {
            // Cut off: counted when the next advance reports them.
            sites[site]?.queue = []
            cutOff += queue
        }
    }

    public func setHandlers(_ site: String, _ handlers: Int?) {
        sites[site]?.handlers = handlers ?? handlersPerSite
    }

    public func handlersOnShift(_ site: String) -> Int { sites[site]?.handlers ?? 0 }

    public func setSurge(_ organisation: String, factor: Double) {
        guard let index = optionsByOrganisation.firstIndex(where: { $0.organisation == organisation }) else { return }
        surge[organisation] = factor
        // Memoryless arrivals: redraw the next one at the new rate.
        nextArrival[index] = now + Self.exponential(mean: 1 / (ratePerOrganisationPerSecond * factor), &arrivals)
    }

    public func advance(to seconds: Double, routing: RoutingTable) -> [TrafficEvent] {
        var events: [TrafficEvent] = cutOff.map {
            .abandoned($0.call, waitSeconds: now - $0.call.offeredAtSeconds, atSeconds: now)
        }
        cutOff = []
        while true {
            let arrival = nextArrival.indices.min { nextArrival[$0] < nextArrival[$1] }
            let arrivalAt = arrival.map { nextArrival[$0] } ?? .infinity
            var endAt = Double.infinity
            var endSite: String?
            var abandonAt = Double.infinity
            var abandonSite: String?
            for (code, site) in sites.sorted(by: { $0.key < $1.key }) {
                if let end = site.busyUntil.min(), end < endAt { (endAt, endSite) = (end, code) }
                if let first = site.queue.map(\.deadline).min(), first < abandonAt { (abandonAt, abandonSite) = (first, code) }
            }
            let next = min(arrivalAt, endAt, abandonAt)
            guard next <= seconds, next.isFinite else { break }
            now = next
            if endAt == next, let code = endSite {
                if let index = sites[code]!.busyUntil.firstIndex(of: endAt) { sites[code]!.busyUntil.remove(at: index) }
                dispatch(code, &events)
            } else if abandonAt == next, let code = abandonSite {
                let index = sites[code]!.queue.firstIndex { $0.deadline == abandonAt }!
                let waiting = sites[code]!.queue.remove(at: index)
                events.append(.abandoned(waiting.call, waitSeconds: now - waiting.call.offeredAtSeconds, atSeconds: now))
            } else if let index = arrival {
                let organisation = optionsByOrganisation[index]
                let option = organisation.options[nextOptionIndex[index] % max(organisation.options.count, 1)]
                nextOptionIndex[index] += 1
                let rate = ratePerOrganisationPerSecond * (surge[organisation.organisation] ?? 1)
                nextArrival[index] = now + Self.exponential(mean: 1 / rate, &arrivals)
                let shares = routing.shares(organisation: option.organisation, standard: option.standard)
                    .filter { sites[$0.site]?.condition == .normal || sites[$0.site]?.condition == .powerLost }
                // The call distributor offers the call where a handler is free now, in routing's proportions, and
                // queues it by the same proportions when none is.
                let free = shares.filter {
                    sites[$0.site].map { $0.condition == .normal && $0.busyUntil.count < $0.handlers } ?? false
                }
                let site = RoutingTable.pick(free.isEmpty ? shares : free, unit: picks.nextUnit())
                let call = DummyCall(
                    id: nextID, organisation: option.organisation, option: option.option, standard: option.standard,
                    site: site, offeredAtSeconds: now)
                nextID += 1
                events.append(.offered(call))
                if let site {
                    sites[site]!.queue.append(Waiting(call: call, deadline: now + patienceSeconds))
                    dispatch(site, &events)
                } else {
                    events.append(.abandoned(call, waitSeconds: 0, atSeconds: now))
                }
            }
        }
        now = seconds
        return events
    }

    /// Answers queued calls at `code` while handlers are free, most urgent Service Standard first (7.1.5).
    private func dispatch(_ code: String, _ events: inout [TrafficEvent]) {
        guard var site = sites[code], site.condition == .normal || site.condition == .draining else { return }
        while site.busyUntil.count < site.handlers, !site.queue.isEmpty {
            let index = site.queue.indices.min {
                (site.queue[$0].call.standard.priority, site.queue[$0].call.offeredAtSeconds)
                    < (site.queue[$1].call.standard.priority, site.queue[$1].call.offeredAtSeconds)
            }!
            let waiting = site.queue.remove(at: index)
            site.busyUntil.append(now + Self.exponential(mean: handlingSeconds, &handling))
            events.append(.answered(waiting.call, waitSeconds: now - waiting.call.offeredAtSeconds, atSeconds: now))
        }
        sites[code] = site
    }

    private static func exponential(mean: Double, _ random: inout SplitMix64) -> Double {
        -mean * log(1 - random.nextUnit())
    }
}

/// A small seeded generator (SplitMix64), so the built-in source needs nothing outside the runner.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in [0, 1).
    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
