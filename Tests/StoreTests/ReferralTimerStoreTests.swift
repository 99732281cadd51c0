import Domain
import Foundation
import GRDB
import NightdeskTestSupport
import Replication
import Testing

@testable import Store

/// Referral escalations recorded by a node's timer (5.3.2, 6.4b): due only after a step's wait, recorded once with
/// the step's messages in the same change set, and one record at every site however many sites recorded it.
@Suite struct ReferralTimerStoreTests {
    typealias F = RotaFixtures
    let ended = Fixtures.london("2026-11-23 21:04")

    /// Stage 1 by phone and SMS, then stage 2 by SMS and email; five minutes' wait each; Mo when all fail.
    static func messagingProcedure() throws -> EscalationProcedure {
        try EscalationProcedure(
            organisation: F.ealing, option: F.structures,
            steps: [
                EscalationStep(.stage(1), channels: [.phone, .sms], acknowledgementWaitMs: 300_000),
                EscalationStep(.stage(2), channels: [.sms, .email], acknowledgementWaitMs: 300_000),
            ],
            whenExhausted: EscalationFallback(emergencyContacts: [F.id("eal-mo")], instructions: "Call Mo"))
    }

    /// A referred call whose first step is done (Ann phoned, no answer; Ann sent an SMS at 2 minutes).
    func referredAndStepOneDone(_ test: TestDatabase, procedure: EscalationProcedure? = nil) throws -> CallReference {
        try F.setUp(test)
        if let procedure { try test.database.setProcedure(procedure, at: F.setUpAt) }
        let reference = try test.log().call.reference
        try test.database.updateCall(reference, CallUpdate(endedAt: ended), author: "amy", at: ended)
        try test.database.refer(reference, author: "amy", at: ended)
        try test.database.recordAttempt(
            reference, contact: F.id("eal-ann"), channel: .phone, outcome: .noAnswer, author: "amy", at: ended + 60)
        try test.database.recordAttempt(
            reference, contact: F.id("eal-ann"), channel: .sms, outcome: .sent, author: "amy", at: ended + 120)
        return reference
    }

