/// Every maximum the store enforces.
public enum StoreLimits {
    /// Longest reason kept for a failed line test (8.13).
    public static let lineTestReasonCharactersMax = 500
    /// Most line tests one listing or monthly report reads: 48 half hours × 31 days × 60 numbers.
    public static let lineTestsListedMax = 100_000
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
    /// Most referrals one timer pass recomputes, and most it escalates; the rest wait for the next pass.
    public static let referralTimersPerPassMax = 2_000
    /// How long a writer waits for another process's transaction before giving up.
    public static let busyTimeoutMs = 5_000
}

/// Every maximum of the outbox.
public enum OutboxLimits {
    /// Longest email subject, in characters.
    public static let emailSubjectCharactersMax = 200
    /// Largest email body, in UTF-8 bytes: a referral with every answer is a few kilobytes (5.2.3.3).
    public static let emailBodyBytesMax = 64 * 1_024
    /// Longest referral identifier kept with a message.
    public static let referralIDCharactersMax = 64
    /// Longest error text kept from one attempt; a longer one is cut.
    public static let errorCharactersMax = 1_000
    /// Longest provider identifier kept from one attempt.
    public static let providerIDCharactersMax = 200
    /// Attempts that may be begun, at any site, before a message is given up and left to a person (5.3.2).
    public static let attemptsMax = 5
    /// Most messages one listing returns.
    public static let listMax = 500
    /// Most messages one `pendingMessages` call returns.
    public static let pendingBatchMax = 100
    /// Wait after the first failed attempt before the next; it doubles after each further failure
    /// (`OutboxRetryPolicy.delayMs(afterFailures:)`), up to `retryDelayMsMax`.
    public static let retryDelayMsDefault: Int64 = 60_000
    /// Longest wait between two attempts, however many have failed: with the defaults the waits are 1, 2, 4 and
    /// 8 minutes, so a message is given up about a quarter of an hour after its first failure.
    public static let retryDelayMsMax: Int64 = 600_000
    /// An attempt with no result for this long is taken as interrupted; longer than every transport's own
    /// time limit (`TransportLimits` in Node checks it).
    public static let interruptedAfterMsDefault: Int64 = 120_000
}
