import Foundation

/// An officer who visits sites alone out of hours and checks in and out with the call centre (5.2.3.6).
public struct LoneWorkerOfficer: Hashable, Sendable {
    /// Their entry in the PO's contact directory.
    public let staff: OnCallContactID
    public let organisation: OrganisationCode
    /// Their manager: the urgent escalation after a missed check-out involves them (5.2.3.6).
    public let manager: OnCallContactID?
    public let name: String
    /// The number to call them back on when they are overdue.
    public let callerNumber: PhoneNumber
    public let credentials: LoneWorkerCredentials

    public init(
        staff: OnCallContactID, organisation: OrganisationCode, manager: OnCallContactID?, name: String,
        callerNumber: PhoneNumber, credentials: LoneWorkerCredentials
    ) throws {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= DomainLimits.contactNameCharactersMax else {
            throw DomainError(
                .invalidValue,
                "lone worker \(staff) needs a name of 1 to \(DomainLimits.contactNameCharactersMax) characters")
        }
        if manager == staff {
            throw DomainError(
                .invalidValue, "lone worker \(staff) cannot be their own manager: name their manager, or none")
        }
        self.staff = staff
        self.organisation = organisation
        self.manager = manager
        self.name = trimmed
        self.callerNumber = callerNumber
        self.credentials = credentials
    }
}

/// What the handler logs when an officer calls before going on site (5.2.3.6): fixed for the session's life and
/// replicated as immutable fields.
public struct LoneWorkerStart: Hashable, Sendable {
    /// The lone-worker call that started the session (5.2.3: the call's action is `lone-worker`).
    public let call: CallReference
    public let officer: LoneWorkerOfficer
    public let location: String
    public let task: String
    public let startedAtMs: Int64
    public let expectedDurationMs: Int
    /// How long handlers have to acknowledge an amber alert before it goes red: agreed with the PO (5.2.3.6).
    public let acknowledgementWindowMs: Int

    public init(
        call: CallReference, officer: LoneWorkerOfficer, location: String, task: String, startedAt: Date,
        expectedDuration: Duration,
        acknowledgementWindow: Duration = .milliseconds(DomainLimits.loneWorkerAcknowledgementWindowMsDefault)
    ) throws {
        let location = location.trimmingCharacters(in: .whitespacesAndNewlines)
        let task = task.trimmingCharacters(in: .whitespacesAndNewlines)
        for (what, text) in [("location", location), ("task", task)] {
            guard !text.isEmpty, text.count <= DomainLimits.loneWorkerTextCharactersMax else {
                throw DomainError(
                    .invalidValue,
                    "the lone-worker \(what) has \(text.count) characters: describe it in 1 to "
                        + "\(DomainLimits.loneWorkerTextCharactersMax)")
            }
        }
        let durationMs = expectedDuration.wholeMs
        guard
            (Int64(DomainLimits.loneWorkerDurationMsMin)...Int64(DomainLimits.loneWorkerDurationMsMax)).contains(
                durationMs)
        else {
            throw DomainError(
                .invalidValue,
                "an expected time on site of \(durationMs / 60_000) minutes is not allowed: give "
                    + "\(DomainLimits.loneWorkerDurationMsMin / 60_000) minutes to "
                    + "\(DomainLimits.loneWorkerDurationMsMax / 3_600_000) hours, and check in to extend it")
        }
        let windowMs = acknowledgementWindow.wholeMs
        guard
            (Int64(
                DomainLimits.loneWorkerAcknowledgementWindowMsMin)...Int64(
                    DomainLimits.loneWorkerAcknowledgementWindowMsMax)).contains(windowMs)
        else {
            throw DomainError(
                .invalidValue,
                "an acknowledgement window of \(windowMs) ms is not allowed: agree "
                    + "\(DomainLimits.loneWorkerAcknowledgementWindowMsMin) to "
                    + "\(DomainLimits.loneWorkerAcknowledgementWindowMsMax) ms with the organisation")
        }
        self.call = call
        self.officer = officer
        self.location = location
        self.task = task
        startedAtMs = startedAt.epochMs
        expectedDurationMs = Int(durationMs)
        acknowledgementWindowMs = Int(windowMs)
    }