    func outbox(_ test: TestDatabase, _ reference: CallReference) throws -> [String] {
        try test.database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT channel, recipient FROM outbox_message WHERE call_reference = ? ORDER BY recipient, channel",
                arguments: [reference.description]
            ).map { "\($0["channel"] as String) \($0["recipient"] as String)" }
        }
    }

    func sync(_ from: TestDatabase, _ to: TestDatabase) throws {
        let missing = try from.database.changeSets(missingFrom: try to.database.heldVector(), limit: 10_000)
        #expect(try to.database.receive(missing, at: ended + 3_600).refused.isEmpty)
    }

    @Test func anEscalationFallsDueAfterTheWaitAndIsRecordedOnceWithItsMessagesInOneChangeSet() throws {
        let test = try TestDatabase()
        let reference = try referredAndStepOneDone(test, procedure: try Self.messagingProcedure())
        #expect(try test.database.dueReferralEscalations(at: ended + 419).isEmpty)
        let due = try test.database.dueReferralEscalations(at: ended + 420)
        #expect(due == [DueReferralEscalation(reference: reference, organisation: F.ealing, due: .step(2, dueAt: ended + 420))])
        let before = try test.database.changeSets(missingFrom: VersionVector(), limit: 10_000).count
        let recorded = try #require(try test.database.recordReferralEscalation(due[0], at: ended + 421))
        // Cat is on call at stage 2: her SMS and email, in the change set that records the escalation.
        #expect(recorded.messages.map { "\($0.contact) \($0.channel)" } == ["eal-cat sms", "eal-cat email"])
        let sets = try test.database.changeSets(missingFrom: VersionVector(), limit: 10_000)
        #expect(sets.count == before + 1)
        #expect(sets.last?.operations.map(\.table) == ["referral_escalation", "outbox_message", "outbox_message"])
        #expect(try outbox(test, reference).count == 2)
        // Done: neither due again nor recorded twice.
        #expect(try test.database.dueReferralEscalations(at: ended + 422).isEmpty)
        #expect(try test.database.recordReferralEscalation(due[0], at: ended + 422) == nil)
        #expect(try outbox(test, reference).count == 2)
        let record = try #require(try test.database.referral(reference))
        #expect(record.timerEscalations.map(\.site) == ["WST"])
        #expect(record.timerEscalations.first?.counted == true)
        // Stage 2 was all messages: its wait runs from the escalation, then the fallback messages Mo.
        #expect(record.escalation.next(at: ended + 500) == .wait(until: ended + 721))
        let fallback = try test.database.dueReferralEscalations(at: ended + 721)
        #expect(fallback.map(\.due) == [.fallback(step: 3, dueAt: ended + 721)])
        let last = try #require(try test.database.recordReferralEscalation(fallback[0], at: ended + 722))
        #expect(last.messages.map { "\($0.contact) \($0.channel)" } == ["eal-mo sms", "eal-mo email"])
        #expect(try test.database.overdueReferrals(at: ended + 723).map(\.reference) == [reference])
        #expect(try test.database.dueReferralEscalations(at: ended + 86_400).isEmpty)
    }

    @Test func aPhoneStepGoesOnTheOverdueBoardWithWhatAHandlerMustDoAndQueuesNothing() throws {
        let test = try TestDatabase()
        let reference = try referredAndStepOneDone(test)  // stage 2 is by phone only
        let due = try test.database.dueReferralEscalations(at: ended + 420)
        #expect(due.count == 1)
        #expect(try test.database.overdueReferrals(at: ended + 420).isEmpty, "passed on at 2 minutes, not overdue yet")
        let recorded = try #require(try test.database.recordReferralEscalation(due[0], at: ended + 420))
        #expect(recorded.messages.isEmpty)
        #expect(try outbox(test, reference).isEmpty)
        // Before the 10-minute deadline, it is on the board: someone must phone Cat.
        let board = try test.database.overdueReferrals(at: ended + 421)
        #expect(board.map(\.reference) == [reference])
        #expect(board.first?.escalation.next(at: ended + 421) == .contact(F.cat, F.cat.channel(.phone)!, step: 2))
        // The handler phones Cat and she answers: off the board.
        try test.database.recordAttempt(
            reference, contact: F.id("eal-cat"), channel: .phone, outcome: .answered, author: "amy", at: ended + 450)
        #expect(try test.database.overdueReferrals(at: ended + 451).isEmpty)
        #expect(try test.database.dueReferralEscalations(at: ended + 86_400).isEmpty)
    }

    @Test func twoSitesRecordingTheSameEscalationAtOnceConvergeToOneRecord() throws {
        let west = try TestDatabase(site: "WST")
        let east = try TestDatabase(site: "EST")
        let reference = try referredAndStepOneDone(west, procedure: try Self.messagingProcedure())
        try sync(west, east)
        // Their views of the cluster differ, so each thinks it acts: both record step 2, a moment apart.
        let dueWest = try #require(try west.database.dueReferralEscalations(at: ended + 420).first)
        let dueEast = try #require(try east.database.dueReferralEscalations(at: ended + 420).first)
        #expect(dueWest == dueEast)
        #expect(try west.database.recordReferralEscalation(dueWest, at: ended + 420) != nil)
        #expect(try east.database.recordReferralEscalation(dueEast, at: ended + 421) != nil)
        try sync(west, east)
        try sync(east, west)
        #expect(try west.database.stateDigest() == east.database.stateDigest())
        for site in [west, east] {
            #expect(try site.count("referral_escalation") == 1)
            let record = try #require(try site.database.referral(reference))
            // The row is keyed (referral, step): it merges to the later write, East's, at both sites.
            #expect(record.timerEscalations.map(\.site) == ["EST"])
            #expect(record.timerEscalations.map(\.escalation.step) == [2])
            #expect(record.escalation.timerEscalations.count == 1)
            #expect(try site.database.dueReferralEscalations(at: ended + 500).isEmpty)
            // Both sites queued the step's messages before they heard of each other (TimerElection's documented
            // window): named by referral, step and recipient, they merged into one set, the earlier creation's.
            #expect(try outbox(site, reference).count == 2)
            #expect(try site.database.outbox().filter { $0.callReference == reference.description }.allSatisfy { $0.createdBySite == "WST" })
        }
    }

    @Test func aSecondSiteThatReceivesTheEscalationFindsItDoneAndQueuesNothing() throws {
        let west = try TestDatabase(site: "WST")
        let east = try TestDatabase(site: "EST")
        let reference = try referredAndStepOneDone(west, procedure: try Self.messagingProcedure())
        try sync(west, east)
        let due = try #require(try east.database.dueReferralEscalations(at: ended + 420).first)
        _ = try #require(try west.database.recordReferralEscalation(due, at: ended + 420))
        try sync(west, east)
        // East had found it due before the change set arrived; recording now is a no-op.
        #expect(try east.database.recordReferralEscalation(due, at: ended + 421) == nil)
        #expect(try east.database.dueReferralEscalations(at: ended + 421).isEmpty)
        #expect(try outbox(east, reference).count == 2)
        #expect(try west.database.stateDigest() == east.database.stateDigest())
    }
}
