import Domain
import Foundation

/// Everything one run needs: traffic, staffing, events, how long, and where calls go.
public struct SimulationConfiguration: Sendable {
    public var profile: TrafficProfile
    public var staffing: StaffingSchedule
    public var events: [ScheduledEvent]
    public var days: Int
    /// Day of a common year the run starts on (0 = 1 January), for the organisations' monthly volumes.
    public var startDayOfYear: Int
    /// Weekday of the first day: 0 Monday … 6 Sunday. The run starts at 00:00 local time.
    public var startWeekday: Int
    public var routing: SimulatedRouting

    public init(
        profile: TrafficProfile = .specification, staffing: StaffingSchedule = .incumbent,
        events: [ScheduledEvent] = [], days: Int, startDayOfYear: Int = 0, startWeekday: Int = 0,
        routing: @escaping SimulatedRouting = DefaultRouting.mostFreeTrainedHandlers
    ) {
        self.profile = profile
        self.staffing = staffing
        self.events = events
        self.days = days
        self.startDayOfYear = startDayOfYear
        self.startWeekday = startWeekday
        self.routing = routing
    }
}

/// One thing that happened to one call during a step, for a driver that replays calls against real nodes.
public struct CallTransition: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case arrived, answered, abandoned
        /// Ended unanswered by a failure: no site could take it, or its site lost telephony.
        case lostToFailure
    }

    public let kind: Kind
    /// The call's number in this run, from 0.
    public let call: Int
    public let timeSeconds: Double
    public let organisation: OrganisationCode
    public let standard: ServiceStandard
    /// The Service Option, where the profile gives the organisation's mix.
    public let option: ServiceOptionCode?
    public let site: SiteCode?
    /// Time waited so far (0 on arrival).
    public let waitSeconds: Double
}

/// What happened between two instants of simulated time.
public struct SimulationStep: Sendable {
    public let fromSeconds: Double
    public let toSeconds: Double
    public let transitions: [CallTransition]
    /// True when more than `DrillLimits.transitionsPerStepMax` happened and the rest were not listed.
    public let truncated: Bool
}

/// A deterministic discrete-event model of the shared call centre: calls arrive per the profile, are routed to a
/// site, queue there by Service Standard priority (7.1.5: Platinum, Gold, Silver, Bronze), are answered by
/// handlers trained for their organisation, or abandoned when kept waiting past their caller's patience.
///
/// Pure: time only moves when `advance(to:)` or `run()` is called, and one seed drives every random draw.
public struct CallCentreSimulation: Sendable {
    public let configuration: SimulationConfiguration
    public let seed: UInt64
    public let sites: [SiteCode]
    public let runSeconds: Double
    public private(set) var nowSeconds = 0.0

    private var random: SeededRandom
    private var heap = EventHeap()
    private var calls: [CallRecord] = []
    private var cells: [TrafficFigures]
    private var teams: [TeamState] = []
    /// Team indices per site, narrowest skills first, so generalists stay free for calls only they can take.
    private var siteTeams: [[Int]]
    private var siteStates: [SiteState]
    private var streams: [Stream] = []
    private var streamRatesPerSecond: [Double] = []
    private var totalRatePerSecond = 0.0
    private var surgeMultipliers: [Double]
    private var arrivalGeneration: UInt64 = 0
    private var hour = 0
    private var weekend = false
    private var month = 0
    private var callsCapped = false
    private var firstEventSeconds: Double
    private var lastEventSeconds: Double
    /// End of the last scheduled event, or nil without any.
    private let scheduledLastEventSeconds: Double?
    /// Events begun by `begin(_:)` and not yet ended, in the order they began.
    private var liveEvents: [ScheduledEvent.Kind] = []
    private var liveEventsBegun = false
    private var recording = false
    private var transitions: [CallTransition] = []
    private var transitionsTruncated = false

