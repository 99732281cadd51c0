/// Limits of the drill runner (STYLE.md: a limit on everything).
public enum RunnerLimits {
    /// Most sites a local drill cluster may have.
    public static let sitesMax = 8
    /// Fewest sites: a drill needs at least one survivor to move traffic to (8.6 a).
    public static let sitesMin = 2
    /// Most drill seconds per wall-clock second.
    public static let compressionMax = 600.0
    /// Longest phase, drill seconds (one day: 8.4 a's short-term incident).
    public static let phaseDrillSecondsMax = 86_400.0
    /// Longest whole drill on the wall clock, seconds, so a typo cannot hold a cluster for hours.
    public static let wallSecondsMax = 3_600.0
    /// Most dummy calls written to the stores per wall-clock second, across every site; the bound on the load a
    /// drill puts on the nodes' stores.
    public static let loggedCallsPerWallSecondMax = 20.0
    /// Most handlers per site in the traffic model.
    public static let handlersPerSiteMax = 500
    /// Fewest and most percent of the specification's volume a drill on its profile may offer.
    public static let volumePercentMin = 1
    public static let volumePercentMax = 1_000
    /// Largest surge factor.
    public static let surgeFactorMax = 50.0
    /// How often the runner advances the traffic model and reads the nodes' status, wall-clock milliseconds.
    public static let tickMs = 100
    /// Longest the runner waits for a node to start or stop, wall-clock seconds.
    public static let nodeWaitSecondsMax = 30.0
    /// Longest the runner waits after the drill for every site to hold every acknowledged write (RPO check).
    public static let convergenceSecondsMaxDefault = 30.0
    /// Most routing samples kept (one a wall-clock second: the longest drill's worth).
    public static let routingSamplesMax = 3_600
    /// Most samples kept per series for the report's charts.
    public static let chartBucketsMax = 120
    /// Largest runbook file read, bytes.
    public static let runbookBytesMax = 256 * 1024
}
