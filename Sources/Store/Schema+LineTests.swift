import GRDB
import Replication

extension Schema {
    /// The line-test migration. Named, not numbered in place, so it can be ordered after the migrations that land
    /// before it without renumbering.
    static let lineTestMigration = "v12-line-tests"

    /// Test calls to publicly advertised access numbers (8.13) and their outcomes, for the monthly report (2.1.8).
    ///
    /// One row per test made: an add-only set keyed by the slot and the site that made it, so the record of a
    /// slot is the same at every site; two sites that tested the same slot in a split view are both kept, and the
    /// report counts the slot once (failed if any of its tests failed). `route_site` is the site the routing
    /// answer sent the test call to; `escalated` says whether the failure started the escalation procedure.
    static let v12LineTests = """
        CREATE TABLE line_test (
            uid TEXT PRIMARY KEY NOT NULL,
            number TEXT NOT NULL,
            organisation_code TEXT NOT NULL REFERENCES organisation(code),
            kind TEXT NOT NULL CHECK (kind IN ('period-start', 'low-demand')),
            slot_minute INTEGER NOT NULL,
            site_code TEXT NOT NULL,
            tested_at_ms INTEGER NOT NULL,
            duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
            outcome TEXT NOT NULL CHECK (outcome IN ('passed', 'failed')),
            reason TEXT,
            route_site TEXT,
            escalated INTEGER NOT NULL CHECK (escalated IN (0, 1))
        );
        CREATE INDEX line_test_by_number ON line_test(number, slot_minute);
        CREATE INDEX line_test_by_organisation ON line_test(organisation_code, slot_minute);
        CREATE INDEX call_by_access_number_time ON call(access_number, offered_at_ms) WHERE access_number IS NOT NULL;
        """

    /// The guard of `v3Guards` for `line_test`: written only while a change set is applied.
    static let v12LineTestGuards = ["INSERT", "UPDATE", "DELETE"].map { event in
        """
        CREATE TRIGGER line_test_guard_\(event.lowercased()) BEFORE \(event) ON line_test
        WHEN nightdesk_applying() = 0
        BEGIN SELECT RAISE(ABORT, 'line_test is replicated: it is written only by applying a change set'); END;
        """
    }.joined(separator: "\n")
}

extension ReplicatedTables {
    /// Line tests (8.13): an add-only set; every field fixed when the test is recorded.
    static let lineTest = TableRules(
        table: "line_test", keyColumn: "uid", kind: .addOnly,
        fields: [
            ("number", .immutable), ("organisation_code", .immutable), ("kind", .immutable),
            ("slot_minute", .immutable), ("site_code", .immutable), ("tested_at_ms", .immutable),
            ("duration_ms", .immutable), ("outcome", .immutable), ("reason", .immutable), ("route_site", .immutable),
            ("escalated", .immutable),
        ],
        organisationColumn: "organisation_code")
}
