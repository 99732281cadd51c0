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
public final class DrillRunner {
    public let runbook: Runbook
    public let cluster: LocalCluster
    public let catalogue: Catalogue
    private let source: any TrafficSource
    private let router: any CallRouting
    private let observer: ClusterObserver
    private let writer: DummyCallWriter
    /// Progress lines for the tester (stdout of `drill run`).
    private let say: (String) -> Void

    private var definition: DrillDefinition { runbook.definition }

    /// `source` and `router` default to the runner's built-in ones.
    public init(
        runbook: Runbook, cluster: LocalCluster, catalogue: Catalogue, source: (any TrafficSource)? = nil,
        router: (any CallRouting)? = nil, say: @escaping (String) -> Void = { _ in }
    ) {
        self.runbook = runbook
        self.cluster = cluster
        self.catalogue = catalogue
        let dataPaths = Dictionary(uniqueKeysWithValues: cluster.sites.map { ($0.code, $0.dataPath) })
        observer = ClusterObserver(dataPaths: dataPaths)
        self.source =
            source
            ?? SteadyTrafficSource(
                catalogue: catalogue, sites: runbook.definition.sites, load: runbook.definition.load,
                seed: runbook.definition.seed)
        self.router = router ?? MeshStatusRouting(observer: observer)
        writer = DummyCallWriter(dataPaths: dataPaths)
        self.say = say
    }

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Waits until every site's node reports every other site connected; false after `seconds`.
    public func waitUntilReady(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        let sites = definition.sites
        repeat {
            let now = Self.nowMs()
            if sites.allSatisfy({ site in
                observer.everySurvivorSeesUp(site, survivors: sites.filter { $0 != site }, nowMs: now)
            }) {
                return true
            }
            usleep(200_000)
        } while Date() < deadline
        return false
    }

