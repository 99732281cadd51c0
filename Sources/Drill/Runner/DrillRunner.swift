import Domain
import Foundation
import Node

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs one drill against a cluster: starts or attaches to its nodes, drives dummy calls through the phases,
/// injects the fault and returns to normal, then measures detection, traffic movement, RPO and service levels.
///
/// Everything the drill does to the cluster is what its operators and its failures do: handlers signing in and
/// out (the traffic model's staffing), calls logged through the store's write path, routing asked of a running
/// node (`LiveRouting`), SIGKILL for a power failure, the links cut for a WAN cut, `nightdesk site evacuate` and
/// `site return` for an evacuation, and a manual split at every node for a telephony failure.
public final class DrillRunner {
    public let runbook: Runbook
    public let cluster: LocalCluster
    public let catalogue: Catalogue
    private let source: any TrafficSource
    private let router: any CallRouting
    private let observer: ClusterObserver
    private let writer: DrillWriter
    private let stores: ClusterStores
    /// Progress lines for the tester (stdout of `drill run`).
    private let say: (String) -> Void
    /// The running `site evacuate` command, while the evacuation is in progress.
    private var evacuation: RunningCommand?
    private var evacuationSeconds: Double?
    private var evacuationReport: String?
    /// The manual splits a telephony failure replaced, per site, to put back on the return.
    private var replacedSplits: [String: ManualSplit?] = [:]
    private var usedSIGSTOP = false
    /// Asked every tick: true when the tester interrupted the drill (Ctrl-C), which then returns to normal at once.
    public var interruption: @Sendable () -> Bool = { false }

    private var definition: DrillDefinition { runbook.definition }

    /// `source` is the runbook's traffic model (`makeTrafficSource`); `router` defaults to the nodes' live routing.
    public init(
        runbook: Runbook, cluster: LocalCluster, catalogue: Catalogue, source: any TrafficSource,
        router: (any CallRouting)? = nil, say: @escaping (String) -> Void = { _ in }
    ) {
        self.runbook = runbook
        self.cluster = cluster
        self.catalogue = catalogue
        let dataPaths = Dictionary(uniqueKeysWithValues: cluster.sites.map { ($0.code, $0.dataPath) })
        observer = ClusterObserver(dataPaths: dataPaths)
        stores = ClusterStores(dataPaths: dataPaths)
        self.source = source
        self.router = router ?? LiveRouting(sites: runbook.definition.sites, stores: stores, catalogue: catalogue)
        writer = DrillWriter(stores: stores, trained: catalogue.organisations.map(\.code.rawValue))
        self.say = say
    }

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Signs in the model's handlers at every site and waits until every node sees every other connected and
    /// routing gives every site a share of calls; false after `seconds`.
    public func waitUntilReady(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        let sites = definition.sites
        for site in sites { writer.staff(site, count: source.handlersOnShift(site), at: Date()) }
        guard writer.failures.isEmpty else { return false }
        repeat {
            let now = Self.nowMs()
            if sites.allSatisfy({ site in
                observer.everySurvivorSeesUp(site, survivors: sites.filter { $0 != site }, nowMs: now)
            }), router.table(nowMs: now).sitesTakingCalls == Set(sites) {
                return true
            }
            usleep(200_000)
        } while Date() < deadline
        return false
    }

    /// Whether the runner may write at `site` now: not while its node is dead or frozen.
    private func writable(_ site: String, faultActive: Bool) -> Bool {
        guard faultActive, site == definition.fault.site else { return true }
        switch definition.fault {
        case .powerFailure: return false
        case .wanCut: return !usedSIGSTOP
        default: return true
        }
    }

