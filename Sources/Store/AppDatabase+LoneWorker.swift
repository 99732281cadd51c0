import Domain
import Foundation
import GRDB
import Replication

/// One open lone-worker session as the board shows it at an instant (5.2.3.6).
public struct LoneWorkerBoardEntry: Sendable, Equatable {
    public let session: LoneWorkerSession
    public let state: LoneWorkerState
    /// When the officer must have checked out.
    public let deadline: Date

    public var reference: CallReference { session.start.call }
}

/// An action a node's timer must carry out for a session now (what `LoneWorkerSession.evaluate(at:)` returns).
public struct LoneWorkerDueAction: Sendable, Equatable {
    public let session: CallReference
    public let action: LoneWorkerAction
}

extension AppDatabase {
    // MARK: - Lone-worker sessions (5.2.3.6)

    /// Starts a session for an officer about to go on site: logs the lone-worker call that keys it (`draft`, whose
    /// action must be `lone-worker`) and the session's start, in one change set. The officer's codes arrive already
    /// hashed (`officer.credentials`); nothing here sees them.
    ///
    /// `instant` is when the officer called; `recordedAt` stamps the change set (it defaults to `instant`).
    public func startLoneWorkerSession(
        _ draft: CallDraft, officer: LoneWorkerOfficer, location: String, task: String, expectedDuration: Duration,
        acknowledgementWindow: Duration = .milliseconds(DomainLimits.loneWorkerAcknowledgementWindowMsDefault),
        author: String, at instant: Date, recordedAt: Date? = nil
    ) throws -> LoneWorkerSession {
        guard draft.action.kind == .loneWorker else {
            throw DomainError(
                .invalidValue,
                "a lone-worker session starts from a lone-worker call, not a \(draft.action.kind.rawValue) one")
        }
        guard draft.organisation == officer.organisation else {
            throw DomainError(
                .invalidValue,
                "the call is for \(draft.organisation) but officer \(officer.staff) works for \(officer.organisation): "
                    + "log the call for the officer's own organisation")
        }
        return try write { db in
            let catalogue = try self.catalogue(db)
            let answers = try CallRules.validate(draft, catalogue: catalogue)
            let call = Call(
                reference: try issueReference(db), organisation: draft.organisation, option: draft.option,
                accessNumber: draft.accessNumber, caller: draft.caller, incidentAddress: draft.incidentAddress,
                answers: answers, details: draft.details, action: draft.action,
                status: CallStatus.initial(for: .loneWorker), offeredAt: draft.offeredAt,
                answeredAt: draft.answeredAt, endedAt: draft.endedAt, linkedTo: draft.linkedTo)
            let start = try LoneWorkerStart(
                call: call.reference, officer: officer, location: location, task: task, startedAt: instant,
                expectedDuration: expectedDuration, acknowledgementWindow: acknowledgementWindow)
            let session = LoneWorkerSession(start: start)
            let scope = ChangeScope.organisation(call.organisation.rawValue)
            try commitLocal(db, at: recordedAt ?? instant, scope: scope) { context in
                [
                    RowOperation(
                        table: ReplicatedTables.call.table, key: call.reference.description,
                        action: .upsert(fields: try Self.fields(of: call), supersedes: [:])),
                    Self.event(
                        context, 0, call, at: instant, author: author, kind: .logged,
                        summary: "logged: lone-worker (\(officer.name) at \(start.location), due out by "
                            + "\(Self.local(session.deadline, catalogue)))"),
                    RowOperation(
                        table: ReplicatedTables.loneWorkerSession.table, key: call.reference.description,
                        action: .upsert(fields: LoneWorkerRows.fields(of: start), supersedes: [:])),
                ]
            }
            return session
        }
    }

    /// The officer called to say they need longer: the deadline becomes at least `instant + extendBy`. Returns the
    /// session as it now stands.
    @discardableResult
    public func checkIn(
        _ reference: CallReference, extendBy: Duration, by handler: HandlerID, at instant: Date, recordedAt: Date? = nil
    ) throws -> LoneWorkerSession {
        try changeSession(reference, author: handler.rawValue, at: recordedAt ?? instant) { session in
            try session.checkIn(at: instant, extendBy: extendBy)
        }.session
    }

