import Foundation
import GRDB
import Replication

// The sealed log (migration v5): change sets exactly as they travel between sites. The store keeps bytes and
// never opens, hashes or verifies them; the node's sync service does that before it calls in (STYLE.md rule 1
// keeps the store free of cryptography). What the store guarantees is that each origin's sealed log is a
// contiguous prefix with no gaps and no rewriting: a stored envelope never changes.

/// One of this site's own change sets that has not been sealed yet.
public struct UnsealedChangeSet: Sendable {
    public let sequence: OriginSequence
    public let scope: ChangeScope
    public let clockMs: Int64
    /// The plaintext, in the binary form of `ChangeSetCodec`.
    public let payload: Data
}

/// A signed checkpoint as stored: the origin's chain link after `sequence` and its Ed25519 signature.
public struct StoredCheckpoint: Hashable, Sendable {
    public let origin: SiteID
    public let sequence: OriginSequence
    public let link: Data
    public let signature: Data

    public init(origin: SiteID, sequence: OriginSequence, link: Data, signature: Data) {
        self.origin = origin
        self.sequence = sequence
        self.link = link
        self.signature = signature
    }
}

/// A sealed change set to store: its envelope, the chain link after it, and its clock's physical time.
public struct SealedEntry: Sendable {
    public let envelope: Data
    public let link: Data
    public let clockMs: Int64

    public init(envelope: Data, link: Data, clockMs: Int64) {
        self.envelope = envelope
        self.link = link
        self.clockMs = clockMs
    }
}

/// A verified run to store: see `AppDatabase.storeSealedRun`.
public struct SealedRunInput: Sendable {
    public let origin: SiteID
    public let first: OriginSequence
    public let baseLink: Data
    public let entries: [SealedEntry]
    public let checkpoints: [StoredCheckpoint]
    public let opened: [ChangeSet]

    public init(
        origin: SiteID, first: OriginSequence, baseLink: Data, entries: [SealedEntry], checkpoints: [StoredCheckpoint],
        opened: [ChangeSet]
    ) {
        self.origin = origin
        self.first = first
        self.baseLink = baseLink
        self.entries = entries
        self.checkpoints = checkpoints
        self.opened = opened
    }
}

/// Consecutive sealed change sets of one origin ending at a checkpoint: the unit a peer can verify.
public struct SealedRunRecord: Sendable {
    public let origin: SiteID
    public let firstSequence: OriginSequence
    public let envelopes: [Data]
    public let checkpoint: StoredCheckpoint
}

/// What storing a sealed run did.
public struct SealedStoreReport: Sendable, Equatable {
    /// Envelopes new to this node.
    public var stored = 0
    /// Envelopes it already held, byte for byte.
    public var duplicates = 0
    /// What receiving the opened change sets did (nothing for the node's own runs).
    public var received = ReceiveReport()
}

/// What the node knows of a peer: its last epoch, what it said it holds and when it was last heard from.
public struct MeshPeerRecord: Sendable, Equatable {
    public let site: SiteID
    public let epoch: UInt64
    public let held: VersionVector
    public let lastContactMs: Int64?

    public init(site: SiteID, epoch: UInt64, held: VersionVector, lastContactMs: Int64?) {
        self.site = site
        self.epoch = epoch
        self.held = held
        self.lastContactMs = lastContactMs
    }
}

/// Why a sealed run or a mesh identity cannot be stored.
public enum SealedLogError: Error, Equatable, CustomStringConvertible {
    /// The run does not start right after what is held, or starts from another link than the one held.
    case notContiguous(origin: String, held: UInt64, first: UInt64)
    case baseLinkMismatch(origin: String, sequence: UInt64)
    /// An envelope at a held position differs from the held one: the origin forked its chain.
    case conflictingEnvelope(origin: String, sequence: UInt64)
    case otherCluster(stored: String, configured: String)

    public var description: String {
        switch self {
        case .notContiguous(let origin, let held, let first):
            "a run of \(origin) starting at \(first) does not follow the \(held) held; request from \(held + 1)"
        case .baseLinkMismatch(let origin, let sequence):
            "the run of \(origin) was verified from another link than the one held at \(sequence)"
        case .conflictingEnvelope(let origin, let sequence):
            "\(origin)/\(sequence) differs from the copy held: its origin has forked its log (restored from a backup?)"
        case .otherCluster(let stored, let configured):
            "this data folder belongs to cluster '\(stored)', not '\(configured)'; use the topology of its cluster "
                + "or a new data folder"
        }
    }
}

