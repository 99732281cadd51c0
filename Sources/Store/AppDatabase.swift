import Domain
import Foundation
import GRDB
import Replication
import Synchronization

/// The one owner of a node's SQLite database; every write is one invariant-preserving transaction.
///
/// Opened once per process. WAL mode (DatabasePool), foreign keys on, `synchronous=FULL` so a call
/// acknowledged to a handler survives a power cut.
public final class AppDatabase: Sendable {
    private let dbWriter: any DatabaseWriter
    public let path: String
    /// How far ahead of local time a remote clock may be before its change set is quarantined.
    public let clockSkewBoundMs: Int64
    let gate = ApplyGate()
    private let cachedCatalogue = Mutex<(version: Int64, catalogue: Catalogue)?>(nil)
    let rotaDirectoryCache = RotaDirectoryCache()

    /// Opens (and migrates) the database at `path`; refuses one written by a newer version.
    /// `nil` opens a private in-memory database (for simulations).
    public init(path: String?, clockSkewBoundMs: Int64 = ReplicationLimits.clockSkewMsMaxDefault) throws {
        precondition(clockSkewBoundMs > 0, "clock skew bound must be positive")
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(Double(StoreLimits.busyTimeoutMs) / 1000)
        let gate = self.gate
        configuration.prepareDatabase { db in
            db.add(function: gate.sqlFunction)
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let writer: any DatabaseWriter =
            if let path { try DatabasePool(path: path, configuration: configuration) } else {
                try DatabaseQueue(configuration: configuration)
            }
        let migrator = Schema.migrator
        let applied = try writer.read { db in try migrator.appliedIdentifiers(db) }
        let unknown = applied.subtracting(Schema.migrationIdentifiers).sorted()
        guard unknown.isEmpty else {
            throw StoreError.newerSchema(path: path ?? ":memory:", unknownMigrations: unknown)
        }
        try migrator.migrate(writer)
        // GRDB's DatabasePool sets its writer to synchronous=NORMAL after `prepareDatabase` runs; a call
        // acknowledged to a handler must survive a power cut, so the writer is set back to FULL here.
        try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        self.dbWriter = writer
        self.path = path ?? ":memory:"
        self.clockSkewBoundMs = clockSkewBoundMs
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
        /// Organisations and options no longer in the catalogue: kept for their calls, refused for new ones (2.3.5).
        public let withdrawnOptions: [String]
        /// Row operations the load needed: 0 when the catalogue was already as given.
        public let changes: Int
    }

    /// Loads (or reloads) the catalogue as one change set holding only what differs from what is here.
    @discardableResult
    public func loadCatalogue(_ catalogue: Catalogue, at instant: Date) throws -> CatalogueLoadSummary {
        let desired = try CatalogueRows.rows(of: catalogue)
        return try dbWriter.write { db in
            var operations: [RowOperation] = []
            for rules in [ReplicatedTables.organisation, ReplicatedTables.serviceOption, ReplicatedTables.accessNumber, ReplicatedTables.calendar] {
                let current = try CatalogueRows.current(db, rules)
                operations += CatalogueRows.difference(rules, current: current, desired: desired[rules.table] ?? [:])
            }
            try commitLocal(db, at: instant, scope: .cluster) { _ in operations }
            let withdrawn = try String.fetchAll(
                db,
                sql: """
                    SELECT code FROM organisation WHERE withdrawn = 1
                    UNION ALL SELECT organisation_code || ' ' || code FROM service_option WHERE withdrawn = 1 ORDER BY 1
                    """)
            try db.execute(sql: "UPDATE node_identity SET catalogue_version = catalogue_version + 1 WHERE id = 1")
            return CatalogueLoadSummary(
                organisations: catalogue.organisations.count,
                serviceOptions: catalogue.organisations.reduce(0) { $0 + $1.options.count },
                accessNumbers: catalogue.accessNumbers.count, withdrawnOptions: withdrawn, changes: operations.count)
        }
    }

    /// The catalogue as loaded, without withdrawn options.
    public func catalogue() throws -> Catalogue {
        try dbWriter.read { db in try self.catalogue(db) }
    }

    /// Reads the catalogue, reusing the cached copy while no process has loaded a newer one.
    func catalogue(_ db: Database) throws -> Catalogue {
        let version = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT catalogue_version FROM node_identity WHERE id = 1")) ?? 0
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

extension AppDatabase {
    /// Copies the whole database, consistently, to a new file at `path` (SQLite's online backup).
    public func backup(to path: String) throws {
        precondition(!FileManager.default.fileExists(atPath: path), "backup target \(path) already exists")
        let target = try DatabaseQueue(path: path)
        try dbWriter.backup(to: target)
    }
}
