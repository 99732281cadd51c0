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

    // MARK: mesh

    /// Calls in WST's backlog for the catch-up by default, logged one per transaction (a change set each).
    static let meshCallsDefault = 20_000
    /// Largest backlog accepted: the baselines hold every change set in memory (about 13 KB each, measured at
    /// 10,000: envelope, chain entry, decoded change set and the in-memory backlog), so this bounds them near 2.6 GB.
    static let meshCallsMax = 200_000
    /// Calls logged at WST one per transaction while the live latency is measured, by default.
    static let liveCallsDefault = 500
    /// The rate the live calls are logged at by default, and the highest `--live-calls-per-second` accepted.
    static let liveCallsPerSecondDefault = 50
    static let liveCallsPerSecondMax = 1_000
    /// Timed round trips of the 1 KiB frame by default, after `roundTripWarmups` untimed ones.
    static let roundTripsDefault = 1_000
    static let roundTripWarmups = 50
    /// Bytes of the round-trip frame, header included.
    static let roundTripFrameBytes = 1_024
    /// Most change sets in one `changeSets` frame: the sync's own limit (`SyncLimits.frameSetsMax`, internal to
    /// Node), so the transport baseline sends frames of the same size.
    static let meshFrameSetsMax = 512
    /// Longest WST's sync service may take to seal its backlog.
    static let sealSecondsMax = 600
    /// Longest EST may take to catch up, from its start until it holds and has applied WST's backlog.
    static let catchUpSecondsMax = 900
    /// Longest links may take to come up, and a fresh cluster to exchange its catalogue change sets.
    static let linkSecondsMax = 30
    /// Longest after the last live call is due for every site to have applied it.
    static let liveDrainSecondsMax = 30
    /// Longest the transport baseline may take to deliver the backlog's frames.
    static let transportSecondsMax = 300
    /// Longest the round trips may take, warm-up included.
    static let roundTripSecondsMax = 120
    /// How often the catch-up's end and the sealing's end are looked for.
    static let catchUpPollMs = 2
    /// How often the live phase reads each receiving site's applied vector.
    static let livePollMs = 1
    /// The benchmark's sites retry a link every 100 ms instead of backing off to the default 5 s, so a site
    /// started after its peer is not measured waiting for the peer's next retry.
    static let meshReconnectIntervalMs = 100
    /// How long a stopping site keeps pushing unacknowledged change sets (the node's default is 3 s).
    static let meshDrainTimeoutMs = 100
}
