import Domain
import Foundation
import Testing

/// Lone-worker sessions (5.2.3.6): every transition, alone.
@Suite struct LoneWorkerTests {
    typealias L = LoneWorkers

    func checkOut(_ session: inout LoneWorkerSession, at: Date, code: String) throws -> LoneWorkerCheckOutReply {
        try session.checkOut(at: at, code: code, verify: L.verify)
    }

    @Test func aSessionStartsActiveAndIsDueOutAfterItsExpectedDuration() {
        let session = L.session()
        #expect(session.deadline == L.at(45))
        #expect(session.state(at: L.at(0)) == .active)
        #expect(session.evaluate(at: L.at(44)).isEmpty)
        #expect(session.nextEvaluation(from: L.at(1)) == L.at(45))
        #expect(session.timeline.map(\.kind) == [.started(deadline: L.at(45))])
    }

    @Test func aStartOutsideTheLimitsIsRefusedWithTheAllowedRange() throws {
        func start(_ duration: Duration, window: Duration = .seconds(300), location: String = "Depot") throws {
            _ = try LoneWorkerStart(
                call: L.call, officer: L.officer(), location: location, task: "Check", startedAt: L.startedAt,
                expectedDuration: duration, acknowledgementWindow: window)
        }
        let short = #expect(throws: DomainError.self) { try start(.seconds(4 * 60)) }
        #expect(short?.message.contains("5 minutes to 12 hours") == true)
        #expect(throws: DomainError.self) { try start(.seconds(12 * 3600 + 1)) }
        #expect(throws: DomainError.self) { try start(.seconds(3600), window: .seconds(30)) }
        #expect(throws: DomainError.self) { try start(.seconds(3600), location: "  ") }
        #expect(throws: DomainError.self) { try start(.seconds(Int64.max)) }
        try start(.seconds(5 * 60))
        try start(.seconds(12 * 3600))
    }

