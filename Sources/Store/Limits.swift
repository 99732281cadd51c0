/// Every maximum the store enforces.
public enum StoreLimits {
    /// Most calls one search returns.
    public static let searchResultsMax = 200
    /// Results of a search when none is asked for.
    public static let searchResultsDefault = 20
    /// Most addresses one address lookup returns.
    public static let addressResultsMax = 50
    /// Most addresses one gazetteer import accepts.
    public static let gazetteerRowsMax = 2_000_000
    /// Most search words taken from one field; more narrow nothing and only slow the query.
    public static let searchTermsMax = 8
    /// Most referrals one listing returns (outstanding, overdue, or a month's for a report).
    public static let referralsListedMax = 5_000
    /// Most lone-worker sessions one board lists (5.2.3.6); a centre has a few dozen officers out at once.
    public static let loneWorkerSessionsListedMax = 1_000
    /// How long a writer waits for another process's transaction before giving up.
    public static let busyTimeoutMs = 5_000
}