    public init(configuration: SimulationConfiguration, seed: UInt64) throws {
        DrillLimits.checkRelations()
        let profile = configuration.profile
        guard (1...DrillLimits.runDaysMax).contains(configuration.days) else {
            throw DrillError(
                .invalidRun, "\(configuration.days) days is not valid: give 1 to \(DrillLimits.runDaysMax)")
        }
        guard (0..<365).contains(configuration.startDayOfYear) else {
            throw DrillError(
                .invalidRun, "start day \(configuration.startDayOfYear) is not valid: give 0 (1 January) to 364")
        }
        guard (0..<7).contains(configuration.startWeekday) else {
            throw DrillError(
                .invalidRun, "start weekday \(configuration.startWeekday) is not valid: give 0 (Monday) to 6 (Sunday)")
        }
        guard configuration.events.count <= DrillLimits.eventsPerRunMax else {
            throw DrillError(
                .tooLarge,
                "\(configuration.events.count) events is too many for one run: at most \(DrillLimits.eventsPerRunMax)")
        }
        let siteCodes = try configuration.staffing.validated(for: profile)
        runSeconds = Double(configuration.days) * 86_400
        for event in configuration.events {
            try event.validate(runSeconds: runSeconds, sites: siteCodes, profile: profile)
        }
        self.configuration = configuration
        self.seed = seed
        sites = siteCodes
        random = SeededRandom(seed: seed)
        cells = Array(repeating: TrafficFigures(), count: FigureIndex.count(organisations: profile.organisations.count))
        surgeMultipliers = Array(repeating: 1, count: profile.organisations.count)
        siteStates = Array(repeating: SiteState(), count: siteCodes.count)
        siteTeams = Array(repeating: [], count: siteCodes.count)
        firstEventSeconds = configuration.events.map(\.startSeconds).min() ?? .infinity
        lastEventSeconds = configuration.events.map(\.endSeconds).max() ?? .infinity
        scheduledLastEventSeconds = configuration.events.map(\.endSeconds).max()

        for (siteIndex, site) in configuration.staffing.sites.enumerated() {
            for team in site.teams {
                var skills: UInt64 = 0
                if let codes = team.skills {
                    for code in codes {
                        // Validated above: every skill is an organisation of the profile.
                        if let index = profile.index(of: try OrganisationCode(code)) { skills |= 1 << UInt64(index) }
                    }
                } else {
                    skills = profile.organisations.count == 64 ? .max : (1 << UInt64(profile.organisations.count)) - 1
                }
                siteTeams[siteIndex].append(teams.count)
                teams.append(TeamState(site: siteIndex, skills: skills, weekday: team.weekday, weekend: team.weekend))
            }
            siteTeams[siteIndex].sort { teams[$0].skills.nonzeroBitCount < teams[$1].skills.nonzeroBitCount }
        }
        for (organisation, traffic) in profile.organisations.enumerated() {
            for standard in ServiceStandard.allCases where (traffic.callsPerYear[standard] ?? 0) > 0 {
                streams.append(Stream(organisation: organisation, standard: standard))
            }
        }
        streamRatesPerSecond = Array(repeating: 0, count: streams.count)
        let expected = expectedCalls()
        guard expected <= Double(DrillLimits.callsPerRunMax) * 0.9 else {
            throw DrillError(
                .tooLarge,
                "this run would generate about \(Int(expected)) calls; one run may have at most "
                    + "\(DrillLimits.callsPerRunMax): run fewer days or a smaller surge")
        }
        calls.reserveCapacity(Int(expected * 1.1) + 16)

        for (index, event) in configuration.events.enumerated() {
            heap.push(time: event.startSeconds, .eventStarts(Int32(index)))
            heap.push(time: event.endSeconds, .eventEnds(Int32(index)))
        }
        heap.push(time: 0, .hourBoundary)
    }

    /// Runs to `timeSeconds` and lists what happened to calls on the way; a driver steps a few seconds at a time.
    /// What an event begun or ended since the last step did at once (a telephony loss cuts off the calls queued
    /// there; handlers back from a power failure answer the queue) comes first, at the time it happened.
    public mutating func advance(to timeSeconds: Double) throws -> SimulationStep {
        guard timeSeconds.isFinite, timeSeconds >= nowSeconds, timeSeconds <= runSeconds else {
            throw DrillError(
                .invalidRun,
                "cannot advance to \(timeSeconds) s: give a time from now (\(nowSeconds) s) "
                    + "to the run's end (\(runSeconds) s)"
            )
        }
        let from = nowSeconds
        recording = true
        process(until: timeSeconds)
        recording = false
        defer {
            transitions = []
            transitionsTruncated = false
        }
        return SimulationStep(
            fromSeconds: from, toSeconds: timeSeconds, transitions: transitions, truncated: transitionsTruncated)
    }

