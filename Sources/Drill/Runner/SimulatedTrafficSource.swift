import Domain
import Foundation
import Synchronization

/// The traffic source a runbook's `[load]` names: `steady` or `specification`.
public func makeTrafficSource(
    catalogue: Catalogue, sites: [String], load: DrillDefinition.Load, seed: UInt64
) throws -> any TrafficSource {
    switch load.profile {
    case "steady":
        return SteadyTrafficSource(catalogue: catalogue, sites: sites, load: load, seed: seed)
    case "specification":
        return try SimulatedTrafficSource(catalogue: catalogue, sites: sites, load: load, seed: seed)
    default:
        throw DrillError(
            .invalidRun,
            "traffic profile '\(load.profile)' is not known; the profiles are "
                + DrillDefinitionParser.profiles.joined(separator: ", "))
    }
}

/// The calibrated call-centre model (`CallCentreSimulation`) as a drill's traffic: the specification's calls
/// (2.1.5 evening peak, 2.1.9 volume, Appendix 2 tables), the incumbent's staffing shared over the drill's sites,
/// queues by Service Standard (7.1.5) and callers' patience, with the drill's faults as the model's events and
/// routing's split deciding where each new call goes.
///
/// The drill's second 0 is `load.startHour` o'clock on a Monday in October (a month of about average volume in
/// Ealing's monthly table, Appendix 2); the model runs from midnight before it, so calls queued at the start
/// hour are there, but only calls offered from the drill's start are reported. One seed gives the same calls
/// for the same faults and routing.
public final class SimulatedTrafficSource: TrafficSource {
    /// Day of a common year the model starts on: 1 October.
    public static let startDayOfYear = 273
    /// Weekday of that day in the model: Monday, so a drill of up to three days is all weekdays (2.1.5).
    public static let startWeekday = 0
    /// Days the model runs: the longest drill (three phases of the longest length) from the latest start hour.
    static let runDays = Int(((23 * 3_600 + 3 * RunnerLimits.phaseDrillSecondsMax) / 86_400).rounded(.up))

    private var simulation: CallCentreSimulation
    /// Model seconds at the drill's second 0.
    private let offsetSeconds: Double
    private let staffing: StaffingSchedule
    private let routingBox: RoutingBox
    private let siteCodes: [String: SiteCode]
    private var pickers: [String: OptionPicker]
    /// The model's call numbers of calls offered in the drill and not yet answered or abandoned.
    private var dummyCalls: [Int: DummyCall] = [:]
    private var nextID = 1
    private var conditions: [String: SiteCondition] = [:]
    /// Staffing percent of each site's live handler shortage.
    private var shortages: [String: Int] = [:]
    private var surges: [String: Double] = [:]
    /// What the model refused to do (a surge factor out of range, an organisation it does not have), oldest first;
    /// the first `problemsMax` only.
    public private(set) var problems: [String] = []
    static let problemsMax = 100

    /// A model of `catalogue`'s organisations (every one, 8.6 c, unless `load.everyOrganisation` is false) at
    /// `load.volumePercent` of the specification's volume, staffed at `sites` as `load` says.
    public init(catalogue: Catalogue, sites: [String], load: DrillDefinition.Load, seed: UInt64) throws {
        guard (0..<24).contains(load.startHour) else {
            throw DrillError(.invalidRun, "start hour \(load.startHour) is not valid: give 0 to 23 (17 = 5 pm, 2.1.5)")
        }
        guard (RunnerLimits.volumePercentMin...RunnerLimits.volumePercentMax).contains(load.volumePercent) else {
            throw DrillError(
                .invalidRun,
                "volume \(load.volumePercent)% is not valid: give \(RunnerLimits.volumePercentMin) to "
                    + "\(RunnerLimits.volumePercentMax) (100 = today's volume, 2.1.9)")
        }
        let organisations = load.everyOrganisation ? catalogue.organisations : Array(catalogue.organisations.prefix(1))
        guard !organisations.isEmpty else {
            throw DrillError(
                .invalidRun, "the catalogue has no organisation to offer dummy calls for (8.6 c): load one")
        }
        if let empty = organisations.first(where: { $0.options.isEmpty }) {
            throw DrillError(
                .invalidRun,
                "organisation \(empty.code) has no Service Option in the catalogue: a dummy call needs one (8.6 c)")
        }
        let profile = try Self.profile(for: organisations.map(\.code), volumePercent: load.volumePercent)
        staffing = Self.staffing(sites: sites, load: load)
        routingBox = RoutingBox(seed: seed)
        let box = routingBox
        var simulation = try CallCentreSimulation(
            configuration: SimulationConfiguration(
                profile: profile, staffing: staffing, days: Self.runDays, startDayOfYear: Self.startDayOfYear,
                startWeekday: Self.startWeekday, routing: { box.route($0) }),
            seed: seed)
        offsetSeconds = Double(load.startHour) * 3_600
        // Calls before the drill's start are the model's own: none is reported.
        _ = try simulation.advance(to: offsetSeconds)
        self.simulation = simulation
        siteCodes = Dictionary(uniqueKeysWithValues: simulation.sites.map { ($0.rawValue, $0) })
        pickers = Dictionary(uniqueKeysWithValues: organisations.map { ($0.code.rawValue, OptionPicker($0)) })
    }