    /// The officer called to say they have left the site, giving a code that `verify` checks against the stored
    /// hashes. A duress code records the duress fact and returns exactly the reply a normal check-out does
    /// (5.2.3.6); a code matching neither is refused and nothing is written.
    public func checkOut(
        _ reference: CallReference, code: String, verify: CredentialVerifier, by handler: HandlerID, at instant: Date,
        recordedAt: Date? = nil
    ) throws -> LoneWorkerCheckOutReply {
        try changeSession(reference, author: handler.rawValue, at: recordedAt ?? instant) { session in
            try session.checkOut(at: instant, code: code, verify: verify)
        }.result
    }

    /// A handler took the amber alert for the current deadline (5.2.3.6).
    @discardableResult
    public func acknowledge(
        _ reference: CallReference, by handler: HandlerID, at instant: Date, recordedAt: Date? = nil
    ) throws -> LoneWorkerSession {
        try changeSession(reference, author: handler.rawValue, at: recordedAt ?? instant) { session in
            try session.acknowledge(at: instant, by: handler)
        }.session
    }

    /// A handler closes the session, saying what happened.
    @discardableResult
    public func resolve(
        _ reference: CallReference, note: String, by handler: HandlerID, at instant: Date, recordedAt: Date? = nil
    ) throws -> LoneWorkerSession {
        try changeSession(reference, author: handler.rawValue, at: recordedAt ?? instant) { session in
            try session.resolve(at: instant, by: handler, note: note)
        }.session
    }

    /// Records that this node raised an alert `dueLoneWorkerActions(at:)` returned. Recording one already recorded
    /// (here or at another site) writes nothing and returns `false`; one that was never due is refused.
    @discardableResult
    public func recordLoneWorkerAction(
        _ action: LoneWorkerAction, session reference: CallReference, at instant: Date, recordedAt: Date? = nil
    ) throws -> Bool {
        try recordLoneWorkerAction(action, session: reference, at: instant, recordedAt: recordedAt) { _ in [] }
    }

    /// Records an alert as above and, in the same transaction, queues the messages `messages` composes for it
    /// (a red alert's escalation, 5.2.3.6): the alert and its messages are stored together or not at all, so an
    /// alert is never recorded without its escalation, and a second site that finds it recorded queues nothing.
    @discardableResult
    public func recordLoneWorkerAction(
        _ action: LoneWorkerAction, session reference: CallReference, at instant: Date, recordedAt: Date? = nil,
        messages: (LoneWorkerSession) throws -> [OutboxDraft]
    ) throws -> Bool {
        try write { db in
            let site = try localSite(db).rawValue
            guard let session = try Self.loneWorkerSession(db, reference) else {
                throw Self.noLoneWorkerSession(reference)
            }
            if !session.evaluate(at: instant).contains(action), Self.alreadyRecorded(action, session) { return false }
            _ = try changeSession(db, session, author: site, at: recordedAt ?? instant) { session in
                try session.record(action, at: instant)
            }
            for draft in try messages(session) {
                // Named by the session, the alert and the recipient: the same at any site that raises it.
                let id = OutboxMessageID.derived(
                    from: "lone-worker|\(reference)|\(action)|\(draft.channel.rawValue)|\(draft.recipient)")
                try enqueue(db, draft, checked: try Self.check(draft), id: id, at: recordedAt ?? instant)
            }
            return true
        }
    }

    /// A session with every fact held here, or `nil` when none is keyed by `reference`.
    public func loneWorkerSession(_ reference: CallReference) throws -> LoneWorkerSession? {
        try read { db in try Self.loneWorkerSession(db, reference) }
    }

    /// Every session still open at `now` (active, overdue or red), red first, then overdue, then by deadline.
    public func loneWorkerBoard(at now: Date, organisation: OrganisationCode? = nil) throws -> [LoneWorkerBoardEntry]
    {
        try read { db in
            // A session checked out or resolved is over unless a duress code was given: only the rest are rebuilt.
            var sql = """
                SELECT * FROM lone_worker_session s
                WHERE (NOT EXISTS (SELECT 1 FROM lone_worker_fact f WHERE f.call_reference = s.call_reference
                        AND f.kind IN ('checked-out', 'resolved'))
                    OR EXISTS (SELECT 1 FROM lone_worker_fact f WHERE f.call_reference = s.call_reference
                        AND f.kind = 'duress-given'))
                """
            var arguments: StatementArguments = []
            if let organisation {
                sql += " AND s.organisation_code = ?"
                arguments += [organisation.rawValue]
            }
            sql += " ORDER BY s.started_at_ms LIMIT \(StoreLimits.loneWorkerSessionsListedMax)"
            let entries = try Row.fetchAll(db, sql: sql, arguments: arguments).compactMap { row -> LoneWorkerBoardEntry? in
                let session = try Self.loneWorkerSession(db, start: LoneWorkerRows.start(row))
                let state = session.state(at: now)
                switch state {
                case .closed, .resolved: return nil
                case .active, .overdue, .red:
                    return LoneWorkerBoardEntry(session: session, state: state, deadline: session.deadline)
                }
            }
            return entries.sorted { a, b in
                (Self.urgency(a.state), a.deadline, a.reference) < (Self.urgency(b.state), b.deadline, b.reference)
            }
        }
    }

