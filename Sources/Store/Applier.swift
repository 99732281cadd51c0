import Foundation
import GRDB
import Replication
import Synchronization

/// Opens the guard on replicated tables while a change set is applied (see `Schema.v3Guards`).
final class ApplyGate: Sendable {
    private let depth = Mutex(0)

    func open<T>(_ body: () throws -> T) rethrows -> T {
        depth.withLock { $0 += 1 }
        defer { depth.withLock { $0 -= 1 } }
        return try body()
    }

    var isOpen: Bool { depth.withLock { $0 > 0 } }

    /// The SQL function the guard triggers call.
    var sqlFunction: DatabaseFunction {
        DatabaseFunction("nightdesk_applying", argumentCount: 0, pure: false) { [self] _ in
            isOpen ? 1 : 0
        }
    }
}

/// What applying change sets did, for logs, metrics and tests.
public struct ApplyCounts: Sendable, Equatable, Codable {
    public var operations = 0
    /// Field writes that lost to a later clock or a further state, and writes to tombstoned rows.
    public var superseded = 0
}

/// Merges change sets into the replicated tables: the only code that writes them.
///
/// Every decision is `Replication.Merge`'s; this type only reads the current state and writes the result,
/// so applying is idempotent and, for concurrent change sets, order-independent.
enum Applier {
    static func apply(_ db: Database, _ set: ChangeSet, counts: inout ApplyCounts) throws {
        for operation in set.operations {
            guard let rules = ReplicatedTables.byName[operation.table] else {
                throw ReplicationError.unknownTable(operation.table, origin: set.origin.rawValue, sequence: set.sequence.rawValue)
            }
            counts.operations += 1
            switch operation.action {
            case .upsert(let fields, let supersedes):
                try upsert(db, rules, key: operation.key, fields: fields, supersedes: supersedes, set: set, counts: &counts)
            case .add(let fields):
                guard rules.kind == .addOnly else {
                    throw ReplicationError.wrongOperation(rules.table, "add", origin: set.origin.rawValue)
                }
                try add(db, rules, key: operation.key, fields: fields)
            case .remove:
                guard rules.kind == .registers else {
                    throw ReplicationError.wrongOperation(rules.table, "remove", origin: set.origin.rawValue)
                }
                try remove(db, rules, key: operation.key, set: set, counts: &counts)
            }
        }
    }

