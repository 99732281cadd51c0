/// Every maximum the domain enforces, in one place (STYLE.md: "put a limit on everything").
public enum DomainLimits {
    /// Longest caller name kept on a call.
    public static let callerNameCharactersMax = 200
    /// Longest free-text details a handler may record on one call.
    public static let callDetailsCharactersMax = 8_000
    /// Longest answer to a `string` question.
    public static let stringAnswerCharactersMax = 200
    /// Longest answer to a `text` question.
    public static let textAnswerCharactersMax = 4_000
    /// Longest note added to a call.
    public static let noteCharactersMax = 4_000
    /// Longest incident address written as free text.
    public static let addressCharactersMax = 400
    /// Most questions one Service Option's script may ask.
    public static let questionsPerOptionMax = 50
    /// Most values one list question may offer.
    public static let listValuesMax = 100
    /// Largest UPRN: OS UPRNs are at most 12 digits.
    public static let uprnMax: Int64 = 999_999_999_999
    /// Digits of a call serial number after the site code (31^6 ≈ 887 million calls per site).
    public static let referenceSerialDigits = 6
    /// Default radius for possible-duplicate offers, as FixMyStreet uses (5.2.7).
    public static let duplicateRadiusMetresDefault = 250.0
    /// Default look-back window for possible duplicates (5.2.7): three nights.
    public static let duplicateWindowSecondsDefault: Double = 72 * 3600
    /// Most possible duplicates offered to a handler at once.
    public static let duplicateOffersMax = 10
    /// Default time allowed to pass on a referral (6.4b).
    public static let referralLimitMinutesDefault = 10

    // Rotas, contacts and referrals (7.5, 14.4, 5.2.5, 5.3.2).

    /// Longest identifier of a contact, rota or override.
    public static let identifierCharactersMax = 64
    /// Longest name of a contact, rota, stage or layer.
    public static let contactNameCharactersMax = 200
    /// Longest email address (RFC 5321 4.5.3.1.3).
    public static let emailCharactersMax = 254
    /// Longest sub-category (e.g. a type of housing repair) or area name a rota is narrowed to.
    public static let rotaScopeCharactersMax = 64
    /// Most stages one rota may have: stage 1, stage 2, manager and a little room.
    public static let rotaStagesMax = 6
    /// Most layers one stage may have.
    public static let rotaLayersPerStageMax = 12
    /// Most turns in one rotation.
    public static let rotationTurnsMax = 500
    /// Most people on call together in one turn ("often more than 1 person on call").
    public static let peoplePerTurnMax = 20
    /// Shortest rotation, in hours: two, so every turn has some real time even when the clocks skip an hour in
    /// March (a one-hour turn from 01:00 would start and end at the same instant, and its person would never be on).
    public static let rotationHoursMin = 2
    /// Longest rotation, in days.
    public static let rotationDaysMax = 366
    /// Most restriction windows on one layer (two a day for a week, and spare).
    public static let restrictionWindowsMax = 21
    /// Most overrides one rota holds, past and future.
    public static let overridesPerRotaMax = 20_000
    /// Longest single override.
    public static let overrideDaysMax = 366
    /// An override made less than this long before it starts is a last-minute change (14.4).
    public static let lastMinuteOverrideHours = 24
    /// Most rotas for one organisation's Service Option, across its sub-categories and areas.
    public static let rotasPerOptionMax = 500
    /// Longest period a gap report or on-call total may cover.
    public static let rotaReportDaysMax = 93
    /// Most steps in one Escalation Procedure.
    public static let escalationStepsMax = 10
    /// Longest a step may wait for an acknowledgement.
    public static let acknowledgementWaitMsMax = 60 * 60 * 1_000
    /// Most attempts recorded on one referral.
    public static let referralAttemptsMax = 1_000
    /// Longest referral limit a PO may set (6.4b), in minutes.
    public static let referralLimitMinutesMax = 24 * 60
    /// GSM-7 septets in one SMS (5.2.5).
    public static let smsSeptetsMax = 160

    // Lone-worker sessions (5.2.3.6).

