import GRDB

/// The store's migrations. A migration that has shipped on main is never edited: add a new one instead.
///
/// Migrations use SQL and string names only, never application types (GRDB's guidance), so an old
/// database always migrates the same way.
enum Schema {
    /// Identifiers of every migration this version knows, oldest first.
    static let migrationIdentifiers = [
        "v1-catalogue-and-calls", "v2-gazetteer-and-locations", "v3-replication", "v4-search-indexes",
        "v5-sealed-log", "v6-rotas-and-referrals", outboxMigration, "v8-lone-worker",
        sitesMigration, referralTimersMigration, ivrMenusMigration, lineTestMigration,
    ]

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(migrationIdentifiers[0]) { db in
            try db.execute(sql: v1)
        }
        migrator.registerMigration(migrationIdentifiers[1]) { db in
            try db.execute(sql: v2)
        }
        migrator.registerMigration(migrationIdentifiers[2]) { db in
            try db.execute(sql: v3)
            try db.execute(sql: v3Guards)
        }
        migrator.registerMigration(migrationIdentifiers[3]) { db in
            try db.execute(sql: v4)
        }
        migrator.registerMigration(migrationIdentifiers[4]) { db in
            try db.execute(sql: v5)
        }
        migrator.registerMigration(migrationIdentifiers[5]) { db in
            try db.execute(sql: v6)
            try db.execute(sql: v6Guards)
            try db.execute(sql: v6DirectoryVersion)
        }
        migrator.registerMigration(outboxMigration) { db in
            try db.execute(sql: v7Outbox)
            try db.execute(sql: v7OutboxGuards)
        }
        migrator.registerMigration(migrationIdentifiers[7]) { db in
            try db.execute(sql: v8LoneWorker)
            try db.execute(sql: v8Guards)
        }
        migrator.registerMigration(sitesMigration) { db in
            try db.execute(sql: v9Sites)
            try db.execute(sql: v9Guards)
        }
        migrator.registerMigration(referralTimersMigration) { db in
            try db.execute(sql: v10ReferralTimers)
            try db.execute(sql: v10Guards)
        }
        migrator.registerMigration(ivrMenusMigration) { db in
            try db.execute(sql: v11IVRMenus)
        }
        migrator.registerMigration(lineTestMigration) { db in
            try db.execute(sql: v12LineTests)
            try db.execute(sql: v12LineTestGuards)
        }
        return migrator
    }

    static let ivrMenusMigration = "v11-ivr-menus"

    /// An access number's IVR menu (7.1.4) as JSON; NULL for a dedicated or general number. A column of the
    /// replicated `access_number` table, so its guard triggers already cover it.
    static let v11IVRMenus = """
        ALTER TABLE access_number ADD COLUMN ivr_menu_json TEXT;
        """

    // The merge rule of every replicated field is declared in `ReplicatedTables` (Schema+Replication.swift).
    static let v1 = """
        CREATE TABLE node_identity (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            site_code TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            next_call_serial INTEGER NOT NULL DEFAULT 0 CHECK (next_call_serial >= 0),
            catalogue_version INTEGER NOT NULL DEFAULT 0
        );

        CREATE TABLE catalogue_calendar (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            calendar_json TEXT NOT NULL
        );

        CREATE TABLE organisation (
            code TEXT PRIMARY KEY NOT NULL CHECK (length(code) = 3),
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            referral_limit_minutes INTEGER NOT NULL CHECK (referral_limit_minutes > 0),
            out_of_scope_categories_json TEXT NOT NULL
        );

        CREATE TABLE service_option (
            organisation_code TEXT NOT NULL REFERENCES organisation(code),
            code TEXT NOT NULL,
            name TEXT NOT NULL,
            description TEXT NOT NULL,
            default_action TEXT NOT NULL,
            standard TEXT NOT NULL,
            information_only INTEGER NOT NULL,
            hours_json TEXT NOT NULL,
            questions_json TEXT NOT NULL,
            withdrawn INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (organisation_code, code)
        );

        CREATE TABLE access_number (
            number TEXT PRIMARY KEY NOT NULL,
            organisation_code TEXT NOT NULL REFERENCES organisation(code),
            service_option_code TEXT,
            label TEXT NOT NULL,
            FOREIGN KEY (organisation_code, service_option_code) REFERENCES service_option(organisation_code, code)
        );

        CREATE TABLE call (
            id INTEGER PRIMARY KEY,
            reference TEXT NOT NULL UNIQUE,
            site_code TEXT NOT NULL,
            organisation_code TEXT NOT NULL REFERENCES organisation(code),
            service_option_code TEXT NOT NULL,
            access_number TEXT,
            caller_name TEXT,
            caller_phone TEXT,
            address_text TEXT,
            uprn INTEGER,
            details TEXT NOT NULL,
            answers_json TEXT NOT NULL,
            action TEXT NOT NULL,
            action_detail TEXT,
            status TEXT NOT NULL CHECK (status IN ('open', 'referred', 'closed')),
            linked_reference TEXT,
            offered_at_ms INTEGER NOT NULL,
            answered_at_ms INTEGER,
            ended_at_ms INTEGER,
            FOREIGN KEY (organisation_code, service_option_code) REFERENCES service_option(organisation_code, code)
        );
        CREATE INDEX call_by_option_time ON call(organisation_code, service_option_code, offered_at_ms);
        CREATE INDEX call_by_organisation_time ON call(organisation_code, offered_at_ms);
        CREATE INDEX call_by_time ON call(offered_at_ms);
        CREATE INDEX call_by_uprn ON call(uprn) WHERE uprn IS NOT NULL;

        CREATE TABLE call_event (
            id INTEGER PRIMARY KEY,
            call_reference TEXT NOT NULL REFERENCES call(reference),
            at_ms INTEGER NOT NULL,
            site_code TEXT NOT NULL,
            author TEXT NOT NULL,
            kind TEXT NOT NULL,
            summary TEXT NOT NULL
        );
        CREATE INDEX call_event_by_call ON call_event(call_reference, at_ms);

        CREATE TABLE call_note (
            id INTEGER PRIMARY KEY,
            call_reference TEXT NOT NULL REFERENCES call(reference),
            at_ms INTEGER NOT NULL,
            site_code TEXT NOT NULL,
            author TEXT NOT NULL,
            text TEXT NOT NULL
        );
        CREATE INDEX call_note_by_call ON call_note(call_reference, at_ms);

        -- 7.4.2 a-b: caller name and incident address searchable in full text, kept in step by triggers
        -- inside the same transaction as the call row.
        CREATE VIRTUAL TABLE call_fts USING fts5(
            caller_name, address_text,
            content = 'call', content_rowid = 'id',
            tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
        );
        CREATE TRIGGER call_fts_after_insert AFTER INSERT ON call BEGIN
            INSERT INTO call_fts(rowid, caller_name, address_text)
            VALUES (new.id, new.caller_name, new.address_text);
        END;
        CREATE TRIGGER call_fts_after_delete AFTER DELETE ON call BEGIN
            INSERT INTO call_fts(call_fts, rowid, caller_name, address_text)
            VALUES ('delete', old.id, old.caller_name, old.address_text);
        END;
        CREATE TRIGGER call_fts_after_update AFTER UPDATE OF caller_name, address_text ON call BEGIN
            INSERT INTO call_fts(call_fts, rowid, caller_name, address_text)
            VALUES ('delete', old.id, old.caller_name, old.address_text);
            INSERT INTO call_fts(rowid, caller_name, address_text)
            VALUES (new.id, new.caller_name, new.address_text);
        END;
        """

    static let v2 = """
        CREATE TABLE gazetteer_address (
            id INTEGER PRIMARY KEY,
            organisation_code TEXT NOT NULL REFERENCES organisation(code),
            uprn INTEGER NOT NULL CHECK (uprn > 0 AND uprn <= 999999999999),
            easting_m REAL NOT NULL,
            northing_m REAL NOT NULL,
            latitude REAL NOT NULL,
            longitude REAL NOT NULL,
            saon TEXT NOT NULL,
            paon TEXT NOT NULL,
            street TEXT NOT NULL,
            locality TEXT NOT NULL,
            town TEXT NOT NULL,
            postcode TEXT NOT NULL,
            ward TEXT NOT NULL,
            single_line TEXT NOT NULL,
            UNIQUE (organisation_code, uprn)
        );
        CREATE INDEX gazetteer_by_uprn ON gazetteer_address(uprn);

        CREATE VIRTUAL TABLE gazetteer_fts USING fts5(
            single_line,
            content = 'gazetteer_address', content_rowid = 'id',
            tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
        );
        CREATE TRIGGER gazetteer_fts_after_insert AFTER INSERT ON gazetteer_address BEGIN
            INSERT INTO gazetteer_fts(rowid, single_line) VALUES (new.id, new.single_line);
        END;
        CREATE TRIGGER gazetteer_fts_after_delete AFTER DELETE ON gazetteer_address BEGIN
            INSERT INTO gazetteer_fts(gazetteer_fts, rowid, single_line) VALUES ('delete', old.id, old.single_line);
        END;
        CREATE TRIGGER gazetteer_fts_after_update AFTER UPDATE OF single_line ON gazetteer_address BEGIN
            INSERT INTO gazetteer_fts(gazetteer_fts, rowid, single_line) VALUES ('delete', old.id, old.single_line);
            INSERT INTO gazetteer_fts(rowid, single_line) VALUES (new.id, new.single_line);
        END;

        ALTER TABLE call ADD COLUMN easting_m REAL;
        ALTER TABLE call ADD COLUMN northing_m REAL;
        ALTER TABLE call ADD COLUMN ward TEXT;
        ALTER TABLE call ADD COLUMN address_verification TEXT NOT NULL DEFAULT 'unverified';
        CREATE INDEX call_open_by_option ON call(organisation_code, service_option_code, status, offered_at_ms);
        """

    /// Replication bookkeeping (DESIGN.md "Replication model"): the clock, the change log, version vectors,
    /// per-field clocks, concurrent values, tombstones and quarantine. Existing rows get the zero clock: no
    /// database with data predates this migration.
    static let v3 = """
        ALTER TABLE node_identity ADD COLUMN clock TEXT;

        CREATE TABLE change_log (
            origin TEXT NOT NULL,
            sequence INTEGER NOT NULL CHECK (sequence > 0),
            clock TEXT NOT NULL,
            scope TEXT NOT NULL,
            payload BLOB NOT NULL,
            applied INTEGER NOT NULL DEFAULT 0,
            received_at_ms INTEGER NOT NULL,
            PRIMARY KEY (origin, sequence)
        ) WITHOUT ROWID;
        CREATE INDEX change_log_pending ON change_log(origin, sequence) WHERE applied = 0;

        CREATE TABLE version_vector (
            origin TEXT PRIMARY KEY NOT NULL,
            held_sequence INTEGER NOT NULL DEFAULT 0,
            applied_sequence INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;

        CREATE TABLE field_clock (
            table_name TEXT NOT NULL,
            row_key TEXT NOT NULL,
            field TEXT NOT NULL,
            clock TEXT NOT NULL,
            PRIMARY KEY (table_name, row_key, field)
        ) WITHOUT ROWID;

        CREATE TABLE concurrent_value (
            table_name TEXT NOT NULL,
            row_key TEXT NOT NULL,
            field TEXT NOT NULL,
            clock TEXT NOT NULL,
            value_json TEXT NOT NULL,
            PRIMARY KEY (table_name, row_key, field, clock)
        ) WITHOUT ROWID;

        CREATE TABLE tombstone (
            table_name TEXT NOT NULL,
            row_key TEXT NOT NULL,
            clock TEXT NOT NULL,
            origin TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            PRIMARY KEY (table_name, row_key)
        ) WITHOUT ROWID;

        CREATE TABLE quarantine (
            origin TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            clock TEXT NOT NULL,
            payload BLOB NOT NULL,
            reason TEXT NOT NULL,
            received_at_ms INTEGER NOT NULL,
            PRIMARY KEY (origin, sequence)
        ) WITHOUT ROWID;

        ALTER TABLE organisation ADD COLUMN row_clock TEXT NOT NULL DEFAULT '';
        ALTER TABLE organisation ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE service_option ADD COLUMN option_key TEXT;
        UPDATE service_option SET option_key = organisation_code || '/' || code;
        CREATE UNIQUE INDEX service_option_by_key ON service_option(option_key);
        ALTER TABLE service_option ADD COLUMN row_clock TEXT NOT NULL DEFAULT '';
        ALTER TABLE access_number ADD COLUMN row_clock TEXT NOT NULL DEFAULT '';
        ALTER TABLE catalogue_calendar ADD COLUMN row_clock TEXT NOT NULL DEFAULT '';
        ALTER TABLE call ADD COLUMN row_clock TEXT NOT NULL DEFAULT '';
        ALTER TABLE call ADD COLUMN assigned_to TEXT;
        ALTER TABLE call ADD COLUMN assigned_to_conflict INTEGER NOT NULL DEFAULT 0;

        ALTER TABLE call_event ADD COLUMN uid TEXT;
        ALTER TABLE call_event ADD COLUMN organisation_code TEXT;
        UPDATE call_event SET uid = 'local-' || id,
            organisation_code = (SELECT organisation_code FROM call WHERE reference = call_reference);
        CREATE UNIQUE INDEX call_event_by_uid ON call_event(uid);
        ALTER TABLE call_note ADD COLUMN uid TEXT;
        ALTER TABLE call_note ADD COLUMN organisation_code TEXT;
        UPDATE call_note SET uid = 'local-' || id,
            organisation_code = (SELECT organisation_code FROM call WHERE reference = call_reference);
        CREATE UNIQUE INDEX call_note_by_uid ON call_note(uid);
        """

    /// Replicated tables are written only while a change set is being applied: any other write is aborted by
    /// SQLite itself, so a second write path cannot exist by accident (DESIGN.md: "there is no second write
    /// path"). `nightdesk_applying()` is registered on every connection the store opens.
    static var v3Guards: String {
        let replicated = [
            "organisation", "service_option", "access_number", "catalogue_calendar", "call", "call_event", "call_note",
        ]
        return replicated.map { table in
            ["INSERT", "UPDATE", "DELETE"].map { event in
                """
                CREATE TRIGGER \(table)_guard_\(event.lowercased()) BEFORE \(event) ON \(table)
                WHEN nightdesk_applying() = 0
                BEGIN SELECT RAISE(ABORT, '\(table) is replicated: it is written only by applying a change set'); END;
                """
            }.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Calls at one property, newest first, read straight from the index instead of sorting every call there;
    /// and prefix indexes up to six letters, so a whole surname or street word ("smith", "acacia") is one index
    /// lookup rather than a scan of every word it starts.
    static let v4 = """
        DROP INDEX call_by_uprn;
        CREATE INDEX call_by_uprn_time ON call(uprn, offered_at_ms) WHERE uprn IS NOT NULL;

        DROP TRIGGER call_fts_after_insert;
        DROP TRIGGER call_fts_after_delete;
        DROP TRIGGER call_fts_after_update;
        DROP TABLE call_fts;
        CREATE VIRTUAL TABLE call_fts USING fts5(
            caller_name, address_text,
            content = 'call', content_rowid = 'id',
            tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4 5 6'
        );
        INSERT INTO call_fts(call_fts) VALUES ('rebuild');
        CREATE TRIGGER call_fts_after_insert AFTER INSERT ON call BEGIN
            INSERT INTO call_fts(rowid, caller_name, address_text)
            VALUES (new.id, new.caller_name, new.address_text);
        END;
        CREATE TRIGGER call_fts_after_delete AFTER DELETE ON call BEGIN
            INSERT INTO call_fts(call_fts, rowid, caller_name, address_text)
            VALUES ('delete', old.id, old.caller_name, old.address_text);
        END;
        CREATE TRIGGER call_fts_after_update AFTER UPDATE OF caller_name, address_text ON call BEGIN
            INSERT INTO call_fts(call_fts, rowid, caller_name, address_text)
            VALUES ('delete', old.id, old.caller_name, old.address_text);
            INSERT INTO call_fts(rowid, caller_name, address_text)
            VALUES (new.id, new.caller_name, new.address_text);
        END;
        """

    /// The sealed log: every change set as it travels between sites (encrypted under its organisation's data
    /// key, chained per origin), the signed checkpoints that cover them, what each peer holds, and the node's
    /// cluster and start-up epoch (DESIGN.md, Sealing and Transport).
    ///
    /// `sealed_change` holds a contiguous prefix of each origin's chain: a run is only stored once it has
    /// been verified against a checkpoint, so the highest sequence per origin is what the node can relay.
    static let v5 = """
        CREATE TABLE sealed_change (
            origin TEXT NOT NULL,
            sequence INTEGER NOT NULL CHECK (sequence > 0),
            envelope BLOB NOT NULL,
            link BLOB NOT NULL CHECK (length(link) = 32),
            clock_ms INTEGER NOT NULL,
            stored_at_ms INTEGER NOT NULL,
            PRIMARY KEY (origin, sequence)
        ) WITHOUT ROWID;

        CREATE TABLE sealed_checkpoint (
            origin TEXT NOT NULL,
            sequence INTEGER NOT NULL CHECK (sequence > 0),
            link BLOB NOT NULL CHECK (length(link) = 32),
            signature BLOB NOT NULL CHECK (length(signature) = 64),
            PRIMARY KEY (origin, sequence)
        ) WITHOUT ROWID;

        CREATE TABLE mesh_peer (
            site TEXT PRIMARY KEY NOT NULL,
            epoch INTEGER NOT NULL,
            held_json TEXT NOT NULL DEFAULT '{}',
            last_contact_ms INTEGER
        ) WITHOUT ROWID;

        CREATE TABLE mesh_identity (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            cluster TEXT NOT NULL,
            epoch INTEGER NOT NULL CHECK (epoch > 0),
            -- The scopes (organisation codes, "cluster") this site holds keys for, as a JSON array; NULL when it
            -- holds every one. Local writes to any other scope are refused: they could never be sealed.
            held_scopes TEXT
        );
        """
}
