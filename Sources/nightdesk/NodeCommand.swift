import ArgumentParser
import Foundation
import Logging
import Node
import ServiceLifecycle

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Run this site's node.", subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the node until SIGTERM or SIGINT; finishes in-flight work before exiting.")
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: "How often the node logs its status, milliseconds.") var statusIntervalMs: Int = 60_000

        func validate() throws {
            guard (100...86_400_000).contains(statusIntervalMs) else {
                throw ValidationError("--status-interval-ms must be from 100 to 86400000")
            }
        }

        func run() async throws {
            var folderResult: NodeFolder?
            try runReportingErrors { folderResult = try dataOptions.open() }
            guard let folder = folderResult else { throw ExitCode(78) }
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = .info
                return handler
            }
            let logger = Logger(label: "nightdesk.node")
            let service = NodeService(
                folder: folder, statusInterval: .milliseconds(statusIntervalMs), logger: logger)
            let group = ServiceGroup(
                configuration: .init(
                    services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }
}
