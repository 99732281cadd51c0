import Domain
import Foundation
import GRDB
import NightdeskTestSupport
import Testing

@testable import Store

@Suite struct MigrationTests {
    func temporaryPath() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nightdesk-migrate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent("nightdesk.sqlite").path
    }

    @Test func aNewDatabaseHasEveryMigrationAndRunsWALWithForeignKeysAndFullSync() throws {
        let test = try TestDatabase()
        #expect(try test.database.appliedMigrations() == Schema.migrationIdentifiers.sorted())
        let pragmas = try test.database.read { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA foreign_keys"),
                try Int.fetchOne(db, sql: "PRAGMA synchronous")
            )
        }
        #expect(pragmas.0 == "wal")
        #expect(pragmas.1 == 1)
        #expect(pragmas.2 == 2)  // FULL on readers…
        let writerSynchronous = try test.database.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(writerSynchronous == 2)  // …and on the writer, where it matters
    }

    @Test func aDatabaseFromAnOlderVersionIsMigratedKeepingItsCalls() throws {
        let path = try temporaryPath()
        // Build the schema as the first version shipped it, with a call in it.
        do {
            let queue = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(queue, upTo: Schema.migrationIdentifiers[0])
            try queue.write { db in
                try db.execute(sql: "INSERT INTO node_identity (id, site_code, created_at_ms) VALUES (1, 'WST', 0)")
                try db.execute(sql: "INSERT INTO organisation VALUES ('EAL', 'Ealing', 'council', 10, '[]')")
                try db.execute(
                    sql: """
                        INSERT INTO service_option VALUES ('EAL', 'noise-patrol', 'Noise', '', 'refer', 'silver', 0,
                            '{}', '[]', 0)
                        """)
                try db.execute(
                    sql: """
                        INSERT INTO call (reference, site_code, organisation_code, service_option_code, caller_name,
                            address_text, details, answers_json, action, status, offered_at_ms)
                        VALUES ('WST-222-222Q', 'WST', 'EAL', 'noise-patrol', 'Old Caller', '1 Old Road', '', '{}',
                            'refer', 'open', 0)
                        """)
            }
        }
        let database = try AppDatabase(path: path)
        #expect(try database.appliedMigrations() == Schema.migrationIdentifiers.sorted())
        let (verification, matches) = try database.read { db in
            (
                try String.fetchOne(db, sql: "SELECT address_verification FROM call"),
                try Int.fetchOne(db, sql: "SELECT count(*) FROM call_fts WHERE call_fts MATCH 'old'")
            )
        }
        #expect(verification == "unverified")
        #expect(matches == 1)
    }

    @Test func aDatabaseFromANewerVersionIsRefusedAndLeftAlone() throws {
        let path = try temporaryPath()
        _ = try AppDatabase(path: path)
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9-from-the-future')")
            }
        }
        #expect(throws: StoreError.newerSchema(path: path, unknownMigrations: ["v9-from-the-future"])) {
            try AppDatabase(path: path)
        }
        let message = StoreError.newerSchema(path: path, unknownMigrations: ["v9-from-the-future"]).description
        #expect(message.contains("newer version of Nightdesk"))
    }

    @Test func aDatabaseBelongsToOneSite() throws {
        let test = try TestDatabase(site: "WST")
        #expect(throws: StoreError.self) { try test.database.initialise(site: try SiteCode("EST"), at: Date()) }
        #expect(try test.database.site().rawValue == "WST")
        // Initialising again for the same site is harmless.
        try test.database.initialise(site: try SiteCode("WST"), at: Date())
    }
}
