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

/// A model of the calls arriving at the service and the handlers answering them, advanced by the drill runner.
///
/// The runner tells it what the fault does to sites and organisations, and which sites routing currently
/// offers new calls to; the source returns what happened to the calls. The traffic simulator (`Drill`'s
/// discrete-event call-centre model) implements this; `SteadyTrafficSource` is the runner's own, simpler model.
public protocol TrafficSource: AnyObject {
    /// Whether the handlers at `site` can answer calls (false while its power, telephony or building is lost).
    func setAnswering(_ site: String, _ answering: Bool)
    /// How many handlers are signed in at `site` (8.1 g).
    func setHandlers(_ site: String, _ handlers: Int)
    /// Multiplies `organisation`'s call rate by `factor` (8.1 h, i); 1 ends the surge.
    func setSurge(_ organisation: String, factor: Double)
    /// Advances the model to `seconds` of drill time, offering each new call to one of `routable` (in order of
    /// preference), and returns what happened meanwhile, in time order.
    func advance(to seconds: Double, routable: [String]) -> [TrafficEvent]
}

/// The runner's built-in traffic source: Poisson arrivals at a steady rate per organisation, every organisation's
/// Service Options in turn, queues per site in Service Standard order (7.1.5), exponential handling times, and
/// callers who hang up after a fixed patience. Seeded, so one seed offers the same calls.
///
/// Each new call goes to the routable site with the fewest calls per handler signed in (queued or in progress).
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
        var answering = true
        var busyUntil: [Double] = []
        var queue: [Waiting] = []
        var load: Double { Double(busyUntil.count + queue.count) / Double(max(handlers, 1)) }
    }

    private let optionsByOrganisation: [(organisation: String, options: [Option])]
    private let ratePerOrganisationPerSecond: Double
    private let handlingSeconds: Double
    private let patienceSeconds: Double
    private var random: SplitMix64
    private var sites: [String: Site]
    private var surge: [String: Double] = [:]
    private var nextArrival: [Double]
    private var nextOptionIndex: [Int]
    private var now = 0.0
    private var nextID = 1

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
        handlingSeconds = load.handlingSeconds
        patienceSeconds = load.patienceSeconds
        random = SplitMix64(seed: seed)
        self.sites = Dictionary(uniqueKeysWithValues: sites.map { ($0, Site(handlers: load.handlersPerSite)) })
        nextArrival = []
        nextOptionIndex = Array(repeating: 0, count: optionsByOrganisation.count)
        for _ in optionsByOrganisation { nextArrival.append(exponential(mean: 1 / ratePerOrganisationPerSecond)) }
    }

    public func setAnswering(_ site: String, _ answering: Bool) {
        sites[site]?.answering = answering
    }

    public func setHandlers(_ site: String, _ handlers: Int) {
        sites[site]?.handlers = handlers
    }

    public func setSurge(_ organisation: String, factor: Double) {
        guard let index = optionsByOrganisation.firstIndex(where: { $0.organisation == organisation }) else { return }
        surge[organisation] = factor
        // Memoryless arrivals: redraw the next one at the new rate.
        nextArrival[index] = now + exponential(mean: 1 / (ratePerOrganisationPerSecond * factor))
    }

    public func advance(to seconds: Double, routable: [String]) -> [TrafficEvent] {
        var events: [TrafficEvent] = []
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
                nextArrival[index] = now + exponential(mean: 1 / rate)
                let site = routable.filter { sites[$0] != nil }.min { sites[$0]!.load < sites[$1]!.load }
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
        guard var site = sites[code], site.answering else { return }
        while site.busyUntil.count < site.handlers, !site.queue.isEmpty {
            let index = site.queue.indices.min {
                (site.queue[$0].call.standard.priority, site.queue[$0].call.offeredAtSeconds)
                    < (site.queue[$1].call.standard.priority, site.queue[$1].call.offeredAtSeconds)
            }!
            let waiting = site.queue.remove(at: index)
            site.busyUntil.append(now + exponential(mean: handlingSeconds))
            events.append(.answered(waiting.call, waitSeconds: now - waiting.call.offeredAtSeconds, atSeconds: now))
        }
        sites[code] = site
    }

    private func exponential(mean: Double) -> Double {
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
