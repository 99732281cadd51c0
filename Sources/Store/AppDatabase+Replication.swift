import Crypto
import Foundation
import GRDB
import Replication

/// What a local transaction knows while it builds its operations.
public struct ChangeContext: Sendable {
    public let origin: SiteID
    public let sequence: OriginSequence
    public let timestamp: HybridTimestamp

    /// A unique key for the n-th element a transaction adds to an add-only set.
    func elementKey(_ index: Int) -> String { "\(origin)-\(sequence)-\(index)" }
}

/// What receiving a batch of remote change sets did.
public struct ReceiveReport: Sendable, Equatable, Codable {
    public var stored = 0
    public var duplicates = 0
    public var quarantined: [String] = []
    public var refused: [String] = []
    public var applied = 0
    public var counts = ApplyCounts()
}

extension AppDatabase {
    // MARK: - The one write path

    /// Turns one local transaction into a change set and applies it exactly as a remote one is applied.
    ///
    /// Runs inside the caller's write transaction: the change-log entry, the clock and the rows it changes
    /// commit together or not at all. Returns `nil` (and writes nothing) when `build` has nothing to change.
    @discardableResult
    func commitLocal(
        _ db: Database, at instant: Date, scope: ChangeScope, _ build: (ChangeContext) throws -> [RowOperation]
    ) throws -> ChangeSet? {
        try checkScopeHeld(db, scope)
        var clock = try loadClock(db)
        let site = clock.site
        let applied = try appliedVector(db)
        let sequence = applied[site].next
        let timestamp = clock.tick(nowMs: instant.milliseconds)
        let operations = try build(ChangeContext(origin: site, sequence: sequence, timestamp: timestamp))
        guard !operations.isEmpty else { return nil }
        precondition(
            operations.count <= ReplicationLimits.operationsPerChangeSetMax, "a local transaction over the change set limit")
        let set = ChangeSet(
            origin: site, sequence: sequence, timestamp: timestamp, dependencies: applied, scope: scope,
            operations: operations)
        try db.cachedStatement(
            sql: """
                INSERT INTO change_log (origin, sequence, clock, scope, payload, applied, received_at_ms)
                VALUES (?, ?, ?, ?, ?, 1, ?)
                """
        ).execute(arguments: [
            site.rawValue, sequence.rawValue, timestamp.description, scope.description, StoredChangeSet.encode(set),
            instant.milliseconds,
        ])
        try db.cachedStatement(
            sql: """
                INSERT INTO version_vector (origin, held_sequence, applied_sequence) VALUES (?, ?, ?)
                ON CONFLICT(origin) DO UPDATE SET held_sequence = excluded.held_sequence,
                    applied_sequence = excluded.applied_sequence
                """
        ).execute(arguments: [site.rawValue, sequence.rawValue, sequence.rawValue])
        try saveClock(db, clock)
        var counts = ApplyCounts()
        try gate.open { try Applier.apply(db, set, counts: &counts) }
        return set
    }

    // MARK: - Remote change sets

    /// Stores and applies change sets from other sites: duplicates are ignored, clocks too far ahead are
    /// quarantined, and each set is applied once everything it depends on is here (causal delivery).
    @discardableResult
    public func receive(_ sets: [ChangeSet], at instant: Date) throws -> ReceiveReport {
        try write { db in try receive(db, sets, at: instant) }
    }

