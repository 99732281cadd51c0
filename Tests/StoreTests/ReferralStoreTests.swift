import Domain
import Foundation
import NightdeskTestSupport
import Replication
import Testing

@testable import Store

/// Referrals to On-call Duty Staff: deadline, escalation, overdue listing and dispatch times (6.4b, 5.3.2, 11.7.3).
@Suite struct ReferralStoreTests {
    typealias F = RotaFixtures
    /// Monday 23 November 2026: Ann is on call at stage 1, Cat at stage 2.
    let ended = Fixtures.london("2026-11-23 21:04")

    /// A dangerous-structures call offered at 21:00 that ended at 21:04.
    func endedCall(_ test: TestDatabase) throws -> CallReference {
        let reference = try test.log().call.reference
        try test.database.updateCall(reference, CallUpdate(endedAt: ended), author: "amy", at: ended)
        return reference
    }

    func attempt(
        _ test: TestDatabase, _ reference: CallReference, _ contact: String, _ channel: ChannelKind,
        _ outcome: ReferralOutcome, minutes: Double
    ) throws -> ReferralRecord {
        try test.database.recordAttempt(
            reference, contact: F.id(contact), channel: channel, outcome: outcome, author: "amy",
            at: ended + minutes * 60)
    }

    @Test func theDeadlineIsTenMinutesAfterTheCallEndsUnlessTheOrganisationSetAnother() throws {
        let test = try TestDatabase()
        try F.setUp(test)
        let reference = try endedCall(test)
        let start = try test.database.refer(reference, author: "amy", at: ended + 60)
        #expect(start.referral.deadline == ended + 600)
        #expect(start.referral.status == .open)
        #expect(start.procedureSet)
        #expect(start.firstAction == .contact(F.ann, F.ann.channel(.phone)!, step: 1))
        #expect(start.sms.septets <= DomainLimits.smsSeptetsMax)
        #expect(start.sms.text.contains("Ref \(reference)"))
        #expect(try test.database.callRecord(reference)?.call.status == .referred)
        #expect(try test.database.callRecord(reference)?.timeline.last?.kind == .statusChanged)
        // A call with no end time recorded ends when it is referred; Wandle's limit is 15 minutes.
        try test.database.saveContacts([F.wandleOfficer], at: ended)
        var draft = try Fixtures.draft(
            organisation: "WAN", option: "noise-patrol", answers: ["source": .value("Music")])
        draft.offeredAt = Fixtures.london("2026-11-23 21:00")
        let noise = try test.database.logCall(draft, author: "amy", criteria: DuplicateCriteria(), at: ended)
        let referred = try test.database.refer(noise.call.reference, author: "amy", at: ended)
        #expect(referred.referral.deadline == ended + 15 * 60)
        // Wandle has no rota: the referral is made, and its first action is the fallback.
        guard case .exhausted = referred.firstAction, case .rotaGap = referred.answer else {
            Issue.record("a referral with nobody on call starts with the fallback: \(referred.firstAction)")
            return
        }
        #expect(!referred.procedureSet)
    }

