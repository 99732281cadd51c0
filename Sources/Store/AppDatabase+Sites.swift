import Domain
import Foundation
import GRDB
import Replication

/// A call handler as the replicated `handler` table holds them: where they last signed in or out, and what for.
public struct HandlerRecord: Sendable, Codable, Equatable {
    public let id: String
    public let name: String
    /// The site they signed in (or out) at.
    public let site: String
    /// The organisations they are trained for, by code, sorted.
    public let trained: [String]
    public let signedIn: Bool
    /// When they last signed in or out.
    public let changedAt: Date
}

/// What this site can take on now, from its own store: what its heartbeats announce (7.1.7, 7.1.10).
public struct SiteCapacityFigures: Sendable, Equatable {
    public let handlersSignedIn: Int
    /// Per organisation code, the signed-in handlers trained for it (organisations with none left out).
    public let trainedByOrganisation: [String: Int]
    /// Calls opened at this site, not closed, offered within the window asked for.
    public let callsInProgress: Int
}

/// A site's state as its node announces it; only `up` and `draining` are set by a person (`site state --set`).
public enum SiteStateSetting: String, Sendable, Codable, CaseIterable {
    case up, draining, evacuated, down
}

extension AppDatabase {
    // MARK: - Handlers (7.1.10)

    /// Signs `handler` in at this node's site, trained for `trained` (organisation codes of the catalogue). Signing
    /// in where they are already signed in updates their name and training; signing in at another site moves them.
    @discardableResult
    public func signIn(handler: HandlerID, name: String, trained: [String], at instant: Date) throws -> HandlerRecord {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= DomainLimits.handlerNameCharactersMax else {
            throw DomainError(
                .invalidValue,
                "--name must be 1 to \(DomainLimits.handlerNameCharactersMax) characters, the handler's full name")
        }
        let codes = trained.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard !codes.isEmpty else {
            throw DomainError(
                .invalidValue,
                "--trained lists no organisation: give the codes of those \(handler) is trained for, e.g. --trained EAL,ENF")
        }
        guard codes.count <= DomainLimits.handlerTrainingsMax else {
            throw DomainError(
                .invalidValue, "--trained lists \(codes.count) organisations, over \(DomainLimits.handlerTrainingsMax)")
        }
        return try write { db in
            let catalogue = try self.catalogue(db)
            var organisations = Set<String>()
            var problems: [DomainError] = []
            for code in codes {
                guard let organisation = try? OrganisationCode(code), catalogue.organisation(organisation) != nil else {
                    problems.append(
                        DomainError(
                            .unknownOrganisation,
                            "--trained names '\(code)', which is not an organisation in the catalogue; known: "
                                + catalogue.organisations.map(\.code.rawValue).joined(separator: ", ")))
                    continue
                }
                organisations.insert(organisation.rawValue)
            }
            guard problems.isEmpty else { throw DomainErrors(problems) }
            let site = try localSite(db).rawValue
            let record = HandlerRecord(
                id: handler.rawValue, name: name, site: site, trained: organisations.sorted(), signedIn: true,
                changedAt: instant)
            try commitLocal(db, at: instant, scope: .cluster) { _ in [try Self.operation(record)] }
            return record
        }
    }

    /// Signs `handler` out (at whichever site they were signed in); refused when they are not signed in.
    @discardableResult
    public func signOut(handler: HandlerID, at instant: Date) throws -> HandlerRecord {
        try write { db in
            guard let current = try Self.handler(db, handler.rawValue) else {
                throw DomainError(
                    .notFound, "no handler \(handler) has signed in: check the id with `nightdesk handler list --all`")
            }
            guard current.signedIn else {
                throw DomainError(
                    .lifecycle, "\(handler) is already signed out (at \(current.site), \(Self.iso(current.changedAt)))")
            }
            let record = HandlerRecord(
                id: current.id, name: current.name, site: current.site, trained: current.trained, signedIn: false,
                changedAt: instant)
            try commitLocal(db, at: instant, scope: .cluster) { _ in [try Self.operation(record)] }
            return record
        }
    }