    static func upsert(
        _ db: Database, _ rules: TableRules, key: String, fields: [String: FieldValue],
        supersedes: [String: [HybridTimestamp]], set: ChangeSet, counts: inout ApplyCounts
    ) throws {
        let clock = set.timestamp
        for name in fields.keys where rules.rule(name) == nil {
            throw ReplicationError.unknownField(rules.table, name, origin: set.origin.rawValue)
        }
        let buried = try tombstoneClock(db, rules.table, key)
        if let buried, buried > clock {
            counts.superseded += 1
            return
        }
        let names = fields.keys.sorted()
        let select = "SELECT row_clock\(names.map { ", \($0)" }.joined()) FROM \(rules.table) WHERE \(rules.keyColumn) = ?"
        guard let row = try Row.fetchOne(db.cachedStatement(sql: select), arguments: [key]) else {
            // A new row needs every field; a partial write to a row that is gone lost to its deletion.
            guard names.count == rules.fields.count else {
                counts.superseded += 1
                return
            }
            if buried != nil {
                try db.execute(sql: "DELETE FROM tombstone WHERE table_name = ? AND row_key = ?", arguments: [rules.table, key])
            }
            let columns = [rules.keyColumn] + names + ["row_clock"]
            let insert = "INSERT INTO \(rules.table) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
            var values: [DatabaseValue] = [key.databaseValue]
            for name in names {
                values.append(rules.rule(name) == .concurrentValues ? .null : fields[name]!.databaseValue)
            }
            values.append(clock.description.databaseValue)
            try db.cachedStatement(sql: insert).execute(arguments: StatementArguments(values))
            // A new row's concurrent-values fields start empty; only a value actually given is recorded.
            for name in names where rules.rule(name) == .concurrentValues && fields[name] != .null {
                try mergeConcurrent(db, rules, key: key, field: name, incoming: FieldState(value: fields[name]!, clock: clock), superseding: supersedes[name] ?? [])
            }
            return
        }
        let rowClock = HybridTimestamp(text: row["row_clock"]) ?? HybridTimestamp(physicalMs: 0, logical: 0, site: set.origin)
        let fieldClocks = try Dictionary(
            uniqueKeysWithValues: Row.fetchAll(
                db.cachedStatement(sql: "SELECT field, clock FROM field_clock WHERE table_name = ? AND row_key = ?"),
                arguments: [rules.table, key]
            ).map { ($0["field"] as String, HybridTimestamp(text: $0["clock"]) ?? rowClock) })
        var assignments: [(String, DatabaseValue)] = []
        for name in names {
            let rule = rules.rule(name)!
            let incoming = FieldState(value: fields[name]!, clock: clock)
            if rule == .concurrentValues {
                try mergeConcurrent(db, rules, key: key, field: name, incoming: incoming, superseding: supersedes[name] ?? [])
                continue
            }
            let current = FieldState(value: FieldValue(row[name] as DatabaseValue), clock: fieldClocks[name] ?? rowClock)
            guard let next = Merge.register(rule, current: current, incoming: incoming) else {
                counts.superseded += 1
                continue
            }
            if next.value != current.value { assignments.append((name, next.value.databaseValue)) }
            try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO field_clock (table_name, row_key, field, clock) VALUES (?, ?, ?, ?)"
            ).execute(arguments: [rules.table, key, name, next.clock.description])
        }
        if !assignments.isEmpty {
            let update = "UPDATE \(rules.table) SET \(assignments.map { "\($0.0) = ?" }.joined(separator: ", ")) WHERE \(rules.keyColumn) = ?"
            try db.cachedStatement(sql: update).execute(arguments: StatementArguments(assignments.map(\.1) + [key.databaseValue]))
        }
    }

    /// Keeps every concurrent value of a safety-critical field; the column shows the latest, and
    /// `<field>_conflict` says when more than one is live.
    static func mergeConcurrent(
        _ db: Database, _ rules: TableRules, key: String, field: String, incoming: FieldState,
        superseding: [HybridTimestamp]
    ) throws {
        let decoder = JSONDecoder()
        let current = try Row.fetchAll(
            db, sql: "SELECT clock, value_json FROM concurrent_value WHERE table_name = ? AND row_key = ? AND field = ?",
            arguments: [rules.table, key, field]
        ).compactMap { row -> FieldState? in
            guard let clock = HybridTimestamp(text: row["clock"]) else { return nil }
            return FieldState(value: try decoder.decode(FieldValue.self, from: Data((row["value_json"] as String).utf8)), clock: clock)
        }
        // Causal delivery means a write is applied after every value it saw, so what it supersedes is here.
        let next = Merge.concurrent(current, adding: incoming, superseding: superseding)
        try db.execute(
            sql: "DELETE FROM concurrent_value WHERE table_name = ? AND row_key = ? AND field = ?",
            arguments: [rules.table, key, field])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for state in next {
            try db.execute(
                sql: "INSERT INTO concurrent_value (table_name, row_key, field, clock, value_json) VALUES (?, ?, ?, ?, ?)",
                arguments: [
                    rules.table, key, field, state.clock.description,
                    String(decoding: try encoder.encode(state.value), as: UTF8.self),
                ])
        }
        let shown = next.last?.value ?? .null
        let live = next.filter { $0.value != .null }.count
        try db.execute(
            sql: "UPDATE \(rules.table) SET \(field) = ?, \(field)_conflict = ? WHERE \(rules.keyColumn) = ?",
            arguments: [shown.databaseValue, live > 1 ? 1 : 0, key])
    }

    static func add(_ db: Database, _ rules: TableRules, key: String, fields: [String: FieldValue]) throws {
        let names = fields.keys.sorted()
        guard names == rules.fields.map(\.name).sorted() else {
            throw ReplicationError.incompleteElement(rules.table, key)
        }
        let columns = [rules.keyColumn] + names
        let sql = "INSERT INTO \(rules.table) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", "))) ON CONFLICT(\(rules.keyColumn)) DO NOTHING"
        try db.cachedStatement(sql: sql).execute(
            arguments: StatementArguments([key.databaseValue] + names.map { fields[$0]!.databaseValue }))
    }

    static func remove(_ db: Database, _ rules: TableRules, key: String, set: ChangeSet, counts: inout ApplyCounts) throws {
        let clock = set.timestamp
        if let rowClock = try String.fetchOne(
            db, sql: "SELECT row_clock FROM \(rules.table) WHERE \(rules.keyColumn) = ?", arguments: [key])
        {
            let latest = try ([rowClock] + String.fetchAll(
                db, sql: "SELECT clock FROM field_clock WHERE table_name = ? AND row_key = ?", arguments: [rules.table, key]))
                .compactMap(HybridTimestamp.init(text:)).max()
            if let latest, latest > clock {
                // A later write wins over this deletion (last writer wins for the row as a whole).
                counts.superseded += 1
            } else {
                try db.execute(sql: "DELETE FROM \(rules.table) WHERE \(rules.keyColumn) = ?", arguments: [key])
                try db.execute(sql: "DELETE FROM field_clock WHERE table_name = ? AND row_key = ?", arguments: [rules.table, key])
                try db.execute(sql: "DELETE FROM concurrent_value WHERE table_name = ? AND row_key = ?", arguments: [rules.table, key])
            }
        }
        if let buried = try tombstoneClock(db, rules.table, key), buried >= clock { return }
        try db.execute(
            sql: "INSERT OR REPLACE INTO tombstone (table_name, row_key, clock, origin, sequence) VALUES (?, ?, ?, ?, ?)",
            arguments: [rules.table, key, clock.description, set.origin.rawValue, set.sequence.rawValue])
    }

    static func tombstoneClock(_ db: Database, _ table: String, _ key: String) throws -> HybridTimestamp? {
        try String.fetchOne(
            db.cachedStatement(sql: "SELECT clock FROM tombstone WHERE table_name = ? AND row_key = ?"),
            arguments: [table, key]
        ).flatMap(HybridTimestamp.init(text:))
    }
}

