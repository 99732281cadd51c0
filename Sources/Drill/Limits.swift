import Domain

/// Every maximum the traffic model enforces, in one place (STYLE.md: "put a limit on everything").
public enum DrillLimits {
    /// Most scheduled events (power failures, drains, telephony losses, surges, shortages) in one run.
    public static let eventsPerRunMax = 64
    /// Most calls one run may generate: about three years of today's ~350,000 a year (2.1.9).
    public static let callsPerRunMax = 1_000_000
    /// Longest run, in days.
    public static let runDaysMax = 400
    /// Most sites one run may staff (the cluster limit of Domain).
    public static let sitesMax = DomainLimits.clusterSitesMax
    /// Most handler teams at one site.
    public static let teamsPerSiteMax = 16
    /// Most handlers one team may have on shift in an hour.
    public static let handlersPerTeamMax = 500
    /// Most organisations one profile may hold (skills are kept as a 64-bit set).
    public static let organisationsMax = 64
    /// Largest surge multiplier an event may apply.
    public static let surgeMultiplierMax = 50.0
    /// Most transitions one `advance(to:)` step may report; a driver steps in seconds or minutes, far below this.
    public static let transitionsPerStepMax = 200_000
    /// Most calls a handler who frees up looks at, past ones they are not trained for, before giving up.
    public static let queueScanMax = 10_000

    static func checkRelations() {
        precondition(organisationsMax <= 64, "skills are a UInt64 bit set")
        precondition(callsPerRunMax <= Int(Int32.max), "call indices are kept as Int32")
    }
}
