import Foundation

/// The drill a runbook defines: which sites, how long each phase lasts, the fault, the load and what must hold.
///
/// Durations of phases and of calls are in drill seconds: the traffic model runs `compression` drill seconds per
/// wall-clock second. Detection and traffic-moved times are wall-clock seconds, because the nodes' heartbeats and
/// failure detection run on the wall clock and are not compressed.
public struct DrillDefinition: Sendable, Equatable {
    /// Short name, used for the report folder.
    public var name: String
    /// The specification's paragraph, e.g. "8.1 e".
    public var scenario: String
    /// The call-centre sites taking part, in topology order.
    public var sites: [String]
    /// Drill seconds per wall-clock second.
    public var compression: Double
    /// Seed of the traffic model: the same seed offers the same calls.
    public var seed: UInt64
    public var phases: Phases
    public var fault: DrillFault
    public var load: Load
    public var pass: PassCriteria

    public struct Phases: Sendable, Equatable {
        public var beforeSeconds: Double
        public var faultSeconds: Double
        public var afterSeconds: Double
        public var totalSeconds: Double { beforeSeconds + faultSeconds + afterSeconds }
    }

    public struct Load: Sendable, Equatable {
        /// The traffic profile: `steady` (Poisson arrivals at a constant rate, `SteadyTrafficSource`) or
        /// `specification` (the calibrated call-centre model, `SimulatedTrafficSource`).
        public var profile: String
        /// Calls offered to the whole service per drill hour, spread evenly over the organisations (steady). For the
        /// specification profile: the calls it offers in the drill's busiest hour, worked out from the profile.
        public var callsPerHour: Double
        /// 8.6 c: dummy calls for every Participating Organisation (each of its Service Options in turn).
        public var everyOrganisation: Bool
        /// Handlers at every site, every hour. For the specification profile without `handlersPerSite` in the
        /// runbook (`handlersPerSiteGiven` false): the most the incumbent schedule puts on shift at one site in any
        /// hour, so a runner that sets a site back to this many ends a handler shortage there.
        public var handlersPerSite: Int
        /// Mean time a handler spends on a call, drill seconds (steady).
        public var handlingSeconds: Double
        /// How long a caller waits before hanging up, drill seconds (steady).
        public var patienceSeconds: Double
        /// Hour of a weekday the drill starts at, 0–23 (specification): 17, the start of the evening peak (2.1.5).
        public var startHour: Int = 17
        /// The specification profile's volume, and the incumbent staffing with it, in percent: 100 is today's
        /// service (2.1.9: about 350,000 calls a year).
        public var volumePercent: Int = 100
        /// Whether the runbook gave `handlersPerSite`: the specification profile then staffs every site flat with
        /// that many instead of the incumbent schedule.
        public var handlersPerSiteGiven: Bool = true
    }

    public struct PassCriteria: Sendable, Equatable {
        /// Fault → every survivor's `mesh-status.json` shows the site down (draining or evacuated for an evacuation),
    /// wall-clock seconds.
        public var detectionSecondsMax: Double?
        /// Fault → the traffic source routes no new call to the site, wall-clock seconds.
        public var trafficMovedSecondsMax: Double?
        /// Acknowledged writes not held by every site after the drill (RPO); 0 unless a runbook says otherwise.
        public var lostWritesMax: Int
        /// Share of Gold calls answered within 20 s over the whole drill (2.1.2 c, 6.2).
        public var goldAnsweredWithin20sPercentMin: Double?
        /// Share of offered calls abandoned over the whole drill.
        public var abandonedPercentMax: Double?
        /// Whether the two service levels above must also hold in each phase, before, during and after the fault
        /// ("throughout"), not only over the whole drill.
        public var eachPhase: Bool = false
        /// Longest wait after the drill for every site to hold every acknowledged write, wall-clock seconds.
        public var convergenceSecondsMax: Double
    }

    /// Wall-clock seconds from the start of the drill to the start of the fault, its end, and the drill's end.
    public var faultStartWallSeconds: Double { phases.beforeSeconds / compression }
    public var faultEndWallSeconds: Double { (phases.beforeSeconds + phases.faultSeconds) / compression }
    public var endWallSeconds: Double { phases.totalSeconds / compression }
}

