import Domain
import Foundation
import GRDB
import Replication

extension AppDatabase {
    // MARK: - Queueing

    /// Checks a message and queues it, as one change set in its organisation's scope.
    ///
    /// An SMS goes to a UK number and fits one message: at most 160 GSM-7 septets (5.2.5), every character in
    /// the GSM-7 alphabet so no phone shows a substitute. An email needs an address, a one-line subject and a
    /// body. Every problem is reported at once and nothing is written.
    @discardableResult
    public func enqueue(_ draft: OutboxDraft, at instant: Date) throws -> OutboxMessageID {
        let checked = try Self.check(draft)
        let id = OutboxMessageID.random()
        try write { db in try enqueue(db, draft, checked: checked, id: id, at: instant) }
        return id
    }

    /// `enqueue(_:at:)` inside the caller's write transaction, for a draft already checked.
    func enqueue(
        _ db: Database, _ draft: OutboxDraft, checked: (recipient: String, subject: String?, referralID: String?),
        id: OutboxMessageID, at instant: Date
    ) throws {
        guard try self.catalogue(db).organisation(draft.organisation) != nil else {
            throw DomainError(
                .unknownOrganisation,
                "organisation \(draft.organisation) is not in the catalogue; see `nightdesk participants list`")
        }
        try commitLocal(db, at: instant, scope: .organisation(draft.organisation.rawValue)) { context in
            [Self.outboxOperation(draft, checked: checked, id: id, at: instant, origin: context.origin.rawValue)]
        }
    }

    /// The row operation that queues a checked draft, for a change set that records something else with it.
    static func outboxOperation(
        _ draft: OutboxDraft, checked: (recipient: String, subject: String?, referralID: String?),
        id: OutboxMessageID, at instant: Date, origin: String
    ) -> RowOperation {
        RowOperation(
            table: ReplicatedTables.outboxMessage.table, key: id.rawValue,
            action: .upsert(
                fields: [
                    "organisation_code": .text(draft.organisation.rawValue),
                    "channel": .text(draft.channel.rawValue), "recipient": .text(checked.recipient),
                    "subject": checked.subject.map(FieldValue.text) ?? .null, "body": .text(draft.body),
                    "created_at_ms": .integer(instant.milliseconds), "created_by_site": .text(origin),
                    "referral_id": checked.referralID.map(FieldValue.text) ?? .null,
                    "call_reference": draft.callReference.map { .text($0.description) } ?? .null,
                    "status": .text(OutboxStatus.queued.rawValue), "last_error": .null,
                ], supersedes: [:]))
    }