    @Test func aCheckInExtendsTheDeadlineAndNeverShortensIt() throws {
        var session = L.session()
        #expect(try session.checkIn(at: L.at(30), extendBy: .seconds(30 * 60)) == L.at(60))
        #expect(session.deadline == L.at(60))
        // Asking for less than is left keeps the later deadline: a check-in is a sign of life, never a shortening.
        #expect(try session.checkIn(at: L.at(35), extendBy: .seconds(5 * 60)) == L.at(60))
        #expect(session.state(at: L.at(50)) == .active)
        #expect(
            session.timeline.map(\.kind).dropFirst() == [
                .checkedIn(deadline: L.at(60)), .checkedIn(deadline: L.at(40)),
            ])
        #expect(throws: DomainError.self) { try session.checkIn(at: L.at(40), extendBy: .seconds(60)) }
        #expect(throws: DomainError.self) { try session.checkIn(at: L.at(-1), extendBy: .seconds(600)) }
        let tooLong = #expect(throws: DomainError.self) {
            try session.checkIn(at: L.at(13 * 60), extendBy: .seconds(12 * 3600))
        }
        #expect(tooLong?.message.contains("start a new one") == true)
    }

    @Test func aCheckOutWithTheNormalCodeClosesTheSession() throws {
        var session = L.session()
        let reply = try checkOut(&session, at: L.at(40), code: "blue  FINCH")
        #expect(reply.script == "Thank you, Jo Smith: you are checked out. Your reference is \(L.call).")
        #expect(session.state(at: L.at(40)) == .closed)
        #expect(session.state(at: L.at(600)) == .closed)
        #expect(session.evaluate(at: L.at(600)).isEmpty)
        #expect(session.nextEvaluation(from: L.at(41)) == nil)
        #expect(throws: DomainError.self) { try session.checkIn(at: L.at(41), extendBy: .seconds(600)) }
    }

    @Test func aCodeMatchingNeitherIsRefusedAndRecordsNothing() throws {
        var session = L.session()
        let error = #expect(throws: DomainError.self) { try checkOut(&session, at: L.at(40), code: "bluefinch") }
        #expect(error?.message.contains("ask them to say it again") == true)
        #expect(session.facts == LoneWorkerFacts())
        #expect(session.state(at: L.at(40)) == .active)
    }

    @Test func aMissedCheckOutRaisesAmberAtTheDeadlineAndNotBefore() throws {
        var session = L.session()
        #expect(session.state(at: L.at(45, ms: -1)) == .active)
        #expect(session.evaluate(at: L.at(45, ms: -1)).isEmpty)
        #expect(session.state(at: L.at(45)) == .overdue)
        #expect(session.evaluate(at: L.at(45)) == [.raiseAmber])
        #expect(session.nextEvaluation(from: L.at(45)) == L.at(45))
        try session.record(.raiseAmber, at: L.at(45))
        #expect(session.currentAlert?.amberAtMs != nil)
        #expect(session.evaluate(at: L.at(46)).isEmpty)
        #expect(session.nextEvaluation(from: L.at(46)) == L.at(50))
    }

    @Test func anActionAlreadyRecordedIsNotDueAgainAndCannotBeRecordedTwice() throws {
        var session = L.session()
        #expect(throws: DomainError.self) { try session.record(.raiseAmber, at: L.at(44)) }
        try session.record(.raiseAmber, at: L.at(45))
        for minutes in [45.0, 46, 49] { #expect(session.evaluate(at: L.at(minutes)).isEmpty) }
        #expect(throws: DomainError.self) { try session.record(.raiseAmber, at: L.at(46)) }
        try session.record(.raiseRed(reason: .missedCheckOut), at: L.at(50))
        for minutes in [50.0, 60, 600] { #expect(session.evaluate(at: L.at(minutes)).isEmpty) }
        #expect(throws: DomainError.self) { try session.record(.raiseRed(reason: .missedCheckOut), at: L.at(51)) }
        #expect(throws: DomainError.self) { try session.record(.raiseRed(reason: .duress), at: L.at(51)) }
    }

    @Test func anUnacknowledgedAmberGoesRedWhenTheWindowEnds() throws {
        var session = L.session()
        // The amber was raised 10 s late (the node was busy): the window runs from the raise.
        try session.record(.raiseAmber, at: L.at(45, ms: 10_000))
        #expect(session.state(at: L.at(50, ms: 9_999)) == .overdue)
        #expect(session.evaluate(at: L.at(50, ms: 9_999)).isEmpty)
        #expect(session.state(at: L.at(50, ms: 10_000)) == .red(.missedCheckOut))
        #expect(session.evaluate(at: L.at(50, ms: 10_000)) == [.raiseRed(reason: .missedCheckOut)])
        try session.record(.raiseRed(reason: .missedCheckOut), at: L.at(50, ms: 10_000))
        // Red holds: a check-in cannot clear it, and an acknowledgement is too late.
        #expect(throws: DomainError.self) { try session.checkIn(at: L.at(52), extendBy: .seconds(600)) }
        #expect(throws: DomainError.self) { try session.acknowledge(at: L.at(52), by: L.handler) }
        #expect(session.state(at: L.at(52)) == .red(.missedCheckOut))
    }

    @Test func anAcknowledgementStopsTheAmberGoingRed() throws {
        var session = L.session()
        try session.record(.raiseAmber, at: L.at(45))
        try session.acknowledge(at: L.at(47), by: L.handler)
        #expect(session.currentAlert?.acknowledgement?.by == L.handler)
        for minutes in [50.0, 60, 600] {
            #expect(session.state(at: L.at(minutes)) == .overdue)
            #expect(session.evaluate(at: L.at(minutes)).isEmpty)
        }
        #expect(session.nextEvaluation(from: L.at(50)) == nil)
        let twice = #expect(throws: DomainError.self) { try session.acknowledge(at: L.at(48), by: L.otherHandler) }
        #expect(twice?.message.contains("already acknowledged by wst-akhan") == true)
    }

    @Test func anAcknowledgementBeforeTheDeadlineIsRefused() {
        var session = L.session()
        let error = #expect(throws: DomainError.self) { try session.acknowledge(at: L.at(44), by: L.handler) }
        #expect(error?.message.contains("not overdue until") == true)
    }

    @Test func aHandlerWhoAcknowledgesBeforeTheAmberIsRaisedStopsTheAmberToo() throws {
        var session = L.session()
        try session.acknowledge(at: L.at(45), by: L.handler)
        #expect(session.evaluate(at: L.at(45)).isEmpty)
        #expect(session.evaluate(at: L.at(90)).isEmpty)
    }

    @Test func aCheckInAfterAnAmberGivesTheNewDeadlineAnAlertOfItsOwn() throws {
        var session = L.session()
        try session.record(.raiseAmber, at: L.at(45))
        try session.acknowledge(at: L.at(46), by: L.handler)
        // The handler reaches the officer, who needs another half hour.
        #expect(try session.checkIn(at: L.at(48), extendBy: .seconds(30 * 60)) == L.at(78))
        #expect(session.state(at: L.at(50)) == .active)
        #expect(session.currentAlert == nil)
        #expect(session.evaluate(at: L.at(78)) == [.raiseAmber])
        try session.record(.raiseAmber, at: L.at(78))
        #expect(session.evaluate(at: L.at(83)) == [.raiseRed(reason: .missedCheckOut)])
    }

    @Test func aDuressCheckOutRepliesExactlyAsANormalOneAndIsRedAtOnce() throws {
        var normal = L.session()
        var duress = L.session()
        var calls = (normal: 0, duress: 0)
        let normalReply = try normal.checkOut(at: L.at(20), code: L.normalCode) { code, hash in
            calls.normal += 1
            return L.verify(code, hash)
        }
        let duressReply = try duress.checkOut(at: L.at(20), code: L.duressCode) { code, hash in
            calls.duress += 1
            return L.verify(code, hash)
        }
        #expect(normalReply == duressReply)
        // Both hashes are checked either way, so neither takes longer.
        #expect(calls.normal == 2 && calls.duress == 2)
        #expect(normal.state(at: L.at(20)) == .closed)
        // Red at once, long before the deadline, with no window to wait for.
        #expect(duress.state(at: L.at(20)) == .red(.duress))
        #expect(duress.evaluate(at: L.at(20)) == [.raiseRed(reason: .duress)])
        try duress.record(.raiseRed(reason: .duress), at: L.at(20))
        #expect(duress.evaluate(at: L.at(21)).isEmpty)
        #expect(duress.state(at: L.at(600)) == .red(.duress))
    }

    @Test func aCheckOutIsAnsweredAlikeWhateverTheSessionHasRecorded() throws {
        var closed = L.session()
        _ = try checkOut(&closed, at: L.at(20), code: L.normalCode)
        var again = closed
        let normalAgain = try checkOut(&again, at: L.at(25), code: L.normalCode)
        let duressAfter = try checkOut(&closed, at: L.at(25), code: L.duressCode)
        #expect(normalAgain == duressAfter)
        #expect(again.state(at: L.at(25)) == .closed)
        // A duress code after an ordinary check-out is still a duress.
        #expect(closed.state(at: L.at(25)) == .red(.duress))
        // And an ordinary check-out after a duress does not clear it: only a handler does.
        _ = try checkOut(&closed, at: L.at(30), code: L.normalCode)
        #expect(closed.state(at: L.at(30)) == .red(.duress))
    }

    @Test func aNormalCheckOutAfterAMissedCheckOutRedClosesTheSession() throws {
        var session = L.session()
        try session.record(.raiseAmber, at: L.at(45))
        try session.record(.raiseRed(reason: .missedCheckOut), at: L.at(50))
        _ = try checkOut(&session, at: L.at(55), code: L.normalCode)
        #expect(session.state(at: L.at(55)) == .closed)
        #expect(session.evaluate(at: L.at(55)).isEmpty)
    }

    @Test func aResolutionNeedsANoteAndEndsTheSession() throws {
        var session = L.session()
        try session.record(.raiseAmber, at: L.at(45))
        try session.record(.raiseRed(reason: .missedCheckOut), at: L.at(50))
        #expect(throws: DomainError.self) { try session.resolve(at: L.at(70), by: L.handler, note: " ") }
        try session.resolve(at: L.at(70), by: L.handler, note: "Manager found the officer safe")
        #expect(session.state(at: L.at(70)) == .resolved)
        #expect(session.evaluate(at: L.at(700)).isEmpty)
        #expect(throws: DomainError.self) { try session.checkIn(at: L.at(71), extendBy: .seconds(600)) }
        #expect(throws: DomainError.self) { try session.resolve(at: L.at(72), by: L.handler, note: "again") }
    }

    @Test func aDuressCodeAfterAResolutionIsRedAgainUntilResolvedAgain() throws {
        var session = L.session()
        _ = try checkOut(&session, at: L.at(20), code: L.duressCode)
        try session.record(.raiseRed(reason: .duress), at: L.at(20))
        try session.resolve(at: L.at(40), by: L.handler, note: "Police attended; officer safe")
        #expect(session.state(at: L.at(40)) == .resolved)
        _ = try checkOut(&session, at: L.at(50), code: L.duressCode)
        #expect(session.state(at: L.at(50)) == .red(.duress))
        #expect(session.evaluate(at: L.at(50)) == [.raiseRed(reason: .duress)])
        try session.record(.raiseRed(reason: .duress), at: L.at(50))
        try session.resolve(at: L.at(60), by: L.otherHandler, note: "Officer safe at the depot")
        #expect(session.state(at: L.at(60)) == .resolved)
    }

    @Test func theTimelineShowsEveryTransitionInOrder() throws {
        var session = L.session()
        try session.checkIn(at: L.at(30), extendBy: .seconds(20 * 60))
        try session.record(.raiseAmber, at: L.at(50))
        try session.record(.raiseRed(reason: .missedCheckOut), at: L.at(55))
        _ = try checkOut(&session, at: L.at(58), code: L.duressCode)
        try session.record(.raiseRed(reason: .duress), at: L.at(58))
        try session.resolve(at: L.at(90), by: L.handler, note: "Officer safe")
        #expect(
            session.timeline.map(\.kind) == [
                .started(deadline: L.at(45)), .checkedIn(deadline: L.at(50)), .amberRaised(deadline: L.at(50)),
                .redRaised(.missedCheckOut), .duressCodeGiven, .redRaised(.duress),
                .resolved(by: L.handler, note: "Officer safe"),
            ])
        #expect(session.timeline.map(\.at) == [0, 30, 50, 55, 58, 58, 90].map { L.at($0) })
        #expect(session.timeline[2].description.hasSuffix("amber: no check-out by 2026-11-23T22:50:00.000Z"))
    }

    @Test func enrolmentRefusesCodesTooShortOrTooAlike() {
        func enrol(_ code: String, _ duress: String) throws {
            _ = try LoneWorkerCredentials.enrol(code: code, duressCode: duress) { L.hash($0, salt: 1) }
        }
        #expect(throws: DomainError.self) { try enrol("123", "9876") }
        #expect(throws: DomainError.self) { try enrol("1234", "1234") }
        #expect(throws: DomainError.self) { try enrol("Blue Finch", "blue finch ") }
        let oneApart = #expect(throws: DomainError.self) { try enrol("1234", "1235") }
        #expect(oneApart?.message.contains("at least two") == true)
        #expect(throws: DomainError.self) { try enrol("swallow", "swallows") }
        #expect(throws: Never.self) { try enrol("1234", "1256") }
        #expect(throws: DomainError.self) { try CredentialHash(encoded: "has a space") }
    }

    @Test func codesMatchWhateverTheirCaseAndSpacing() {
        let credentials = L.credentials()
        #expect(credentials.match("  BLUE finch ", verify: L.verify) == .normal)
        #expect(credentials.match("Red\tKite", verify: L.verify) == .duress)
        #expect(credentials.match("redkite", verify: L.verify) == .noMatch)
        #expect(credentials.normal != credentials.duress)
    }
}