    /// Runs to the end and returns the report.
    public mutating func run() -> TrafficReport {
        process(until: runSeconds)
        return report()
    }

    /// The figures so far, with calls still waiting counted as waiting.
    public func report() -> TrafficReport {
        var cells = cells
        for site in siteStates {
            for queue in site.queues {
                for call in queue where calls[Int(call)].state == .waiting {
                    cells[Int(calls[Int(call)].cell)].waiting += 1
                }
            }
        }
        return TrafficReport(
            cells: cells, organisations: configuration.profile.organisations.map(\.organisation),
            hasEvents: !configuration.events.isEmpty || liveEventsBegun, callsCapped: callsCapped)
    }

    /// Calls generated so far.
    public var callCount: Int { calls.count }

    /// Handlers on shift at `site` now, busy or free: the schedule for the hour after any shortage or power failure.
    /// A handler finishing a call before going off shift is no longer counted. 0 for a site the run does not staff.
    public func handlersOnShift(site code: SiteCode) -> Int {
        guard let site = sites.firstIndex(of: code) else { return 0 }
        return siteTeams[site].reduce(0) { $0 + teams[$1].onShift }
    }

    // MARK: - Events begun and ended while the run is in progress

    /// Events begun by `begin(_:)` and not yet ended.
    public var eventsInProgress: [ScheduledEvent.Kind] { liveEvents }

    /// Starts `kind` now, for a driver whose faults arrive while the run is in progress (a drill's fault, 8.6);
    /// it acts as a scheduled event starting at `nowSeconds` would, and lasts until `end(_:)` is given the same kind.
    ///
    /// Checked as scheduled events are: a site the staffing does not have, an organisation the profile does not have,
    /// a surge multiplier or staffing percent out of range is refused, and nothing changes.
    public mutating func begin(_ kind: ScheduledEvent.Kind) throws {
        try ScheduledEvent.validate(kind, sites: sites, profile: configuration.profile)
        guard liveEvents.count < DrillLimits.eventsPerRunMax else {
            throw DrillError(
                .tooLarge,
                "\(liveEvents.count) events are already in progress: at most \(DrillLimits.eventsPerRunMax); "
                    + "end one before beginning another")
        }
        liveEvents.append(kind)
        liveEventsBegun = true
        // The report's windows: "during" from the first event's start while any event is in progress.
        firstEventSeconds = min(firstEventSeconds, nowSeconds)
        lastEventSeconds = .infinity
        // Kept for the next `advance(to:)` to return.
        recording = true
        apply(kind, starting: true)
        recording = false
    }

    /// Ends an event begun by `begin(_:)` now; an event not in progress is refused, and nothing changes.
    public mutating func end(_ kind: ScheduledEvent.Kind) throws {
        guard let index = liveEvents.firstIndex(of: kind) else {
            let open =
                liveEvents.isEmpty ? "none is" : "in progress: " + liveEvents.map(\.description).joined(separator: "; ")
            throw DrillError(.invalidEvent, "cannot end \(kind): it was not begun with begin(_:) (\(open))")
        }
        liveEvents.remove(at: index)
        if liveEvents.isEmpty { lastEventSeconds = max(scheduledLastEventSeconds ?? nowSeconds, nowSeconds) }
        recording = true
        apply(kind, starting: false)
        recording = false
    }

    // MARK: - The event loop