    /// The recipient in its stored form, and the subject and referral trimmed, or every rule the draft breaks.
    static func check(_ draft: OutboxDraft) throws -> (recipient: String, subject: String?, referralID: String?) {
        var problems: [DomainError] = []
        func problem(_ message: String) { problems.append(DomainError(.invalidValue, message)) }
        var recipient = draft.recipient
        let subject = draft.subject?.trimmingCharacters(in: .whitespaces)
        switch draft.channel {
        case .sms:
            do { recipient = try PhoneNumber(parsing: draft.recipient).e164 } catch let error as DomainError {
                problems.append(error)
            }
            if let subject, !subject.isEmpty { problem("an SMS has no subject; leave the subject out") }
            let outside = Set(draft.body.filter { ReferralMessage.gsm7(String($0)) != String($0) })
            if !outside.isEmpty {
                problem(
                    "the SMS has characters outside the GSM-7 alphabet ("
                        + outside.map { "'\($0)'" }.sorted().joined(separator: ", ")
                        + "); write them with plain letters and punctuation")
            }
            let septets = ReferralMessage.septets(draft.body)
            if septets > DomainLimits.smsSeptetsMax {
                problem(
                    "the SMS is \(septets) GSM-7 septets; one SMS holds \(DomainLimits.smsSeptetsMax) (5.2.5): "
                        + "shorten the details, keep the reference")
            }
        case .email:
            do { recipient = try EmailAddress(parsing: draft.recipient).rawValue } catch let error as DomainError {
                problems.append(error)
            }
            if let subject, subject.contains(where: \.isNewline) {
                problem("the email subject must be one line")
            } else if subject?.isEmpty ?? true {
                problem("an email needs a subject, e.g. \"Referral WST-7KQ-M4XP: Dangerous structures\"")
            } else if let subject, subject.count > OutboxLimits.emailSubjectCharactersMax {
                problem(
                    "the email subject has \(subject.count) characters; at most "
                        + "\(OutboxLimits.emailSubjectCharactersMax) fit")
            }
            if draft.body.utf8.count > OutboxLimits.emailBodyBytesMax {
                problem(
                    "the email body is \(draft.body.utf8.count) bytes; at most "
                        + "\(OutboxLimits.emailBodyBytesMax) are sent"
                )
            }
        }
        if draft.body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            problem("the message body is empty; say what the officer needs to act on")
        }
        let referral = draft.referralID?.trimmingCharacters(in: .whitespaces)
        if let referral,
            referral.isEmpty || referral.count > OutboxLimits.referralIDCharactersMax
                || referral.contains(where: \.isNewline)
        {
            problem(
                "referral id '\(referral)' must be 1 to \(OutboxLimits.referralIDCharactersMax) characters on one line")
        }
        if problems.count == 1 { throw problems[0] }
        if !problems.isEmpty { throw DomainErrors(problems) }
        return (recipient, draft.channel == .email ? subject : nil, referral)
    }

    // MARK: - Attempts

    /// Records that this site is about to hand a message to `transport`, and marks it sending, in one change set.
    ///
    /// Refuses a message that is sent, one that has had `OutboxLimits.attemptsMax` attempts, one with an attempt
    /// of this site still open (an interrupted one is finished as `interrupted` first), and one with another
    /// site's attempt begun less than `interruptedAfterMs` ago (it may still be under way). A message another
    /// site queued is refused unless `takingOver`: the node's `OutboxService` sends those the `DeliveryElection`
    /// gives it, `outbox send` only this site's own (README, "the delivery rule"). Another site's attempt left
    /// without a result is never finished here: only the site that made an attempt records its result.
    public func beginAttempt(
        _ message: OutboxMessageID, transport: String, at instant: Date, takingOver: Bool = false,
        interruptedAfterMs: Int64 = OutboxLimits.interruptedAfterMsDefault
    ) throws -> OutboxAttemptID {
        try write { db in
            let here = try localSite(db).rawValue
            guard let current = try Self.outboxMessages(db, where: "m.id = ?", [message.rawValue], limit: 1).first
            else {
                throw OutboxError.messageNotFound(message)
            }
            guard takingOver || current.createdBySite == here else {
                throw OutboxError.otherSite(what: "message \(message)", site: current.createdBySite, here: here)
            }
            guard current.status != .sent else { throw OutboxError.alreadySent(message) }
            let open = try Row.fetchAll(
                db,
                sql: """
                    SELECT a.uid, a.site_code, a.started_at_ms FROM outbox_attempt a
                    WHERE a.message_id = ? AND NOT EXISTS (SELECT 1 FROM outbox_attempt_result r WHERE r.uid = a.uid)
                    ORDER BY a.started_at_ms DESC, a.uid DESC
                    """, arguments: [message.rawValue])
            let stale = instant.milliseconds - interruptedAfterMs
            let busy = open.first { row in
                (row["site_code"] as String) == here || (row["started_at_ms"] as Int64) > stale
            }
            if let busy {
                throw OutboxError.attemptUnderWay(message, attempt: OutboxAttemptID(busy["uid"]))
            }
            guard current.attempts < OutboxLimits.attemptsMax else {
                throw OutboxError.givenUp(message, attempts: current.attempts)
            }
            var attempt = OutboxAttemptID("")
            try commitLocal(db, at: instant, scope: .organisation(current.organisation.rawValue)) { context in
                attempt = OutboxAttemptID(context.elementKey(0))
                return [
                    RowOperation(
                        table: ReplicatedTables.outboxAttempt.table, key: attempt.rawValue,
                        action: .add(fields: [
                            "message_id": .text(message.rawValue),
                            "organisation_code": .text(current.organisation.rawValue), "site_code": .text(here),
                            "started_at_ms": .integer(instant.milliseconds), "transport": .text(transport),
                        ])),
                    RowOperation(
                        table: ReplicatedTables.outboxMessage.table, key: message.rawValue,
                        action: .upsert(fields: ["status": .text(OutboxStatus.sending.rawValue)], supersedes: [:])),
                ]
            }
            return attempt
        }
    }

    /// Records how an attempt ended; `sent` marks the message sent for good, anything else keeps the error.
    public func finishAttempt(
        _ attempt: OutboxAttemptID, outcome: AttemptOutcome, providerID: String?, error: String?, at instant: Date
    ) throws {
        try write { db in
            let here = try localSite(db).rawValue
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT a.message_id, a.organisation_code, a.site_code, r.uid AS result
                        FROM outbox_attempt a LEFT JOIN outbox_attempt_result r ON r.uid = a.uid WHERE a.uid = ?
                        """, arguments: [attempt.rawValue])
            else { throw OutboxError.attemptNotFound(attempt) }
            let site: String = row["site_code"]
            guard site == here else { throw OutboxError.otherSite(what: "attempt \(attempt)", site: site, here: here) }
            guard (row["result"] as String?) == nil else { throw OutboxError.attemptAlreadyFinished(attempt) }
            let organisation: String = row["organisation_code"]
            let message: String = row["message_id"]
            let errorText =
                outcome == .sent ? nil : Self.cut(error ?? outcome.rawValue, to: OutboxLimits.errorCharactersMax)
            try commitLocal(db, at: instant, scope: .organisation(organisation)) { _ in
                [
                    RowOperation(
                        table: ReplicatedTables.outboxAttemptResult.table, key: attempt.rawValue,
                        action: .add(fields: [
                            "message_id": .text(message), "organisation_code": .text(organisation),
                            "site_code": .text(here), "finished_at_ms": .integer(instant.milliseconds),
                            "outcome": .text(outcome.rawValue),
                            "provider_id": providerID.map {
                                .text(Self.cut($0, to: OutboxLimits.providerIDCharactersMax))
                            }
                                ?? .null,
                            "error": errorText.map(FieldValue.text) ?? .null,
                        ])),
                    RowOperation(
                        table: ReplicatedTables.outboxMessage.table, key: message,
                        action: .upsert(
                            fields: outcome == .sent
                                ? ["status": .text(OutboxStatus.sent.rawValue)]
                                : ["last_error": errorText.map(FieldValue.text) ?? .null],
                            supersedes: [:])),
                ]
            }
        }
    }

    static func cut(_ text: String, to characters: Int) -> String {
        text.count <= characters ? text : String(text.prefix(characters - 1)) + "…"
    }

    // MARK: - Reading

    /// Messages due an attempt at this site, oldest first: this site's own, or those of `queuedBy`.
    ///
    /// Due: not sent, not rejected, fewer than `OutboxLimits.attemptsMax` attempts begun at any site (or one of
    /// this site's own left open, which must be closed first), no attempt that may still be under way (one begun
    /// less than `policy.interruptedAfterMs` ago; one of this site's older than that was interrupted, and the
    /// message comes back for it to be closed), and the last failure at least `policy.delayMs(afterFailures:)`
    /// ago, a wait that doubles with each failure up to `policy.retryDelayMsMax`.
    public func pendingMessages(
        limit: Int = OutboxLimits.pendingBatchMax, at instant: Date, policy: OutboxRetryPolicy = OutboxRetryPolicy(),
        queuedBy queuers: OutboxQueuers = .here
    ) throws -> [OutboxMessage] {
        let now = instant.milliseconds
        return try read { db in
            let here = try localSite(db).rawValue
            var filter: String
            var arguments: [any DatabaseValueConvertible] = []
            func list(_ sites: Set<String>) -> String {
                arguments += sites.sorted()
                return "(" + Array(repeating: "?", count: sites.count).joined(separator: ", ") + ")"
            }
            switch queuers {
            case .here:
                filter = "m.created_by_site = ?"
                arguments.append(here)
            case .sites(let sites):
                guard !sites.isEmpty else { return [] }
                filter = "m.created_by_site IN \(list(sites))"
            case .sitesAndUnlisted(let sites, let listed):
                filter = "(m.created_by_site IN \(list(sites)) OR m.created_by_site NOT IN \(list(listed)))"
            }
            let ownOpen = """
                EXISTS (SELECT 1 FROM outbox_attempt a WHERE a.message_id = m.id AND a.site_code = ?
                    AND NOT EXISTS (SELECT 1 FROM outbox_attempt_result r WHERE r.uid = a.uid))
                """
            filter += """
                 AND m.status != 'sent' AND rejections = 0
                AND (attempt_count < ? OR \(ownOpen))
                AND (open_uid IS NULL OR open_started_ms <= ?)
                AND (\(ownOpen) OR last_finished_ms IS NULL
                    OR last_finished_ms <= ? - min(? << max(failures - 1, 0), ?))
                """
            arguments += [
                OutboxLimits.attemptsMax, here, now - policy.interruptedAfterMs, here, now, policy.retryDelayMs,
                policy.retryDelayMsMax,
            ]
            return try Self.outboxMessages(
                db, where: filter, arguments, order: "m.created_at_ms, m.id",
                limit: min(max(limit, 1), OutboxLimits.pendingBatchMax))
        }
    }

    /// Messages held here, newest first: with `status`, only those in it; with `organisation`, only its own.
    public func outbox(
        status: OutboxStatus? = nil, organisation: OrganisationCode? = nil, limit: Int = OutboxLimits.listMax
    ) throws -> [OutboxMessage] {
        var filters: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if let status {
            filters.append("m.state = ?")
            arguments.append(status.rawValue)
        }
        if let organisation {
            filters.append("m.organisation_code = ?")
            arguments.append(organisation.rawValue)
        }
        return try read { db in
            try Self.outboxMessages(
                db, where: filters.isEmpty ? "1" : filters.joined(separator: " AND "), arguments,
                order: "m.created_at_ms DESC, m.id DESC", limit: min(max(limit, 1), OutboxLimits.listMax))
        }
    }

    /// One message, or `nil` when none has that id here.
    public func outboxMessage(_ id: OutboxMessageID) throws -> OutboxMessage? {
        try read { db in try Self.outboxMessages(db, where: "m.id = ?", [id.rawValue], limit: 1).first }
    }

    /// Every attempt to send a message, oldest first.
    public func attempts(of message: OutboxMessageID) throws -> [OutboxAttempt] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT a.uid, a.message_id, a.site_code, a.started_at_ms, a.transport, r.finished_at_ms, r.outcome,
                        r.provider_id, r.error
                    FROM outbox_attempt a LEFT JOIN outbox_attempt_result r ON r.uid = a.uid
                    WHERE a.message_id = ? ORDER BY a.started_at_ms, a.uid
                    """, arguments: [message.rawValue]
            ).map(Self.attempt)
        }
    }

    static func attempt(_ row: Row) -> OutboxAttempt {
        OutboxAttempt(
            id: OutboxAttemptID(row["uid"]), message: OutboxMessageID(checked: row["message_id"]),
            site: row["site_code"], startedAt: Date(milliseconds: row["started_at_ms"]), transport: row["transport"],
            finishedAt: (row["finished_at_ms"] as Int64?).map(Date.init(milliseconds:)),
            outcome: (row["outcome"] as String?).flatMap(AttemptOutcome.init(rawValue:)),
            providerID: row["provider_id"], error: row["error"])
    }

    /// Messages with what their attempts add up to; `filter` may name the columns of the inner query.
    static func outboxMessages(
        _ db: Database, where filter: String, _ arguments: [any DatabaseValueConvertible],
        order: String = "m.created_at_ms, m.id", limit: Int
    ) throws -> [OutboxMessage] {
        // `state` is the status people see (`OutboxStatus`): the stored one, or failed, read from the attempts.
        let sql = """
            WITH summary AS (
                SELECT m.*,
                    (SELECT count(*) FROM outbox_attempt a WHERE a.message_id = m.id) AS attempt_count,
                    (SELECT count(*) FROM outbox_attempt_result r WHERE r.message_id = m.id AND r.outcome != 'sent')
                        AS failures,
                    (SELECT count(*) FROM outbox_attempt_result r WHERE r.message_id = m.id AND r.outcome = 'rejected')
                        AS rejections,
                    (SELECT max(r.finished_at_ms) FROM outbox_attempt_result r WHERE r.message_id = m.id)
                        AS last_finished_ms,
                    (SELECT a.uid FROM outbox_attempt a WHERE a.message_id = m.id
                        AND NOT EXISTS (SELECT 1 FROM outbox_attempt_result r WHERE r.uid = a.uid)
                        ORDER BY a.started_at_ms DESC, a.uid DESC LIMIT 1) AS open_uid,
                    (SELECT max(a.started_at_ms) FROM outbox_attempt a WHERE a.message_id = m.id
                        AND NOT EXISTS (SELECT 1 FROM outbox_attempt_result r WHERE r.uid = a.uid)) AS open_started_ms,
                    (SELECT NOT EXISTS (SELECT 1 FROM outbox_attempt_result r WHERE r.uid = a.uid)
                        FROM outbox_attempt a WHERE a.message_id = m.id
                        ORDER BY a.started_at_ms DESC, a.uid DESC LIMIT 1) AS latest_open,
                    (SELECT r.site_code FROM outbox_attempt_result r WHERE r.message_id = m.id AND r.outcome = 'sent'
                        ORDER BY r.finished_at_ms, r.uid LIMIT 1) AS sent_by_site
                FROM outbox_message m
            ), stated AS (
                -- Sending while the latest attempt has no result: an older one left open by a lost site does not
                -- hide that a later attempt failed.
                SELECT *, CASE WHEN status = 'sent' THEN 'sent' WHEN latest_open THEN 'sending'
                    WHEN attempt_count = 0 THEN 'queued' ELSE 'failed' END AS state
                FROM summary
            )
            SELECT * FROM stated m WHERE \(filter) ORDER BY \(order) LIMIT ?
            """
        let rows = try Row.fetchAll(
            db, sql: sql, arguments: StatementArguments(arguments.map(\.databaseValue) + [limit.databaseValue]))
        var messages: [OutboxMessage] = []
        for row in rows {
            let id = OutboxMessageID(checked: row["id"])
            var open: OutboxAttempt?
            if let uid = row["open_uid"] as String? {
                open = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT uid, message_id, site_code, started_at_ms, transport, NULL AS finished_at_ms,
                            NULL AS outcome, NULL AS provider_id, NULL AS error
                        FROM outbox_attempt WHERE uid = ?
                        """, arguments: [uid]
                ).map(Self.attempt)
            }
            let failures: Int = row["failures"]
            let rejections: Int = row["rejections"]
            let attempts: Int = row["attempt_count"]
            let latestOpen = (row["latest_open"] as Bool?) ?? false
            messages.append(
                OutboxMessage(
                    id: id, organisation: try OrganisationCode(row["organisation_code"]),
                    channel: OutboxChannel(rawValue: row["channel"]) ?? .sms, recipient: row["recipient"],
                    subject: row["subject"], body: row["body"], createdAt: Date(milliseconds: row["created_at_ms"]),
                    createdBySite: row["created_by_site"], sentBySite: row["sent_by_site"],
                    referralID: row["referral_id"],
                    callReference: row["call_reference"],
                    status: OutboxStatus(rawValue: row["state"]) ?? .queued, attempts: attempts,
                    failures: failures, lastError: row["last_error"],
                    givenUp: (row["status"] as String) != "sent"
                        && (rejections > 0 || (attempts >= OutboxLimits.attemptsMax && !latestOpen)),
                    openAttempt: open))
        }
        return messages
    }
}
