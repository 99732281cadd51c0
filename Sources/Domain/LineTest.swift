import Foundation

/// Why a test call is made (8.13).
public enum LineTestKind: String, Codable, Sendable, CaseIterable, Comparable {
    /// "An initial daily test call … immediately following each regular transfer of the Call Handling Service from
    /// each Participating Organisation": one at the start of each out-of-hours period.
    case periodStart = "period-start"
    /// "Test calls every half hour in any instance where the call demand per hour … drops below a particular
    /// threshold."
    case lowDemand = "low-demand"

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// One test call owed: its number, why, and the instant that names it (the period's start, or the half hour).
///
/// The slot is the test's identity across the cluster: whichever site makes the call records it under this slot,
/// and a second site finding the slot recorded does not call again.
public struct LineTestSlot: Hashable, Codable, Sendable, Comparable, CustomStringConvertible {
    public let number: PhoneNumber
    public let kind: LineTestKind
    /// Whole minutes since 1970 in UTC: the period's start, or the start of the half hour.
    public let slotMinute: Int64

    public init(number: PhoneNumber, kind: LineTestKind, slotMinute: Int64) {
        self.number = number
        self.kind = kind
        self.slotMinute = slotMinute
    }

    public var slotStart: Date { Date(timeIntervalSince1970: TimeInterval(slotMinute * 60)) }

    public static func < (a: Self, b: Self) -> Bool {
        (a.slotMinute, a.number.e164, a.kind) < (b.slotMinute, b.number.e164, b.kind)
    }

    public var description: String { "\(number.e164) \(kind.rawValue) @\(slotMinute)" }
}

/// What an organisation agreed for its line testing (8.13, 2.1.8).
public struct LineTestPolicy: Hashable, Codable, Sendable {
    /// Below this many calls in the past hour on a number, it is tested every half hour; 0 turns those tests off.
    public let thresholdCallsPerHour: Int

    public init(thresholdCallsPerHour: Int) throws {
        guard (0...DomainLimits.lineTestThresholdCallsPerHourMax).contains(thresholdCallsPerHour) else {
            throw DomainError(
                .invalidValue,
                "a line-test threshold of \(thresholdCallsPerHour) calls an hour is not allowed: give 0 (no low-demand "
                    + "tests) to \(DomainLimits.lineTestThresholdCallsPerHourMax), as agreed with the organisation (8.13)")
        }
        self.thresholdCallsPerHour = thresholdCallsPerHour
    }

    /// The threshold when an organisation has not agreed one.
    public static let standard = try! LineTestPolicy(
        thresholdCallsPerHour: DomainLimits.lineTestThresholdCallsPerHourDefault)
}

/// When the test calls for one publicly advertised access number are due (8.13).
///
/// Pure: the caller gives the number's hours, the time, the past hour's demand and the slots already recorded.
/// - A **period-start** test is owed at every instant the number goes from closed to open (the organisation
///   transferring its calls to the service), for `LineTestPlan.periodStartGraceMinutes` after it: a site that was
///   down at the start still makes it when it comes back soon after, and not hours later.
/// - A **low-demand** test is owed once per half hour (xx:00, xx:30 UTC — London's offsets are whole hours, so these
///   are its local half hours too) while the number is open and the past hour brought fewer calls than the
///   organisation's threshold — but not in a half hour whose period-start test is owed or made: one call proves
///   the line.
public struct LineTestPlan: Sendable {
    /// How long after a period starts its test is still owed.
    public static let periodStartGraceMinutes = 30
    /// Minutes between low-demand tests (8.13: "every half hour").
    public static let lowDemandIntervalMinutes = 30

    public let number: PhoneNumber
    /// The hours of the options the number serves: it is open when any of them is.
    public let hours: [OperatingHours]
    public let calendar: OperatingCalendar
    public let policy: LineTestPolicy

    public init(number: PhoneNumber, hours: [OperatingHours], calendar: OperatingCalendar, policy: LineTestPolicy) {
        self.number = number
        self.hours = hours
        self.calendar = calendar
        self.policy = policy
    }

    /// Whether the number's calls come to the service at an instant.
    public func isOpen(at instant: Date) -> Bool {
        hours.contains { $0.isOpen(at: instant, calendar: calendar) }
    }

    /// The start of the out-of-hours period under way at `now`, if it began at most the grace before.
    public func periodStart(at now: Date) -> Date? {
        let minute = Int64((now.timeIntervalSince1970 / 60).rounded(.down))
        guard isOpen(at: Self.instant(minute: minute)) else { return nil }
        for back in 0...Int64(Self.periodStartGraceMinutes) {
            let candidate = minute - back
            if !isOpen(at: Self.instant(minute: candidate - 1)) { return Self.instant(minute: candidate) }
        }
        return nil
    }

    /// The tests owed at `now` that are not among `recorded`, period-start first.
    public func due(at now: Date, callsPastHour: Int, recorded: Set<LineTestSlot>) -> [LineTestSlot] {
        var owed: [LineTestSlot] = []
        let halfHour = Int64(Self.lowDemandIntervalMinutes)
        let minute = Int64((now.timeIntervalSince1970 / 60).rounded(.down))
        let halfHourStart = minute - ((minute % halfHour) + halfHour) % halfHour
        var periodStartThisHalfHour = false
        if let start = periodStart(at: now) {
            let slot = LineTestSlot(
                number: number, kind: .periodStart, slotMinute: Int64(start.timeIntervalSince1970 / 60))
            if !recorded.contains(slot) { owed.append(slot) }
            periodStartThisHalfHour = slot.slotMinute >= halfHourStart
        }
        if policy.thresholdCallsPerHour > 0, callsPastHour < policy.thresholdCallsPerHour,
            !periodStartThisHalfHour, isOpen(at: now)
        {
            let slot = LineTestSlot(number: number, kind: .lowDemand, slotMinute: halfHourStart)
            if !recorded.contains(slot) { owed.append(slot) }
        }
        return owed
    }

    static func instant(minute: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(minute * 60)) }
}

/// How a test call ended.
public enum LineTestOutcome: Hashable, Codable, Sendable {
    case passed
    case failed(reason: String)

    public var passed: Bool { self == .passed }
}

/// Whether a failed test starts the escalation procedure (8.13: "in the event that a failure is identified, the
/// relevant Escalation Procedure will be triggered").
///
/// A failure is identified once: the first failed test after a pass (or the number's first test) escalates; the
/// failures that follow while the line stays down are recorded without calling the same people every half hour.
/// A pass ends the streak, so the next failure escalates again.
public func lineTestFailureEscalates(_ outcome: LineTestOutcome, previous: LineTestOutcome?) -> Bool {
    guard !outcome.passed else { return false }
    guard let previous else { return true }
    return previous.passed
}