    /// Runs the drill; the cluster's nodes must be running and connected (`waitUntilReady`).
    public func run() -> DrillResult {
        let sites = definition.sites
        let fault = definition.fault
        let faultSite = fault.site
        let survivors = sites.filter { $0 != faultSite }
        var notes: [String] = []
        var failures: [String] = []
        let startedAt = Date()
        func wall() -> Double { Date().timeIntervalSince(startedAt) }

        var outcomes: [Int: DrillResult.CallOutcome] = [:]
        var injectedAt: Double?
        var returnedAt: Double?
        var detection: Double?
        var moved: Double?
        var rejoin: Double?
        var missingAtFaultEnd: [String]?
        var routingProblems: Set<String> = []
        var routingSamples: [DrillResult.RoutingSample] = []
        let faultMethod = method(of: fault)

        say("drill \(definition.name): \(sites.joined(separator: ", ")) · fault \(fault) · "
            + String(format: "%.0f s before, %.0f s fault, %.0f s after (wall clock)", definition.faultStartWallSeconds,
                definition.faultEndWallSeconds - definition.faultStartWallSeconds,
                definition.endWallSeconds - definition.faultEndWallSeconds))
        var interruptedAt: Double?
        while true {
            let now = wall()
            if interruptedAt == nil, interruption() {
                interruptedAt = now
                say(String(format: "%6.1f s  interrupted: returning to normal and reporting what was measured", now))
                failures.append(String(format: "the drill was interrupted after %.1f s of %.1f s", now, definition.endWallSeconds))
                if injectedAt != nil, returnedAt == nil {
                    if let problem = returnToNormal(fault) { failures.append(problem) }
                    returnedAt = now
                }
            }
            if injectedAt == nil, interruptedAt == nil, now >= definition.faultStartWallSeconds {
                say(String(format: "%6.1f s  fault: ", now) + "\(fault) (\(faultMethod))")
                if let problem = inject(fault) { failures.append(problem) }
                injectedAt = now
            }
            if let injected = injectedAt, evacuation != nil, let problem = pollEvacuation(elapsed: now - injected) {
                failures.append(problem)
            }
            if injectedAt != nil, returnedAt == nil, now >= definition.faultEndWallSeconds {
                if fault.takesSiteOut {
                    missingAtFaultEnd = Array(Set(survivors.flatMap { writer.missing(at: $0) })).sorted()
                }
                say(String(format: "%6.1f s  return to normal", now))
                if let problem = returnToNormal(fault) { failures.append(problem) }
                returnedAt = now
            }
            let faultActive = injectedAt != nil && returnedAt == nil
            for site in sites where writable(site, faultActive: faultActive) {
                let wanted = source.handlersOnShift(site)
                if writer.signedIn[site] != wanted { writer.staff(site, count: wanted, at: Date()) }
            }
            let nowMs = Self.nowMs()
            let routing = router.table(nowMs: nowMs)
            if routing.answeredBy != nil, routingSamples.count < RunnerLimits.routingSamplesMax,
                now - (routingSamples.last?.atWallSeconds ?? -1) >= 1
            {
                routingSamples.append(DrillResult.RoutingSample(atWallSeconds: now, shares: routing.meanShares))
            }
            if let problem = routing.problem, routing.answeredBy == nil, routingProblems.insert(problem).inserted {
                say(String(format: "%6.1f s  routing could not answer: ", now) + problem)
            }
            if let injected = injectedAt, returnedAt == nil, let site = faultSite {
                if moved == nil, fault.movesTraffic, routing.answeredBy != nil, !routing.sitesTakingCalls.contains(site) {
                    moved = now - injected
                    say(String(format: "%6.1f s  traffic moved off ", now) + site
                        + String(format: " after %.1f s (routing answered by ", now - injected) + (routing.answeredBy ?? "-") + ")")
                }
                if detection == nil, detected(fault, site: site, survivors: survivors, nowMs: nowMs) {
                    detection = now - injected
                    say(String(format: "%6.1f s  every survivor sees ", now) + site + " " + fault.detectedAs
                        + String(format: " after %.1f s", now - injected))
                }
            }
            if let returned = returnedAt, rejoin == nil, fault.takesSiteOut, let site = faultSite,
                rejoined(fault, site: site, survivors: survivors, nowMs: nowMs)
            {
                rejoin = now - returned
                say(String(format: "%6.1f s  ", now) + site + String(format: " back in service with every survivor after %.1f s", now - returned))
            }
            let drillSeconds = min(now, definition.endWallSeconds) * definition.compression
            for event in source.advance(to: drillSeconds, routing: routing) {
                record(event, into: &outcomes, startedAt: startedAt, now: now)
            }
            if now >= definition.endWallSeconds || interruptedAt != nil { break }
            usleep(useconds_t(RunnerLimits.tickMs * 1_000))
        }

        // The site must be back before the RPO check counts what every site holds.
        if fault.takesSiteOut, rejoin == nil, let site = faultSite, let returned = returnedAt {
            let deadline = Date().addingTimeInterval(definition.pass.convergenceSecondsMax)
            while Date() < deadline, !rejoined(fault, site: site, survivors: survivors, nowMs: Self.nowMs()) {
                usleep(200_000)
            }
            if rejoined(fault, site: site, survivors: survivors, nowMs: Self.nowMs()) {
                rejoin = wall() - returned
                say(String(format: "%6.1f s  ", wall()) + site + String(format: " back in service with every survivor after %.1f s", rejoin!))
            } else {
                failures.append("\(site) was not back in service with every survivor within \(formatNumber(definition.pass.convergenceSecondsMax)) s of the return to normal")
            }
        }
        // Return to normal: the drill's handlers sign out wherever they signed in.
        for site in sites { writer.staff(site, count: 0, at: Date()) }
        let convergenceStart = Date()
        var missing: [String] = []
        var convergence: Double?
        repeat {
            missing = Array(Set(sites.flatMap { writer.missing(at: $0) })).sorted()
            if missing.isEmpty {
                convergence = Date().timeIntervalSince(convergenceStart)
                break
            }
            usleep(250_000)
        } while Date().timeIntervalSince(convergenceStart) < definition.pass.convergenceSecondsMax
        let missingAtSurvivors = Array(Set(survivors.flatMap { writer.missing(at: $0) })).sorted()
        say(String(format: "%6.1f s  %d writes acknowledged; %d not held by every site", wall(), writer.acknowledged.count, missing.count))

        if usedSIGSTOP {
            notes.append(
                "WAN cut approximated: this cluster's links do not run through fault proxies (an attached cluster), so "
                    + "the site's node was frozen (SIGSTOP, then SIGCONT): it neither sent nor answered anything and its "
                    + "handlers logged nothing. Run the drill without --cluster for a real cut.")
        }
        if case .telephonyFailure = fault {
            notes.append(
                "Telephony failure: calls stopped reaching the site in the traffic model at once; the runner then did what "
                    + "the runbook asks of the operators, a manual split with the site at 0% at every node.")
        }
        if let evacuationReport { notes.append("Evacuation: \(evacuationReport)") }
        if !routingProblems.isEmpty {
            notes.append("Routing could not answer at times: " + routingProblems.sorted().joined(separator: "; "))
        }
        var result = DrillResult(
            name: definition.name, title: runbook.title, scenario: definition.scenario, fault: "\(fault)",
            faultMethod: faultMethod, faultSite: faultSite, sites: sites, compression: definition.compression, startedAt: startedAt,
            faultStartWallSeconds: definition.faultStartWallSeconds, faultEndWallSeconds: definition.faultEndWallSeconds,
            endWallSeconds: definition.endWallSeconds, detectionSeconds: detection, trafficMovedSeconds: moved,
            rejoinSeconds: rejoin, evacuationSeconds: evacuationSeconds, writesAcknowledged: writer.acknowledged.count,
            missingAtSurvivorsAtFaultEnd: missingAtFaultEnd, missingAtSurvivors: missingAtSurvivors,
            missingAtSomeSite: missing, convergenceSeconds: convergence,
            calls: outcomes.values.sorted { $0.id < $1.id }, criteria: [], failures: failures + writer.failures,
            notes: notes)
        result.routing = routingSamples
        result.criteria = DrillResult.judge(result, definition.pass)
        return result
    }

