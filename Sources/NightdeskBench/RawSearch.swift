import Domain
import Foundation
import GRDBSQLite
import Store

/// The search baseline: the SQL `AppDatabase.searchCalls` runs, through the bare C API, stepping the rows unread.
///
/// The SQL mirrors `searchCalls` and its full-text expression; keep the two in step. The counts of rows both return
/// are compared on every search, so a drift shows at once.
final class RawSearch {
    private var db: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]

    init(path: String) throws {
        var handle: OpaquePointer?
        let opened = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY, nil)
        guard opened == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw SQLiteError(code: opened, message: message, during: "open \(path) read-only")
        }
        db = handle
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(db)
    }

    /// Runs the search and returns how many rows it gave.
    func run(_ search: CallSearch) throws -> Int {
        var filters: [String] = []
        var arguments: [Argument] = []
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
            search.callerName.flatMap { Self.expression(column: "caller_name", text: $0) },
            search.address.flatMap { Self.expression(column: "address_text", text: $0) },
        ].compactMap { $0 }
        let sql: String
        if textParts.isEmpty {
            let whereClause = filters.isEmpty ? "" : "WHERE " + filters.joined(separator: " AND ")
            sql = "SELECT c.* FROM call c \(whereClause) ORDER BY c.offered_at_ms DESC, c.id DESC LIMIT ?"
        } else {
            arguments.insert(.text(textParts.joined(separator: " AND ")), at: 0)
            let extra = filters.isEmpty ? "" : " AND " + filters.joined(separator: " AND ")
            sql = """
                SELECT c.* FROM call_fts JOIN call c ON c.id = call_fts.rowid
                WHERE call_fts MATCH ?\(extra)
                ORDER BY call_fts.rowid DESC LIMIT ?
                """
        }
        arguments.append(.integer(Int64(min(max(search.limit, 1), StoreLimits.searchResultsMax))))
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (offset, argument) in arguments.enumerated() {
            let index = Int32(offset + 1)
            switch argument {
            case .text(let value):
                sqlite3_bind_text(statement, index, value, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
            case .integer(let value):
                sqlite3_bind_int64(statement, index, value)
            }
        }
        var rows = 0
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_ROW {
                rows += 1
            } else if code == SQLITE_DONE {
                return rows
            } else {
                throw SQLiteError(code: code, message: String(cString: sqlite3_errmsg(db)), during: sql)
            }
        }
    }

    private enum Argument {
        case text(String)
        case integer(Int64)
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v2(db, sql, -1, &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw SQLiteError(code: code, message: String(cString: sqlite3_errmsg(db)), during: "prepare \(sql)")
        }
        statements[sql] = statement
        return statement
    }

    /// `column : ("smi"* AND "jo"*)` as the store builds it: each word a quoted prefix term, at most 8 words.
    static func expression(column: String, text: String) -> String? {
        let words = text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
        let quoted = words.prefix(StoreLimits.searchTermsMax).map {
            "\"\($0.replacingOccurrences(of: "\"", with: "\"\""))\"*"
        }
        guard !quoted.isEmpty else { return nil }
        return "\(column) : (" + quoted.joined(separator: " AND ") + ")"
    }
}
