import Foundation

/// Why a lone-worker session went red (5.2.3.6).
public enum LoneWorkerRedReason: String, Hashable, Codable, Sendable, CaseIterable {
    /// The deadline passed without a check-out and no handler acknowledged the amber alert in time.
    case missedCheckOut = "missed-check-out"
    /// The officer checked out with their duress code.
    case duress
}

/// A check-in: the officer called, and the deadline became at least `deadlineMs`.
public struct LoneWorkerCheckIn: Hashable, Codable, Sendable {
    public let atMs: Int64
    public let deadlineMs: Int64

    public init(atMs: Int64, deadlineMs: Int64) {
        self.atMs = atMs
        self.deadlineMs = deadlineMs
    }
}

/// A handler's acknowledgement of an amber alert.
public struct LoneWorkerAcknowledgement: Hashable, Codable, Sendable {
    public let atMs: Int64
    public let by: HandlerID

    public init(atMs: Int64, by: HandlerID) {
        self.atMs = atMs
        self.by = by
    }

    /// Earliest first; the handler breaks a tie, so two sites keep the same one.
    static func earlier(_ a: Self?, _ b: Self?) -> Self? {
        guard let a, let b else { return a ?? b }
        return (a.atMs, a.by) <= (b.atMs, b.by) ? a : b
    }
}

/// A handler's closing of a session: after an alert, when the officer is found safe, or to end a session that
/// is no longer needed.
public struct LoneWorkerResolution: Hashable, Codable, Sendable {
    public let atMs: Int64
    public let by: HandlerID
    /// What happened, in the handler's words ("officer found safe by manager, 23:40").
    public let note: String

    public init(atMs: Int64, by: HandlerID, note: String) {
        self.atMs = atMs
        self.by = by
        self.note = note
    }
}

/// What was recorded about the alert for one deadline. A check-in after an alert moves the deadline, and the
/// new deadline gets an alert of its own: an amber raised for 22:00 does not silence a missed 22:45.
public struct LoneWorkerAlert: Hashable, Sendable {
    public let deadlineMs: Int64
    public fileprivate(set) var amberAtMs: Int64?
    public fileprivate(set) var acknowledgement: LoneWorkerAcknowledgement?
    public fileprivate(set) var redAtMs: Int64?

    init(deadlineMs: Int64) {
        self.deadlineMs = deadlineMs
    }
}

/// One replicated fact about a lone-worker session. A session is its start plus the facts recorded since, so any
/// site that holds the same facts computes the same state.
public enum LoneWorkerFact: Hashable, Sendable {
    case checkedIn(LoneWorkerCheckIn)
    case amberRaised(deadlineMs: Int64, atMs: Int64)
    case acknowledged(deadlineMs: Int64, LoneWorkerAcknowledgement)
    /// Red for a missed check-out, for the alert of one deadline.
    case missedCheckOutRedRaised(deadlineMs: Int64, atMs: Int64)
    case checkedOut(atMs: Int64)
    /// The duress code was given; the session is red from this moment.
    case duressGiven(atMs: Int64)
    /// Red for the duress code given at `duressAtMs`.
    case duressRedRaised(duressAtMs: Int64, atMs: Int64)
    case resolved(LoneWorkerResolution)
}

/// Everything recorded about a session after its start, in a form that merges as a CRDT.
///
/// Each site records facts locally and replicates them; two sites that recorded concurrently converge whatever
/// order the facts arrive in, because every field merges by a rule that is commutative, associative and
/// idempotent (DESIGN.md "Replication model"):
///
/// | field | merge |
/// | --- | --- |
/// | `checkIns` | add-only set; the deadline is the latest of theirs and the start's: never shortened |
/// | `alerts[deadline].amberAtMs`, `.redAtMs` | earliest: two sites raising the same alert keep the first raise |
/// | `alerts[deadline].acknowledgement` | earliest, the handler id breaking a tie |
/// | `checkedOutAtMs` | earliest |
/// | `duressGivenAtMs`, `resolutions` | add-only sets: a duress code given after a resolution is not hidden by it |
/// | `duressRedRaised[duress]` | earliest, per duress code given |
///
/// Each earliest-wins field is equally an add-only set read by its minimum, so the store may keep either form:
/// `facts` lists the facts that rebuild this value exactly.
public struct LoneWorkerFacts: Hashable, Sendable {
    public private(set) var checkIns: Set<LoneWorkerCheckIn> = []
    /// By deadline in milliseconds.
    public private(set) var alerts: [Int64: LoneWorkerAlert] = [:]
    public private(set) var checkedOutAtMs: Int64?
    public private(set) var duressGivenAtMs: Set<Int64> = []
    /// By the instant the duress code was given: when red was raised for it.
    public private(set) var duressRedRaised: [Int64: Int64] = [:]
    public private(set) var resolutions: Set<LoneWorkerResolution> = []