    /// Whether every survivor sees what `fault` does to `site`: down for a lost site, draining or evacuated for an
    /// evacuation, in its heartbeats.
    private func detected(_ fault: DrillFault, site: String, survivors: [String], nowMs: Int64) -> Bool {
        switch fault {
        case .powerFailure, .wanCut: observer.everySurvivorSeesDown(site, survivors: survivors, nowMs: nowMs)
        case .evacuate:
            observer.everySurvivorSees(site, inState: ["draining", "evacuated"], survivors: survivors, nowMs: nowMs)
        case .telephonyFailure, .handlerShortage, .surge: false
        }
    }

    /// Whether every survivor sees `site` connected and up again after the return to normal.
    private func rejoined(_ fault: DrillFault, site: String, survivors: [String], nowMs: Int64) -> Bool {
        observer.everySurvivorSees(site, inState: ["up"], survivors: survivors, nowMs: nowMs)
    }

    private func phase(atDrillSeconds seconds: Double) -> DrillResult.Phase {
        if seconds < definition.phases.beforeSeconds { return .before }
        if seconds < definition.phases.beforeSeconds + definition.phases.faultSeconds { return .fault }
        return .after
    }

    private func record(_ event: TrafficEvent, into outcomes: inout [Int: DrillResult.CallOutcome], startedAt: Date, now: Double) {
        switch event {
        case .offered(let call):
            outcomes[call.id] = DrillResult.CallOutcome(
                id: call.id, organisation: call.organisation, option: call.option, standard: call.standard,
                site: call.site, offeredAtSeconds: call.offeredAtSeconds, outcome: .waiting, waitSeconds: nil,
                phase: phase(atDrillSeconds: call.offeredAtSeconds))
        case .answered(let call, let wait, let at):
            outcomes[call.id]?.outcome = .answered
            outcomes[call.id]?.waitSeconds = wait
            let answeredAt = startedAt.addingTimeInterval(at / definition.compression)
            writer.log(call, answeredAt: answeredAt, waitWallSeconds: wait / definition.compression, wallSeconds: now)
        case .abandoned(let call, let wait, _):
            outcomes[call.id]?.outcome = .abandoned
            outcomes[call.id]?.waitSeconds = wait
        }
    }

