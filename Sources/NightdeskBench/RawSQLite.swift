import Domain
import Foundation
import GRDBSQLite
import Replication
import Store

/// A failed SQLite C API call, with what was being done.
struct SQLiteError: Error, CustomStringConvertible {
    let code: Int32
    let message: String
    let during: String

    var description: String { "SQLite error \(code) during \(during): \(message)" }
}

/// One call's rows as the store writes them, worked out ahead so the baseline times SQLite alone.
struct RawCallRow {
    let reference: String
    let site: String
    let organisation: String
    let option: String
    let accessNumber: String?
    let callerName: String?
    let callerPhone: String?
    let addressText: String?
    let uprn: Int64?
    let eastingMetres: Double?
    let northingMetres: Double?
    let ward: String?
    let addressVerification: String
    let details: String
    let answersJSON: String
    let action: String
    let actionDetail: String?
    let status: String
    let offeredAtMs: Int64
    let answeredAtMs: Int64?
    let endedAtMs: Int64?
    let eventAtMs: Int64
    let author: String
    let eventSummary: String
    /// The same bookkeeping values a change set carries: the row's clock and the event's element key.
    let rowClock: String
    let eventUID: String

    /// The rows of `draft` logged as serial `serial`, checked by the same domain rules first.
    init(_ draft: CallDraft, serial: Int64, site: SiteCode, catalogue: Catalogue, author: String, at instant: Date)
        throws
    {
        let answers = try CallRules.validate(draft, catalogue: catalogue)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        reference = CallReference(site: site, serial: serial).description
        self.site = site.rawValue
        organisation = draft.organisation.rawValue
        option = draft.option.rawValue
        accessNumber = draft.accessNumber?.e164
        callerName = draft.caller.name
        callerPhone = draft.caller.phone?.e164
        addressText = draft.incidentAddress?.text
        uprn = draft.incidentAddress?.uprn?.rawValue
        eastingMetres = draft.incidentAddress?.point?.eastingMetres
        northingMetres = draft.incidentAddress?.point?.northingMetres
        ward = draft.incidentAddress?.ward
        addressVerification = (draft.incidentAddress?.verification ?? .unverified).rawValue
        details = draft.details
        answersJSON = String(decoding: try encoder.encode(answers), as: UTF8.self)
        action = draft.action.kind.rawValue
        actionDetail = draft.action.detail
        status = CallStatus.initial(for: draft.action.kind).rawValue
        offeredAtMs = draft.offeredAt.milliseconds
        answeredAtMs = draft.answeredAt?.milliseconds
        endedAtMs = draft.endedAt?.milliseconds
        eventAtMs = instant.milliseconds
        self.author = author
        eventSummary = "logged: \(draft.action.kind.rawValue)" + (draft.action.detail.map { " (\($0))" } ?? "")
        rowClock = HybridTimestamp(physicalMs: instant.milliseconds, logical: UInt32(serial), site: SiteID(site.rawValue))
            .description
        eventUID = "\(site.rawValue)-\(serial)-0"
    }
}

/// The baseline: the same rows into the same schema through the bare SQLite C API, with prepared statements.
///
/// Same pragmas as the store sets (WAL, `synchronous=FULL`, foreign keys on), or `synchronous=NORMAL` on request;
/// the FTS index is kept by the schema's own triggers, exactly as for the store.
final class RawSQLite {
    private var db: OpaquePointer?
    private var statements: [OpaquePointer?] = []
    private let insertCall: OpaquePointer?
    private let insertEvent: OpaquePointer?
    private let begin: OpaquePointer?
    private let commit: OpaquePointer?

    static let insertCallSQL = """
        INSERT INTO call (reference, site_code, organisation_code, service_option_code, access_number, caller_name,
            caller_phone, address_text, uprn, easting_m, northing_m, ward, address_verification, details,
            answers_json, action, action_detail, status, linked_reference, offered_at_ms, answered_at_ms, ended_at_ms,
            row_clock)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    static let insertEventSQL = """
        INSERT INTO call_event (call_reference, at_ms, site_code, author, kind, summary, uid, organisation_code)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// The store refuses writes to replicated tables outside a change set (its `*_guard_*` triggers); the baseline
    /// is plain SQLite with no change log, so its copy of the schema has every one of them dropped.
    static let guardTriggersSQL = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name GLOB '*_guard_*'"

    /// The SQLite library in use, e.g. `3.40.1`.
    static var libraryVersion: String { String(cString: sqlite3_libversion()) }

    /// SQLite's `synchronous` settings used here, with the number `PRAGMA synchronous` reads back.
    enum Synchronous: String {
        case full = "FULL"
        case normal = "NORMAL"

        var number: String { self == .full ? "2" : "1" }
    }

