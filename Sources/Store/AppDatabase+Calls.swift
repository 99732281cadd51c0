import Domain
import Foundation
import GRDB
import Replication

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
    /// Longest time window searched through the option's time index instead of the full-text index.
    static let narrowWindowSeconds: Double = 45 * 86_400

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
            let call = Call(
                reference: try issueReference(db), organisation: draft.organisation,
                option: draft.option, accessNumber: draft.accessNumber, caller: draft.caller,
                incidentAddress: draft.incidentAddress, answers: answers, details: draft.details,
                action: draft.action, status: CallStatus.initial(for: draft.action.kind), offeredAt: draft.offeredAt,
                answeredAt: draft.answeredAt, endedAt: draft.endedAt, linkedTo: draft.linkedTo)
            try commitLocal(db, at: instant, scope: .organisation(call.organisation.rawValue)) { context in
                var operations = [
                    RowOperation(
                        table: ReplicatedTables.call.table, key: call.reference.description,
                        action: .upsert(fields: try Self.fields(of: call), supersedes: [:]))
                ]
                var summary = "logged: \(call.action.kind.rawValue)"
                if let detail = call.action.detail { summary += " (\(detail))" }
                operations.append(
                    Self.event(context, 0, call, at: instant, author: author, kind: .logged, summary: summary))
                if let link = call.linkedTo {
                    operations.append(
                        Self.event(
                            context, 1, call, at: instant, author: author, kind: .linked,
                            summary: "linked to earlier call \(link)"))
                }
                return operations
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
            let supersedes = try Self.concurrentClocks(db, reference, field: "assigned_to")
            try commitLocal(db, at: instant, scope: .organisation(current.organisation.rawValue)) { context in
                let before = try Self.fields(of: current)
                var changed = try Self.fields(of: next).filter { before[$0.key] != $0.value }
                changed["assigned_to"] = nil
                var assignment: [String: [HybridTimestamp]] = [:]
                if let person = next.assignedTo.first, update.assignTo != nil {
                    changed["assigned_to"] = .text(person)
                    assignment["assigned_to"] = supersedes
                }
                var operations: [RowOperation] = []
                if !changed.isEmpty {
                    operations.append(
                        RowOperation(
                            table: ReplicatedTables.call.table, key: reference.description,
                            action: .upsert(fields: changed, supersedes: assignment)))
                }
                var index = 0
                func addEvent(_ kind: TimelineEventKind, _ summary: String) {
                    operations.append(Self.event(context, index, current, at: instant, author: author, kind: kind, summary: summary))
                    index += 1
                }
                var described: [String] = []
                if next.action != current.action {
                    described.append("action \(next.action.kind.rawValue)" + (next.action.detail.map { " (\($0))" } ?? ""))
                }
                if !update.answers.isEmpty { described.append("answers " + update.answers.keys.sorted().joined(separator: ", ")) }
                if next.details != current.details { described.append("details") }
                if next.answeredAt != current.answeredAt { described.append("answered time") }
                if next.endedAt != current.endedAt { described.append("end time") }
                if !described.isEmpty { addEvent(.updated, "updated " + described.joined(separator: "; ")) }
                if next.status != current.status {
                    addEvent(.statusChanged, "\(current.status.rawValue) → \(next.status.rawValue)")
                }
                if let link = update.linkTo, link != current.linkedTo {
                    addEvent(.linked, "linked to earlier call \(link)")
                }
                if let person = update.assignTo {
                    addEvent(.assigned, "assigned to \(person.trimmingCharacters(in: .whitespacesAndNewlines))")
                }
                if let note = update.note?.trimmingCharacters(in: .whitespacesAndNewlines) {
                    operations.append(
                        RowOperation(
                            table: ReplicatedTables.callNote.table, key: context.elementKey(index),
                            action: .add(fields: [
                                "call_reference": .text(reference.description),
                                "organisation_code": .text(current.organisation.rawValue),
                                "at_ms": .integer(instant.milliseconds), "site_code": .text(context.origin.rawValue),
                                "author": .text(author), "text": .text(note),
                            ])))
                    index += 1
                    addEvent(.note, "note added")
                }
                return operations
            }
            return try Self.fetchCall(db, reference) ?? next
        }
    }

    /// A call with its timeline and notes, or `nil` when none has that reference here.
    public func callRecord(_ reference: CallReference) throws -> CallRecord? {
        try read { db in
            guard var call = try Self.fetchCall(db, reference) else { return nil }
            call.assignedTo = try Self.concurrentValues(db, reference, field: "assigned_to")
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
        guard let statement = Self.searchStatement(search) else { return [] }
        let arguments = StatementArguments(statement.arguments.map { argument -> DatabaseValue in
            switch argument {
            case .text(let text): text.databaseValue
            case .integer(let number): number.databaseValue
            }
        })
        return try read { db in
            try Row.fetchAll(db.cachedStatement(sql: statement.sql), arguments: arguments).map(Self.call)
        }
    }

    /// A value bound to a search statement.
    public enum SearchArgument: Sendable, Equatable {
        case text(String)
        case integer(Int64)
    }

    /// The SQL `searchCalls` runs for a search, and its arguments; `nil` when nothing can match.
    ///
    /// Public so a benchmark can run exactly the same statement through the bare C API.
    public static func searchStatement(_ search: CallSearch) -> (sql: String, arguments: [SearchArgument])? {
        let limit = min(max(search.limit, 1), StoreLimits.searchResultsMax)
        // Words asked for but none usable ("!!!") match nothing, rather than dropping the filter.
        if let name = search.callerName, !name.isEmpty, FullTextQuery.terms(name).isEmpty { return nil }
        if let address = search.address, !address.isEmpty, FullTextQuery.terms(address).isEmpty { return nil }
        var filters: [String] = []
        var arguments: [SearchArgument] = []
        if let organisation = search.organisation {
            filters.append("c.organisation_code = ?")
            arguments.append(.text(organisation.rawValue))
        }
        if let option = search.option {
            filters.append("c.service_option_code = ?")
            arguments.append(.text(option.rawValue))
        }
        if let uprn = search.uprn {
            filters.append("c.uprn = ?")
            arguments.append(.integer(uprn.rawValue))
        }
        if let from = search.from {
            filters.append("c.offered_at_ms >= ?")
            arguments.append(.integer(from.milliseconds))
        }
        if let to = search.to {
            filters.append("c.offered_at_ms <= ?")
            arguments.append(.integer(to.milliseconds))
        }
        if let status = search.status {
            filters.append("c.status = ?")
            arguments.append(.text(status.rawValue))
        }
        let textParts = [
            search.callerName.flatMap { FullTextQuery.expression(column: "caller_name", text: $0) },
            search.address.flatMap { FullTextQuery.expression(column: "address_text", text: $0) },
        ].compactMap { $0 }
        let sql: String
        // A narrow window on one option holds few calls: walk the option's time index, and look words up in the
        // full-text index only between the window's lowest and highest row ids, rather than walk every call
        // matching a common name (7.4.2 searches are mostly of this shape).
        let narrow =
            search.option != nil && search.organisation != nil
            && (search.from.map { from in (search.to ?? .distantFuture).timeIntervalSince(from) <= Self.narrowWindowSeconds } ?? false)
        if textParts.isEmpty {
            let whereClause = filters.isEmpty ? "" : "WHERE " + filters.joined(separator: " AND ")
            sql = "SELECT c.* FROM call c \(whereClause) ORDER BY c.offered_at_ms DESC, c.id DESC LIMIT ?"
        } else if narrow {
            let window = filters.joined(separator: " AND ")
            let filterArguments = arguments
            arguments.append(.text(textParts.joined(separator: " AND ")))
            arguments += filterArguments + filterArguments
            sql = """
                SELECT c.* FROM call c INDEXED BY call_by_option_time
                WHERE \(window)
                    AND c.id IN (
                        SELECT rowid FROM call_fts WHERE call_fts MATCH ?
                            AND rowid >= (SELECT min(c.id) FROM call c INDEXED BY call_by_option_time WHERE \(window))
                            AND rowid <= (SELECT max(c.id) FROM call c INDEXED BY call_by_option_time WHERE \(window)))
                ORDER BY c.offered_at_ms DESC, c.id DESC LIMIT ?
                """
        } else {
            arguments.insert(.text(textParts.joined(separator: " AND ")), at: 0)
            let extra = filters.isEmpty ? "" : " AND " + filters.joined(separator: " AND ")
            sql = """
                SELECT c.* FROM call_fts JOIN call c ON c.id = call_fts.rowid
                WHERE call_fts MATCH ?\(extra)
                ORDER BY call_fts.rowid DESC LIMIT ?
                """
        }
        arguments.append(.integer(Int64(limit)))
        return (sql, arguments)
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
            db.cachedStatement(
                sql: """
                SELECT * FROM call c
                WHERE organisation_code = ? AND service_option_code = ? AND status != 'closed'
                    AND offered_at_ms BETWEEN ? AND ?
                ORDER BY offered_at_ms DESC LIMIT ?
                """),
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

    /// The next call reference of this site: the serial and the site it belongs to come from one write to the
    /// identity row, inside the caller's transaction.
    func issueReference(_ db: Database) throws -> CallReference {
        guard
            let issued = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        UPDATE node_identity SET next_call_serial = next_call_serial + 1 WHERE id = 1
                        RETURNING site_code, next_call_serial - 1 AS serial
                        """))
        else { throw StoreError.notInitialised(path: self.path) }
        return CallReference(site: try SiteCode(issued["site_code"]), serial: issued["serial"])
    }

    static func callExists(_ db: Database, _ reference: CallReference) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM call WHERE reference = ?", arguments: [reference.description]) ?? false
    }

    static func fetchCall(_ db: Database, _ reference: CallReference) throws -> Call? {
        try Row.fetchOne(db, sql: "SELECT * FROM call WHERE reference = ?", arguments: [reference.description])
            .map(call)
    }

    /// Every replicated field of a call, as written when it is created.
    static func fields(of call: Call) throws -> [String: FieldValue] {
        func text(_ value: String?) -> FieldValue { value.map(FieldValue.text) ?? .null }
        func integer(_ value: Int64?) -> FieldValue { value.map(FieldValue.integer) ?? .null }
        func real(_ value: Double?) -> FieldValue { value.map(FieldValue.real) ?? .null }
        let address = call.incidentAddress
        return [
            "site_code": .text(call.reference.site.rawValue), "organisation_code": .text(call.organisation.rawValue),
            "service_option_code": .text(call.option.rawValue), "offered_at_ms": .integer(call.offeredAt.milliseconds),
            "access_number": text(call.accessNumber?.e164), "caller_name": text(call.caller.name),
            "caller_phone": text(call.caller.phone?.e164), "address_text": text(address?.text),
            "uprn": integer(address?.uprn?.rawValue), "easting_m": real(address?.point?.eastingMetres),
            "northing_m": real(address?.point?.northingMetres), "ward": text(address?.ward),
            "address_verification": .text((address?.verification ?? .unverified).rawValue),
            "details": .text(call.details), "answers_json": .text(try json(call.answers)),
            "action": .text(call.action.kind.rawValue), "action_detail": text(call.action.detail),
            "status": .text(call.status.rawValue), "linked_reference": text(call.linkedTo?.description),
            "answered_at_ms": integer(call.answeredAt?.milliseconds), "ended_at_ms": integer(call.endedAt?.milliseconds),
            "assigned_to": text(call.assignedTo.first),
        ]
    }

    /// A timeline entry: an element of the call's add-only timeline.
    static func event(
        _ context: ChangeContext, _ index: Int, _ call: Call, at instant: Date, author: String, kind: TimelineEventKind,
        summary: String
    ) -> RowOperation {
        RowOperation(
            table: ReplicatedTables.callEvent.table, key: context.elementKey(index),
            action: .add(fields: [
                "call_reference": .text(call.reference.description), "organisation_code": .text(call.organisation.rawValue),
                "at_ms": .integer(instant.milliseconds), "site_code": .text(context.origin.rawValue),
                "author": .text(author), "kind": .text(kind.rawValue), "summary": .text(summary),
            ]))
    }

    static func concurrentClocks(_ db: Database, _ reference: CallReference, field: String) throws -> [HybridTimestamp] {
        try String.fetchAll(
            db, sql: "SELECT clock FROM concurrent_value WHERE table_name = 'call' AND row_key = ? AND field = ?",
            arguments: [reference.description, field]
        ).compactMap(HybridTimestamp.init(text:))
    }

    static func concurrentValues(_ db: Database, _ reference: CallReference, field: String) throws -> [String] {
        try String.fetchAll(
            db,
            sql: """
                SELECT json_extract(value_json, '$.t') FROM concurrent_value
                WHERE table_name = 'call' AND row_key = ? AND field = ? AND json_extract(value_json, '$.t') IS NOT NULL
                ORDER BY clock
                """,
            arguments: [reference.description, field])
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
        var call = Call(
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
        call.assignedTo = (row["assigned_to"] as String?).map { [$0] } ?? []
        return call
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
