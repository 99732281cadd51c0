import GRDB

extension Schema {
    /// On-call contacts, rotas and their overrides, Escalation Procedures, and referrals with their attempts (7.5,
    /// 14.4, 5.3.2, 6.4b). Every table is replicated; the merge rule of each field is declared in `ReplicatedTables`.
    ///
    /// Contact and rota ids begin with their organisation's code (`eal-…`), so the ids of different organisations
    /// never collide at any site. A contact is withdrawn, never deleted: referrals name them. An override is removed
    /// with a tombstone when it is cancelled before it starts. A referral is keyed by its call's reference: one
    /// referral per call. `oncall_directory_version` is local: triggers count every change to contacts, rotas and
    /// overrides, whichever site made it, so a cached on-call directory knows when it is stale.
    static let v6 = """
        CREATE TABLE oncall_contact (
            contact_id TEXT PRIMARY KEY NOT NULL,
            organisation_code TEXT NOT NULL REFERENCES organisation(code),
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            phone TEXT,
            mobile TEXT,
            email TEXT,
            pager TEXT,
            manager_id TEXT,
            withdrawn INTEGER NOT NULL DEFAULT 0,
            row_clock TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX oncall_contact_by_organisation ON oncall_contact(organisation_code, contact_id);

        CREATE TABLE oncall_rota (
            rota_id TEXT PRIMARY KEY NOT NULL,
            organisation_code TEXT NOT NULL REFERENCES organisation(code),
            service_option_code TEXT NOT NULL,
            sub_category TEXT,
            area TEXT,
            name TEXT NOT NULL,
            stages_json TEXT NOT NULL,
            row_clock TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX oncall_rota_by_option ON oncall_rota(organisation_code, service_option_code);

        CREATE TABLE rota_override (
            override_key TEXT PRIMARY KEY NOT NULL,
            rota_id TEXT NOT NULL,
            override_id TEXT NOT NULL,
            organisation_code TEXT NOT NULL REFERENCES organisation(code),
            stage INTEGER NOT NULL,
            starts_at_ms INTEGER NOT NULL,
            ends_at_ms INTEGER NOT NULL,
            contacts_json TEXT NOT NULL,
            replacing_id TEXT,
            created_at_ms INTEGER NOT NULL,
            reason TEXT NOT NULL,
            row_clock TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX rota_override_by_rota ON rota_override(rota_id, ends_at_ms);

        CREATE TABLE escalation_procedure (
            procedure_key TEXT PRIMARY KEY NOT NULL,
            organisation_code TEXT NOT NULL REFERENCES organisation(code),
            service_option_code TEXT NOT NULL,
            steps_json TEXT NOT NULL,
            fallback_json TEXT NOT NULL,
            row_clock TEXT NOT NULL DEFAULT ''
        );

        CREATE TABLE referral (
            call_reference TEXT PRIMARY KEY NOT NULL REFERENCES call(reference),
            organisation_code TEXT NOT NULL REFERENCES organisation(code),
            service_option_code TEXT NOT NULL,
            site_code TEXT NOT NULL,
            author TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            call_ended_at_ms INTEGER NOT NULL,
            deadline_ms INTEGER NOT NULL,
            plan_json TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('open', 'passed', 'acknowledged')),
            passed_at_ms INTEGER,
            acknowledged_by TEXT,
            row_clock TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX referral_outstanding ON referral(status, deadline_ms);
        CREATE INDEX referral_by_organisation_time ON referral(organisation_code, call_ended_at_ms);

        CREATE TABLE referral_attempt (
            uid TEXT PRIMARY KEY NOT NULL,
            call_reference TEXT NOT NULL,
            organisation_code TEXT NOT NULL,
            at_ms INTEGER NOT NULL,
            site_code TEXT NOT NULL,
            author TEXT NOT NULL,
            channel TEXT NOT NULL,
            contact_id TEXT NOT NULL,
            outcome TEXT NOT NULL
        );
        CREATE INDEX referral_attempt_by_referral ON referral_attempt(call_reference, at_ms);

        CREATE TABLE oncall_directory_version (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL
        );
        INSERT INTO oncall_directory_version (id, version) VALUES (1, 0);
        """

    /// The tables v6 adds, all replicated.
    static let v6Replicated = [
        "oncall_contact", "oncall_rota", "rota_override", "escalation_procedure", "referral", "referral_attempt",
    ]

    /// The same guard as `v3Guards`, for the tables of v6: they are written only while a change set is applied.
    static var v6Guards: String {
        v6Replicated.map { table in
            ["INSERT", "UPDATE", "DELETE"].map { event in
                """
                CREATE TRIGGER \(table)_guard_\(event.lowercased()) BEFORE \(event) ON \(table)
                WHEN nightdesk_applying() = 0
                BEGIN SELECT RAISE(ABORT, '\(table) is replicated: it is written only by applying a change set'); END;
                """
            }.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Counts changes to what the on-call directory is built from, local or remote, in the same transaction.
    static var v6DirectoryVersion: String {
        ["oncall_contact", "oncall_rota", "rota_override"].map { table in
            ["INSERT", "UPDATE", "DELETE"].map { event in
                """
                CREATE TRIGGER \(table)_counts_\(event.lowercased()) AFTER \(event) ON \(table)
                BEGIN UPDATE oncall_directory_version SET version = version + 1 WHERE id = 1; END;
                """
            }.joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