    private func method(of fault: DrillFault) -> String {
        switch fault {
        case .evacuate: "`nightdesk site evacuate` at the site (drain, calls, RPO 0, evacuated), `site return` on return"
        case .powerFailure: "node killed with SIGKILL, restarted with the same configuration on return"
        case .wanCut:
            cluster.hasProxiedLinks
                ? "every link to and from the site cut at its fault proxy (a black hole), healed on return"
                : "site frozen with SIGSTOP (an approximation of a WAN cut), SIGCONT on return"
        case .telephonyFailure: "no calls reach the site (traffic model); a manual split with the site at 0% at every node"
        case .handlerShortage(_, let handlers): "the site's handlers signed in drop to \(handlers)"
        case .surge(let organisation, let factor): "\(organisation)'s calls arrive \(formatNumber(factor)) times as often (traffic model)"
        }
    }

    /// Injects `fault`; a problem doing so, if any.
    private func inject(_ fault: DrillFault) -> String? {
        do {
            switch fault {
            case .powerFailure(let site):
                source.setCondition(site, .powerLost)
                try cluster.signal(site, SIGKILL)
                if !cluster.waitForExit(site, seconds: 5) { return "\(site)'s node survived SIGKILL" }
            case .wanCut(let site):
                // Cut off, the site's handlers finish the calls queued there; routing elsewhere sends it no more.
                source.setCondition(site, .draining)
                if cluster.hasProxiedLinks {
                    try cluster.cutLinks(of: site)
                } else {
                    usedSIGSTOP = true
                    try cluster.signal(site, SIGSTOP)
                }
            case .evacuate(let site):
                source.setCondition(site, .draining)
                guard let data = cluster.site(site)?.dataPath else { return "\(site) is not a site of this cluster" }
                let timeoutSeconds = max(10, Int(definition.faultEndWallSeconds - definition.faultStartWallSeconds))
                evacuation = try cluster.launch(["site", "evacuate", "--data", data, "--timeout-s", "\(timeoutSeconds)"])
            case .telephonyFailure(let site):
                source.setCondition(site, .telephonyLost)
                try splitAway(from: site)
            case .handlerShortage(let site, let handlers):
                source.setHandlers(site, handlers)
            case .surge(let organisation, let factor):
                source.setSurge(organisation, factor: factor)
            }
        } catch {
            return "injecting \(fault): \(error)"
        }
        return nil
    }