    // MARK: - The drill's faults as the model's events

    public func setCondition(_ site: String, _ condition: SiteCondition) {
        guard let code = siteCodes[site] else {
            note("condition \(condition.rawValue) for site \(site), which the drill does not have")
            return
        }
        let old = conditions[site] ?? .normal
        guard old != condition else { return }
        if let kind = Self.event(for: old, at: code) { attempt { try $0.end(kind) } }
        if let kind = Self.event(for: condition, at: code) { attempt { try $0.begin(kind) } }
        conditions[site] = condition
    }

    /// A shortage of `site`'s handlers (8.1 g): `handlers` as a share of the site's schedule for the hour, which
    /// then holds for the following hours' schedule too; as many as the schedule or more ends it.
    public func setHandlers(_ site: String, _ handlers: Int?) {
        guard let code = siteCodes[site] else {
            note("\(handlers.map(String.init) ?? "normal") handlers for site \(site), which the drill does not have")
            return
        }
        guard let handlers else {
            if let old = shortages.removeValue(forKey: site) {
                attempt { try $0.end(.handlerShortage(site: code, staffingPercent: old)) }
            }
            return
        }
        let scheduled = scheduledHandlers(site)
        let percent = scheduled == 0 ? (handlers > 0 ? 100 : 0) : min(100, max(handlers, 0) * 100 / scheduled)
        if let old = shortages.removeValue(forKey: site) {
            attempt { try $0.end(.handlerShortage(site: code, staffingPercent: old)) }
        }
        if percent < 100, attempt({ try $0.begin(.handlerShortage(site: code, staffingPercent: percent)) }) {
            shortages[site] = percent
        }
    }

    public func setSurge(_ organisation: String, factor: Double) {
        guard let code = try? OrganisationCode(organisation), simulation.configuration.profile.index(of: code) != nil
        else {
            note("surge of \(organisation), which the drill's catalogue does not have")
            return
        }
        if let old = surges.removeValue(forKey: organisation) {
            attempt { try $0.end(.surge(organisation: code, multiplier: old)) }
        }
        if factor != 1, attempt({ try $0.begin(.surge(organisation: code, multiplier: factor)) }) {
            surges[organisation] = factor
        }
    }

    public func handlersOnShift(_ site: String) -> Int {
        siteCodes[site].map { simulation.handlersOnShift(site: $0) } ?? 0
    }

    public func advance(to seconds: Double, routing: RoutingTable) -> [TrafficEvent] {
        routingBox.set(routing)
        let target = min(offsetSeconds + seconds, simulation.runSeconds)
        guard target.isFinite, target >= simulation.nowSeconds else { return [] }
        let step: SimulationStep
        do {
            step = try simulation.advance(to: target)
        } catch {
            // Checked above: a time from now to the model's end.
            note("\(error)")
            return []
        }
        if step.truncated {
            note(
                "more than \(DrillLimits.transitionsPerStepMax) calls changed in one step; some were not reported")
        }
        var events: [TrafficEvent] = []
        events.reserveCapacity(step.transitions.count)
        for transition in step.transitions {
            let at = transition.timeSeconds - offsetSeconds
            switch transition.kind {
            case .arrived:
                let organisation = transition.organisation.rawValue
                let option = pickers[organisation]?.pick(transition.standard, suggested: transition.option) ?? ""
                let call = DummyCall(
                    id: nextID, organisation: organisation, option: option, standard: transition.standard,
                    site: transition.site?.rawValue, offeredAtSeconds: at)
                nextID += 1
                dummyCalls[transition.call] = call
                events.append(.offered(call))
            case .answered:
                guard let call = dummyCalls.removeValue(forKey: transition.call) else { continue }
                events.append(.answered(call, waitSeconds: transition.waitSeconds, atSeconds: at))
            case .abandoned, .lostToFailure:
                // Lost to a failure (no site could take it, or its site's telephony went) is abandoned for the
                // runner: the caller was not answered.
                guard let call = dummyCalls.removeValue(forKey: transition.call) else { continue }
                events.append(.abandoned(call, waitSeconds: transition.waitSeconds, atSeconds: at))
            }
        }
        return events
    }

