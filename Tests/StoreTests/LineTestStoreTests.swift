import Domain
import Foundation
import GRDB
import NightdeskTestSupport
import Replication
import Testing

@testable import Store

/// Line tests in the store (8.13, 2.1.8): one record per slot wherever it was made, an escalation queued with the
/// first failure of a streak only, and a monthly report per organisation.
@Suite struct LineTestStoreTests {
    let ealing = try! OrganisationCode("EAL")
    let main = try! PhoneNumber(parsing: "+442079460001")

    func slot(_ london: String, _ kind: LineTestKind = .lowDemand) -> LineTestSlot {
        LineTestSlot(
            number: main, kind: kind, slotMinute: Int64(Fixtures.london(london).timeIntervalSince1970 / 60))
    }

    func alert() throws -> [OutboxDraft] {
        [OutboxDraft(organisation: ealing, channel: .sms, recipient: "+447700900810", body: "Line test failed: 0207")]
    }

    @discardableResult
    func record(
        _ test: TestDatabase, _ slot: LineTestSlot, _ outcome: LineTestOutcome, at london: String
    ) throws -> LineTestRecord? {
        try test.database.recordLineTest(
            slot, organisation: ealing, outcome: outcome, routeSite: outcome.passed ? "WST" : nil,
            testedAt: Fixtures.london(london), durationMs: 40, messages: alert)
    }

    @Test func aSlotIsRecordedOnceAndListedAsTested() throws {
        let test = try TestDatabase()
        let first = try #require(try record(test, slot("2026-11-26 20:00"), .passed, at: "2026-11-26 20:00"))
        #expect(first.site == "WST" && first.routeSite == "WST" && !first.escalated)
        #expect(try record(test, slot("2026-11-26 20:00"), .passed, at: "2026-11-26 20:01") == nil)
        let held = try test.database.recordedLineTestSlots(number: main, sinceMinute: 0)
        #expect(held == [slot("2026-11-26 20:00")])
        #expect(try test.count("line_test") == 1)
    }

    @Test func theFirstFailureOfAStreakEscalatesAndQueuesItsMessagesAtomically() throws {
        let test = try TestDatabase()
        try record(test, slot("2026-11-26 20:00"), .passed, at: "2026-11-26 20:00")
        let failed = LineTestOutcome.failed(reason: "no live site is trained for EAL")
        #expect(try record(test, slot("2026-11-26 20:30"), failed, at: "2026-11-26 20:30")?.escalated == true)
        #expect(try test.count("outbox_message") == 1)
        // The line is still down half an hour later: recorded, nobody called again.
        #expect(try record(test, slot("2026-11-26 21:00"), failed, at: "2026-11-26 21:00")?.escalated == false)
        #expect(try test.count("outbox_message") == 1)
        // It passes, then fails again: a new failure, a new escalation.
        try record(test, slot("2026-11-26 21:30"), .passed, at: "2026-11-26 21:30")
        #expect(try record(test, slot("2026-11-26 22:00"), failed, at: "2026-11-26 22:00")?.escalated == true)
        #expect(try test.count("outbox_message") == 2)
    }

    @Test func aMessageThatCannotBeQueuedLeavesNoRecordOfTheTest() throws {
        let test = try TestDatabase()
        #expect(throws: (any Error).self) {
            try test.database.recordLineTest(
                slot("2026-11-26 20:00"), organisation: ealing, outcome: .failed(reason: "no answer"), routeSite: nil,
                testedAt: Fixtures.london("2026-11-26 20:00"), durationMs: 10
            ) { [OutboxDraft(organisation: ealing, channel: .sms, recipient: "not a number", body: "x")] }
        }
        #expect(try test.count("line_test") == 0)
        #expect(try test.count("outbox_message") == 0)
    }

    @Test func twoSitesTestingOneSlotConvergeAndTheReportCountsItOnce() throws {
        let west = try TestDatabase(site: "WST")
        let east = try TestDatabase(site: "EST")
        try record(west, slot("2026-11-26 20:00"), .passed, at: "2026-11-26 20:00")
        try record(east, slot("2026-11-26 20:00"), .failed(reason: "routing answered EST, which has no handler"),
            at: "2026-11-26 20:00")
        try record(west, slot("2026-11-26 17:00", .periodStart), .passed, at: "2026-11-26 17:00")
        try sync(west, to: east)
        try sync(east, to: west)
        #expect(try west.database.stateDigest() == east.database.stateDigest())
        let reports = try [west, east].map {
            try $0.database.lineTestReport(organisation: ealing, month: LocalMonth(parsing: "2026-11"))
        }
        #expect(reports[0] == reports[1])
        let number = try #require(reports[0].numbers.first)
        #expect(number.number == main.e164)
        #expect(number.tests == 2 && number.failed == 1 && number.passed == 1)
        #expect(number.periodStartTests == 1 && number.lowDemandTests == 1)
        #expect(number.failures.map(\.site) == ["EST"])
        // Another month holds none of them.
        #expect(try west.database.lineTestReport(organisation: ealing, month: LocalMonth(parsing: "2026-12")).numbers
            .isEmpty)
    }

    @Test func demandCountsOnlyCallsOnThatNumberInTheWindow() throws {
        let test = try TestDatabase()
        for (minute, number) in [("19:05", main), ("19:40", main), ("20:10", main), ("19:20", nil)] as [(String, PhoneNumber?)] {
            var draft = try Fixtures.draft(at: "2026-11-26 \(minute)")
            draft.accessNumber = number
            draft.incidentAddress = try test.address(1)
            _ = try test.database.logCall(draft, author: "tester", criteria: try DuplicateCriteria(), at: draft.offeredAt)
        }
        let from = Fixtures.london("2026-11-26 19:00")
        #expect(try test.database.callCount(accessNumber: main, from: from, to: from.addingTimeInterval(3_600)) == 2)
        #expect(try test.database.callCount(
            accessNumber: try PhoneNumber(parsing: "020 7946 0002"), from: from, to: from.addingTimeInterval(3_600)) == 0)
    }

    func sync(_ from: TestDatabase, to: TestDatabase) throws {
        let missing = try from.database.changeSets(missingFrom: try to.database.heldVector(), limit: 10_000)
        try to.database.receive(missing, at: Fixtures.london("2026-11-27 00:00"))
    }
}