    /// `receive(_:at:)` inside the caller's write transaction.
    func receive(_ db: Database, _ sets: [ChangeSet], at instant: Date) throws -> ReceiveReport {
        var clock = try loadClock(db)
        let site = clock.site
        var report = ReceiveReport()
        let nowMs = instant.milliseconds
        var incoming = sets
        incoming += try releaseQuarantined(db, clock: clock, nowMs: nowMs)
        var stored: [ChangeSet] = []
        for set in incoming {
            let name = "\(set.origin)/\(set.sequence)"
            if let existing = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT payload FROM change_log WHERE origin = ? AND sequence = ?"),
                arguments: [set.origin.rawValue, set.sequence.rawValue])
            {
                if try StoredChangeSet.decode(existing) == set {
                    report.duplicates += 1
                } else {
                    report.refused.append(ReplicationError.conflictingCopy(origin: set.origin.rawValue, sequence: set.sequence.rawValue).description)
                }
                continue
            }
            guard set.origin != site else {
                report.refused.append(ReplicationError.notThisSite(origin: site.rawValue).description)
                continue
            }
            do {
                try clock.receive(set.timestamp, nowMs: nowMs)
            } catch {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO quarantine (origin, sequence, clock, payload, reason, received_at_ms)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        set.origin.rawValue, set.sequence.rawValue, set.timestamp.description,
                        StoredChangeSet.encode(set), "\(error)", nowMs,
                    ])
                report.quarantined.append(name)
                continue
            }
            try db.cachedStatement(
                sql: """
                    INSERT INTO change_log (origin, sequence, clock, scope, payload, applied, received_at_ms)
                    VALUES (?, ?, ?, ?, ?, 0, ?)
                    """
            ).execute(arguments: [
                set.origin.rawValue, set.sequence.rawValue, set.timestamp.description, set.scope.description,
                StoredChangeSet.encode(set), nowMs,
            ])
            try advanceHeld(db, origin: set.origin)
            stored.append(set)
            report.stored += 1
        }
        try saveClock(db, clock)
        try applyPending(db, received: stored, report: &report)
        return report
    }

    /// Applies every stored change set whose dependencies are met, in causal order.
    ///
    /// `received` are the sets stored by this call, already decoded; older pending sets are read back.
    private func applyPending(_ db: Database, received: [ChangeSet], report: inout ReceiveReport) throws {
        var applied = try appliedVector(db)
        var queues: [SiteID: [ChangeSet]] = [:]
        var fresh = Set<String>()
        for set in received {
            queues[set.origin, default: []].append(set)
            fresh.insert("\(set.origin)/\(set.sequence)")
        }
        for row in try Row.fetchAll(
            db, sql: "SELECT origin, sequence, payload FROM change_log WHERE applied = 0 ORDER BY origin, sequence")
        {
            guard !fresh.contains("\(row["origin"] as String)/\(row["sequence"] as Int64)") else { continue }
            let set = try StoredChangeSet.decode(row["payload"])
            queues[set.origin, default: []].append(set)
        }
        for origin in queues.keys { queues[origin]!.sort { $0.sequence < $1.sequence } }
        var progress = true
        while progress {
            progress = false
            for origin in queues.keys.sorted() {
                while let next = queues[origin]?.first, next.isApplicable(after: applied) {
                    queues[origin]!.removeFirst()
                    try gate.open { try Applier.apply(db, next, counts: &report.counts) }
                    try db.cachedStatement(sql: "UPDATE change_log SET applied = 1 WHERE origin = ? AND sequence = ?")
                        .execute(arguments: [next.origin.rawValue, next.sequence.rawValue])
                    applied.advance(next.origin, to: next.sequence)
                    try db.cachedStatement(
                        sql: """
                            INSERT INTO version_vector (origin, applied_sequence) VALUES (?, ?)
                            ON CONFLICT(origin) DO UPDATE SET applied_sequence = excluded.applied_sequence
                            """
                    ).execute(arguments: [next.origin.rawValue, next.sequence.rawValue])
                    report.applied += 1
                    progress = true
                }
            }
        }
    }

    private func releaseQuarantined(_ db: Database, clock: HybridLogicalClock, nowMs: Int64) throws -> [ChangeSet] {
        let bound = nowMs + clock.skewBoundMs
        var released: [ChangeSet] = []
        for row in try Row.fetchAll(db, sql: "SELECT origin, sequence, clock, payload FROM quarantine") {
            guard let stamp = HybridTimestamp(text: row["clock"]), stamp.physicalMs <= bound else { continue }
            released.append(try StoredChangeSet.decode(row["payload"]))
            try db.execute(
                sql: "DELETE FROM quarantine WHERE origin = ? AND sequence = ?",
                arguments: [row["origin"] as String, row["sequence"] as Int64])
        }
        return released
    }

    private func advanceHeld(_ db: Database, origin: SiteID) throws {
        var held = try UInt64.fetchOne(
            db.cachedStatement(sql: "SELECT held_sequence FROM version_vector WHERE origin = ?"),
            arguments: [origin.rawValue]) ?? 0
        let start = held
        while try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT 1 FROM change_log WHERE origin = ? AND sequence = ?"),
            arguments: [origin.rawValue, held + 1]) ?? false
        {
            held += 1
        }
        guard held != start else { return }
        try db.cachedStatement(
            sql: """
                INSERT INTO version_vector (origin, held_sequence) VALUES (?, ?)
                ON CONFLICT(origin) DO UPDATE SET held_sequence = excluded.held_sequence
                """
        ).execute(arguments: [origin.rawValue, held])
    }

    // MARK: - What this node holds

    /// Per origin, the highest sequence held with none missing below it (what a peer can be sent).
    public func heldVector() throws -> VersionVector {
        try read { db in try Self.vector(db, column: "held_sequence") }
    }

    /// Per origin, the highest sequence applied to the tables.
    public func appliedVector() throws -> VersionVector {
        try read { db in try appliedVector(db) }
    }

    func appliedVector(_ db: Database) throws -> VersionVector {
        try Self.vector(db, column: "applied_sequence")
    }

    static func vector(_ db: Database, column: String) throws -> VersionVector {
        var entries: [SiteID: OriginSequence] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT origin, \(column) AS n FROM version_vector")) {
            entries[SiteID(row["origin"])] = OriginSequence(row["n"])
        }
        return VersionVector(entries)
    }

    /// Sequences held beyond a gap: they wait for the missing ones, which must be re-requested.
    public func gaps() throws -> [(origin: SiteID, missing: ClosedRange<UInt64>)] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT v.origin, v.held_sequence AS held, min(c.sequence) AS next
                    FROM version_vector v JOIN change_log c ON c.origin = v.origin AND c.sequence > v.held_sequence
                    GROUP BY v.origin
                    """
            ).map { row in
                (SiteID(row["origin"]), ((row["held"] as UInt64) + 1)...((row["next"] as UInt64) - 1))
            }
        }
    }

    /// The change sets this node holds that a peer at `peer` lacks, oldest first per origin, at most `limit`.
    public func changeSets(missingFrom peer: VersionVector, limit: Int) throws -> [ChangeSet] {
        precondition(limit > 0, "limit must be positive")
        return try read { db in
            var result: [ChangeSet] = []
            for (origin, range) in try Self.vector(db, column: "held_sequence").missing(from: peer) {
                guard result.count < limit else { break }
                let payloads = try Data.fetchAll(
                    db,
                    sql: "SELECT payload FROM change_log WHERE origin = ? AND sequence BETWEEN ? AND ? ORDER BY sequence LIMIT ?",
                    arguments: [origin.rawValue, range.lowerBound, range.upperBound, limit - result.count])
                result += try payloads.map(StoredChangeSet.decode)
            }
            return result
        }
    }

    /// Change sets waiting in quarantine, with why.
    public func quarantined() throws -> [(name: String, reason: String)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT origin, sequence, reason FROM quarantine ORDER BY origin, sequence").map {
                ("\($0["origin"] as String)/\($0["sequence"] as Int64)", $0["reason"])
            }
        }
    }

    // MARK: - Tombstones

    /// Purges tombstones of deletions every site holds; `commonlyHeld` is the pointwise minimum of all sites'
    /// acknowledged vectors. Returns how many were purged.
    @discardableResult
    public func purgeTombstones(commonlyHeld: VersionVector) throws -> Int {
        try write { db in
            var purged = 0
            for row in try Row.fetchAll(db, sql: "SELECT table_name, row_key, origin, sequence FROM tombstone") {
                let origin = SiteID(row["origin"])
                guard commonlyHeld[origin] >= OriginSequence(row["sequence"]) else { continue }
                try db.execute(
                    sql: "DELETE FROM tombstone WHERE table_name = ? AND row_key = ?",
                    arguments: [row["table_name"] as String, row["row_key"] as String])
                purged += 1
            }
            return purged
        }
    }

    public func tombstoneCount() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM tombstone") ?? 0 }
    }

    // MARK: - State digest

    /// A SHA-256 of the replicated data (not of the change log): equal on two nodes exactly when the data is.
    ///
    /// With `organisation`, only that Participating Organisation's rows count.
    public func stateDigest(organisation: String? = nil) throws -> String {
        try read { db in
            var hasher = SHA256()
            func feed(_ text: String) {
                var bytes = Array(text.utf8)
                var length = UInt32(bytes.count).bigEndian
                withUnsafeBytes(of: &length) { hasher.update(data: Data($0)) }
                hasher.update(data: Data(bytes))
                bytes.removeAll()
            }
            for rules in ReplicatedTables.all {
                if organisation != nil && rules.organisationColumn == nil { continue }
                feed("table:" + rules.table)
                let columns = [rules.keyColumn] + rules.fields.map(\.name)
                var sql = "SELECT \(columns.joined(separator: ", ")) FROM \(rules.table)"
                var arguments: StatementArguments = []
                if let organisation, let column = rules.organisationColumn {
                    sql += " WHERE \(column) = ?"
                    arguments = [organisation]
                }
                sql += " ORDER BY \(rules.keyColumn)"
                let cursor = try Row.fetchCursor(db, sql: sql, arguments: arguments)
                while let row = try cursor.next() {
                    for (index, _) in columns.enumerated() {
                        feed(Self.canonical(row[index] as DatabaseValue))
                    }
                }
                for field in rules.fields where field.rule == .concurrentValues {
                    let values = try Row.fetchAll(
                        db,
                        sql: """
                            SELECT v.row_key, v.clock, v.value_json FROM concurrent_value v
                            JOIN \(rules.table) t ON t.\(rules.keyColumn) = v.row_key
                            WHERE v.table_name = ? AND v.field = ?\(organisation != nil && rules.organisationColumn != nil ? " AND t.\(rules.organisationColumn!) = ?" : "")
                            ORDER BY v.row_key, v.clock
                            """,
                        arguments: organisation.map { [rules.table, field.name, $0] } ?? [rules.table, field.name])
                    for value in values {
                        feed("cv:\(value["row_key"] as String):\(value["clock"] as String):\(value["value_json"] as String)")
                    }
                }
            }
            return hasher.finalize().map { String(format: "%02x", $0) }.joined()
        }
    }

    static func canonical(_ value: DatabaseValue) -> String {
        switch value.storage {
        case .null: "n"
        case .int64(let value): "i\(value)"
        case .double(let value): "r\(value.bitPattern)"
        case .string(let value): "t" + value
        case .blob(let data): "b" + data.base64EncodedString()
        }
    }

    // MARK: - Clock and identity

    func localSite(_ db: Database) throws -> SiteID {
        guard let code = try String.fetchOne(db.cachedStatement(sql: "SELECT site_code FROM node_identity WHERE id = 1"))
        else { throw StoreError.notInitialised(path: path) }
        return SiteID(code)
    }

    /// This site's clock as last persisted: its site and last value come from one read of the identity row.
    func loadClock(_ db: Database) throws -> HybridLogicalClock {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT site_code, clock FROM node_identity WHERE id = 1"))
        else { throw StoreError.notInitialised(path: path) }
        let last = (row["clock"] as String?).flatMap(HybridTimestamp.init(text:))
        return HybridLogicalClock(site: SiteID(row["site_code"]), last: last, skewBoundMs: clockSkewBoundMs)
    }

    func saveClock(_ db: Database, _ clock: HybridLogicalClock) throws {
        try db.cachedStatement(sql: "UPDATE node_identity SET clock = ? WHERE id = 1")
            .execute(arguments: [clock.last.description])
    }

    /// The clock's last value, as persisted.
    public func lastClock() throws -> HybridTimestamp? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT clock FROM node_identity WHERE id = 1").flatMap(HybridTimestamp.init(text:))
        }
    }
}


/// The change set as the change log stores it: the binary form of `Replication.ChangeSetCodec`.
enum StoredChangeSet {
    static func encode(_ set: ChangeSet) -> Data { Data(ChangeSetCodec.encode(set)) }

    static func decode(_ data: Data) throws -> ChangeSet { try ChangeSetCodec.decode(data) }
}

extension AppDatabase {
    /// A change set as one line of JSON, the form `changes export` writes for people and files.
    public static func encode(_ set: ChangeSet) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(set)
    }

    /// Reads a change set written by `encode(_:)`.
    public static func decodeChangeSet(_ data: Data) throws -> ChangeSet {
        try JSONDecoder().decode(ChangeSet.self, from: data)
    }
}