    // MARK: - Helpers

    private func note(_ problem: String) {
        if problems.count < Self.problemsMax { problems.append(problem) }
    }

    /// Runs a change to the model, keeping its refusal in `problems`; true when it was made.
    @discardableResult
    private func attempt(_ change: (inout CallCentreSimulation) throws -> Void) -> Bool {
        do {
            try change(&simulation)
            return true
        } catch {
            note("\(error)")
            return false
        }
    }

    private static func event(for condition: SiteCondition, at site: SiteCode) -> ScheduledEvent.Kind? {
        switch condition {
        case .normal: nil
        case .powerLost: .powerFailure(site: site)
        case .telephonyLost: .telephonyLost(site: site)
        case .draining: .draining(site: site)
        }
    }

    /// Handlers the schedule puts on shift at `site` in the model's current hour.
    private func scheduledHandlers(_ site: String) -> Int {
        guard let entry = staffing.sites.first(where: { $0.site == site }) else { return 0 }
        let day = Int(simulation.nowSeconds / 86_400)
        let hour = Int(simulation.nowSeconds.truncatingRemainder(dividingBy: 86_400) / 3_600) % 24
        let weekend = (Self.startWeekday + day) % 7 >= 5
        // Validated by the model: 24 counts a day for every team.
        return entry.teams.reduce(0) { $0 + (weekend ? $1.weekend : $1.weekday)[hour] }
    }
}

// MARK: - The model's inputs for a drill

extension SimulatedTrafficSource {
    /// The specification's profile (`TrafficProfile.specification`) for `organisations`, each volume at
    /// `volumePercent`: an organisation the profile does not know gets its typical one (its calls a year over its
    /// organisations, split Gold and Silver as the organisations with figures are), with Enfield's talk, wrap and
    /// patience; the profile's organisations not in the list are left out.
    static func profile(for organisations: [OrganisationCode], volumePercent: Int) throws -> TrafficProfile {
        let specification = TrafficProfile.specification
        let typicalCallsPerYear = specification.totalCallsPerYear / Double(specification.organisations.count)
        let scale = Double(volumePercent) / 100
        let traffic = try organisations.map { code in
            let known =
                try specification.organisations.first { $0.organisation == code }
                ?? OrganisationTraffic(
                    organisation: code,
                    callsPerYear: [
                        .gold: typicalCallsPerYear * TrafficProfile.pooledGoldShare,
                        .silver: typicalCallsPerYear * (1 - TrafficProfile.pooledGoldShare),
                    ],
                    talk: TrafficProfile.enfieldTalk, wrap: TrafficProfile.enfieldWrap,
                    patience: TrafficProfile.enfieldPatience)
            return try OrganisationTraffic(
                organisation: code,
                callsPerYear: known.callsPerYear.filter { known.callsPerMonth[$0.key] == nil }.mapValues { $0 * scale },
                callsPerMonth: known.callsPerMonth.mapValues { $0.map { $0 * scale } }, talk: known.talk,
                wrap: known.wrap, patience: known.patience, optionMix: known.optionMix)
        }
        return try TrafficProfile(organisations: traffic, shape: specification.shape)
    }

    /// `load.handlersPerSite` at every site and hour when the runbook gives it; otherwise the incumbent's schedule
    /// (`StaffingSchedule.incumbent`) at `load.volumePercent`, shared over `sites`.
    static func staffing(sites: [String], load: DrillDefinition.Load) -> StaffingSchedule {
        if load.handlersPerSiteGiven {
            let flat = Array(repeating: load.handlersPerSite, count: 24)
            return StaffingSchedule(sites: sites.map { .init(site: $0, teams: [.init(weekday: flat, weekend: flat)]) })
        }
        return StaffingSchedule.incumbent.scaled(percent: load.volumePercent).split(over: sites)
    }