extension AppDatabase {
    // MARK: - Sealing this site's own change sets

    /// This site's own change sets after `sequence`, oldest first, at most `limit`.
    public func unsealedOwnChangeSets(after sequence: OriginSequence, limit: Int) throws -> [UnsealedChangeSet] {
        precondition(limit > 0, "limit must be positive")
        return try read { db in
            let site = try loadClock(db).site
            return try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT sequence, scope, clock, payload FROM change_log
                        WHERE origin = ? AND sequence > ? ORDER BY sequence LIMIT ?
                        """),
                arguments: [site.rawValue, sequence.rawValue, limit]
            ).map { row in
                let clock = HybridTimestamp(text: row["clock"])
                return UnsealedChangeSet(
                    sequence: OriginSequence(row["sequence"] as UInt64), scope: ChangeScope(text: row["scope"]),
                    clockMs: clock?.physicalMs ?? 0, payload: row["payload"])
            }
        }
    }

    // MARK: - The sealed log

    /// The last sealed change set held of `origin` and the chain link after it; nil when none is held.
    public func sealedHead(origin: SiteID) throws -> (sequence: OriginSequence, link: Data)? {
        try read { db in try sealedHead(db, origin: origin) }
    }

    func sealedHead(_ db: Database, origin: SiteID) throws -> (sequence: OriginSequence, link: Data)? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT sequence, link FROM sealed_change WHERE origin = ? ORDER BY sequence DESC LIMIT 1"),
                arguments: [origin.rawValue])
        else { return nil }
        return (OriginSequence(row["sequence"] as UInt64), row["link"])
    }

    /// The chain link after `origin`'s change set `sequence`, if held.
    public func sealedLink(origin: SiteID, sequence: OriginSequence) throws -> Data? {
        try read { db in
            try Data.fetchOne(
                db.cachedStatement(sql: "SELECT link FROM sealed_change WHERE origin = ? AND sequence = ?"),
                arguments: [origin.rawValue, sequence.rawValue])
        }
    }

    /// Per origin, the highest sealed change set held: what this node can relay, and what it tells peers.
    public func sealedVector() throws -> VersionVector {
        try read { db in
            var entries: [SiteID: OriginSequence] = [:]
            for row in try Row.fetchAll(
                db.cachedStatement(sql: "SELECT origin, max(sequence) AS n FROM sealed_change GROUP BY origin"))
            {
                entries[SiteID(row["origin"])] = OriginSequence(row["n"] as UInt64)
            }
            return VersionVector(entries)
        }
    }

    /// The physical clock time of `origin`'s sealed change set `sequence`, to measure lag in seconds.
    public func sealedClockMs(origin: SiteID, sequence: OriginSequence) throws -> Int64? {
        try read { db in
            try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT clock_ms FROM sealed_change WHERE origin = ? AND sequence = ?"),
                arguments: [origin.rawValue, sequence.rawValue])
        }
    }

    /// Stores a verified run of `origin`'s sealed log and, in the same transaction, receives the change sets
    /// opened from it (`opened`: plaintext, or a placeholder for a set whose key this node does not hold).
    ///
    /// `baseLink` is the link the run was verified from: the run is refused unless it is the link held at
    /// `first - 1`. Envelopes already held must be byte-identical (a difference means a forked origin); the
    /// rest must follow the held prefix without a gap.
    @discardableResult
    public func storeSealedRun(
        origin: SiteID, first: OriginSequence, baseLink: Data, entries: [SealedEntry],
        checkpoints: [StoredCheckpoint], opened: [ChangeSet], at instant: Date
    ) throws -> SealedStoreReport {
        let run = SealedRunInput(
            origin: origin, first: first, baseLink: baseLink, entries: entries, checkpoints: checkpoints, opened: opened)
        return try write { db in try storeSealedRun(db, run, at: instant) }
    }

    /// Stores several verified runs in one transaction (one sync to disk for a whole frame), each in a
    /// savepoint of its own: a run refused for `SealedLogError` leaves the others stored. Returns what was
    /// stored in all, and the refusal of each refused run by its index.
    public func storeSealedRuns(_ runs: [SealedRunInput], at instant: Date) throws
        -> (report: SealedStoreReport, refused: [Int: SealedLogError])
    {
        try write { db in
            var total = SealedStoreReport()
            var refused: [Int: SealedLogError] = [:]
            for (index, run) in runs.enumerated() {
                var report = SealedStoreReport()
                do {
                    try db.inSavepoint {
                        report = try storeSealedRun(db, run, at: instant)
                        return .commit
                    }
                } catch let error as SealedLogError {
                    refused[index] = error
                    continue
                }
                total.stored += report.stored
                total.duplicates += report.duplicates
                total.received.stored += report.received.stored
                total.received.duplicates += report.received.duplicates
                total.received.applied += report.received.applied
                total.received.quarantined += report.received.quarantined
                total.received.refused += report.received.refused
            }
            return (total, refused)
        }
    }

    func storeSealedRun(_ db: Database, _ run: SealedRunInput, at instant: Date) throws -> SealedStoreReport {
        let (origin, first, baseLink, entries, checkpoints, opened) =
            (run.origin, run.first, run.baseLink, run.entries, run.checkpoints, run.opened)
        var report = SealedStoreReport()
        let held = try sealedHead(db, origin: origin)
        let heldSequence = held?.sequence.rawValue ?? 0
        guard first.rawValue >= 1, first.rawValue <= heldSequence + 1 else {
            throw SealedLogError.notContiguous(origin: origin.rawValue, held: heldSequence, first: first.rawValue)
        }
        if first.rawValue > 1 {
            let base = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT link FROM sealed_change WHERE origin = ? AND sequence = ?"),
                arguments: [origin.rawValue, first.rawValue - 1])
            guard base == baseLink else {
                throw SealedLogError.baseLinkMismatch(origin: origin.rawValue, sequence: first.rawValue - 1)
            }
        }
        let nowMs = instant.milliseconds
        for (offset, entry) in entries.enumerated() {
            let sequence = first.rawValue + UInt64(offset)
            if sequence <= heldSequence {
                let existing = try Data.fetchOne(
                    db.cachedStatement(
                        sql: "SELECT envelope FROM sealed_change WHERE origin = ? AND sequence = ?"),
                    arguments: [origin.rawValue, sequence])
                guard existing == entry.envelope else {
                    throw SealedLogError.conflictingEnvelope(origin: origin.rawValue, sequence: sequence)
                }
                report.duplicates += 1
                continue
            }
            try db.cachedStatement(
                sql: """
                    INSERT INTO sealed_change (origin, sequence, envelope, link, clock_ms, stored_at_ms)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [origin.rawValue, sequence, entry.envelope, entry.link, entry.clockMs, nowMs])
            report.stored += 1
        }
        for checkpoint in checkpoints {
            try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO sealed_checkpoint (origin, sequence, link, signature)
                    VALUES (?, ?, ?, ?)
                    """
            ).execute(arguments: [
                checkpoint.origin.rawValue, checkpoint.sequence.rawValue, checkpoint.link, checkpoint.signature,
            ])
        }
        let fresh = opened.filter { $0.sequence.rawValue > heldSequence }
        if !fresh.isEmpty { report.received = try receive(db, fresh, at: instant) }
        return report
    }

    /// Runs of sealed change sets a peer holding `peer` lacks, each ending at a checkpoint, at most `setsMax`
    /// change sets in all, oldest first per origin.
    ///
    /// An origin whose next run is longer than what is left of `setsMax` is left for the next call, so callers
    /// grant at least `checkpointIntervalSetsMax` change sets of credit at a time.
    public func sealedRuns(missingFrom peer: VersionVector, setsMax: Int) throws -> [SealedRunRecord] {
        precondition(setsMax > 0, "setsMax must be positive")
        return try read { db in
            var runs: [SealedRunRecord] = []
            var budget = setsMax
            let origins = try String.fetchAll(db, sql: "SELECT DISTINCT origin FROM sealed_checkpoint ORDER BY origin")
            for originText in origins where budget > 0 {
                let origin = SiteID(originText)
                var next = peer[origin].rawValue + 1
                let checkpoints = try Row.fetchAll(
                    db.cachedStatement(
                        sql: """
                            SELECT sequence, link, signature FROM sealed_checkpoint
                            WHERE origin = ? AND sequence >= ? ORDER BY sequence LIMIT 256
                            """),
                    arguments: [originText, next])
                for row in checkpoints {
                    let end: UInt64 = row["sequence"]
                    let count = Int(end - next + 1)
                    guard count <= budget else { break }
                    let envelopes = try Data.fetchAll(
                        db.cachedStatement(
                            sql: """
                                SELECT envelope FROM sealed_change
                                WHERE origin = ? AND sequence BETWEEN ? AND ? ORDER BY sequence
                                """),
                        arguments: [originText, next, end])
                    // Checkpoints are stored with their runs, so a missing envelope is a broken store.
                    guard envelopes.count == count else { break }
                    runs.append(
                        SealedRunRecord(
                            origin: origin, firstSequence: OriginSequence(next), envelopes: envelopes,
                            checkpoint: StoredCheckpoint(
                                origin: origin, sequence: OriginSequence(end), link: row["link"],
                                signature: row["signature"])))
                    budget -= count
                    next = end + 1
                }
            }
            return runs
        }
    }

    // MARK: - Mesh identity and peers

    /// Starts a new epoch of this node in `cluster` and returns it: one more than the last start.
    ///
    /// A data folder joins one cluster for life; another cluster id is refused (`SealedLogError.otherCluster`).
    public func beginMeshEpoch(cluster: String) throws -> UInt64 {
        try write { db in
            if let row = try Row.fetchOne(db, sql: "SELECT cluster, epoch FROM mesh_identity WHERE id = 1") {
                let stored: String = row["cluster"]
                guard stored == cluster else {
                    throw SealedLogError.otherCluster(stored: stored, configured: cluster)
                }
                let epoch = (row["epoch"] as UInt64) + 1
                try db.execute(sql: "UPDATE mesh_identity SET epoch = ? WHERE id = 1", arguments: [epoch])
                return epoch
            }
            try db.execute(
                sql: "INSERT INTO mesh_identity (id, cluster, epoch) VALUES (1, ?, 1)", arguments: [cluster])
            return 1
        }
    }

    /// Records which scopes this site holds keys for (nil: every one); local writes to others are refused.
    public func setHeldScopes(_ scopes: Set<String>?) throws {
        let json = try scopes.map { String(decoding: try JSONEncoder.stable.encode($0.sorted()), as: UTF8.self) }
        try write { db in
            try db.execute(sql: "UPDATE mesh_identity SET held_scopes = ? WHERE id = 1", arguments: [json])
        }
    }

    func checkScopeHeld(_ db: Database, _ scope: ChangeScope) throws {
        guard
            let json = try String.fetchOne(
                db.cachedStatement(sql: "SELECT held_scopes FROM mesh_identity WHERE id = 1")),
            let held = try? JSONDecoder().decode([String].self, from: Data(json.utf8))
        else { return }
        guard held.contains(scope.description) else {
            throw StoreError.scopeNotHeld(scope: scope.description, held: held.filter { $0 != "cluster" })
        }
    }

    /// Every peer this node has heard from.
    public func meshPeers() throws -> [MeshPeerRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT site, epoch, held_json, last_contact_ms FROM mesh_peer ORDER BY site")
                .map { row in
                    let held =
                        (try? JSONDecoder().decode(VersionVector.self, from: Data((row["held_json"] as String).utf8)))
                        ?? VersionVector()
                    return MeshPeerRecord(
                        site: SiteID(row["site"]), epoch: row["epoch"], held: held, lastContactMs: row["last_contact_ms"])
                }
        }
    }

    /// Records what a peer last said: its epoch, what it holds and when.
    public func recordMeshPeer(_ peer: MeshPeerRecord) throws {
        let held = String(decoding: try JSONEncoder.stable.encode(peer.held), as: UTF8.self)
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO mesh_peer (site, epoch, held_json, last_contact_ms) VALUES (?, ?, ?, ?)
                    ON CONFLICT(site) DO UPDATE SET epoch = max(epoch, excluded.epoch), held_json = excluded.held_json,
                        last_contact_ms = excluded.last_contact_ms
                    """,
                arguments: [peer.site.rawValue, peer.epoch, held, peer.lastContactMs])
        }
    }
}