    private mutating func process(until limit: Double) {
        while let next = heap.peekTime, next <= limit {
            let event = heap.pop()
            nowSeconds = event.time
            switch event.kind {
            case .hourBoundary: hourBoundary()
            case .arrival(let generation): if generation == arrivalGeneration { arrival() }
            case .patienceEnds(let call): patienceEnds(Int(call))
            case .handlerFree(let team): handlerFree(Int(team))
            case .eventStarts(let index): eventChanges(Int(index), starting: true)
            case .eventEnds(let index): eventChanges(Int(index), starting: false)
            }
        }
        nowSeconds = limit
    }

    private mutating func hourBoundary() {
        let day = Int(nowSeconds / 86_400)
        hour = Int((nowSeconds - Double(day) * 86_400) / 3_600)
        weekend = (configuration.startWeekday + day) % 7 >= 5
        month = TrafficProfile.month(ofDayOfYear: configuration.startDayOfYear + day)
        recomputeRates()
        for site in siteStates.indices { applyStaffing(site: site) }
        let next = (nowSeconds / 3_600).rounded(.down) * 3_600 + 3_600
        if next < runSeconds { heap.push(time: next, .hourBoundary) }
        scheduleNextArrival()
    }

    private mutating func recomputeRates() {
        totalRatePerSecond = 0
        for (index, stream) in streams.enumerated() {
            let perHour = configuration.profile.callsPerHour(
                organisation: stream.organisation, standard: stream.standard, month: month, weekend: weekend,
                hour: hour)
            let rate = perHour * surgeMultipliers[stream.organisation] / 3_600
            streamRatesPerSecond[index] = rate
            totalRatePerSecond += rate
        }
    }

    /// Draws the next arrival at the current total rate; rates are constant until the next hour boundary or event,
    /// and arrivals are memoryless, so a draw past that point is dropped and redrawn there.
    private mutating func scheduleNextArrival() {
        arrivalGeneration &+= 1
        guard totalRatePerSecond > 0, !callsCapped else { return }
        let next = nowSeconds + random.exponential(meanSeconds: 1 / totalRatePerSecond)
        let hourEnd = (nowSeconds / 3_600).rounded(.down) * 3_600 + 3_600
        if next < hourEnd, next < runSeconds { heap.push(time: next, .arrival(arrivalGeneration)) }
    }

    private mutating func arrival() {
        defer { scheduleNextArrival() }
        guard calls.count < DrillLimits.callsPerRunMax else {
            callsCapped = true
            return
        }
        var pick = random.unit() * totalRatePerSecond
        var streamIndex = streams.count - 1
        for (index, rate) in streamRatesPerSecond.enumerated() {
            if pick < rate {
                streamIndex = index
                break
            }
            pick -= rate
        }
        let stream = streams[streamIndex]
        let traffic = configuration.profile.organisations[stream.organisation]
        var option: Int16 = -1
        if !traffic.optionMix.isEmpty {
            var draw = random.unit()
            for (index, share) in traffic.optionMix.enumerated() {
                if draw < share.share {
                    option = Int16(index)
                    break
                }
                draw -= share.share
            }
        }
        let window: ReportWindow =
            nowSeconds < firstEventSeconds ? .before : nowSeconds < lastEventSeconds ? .during : .after
        let cell = FigureIndex.of(
            organisation: stream.organisation, standard: stream.standard, window: window, weekend: weekend, hour: hour)
        let callIndex = calls.count
        calls.append(
            CallRecord(
                organisation: Int32(stream.organisation), standard: stream.standard, site: -1,
                arrivalSeconds: nowSeconds, state: .waiting, cell: Int32(cell), option: option))
        cells[cell].offered += 1

        let request = RoutingRequest(
            organisation: traffic.organisation, standard: stream.standard,
            sites: sites.indices.map { snapshot(site: $0, organisation: stream.organisation) })
        guard let site = configuration.routing(request), sites.indices.contains(site), siteStates[site].takingCalls
        else {
            note(.arrived, call: callIndex, wait: 0)
            end(callIndex, as: .lostToFailure)
            return
        }
        calls[callIndex].site = Int32(site)
        note(.arrived, call: callIndex, wait: 0)
        let bit: UInt64 = 1 << UInt64(stream.organisation)
        if let team = siteTeams[site].first(where: { teams[$0].free > 0 && teams[$0].skills & bit != 0 }) {
            answer(callIndex, by: team)
            return
        }
        siteStates[site].queues[stream.standard.priority].append(Int32(callIndex))
        siteStates[site].waiting += 1
        heap.push(time: nowSeconds + traffic.patience.sample(&random), .patienceEnds(Int32(callIndex)))
    }

