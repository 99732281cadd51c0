import ArgumentParser
import Domain
import Drill
import Foundation
import Node

struct DrillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill",
        abstract: "Run a business-continuity drill (8.5, 8.6) against live nodes and report on it.",
        subcommands: [Run.self, Check.self])

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the drill a runbook defines and write its report.",
            discussion: """
                Starts a cluster of local sites in --work (or attaches to a running one with --cluster DIR, e.g. \
                demo-data), offers dummy calls for every organisation (8.6 c) through the phases before, during and \
                after the runbook's fault, and measures detection time, time until traffic moved, RPO and service \
                levels per organisation and Service Option. Writes report.md, report.html and result.json to --out \
                and prints a summary. Exit status 0 when every pass criterion holds, 1 when one fails (listed), 64 for \
                a wrong command line, 65 for a runbook that breaks a rule (nothing is started), 66 when the runbook is \
                missing, 69 when the cluster cannot be started or attached.
                """)

        @Argument(help: "The runbook, e.g. Runbooks/site-power-failure.md.") var runbook: String
        @Option(name: .long, help: "Attach to the running cluster in this folder instead of starting one.")
        var cluster: String?
        @Option(name: .long, help: "Where a new local cluster is made (default: drill-work/NAME-TIME).")
        var work: String?
        @Option(name: .long, help: "Where the report is written (default: WORK/report).") var out: String?
        @Option(name: .long, help: "The catalogue of organisations for a new cluster.")
        var catalogue: String = "Topology/participants.toml"
        @Option(
            name: .long,
            help: "Drill seconds per wall-clock second instead of the runbook's: a short form of the same drill.")
        var compression: Double?

        func validate() throws {
            if cluster != nil, work != nil {
                throw ValidationError("give --cluster DIR or --work DIR, not both: an attached cluster's folder is its work folder")
            }
        }

        func run() throws {
            let loaded: Runbook
            do throws(RunbookError) {
                loaded = try Runbook.load(path: runbook, compression: compression)
            } catch {
                report([error.description])
                if case .unreadable = error { throw ExitCode(66) }
                throw ExitCode(65)
            }
            let definition = loaded.definition
            guard let binary = Bundle.main.executableURL else {
                report(["cannot find the nightdesk executable to start nodes with"])
                throw ExitCode(69)
            }
            // Check the organisations before anything is started or written.
            let catalogueValue: Catalogue
            do {
                if let cluster {
                    let config = (cluster as NSString).appendingPathComponent("\(definition.sites[0]).toml")
                    catalogueValue = try NodeRunConfiguration.load(path: config).folder.database.catalogue()
                } else {
                    catalogueValue = try CatalogueFile(path: catalogue).catalogue
                }
            } catch {
                report(["cannot read the catalogue of organisations: \(error)"])
                throw ExitCode(cluster == nil ? 66 : 69)
            }
            if case .surge(let organisation, _) = definition.fault,
                !catalogueValue.organisations.contains(where: { $0.code.rawValue == organisation })
            {
                report([
                    "\(runbook): unknown organisation '\(organisation)' in fault '\(definition.fault)'; the organisations are "
                        + catalogueValue.organisations.map(\.code.rawValue).joined(separator: ", ")
                ])
                throw ExitCode(65)
            }

            // The traffic model is made before anything starts: one it cannot make is the runbook's problem.
            let source: any TrafficSource
            do {
                source = try makeTrafficSource(
                    catalogue: catalogueValue, sites: definition.sites, load: definition.load, seed: definition.seed)
            } catch {
                report(["\(runbook): the traffic model cannot be made: \(error)"])
                throw ExitCode(65)
            }

            let localCluster: LocalCluster
            let workFolder: String
            do {
                if let cluster {
                    workFolder = cluster
                    localCluster = try LocalCluster.attach(root: cluster, codes: definition.sites, binary: binary)
                    print("attached to the cluster in \(cluster)")
                } else {
                    let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
                    workFolder = work ?? "drill-work/\(definition.name)-\(stamp)"
                    print("making a local cluster of \(definition.sites.joined(separator: ", ")) in \(workFolder)")
                    // A WAN cut needs every link through a fault proxy; other drills link the sites directly.
                    var proxied = false
                    if case .wanCut = definition.fault { proxied = true }
                    localCluster = try LocalCluster.create(
                        root: workFolder, codes: definition.sites, catalogue: catalogue, binary: binary,
                        proxiedLinks: proxied)
                    for site in definition.sites { try localCluster.start(site) }
                }
            } catch {
                report(["cannot start or attach the cluster: \(error)"])
                throw ExitCode(69)
            }
            defer { if localCluster.owned { localCluster.stopStarted() } }
            let runner = DrillRunner(runbook: loaded, cluster: localCluster, catalogue: catalogueValue, source: source) {
                print($0)
            }
            // Ctrl-C or SIGTERM ends the drill cleanly: the fault is undone, drill handlers sign out, the report is
            // written with what was measured (and says the drill was interrupted), the runner's own nodes stop.
            let interrupted = InterruptFlag()
            runner.interruption = { interrupted.isSet }
            guard runner.waitUntilReady(seconds: RunnerLimits.nodeWaitSecondsMax) else {
                report([
                    "the sites were not all in contact within \(Int(RunnerLimits.nodeWaitSecondsMax)) s; see the logs in \(workFolder)"
                ])
                throw ExitCode(69)
            }
            let result = runner.run()
            let outFolder = out ?? (workFolder as NSString).appendingPathComponent("report")
            do {
                let written = try DrillReport.write(result, to: outFolder)
                print("")
                for line in DrillReport.summary(result) { print(line) }
                print("report: " + written.joined(separator: ", "))
            } catch {
                report(["cannot write the report to \(outFolder): \(error)"])
                throw ExitCode(74)
            }
            if !result.passed {
                report(["the drill failed: " + result.criteria.filter { !$0.passed }.map(\.name).joined(separator: ", ")])
                throw ExitCode(1)
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check runbooks' drill definitions without running anything.",
            discussion: """
                A folder's README.md (the index of runbooks) is skipped, so `drill check Runbooks/*.md` checks every \
                runbook. Exit status 0 when every runbook is valid, 65 when one is not (each problem listed), 66 when \
                one is missing.
                """)

        @Argument(help: "Runbooks to check.") var runbooks: [String]

        func run() throws {
            var status: Int32 = 0
            for path in runbooks where (path as NSString).lastPathComponent != "README.md" {
                do throws(RunbookError) {
                    let runbook = try Runbook.load(path: path)
                    print("\(path): \(runbook.definition.name) (\(runbook.definition.scenario)), fault \(runbook.definition.fault)")
                } catch {
                    report([error.description])
                    if case .unreadable = error { status = 66 } else if status == 0 { status = 65 }
                }
            }
            if status != 0 { throw ExitCode(status) }
        }
    }
}

/// Set once SIGINT or SIGTERM arrives; until then those signals do not end the process, so the drill can put the
/// cluster back as it found it.
final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false
    private var sources: [any DispatchSourceSignal] = []

    init() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.withLock { self.set = true }
            }
            source.resume()
            sources.append(source)
        }
    }

    var isSet: Bool { lock.withLock { set } }
}
