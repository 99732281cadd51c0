/// Every maximum the replication core enforces (STYLE.md: "put a limit on everything").
public enum ReplicationLimits {
    /// Default bound on how far ahead of local time a remote clock may be before its change set is quarantined.
    public static let clockSkewMsMaxDefault: Int64 = 60_000
    /// Most row operations in one change set: a larger local transaction is refused, not split.
    public static let operationsPerChangeSetMax = 10_000
    /// Most sites in one cluster (the size of a version vector).
    public static let sitesMax = 64
    /// Largest logical counter before a clock refuses to advance (never reached while physical time moves).
    public static let logicalCounterMax: UInt32 = UInt32.max - 1
}
