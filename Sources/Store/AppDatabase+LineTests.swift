import Domain
import Foundation
import GRDB
import Replication

/// One test call as recorded (8.13).
public struct LineTestRecord: Hashable, Sendable, Codable {
    public let slot: LineTestSlot
    public let organisation: OrganisationCode
    /// The site that made the test call.
    public let site: String
    public let testedAt: Date
    public let durationMs: Int64
    public let outcome: LineTestOutcome
    /// The site the routing answer sent the call to, when it found one.
    public let routeSite: String?
    /// Whether this failure started the escalation procedure.
    public let escalated: Bool
}

/// An organisation's line tests in one month, per number: what 2.1.8's monthly report gives.
public struct LineTestReport: Hashable, Sendable, Codable {
    public struct Number: Hashable, Sendable, Codable {
        public let number: String
        /// Slots tested (a slot tested at two sites in a split view counts once, failed if either failed).
        public let tests: Int
        public let passed: Int
        public let failed: Int
        public let periodStartTests: Int
        public let lowDemandTests: Int
        public let escalations: Int
        /// Every failure, oldest first.
        public let failures: [LineTestRecord]
    }

    public let organisation: OrganisationCode
    public let month: String
    public let numbers: [Number]
}

extension AppDatabase {
    /// Records a test call this node made and, when it is a newly identified failure (`lineTestFailureEscalates`),
    /// queues the escalation messages `messages` composes, in the same transaction (8.13: "the relevant Escalation
    /// Procedure will be triggered"). A slot already recorded here, by this or another site, records nothing and
    /// returns `nil`; otherwise the record written.
    @discardableResult
    public func recordLineTest(
        _ slot: LineTestSlot, organisation: OrganisationCode, outcome: LineTestOutcome, routeSite: String?,
        testedAt: Date, durationMs: Int64, messages: () throws -> [OutboxDraft]
    ) throws -> LineTestRecord? {
        try write { db in
            let recorded = try Int.fetchOne(
                db,
                sql: "SELECT count(*) FROM line_test WHERE number = ? AND kind = ? AND slot_minute = ?",
                arguments: [slot.number.e164, slot.kind.rawValue, slot.slotMinute]) ?? 0
            guard recorded == 0 else { return nil }
            let previous = try Row.fetchOne(
                db,
                sql: """
                    SELECT outcome, reason FROM line_test WHERE number = ? AND slot_minute <= ?
                    ORDER BY slot_minute DESC, tested_at_ms DESC LIMIT 1
                    """,
                arguments: [slot.number.e164, slot.slotMinute]
            ).map(Self.outcome)
            let escalates = lineTestFailureEscalates(outcome, previous: previous)
            let site = try localSite(db).rawValue
            let record = LineTestRecord(
                slot: slot, organisation: organisation, site: site, testedAt: testedAt, durationMs: max(0, durationMs),
                outcome: outcome, routeSite: routeSite, escalated: escalates)
            var reason: FieldValue = .null
            if case .failed(let text) = outcome { reason = .text(String(text.prefix(StoreLimits.lineTestReasonCharactersMax))) }
            _ = try commitLocal(db, at: testedAt, scope: .organisation(organisation.rawValue)) { _ in
                [
                    RowOperation(
                        table: ReplicatedTables.lineTest.table,
                        key: "\(slot.number.e164)|\(slot.kind.rawValue)|\(slot.slotMinute)|\(site)",
                        action: .add(fields: [
                            "number": .text(slot.number.e164), "organisation_code": .text(organisation.rawValue),
                            "kind": .text(slot.kind.rawValue), "slot_minute": .integer(slot.slotMinute),
                            "site_code": .text(site), "tested_at_ms": .integer(testedAt.milliseconds),
                            "duration_ms": .integer(record.durationMs),
                            "outcome": .text(outcome.passed ? "passed" : "failed"),
                            "reason": reason,
                            "route_site": routeSite.map { .text($0) } ?? .null,
                            "escalated": .integer(escalates ? 1 : 0),
                        ]))
                ]
            }
            if escalates {
                for draft in try messages() {
                    // Named by the slot and the recipient: one message however many sites test the slot.
                    let id = OutboxMessageID.derived(
                        from: "line-test|\(slot.number.e164)|\(slot.kind.rawValue)|\(slot.slotMinute)|"
                            + "\(draft.channel.rawValue)|\(draft.recipient)")
                    try enqueue(db, draft, checked: try Self.check(draft), id: id, at: testedAt)
                }
            }
            return record
        }
    }