    /// The most handlers the incumbent schedule at `volumePercent`, shared over `sites`, puts on shift at one site
    /// in any hour.
    static func mostScheduledHandlers(sites: [String], volumePercent: Int) -> Int {
        StaffingSchedule.incumbent.scaled(percent: volumePercent).split(over: sites).sites.flatMap { site in
            site.teams.flatMap { $0.weekday + $0.weekend }
        }.max() ?? 0
    }

    /// Calls the specification's profile at `volumePercent` offers in the busiest hour of a drill of
    /// `drillSeconds` from `startHour`, over the specification's organisations.
    static func busiestCallsPerHour(startHour: Int, drillSeconds: Double, volumePercent: Int) -> Double {
        let profile = TrafficProfile.specification
        let hours = Int((max(drillSeconds, 0) / 3_600).rounded(.up)) + 1
        var busiest = 0.0
        for step in 0..<max(hours, 1) {
            let absoluteHour = startHour + step
            let day = absoluteHour / 24
            let weekend = (startWeekday + day) % 7 >= 5
            let month = TrafficProfile.month(ofDayOfYear: startDayOfYear + day)
            var calls = 0.0
            for index in profile.organisations.indices {
                for standard in ServiceStandard.allCases {
                    calls += profile.callsPerHour(
                        organisation: index, standard: standard, month: month, weekend: weekend,
                        hour: absoluteHour % 24)
                }
            }
            busiest = max(busiest, calls)
        }
        return busiest * Double(volumePercent) / 100
    }
}

/// Where new calls go, for the model's `@Sendable` routing: the runner's current table, replaced at each advance,
/// and a seeded generator for the weighted draw, so one seed gives the same placement.
final class RoutingBox: Sendable {
    private struct State {
        var table = RoutingTable(answers: [:])
        var random: SplitMix64
    }

    private let state: Mutex<State>

    init(seed: UInt64) {
        // Not the model's own seed: the model's generator is SplitMix64 too, and the two must not draw alike.
        state = Mutex(State(random: SplitMix64(seed: seed ^ 0x5EED_0F_20_D1_11_A7)))
    }

    func set(_ table: RoutingTable) {
        state.withLock { $0.table = table }
    }

    /// The index in `request.sites` of a site with a share of the call, drawn by share among the sites taking
    /// calls (a site taking none passes its share on); nil when none has a share: the call is lost to failure.
    ///
    /// As `SteadyTrafficSource` does, the call distributor offers the call where a handler trained for its
    /// organisation is free now, in routing's proportions, and queues it by the same proportions when none is.
    func route(_ request: RoutingRequest) -> Int? {
        state.withLock { state in
            let unit = state.random.nextUnit()
            let sites = Dictionary(request.sites.map { ($0.site.rawValue, $0) }) { first, _ in first }
            let shares = state.table.shares(organisation: request.organisation.rawValue, standard: request.standard)
                .filter { sites[$0.site]?.takingCalls ?? false }
            let free = shares.filter { (sites[$0.site]?.freeHandlers ?? 0) > 0 }
            guard let site = RoutingTable.pick(free.isEmpty ? shares : free, unit: unit) else { return nil }
            return request.sites.firstIndex { $0.site.rawValue == site }
        }
    }
}

/// Chooses a catalogue Service Option for each of one organisation's calls: the one the profile's option mix
/// drew when the catalogue has it at the call's Service Standard, otherwise the organisation's options at that
/// standard in turn, otherwise (it has none at that standard) all its options in turn.
struct OptionPicker {
    private let byStandard: [ServiceStandard: [String]]
    private let all: [String]
    private var turns: [ServiceStandard: Int] = [:]
    private let standards: [String: ServiceStandard]

    init(_ organisation: ParticipatingOrganisation) {
        all = organisation.options.map(\.code.rawValue)
        standards = Dictionary(organisation.options.map { ($0.code.rawValue, $0.standard) }) { first, _ in first }
        byStandard = Dictionary(grouping: organisation.options, by: \.standard).mapValues { $0.map(\.code.rawValue) }
    }

    mutating func pick(_ standard: ServiceStandard, suggested: ServiceOptionCode?) -> String {
        if let suggested = suggested?.rawValue, standards[suggested] == standard {
            return suggested
        }
        let candidates = byStandard[standard] ?? all
        let turn = turns[standard, default: 0]
        turns[standard] = turn + 1
        return candidates[turn % candidates.count]
    }
}
