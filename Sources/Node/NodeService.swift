import Domain
import Foundation
import Logging
import ServiceLifecycle
import Store

/// The node daemon: holds the store open and reports its state until asked to stop.
///
/// Later parts of the node (mesh links, timers, the portal) join the same `ServiceGroup`.
public struct NodeService: Service {
    public let folder: NodeFolder
    public let statusInterval: Duration
    let logger: Logger

    public init(folder: NodeFolder, statusInterval: Duration, logger: Logger) {
        precondition(statusInterval >= .milliseconds(100), "status interval must be at least 100 ms")
        self.folder = folder
        self.statusInterval = statusInterval
        self.logger = logger
    }

    public func run() async throws {
        let catalogue = try folder.database.catalogue()
        var logger = logger
        logger[metadataKey: "node.site"] = "\(folder.site)"
        logger.info(
            "node started",
            metadata: [
                "node.data": "\(folder.path)",
                "catalogue.organisations": "\(catalogue.organisations.count)",
                "catalogue.options": "\(catalogue.organisations.reduce(0) { $0 + $1.options.count })",
                "catalogue.access_numbers": "\(catalogue.accessNumbers.count)",
            ])
        while !Task.isShuttingDownGracefully {
            let counts = try folder.database.callCounts()
            logger.info(
                "node status",
                metadata: ["calls.total": "\(counts.total)", "calls.not_closed": "\(counts.notClosed)"])
            let interval = statusInterval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        logger.info("node stopping: shutdown requested, no work in flight")
    }
}