    /// Shortest expected time on site, and shortest extension a check-in may ask for.
    public static let loneWorkerDurationMsMin = 5 * 60 * 1_000
    /// Longest expected time on site, and longest extension a check-in may ask for.
    public static let loneWorkerDurationMsMax = 12 * 60 * 60 * 1_000
    /// Longest a session may run from its start to its deadline, however many check-ins extend it.
    public static let loneWorkerSessionMsMax = 24 * 60 * 60 * 1_000
    /// Most check-ins one session may record.
    public static let loneWorkerCheckInsMax = 100
    /// Default time a handler has to acknowledge an amber alert before it goes red.
    public static let loneWorkerAcknowledgementWindowMsDefault = 5 * 60 * 1_000
    /// Shortest and longest acknowledgement window a PO may agree.
    public static let loneWorkerAcknowledgementWindowMsMin = 60 * 1_000
    public static let loneWorkerAcknowledgementWindowMsMax = 60 * 60 * 1_000
    /// Longest description of where the officer is, or of the task they are doing.
    public static let loneWorkerTextCharactersMax = 400
    /// Shortest and longest check-out code word or PIN, after normalising.
    public static let loneWorkerCodeCharactersMin = 4
    public static let loneWorkerCodeCharactersMax = 64
    /// Longest stored credential hash (an encoded Argon2id string is about 100 characters).
    public static let credentialHashCharactersMax = 512

    // Timers across the cluster (8.9, DESIGN.md "Failover and traffic").

    /// Most sites, voting and replica, one cluster may have.
    public static let clusterSitesMax = 32
    /// Most heartbeat samples kept per peer for the cluster clock.
    public static let clockSamplesPerPeerMax = 16
    /// Default age after which a heartbeat sample no longer counts towards cluster time.
    public static let clockSampleWindowMsDefault = 60_000
    /// Default bound on a heartbeat's one-way delay between sites.
    public static let oneWayDelayMsMaxDefault = 500
    /// Largest one-way delay bound, and largest sample window, that may be configured.
    public static let oneWayDelayMsMaxLimit = 10_000
    public static let clockSampleWindowMsMax = 10 * 60 * 1_000

    // Access numbers and IVR menus (7.1.3, 7.1.4).

    /// Most choices one menu may offer: the twelve keys of a keypad.
    public static let ivrChoicesMax = 12
    /// Longest prompt a menu may read out.
    public static let ivrPromptCharactersMax = 400
    /// Shortest, longest and default wait for a key on each play of a menu.
    public static let ivrWaitSecondsMin = 3
    public static let ivrWaitSecondsMax = 30
    public static let ivrWaitSecondsDefault = 8
    /// Fewest, most and default plays of a menu before the call goes to its default option.
    public static let ivrPlaysMin = 1
    public static let ivrPlaysMax = 5
    public static let ivrPlaysDefault = 3

    // Routing new calls between sites (7.1.7, 7.1.10, DESIGN.md "Failover and traffic").

    /// Share of each site's signed-in handlers held in reserve, divided among the organisations it serves in
    /// proportion to their trained handlers, so a surge for one cannot take them all (7.1.7).
    public static let routingReservePercent = 20
    /// Share of each site's signed-in handlers that Silver and Bronze calls leave free for Platinum and Gold
    /// calls (6.2, 6.3, 7.1.5).
    public static let routingPriorityHoldbackPercent = 10
    /// An operator's manual split moves traffic in steps of this many percent.
    public static let routingSplitStepPercent = 10
    /// Default width of the time bucket in a call's routing key: retries within it reach the same site.
    public static let routingKeyBucketSecondsDefault = 60
    /// Most handlers one site may report signed in.
    public static let routingHandlersPerSiteMax = 2_000
    /// Most handler groups (sets of organisations trained for) one site view may list.
    public static let routingHandlerGroupsPerSiteMax = 500
    /// Most calls in progress, or queued, one site may report for one organisation.
    public static let routingCallsPerOrganisationMax = 100_000
    /// Most organisations one site view may list calls for.
    public static let routingOrganisationsPerSiteMax = 500

    // Line testing (8.13, 2.1.8).

    /// Largest agreed demand threshold below which a number is tested every half hour.
    public static let lineTestThresholdCallsPerHourMax = 1_000
    /// The threshold when an organisation has agreed none: a number that took no call in the past hour is tested.
    public static let lineTestThresholdCallsPerHourDefault = 1
}