    public init() {}

    /// Rebuilds the value from facts in any order, with or without repeats.
    public init(_ facts: some Sequence<LoneWorkerFact>) {
        for fact in facts { insert(fact) }
    }

    /// Adds one fact; returns whether anything changed, so a repeat can be skipped.
    @discardableResult
    public mutating func insert(_ fact: LoneWorkerFact) -> Bool {
        let before = self
        switch fact {
        case .checkedIn(let checkIn):
            checkIns.insert(checkIn)
        case .amberRaised(let deadlineMs, let atMs):
            updateAlert(deadlineMs) { $0.amberAtMs = earliest($0.amberAtMs, atMs) }
        case .acknowledged(let deadlineMs, let acknowledgement):
            updateAlert(deadlineMs) {
                $0.acknowledgement = LoneWorkerAcknowledgement.earlier($0.acknowledgement, acknowledgement)
            }
        case .missedCheckOutRedRaised(let deadlineMs, let atMs):
            updateAlert(deadlineMs) { $0.redAtMs = earliest($0.redAtMs, atMs) }
        case .checkedOut(let atMs):
            checkedOutAtMs = earliest(checkedOutAtMs, atMs)
        case .duressGiven(let atMs):
            duressGivenAtMs.insert(atMs)
        case .duressRedRaised(let duressAtMs, let atMs):
            duressRedRaised[duressAtMs] = earliest(duressRedRaised[duressAtMs], atMs)
        case .resolved(let resolution):
            resolutions.insert(resolution)
        }
        return self != before
    }

    private mutating func updateAlert(_ deadlineMs: Int64, _ change: (inout LoneWorkerAlert) -> Void) {
        var alert = alerts[deadlineMs] ?? LoneWorkerAlert(deadlineMs: deadlineMs)
        change(&alert)
        alerts[deadlineMs] = alert
    }

    /// Takes in everything another site recorded.
    public mutating func merge(_ other: LoneWorkerFacts) {
        for fact in other.facts { insert(fact) }
    }

    /// The facts that rebuild this value, in a fixed order (so equal values list equal facts).
    public var facts: [LoneWorkerFact] {
        var list: [LoneWorkerFact] = checkIns.sorted { ($0.atMs, $0.deadlineMs) < ($1.atMs, $1.deadlineMs) }
            .map { .checkedIn($0) }
        for alert in alerts.values.sorted(by: { $0.deadlineMs < $1.deadlineMs }) {
            if let atMs = alert.amberAtMs { list.append(.amberRaised(deadlineMs: alert.deadlineMs, atMs: atMs)) }
            if let acknowledgement = alert.acknowledgement {
                list.append(.acknowledged(deadlineMs: alert.deadlineMs, acknowledgement))
            }
            if let atMs = alert.redAtMs {
                list.append(.missedCheckOutRedRaised(deadlineMs: alert.deadlineMs, atMs: atMs))
            }
        }
        if let checkedOutAtMs { list.append(.checkedOut(atMs: checkedOutAtMs)) }
        list += duressGivenAtMs.sorted().map { .duressGiven(atMs: $0) }
        list += duressRedRaised.sorted { $0.key < $1.key }.map { .duressRedRaised(duressAtMs: $0.key, atMs: $0.value) }
        list += resolutions.sorted { ($0.atMs, $0.by, $0.note) < ($1.atMs, $1.by, $1.note) }.map { .resolved($0) }
        return list
    }

    /// The latest deadline given by a check-in, if any.
    var checkInDeadlineMs: Int64? { checkIns.map(\.deadlineMs).max() }

    /// Whether a red alert for a missed check-out was raised for any deadline.
    var missedCheckOutRedRaised: Bool { alerts.values.contains { $0.redAtMs != nil } }

    /// When the session was last resolved, if ever.
    var resolvedAtMs: Int64? { resolutions.map(\.atMs).max() }

    /// The latest duress code given that no resolution came after: the officer is in danger now.
    var openDuressAtMs: Int64? {
        guard let latest = duressGivenAtMs.max() else { return nil }
        if let resolvedAtMs, resolvedAtMs >= latest { return nil }
        return latest
    }
}

