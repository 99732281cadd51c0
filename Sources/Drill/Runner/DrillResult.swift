import Domain
import Foundation

/// Everything a drill measured: what the report shows and what the pass criteria are judged on.
public struct DrillResult: Codable, Sendable {
    public enum Phase: String, Codable, Sendable, CaseIterable {
        case before, fault, after
    }

    public enum Outcome: String, Codable, Sendable {
        case answered, abandoned
        /// Still waiting when the drill ended.
        case waiting
    }

    /// One dummy call and what happened to it; times in drill seconds from the start.
    public struct CallOutcome: Codable, Sendable, Equatable {
        public var id: Int
        public var organisation: String
        public var option: String
        public var standard: ServiceStandard
        public var site: String?
        public var offeredAtSeconds: Double
        public var outcome: Outcome
        public var waitSeconds: Double?
        public var phase: Phase
    }

    /// Routing's split at one moment: each site's share of new calls, averaged over every organisation and
    /// Service Standard, percent.
    public struct RoutingSample: Codable, Sendable, Equatable {
        public var atWallSeconds: Double
        public var shares: [String: Double]
    }

    /// One pass criterion: its limit, what was measured, and whether it holds.
    public struct Criterion: Codable, Sendable, Equatable {
        public var name: String
        public var limit: String
        public var measured: String
        public var passed: Bool
    }

    public var name: String
    public var title: String
    public var scenario: String
    public var fault: String
    /// How the fault was injected, in plain words (the report says when it only approximates the real event).
    public var faultMethod: String
    /// The site the fault acts on, if it acts on one.
    public var faultSite: String?
    public var sites: [String]
    public var compression: Double
    public var startedAt: Date
    /// Wall-clock seconds from the start at which the fault began and ended, and the drill ended.
    public var faultStartWallSeconds: Double
    public var faultEndWallSeconds: Double
    public var endWallSeconds: Double
    /// Fault → every survivor's status shows the site down (draining or evacuated for an evacuation), wall-clock
    /// seconds.
    public var detectionSeconds: Double?
    /// Fault → routing offers the site no new call, wall-clock seconds.
    public var trafficMovedSeconds: Double?
    /// Return to normal → every survivor sees the site connected and up again, wall-clock seconds.
    public var rejoinSeconds: Double?
    /// Evacuation started → `site evacuate` reported the site evacuated with RPO 0, wall-clock seconds.
    public var evacuationSeconds: Double?
    /// Writes (dummy calls) acknowledged by a site's store.
    public var writesAcknowledged: Int
    /// Acknowledged writes the survivors did not hold when the fault ended (before the site came back).
    public var missingAtSurvivorsAtFaultEnd: [String]?
    /// Acknowledged writes some survivor lacks after the drill.
    public var missingAtSurvivors: [String]
    /// Acknowledged writes some site lacks after the drill (the RPO figure).
    public var missingAtSomeSite: [String]
    /// Wall-clock seconds after the drill until every site held every acknowledged write.
    public var convergenceSeconds: Double?
    public var calls: [CallOutcome]
    /// Routing's split about once a wall-clock second.
    public var routing: [RoutingSample] = []
    public var criteria: [Criterion]
    public var failures: [String]
    public var notes: [String]

    public var passed: Bool { criteria.allSatisfy(\.passed) }

    /// The drill seconds at which the fault phase begins and ends.
    public var faultStartDrillSeconds: Double { faultStartWallSeconds * compression }
    public var faultEndDrillSeconds: Double { faultEndWallSeconds * compression }

    /// `site`'s mean share of new calls in `phase` from the routing samples, percent; nil without samples.
    public func routingShare(of site: String, in phase: Phase) -> Double? {
        let samples = routing.filter {
            switch phase {
            case .before: $0.atWallSeconds < faultStartWallSeconds
            case .fault: $0.atWallSeconds >= faultStartWallSeconds && $0.atWallSeconds < faultEndWallSeconds
            case .after: $0.atWallSeconds >= faultEndWallSeconds
            }
        }
        guard !samples.isEmpty else { return nil }
        return samples.reduce(0) { $0 + ($1.shares[site] ?? 0) } / Double(samples.count)
    }
    public var endDrillSeconds: Double { endWallSeconds * compression }
}

