/// Every bound the benchmark runs under: each load loop stops at a count or a time, whichever comes first.
enum BenchLimits {
    /// Calls logged one per transaction by default (each path, Nightdesk and raw SQLite).
    static let logCallsDefault = 20_000
    /// Calls written in batches by default when comparing the bulk path with raw SQLite.
    static let batchCallsDefault = 100_000
    /// Calls the search database is filled to by default.
    static let fillCallsDefault = 1_000_000
    /// Largest `--calls`, `--log-calls` or `--batch-calls` accepted.
    static let callsMax = 5_000_000
    /// Calls per transaction on the bulk path and its raw baseline.
    static let batchSize = 1_000
    /// Rounds the Nightdesk and raw loops alternate in, so a burst of load on a shared machine hits both.
    static let rounds = 4
    /// Longest either path of one comparison may run before it stops early.
    static let comparisonSecondsMax = 60
    /// Longest the fill to `--calls` may run; the searches then run on what was filled.
    static let fillSecondsMax = 1_800
    /// Timed searches by default, spread evenly over the kinds.
    static let searchQueriesDefault = 2_000
    /// Longest the timed searches may run.
    static let searchSecondsMax = 60
    /// Untimed searches of each kind run first, so the timed ones do not measure a cold page cache.
    static let warmupQueriesPerKind = 10
    /// The search goal of the issue: p99 under this.
    static let searchP99GoalMs = 5.0
    /// Attempts at finding an option open at a call's time before the call is signposted instead.
    static let optionPicksMax = 4
}