    public var startedAt: Date { Date(epochMs: startedAtMs) }
    var initialDeadlineMs: Int64 { startedAtMs + Int64(expectedDurationMs) }
}

/// Where a lone-worker session is (5.2.3.6), as every site's board shows it.
public enum LoneWorkerState: Hashable, Sendable, CustomStringConvertible {
    /// On site, before the deadline.
    case active
    /// Amber: the deadline passed without a check-out.
    case overdue
    /// Red: the urgent escalation to the officer's management runs.
    case red(LoneWorkerRedReason)
    /// Checked out with the normal code.
    case closed
    /// Closed by a handler.
    case resolved

    public var description: String {
        switch self {
        case .active: "active"
        case .overdue: "overdue (amber)"
        case .red(let reason): "red (\(reason.rawValue))"
        case .closed: "closed"
        case .resolved: "resolved"
        }
    }
}

/// What a node's timer must do for a session now; the node records it once done (`record(_:at:)`).
public enum LoneWorkerAction: Hashable, Sendable, CustomStringConvertible {
    /// Show the amber alert on every site's board.
    case raiseAmber
    /// Start the urgent escalation (5.2.3.6, 5.3.2).
    case raiseRed(reason: LoneWorkerRedReason)

    public var description: String {
        switch self {
        case .raiseAmber: "raise amber"
        case .raiseRed(let reason): "raise red (\(reason.rawValue))"
        }
    }
}

/// What the handler sees and reads back after a check-out: the same for the normal code and the duress code,
/// so nobody listening to or watching the officer can tell the two apart.
public struct LoneWorkerCheckOutReply: Hashable, Sendable {
    public let call: CallReference
    public let officerName: String
    public let at: Date
    /// The words the handler says to the officer.
    public let script: String
}

/// A lone worker on site (5.2.3.6): a value that takes check-ins, check-outs and acknowledgements, and says which
/// alert is due.
///
/// The session is its start plus `facts`, which merge as a CRDT (see `LoneWorkerFacts`), so every site that holds
/// the same facts shows the same state. State, from the strongest:
/// - a duress code given after the latest resolution: red at once, whatever else was recorded;
/// - resolved by a handler;
/// - checked out with the normal code: closed (even after red: the officer is safe, and the node stops the
///   escalation when it sees the session closed);
/// - red for a missed check-out once raised, for any deadline: a check-in cannot clear it, a handler resolves it;
/// - before the deadline: active;
/// - after it: overdue (amber), and red when the amber was raised and no handler acknowledged it within the
///   window. The window runs from the amber's recorded raise, so handlers always get the full window to act.
public struct LoneWorkerSession: Hashable, Sendable {
    public let start: LoneWorkerStart
    public private(set) var facts: LoneWorkerFacts

    /// A session rebuilt from its replicated start and facts, or a new one.
    public init(start: LoneWorkerStart, facts: LoneWorkerFacts = LoneWorkerFacts()) {
        self.start = start
        self.facts = facts
    }

    var deadlineMs: Int64 { max(start.initialDeadlineMs, facts.checkInDeadlineMs ?? .min) }

    /// When the officer must have checked out: the start's expected duration, or the latest check-in's.
    public var deadline: Date { Date(epochMs: deadlineMs) }

    /// The alert recorded for the current deadline, if any.
    public var currentAlert: LoneWorkerAlert? { facts.alerts[deadlineMs] }

    public var timeline: [LoneWorkerEvent] {
        LoneWorkerEvent.timeline(
            startedAtMs: start.startedAtMs, initialDeadlineMs: start.initialDeadlineMs, facts: facts)
    }

    public func state(at now: Date) -> LoneWorkerState {
        if facts.openDuressAtMs != nil { return .red(.duress) }
        if facts.resolvedAtMs != nil { return .resolved }
        if facts.checkedOutAtMs != nil { return .closed }
        if facts.missedCheckOutRedRaised { return .red(.missedCheckOut) }
        let nowMs = now.epochMs
        if nowMs < deadlineMs { return .active }
        if let alert = currentAlert, let amberMs = alert.amberAtMs, alert.acknowledgement == nil,
            nowMs >= amberMs + Int64(start.acknowledgementWindowMs)
        {
            return .red(.missedCheckOut)
        }
        return .overdue
    }

