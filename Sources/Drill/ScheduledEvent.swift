import Domain

/// Something that happens to the service for a while: the failures of 8.1 and 8.6, or a surge (2.1.5).
public struct ScheduledEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The site's handlers are lost (power failure): none on shift. Calls already queued there wait for
        /// power to return or until their callers give up; a router that reads capacity sends new calls elsewhere.
        case powerFailure(site: SiteCode)
        /// The site takes no new calls (evacuation or draining); its handlers finish the calls already queued.
        case draining(site: SiteCode)
        /// The site's telephony is lost: it takes no calls, and calls queued there are cut off (counted as
        /// abandoned, and as lost to a failure).
        case telephonyLost(site: SiteCode)
        /// One organisation's calls arrive `multiplier` times as fast (cold weather, noise in summer, 2.1.5).
        case surge(organisation: OrganisationCode, multiplier: Double)
        /// Only `staffingPercent` of the site's scheduled handlers are on shift (sickness, a late shift).
        case handlerShortage(site: SiteCode, staffingPercent: Int)
    }

    public let kind: Kind
    /// Seconds from the start of the run.
    public let startSeconds: Double
    public let endSeconds: Double

    public init(_ kind: Kind, startSeconds: Double, endSeconds: Double) {
        self.kind = kind
        self.startSeconds = startSeconds
        self.endSeconds = endSeconds
    }

    var site: SiteCode? { kind.site }

    func validate(runSeconds: Double, sites: [SiteCode], profile: TrafficProfile) throws {
        guard startSeconds.isFinite, endSeconds.isFinite, startSeconds >= 0, startSeconds < endSeconds,
            endSeconds <= runSeconds
        else {
            throw DrillError(
                .invalidEvent,
                "event from \(startSeconds) s to \(endSeconds) s is not valid: it must start before it ends, "
                    + "within the run's 0 to \(Int(runSeconds)) s")
        }
        try Self.validate(kind, sites: sites, profile: profile)
    }

    /// Checks what an event does, whenever it happens: its site is staffed, its organisation is in the profile,
    /// its numbers are in range.
    static func validate(_ kind: Kind, sites: [SiteCode], profile: TrafficProfile) throws {
        if let site = kind.site, !sites.contains(site) {
            throw DrillError(
                .invalidEvent,
                "event names site \(site), which the staffing schedule does not have: use one of "
                    + sites.map(\.rawValue).joined(separator: ", "))
        }
        switch kind {
        case .surge(let organisation, let multiplier):
            guard profile.index(of: organisation) != nil else {
                throw DrillError(
                    .invalidEvent, "surge names \(organisation), which the traffic profile does not have")
            }
            guard multiplier.isFinite, multiplier > 0, multiplier <= DrillLimits.surgeMultiplierMax else {
                throw DrillError(
                    .invalidEvent,
                    "surge multiplier \(multiplier) is not valid: "
                        + "give more than 0, at most \(DrillLimits.surgeMultiplierMax)"
                )
            }
        case .handlerShortage(_, let percent):
            guard (0...100).contains(percent) else {
                throw DrillError(.invalidEvent, "staffing percent \(percent) is not valid: give 0 to 100")
            }
        case .powerFailure, .draining, .telephonyLost:
            break
        }
    }
}

extension ScheduledEvent.Kind: CustomStringConvertible {
    /// The site the event acts on, if it acts on one.
    var site: SiteCode? {
        switch self {
        case .powerFailure(let site), .draining(let site), .telephonyLost(let site): site
        case .handlerShortage(let site, _): site
        case .surge: nil
        }
    }

    public var description: String {
        switch self {
        case .powerFailure(let site): "power failure at \(site)"
        case .draining(let site): "draining of \(site)"
        case .telephonyLost(let site): "telephony loss at \(site)"
        case .surge(let organisation, let multiplier): "surge of \(organisation) x\(multiplier)"
        case .handlerShortage(let site, let percent): "handler shortage at \(site) (\(percent)% staffed)"
        }
    }
}

extension ScheduledEvent {
    /// Reads a surge written `ORG=x3@18:00-20:00` (on the run's first day) or `ORG=x1.5@2/18:00-20:00` (on day 2);
    /// an end at or before the start runs past midnight.
    public static func surge(parsing text: String) throws -> ScheduledEvent {
        let example = "write it ORG=x3@18:00-20:00 (or ORG=x3@2/18:00-20:00 for day 2), e.g. ENF=x3@18:00-20:00"
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        let head = parts.first.map { $0.split(separator: "=", omittingEmptySubsequences: false) } ?? []
        guard parts.count == 2, head.count == 2, head[1].lowercased().hasPrefix("x"),
            let multiplier = Double(head[1].dropFirst())
        else {
            throw DrillError(.invalidEvent, "surge '\(text)' is not understood: \(example)")
        }
        let organisation: OrganisationCode
        do { organisation = try OrganisationCode(String(head[0])) } catch let error as DomainError {
            throw DrillError(.invalidEvent, "surge '\(text)': \(error.message)")
        }
        var window = Substring(parts[1])
        var day = 1
        if let slash = window.firstIndex(of: "/") {
            guard let given = Int(window[..<slash]), given >= 1 else {
                throw DrillError(.invalidEvent, "surge '\(text)': the day before '/' must be 1 or more; \(example)")
            }
            day = given
            window = window[window.index(after: slash)...]
        }
        let times = window.split(separator: "-", omittingEmptySubsequences: false)
        guard times.count == 2, let start = secondsOfDay(times[0]), let end = secondsOfDay(times[1]) else {
            throw DrillError(.invalidEvent, "surge '\(text)': the times are not HH:MM-HH:MM; \(example)")
        }
        let dayStart = Double(day - 1) * 86_400
        let endSeconds = dayStart + (end > start ? end : end + 86_400)
        return ScheduledEvent(
            .surge(organisation: organisation, multiplier: multiplier), startSeconds: dayStart + start,
            endSeconds: endSeconds)
    }

    private static func secondsOfDay(_ text: Substring) -> Double? {
        let pieces = text.split(separator: ":", omittingEmptySubsequences: false)
        guard pieces.count == 2, pieces[0].count == 2, pieces[1].count == 2, let hours = Int(pieces[0]),
            let minutes = Int(pieces[1]), (0..<24).contains(hours), (0..<60).contains(minutes)
        else { return nil }
        return Double(hours * 3_600 + minutes * 60)
    }
}
