import Replication

/// Every maximum the node's configuration files are held to (STYLE.md: "put a limit on everything").
public enum NodeLimits {
    // MARK: Topology file

    /// Most sites in one cluster: every site is an entry in every version vector.
    public static let topologySitesMax = ReplicationLimits.sitesMax
    /// Longest cluster id, in characters (printable ASCII, so also bytes).
    public static let clusterIDCharactersMax = 64
    /// Longest readable site name, in characters.
    public static let siteNameCharactersMax = 120
    /// Longest sync endpoint, in characters; ZeroMQ's own limit on an endpoint string is of this order.
    public static let endpointCharactersMax = 255
    /// Largest topology file read: a 64-site topology is a few kilobytes.
    public static let topologyFileBytesMax = 1_024 * 1_024
    /// Largest public-key file read: three short lines and a comment.
    public static let publicKeysFileBytesMax = 4_096

    // MARK: Line tests (8.13)

    /// How often a node checks which test calls are owed, by default, and the range allowed.
    public static let lineTestIntervalMsDefault = 15_000
    public static let lineTestIntervalMsRange = 1_000...300_000
    /// Longest a real test call (the dial command) may take, by default, and the range allowed.
    public static let lineTestDialTimeoutMsDefault = 30_000
    public static let lineTestDialTimeoutMsRange = 1_000...120_000
}

/// Every maximum of the outbox's transports.
public enum TransportLimits {
    /// Longest any transport may take over one message. Kept below the outbox's interruption bound, so an
    /// attempt still under way is never taken for an interrupted one (`OutboxDelivery` checks it).
    public static let transportTimeoutMsMax = 60_000
    /// Default time limit of one sendmail run.
    public static let sendmailTimeoutMsDefault = 30_000
    /// Default time limit of one Notify request.
    public static let notifyTimeoutMsDefault = 20_000
    /// Most bytes of a mail command's standard error kept for the attempt's error.
    public static let commandErrorBytesMax = 2_048
    /// Largest answer read from Notify: a notification or a page of look-up results.
    public static let responseBytesMax = 1_024 * 1_024
    /// Largest transports file read.
    public static let transportsFileBytesMax = 64 * 1_024
    /// Largest API key file read: one key of about 100 characters.
    public static let apiKeyFileBytesMax = 1_024
    /// Most arguments given to the mail command.
    public static let commandArgumentsMax = 32
}

extension NodeLimits {
    /// How often the node looks for outbox messages to send, by default.
    public static let outboxIntervalMsDefault: Int64 = 500
    /// Most messages the node sends in one look: the rest wait for the next, so a backlog is worked through in
    /// bounded steps and a graceful shutdown waits for one batch at most.
    public static let outboxBatchMax = 20
}
