extension Schema {
    /// The outbox's migration. It must run after `v6-rotas-and-referrals`: it is named, not numbered, so the two
    /// can be ordered in `migrationIdentifiers` without renumbering either.
    static let outboxMigration = "v7-outbox"

    /// The outbox: SMS and email messages to On-call Duty Staff (5.2.3.3, 5.2.5), and every attempt to send one.
    ///
    /// A message is replicated like a call, so any site sees what was sent, when and by whom (6.4b, 6.4e). Its
    /// `status` only moves forward, queued → sending → sent: a failure is not a state, because a message that
    /// failed must still be able to become sent (5.3.2). Failures are the results of attempts instead, and
    /// `last_error` keeps the latest for people to read. Add-only elements never change, so an attempt is two
    /// elements: `outbox_attempt`, written before the send, and `outbox_attempt_result`, written after it with
    /// the same key. An attempt with no result is one whose sender stopped mid-send (README, "the delivery
    /// rule").
    static let v7Outbox = """
        CREATE TABLE outbox_message (
            id TEXT PRIMARY KEY NOT NULL,
            organisation_code TEXT NOT NULL REFERENCES organisation(code),
            channel TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
            recipient TEXT NOT NULL,
            subject TEXT,
            body TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            created_by_site TEXT NOT NULL,
            referral_id TEXT,
            call_reference TEXT,
            status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent')),
            last_error TEXT,
            row_clock TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX outbox_message_by_status ON outbox_message(status, created_at_ms);
        CREATE INDEX outbox_message_by_organisation ON outbox_message(organisation_code, created_at_ms);
        CREATE INDEX outbox_message_by_call ON outbox_message(call_reference) WHERE call_reference IS NOT NULL;

        CREATE TABLE outbox_attempt (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            message_id TEXT NOT NULL,
            organisation_code TEXT NOT NULL,
            site_code TEXT NOT NULL,
            started_at_ms INTEGER NOT NULL,
            transport TEXT NOT NULL
        );
        CREATE INDEX outbox_attempt_by_message ON outbox_attempt(message_id, started_at_ms);

        CREATE TABLE outbox_attempt_result (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            message_id TEXT NOT NULL,
            organisation_code TEXT NOT NULL,
            site_code TEXT NOT NULL,
            finished_at_ms INTEGER NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'failed', 'rejected', 'interrupted')),
            provider_id TEXT,
            error TEXT
        );
        CREATE INDEX outbox_attempt_result_by_message ON outbox_attempt_result(message_id, finished_at_ms);
        """

    /// The outbox tables are replicated: guarded exactly as v3 guards the first replicated tables.
    static var v7OutboxGuards: String {
        ["outbox_message", "outbox_attempt", "outbox_attempt_result"].map { table in
            ["INSERT", "UPDATE", "DELETE"].map { event in
                """
                CREATE TRIGGER \(table)_guard_\(event.lowercased()) BEFORE \(event) ON \(table)
                WHEN nightdesk_applying() = 0
                BEGIN SELECT RAISE(ABORT, '\(table) is replicated: it is written only by applying a change set'); END;
                """
            }.joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