    @Test func aSecondReferralOrAReferralOfAClosedCallIsRefusedAndWritesNothing() throws {
        let test = try TestDatabase()
        try F.setUp(test)
        let reference = try endedCall(test)
        try test.database.refer(reference, author: "amy", at: ended)
        let closed = try test.log(name: "Raj Patel", uprn: 4).call.reference
        try test.database.updateCall(closed, CallUpdate(status: .closed), author: "amy", at: ended)
        let before = try test.database.stateDigest()
        #expect(throws: DomainError.self) { try test.database.refer(reference, author: "amy", at: ended) }
        #expect(throws: DomainError.self) { try test.database.refer(closed, author: "amy", at: ended) }
        #expect(throws: StoreError.self) {
            try test.database.refer(CallReference(site: SiteCode("WST"), serial: 999), author: "amy", at: ended)
        }
        // An attempt out of turn: the procedure asks for Ann by phone first.
        #expect(throws: DomainError.self) { try attempt(test, reference, "eal-cat", .phone, .answered, minutes: 1) }
        #expect(throws: DomainError.self) { try attempt(test, reference, "eal-ann", .sms, .answered, minutes: 1) }
        #expect(try test.database.stateDigest() == before)
    }

    @Test func unansweredAttemptsEscalateToStageTwoAfterTheWait() throws {
        let test = try TestDatabase()
        try F.setUp(test)
        let reference = try endedCall(test)
        try test.database.refer(reference, author: "amy", at: ended)
        _ = try attempt(test, reference, "eal-ann", .phone, .noAnswer, minutes: 1)
        let sent = try attempt(test, reference, "eal-ann", .sms, .sent, minutes: 2)
        #expect(sent.status == .passed)
        #expect(sent.escalation.passedAt == ended + 120)
        #expect(sent.dispatchSeconds == 120)
        // Step 1 waits five minutes for Ann to acknowledge, then stage 2 is called.
        #expect(try test.database.nextAction(reference, at: ended + 180).1 == .wait(until: ended + 420))
        #expect(
            try test.database.nextAction(reference, at: ended + 420).1
                == .contact(F.cat, F.cat.channel(.phone)!, step: 2))
        let answered = try attempt(test, reference, "eal-cat", .phone, .answered, minutes: 8)
        #expect(answered.status == .acknowledged)
        #expect(answered.escalation.acknowledgedBy == F.cat)
        #expect(answered.attempts.map(\.attempt.contact.rawValue) == ["eal-ann", "eal-ann", "eal-cat"])
        #expect(answered.attempts.allSatisfy { $0.counted && $0.author == "amy" && $0.site == "WST" })
        // The summary kept for listing agrees.
        let row = try test.database.read { db in
            try String.fetchOne(db, sql: "SELECT status || ' ' || acknowledged_by FROM referral")
        }
        #expect(row == "acknowledged eal-cat")
        #expect(try test.database.outstandingReferrals().isEmpty)
    }

    @Test func overdueReferralsAreThoseNotPassedOnByTheirDeadline() throws {
        let test = try TestDatabase()
        try F.setUp(test)
        let late = try endedCall(test)
        try test.database.refer(late, author: "amy", at: ended)
        let passed = try test.log(name: "Raj Patel", uprn: 4).call.reference
        try test.database.updateCall(passed, CallUpdate(endedAt: ended), author: "amy", at: ended)
        try test.database.refer(passed, author: "amy", at: ended)
        _ = try test.database.recordAttempt(
            passed, contact: F.id("eal-ann"), channel: .phone, outcome: .noAnswer, author: "amy", at: ended + 60)
        _ = try test.database.recordAttempt(
            passed, contact: F.id("eal-ann"), channel: .sms, outcome: .sent, author: "amy", at: ended + 90)
        #expect(try test.database.overdueReferrals(at: ended + 540).isEmpty)
        #expect(try test.database.overdueReferrals(at: ended + 601).map(\.reference) == [late])
        #expect(try test.database.overdueReferrals(at: ended + 601, organisation: F.wandle).isEmpty)
        #expect(try Set(test.database.outstandingReferrals().map(\.reference)) == [late, passed])

        // The month's dispatch times (11.7.3 g): one passed in 90 s, one never passed on.
        let month = try test.database.referrals(organisation: F.ealing, month: LocalMonth(parsing: "2026-11"))
        #expect(DispatchSummary.of(month, at: ended + 540).first?.overLimit == [])
        let summary = try #require(DispatchSummary.of(month, at: ended + 601).first)
        #expect(summary.option == F.structures)
        #expect(summary.cases == 1)
        #expect(summary.averageSeconds == 90)
        #expect(summary.maxSeconds == 90)
        #expect(summary.overLimit == [late])
        #expect(summary.notPassed == [late])
        #expect(try test.database.referrals(organisation: F.ealing, month: LocalMonth(parsing: "2026-12")).isEmpty)
    }

    @Test func theSameStepRecordedAtTwoSitesAtOnceConvergesToOneEscalation() throws {
        let west = try TestDatabase(site: "WST")
        let east = try TestDatabase(site: "EST")
        func sync(_ from: TestDatabase, _ to: TestDatabase) throws {
            let missing = try from.database.changeSets(missingFrom: try to.database.heldVector(), limit: 10_000)
            #expect(try to.database.receive(missing, at: ended + 3_600).refused.isEmpty)
        }
        try F.setUp(west)
        let reference = try endedCall(west)
        try west.database.refer(reference, author: "amy", at: ended)
        try sync(west, east)
        // Both sites phone Ann at the same time; one answer is recorded at each.
        _ = try attempt(west, reference, "eal-ann", .phone, .noAnswer, minutes: 1)
        _ = try east.database.recordAttempt(
            reference, contact: F.id("eal-ann"), channel: .phone, outcome: .answered, author: "raj", at: ended + 61)
        try sync(west, east)
        try sync(east, west)
        #expect(try west.database.stateDigest() == east.database.stateDigest())
        for site in [west, east] {
            let record = try #require(try site.database.referral(reference))
            #expect(record.status == .acknowledged)
            #expect(record.attempts.count == 2)
            // West's "no answer" moved the escalation on; East's answer, out of turn, still ends it.
            #expect(record.attempts.map(\.counted) == [true, true])
            #expect(record.escalation.acknowledgedBy == F.ann)
            #expect(try site.database.callRecord(reference)?.call.status == .referred)
        }
    }
}