/// A change set that cannot be applied as written: it is refused whole and nothing of it is applied.
public enum ReplicationError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownTable(String, origin: String, sequence: UInt64)
    case unknownField(String, String, origin: String)
    case wrongOperation(String, String, origin: String)
    case incompleteElement(String, String)
    case notThisSite(origin: String)
    case conflictingCopy(origin: String, sequence: UInt64)
    case undecodable(origin: String, sequence: UInt64, reason: String)

    public var description: String {
        switch self {
        case .unknownTable(let table, let origin, let sequence):
            "change set \(origin)/\(sequence) writes table '\(table)', which is not replicated here; upgrade this node"
        case .unknownField(let table, let field, let origin):
            "a change set from \(origin) writes \(table).\(field), which is not replicated here; upgrade this node"
        case .wrongOperation(let table, let operation, let origin):
            "a change set from \(origin) tries to \(operation) a row of \(table), which that table does not allow"
        case .incompleteElement(let table, let key):
            "element \(key) of \(table) lacks some of its fields; an add-only element is written whole"
        case .notThisSite(let origin):
            "a change set claims to come from this site (\(origin)) but this site never wrote it; refused"
        case .conflictingCopy(let origin, let sequence):
            "a second, different change set numbered \(origin)/\(sequence) arrived; refused (the first is kept)"
        case .undecodable(let origin, let sequence, let reason):
            "change set \(origin)/\(sequence) cannot be read: \(reason)"
        }
    }
}

extension FieldValue {
    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let value): value.databaseValue
        case .real(let value): value.databaseValue
        case .text(let value): value.databaseValue
        }
    }

    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let value): self = .integer(value)
        case .double(let value): self = .real(value)
        case .string(let value): self = .text(value)
        case .blob(let data): self = .text(data.base64EncodedString())
        }
    }
}