private func earliest(_ current: Int64?, _ incoming: Int64) -> Int64 {
    min(current ?? incoming, incoming)
}

/// One entry of a session's timeline, as every site's board shows it.
public struct LoneWorkerEvent: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case started(deadline: Date)
        case checkedIn(deadline: Date)
        case amberRaised(deadline: Date)
        case acknowledged(by: HandlerID)
        case redRaised(LoneWorkerRedReason)
        case checkedOut
        case duressCodeGiven
        case resolved(by: HandlerID, note: String)

        /// Order of events recorded in the same millisecond: cause before effect.
        var rank: Int {
            switch self {
            case .started: 0
            case .checkedIn: 1
            case .duressCodeGiven: 2
            case .amberRaised: 3
            case .acknowledged: 4
            case .redRaised: 5
            case .checkedOut: 6
            case .resolved: 7
            }
        }

        var tieBreak: String {
            switch self {
            case .started(let deadline), .checkedIn(let deadline), .amberRaised(let deadline):
                Self.padded(deadline.epochMs)
            case .acknowledged(let handler): handler.rawValue
            case .resolved(let handler, let note): handler.rawValue + "\n" + note
            case .redRaised(let reason): reason.rawValue
            case .checkedOut, .duressCodeGiven: ""
            }
        }

        /// Zero-padded to 20 digits, so text order is number order.
        private static func padded(_ ms: Int64) -> String {
            let digits = String(ms)
            return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
        }
    }

    public let at: Date
    public let kind: Kind

    public var description: String {
        switch kind {
        case .started(let deadline): "\(at.isoMs) started, due out by \(deadline.isoMs)"
        case .checkedIn(let deadline): "\(at.isoMs) checked in, due out by \(deadline.isoMs)"
        case .amberRaised(let deadline): "\(at.isoMs) amber: no check-out by \(deadline.isoMs)"
        case .acknowledged(let handler): "\(at.isoMs) amber acknowledged by \(handler)"
        case .redRaised(let reason): "\(at.isoMs) red: \(reason.rawValue)"
        case .checkedOut: "\(at.isoMs) checked out"
        case .duressCodeGiven: "\(at.isoMs) duress code given"
        case .resolved(let handler, let note): "\(at.isoMs) resolved by \(handler): \(note)"
        }
    }

    static func timeline(startedAtMs: Int64, initialDeadlineMs: Int64, facts: LoneWorkerFacts) -> [LoneWorkerEvent] {
        var events = [(startedAtMs, Kind.started(deadline: Date(epochMs: initialDeadlineMs)))]
        for checkIn in facts.checkIns {
            events.append((checkIn.atMs, .checkedIn(deadline: Date(epochMs: checkIn.deadlineMs))))
        }
        for alert in facts.alerts.values {
            let deadline = Date(epochMs: alert.deadlineMs)
            if let atMs = alert.amberAtMs { events.append((atMs, .amberRaised(deadline: deadline))) }
            if let acknowledgement = alert.acknowledgement {
                events.append((acknowledgement.atMs, .acknowledged(by: acknowledgement.by)))
            }
            if let atMs = alert.redAtMs { events.append((atMs, .redRaised(.missedCheckOut))) }
        }
        if let atMs = facts.checkedOutAtMs { events.append((atMs, .checkedOut)) }
        events += facts.duressGivenAtMs.map { ($0, .duressCodeGiven) }
        events += facts.duressRedRaised.values.map { ($0, .redRaised(.duress)) }
        events += facts.resolutions.map { ($0.atMs, .resolved(by: $0.by, note: $0.note)) }
        // A total order, so every site lists the same timeline: time, then cause before effect, then the detail
        // of events of one kind in the same millisecond.
        return
            events
            .sorted { a, b in
                (a.0, a.1.rank, a.1.tieBreak) < (b.0, b.1.rank, b.1.tieBreak)
            }
            .map { LoneWorkerEvent(at: Date(epochMs: $0.0), kind: $0.1) }
    }
}

extension Date {
    /// Whole milliseconds since 1970: facts carry instants as integers, so they compare exactly on every site.
    var epochMs: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    init(epochMs: Int64) {
        self.init(timeIntervalSince1970: Double(epochMs) / 1000)
    }

    /// ISO 8601 in UTC with milliseconds, for messages and timelines.
    var isoMs: String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(self)
    }
}