    /// What is due at `now` and not yet recorded: asking again after recording it returns nothing new.
    public func evaluate(at now: Date) -> [LoneWorkerAction] {
        switch state(at: now) {
        case .active, .closed, .resolved:
            return []
        case .red(.duress):
            guard let duressMs = facts.openDuressAtMs, facts.duressRedRaised[duressMs] == nil else { return [] }
            return [.raiseRed(reason: .duress)]
        case .red(.missedCheckOut):
            return facts.missedCheckOutRedRaised ? [] : [.raiseRed(reason: .missedCheckOut)]
        case .overdue:
            // A handler who acknowledged the overdue officer before the amber was raised is already on it.
            guard currentAlert?.amberAtMs == nil, currentAlert?.acknowledgement == nil else { return [] }
            return [.raiseAmber]
        }
    }

    /// When `evaluate` may next have something due if no new fact arrives: `now` if something is due already,
    /// `nil` if nothing will fall due by time alone.
    public func nextEvaluation(from now: Date) -> Date? {
        if !evaluate(at: now).isEmpty { return now }
        switch state(at: now) {
        case .active: return deadline
        case .overdue:
            guard let alert = currentAlert, let amberMs = alert.amberAtMs, alert.acknowledgement == nil else {
                return nil
            }
            return Date(epochMs: amberMs + Int64(start.acknowledgementWindowMs))
        case .red, .closed, .resolved: return nil
        }
    }

    /// Records that the node carried out an action `evaluate(at:)` returned, at `at`.
    public mutating func record(_ action: LoneWorkerAction, at: Date) throws {
        guard evaluate(at: at).contains(action) else {
            throw DomainError(
                .lifecycle,
                "\(action) is not due for lone-worker session \(start.call) at \(at.isoMs) (it is "
                    + "\(state(at: at))): record only what evaluate(at:) returns, once")
        }
        let atMs = at.epochMs
        switch action {
        case .raiseAmber:
            facts.insert(.amberRaised(deadlineMs: deadlineMs, atMs: atMs))
        case .raiseRed(.missedCheckOut):
            facts.insert(.missedCheckOutRedRaised(deadlineMs: deadlineMs, atMs: atMs))
        case .raiseRed(.duress):
            guard let duressMs = facts.openDuressAtMs else { return }
            facts.insert(.duressRedRaised(duressAtMs: duressMs, atMs: atMs))
        }
    }

    /// The officer called to say they need longer: the deadline becomes at least `at + extendBy` (never earlier).
    /// Returns the deadline now in force.
    @discardableResult
    public mutating func checkIn(at: Date, extendBy: Duration) throws -> Date {
        let atMs = at.epochMs
        let extensionMs = extendBy.wholeMs
        guard
            (Int64(DomainLimits.loneWorkerDurationMsMin)...Int64(DomainLimits.loneWorkerDurationMsMax)).contains(
                extensionMs)
        else {
            throw DomainError(
                .invalidValue,
                "a check-in for \(extensionMs / 60_000) more minutes is not allowed: give "
                    + "\(DomainLimits.loneWorkerDurationMsMin / 60_000) minutes to "
                    + "\(DomainLimits.loneWorkerDurationMsMax / 3_600_000) hours")
        }
        try checkNotBeforeStart(atMs, what: "check-in")
        switch state(at: at) {
        case .active, .overdue: break
        case .red(let reason):
            throw DomainError(
                .lifecycle,
                "lone-worker session \(start.call) is red (\(reason.rawValue)) and the urgent escalation is running: "
                    + "speak to the officer, resolve the session, and start a new one if they stay on site")
        case .closed, .resolved:
            throw DomainError(
                .lifecycle,
                "lone-worker session \(start.call) is over (\(state(at: at))): start a new session for the officer")
        }
        guard facts.checkIns.count < DomainLimits.loneWorkerCheckInsMax else {
            throw DomainError(
                .lifecycle,
                "lone-worker session \(start.call) has \(facts.checkIns.count) check-ins, the most allowed: "
                    + "close it and start a new one")
        }
        let asked = atMs + extensionMs
        guard max(asked, deadlineMs) - start.startedAtMs <= Int64(DomainLimits.loneWorkerSessionMsMax) else {
            throw DomainError(
                .invalidValue,
                "a check-in until \(Date(epochMs: asked).isoMs) would keep session \(start.call) open more than "
                    + "\(DomainLimits.loneWorkerSessionMsMax / 3_600_000) hours after it started: close it and start "
                    + "a new one")
        }
        facts.insert(.checkedIn(LoneWorkerCheckIn(atMs: atMs, deadlineMs: asked)))
        return deadline
    }