    /// What the timer must do now for every open session (`LoneWorkerSession.evaluate(at:)`), most urgent first.
    public func dueLoneWorkerActions(at now: Date) throws -> [LoneWorkerDueAction] {
        try loneWorkerBoard(at: now).flatMap { entry in
            entry.session.evaluate(at: now).map { LoneWorkerDueAction(session: entry.reference, action: $0) }
        }
    }

    // MARK: - Internals

    /// Changes a session under the domain's rules and writes the facts the change added, as one change set.
    private func changeSession<T>(
        _ reference: CallReference, author: String, at stamp: Date, _ change: (inout LoneWorkerSession) throws -> T
    ) throws -> (result: T, session: LoneWorkerSession) {
        try write { db in
            guard let session = try Self.loneWorkerSession(db, reference) else {
                throw Self.noLoneWorkerSession(reference)
            }
            return try changeSession(db, session, author: author, at: stamp, change)
        }
    }

    private func changeSession<T>(
        _ db: Database, _ session: LoneWorkerSession, author: String, at stamp: Date,
        _ change: (inout LoneWorkerSession) throws -> T
    ) throws -> (result: T, session: LoneWorkerSession) {
        var changed = session
        let result = try change(&changed)
        let before = Set(session.facts.facts)
        // A fact that changes nothing (a later copy of an earliest-wins field) is not written.
        let added = changed.facts.facts.filter { !before.contains($0) }
        let site = try localSite(db).rawValue
        let start = session.start
        try commitLocal(db, at: stamp, scope: .organisation(start.officer.organisation.rawValue)) { context in
            try added.enumerated().map { index, fact in
                RowOperation(
                    table: ReplicatedTables.loneWorkerFact.table, key: context.elementKey(index),
                    action: .add(fields: try LoneWorkerRows.fields(of: fact, session: start, site: site, author: author)))
            }
        }
        return (result, changed)
    }

    static func loneWorkerSession(_ db: Database, _ reference: CallReference) throws -> LoneWorkerSession? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM lone_worker_session WHERE call_reference = ?"),
                arguments: [reference.description])
        else { return nil }
        return try loneWorkerSession(db, start: LoneWorkerRows.start(row))
    }

    /// A session rebuilt from its start and every fact held: the facts merge in any order (`LoneWorkerFacts`).
    static func loneWorkerSession(_ db: Database, start: LoneWorkerStart) throws -> LoneWorkerSession {
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM lone_worker_fact WHERE call_reference = ?"),
            arguments: [start.call.description])
        return LoneWorkerSession(start: start, facts: LoneWorkerFacts(try rows.compactMap(LoneWorkerRows.fact)))
    }

    /// Whether an action no longer due was recorded already, so recording it again is a harmless repeat.
    static func alreadyRecorded(_ action: LoneWorkerAction, _ session: LoneWorkerSession) -> Bool {
        let facts = session.facts
        switch action {
        case .raiseAmber:
            return session.currentAlert?.amberAtMs != nil
        case .raiseRed(.missedCheckOut):
            return facts.alerts.values.contains { $0.redAtMs != nil }
        case .raiseRed(.duress):
            guard let latest = facts.duressGivenAtMs.max() else { return false }
            return facts.duressRedRaised[latest] != nil
        }
    }

    static func urgency(_ state: LoneWorkerState) -> Int {
        switch state {
        case .red: 0
        case .overdue: 1
        case .active: 2
        case .closed, .resolved: 3
        }
    }

    static func noLoneWorkerSession(_ reference: CallReference) -> DomainError {
        DomainError(
            .notFound,
            "no lone-worker session is held here for \(reference); start one with `nightdesk lone start`, or check "
                + "the reference with `nightdesk lone board`")
    }
}