    private func snapshot(site: Int, organisation: Int) -> SiteSnapshot {
        let bit: UInt64 = 1 << UInt64(organisation)
        var onShift = 0
        var free = 0
        for team in siteTeams[site] where teams[team].skills & bit != 0 {
            onShift += teams[team].onShift
            free += teams[team].free
        }
        return SiteSnapshot(
            site: sites[site], takingCalls: siteStates[site].takingCalls, handlersOnShift: onShift,
            freeHandlers: free, callsWaiting: siteStates[site].waiting)
    }

    private mutating func answer(_ callIndex: Int, by team: Int) {
        teams[team].free -= 1
        teams[team].busy += 1
        let call = calls[callIndex]
        let wait = nowSeconds - call.arrivalSeconds
        calls[callIndex].state = .answered
        let cell = Int(call.cell)
        cells[cell].answered += 1
        cells[cell].answeredWaitSecondsTotal += wait
        cells[cell].waitSecondsMax = max(cells[cell].waitSecondsMax, wait)
        // Platinum has no percentage in the specification (2.1.2 b, i: "without delay"); Gold's 20 s is used.
        let threshold = Double(call.standard.thresholds.answeredWithinSeconds ?? 20)
        if wait <= threshold { cells[cell].answeredWithinThreshold += 1 }
        note(.answered, call: callIndex, wait: wait)
        let traffic = configuration.profile.organisations[Int(call.organisation)]
        let busySeconds = traffic.talk.sample(&random) + traffic.wrap.sample(&random)
        heap.push(time: nowSeconds + busySeconds, .handlerFree(Int32(team)))
    }

    private mutating func end(_ callIndex: Int, as kind: CallTransition.Kind) {
        let call = calls[callIndex]
        let wait = nowSeconds - call.arrivalSeconds
        calls[callIndex].state = .abandoned
        let cell = Int(call.cell)
        cells[cell].abandoned += 1
        if wait < 20 { cells[cell].abandonedUnder20Seconds += 1 } else { cells[cell].abandoned20SecondsOrMore += 1 }
        if kind == .lostToFailure { cells[cell].lostToFailure += 1 }
        cells[cell].waitSecondsMax = max(cells[cell].waitSecondsMax, wait)
        note(kind, call: callIndex, wait: wait)
    }

    private mutating func patienceEnds(_ callIndex: Int) {
        guard calls[callIndex].state == .waiting else { return }
        siteStates[Int(calls[callIndex].site)].waiting -= 1
        end(callIndex, as: .abandoned)
    }

    private mutating func handlerFree(_ team: Int) {
        teams[team].busy -= 1
        if teams[team].leaving > 0 {
            teams[team].leaving -= 1
        } else {
            teams[team].free += 1
            dispatch(team: team)
        }
    }

    /// Gives free handlers of a team the longest-waiting calls of the highest priority they are trained for.
    private mutating func dispatch(team: Int) {
        let site = teams[team].site
        let skills = teams[team].skills
        while teams[team].free > 0, siteStates[site].waiting > 0 {
            guard let call = takeNextCall(site: site, skills: skills) else { return }
            siteStates[site].waiting -= 1
            answer(call, by: team)
        }
    }

    private mutating func takeNextCall(site: Int, skills: UInt64) -> Int? {
        for priority in 0..<4 {
            var scanned = 0
            var position = siteStates[site].heads[priority]
            let queue = siteStates[site].queues[priority]
            while position < queue.count, scanned < DrillLimits.queueScanMax {
                let call = Int(queue[position])
                if calls[call].state != .waiting {
                    // Abandoned while queued: drop it from the front; elsewhere it is skipped.
                    if position == siteStates[site].heads[priority] { siteStates[site].heads[priority] += 1 }
                } else if skills & (1 << UInt64(calls[call].organisation)) != 0 {
                    if position == siteStates[site].heads[priority] { siteStates[site].heads[priority] += 1 }
                    siteStates[site].compact(priority)
                    return call
                } else {
                    scanned += 1
                }
                position += 1
            }
            siteStates[site].compact(priority)
        }
        return nil
    }

