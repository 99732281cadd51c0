import ArgumentParser
import Domain
import Foundation
import Logging
import Mesh
import Node
import ServiceLifecycle

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Run this site's node, or see how it is doing.", subcommands: [Run.self, Status.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the node until SIGTERM or SIGINT; finishes in-flight work before exiting.",
            discussion: """
                With --config, the node joins its cluster: it listens on its topology endpoint, links to every \
                other site over CURVE, replicates sealed change sets, writes mesh-status.json in its data folder \
                for `nightdesk node status`, serves Prometheus metrics if the file names an address, and, when the \
                topology marks its site delivers = true, sends the outbox messages it is elected to send through \
                the transports file the configuration names. With only \
                --data it runs alone. On SIGTERM it seals and pushes its own unsent change sets (for up to 3 s) \
                before it exits.
                """)
        @Option(name: .long, help: "The node's configuration file (data folder, topology, keys, metrics).")
        var config: String?
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: "How often the node logs its status, milliseconds (overrides the file).")
        var statusIntervalMs: Int?

        func validate() throws {
            if let statusIntervalMs, !(100...86_400_000).contains(statusIntervalMs) {
                throw ValidationError("--status-interval-ms must be from 100 to 86400000")
            }
            if config != nil, dataOptions.data != nil {
                throw ValidationError("give --config or --data, not both: the configuration file names the data folder")
            }
        }

        func run() async throws {
            var folderResult: NodeFolder?
            var runConfiguration: NodeRunConfiguration?
            try runReportingErrors {
                if let config {
                    let loaded = try NodeRunConfiguration.load(path: config)
                    runConfiguration = loaded
                    folderResult = loaded.folder
                } else {
                    folderResult = try dataOptions.open()
                }
            }
            guard let folder = folderResult else { throw ExitCode(78) }
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = ProcessInfo.processInfo.environment["NIGHTDESK_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
                return handler
            }
            var logger = Logger(label: "nightdesk.node")
            logger[metadataKey: "node.site"] = "\(folder.site)"
            let interval = statusIntervalMs ?? runConfiguration?.statusIntervalMs ?? 60_000
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
                .init(service: NodeService(folder: folder, statusInterval: .milliseconds(interval), logger: logger))
            ]
            if let runConfiguration {
                let metrics = NodeMetrics()
                let sync = SyncService(
                    configuration: runConfiguration.sync, database: folder.database, metrics: metrics, logger: logger)
                do {
                    let listening = try await sync.start()
                    logger.info("node listening", metadata: ["mesh.endpoint": "\(listening)"])
                } catch {
                    report(["cannot start the mesh endpoint: \(error)"])
                    throw ExitCode(78)
                }
                services.append(.init(service: sync))
                let election: TimerElection
                do {
                    election = try TimerService.election(for: runConfiguration.topology)
                } catch {
                    report(["the topology cannot decide which site acts on timers: \(error)"])
                    throw ExitCode(78)
                }
                services.append(
                    .init(
                        service: TimerService(
                            sync: sync, database: folder.database, site: folder.site, election: election, logger: logger)))
                let delivery: DeliveryElection
                do {
                    delivery = try DeliveryElection(
                        timers: election,
                        delivering: Set(runConfiguration.topology.sites.filter(\.delivers).map(\.code)))
                } catch {
                    report(["the topology cannot decide which site delivers the outbox: \(error)"])
                    throw ExitCode(78)
                }
                if let outbox = runConfiguration.outbox {
                    var outboxLogger = logger
                    outboxLogger[metadataKey: "outbox.transports"] = "\(outbox.transports.path)"
                    services.append(
                        .init(
                            service: OutboxService(
                                sync: sync,
                                delivery: OutboxDelivery(
                                    database: folder.database, transports: outbox.transports.byChannel,
                                    policy: outbox.policy, logger: outboxLogger),
                                site: folder.site, election: delivery,
                                queuers: runConfiguration.topology.sites.map(\.code), metrics: metrics,
                                logger: outboxLogger)))
                    let channels = outbox.transports.byChannel.keys.map(\.rawValue).sorted()
                    logger.info(
                        "delivering the outbox",
                        metadata: [
                            "outbox.channels": "\(channels.joined(separator: ","))",
                            "outbox.delivering_sites": "\(delivery.delivering.map(\.rawValue).joined(separator: ","))",
                        ])
                } else {
                    // This site is passed over by the election (DeliveryElection): said once, here.
                    let others = delivery.delivering.map(\.rawValue).joined(separator: ",")
                    logger.info(
                        "not delivering the outbox: this site has no delivers = true in the topology",
                        metadata: ["outbox.left_to": "\(others.isEmpty ? "outbox send (no site delivers)" : others)"])
                }
                if let lineTests = runConfiguration.lineTests, lineTests.enabled {
                    let site = folder.site
                    let database = folder.database
                    let path = folder.path
                    // The routing `route --live` answers, from this node's own status in memory rather than the
                    // file it rewrites every second, so the test sees the peers the election just counted live.
                    let tester = LineTester(
                        database: database, site: site, election: election, configuration: lineTests,
                        route: { call in
                            let snapshot = try RoutingViews.snapshot(
                                status: await sync.status(), database: database, now: Date(),
                                split: try RoutingViews.readSplit(folder: path))
                            return try CallRouter(snapshot).route(call)
                        })
                    services.append(
                        .init(
                            service: LineTestService(
                                sync: sync, tester: tester, site: site, interval: lineTests.interval, logger: logger)))
                    logger.info("making line tests", metadata: ["line.interval_s": "\(lineTests.interval.components.seconds)"])
                }
                if let address = runConfiguration.metrics {
                    services.append(.init(service: metrics.httpService(host: address.host, port: address.port, logger: logger)))
                    logger.info("metrics served", metadata: ["metrics.address": "http://\(address.host):\(address.port)/metrics"])
                }
            }
            let group = ServiceGroup(
                configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            // node.pid lets tools that did not start the node find it (`drill run --cluster DIR`); removed on a
            // clean exit, left behind by a crash (a reader checks the process is alive).
            let pidPath = (folder.path as NSString).appendingPathComponent("node.pid")
            _ = FileManager.default.createFile(
                atPath: pidPath, contents: Data("\(ProcessInfo.processInfo.processIdentifier)\n".utf8),
                attributes: [.posixPermissions: 0o644])
            defer { try? FileManager.default.removeItem(atPath: pidPath) }
            try await group.run()
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the running node's peers: health, lag in change sets and seconds, last contact.",
            discussion: """
                Reads mesh-status.json, which a node run with --config rewrites every second. Exit status 0 when \
                the status is fresh, 69 when the node is not running (no status, or none for 10 s).
                """)
        @OptionGroup var dataOptions: DataOptions
        @OptionGroup var output: OutputOptions

        static let staleAfterMs: Int64 = 10_000

        func run() throws {
            let path = (dataOptions.resolvedPath as NSString).appendingPathComponent(NodeRunConfiguration.statusFileName)
            guard let data = FileManager.default.contents(atPath: path) else {
                report(["no status at \(path): the node has not run with --config (start it with `nightdesk node run --config FILE`)"])
                throw ExitCode(69)
            }
            let status: MeshStatus
            do {
                status = try JSONDecoder().decode(MeshStatus.self, from: data)
            } catch {
                report(["\(path) is not a node status file: \(error)"])
                throw ExitCode(65)
            }
            let ageMs = Int64(Date().timeIntervalSince1970 * 1000) - status.writtenAtMs
            let stale = ageMs > Self.staleAfterMs
            if output.json {
                try printJSON(status)
            } else {
                print("site \(status.site) · cluster \(status.cluster) · epoch \(status.epoch) · listening \(status.listening)")
                print("holds " + status.held.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " ")
                    + (status.unsealedChangeSets > 0 ? " · \(status.unsealedChangeSets) own change sets not yet sealed" : ""))
                if let state = status.siteState {
                    print("this site \(state)" + (status.capacity.map { " · " + describe($0) } ?? ""))
                }
                for peer in status.peers {
                    let contact = peer.lastContactMsAgo.map { "last contact \(Double($0) / 1000) s ago" } ?? "never in contact"
                    var line = "  \(peer.site)  \(peer.health)  lag \(peer.lagChangeSets) change sets, "
                        + String(format: "%.1f s", peer.lagSeconds) + " · \(contact)"
                    if let state = peer.siteState { line += " · site \(state)" }
                    if let capacity = peer.capacity { line += " · " + describe(capacity) }
                    if let refusal = peer.refusal { line += " · refused: \(refusal)" }
                    print(line)
                }
                if !status.rejected.isEmpty {
                    print("rejected change sets: " + status.rejected.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                }
                if status.clientsRefused > 0 { print("connections refused (key not in the topology): \(status.clientsRefused)") }
            }
            if stale {
                report(["the node is not running: this status was written \(ageMs / 1000) s ago"])
                throw ExitCode(69)
            }
        }
    }
}

/// A site's capacity on one line: `3 handlers (EAL 2, ENF 1) · 1 call in progress`.
func describe(_ capacity: SiteCapacity) -> String {
    let trained = capacity.trainedByOrganisation.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
    return "\(capacity.handlersSignedIn) handler\(capacity.handlersSignedIn == 1 ? "" : "s")"
        + (trained.isEmpty ? "" : " (\(trained.joined(separator: ", ")))")
        + " · \(capacity.callsInProgress) call\(capacity.callsInProgress == 1 ? "" : "s") in progress"
}