/// The fault a drill injects (8.1 a–i), written in a runbook as `kind SITE`, `handler-shortage SITE=N` or
/// `surge ORG=xN`.
public enum DrillFault: Sendable, Equatable, CustomStringConvertible {
    /// 8.1 f: the site is evacuated (`nightdesk site evacuate`): it stops taking calls, finishes them, confirms its
    /// change sets are held elsewhere (RPO 0) and is evacuated; `site return` brings it back.
    case evacuate(site: String)
    /// 8.1 e: the site's node is killed (SIGKILL) and restarted with the same configuration after the fault phase.
    case powerFailure(site: String)
    /// 8.1 c, d: the site is cut off from the others.
    case wanCut(site: String)
    /// 8.1 a, b: no calls reach the site; its node keeps running.
    case telephonyFailure(site: String)
    /// 8.1 g: the site has only `handlers` handlers signed in.
    case handlerShortage(site: String, handlers: Int)
    /// 8.1 h, i: one organisation's calls arrive `factor` times as often.
    case surge(organisation: String, factor: Double)

    public static let kinds = [
        "evacuate SITE", "power-failure SITE", "wan-cut SITE", "telephony-failure SITE", "handler-shortage SITE=N",
        "surge ORG=xN",
    ]

    /// The site the fault acts on, if it acts on one.
    public var site: String? {
        switch self {
        case .evacuate(let site), .powerFailure(let site), .wanCut(let site), .telephonyFailure(let site),
            .handlerShortage(let site, _):
            site
        case .surge: nil
        }
    }

    /// Whether the fault takes the site out of the cluster for a while, so the survivors must detect it (in their
    /// heartbeats: down, or draining and evacuated) and it must come back into service afterwards.
    public var takesSiteOut: Bool {
        switch self {
        case .evacuate, .powerFailure, .wanCut: true
        case .telephonyFailure, .handlerShortage, .surge: false
        }
    }

    /// What the survivors see of the site once they detect the fault.
    public var detectedAs: String {
        switch self {
        case .evacuate: "draining or evacuated"
        default: "down"
        }
    }

    /// Whether the fault takes the site out of call routing, so traffic must move off it.
    public var movesTraffic: Bool {
        switch self {
        case .evacuate, .powerFailure, .wanCut, .telephonyFailure: true
        case .handlerShortage, .surge: false
        }
    }

    public var description: String {
        switch self {
        case .evacuate(let site): "evacuate \(site)"
        case .powerFailure(let site): "power-failure \(site)"
        case .wanCut(let site): "wan-cut \(site)"
        case .telephonyFailure(let site): "telephony-failure \(site)"
        case .handlerShortage(let site, let handlers): "handler-shortage \(site)=\(handlers)"
        case .surge(let organisation, let factor): "surge \(organisation)=x\(formatNumber(factor))"
        }
    }

    /// Parses `kind ARGUMENT`; the message of a thrown error says what the forms are.
    public static func parse(_ text: String) throws(RunbookError) -> DrillFault {
        let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let forms = "the forms are: " + kinds.joined(separator: ", ")
        guard words.count == 2 else {
            throw RunbookError.invalid(["fault '\(text)' must be a kind and one argument; \(forms)"])
        }
        let argument = words[1]
        switch words[0] {
        case "evacuate": return .evacuate(site: argument.uppercased())
        case "power-failure": return .powerFailure(site: argument.uppercased())
        case "wan-cut": return .wanCut(site: argument.uppercased())
        case "telephony-failure": return .telephonyFailure(site: argument.uppercased())
        case "handler-shortage":
            let parts = argument.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, let handlers = Int(parts[1]), handlers >= 0 else {
                throw RunbookError.invalid([
                    "fault '\(text)': give the site and the handlers left signed in, e.g. handler-shortage EST=1"
                ])
            }
            return .handlerShortage(site: String(parts[0]).uppercased(), handlers: handlers)
        case "surge":
            let parts = argument.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[1].hasPrefix("x"), let factor = Double(parts[1].dropFirst()), factor > 1,
                factor <= RunnerLimits.surgeFactorMax
            else {
                throw RunbookError.invalid([
                    "fault '\(text)': give the organisation and a factor above 1 and at most "
                        + "\(formatNumber(RunnerLimits.surgeFactorMax)), e.g. surge EAL=x5"
                ])
            }
            return .surge(organisation: String(parts[0]).uppercased(), factor: factor)
        default:
            throw RunbookError.invalid(["unknown fault '\(words[0])'; \(forms)"])
        }
    }
}

/// A number without a trailing `.0` when it is whole.
func formatNumber(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.2f", value)
}
