/// A value of one field, as SQLite stores it.
public enum FieldValue: Hashable, Codable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    private enum CodingKeys: String, CodingKey { case i, r, t }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let value = try container.decodeIfPresent(Int64.self, forKey: .i) {
            self = .integer(value)
        } else if let value = try container.decodeIfPresent(Double.self, forKey: .r) {
            self = .real(value)
        } else if let value = try container.decodeIfPresent(String.self, forKey: .t) {
            self = .text(value)
        } else {
            self = .null
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .null: break
        case .integer(let value): try container.encode(value, forKey: .i)
        case .real(let value): try container.encode(value, forKey: .r)
        case .text(let value): try container.encode(value, forKey: .t)
        }
    }

    public var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }
}

/// Which data a change set belongs to: one Participating Organisation's, or the cluster's own.
///
/// Sealing (DESIGN.md) encrypts each change set under the key of its scope.
public enum ChangeScope: Hashable, Codable, Sendable, CustomStringConvertible {
    case cluster
    case organisation(String)

    public var description: String {
        switch self {
        case .cluster: "cluster"
        case .organisation(let code): code
        }
    }

    public init(text: String) {
        self = text == "cluster" ? .cluster : .organisation(text)
    }

    public init(from decoder: any Decoder) throws {
        self.init(text: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// One change to one row of a replicated table.
public struct RowOperation: Hashable, Codable, Sendable {
    public enum Action: Hashable, Codable, Sendable {
        /// Create the row or change some of its fields; each field merges by its table's rule.
        /// `supersedes` lists, per concurrent-values field, the values this write saw and replaces.
        case upsert(fields: [String: FieldValue], supersedes: [String: [HybridTimestamp]])
        /// Add an element to an add-only set; an element, once added, never changes.
        case add(fields: [String: FieldValue])
        /// Delete the row, leaving a tombstone so an older write cannot bring it back.
        case remove
    }

    public let table: String
    public let key: String
    public let action: Action

    public init(table: String, key: String, action: Action) {
        self.table = table
        self.key = key
        self.action = action
    }
}

/// Every field written by one local transaction, stamped with one clock value and numbered by its origin.
public struct ChangeSet: Hashable, Codable, Sendable {
    public let origin: SiteID
    public let sequence: OriginSequence
    public let timestamp: HybridTimestamp
    /// What the origin had applied when it wrote this: applying waits until these are held (causal delivery).
    public let dependencies: VersionVector
    public let scope: ChangeScope
    public let operations: [RowOperation]

    public init(
        origin: SiteID, sequence: OriginSequence, timestamp: HybridTimestamp, dependencies: VersionVector,
        scope: ChangeScope, operations: [RowOperation]
    ) {
        precondition(timestamp.site == origin, "a change set is stamped by its origin's clock")
        precondition(sequence > .zero, "sequences start at 1")
        precondition(dependencies[origin] < sequence, "a change set cannot depend on itself or its successors")
        precondition(operations.count <= ReplicationLimits.operationsPerChangeSetMax, "change set over its limit")
        self.origin = origin
        self.sequence = sequence
        self.timestamp = timestamp
        self.dependencies = dependencies
        self.scope = scope
        self.operations = operations
    }

    /// Whether a replica that has applied `applied` may apply this one now: it is the next from its origin
    /// and everything it depends on is there.
    public func isApplicable(after applied: VersionVector) -> Bool {
        sequence == applied[origin].next && applied.covers(dependencies.removing(origin))
    }
}

extension VersionVector {
    func removing(_ site: SiteID) -> VersionVector {
        var copy = entries
        copy[site] = nil
        return VersionVector(copy)
    }
}