/// Counts of calls in one group (an organisation's Service Option in a phase, say).
public struct CallTally: Sendable, Equatable {
    public var offered = 0
    public var answered = 0
    /// Answered within the Service Standard's time (20 s Gold, 60 s Silver and Bronze).
    public var answeredInStandard = 0
    public var abandoned = 0

    public init() {}

    public init(_ calls: some Sequence<DrillResult.CallOutcome>) {
        for call in calls { add(call) }
    }

    public mutating func add(_ call: DrillResult.CallOutcome) {
        offered += 1
        switch call.outcome {
        case .answered:
            answered += 1
            let within = call.standard.thresholds.answeredWithinSeconds.map(Double.init) ?? .infinity
            if (call.waitSeconds ?? .infinity) <= within { answeredInStandard += 1 }
        case .abandoned: abandoned += 1
        case .waiting: break
        }
    }

    /// Share answered within the standard's time, percent of offered; nil when none was offered.
    public var inStandardPercent: Double? { offered == 0 ? nil : Double(answeredInStandard) * 100 / Double(offered) }
    public var abandonedPercent: Double? { offered == 0 ? nil : Double(abandoned) * 100 / Double(offered) }
}

extension DrillResult {
    /// Judges `definition`'s pass criteria on what was measured.
    static func judge(_ result: DrillResult, _ pass: DrillDefinition.PassCriteria) -> [Criterion] {
        var criteria: [Criterion] = []
        func seconds(_ value: Double?) -> String { value.map { String(format: "%.1f s", $0) } ?? "not reached" }
        if let max = pass.detectionSecondsMax {
            criteria.append(
                Criterion(
                    name: "detection time", limit: "≤ \(formatNumber(max)) s", measured: seconds(result.detectionSeconds),
                    passed: (result.detectionSeconds ?? .infinity) <= max))
        }
        if let max = pass.trafficMovedSecondsMax {
            criteria.append(
                Criterion(
                    name: "time until traffic moved", limit: "≤ \(formatNumber(max)) s",
                    measured: seconds(result.trafficMovedSeconds), passed: (result.trafficMovedSeconds ?? .infinity) <= max))
        }
        criteria.append(
            Criterion(
                name: "RPO: acknowledged writes lost", limit: "≤ \(pass.lostWritesMax)",
                measured: "\(result.missingAtSomeSite.count) of \(result.writesAcknowledged)",
                passed: result.missingAtSomeSite.count <= pass.lostWritesMax))
        var groups: [(suffix: String, calls: [CallOutcome])] = [("", result.calls)]
        if pass.eachPhase {
            for phase in Phase.allCases {
                let words = switch phase {
                case .before: " before the fault"
                case .fault: " during the fault"
                case .after: " after the fault"
                }
                groups.append((words, result.calls.filter { $0.phase == phase }))
            }
        }
        for (suffix, calls) in groups {
            if let min = pass.goldAnsweredWithin20sPercentMin {
                let gold = CallTally(calls.filter { $0.standard == .gold })
                criteria.append(
                    Criterion(
                        name: "Gold calls answered within 20 s" + suffix, limit: "≥ \(formatNumber(min))%",
                        measured: gold.inStandardPercent.map { String(format: "%.1f%% of %d", $0, gold.offered) } ?? "no Gold call offered",
                        passed: (gold.inStandardPercent ?? -1) >= min))
            }
            if let max = pass.abandonedPercentMax {
                let all = CallTally(calls)
                criteria.append(
                    Criterion(
                        name: "calls abandoned" + suffix, limit: "< \(formatNumber(max))%",
                        measured: all.abandonedPercent.map { String(format: "%.1f%% of %d", $0, all.offered) } ?? "no call offered",
                        passed: all.offered > 0 && (all.abandonedPercent ?? 100) < max))
            }
        }
        criteria.append(
            Criterion(
                name: "nothing failed", limit: "0 failures", measured: "\(result.failures.count)",
                passed: result.failures.isEmpty))
        return criteria
    }
}