    private mutating func applyStaffing(site: Int) {
        let percent = siteStates[site].staffingPercent
        for team in siteTeams[site] {
            let scheduled = (weekend ? teams[team].weekend : teams[team].weekday)[hour]
            let target = (scheduled * percent + 50) / 100
            let current = teams[team].onShift
            if target > current {
                let cancelled = min(teams[team].leaving, target - current)
                teams[team].leaving -= cancelled
                teams[team].free += target - current - cancelled
            } else if target < current {
                let fromFree = min(teams[team].free, current - target)
                teams[team].free -= fromFree
                // Busy handlers finish their call, then go.
                teams[team].leaving += current - target - fromFree
            }
        }
        for team in siteTeams[site] { dispatch(team: team) }
    }

    private mutating func eventChanges(_ index: Int, starting: Bool) {
        apply(configuration.events[index].kind, starting: starting)
    }

    /// What an event does to the service when it starts or ends, scheduled or begun while running.
    private mutating func apply(_ kind: ScheduledEvent.Kind, starting: Bool) {
        let change = starting ? 1 : -1
        switch kind {
        case .powerFailure(let code):
            let site = siteIndex(code)
            siteStates[site].powerFailures += change
            applyStaffing(site: site)
        case .draining(let code):
            siteStates[siteIndex(code)].drains += change
        case .telephonyLost(let code):
            let site = siteIndex(code)
            siteStates[site].telephonyLosses += change
            if starting { cutOffWaitingCalls(site: site) }
        case .surge(let organisation, let multiplier):
            // Validated: the organisation is in the profile.
            let index = configuration.profile.index(of: organisation) ?? 0
            if starting { surgeMultipliers[index] *= multiplier } else { surgeMultipliers[index] /= multiplier }
            recomputeRates()
            scheduleNextArrival()
        case .handlerShortage(let code, let percent):
            let site = siteIndex(code)
            if starting {
                siteStates[site].shortagePercents.append(percent)
            } else if let found = siteStates[site].shortagePercents.firstIndex(of: percent) {
                siteStates[site].shortagePercents.remove(at: found)
            }
            applyStaffing(site: site)
        }
    }

    private mutating func cutOffWaitingCalls(site: Int) {
        for priority in 0..<4 {
            let queue = siteStates[site].queues[priority]
            for position in siteStates[site].heads[priority]..<queue.count
            where calls[Int(queue[position])].state == .waiting {
                end(Int(queue[position]), as: .lostToFailure)
            }
            siteStates[site].queues[priority] = []
            siteStates[site].heads[priority] = 0
        }
        siteStates[site].waiting = 0
    }

    private func siteIndex(_ code: SiteCode) -> Int {
        // Validated: every event's site is in the staffing schedule.
        sites.firstIndex(of: code) ?? 0
    }

    private mutating func note(_ kind: CallTransition.Kind, call index: Int, wait: Double) {
        guard recording else { return }
        guard transitions.count < DrillLimits.transitionsPerStepMax else {
            transitionsTruncated = true
            return
        }
        let call = calls[index]
        let traffic = configuration.profile.organisations[Int(call.organisation)]
        transitions.append(
            CallTransition(
                kind: kind, call: index, timeSeconds: nowSeconds, organisation: traffic.organisation,
                standard: call.standard, option: call.option >= 0 ? traffic.optionMix[Int(call.option)].option : nil,
                site: call.site >= 0 ? sites[Int(call.site)] : nil, waitSeconds: wait))
    }