    /// Handlers, by site then id: those signed in, or every one known with `includeSignedOut`; only `site`'s if given.
    public func handlers(site: String? = nil, includeSignedOut: Bool = false) throws -> [HandlerRecord] {
        try read { db in
            var conditions: [String] = []
            var arguments: [(any DatabaseValueConvertible)?] = []
            if let site {
                conditions.append("site_code = ?")
                arguments.append(site)
            }
            if !includeSignedOut { conditions.append("signed_in = 1") }
            let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            return try Row.fetchAll(
                db, sql: "SELECT * FROM handler\(filter) ORDER BY site_code, handler_id LIMIT ?",
                arguments: StatementArguments(arguments + [DomainLimits.handlersListedMax])
            ).map(Self.handlerRecord)
        }
    }

    /// This site's capacity now: handlers signed in here, per organisation how many are trained for it, and calls
    /// in progress, i.e. opened here, not closed, and offered within `callsInProgressWindowMs` of `instant` (the store
    /// has no "in progress" state of its own: a call is open, referred or closed).
    public func siteCapacity(at instant: Date, callsInProgressWindowMs: Int64) throws -> SiteCapacityFigures {
        try read { db in
            let site = try localSite(db).rawValue
            let trainedLists = try String.fetchAll(
                db.cachedStatement(sql: "SELECT trained_json FROM handler WHERE site_code = ? AND signed_in = 1"),
                arguments: [site])
            var trained: [String: Int] = [:]
            for json in trainedLists {
                for code in (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? [] {
                    trained[code, default: 0] += 1
                }
            }
            let calls =
                try Int.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT count(*) FROM call
                            WHERE offered_at_ms >= ? AND offered_at_ms <= ? AND site_code = ? AND status <> 'closed'
                            """),
                    arguments: [instant.milliseconds - callsInProgressWindowMs, instant.milliseconds, site]) ?? 0
            return SiteCapacityFigures(
                handlersSignedIn: trainedLists.count, trainedByOrganisation: trained, callsInProgress: calls)
        }
    }

    static func operation(_ record: HandlerRecord) throws -> RowOperation {
        RowOperation(
            table: ReplicatedTables.handler.table, key: record.id,
            action: .upsert(
                fields: [
                    "name": .text(record.name), "site_code": .text(record.site),
                    "trained_json": .text(String(decoding: try JSONEncoder.stable.encode(record.trained), as: UTF8.self)),
                    "signed_in": .integer(record.signedIn ? 1 : 0), "changed_at_ms": .integer(record.changedAt.milliseconds),
                ], supersedes: [:]))
    }

    static func handler(_ db: Database, _ id: String) throws -> HandlerRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM handler WHERE handler_id = ?", arguments: [id]).map(handlerRecord)
    }

    static func handlerRecord(_ row: Row) -> HandlerRecord {
        HandlerRecord(
            id: row["handler_id"], name: row["name"], site: row["site_code"],
            trained: (try? JSONDecoder().decode([String].self, from: Data((row["trained_json"] as String).utf8))) ?? [],
            signedIn: (row["signed_in"] as Int64) == 1, changedAt: Date(milliseconds: row["changed_at_ms"]))
    }

    static func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    // MARK: - Site state (local to this node)

    /// This site's state as its heartbeats announce it: `up` until someone sets another.
    public func siteState() throws -> SiteStateSetting {
        try read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT state FROM site_state WHERE id = 1"))
                .flatMap(SiteStateSetting.init(rawValue:)) ?? .up
        }
    }

    /// Sets this site's state; the running node announces it with its next heartbeat. Local: never replicated.
    public func setSiteState(_ state: SiteStateSetting, at instant: Date) throws {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO site_state (id, state, changed_at_ms) VALUES (1, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET state = excluded.state, changed_at_ms = excluded.changed_at_ms
                    """,
                arguments: [state.rawValue, instant.milliseconds])
        }
    }
}
