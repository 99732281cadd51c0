import Domain
import Foundation
import GRDB

/// A call just logged, with earlier open calls that may be about the same issue (5.2.7).
public struct LoggedCall: Sendable {
    public let call: Call
    public let possibleDuplicates: [Call]
}

/// One entry of a call's timeline.
public struct TimelineEntry: Sendable, Codable, Equatable {
    public let at: Date
    public let site: String
    public let author: String
    public let kind: TimelineEventKind
    public let summary: String
}

/// A note added to a call.
public struct CallNote: Sendable, Codable, Equatable {
    public let at: Date
    public let site: String
    public let author: String
    public let text: String
}

/// A call with everything recorded about it.
public struct CallRecord: Sendable {
    public let call: Call
    public let timeline: [TimelineEntry]
    public let notes: [CallNote]
}

/// What a handler searches by (7.4.2: caller name, incident address, Service Option, time of call).
public struct CallSearch: Sendable, Equatable {
    public var organisation: OrganisationCode?
    public var option: ServiceOptionCode?
    public var callerName: String?
    public var address: String?
    public var uprn: UPRN?
    public var from: Date?
    public var to: Date?
    public var status: CallStatus?
    public var limit: Int

    public init(
        organisation: OrganisationCode? = nil, option: ServiceOptionCode? = nil, callerName: String? = nil,
        address: String? = nil, uprn: UPRN? = nil, from: Date? = nil, to: Date? = nil, status: CallStatus? = nil,
        limit: Int = StoreLimits.searchResultsDefault
    ) {
        self.organisation = organisation
        self.option = option
        self.callerName = callerName
        self.address = address
        self.uprn = uprn
        self.from = from
        self.to = to
        self.status = status
        self.limit = limit
    }
}

extension AppDatabase {
    /// Most earlier calls the duplicate check looks at for one new call.
    static let duplicateCandidatesMax = 500

    /// Logs a call: checks it against the rules, gives it a reference, records its first timeline event,
    /// and finds possible duplicates, all in one transaction.
    public func logCall(
        _ draft: CallDraft, author: String, criteria: DuplicateCriteria, at instant: Date
    ) throws -> LoggedCall {
        try write { db in
            let catalogue = try self.catalogue(db)
            let answers = try CallRules.validate(draft, catalogue: catalogue)
            if let link = draft.linkedTo {
                guard try Self.callExists(db, link) else { throw StoreError.callNotFound(reference: link.description) }
            }
            let duplicates = try Self.possibleDuplicates(
                db, organisation: draft.organisation, option: draft.option, address: draft.incidentAddress,
                before: draft.offeredAt, criteria: criteria)
            guard let siteText = try String.fetchOne(db, sql: "SELECT site_code FROM node_identity WHERE id = 1") else {
                throw StoreError.notInitialised(path: self.path)
            }
            let site = try SiteCode(siteText)
            guard
                let serial = try Int64.fetchOne(
                    db,
                    sql: """
                        UPDATE node_identity SET next_call_serial = next_call_serial + 1 WHERE id = 1
                        RETURNING next_call_serial - 1
                        """)
            else { throw StoreError.notInitialised(path: self.path) }
            let call = Call(
                reference: CallReference(site: site, serial: serial), organisation: draft.organisation,
                option: draft.option, accessNumber: draft.accessNumber, caller: draft.caller,
                incidentAddress: draft.incidentAddress, answers: answers, details: draft.details,
                action: draft.action, status: CallStatus.initial(for: draft.action.kind), offeredAt: draft.offeredAt,
                answeredAt: draft.answeredAt, endedAt: draft.endedAt, linkedTo: draft.linkedTo)
            try Self.insert(db, call, site: site)
            var summary = "logged: \(call.action.kind.rawValue)"
            if let detail = call.action.detail { summary += " (\(detail))" }
            try Self.addEvent(db, call.reference, at: instant, site: site, author: author, kind: .logged, summary: summary)
            if let link = call.linkedTo {
                try Self.addEvent(
                    db, call.reference, at: instant, site: site, author: author, kind: .linked,
                    summary: "linked to earlier call \(link)")
            }
            return LoggedCall(call: call, possibleDuplicates: duplicates)
        }
    }

