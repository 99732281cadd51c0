/// How one field of a replicated table merges when sites write it concurrently (DESIGN.md "Replication model").
public enum FieldRule: Hashable, Sendable {
    /// Set when the row is created; later writes are ignored. When two sites create the same row concurrently (a
    /// key derived from what it records, such as a timer's message), the creation with the earlier clock wins at
    /// every site, whichever arrives first.
    case immutable
    /// Last-writer-wins register: the write with the later clock wins, whatever the values.
    case lastWriterWins
    /// Lifecycle state: merges to the furthest state in `order`; never moves back.
    case furthestState(order: [String])
    /// Safety-critical: concurrent values are all kept and the conflict is flagged for a person.
    case concurrentValues
}

/// How a replicated table's rows behave.
public enum TableKind: Hashable, Sendable {
    /// Rows with fields that merge by their rules; deletion leaves a tombstone.
    case registers
    /// An add-only set: elements are added once and never change or go away (notes, timeline, audit).
    case addOnly
}

/// The replication rules of one table, declared next to its schema.
public struct TableRules: Hashable, Sendable {
    public let table: String
    public let keyColumn: String
    public let kind: TableKind
    /// Every replicated column and its rule, in a fixed order (used for digests).
    public let fields: [(name: String, rule: FieldRule)]
    /// The column naming the Participating Organisation a row belongs to, if any.
    public let organisationColumn: String?

    public init(
        table: String, keyColumn: String, kind: TableKind, fields: [(name: String, rule: FieldRule)],
        organisationColumn: String?
    ) {
        precondition(Set(fields.map(\.name)).count == fields.count, "a field is declared twice in \(table)")
        precondition(!fields.contains { $0.name == keyColumn }, "the key of \(table) is not a field")
        self.table = table
        self.keyColumn = keyColumn
        self.kind = kind
        self.fields = fields
        self.organisationColumn = organisationColumn
    }

    public func rule(_ field: String) -> FieldRule? {
        fields.first { $0.name == field }?.rule
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.table == b.table && a.keyColumn == b.keyColumn && a.kind == b.kind
            && a.fields.map(\.name) == b.fields.map(\.name) && a.fields.map(\.rule) == b.fields.map(\.rule)
            && a.organisationColumn == b.organisationColumn
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(table)
        hasher.combine(fields.map(\.name))
    }
}

/// The state of one register field: its value and the clock of the write that set it.
public struct FieldState: Hashable, Sendable {
    public let value: FieldValue
    public let clock: HybridTimestamp

    public init(value: FieldValue, clock: HybridTimestamp) {
        self.value = value
        self.clock = clock
    }
}

/// The merge decisions, pure so they can be proved commutative, associative and idempotent.
public enum Merge {
    /// The new state of a field after a write, or `nil` when the write loses and nothing changes.
    public static func register(_ rule: FieldRule, current: FieldState?, incoming: FieldState) -> FieldState? {
        guard let current else { return incoming }
        switch rule {
        case .immutable:
            return incoming.clock < current.clock ? incoming : nil
        case .lastWriterWins:
            return incoming.clock > current.clock ? incoming : nil
        case .furthestState(let order):
            let now = rank(current.value, in: order)
            let next = rank(incoming.value, in: order)
            if next > now { return incoming }
            // Same state from two writers: keep the earlier clock so the result does not depend on order.
            if next == now && incoming.clock < current.clock { return incoming }
            return nil
        case .concurrentValues:
            // Kept as a set by `concurrent(_:adding:superseding:)`; the register shows the latest.
            return incoming.clock > current.clock ? incoming : nil
        }
    }

    /// A concurrent-values register after a write: the values it superseded go, the new one joins the rest.
    public static func concurrent(_ current: [FieldState], adding incoming: FieldState, superseding: [HybridTimestamp])
        -> [FieldState]
    {
        let gone = Set(superseding)
        var kept = current.filter { !gone.contains($0.clock) && $0.clock != incoming.clock }
        // A write that an already-applied write superseded must not come back (duplicates, re-delivery).
        kept.append(incoming)
        return kept.sorted { $0.clock < $1.clock }
    }

    static func rank(_ value: FieldValue, in order: [String]) -> Int {
        guard let text = value.text, let index = order.firstIndex(of: text) else { return -1 }
        return index
    }
}
