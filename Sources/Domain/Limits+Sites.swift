extension DomainLimits {
    /// Longest call handler's name, in characters.
    public static let handlerNameCharactersMax = 100
    /// Most organisations one handler may be recorded as trained for: every Participating Organisation.
    public static let handlerTrainingsMax = 64
    /// Longest announcement text, in characters: about a minute read aloud after the greeting (5.1.1, 5.1.3).
    public static let announcementTextCharactersMax = 600
    /// Longest an announcement may be set to stay up with `--until`: past that, deploy it again.
    public static let announcementDurationMsMax: Int64 = 31 * 24 * 60 * 60 * 1000
    /// Most handlers one listing returns.
    public static let handlersListedMax = 2_000
    /// Most announcements one listing returns.
    public static let announcementsListedMax = 1_000
}