    /// Follows up a call: applies the change under the domain rules and records it on the timeline.
    @discardableResult
    public func updateCall(_ reference: CallReference, _ update: CallUpdate, author: String, at instant: Date) throws
        -> Call
    {
        try write { db in
            let catalogue = try self.catalogue(db)
            guard let current = try Self.fetchCall(db, reference) else {
                throw StoreError.callNotFound(reference: reference.description)
            }
            let next = try CallRules.apply(update, to: current, catalogue: catalogue)
            if let link = update.linkTo {
                guard try Self.callExists(db, link) else { throw StoreError.callNotFound(reference: link.description) }
            }
            let site = try SiteCode(
                try String.fetchOne(db, sql: "SELECT site_code FROM node_identity WHERE id = 1") ?? "")
            try db.execute(
                sql: """
                    UPDATE call SET answers_json = ?, details = ?, action = ?, action_detail = ?, status = ?,
                        linked_reference = ?, answered_at_ms = ?, ended_at_ms = ?
                    WHERE reference = ?
                    """,
                arguments: [
                    try Self.json(next.answers), next.details, next.action.kind.rawValue, next.action.detail,
                    next.status.rawValue, next.linkedTo?.description, next.answeredAt?.milliseconds,
                    next.endedAt?.milliseconds, reference.description,
                ])
            var changed: [String] = []
            if next.action != current.action {
                changed.append("action \(next.action.kind.rawValue)" + (next.action.detail.map { " (\($0))" } ?? ""))
            }
            if !update.answers.isEmpty { changed.append("answers " + update.answers.keys.sorted().joined(separator: ", ")) }
            if next.details != current.details { changed.append("details") }
            if next.answeredAt != current.answeredAt { changed.append("answered time") }
            if next.endedAt != current.endedAt { changed.append("end time") }
            if !changed.isEmpty {
                try Self.addEvent(
                    db, reference, at: instant, site: site, author: author, kind: .updated,
                    summary: "updated " + changed.joined(separator: "; "))
            }
            if next.status != current.status {
                try Self.addEvent(
                    db, reference, at: instant, site: site, author: author, kind: .statusChanged,
                    summary: "\(current.status.rawValue) → \(next.status.rawValue)")
            }
            if let link = update.linkTo, link != current.linkedTo {
                try Self.addEvent(
                    db, reference, at: instant, site: site, author: author, kind: .linked,
                    summary: "linked to earlier call \(link)")
            }
            if let note = update.note?.trimmingCharacters(in: .whitespacesAndNewlines) {
                try db.execute(
                    sql: "INSERT INTO call_note (call_reference, at_ms, site_code, author, text) VALUES (?, ?, ?, ?, ?)",
                    arguments: [reference.description, instant.milliseconds, site.rawValue, author, note])
                try Self.addEvent(
                    db, reference, at: instant, site: site, author: author, kind: .note, summary: "note added")
            }
            return next
        }
    }

    /// A call with its timeline and notes, or `nil` when none has that reference here.
    public func callRecord(_ reference: CallReference) throws -> CallRecord? {
        try read { db in
            guard let call = try Self.fetchCall(db, reference) else { return nil }
            let timeline = try Row.fetchAll(
                db, sql: "SELECT * FROM call_event WHERE call_reference = ? ORDER BY at_ms, id",
                arguments: [reference.description]
            ).map { row in
                TimelineEntry(
                    at: Date(milliseconds: row["at_ms"]), site: row["site_code"], author: row["author"],
                    kind: TimelineEventKind(rawValue: row["kind"]) ?? .updated, summary: row["summary"])
            }
            let notes = try Row.fetchAll(
                db, sql: "SELECT * FROM call_note WHERE call_reference = ? ORDER BY at_ms, id",
                arguments: [reference.description]
            ).map { row in
                CallNote(at: Date(milliseconds: row["at_ms"]), site: row["site_code"], author: row["author"], text: row["text"])
            }
            return CallRecord(call: call, timeline: timeline, notes: notes)
        }
    }

