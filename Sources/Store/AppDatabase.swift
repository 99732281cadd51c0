import Domain
import Foundation
import GRDB
import Synchronization

/// The one owner of a node's SQLite database; every write is one invariant-preserving transaction.
///
/// Opened once per process. WAL mode (DatabasePool), foreign keys on, `synchronous=FULL` so a call
/// acknowledged to a handler survives a power cut.
public final class AppDatabase: Sendable {
    private let dbWriter: any DatabaseWriter
    public let path: String
    private let cachedCatalogue = Mutex<(version: Int64, catalogue: Catalogue)?>(nil)

    /// Opens (and migrates) the database at `path`; refuses one written by a newer version.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(Double(StoreLimits.busyTimeoutMs) / 1000)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        let migrator = Schema.migrator
        let applied = try pool.read { db in try migrator.appliedIdentifiers(db) }
        let unknown = applied.subtracting(Schema.migrationIdentifiers).sorted()
        guard unknown.isEmpty else {
            throw StoreError.newerSchema(path: path, unknownMigrations: unknown)
        }
        try migrator.migrate(pool)
        self.dbWriter = pool
        self.path = path
    }

    /// Identifiers of the migrations applied to this database.
    public func appliedMigrations() throws -> [String] {
        try dbWriter.read { db in try Schema.migrator.appliedIdentifiers(db).sorted() }
    }

    // MARK: - Node identity

    /// Records which site this database belongs to; refuses to re-initialise for another site.
    public func initialise(site: SiteCode, at instant: Date) throws {
        try dbWriter.write { db in
            if let existing = try String.fetchOne(db, sql: "SELECT site_code FROM node_identity WHERE id = 1") {
                guard existing == site.rawValue else {
                    throw StoreError.siteMismatch(path: path, expected: site.rawValue, found: existing)
                }
                return
            }
            try db.execute(
                sql: "INSERT INTO node_identity (id, site_code, created_at_ms) VALUES (1, ?, ?)",
                arguments: [site.rawValue, instant.milliseconds])
        }
    }

    /// The site this database belongs to.
    public func site() throws -> SiteCode {
        guard let code = try dbWriter.read({ db in
            try String.fetchOne(db, sql: "SELECT site_code FROM node_identity WHERE id = 1")
        }) else {
            throw StoreError.notInitialised(path: path)
        }
        return try SiteCode(code)
    }

    // MARK: - Catalogue

    /// What loading a catalogue changed.
    public struct CatalogueLoadSummary: Sendable, Codable, Equatable {
        public let organisations: Int
        public let serviceOptions: Int
        public let accessNumbers: Int
        /// Options no longer in the catalogue: kept for their calls, refused for new ones (2.3.5).
        public let withdrawnOptions: [String]
    }

    /// Loads (or reloads) the catalogue in one transaction.
    public func loadCatalogue(_ catalogue: Catalogue) throws -> CatalogueLoadSummary {
        let encoder = JSONEncoder.stable
        return try dbWriter.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO catalogue_calendar (id, calendar_json) VALUES (1, ?)",
                arguments: [String(decoding: try encoder.encode(catalogue.calendar), as: UTF8.self)])
            try db.execute(sql: "DELETE FROM access_number")
            try db.execute(sql: "UPDATE service_option SET withdrawn = 1")
            var optionCount = 0
            for organisation in catalogue.organisations {
                try db.execute(
                    sql: """
                        INSERT INTO organisation (code, name, kind, referral_limit_minutes, out_of_scope_categories_json)
                        VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT(code) DO UPDATE SET name = excluded.name, kind = excluded.kind,
                            referral_limit_minutes = excluded.referral_limit_minutes,
                            out_of_scope_categories_json = excluded.out_of_scope_categories_json
                        """,
                    arguments: [
                        organisation.code.rawValue, organisation.name, organisation.kind.rawValue,
                        organisation.referralLimitMinutes,
                        String(decoding: try encoder.encode(organisation.outOfScopeCategories), as: UTF8.self),
                    ])
                for option in organisation.options {
                    optionCount += 1
                    try db.execute(
                        sql: """
                            INSERT INTO service_option (organisation_code, code, name, description, default_action,
                                standard, information_only, hours_json, questions_json, withdrawn)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
                            ON CONFLICT(organisation_code, code) DO UPDATE SET name = excluded.name,
                                description = excluded.description, default_action = excluded.default_action,
                                standard = excluded.standard, information_only = excluded.information_only,
                                hours_json = excluded.hours_json, questions_json = excluded.questions_json,
                                withdrawn = 0
                            """,
                        arguments: [
                            organisation.code.rawValue, option.code.rawValue, option.name, option.description,
                            option.defaultAction.rawValue, option.standard.rawValue, option.informationOnly,
                            String(decoding: try encoder.encode(option.hours), as: UTF8.self),
                            String(decoding: try encoder.encode(option.questions), as: UTF8.self),
                        ])
                }
            }
            for access in catalogue.accessNumbers {
                try db.execute(
                    sql: """
                        INSERT INTO access_number (number, organisation_code, service_option_code, label)
                        VALUES (?, ?, ?, ?)
                        """,
                    arguments: [
                        access.number.e164, access.organisation.rawValue, access.option?.rawValue, access.label,
                    ])
            }
            let withdrawn = try String.fetchAll(
                db,
                sql: "SELECT organisation_code || ' ' || code FROM service_option WHERE withdrawn = 1 ORDER BY 1")
            try db.execute(sql: "UPDATE node_identity SET catalogue_version = catalogue_version + 1 WHERE id = 1")
            return CatalogueLoadSummary(
                organisations: catalogue.organisations.count, serviceOptions: optionCount,
                accessNumbers: catalogue.accessNumbers.count, withdrawnOptions: withdrawn)
        }
    }

    /// The catalogue as loaded, without withdrawn options.
    public func catalogue() throws -> Catalogue {
        try dbWriter.read { db in try self.catalogue(db) }
    }

    /// Reads the catalogue, reusing the cached copy while no process has loaded a newer one.
    func catalogue(_ db: Database) throws -> Catalogue {
        let version = try Int64.fetchOne(db, sql: "SELECT catalogue_version FROM node_identity WHERE id = 1") ?? 0
        if let cached = cachedCatalogue.withLock({ $0 }), cached.version == version {
            return cached.catalogue
        }
        let catalogue = try CatalogueRows.read(db)
        cachedCatalogue.withLock { $0 = (version, catalogue) }
        return catalogue
    }

    // MARK: - Reads and writes shared by the facets in other files

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try dbWriter.read(body)
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try dbWriter.write(body)
    }
}

extension Date {
    /// Whole milliseconds since 1970, as stored in `*_ms` columns.
    public var milliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    public init(milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}

extension JSONEncoder {
    /// Sorted keys so equal values always encode to equal bytes (stored, hashed and compared).
    static var stable: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
