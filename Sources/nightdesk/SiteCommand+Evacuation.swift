import ArgumentParser
import Domain
import Foundation
import Mesh
import Node
import Store

/// Reports a node that is not running with exit status 69, as `node status` does.
func reportingNotRunning(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as NodeNotRunning {
        report([error.description])
        throw ExitCode(69)
    }
}

/// `nightdesk route split`: the operator's manual split of new calls between sites, at this node.
struct RouteSplitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Show, set or clear this node's manual split of new calls between sites (8.5, 8.6).",
        discussion: """
            --set WST=70,EST=30 gives each site its share of new calls, in steps of 10% adding up to 100; a site in \
            the split that cannot take a call (down, draining, not seen, nobody trained) gets 0 and its share goes \
            to the others. The split is this node's own (routing-split.json in its data folder, not replicated): \
            set it at every site that routes calls. --clear goes back to weights from live capacity.
            """)
    @OptionGroup var dataOptions: DataOptions
    @Option(name: .long, help: "The split, e.g. WST=70,EST=30 (steps of 10%, adding up to 100).") var set: String?
    @Flag(name: .long, help: "Remove the split.") var clear = false
    @OptionGroup var output: OutputOptions

    struct View: Encodable {
        let site: String
        let split: ManualSplit?
    }

    func validate() throws {
        if set != nil && clear { throw ValidationError("give --set or --clear, not both") }
    }

    func run() throws {
        try runReportingErrors {
            let folder = try dataOptions.open()
            if let set {
                // The voting sites come from the running node's status when it has one; otherwise any code is taken.
                let voting = (try? LiveStatus.read(folder: folder.path, now: Date()))?.votingSites?
                    .compactMap { try? SiteCode($0) }
                try RoutingViews.writeSplit(try RoutingViews.parseSplit(set, votingSites: voting), folder: folder.path)
            } else if clear {
                try RoutingViews.writeSplit(nil, folder: folder.path)
            }
            let view = View(site: folder.site.rawValue, split: try RoutingViews.readSplit(folder: folder.path))
            if output.json { return try printJSON(view) }
            guard let split = view.split else {
                print("\(view.site): no manual split; new calls are weighted by live capacity")
                return
            }
            print("\(view.site): manual split " + split.shares.map { "\($0.site) \($0.percent)%" }.joined(separator: ", "))
        }
    }
}