    /// Finds earlier calls (5.2.7, 7.4.2), newest first.
    ///
    /// With name or address words the full-text index drives the query in descending row order, so the
    /// newest matches come first and the scan stops at the limit.
    public func searchCalls(_ search: CallSearch) throws -> [Call] {
        let limit = min(max(search.limit, 1), StoreLimits.searchResultsMax)
        var filters: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if let organisation = search.organisation {
            filters.append("c.organisation_code = ?")
            arguments.append(organisation.rawValue)
        }
        if let option = search.option {
            filters.append("c.service_option_code = ?")
            arguments.append(option.rawValue)
        }
        if let uprn = search.uprn {
            filters.append("c.uprn = ?")
            arguments.append(uprn.rawValue)
        }
        if let from = search.from {
            filters.append("c.offered_at_ms >= ?")
            arguments.append(from.milliseconds)
        }
        if let to = search.to {
            filters.append("c.offered_at_ms <= ?")
            arguments.append(to.milliseconds)
        }
        if let status = search.status {
            filters.append("c.status = ?")
            arguments.append(status.rawValue)
        }
        let textParts = [
            search.callerName.flatMap { FullTextQuery.expression(column: "caller_name", text: $0) },
            search.address.flatMap { FullTextQuery.expression(column: "address_text", text: $0) },
        ].compactMap { $0 }
        let sql: String
        if textParts.isEmpty {
            let whereClause = filters.isEmpty ? "" : "WHERE " + filters.joined(separator: " AND ")
            sql = "SELECT c.* FROM call c \(whereClause) ORDER BY c.offered_at_ms DESC, c.id DESC LIMIT ?"
        } else {
            arguments.insert(textParts.joined(separator: " AND "), at: 0)
            let extra = filters.isEmpty ? "" : " AND " + filters.joined(separator: " AND ")
            sql = """
                SELECT c.* FROM call_fts JOIN call c ON c.id = call_fts.rowid
                WHERE call_fts MATCH ?\(extra)
                ORDER BY call_fts.rowid DESC LIMIT ?
                """
        }
        arguments.append(limit)
        return try read { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(Self.call)
        }
    }

    /// Earlier open calls that may be about the same issue as a call at `address` (5.2.7).
    public func possibleDuplicates(
        organisation: OrganisationCode, option: ServiceOptionCode, address: IncidentAddress?, before instant: Date,
        criteria: DuplicateCriteria
    ) throws -> [Call] {
        try read { db in
            try Self.possibleDuplicates(
                db, organisation: organisation, option: option, address: address, before: instant, criteria: criteria)
        }
    }

    static func possibleDuplicates(
        _ db: Database, organisation: OrganisationCode, option: ServiceOptionCode, address: IncidentAddress?,
        before instant: Date, criteria: DuplicateCriteria
    ) throws -> [Call] {
        guard address?.uprn != nil || address?.point != nil else { return [] }
        let earliest = instant.addingTimeInterval(-criteria.windowSeconds)
        let candidates = try Row.fetchAll(
            db,
            sql: """
                SELECT * FROM call c
                WHERE organisation_code = ? AND service_option_code = ? AND status != 'closed'
                    AND offered_at_ms BETWEEN ? AND ?
                ORDER BY offered_at_ms DESC LIMIT ?
                """,
            arguments: [
                organisation.rawValue, option.rawValue, earliest.milliseconds, instant.milliseconds,
                duplicateCandidatesMax,
            ]
        ).map(call)
        return Array(
            candidates.filter { criteria.matches(earlier: $0.incidentAddress, new: address) }
                .prefix(DomainLimits.duplicateOffersMax))
    }

    // MARK: - Rows