    /// The slots of `number` recorded from `sinceMinute` on (at any site).
    public func recordedLineTestSlots(number: PhoneNumber, sinceMinute: Int64) throws -> Set<LineTestSlot> {
        try read { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT kind, slot_minute FROM line_test WHERE number = ? AND slot_minute >= ?"),
                arguments: [number.e164, sinceMinute])
            return Set(
                rows.compactMap { row in
                    guard let kind = LineTestKind(rawValue: row["kind"]) else { return nil }
                    return LineTestSlot(number: number, kind: kind, slotMinute: row["slot_minute"])
                })
        }
    }

    /// Calls offered on an access number in `from..<to` (8.13's "call demand per hour"). Test calls are not calls.
    public func callCount(accessNumber: PhoneNumber, from: Date, to: Date) throws -> Int {
        try read { db in
            try Int.fetchOne(
                db.cachedStatement(
                    sql: "SELECT count(*) FROM call WHERE access_number = ? AND offered_at_ms >= ? AND offered_at_ms < ?"),
                arguments: [accessNumber.e164, from.milliseconds, to.milliseconds]) ?? 0
        }
    }

    /// Every line test of an organisation whose slot falls in `from..<to`, oldest first.
    public func lineTests(organisation: OrganisationCode, from: Date, to: Date) throws -> [LineTestRecord] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM line_test WHERE organisation_code = ? AND slot_minute >= ? AND slot_minute < ?
                    ORDER BY slot_minute, number, kind, site_code LIMIT \(StoreLimits.lineTestsListedMax)
                    """,
                arguments: [organisation.rawValue, from.milliseconds / 60_000, to.milliseconds / 60_000]
            ).map(Self.lineTestRecord)
        }
    }

    /// The monthly line-test report of one organisation (2.1.8), months judged in the service's time zone.
    public func lineTestReport(organisation: OrganisationCode, month: LocalMonth) throws -> LineTestReport {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try catalogue().calendar.timeZone
        guard let start = calendar.date(from: DateComponents(year: month.year, month: month.month, day: 1)),
            let end = calendar.date(byAdding: .month, value: 1, to: start)
        else { throw DomainError(.invalidValue, "\(month) is not a month the calendar can place") }
        let records = try lineTests(organisation: organisation, from: start, to: end)
        let numbers = Dictionary(grouping: records, by: \.slot.number.e164).map { number, tests in
            let bySlot = Dictionary(grouping: tests, by: \.slot)
            let failedSlots = bySlot.values.filter { $0.contains { !$0.outcome.passed } }.count
            return LineTestReport.Number(
                number: number, tests: bySlot.count, passed: bySlot.count - failedSlots, failed: failedSlots,
                periodStartTests: bySlot.keys.filter { $0.kind == .periodStart }.count,
                lowDemandTests: bySlot.keys.filter { $0.kind == .lowDemand }.count,
                escalations: tests.filter(\.escalated).count,
                failures: tests.filter { !$0.outcome.passed })
        }
        return LineTestReport(
            organisation: organisation, month: month.description, numbers: numbers.sorted { $0.number < $1.number })
    }

    static func outcome(_ row: Row) -> LineTestOutcome {
        row["outcome"] == "passed" ? .passed : .failed(reason: row["reason"] ?? "no reason recorded")
    }

    static func lineTestRecord(_ row: Row) throws -> LineTestRecord {
        guard let kind = LineTestKind(rawValue: row["kind"]) else {
            throw DomainError(.invalidValue, "a line_test row has an unknown kind: this database was written by a newer Nightdesk")
        }
        return LineTestRecord(
            slot: LineTestSlot(number: try PhoneNumber(parsing: row["number"]), kind: kind, slotMinute: row["slot_minute"]),
            organisation: try OrganisationCode(row["organisation_code"]), site: row["site_code"],
            testedAt: Date(milliseconds: row["tested_at_ms"]),
            durationMs: row["duration_ms"], outcome: outcome(row), routeSite: row["route_site"],
            escalated: (row["escalated"] as Int64) == 1)
    }
}
