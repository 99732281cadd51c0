import GRDB

extension Schema {
    /// Lone-worker sessions (5.2.3.6): a session's start, fixed when the officer first calls, and the facts recorded
    /// since. Both tables are replicated; the merge rule of each field is declared in `ReplicatedTables`.
    ///
    /// A session is keyed by the reference of the lone-worker call that started it. Its facts are an add-only set,
    /// one row per fact, from which every site rebuilds the same `LoneWorkerFacts`: an earliest-wins field is the
    /// minimum of the rows of its kind, so concurrent recording at two sites converges without a merge rule of its
    /// own. The check-out codes are held only as salted password hashes (`code_hash`, `duress_hash`).
    static let v8LoneWorker = """
        CREATE TABLE lone_worker_session (
            call_reference TEXT PRIMARY KEY NOT NULL REFERENCES call(reference),
            organisation_code TEXT NOT NULL REFERENCES organisation(code),
            staff_id TEXT NOT NULL,
            manager_id TEXT,
            officer_name TEXT NOT NULL,
            caller_phone TEXT NOT NULL,
            location TEXT NOT NULL,
            task TEXT NOT NULL,
            started_at_ms INTEGER NOT NULL,
            expected_duration_ms INTEGER NOT NULL CHECK (expected_duration_ms > 0),
            acknowledgement_window_ms INTEGER NOT NULL CHECK (acknowledgement_window_ms > 0),
            code_hash TEXT NOT NULL,
            duress_hash TEXT NOT NULL,
            row_clock TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX lone_worker_session_by_organisation ON lone_worker_session(organisation_code, started_at_ms);

        CREATE TABLE lone_worker_fact (
            uid TEXT PRIMARY KEY NOT NULL,
            call_reference TEXT NOT NULL,
            organisation_code TEXT NOT NULL,
            kind TEXT NOT NULL,
            at_ms INTEGER NOT NULL,
            site_code TEXT NOT NULL,
            author TEXT NOT NULL,
            payload_json TEXT NOT NULL
        );
        CREATE INDEX lone_worker_fact_by_session ON lone_worker_fact(call_reference, kind);
        """

    /// The tables v8 adds, all replicated.
    static let v8Replicated = ["lone_worker_session", "lone_worker_fact"]

    /// The same guard as `v3Guards`, for the tables of v8: they are written only while a change set is applied.
    static var v8Guards: String {
        v8Replicated.map { table in
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