    static func callExists(_ db: Database, _ reference: CallReference) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM call WHERE reference = ?", arguments: [reference.description]) ?? false
    }

    static func fetchCall(_ db: Database, _ reference: CallReference) throws -> Call? {
        try Row.fetchOne(db, sql: "SELECT * FROM call WHERE reference = ?", arguments: [reference.description])
            .map(call)
    }

    static let insertCallSQL = """
        INSERT INTO call (reference, site_code, organisation_code, service_option_code, access_number, caller_name,
            caller_phone, address_text, uprn, easting_m, northing_m, ward, address_verification, details,
            answers_json, action, action_detail, status, linked_reference, offered_at_ms, answered_at_ms, ended_at_ms)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    static func insert(_ db: Database, _ call: Call, site: SiteCode) throws {
        let address = call.incidentAddress
        try db.cachedStatement(sql: insertCallSQL).execute(arguments: [
            call.reference.description, site.rawValue, call.organisation.rawValue, call.option.rawValue,
            call.accessNumber?.e164, call.caller.name, call.caller.phone?.e164, address?.text, address?.uprn?.rawValue,
            address?.point?.eastingMetres, address?.point?.northingMetres, address?.ward,
            (address?.verification ?? .unverified).rawValue, call.details, try json(call.answers),
            call.action.kind.rawValue, call.action.detail, call.status.rawValue, call.linkedTo?.description,
            call.offeredAt.milliseconds, call.answeredAt?.milliseconds, call.endedAt?.milliseconds,
        ])
    }

    static func addEvent(
        _ db: Database, _ reference: CallReference, at instant: Date, site: SiteCode, author: String,
        kind: TimelineEventKind, summary: String
    ) throws {
        try db.cachedStatement(
            sql: "INSERT INTO call_event (call_reference, at_ms, site_code, author, kind, summary) VALUES (?, ?, ?, ?, ?, ?)"
        ).execute(arguments: [reference.description, instant.milliseconds, site.rawValue, author, kind.rawValue, summary])
    }

    static func json(_ answers: [String: Answer]) throws -> String {
        String(decoding: try JSONEncoder.stable.encode(answers), as: UTF8.self)
    }

    static func call(_ row: Row) throws -> Call {
        let easting: Double? = row["easting_m"]
        let northing: Double? = row["northing_m"]
        let point = easting.flatMap { e in northing.map { GridPoint(eastingMetres: e, northingMetres: $0) } }
        let addressText: String? = row["address_text"]
        let uprn = try (row["uprn"] as Int64?).map(UPRN.init)
        let address = addressText.map {
            IncidentAddress(
                text: $0, uprn: uprn, point: point, ward: row["ward"],
                verification: AddressVerification(rawValue: row["address_verification"]) ?? .unverified)
        }
        return Call(
            reference: try CallReference(parsing: row["reference"]),
            organisation: try OrganisationCode(row["organisation_code"]),
            option: try ServiceOptionCode(row["service_option_code"]),
            accessNumber: try (row["access_number"] as String?).map(PhoneNumber.init(parsing:)),
            caller: try Caller(name: row["caller_name"], phone: try (row["caller_phone"] as String?).map(PhoneNumber.init(parsing:))),
            incidentAddress: address,
            answers: try JSONDecoder().decode([String: Answer].self, from: Data((row["answers_json"] as String).utf8)),
            details: row["details"],
            action: CallAction(kind: CallActionKind(rawValue: row["action"]) ?? .resolve, detail: row["action_detail"]),
            status: CallStatus(rawValue: row["status"]) ?? .open,
            offeredAt: Date(milliseconds: row["offered_at_ms"]),
            answeredAt: (row["answered_at_ms"] as Int64?).map(Date.init(milliseconds:)),
            endedAt: (row["ended_at_ms"] as Int64?).map(Date.init(milliseconds:)),
            linkedTo: try (row["linked_reference"] as String?).map(CallReference.init(parsing:)))
    }
}

extension AppDatabase {
    /// How many calls are held here, and how many are not yet closed.
    public func callCounts() throws -> (total: Int, notClosed: Int) {
        try read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM call") ?? 0
            let notClosed = try Int.fetchOne(db, sql: "SELECT count(*) FROM call WHERE status != 'closed'") ?? 0
            return (total, notClosed)
        }
    }
}