    /// Runs the drill; the cluster's nodes must be running and connected.
    public func run() -> DrillResult {
        let sites = definition.sites
        let faultSite = definition.fault.site
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
        let faultMethod = method(of: definition.fault)

        say("drill \(definition.name): \(definition.sites.joined(separator: ", ")) · fault \(definition.fault) · "
            + String(format: "%.0f s before, %.0f s fault, %.0f s after (wall clock)", definition.faultStartWallSeconds,
                definition.faultEndWallSeconds - definition.faultStartWallSeconds,
                definition.endWallSeconds - definition.faultEndWallSeconds))
        while true {
            let now = wall()
            if injectedAt == nil, now >= definition.faultStartWallSeconds {
                say(String(format: "%6.1f s  fault: ", now) + "\(definition.fault) (\(faultMethod))")
                if let problem = inject(definition.fault) { failures.append(problem) }
                injectedAt = now
            }
            if injectedAt != nil, returnedAt == nil, now >= definition.faultEndWallSeconds {
                if definition.fault.stopsNode {
                    missingAtFaultEnd = Array(Set(survivors.flatMap { writer.missing(at: $0) })).sorted()
                }
                say(String(format: "%6.1f s  return to normal", now))
                if let problem = returnToNormal(definition.fault) { failures.append(problem) }
                returnedAt = now
            }
            let nowMs = Self.nowMs()
            let routing = router.table(among: sites, nowMs: nowMs)
            if let injected = injectedAt, returnedAt == nil, let site = faultSite {
                if moved == nil, definition.fault.movesTraffic, !routing.sitesTakingCalls.contains(site) {
                    moved = now - injected
                    say(String(format: "%6.1f s  traffic moved off ", now) + site + String(format: " after %.1f s", now - injected))
                }
                if detection == nil, definition.fault.stopsNode,
                    observer.everySurvivorSeesDown(site, survivors: survivors, nowMs: nowMs)
                {
                    detection = now - injected
                    say(String(format: "%6.1f s  every survivor sees ", now) + site + String(format: " down after %.1f s", now - injected))
                }
            }
            if let returned = returnedAt, rejoin == nil, definition.fault.stopsNode, let site = faultSite,
                observer.everySurvivorSeesUp(site, survivors: survivors, nowMs: nowMs)
            {
                rejoin = now - returned
                say(String(format: "%6.1f s  ", now) + site + String(format: " back in contact with every survivor after %.1f s", now - returned))
            }
            let drillSeconds = min(now, definition.endWallSeconds) * definition.compression
            for event in source.advance(to: drillSeconds, routing: routing) {
                record(event, into: &outcomes, startedAt: startedAt, now: now)
            }
            if now >= definition.endWallSeconds { break }
            usleep(useconds_t(RunnerLimits.tickMs * 1_000))
        }

        // The site must be back before the RPO check counts what every site holds.
        if definition.fault.stopsNode, rejoin == nil, let site = faultSite, let returned = returnedAt {
            let deadline = Date().addingTimeInterval(definition.pass.convergenceSecondsMax)
            while Date() < deadline, !observer.everySurvivorSeesUp(site, survivors: survivors, nowMs: Self.nowMs()) {
                usleep(200_000)
            }
            if observer.everySurvivorSeesUp(site, survivors: survivors, nowMs: Self.nowMs()) {
                rejoin = wall() - returned
            } else {
                failures.append("\(site) was not back in contact with every survivor within \(formatNumber(definition.pass.convergenceSecondsMax)) s of the return to normal")
            }
        }
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

        if case .wanCut = definition.fault {
            notes.append(
                "WAN cut approximated: the site's node was frozen (SIGSTOP, then SIGCONT), so it neither sent nor "
                    + "answered anything and its handlers logged nothing; a real cut leaves the site running and taking "
                    + "calls on its own side of the partition.")
        }
        if case .evacuate = definition.fault {
            notes.append(
                "Evacuation approximated: the site was declared out of service, then its node stopped gracefully "
                    + "(SIGTERM: it pushes its unsent change sets for up to 3 s) and restarted on the return.")
        }
        if case .telephonyFailure = definition.fault {
            notes.append("Telephony failure acts on the traffic model: the call distributor stopped offering the site calls at once.")
        }
        var result = DrillResult(
            name: definition.name, title: runbook.title, scenario: definition.scenario, fault: "\(definition.fault)",
            faultMethod: faultMethod, sites: sites, compression: definition.compression, startedAt: startedAt,
            faultStartWallSeconds: definition.faultStartWallSeconds, faultEndWallSeconds: definition.faultEndWallSeconds,
            endWallSeconds: definition.endWallSeconds, detectionSeconds: detection, trafficMovedSeconds: moved,
            rejoinSeconds: rejoin, writesAcknowledged: writer.acknowledged.count,
            missingAtSurvivorsAtFaultEnd: missingAtFaultEnd, missingAtSurvivors: missingAtSurvivors,
            missingAtSomeSite: missing, convergenceSeconds: convergence,
            calls: outcomes.values.sorted { $0.id < $1.id }, criteria: [], failures: failures + writer.failures,
            notes: notes)
        result.criteria = DrillResult.judge(result, definition.pass)
        return result
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
        case .evacuate: "declared out of service, node stopped with SIGTERM, restarted on return"
        case .powerFailure: "node killed with SIGKILL, restarted with the same configuration on return"
        case .wanCut: "site frozen with SIGSTOP (an approximation of a WAN cut), SIGCONT on return"
        case .telephonyFailure: "no calls reach the site's handlers (traffic model); the node keeps running"
        case .handlerShortage(_, let handlers): "the site's handlers signed in drop to \(handlers) (traffic model)"
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
                source.setCondition(site, .powerLost)
                try cluster.signal(site, SIGSTOP)
            case .evacuate(let site):
                router.declare(site, outOfService: true)
                source.setCondition(site, .draining)
                try cluster.signal(site, SIGTERM)
                if !cluster.waitForExit(site) { return "\(site)'s node did not stop within \(Int(RunnerLimits.nodeWaitSecondsMax)) s of SIGTERM" }
            case .telephonyFailure(let site):
                source.setCondition(site, .telephonyLost)
                router.declare(site, outOfService: true)
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

    /// Undoes `fault` (the runbook's "return to normal"); a problem doing so, if any.
    private func returnToNormal(_ fault: DrillFault) -> String? {
        do {
            switch fault {
            case .powerFailure(let site), .evacuate(let site):
                try cluster.start(site)
                router.declare(site, outOfService: false)
                source.setCondition(site, .normal)
            case .wanCut(let site):
                try cluster.signal(site, SIGCONT)
                source.setCondition(site, .normal)
            case .telephonyFailure(let site):
                router.declare(site, outOfService: false)
                source.setCondition(site, .normal)
            case .handlerShortage(let site, _):
                source.setHandlers(site, definition.load.handlersPerSite)
            case .surge(let organisation, _):
                source.setSurge(organisation, factor: 1)
            }
        } catch {
            return "returning to normal after \(fault): \(error)"
        }
        return nil
    }
}