    /// The officer called to say they have left the site, giving their code (5.2.3.6).
    ///
    /// The normal code closes the session. The duress code makes it red at once, and the reply is exactly the
    /// normal one, so whoever is making the officer call hears nothing different. Either code is answered the
    /// same on a session already closed, resolved or red; only a code matching neither is refused.
    public mutating func checkOut(at: Date, code: String, verify: CredentialVerifier) throws
        -> LoneWorkerCheckOutReply
    {
        let atMs = at.epochMs
        try checkNotBeforeStart(atMs, what: "check-out")
        switch start.officer.credentials.match(code, verify: verify) {
        case .noMatch:
            throw DomainError(
                .invalidValue,
                "the code given does not match \(start.officer.name)'s check-out code: ask them to say it again; "
                    + "nothing was recorded and session \(start.call) is still due out by \(deadline.isoMs)")
        case .normal:
            facts.insert(.checkedOut(atMs: atMs))
        case .duress:
            facts.insert(.duressGiven(atMs: atMs))
        }
        return LoneWorkerCheckOutReply(
            call: start.call, officerName: start.officer.name, at: Date(epochMs: atMs),
            script: "Thank you, \(start.officer.name): you are checked out. Your reference is \(start.call).")
    }

    /// A handler took the amber alert for the current deadline: it will not go red by itself (5.2.3.6).
    public mutating func acknowledge(at: Date, by handler: HandlerID) throws {
        let current = state(at: at)
        guard current == .overdue else {
            let advice =
                current == .active
                ? "the officer is not overdue until \(deadline.isoMs)"
                : "only an amber (overdue) session can be acknowledged"
            throw DomainError(
                .lifecycle, "lone-worker session \(start.call) is \(current) at \(at.isoMs): \(advice)")
        }
        if let earlier = currentAlert?.acknowledgement {
            throw DomainError(
                .lifecycle,
                "the amber alert for session \(start.call) was already acknowledged by \(earlier.by) at "
                    + "\(Date(epochMs: earlier.atMs).isoMs)")
        }
        facts.insert(.acknowledged(deadlineMs: deadlineMs, LoneWorkerAcknowledgement(atMs: at.epochMs, by: handler)))
    }

    /// A handler closes the session: after an alert, once the officer is found safe, or to end one not needed.
    public mutating func resolve(at: Date, by handler: HandlerID, note: String) throws {
        let note = note.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !note.isEmpty, note.count <= DomainLimits.noteCharactersMax else {
            throw DomainError(
                .invalidValue,
                "resolving session \(start.call) needs a note of 1 to \(DomainLimits.noteCharactersMax) characters "
                    + "saying what happened")
        }
        try checkNotBeforeStart(at.epochMs, what: "resolution")
        switch state(at: at) {
        case .active, .overdue, .red: break
        case .closed, .resolved:
            throw DomainError(
                .lifecycle, "lone-worker session \(start.call) is already \(state(at: at)): nothing to resolve")
        }
        facts.insert(.resolved(LoneWorkerResolution(atMs: at.epochMs, by: handler, note: note)))
    }

    /// Takes in the facts another site recorded for this session.
    public mutating func merge(_ other: LoneWorkerFacts) {
        facts.merge(other)
    }

    private func checkNotBeforeStart(_ atMs: Int64, what: String) throws {
        guard atMs >= start.startedAtMs else {
            throw DomainError(
                .invalidValue,
                "a \(what) at \(Date(epochMs: atMs).isoMs) is before session \(start.call) started at "
                    + "\(start.startedAt.isoMs): check the time")
        }
    }
}

extension Duration {
    /// Whole milliseconds, rounded towards zero; beyond Int64's range, its nearest end (then refused by a limit).
    var wholeMs: Int64 {
        let (seconds, attoseconds) = components
        let (ms, overflow) = seconds.multipliedReportingOverflow(by: 1_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflowAdding) = ms.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        if overflowAdding { return seconds < 0 ? .min : .max }
        return total
    }
}
