import Domain
import Foundation
import GRDB
import Replication

/// One message a timer escalation queued: to whom, how, and its outbox id.
public struct TimerEscalationMessage: Sendable, Equatable, Codable {
    public let contact: String
    public let channel: String
    public let recipient: String
    public let message: String
}

/// A referral's timer escalation as the store holds it, with the site that recorded it and what it queued.
public struct RecordedTimerEscalation: Sendable, Equatable {
    public let reference: CallReference
    public let escalation: ReferralTimerEscalation
    /// When it fell due: the end of the previous step's wait.
    public let dueAt: Date
    public let site: String
    public let messages: [TimerEscalationMessage]
    /// Whether the procedure took it; `false` when a handler had moved the referral on first.
    public let counted: Bool

    func counted(_ taken: Bool) -> Self {
        Self(reference: reference, escalation: escalation, dueAt: dueAt, site: site, messages: messages, counted: taken)
    }
}

/// A referral whose timer action is due now (`ReferralEscalation.timerDue(at:)`).
public struct DueReferralEscalation: Sendable, Equatable {
    public let reference: CallReference
    public let organisation: OrganisationCode
    public let due: ReferralTimerDue
}

extension AppDatabase {
    // MARK: - Referral timers (5.3.2, 6.4b)

    /// Every referral whose timer action is due at `now`, soonest due first.
    ///
    /// Reads only referrals whose facts changed since the last call (their due time is recomputed and kept in the
    /// local `referral_timer` table) and those due by now, so a pass over thousands of open referrals rebuilds
    /// only the few that matter.
    public func dueReferralEscalations(at now: Date) throws -> [DueReferralEscalation] {
        try refreshReferralTimers()
        return try read { db in
            let references = try String.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT call_reference FROM referral_timer WHERE due_at_ms IS NOT NULL AND due_at_ms <= ?
                        ORDER BY due_at_ms, call_reference LIMIT \(StoreLimits.referralTimersPerPassMax)
                        """), arguments: [now.milliseconds])
            return try references.compactMap { text in
                guard let record = try Self.referralRecord(db, try CallReference(parsing: text)),
                    let due = record.escalation.timerDue(at: now)
                else { return nil }
                return DueReferralEscalation(reference: record.reference, organisation: record.organisation, due: due)
            }
        }
    }

    /// Recomputes the due time of every referral whose facts changed (here or at another site) since last time.
    func refreshReferralTimers() throws {
        try write { db in
            let stale = try String.fetchAll(
                db.cachedStatement(
                    sql: "SELECT call_reference FROM referral_timer WHERE stale = 1 LIMIT \(StoreLimits.referralTimersPerPassMax)"
                ))
            for text in stale {
                let record = try Self.referralRecord(db, try CallReference(parsing: text))
                if let record, record.status != .acknowledged {
                    try db.cachedStatement(
                        sql: "UPDATE referral_timer SET stale = 0, due_at_ms = ? WHERE call_reference = ?"
                    ).execute(arguments: [record.escalation.timerDueAt?.milliseconds, text])
                } else {
                    // Acknowledged (or not held): no timer will ever fall due; a later fact marks it again.
                    try db.cachedStatement(sql: "DELETE FROM referral_timer WHERE call_reference = ?").execute(
                        arguments: [text])
                }
            }
        }
    }

    /// Records a referral's timer escalation that `dueReferralEscalations(at:)` returned and, in the same change set,
    /// queues the SMS and email of the step it starts (or to the fallback's emergency contacts), as
    /// `referral next --queue` would: the escalation is stored with its messages or not at all.
    ///
    /// Returns `nil` and writes nothing when it is no longer due: recorded already (here or at another site, whose
    /// change set arrived first), or a handler moved the referral on. Phone and pager contacts are never dialled by
    /// a node: the referral then awaits a handler (`ReferralEscalation.awaitsHandler(at:)`).
    @discardableResult
    public func recordReferralEscalation(_ due: DueReferralEscalation, at instant: Date, recordedAt: Date? = nil)
        throws -> RecordedTimerEscalation?
    {
        try write { db in
            guard let record = try Self.referralRecord(db, due.reference),
                let now = record.escalation.timerDue(at: instant), now.step == due.due.step
            else { return nil }
            let catalogue = try self.catalogue(db)
            guard let call = try Self.fetchCall(db, due.reference),
                let organisation = catalogue.organisation(record.organisation)
            else { throw Self.noReferral(due.reference) }
            var drafts: [(PlannedContact, OutboxDraft)] = []
            let isFallback = now.step == record.escalation.fallbackStep
            for planned in record.escalation.timerMessages(step: now.step) {
                switch planned.channel {
                case .sms(let number):
                    drafts.append(
                        (
                            planned,
                            OutboxDraft(
                                organisation: call.organisation, channel: .sms, recipient: number.e164,
                                body: ReferralMessage.sms(for: call).text, callReference: due.reference)
                        ))
                case .email(let address):
                    let email = ReferralMessage.email(for: call, organisation: organisation, calendar: catalogue.calendar)
                    let fallback = record.escalation.procedure.whenExhausted
                    drafts.append(
                        (
                            planned,
                            OutboxDraft(
                                organisation: call.organisation, channel: .email, recipient: address.rawValue,
                                subject: isFallback ? String(("Not acknowledged: " + email.subject).prefix(
                                    OutboxLimits.emailSubjectCharactersMax)) : email.subject,
                                body: isFallback
                                    ? "Nobody in \(organisation.code)'s escalation procedure acknowledged this referral "
                                        + "(5.3.2). \(fallback.instructions)\n\n" + email.body
                                    : email.body,
                                callReference: due.reference)
                        ))
                case .phone, .pager:
                    continue
                }
            }
            // Named by the referral, the step and the recipient: a second site recording the same escalation in a
            // partition's window queues the same messages, which merge into one each.
            let checked = try drafts.map { planned, draft in
                (
                    planned, draft, try Self.check(draft),
                    OutboxMessageID.derived(
                        from: "referral-escalation|\(due.reference)|\(now.step)|\(planned.contact.id.rawValue)|"
                            + "\(draft.channel.rawValue)|\(draft.recipient)")
                )
            }
            let site = try localSite(db).rawValue
            let messages = checked.map { planned, draft, _, id in
                TimerEscalationMessage(
                    contact: planned.contact.id.rawValue, channel: draft.channel.rawValue, recipient: draft.recipient,
                    message: id.rawValue)
            }
            let stamp = recordedAt ?? instant
            try commitLocal(db, at: stamp, scope: .organisation(record.organisation.rawValue)) { context in
                [
                    RowOperation(
                        table: ReplicatedTables.referralEscalation.table,
                        key: Self.escalationKey(due.reference, step: now.step),
                        action: .upsert(
                            fields: [
                                "call_reference": .text(due.reference.description),
                                "organisation_code": .text(record.organisation.rawValue),
                                "step": .integer(Int64(now.step)), "due_at_ms": .integer(now.dueAt.milliseconds),
                                "at_ms": .integer(instant.milliseconds), "site_code": .text(site),
                                "messages_json": .text(try RotaRows.json(messages)),
                            ], supersedes: [:]))
                ]
                    + checked.map { _, draft, verified, id in
                        Self.outboxOperation(draft, checked: verified, id: id, at: stamp, origin: context.origin.rawValue)
                    }
            }
            return RecordedTimerEscalation(
                reference: due.reference, escalation: ReferralTimerEscalation(step: now.step, at: instant),
                dueAt: now.dueAt, site: site, messages: messages, counted: true)
        }
    }

    /// The key of a referral's escalation to a step: the (referral, step) is its identity at every site.
    static func escalationKey(_ reference: CallReference, step: Int) -> String { "\(reference)/\(step)" }

    static func timerEscalations(_ db: Database, _ reference: CallReference) throws -> [RecordedTimerEscalation] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM referral_escalation WHERE call_reference = ? ORDER BY step"),
            arguments: [reference.description]
        ).map { row in
            RecordedTimerEscalation(
                reference: reference,
                escalation: ReferralTimerEscalation(step: Int(row["step"] as Int64), at: Date(milliseconds: row["at_ms"])),
                dueAt: Date(milliseconds: row["due_at_ms"]), site: row["site_code"],
                messages: try RotaRows.decode([TimerEscalationMessage].self, row["messages_json"]), counted: true)
        }
    }
}
