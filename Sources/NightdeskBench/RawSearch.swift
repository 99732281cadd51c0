import Domain
import Foundation
import GRDBSQLite
import Store

/// The search baseline: the SQL `AppDatabase.searchCalls` runs, through the bare C API, stepping the rows unread.
///
/// The statement comes from `AppDatabase.searchStatement`, so both run exactly the same SQL. The counts of rows both
/// return are compared on every search.
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
        guard let (sql, arguments) = AppDatabase.searchStatement(search) else { return 0 }
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

}