extension SiteCommand {
    /// `nightdesk site evacuate`: drain the site, wait for its calls and its change sets to be held elsewhere (RPO 0),
    /// then announce it evacuated (8.1; DESIGN.md "Durability").
    struct Evacuate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Evacuate this site: drain it, finish or hand over its calls, confirm RPO 0, set it evacuated.",
            discussion: """
                Needs the running node (exit 69 otherwise) and a call-centre site (a replica is refused, exit 65). \
                1. draining: the site is set draining and the command waits until its heartbeats announce it, so \
                routing gives it no new calls. 2. calls: it waits up to --wait-calls-s for the site's calls in \
                progress to end; with --handover it goes on at once and lists them (they are replicated, so any site \
                continues them). 3. replication: it waits until every change set written here is sealed and \
                acknowledged by at least one other site (RPO 0). 4. evacuated: the site is set evacuated; it takes no \
                calls and its timers stand down. Each phase's time and each peer's acknowledged sequence are reported. \
                On timeout (--timeout-s for the whole) it exits 75 saying what is missing, and the site stays \
                draining: run it again, or `nightdesk site return`.
                """)
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .customLong("wait-calls-s"), help: "How long to wait for calls in progress to end, seconds.")
        var waitCallsS: Int = 600
        @Flag(name: .long, help: "Do not wait for calls in progress: hand them over to the other sites.")
        var handover = false
        @Option(name: .customLong("timeout-s"), help: "Longest the whole evacuation may take, seconds.")
        var timeoutS: Int = 900
        @OptionGroup var output: OutputOptions

        /// How often the status file and store are looked at while waiting; the node rewrites the status every second.
        static let pollIntervalMs = 200
        /// Most calls in progress listed in a report.
        static let callsListedMax = 10_000

        struct Phase: Encodable {
            let name: String
            let durationMs: Int64
        }

        struct Report: Encodable {
            let site: String
            let state: String
            let phases: [Phase]
            let totalMs: Int64
            /// Calls in progress when the site drained, handed over to the other sites (with --handover).
            let handedOver: [String]
            /// The last of this site's own change sets when it was declared evacuated.
            let ownHeadSequence: UInt64
            /// Per peer, the highest of this site's own change sets it acknowledged holding.
            let acknowledged: [String: UInt64]
            let heldBy: [String]
            let rpoZero: Bool
        }

        func validate() throws {
            if !(0...86_400).contains(waitCallsS) { throw ValidationError("--wait-calls-s must be 0 to 86400 seconds") }
            if !(1...86_400).contains(timeoutS) { throw ValidationError("--timeout-s must be 1 to 86400 seconds") }
        }

        func run() throws {
            try runReportingErrors { try reportingNotRunning {
                let folder = try dataOptions.open()
                let database = folder.database
                let site = folder.site.rawValue
                let started = Date()
                let deadline = started.addingTimeInterval(Double(timeoutS))
                let initial = try LiveStatus.read(folder: folder.path, now: started)
                guard initial.site == site else {
                    throw NodeError.dataFolderOfAnotherSite(path: folder.path, expected: site, found: initial.site)
                }
                guard let voting = initial.votingSites, voting.contains(site) else {
                    throw DomainError(
                        .invalidValue,
                        "\(site) is a replica, not a call-centre site: it takes no calls, so there is nothing to "
                            + "evacuate; stop its node instead")
                }
                if try database.siteState() == .evacuated {
                    print("site \(site) is already evacuated; `nightdesk site return` brings it back")
                    return
                }
                var phases: [Phase] = []
                var phaseStart = Date()
                func endPhase(_ name: String) {
                    let now = Date()
                    phases.append(Phase(name: name, durationMs: now.milliseconds - phaseStart.milliseconds))
                    phaseStart = now
                }
                func timedOut(_ missing: String) -> Error {
                    report([
                        "the evacuation of \(site) timed out after \(timeoutS) s: \(missing)",
                        "the site stays draining: run `nightdesk site evacuate` again, or `nightdesk site return`",
                    ])
                    return ExitCode(75)
                }
                func pause() { Thread.sleep(forTimeInterval: Double(Self.pollIntervalMs) / 1000) }

                // 1. Draining, until the node's heartbeats announce it (8.1).
                let setAt = Date()
                try database.setSiteState(.draining, at: setAt)
                while true {
                    let status = try LiveStatus.read(folder: folder.path, now: Date())
                    if status.siteState == "draining", status.writtenAtMs > setAt.milliseconds { break }
                    guard Date() < deadline else { throw timedOut("the node has not announced draining") }
                    pause()
                }
                endPhase("draining")

                // 2. Calls in progress: wait for them to end, or hand them over.
                let window = SiteCapacity.callsInProgressWindowMs
                var handedOver: [String] = []
                if handover {
                    handedOver = try database.callsInProgressHere(
                        at: Date(), windowMs: window, limit: Self.callsListedMax
                    ).map(\.reference)
                } else {
                    let callsDeadline = min(deadline, Date().addingTimeInterval(Double(waitCallsS)))
                    while true {
                        let calls = try database.callsInProgressHere(at: Date(), windowMs: window, limit: 20)
                        if calls.isEmpty { break }
                        guard Date() < callsDeadline else {
                            throw timedOut(
                                "\(calls.count == 20 ? "20 or more" : "\(calls.count)") calls still in progress here ("
                                    + calls.prefix(5).map(\.reference).joined(separator: ", ")
                                    + "): close them, or hand them over with --handover")
                        }
                        pause()
                    }
                }
                endPhase("calls")

                // 3. Replication: every own change set sealed and held by another site (RPO 0, DESIGN.md "Durability").
                // The head is read first and checked against a status the node wrote after it: everything
                // committed here by then must be sealed and acknowledged.
                var final: (head: UInt64, status: MeshStatus)?
                var target = (head: try database.ownChangeSetHead(), readAtMs: Date().milliseconds)
                while final == nil {
                    pause()
                    let status = try LiveStatus.read(folder: folder.path, now: Date())
                    let head = target.head
                    if status.writtenAtMs > target.readAtMs, status.unsealedChangeSets == 0,
                        (status.ownHeadSequence ?? 0) >= head,
                        head == 0 || status.peers.contains(where: { ($0.acknowledgedOwnSequence ?? 0) >= head })
                    {
                        final = (head, status)
                        break
                    }
                    guard Date() < deadline else {
                        let acks = status.peers.map { "\($0.site) \($0.acknowledgedOwnSequence ?? 0) (\($0.health))" }
                        throw timedOut(
                            "own change sets 1…\(head) are not yet held by another site: sealed through "
                                + "\(status.ownHeadSequence ?? 0), \(status.unsealedChangeSets) unsealed; peers hold "
                                + (acks.isEmpty ? "nothing" : acks.joined(separator: ", ")))
                    }
                    if status.writtenAtMs > target.readAtMs {
                        target = (try database.ownChangeSetHead(), Date().milliseconds)
                    }
                }
                endPhase("replication")

                // 4. Evacuated: no calls, timers stand down.
                try database.setSiteState(.evacuated, at: Date())
                endPhase("evacuated")
                let (head, status) = final!
                let acknowledged = Dictionary(
                    uniqueKeysWithValues: status.peers.map { ($0.site, $0.acknowledgedOwnSequence ?? 0) })
                let summary = Report(
                    site: site, state: "evacuated", phases: phases,
                    totalMs: Date().milliseconds - started.milliseconds, handedOver: handedOver, ownHeadSequence: head,
                    acknowledged: acknowledged, heldBy: acknowledged.filter { $0.value >= head }.keys.sorted(),
                    rpoZero: true)
                if output.json { return try printJSON(summary) }
                print("site \(site) evacuated in \(String(format: "%.1f", Double(summary.totalMs) / 1000)) s")
                for phase in phases {
                    print("  \(phase.name): \(String(format: "%.1f", Double(phase.durationMs) / 1000)) s")
                }
                if handover {
                    print("  handed over \(handedOver.count) call\(handedOver.count == 1 ? "" : "s") in progress"
                        + (handedOver.isEmpty ? "" : ": " + handedOver.joined(separator: ", ")))
                }
                for (peer, sequence) in acknowledged.sorted(by: { $0.key < $1.key }) {
                    print("  \(peer) holds own change sets through \(sequence)")
                }
                print(
                    "RPO 0 confirmed: own change sets 1…\(head) are held by "
                        + (head == 0 ? "(none written)" : summary.heldBy.joined(separator: ", ")))
            } }
        }
    }

    /// `nightdesk site return`: the site takes calls again.
    struct Return: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bring this site back after an evacuation or drain: it is set up and takes new calls again.",
            discussion: """
                The running node announces it with its next heartbeat; routing gives the site its share again and \
                its timers act when the election picks it.
                """)
        @OptionGroup var dataOptions: DataOptions
        @OptionGroup var output: OutputOptions

        struct View: Encodable {
            let site: String
            let previous: String
            let state: String
        }

        func run() throws {
            try runReportingErrors {
                let folder = try dataOptions.open()
                let previous = try folder.database.siteState()
                if previous != .up { try folder.database.setSiteState(.up, at: Date()) }
                let view = View(site: folder.site.rawValue, previous: previous.rawValue, state: "up")
                if output.json { return try printJSON(view) }
                print(previous == .up ? "site \(view.site) is already up" : "site \(view.site) is up again (was \(previous.rawValue))")
            }
        }
    }
}