    /// Calls the profile, surges included, is expected to generate over the run (an upper bound when surges
    /// overlap differently from how they are multiplied here).
    private func expectedCalls() -> Double {
        let profile = configuration.profile
        var total = 0.0
        for day in 0..<configuration.days {
            let isWeekend = (configuration.startWeekday + day) % 7 >= 5
            let dayMonth = TrafficProfile.month(ofDayOfYear: configuration.startDayOfYear + day)
            for hourOfDay in 0..<24 {
                for stream in streams {
                    total += profile.callsPerHour(
                        organisation: stream.organisation, standard: stream.standard, month: dayMonth,
                        weekend: isWeekend, hour: hourOfDay)
                }
            }
        }
        for event in configuration.events {
            if case .surge(let organisation, let multiplier) = event.kind, multiplier > 1,
                let index = profile.index(of: organisation)
            {
                let share = profile.organisations[index].totalCallsPerYear / max(profile.totalCallsPerYear, 1)
                let hours = (event.endSeconds - event.startSeconds) / 3_600
                // At most the busiest hour's rate for the whole service, times the organisation's share.
                let busiestPerHour = total / Double(configuration.days * 24) * 4
                total += busiestPerHour * share * (multiplier - 1) * hours
            }
        }
        return total
    }
}

// MARK: - State

private struct Stream: Sendable {
    let organisation: Int
    let standard: ServiceStandard
}

private enum CallState: UInt8, Sendable {
    case waiting, answered, abandoned
}

private struct CallRecord: Sendable {
    let organisation: Int32
    let standard: ServiceStandard
    var site: Int32
    let arrivalSeconds: Double
    var state: CallState
    /// Index of the report cell the call counts in (its organisation, standard, window and arrival hour).
    let cell: Int32
    /// Index into the organisation's option mix, or -1.
    let option: Int16
}

private struct TeamState: Sendable {
    let site: Int
    let skills: UInt64
    let weekday: [Int]
    let weekend: [Int]
    var free = 0
    var busy = 0
    /// Busy handlers who go off shift when their call ends.
    var leaving = 0

    init(site: Int, skills: UInt64, weekday: [Int], weekend: [Int]) {
        self.site = site
        self.skills = skills
        self.weekday = weekday
        self.weekend = weekend
    }

    var onShift: Int { free + busy - leaving }
}

private struct SiteState: Sendable {
    var drains = 0
    var telephonyLosses = 0
    var powerFailures = 0
    var shortagePercents: [Int] = []
    /// Queued calls by priority (7.1.5); entries before `heads` are gone, later ones may have been abandoned.
    var queues: [[Int32]] = [[], [], [], []]
    var heads = [0, 0, 0, 0]
    var waiting = 0

    var takingCalls: Bool { drains == 0 && telephonyLosses == 0 }
    var staffingPercent: Int { powerFailures > 0 ? 0 : shortagePercents.min() ?? 100 }

    /// Drops the consumed front of a queue once it is large, so a year's run keeps queues small.
    mutating func compact(_ priority: Int) {
        let head = heads[priority]
        guard head >= 1_024, head * 2 >= queues[priority].count else { return }
        queues[priority].removeFirst(head)
        heads[priority] = 0
    }
}

private enum PendingKind: Sendable {
    case hourBoundary
    case arrival(UInt64)
    case patienceEnds(Int32)
    case handlerFree(Int32)
    case eventStarts(Int32)
    case eventEnds(Int32)
}

private struct PendingEvent: Sendable {
    let time: Double
    let sequence: UInt64
    let kind: PendingKind
}

/// A binary min-heap by time, ties broken by insertion order so a seed always gives the same run.
private struct EventHeap: Sendable {
    private var items: [PendingEvent] = []
    private var sequence: UInt64 = 0

    var peekTime: Double? { items.first?.time }

    private func before(_ a: PendingEvent, _ b: PendingEvent) -> Bool {
        a.time < b.time || (a.time == b.time && a.sequence < b.sequence)
    }

    mutating func push(time: Double, _ kind: PendingKind) {
        sequence += 1
        items.append(PendingEvent(time: time, sequence: sequence, kind: kind))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard before(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> PendingEvent {
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < items.count else { break }
                var child = left
                if left + 1 < items.count, before(items[left + 1], items[left]) { child = left + 1 }
                guard before(items[child], items[parent]) else { break }
                items.swapAt(child, parent)
                parent = child
            }
        }
        return top
    }
}
