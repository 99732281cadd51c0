import GRDB
import Replication

extension Schema {
    static let sitesMigration = "v9-handlers-and-announcements"

    /// Call handlers signed in at a site, announcements (5.1.3) and where each announcement version is live, and
    /// this site's own state for its heartbeats (DESIGN.md, Failover and traffic).
    ///
    /// `handler`, `announcement` and `announcement_live` are replicated (merge rules in `ReplicatedTables`);
    /// `site_state` is this node's alone: its peers learn it from heartbeats, not from change sets.
    static let v9Sites = """
        CREATE TABLE handler (
            handler_id TEXT PRIMARY KEY NOT NULL,
            name TEXT NOT NULL,
            site_code TEXT NOT NULL,
            trained_json TEXT NOT NULL,
            signed_in INTEGER NOT NULL CHECK (signed_in IN (0, 1)),
            changed_at_ms INTEGER NOT NULL,
            row_clock TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX handler_by_site ON handler(site_code, signed_in);

        CREATE TABLE announcement (
            announcement_key TEXT PRIMARY KEY NOT NULL,
            organisation_code TEXT NOT NULL REFERENCES organisation(code),
            service_option_code TEXT NOT NULL,
            version_id TEXT NOT NULL,
            text TEXT NOT NULL,
            until_ms INTEGER,
            deployed_at_ms INTEGER NOT NULL,
            deployed_site TEXT NOT NULL,
            cleared INTEGER NOT NULL CHECK (cleared IN (0, 1)),
            row_clock TEXT NOT NULL DEFAULT ''
        );

        CREATE TABLE announcement_live (
            live_key TEXT PRIMARY KEY NOT NULL,
            version_id TEXT NOT NULL,
            announcement_key TEXT NOT NULL,
            organisation_code TEXT NOT NULL,
            site_code TEXT NOT NULL,
            deployed_at_ms INTEGER NOT NULL,
            live_at_ms INTEGER NOT NULL
        );
        CREATE INDEX announcement_live_by_version ON announcement_live(version_id);

        CREATE TABLE site_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            state TEXT NOT NULL CHECK (state IN ('up', 'draining', 'evacuated', 'down')),
            changed_at_ms INTEGER NOT NULL
        );
        """

    /// The tables v9 adds that are replicated.
    static let v9Replicated = ["handler", "announcement", "announcement_live"]

    /// The same guard as `v3Guards`, for the replicated tables of v9.
    static var v9Guards: String {
        v9Replicated.map { table in
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

extension ReplicatedTables {
    /// A call handler and where they are signed in, keyed by handler id: every write carries the whole row, so the
    /// last writer wins per handler, and signing in at another site moves them there (7.1.10).
    static let handler = TableRules(
        table: "handler", keyColumn: "handler_id", kind: .registers,
        fields: [
            ("name", .lastWriterWins), ("site_code", .lastWriterWins), ("trained_json", .lastWriterWins),
            ("signed_in", .lastWriterWins), ("changed_at_ms", .lastWriterWins),
        ],
        organisationColumn: nil)

    /// The announcement in front of an organisation's calls (5.1.3), keyed `ORG/option` (`ORG/*` for every
    /// option): each deployment or clearing writes the whole row as a new version, so the last writer wins per
    /// organisation and option.
    static let announcement = TableRules(
        table: "announcement", keyColumn: "announcement_key", kind: .registers,
        fields: [
            ("organisation_code", .immutable), ("service_option_code", .immutable), ("version_id", .lastWriterWins),
            ("text", .lastWriterWins), ("until_ms", .lastWriterWins), ("deployed_at_ms", .lastWriterWins),
            ("deployed_site", .lastWriterWins), ("cleared", .lastWriterWins),
        ],
        organisationColumn: "organisation_code")

    /// "Version V was live at site S at T": an add-only set, one element per version and site, keyed `V@S`, so
    /// the deploying site can show the time to every site (5.1.3: live within 15 minutes).
    static let announcementLive = TableRules(
        table: "announcement_live", keyColumn: "live_key", kind: .addOnly,
        fields: [
            ("version_id", .immutable), ("announcement_key", .immutable), ("organisation_code", .immutable),
            ("site_code", .immutable), ("deployed_at_ms", .immutable), ("live_at_ms", .immutable),
        ],
        organisationColumn: "organisation_code")
}