    /// Opens a database whose schema already exists (made by `AppDatabase`).
    init(path: String, synchronous: Synchronous) throws {
        var handle: OpaquePointer?
        let opened = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE, nil)
        db = handle
        guard opened == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw SQLiteError(code: opened, message: message, during: "open \(path)")
        }
        func prepare(_ sql: String) throws -> OpaquePointer? {
            var statement: OpaquePointer?
            let code = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
            guard code == SQLITE_OK else {
                throw SQLiteError(
                    code: code, message: String(cString: sqlite3_errmsg(handle)), during: "prepare \(sql)")
            }
            return statement
        }
        do {
            let pragmas = [
                "PRAGMA journal_mode = WAL", "PRAGMA synchronous = \(synchronous.rawValue)", "PRAGMA foreign_keys = ON",
            ]
            var guards: [String] = []
            let listGuards = try prepare(Self.guardTriggersSQL)
            while sqlite3_step(listGuards) == SQLITE_ROW {
                guards.append(String(cString: sqlite3_column_text(listGuards, 0)))
            }
            sqlite3_finalize(listGuards)
            precondition(!guards.isEmpty, "the store's schema has no guard triggers to drop")
            for pragma in pragmas + guards.map({ "DROP TRIGGER \($0)" }) {
                let code = sqlite3_exec(handle, pragma, nil, nil, nil)
                guard code == SQLITE_OK else {
                    throw SQLiteError(code: code, message: String(cString: sqlite3_errmsg(handle)), during: pragma)
                }
            }
            insertCall = try prepare(Self.insertCallSQL)
            insertEvent = try prepare(Self.insertEventSQL)
            begin = try prepare("BEGIN IMMEDIATE")
            commit = try prepare("COMMIT")
        } catch {
            sqlite3_close_v2(handle)
            db = nil
            throw error
        }
        statements = [insertCall, insertEvent, begin, commit]
    }

    deinit {
        for statement in statements { sqlite3_finalize(statement) }
        sqlite3_close_v2(db)
    }

    /// `PRAGMA journal_mode` as the connection reports it, to check WAL really took.
    func journalMode() throws -> String {
        try text(sql: "PRAGMA journal_mode")
    }

    /// `PRAGMA synchronous` as a number (2 = FULL).
    func synchronous() throws -> String {
        try text(sql: "PRAGMA synchronous")
    }

    /// Number of rows in a table.
    func count(_ table: String) throws -> Int {
        Int(try text(sql: "SELECT count(*) FROM \(table)")) ?? -1
    }

    private func text(sql: String) throws -> String {
        var statement: OpaquePointer?
        try check(sqlite3_prepare_v2(db, sql, -1, &statement, nil), sql)
        defer { sqlite3_finalize(statement) }
        try check(sqlite3_step(statement), sql, expect: SQLITE_ROW)
        return sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? ""
    }

    /// Writes the rows in one transaction.
    func insert(_ rows: ArraySlice<RawCallRow>) throws {
        try run(begin, "BEGIN")
        do {
            for row in rows {
                try insert(row)
            }
            try run(commit, "COMMIT")
        } catch {
            sqlite3_exec(db, "ROLLBACK", nil, nil, nil)
            throw error
        }
    }

    private func insert(_ row: RawCallRow) throws {
        let call = insertCall
        bind(call, 1, row.reference)
        bind(call, 2, row.site)
        bind(call, 3, row.organisation)
        bind(call, 4, row.option)
        bind(call, 5, row.accessNumber)
        bind(call, 6, row.callerName)
        bind(call, 7, row.callerPhone)
        bind(call, 8, row.addressText)
        bind(call, 9, row.uprn)
        bind(call, 10, row.eastingMetres)
        bind(call, 11, row.northingMetres)
        bind(call, 12, row.ward)
        bind(call, 13, row.addressVerification)
        bind(call, 14, row.details)
        bind(call, 15, row.answersJSON)
        bind(call, 16, row.action)
        bind(call, 17, row.actionDetail)
        bind(call, 18, row.status)
        bind(call, 19, nil as String?)
        bind(call, 20, row.offeredAtMs)
        bind(call, 21, row.answeredAtMs)
        bind(call, 22, row.endedAtMs)
        bind(call, 23, row.rowClock)
        try run(call, "INSERT INTO call")
        let event = insertEvent
        bind(event, 1, row.reference)
        bind(event, 2, row.eventAtMs)
        bind(event, 3, row.site)
        bind(event, 4, row.author)
        bind(event, 5, TimelineEventKind.logged.rawValue)
        bind(event, 6, row.eventSummary)
        bind(event, 7, row.eventUID)
        bind(event, 8, row.organisation)
        try run(event, "INSERT INTO call_event")
    }

    private func run(_ statement: OpaquePointer?, _ what: String) throws {
        let code = sqlite3_step(statement)
        sqlite3_reset(statement)
        try check(code, what, expect: SQLITE_DONE)
    }

    private func check(_ code: Int32, _ what: String, expect: Int32 = SQLITE_OK) throws {
        guard code == expect else {
            throw SQLiteError(code: code, message: String(cString: sqlite3_errmsg(db)), during: what)
        }
    }

    // SQLITE_TRANSIENT: SQLite copies the value, as GRDB's bindings do.
    private var transient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }

    private func bind(_ statement: OpaquePointer?, _ index: Int32, _ value: String?) {
        if let value {
            sqlite3_bind_text(statement, index, value, -1, transient)
        } else {
            sqlite3_bind_null(statement, index)
        }
    }

    private func bind(_ statement: OpaquePointer?, _ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(statement, index, value) } else { sqlite3_bind_null(statement, index) }
    }

    private func bind(_ statement: OpaquePointer?, _ index: Int32, _ value: Double?) {
        if let value { sqlite3_bind_double(statement, index, value) } else { sqlite3_bind_null(statement, index) }
    }
}