    /// Checks on the evacuation command; a problem if it failed.
    private func pollEvacuation(elapsed: Double) -> String? {
        guard let command = evacuation, let status = command.exitStatus else { return nil }
        evacuation = nil
        let output = command.output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard status == 0 else {
            return "`nightdesk site evacuate` exited \(status): \(output)"
        }
        evacuationSeconds = elapsed
        evacuationReport = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " · ")
        say(String(format: "%6.1f s  evacuation complete after %.1f s", definition.faultStartWallSeconds + elapsed, elapsed))
        return nil
    }

    /// Sets a manual split at every running node that gives `site` no calls and the others even 10% steps, saving
    /// each node's own split to put back (8.1 a, b: the operators' answer to a site's lost telephony).
    private func splitAway(from site: String) throws {
        let others = definition.sites.filter { $0 != site }
        guard !others.isEmpty else { return }
        let steps = 10 / others.count
        let extra = 10 - steps * others.count
        var shares = [ManualSplit.Share(site: try SiteCode(site), percent: 0)]
        for (index, other) in others.enumerated() {
            shares.append(ManualSplit.Share(site: try SiteCode(other), percent: (steps + (index < extra ? 1 : 0)) * 10))
        }
        let split = try ManualSplit(shares)
        for code in definition.sites where cluster.pid(code) != nil {
            guard let data = cluster.site(code)?.dataPath else { continue }
            replacedSplits[code] = try RoutingViews.readSplit(folder: data)
            try RoutingViews.writeSplit(split, folder: data)
        }
    }

    /// Undoes `fault` (the runbook's "return to normal"); a problem doing so, if any.
    private func returnToNormal(_ fault: DrillFault) -> String? {
        do {
            switch fault {
            case .powerFailure(let site):
                try cluster.start(site)
                source.setCondition(site, .normal)
            case .wanCut(let site):
                if usedSIGSTOP { try cluster.signal(site, SIGCONT) } else { try cluster.healLinks() }
                source.setCondition(site, .normal)
            case .evacuate(let site):
                var problem: String?
                if let command = evacuation {
                    command.stop()
                    evacuation = nil
                    problem = "the evacuation had not finished when the fault phase ended: \(command.output)"
                }
                guard let data = cluster.site(site)?.dataPath else { return "\(site) is not a site of this cluster" }
                let (status, output) = try cluster.execute(["site", "return", "--data", data])
                source.setCondition(site, .normal)
                if status != 0 { return "`nightdesk site return` exited \(status): \(output)" }
                return problem
            case .telephonyFailure(let site):
                for (code, split) in replacedSplits {
                    guard let data = cluster.site(code)?.dataPath else { continue }
                    try RoutingViews.writeSplit(split, folder: data)
                }
                replacedSplits = [:]
                source.setCondition(site, .normal)
            case .handlerShortage(let site, _):
                source.setHandlers(site, nil)
            case .surge(let organisation, _):
                source.setSurge(organisation, factor: 1)
            }
        } catch {
            return "returning to normal after \(fault): \(error)"
        }
        return nil
    }
}
