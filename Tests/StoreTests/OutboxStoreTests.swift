import Domain
import Foundation
import GRDB
import NightdeskTestSupport
import Replication
import Testing

@testable import Store

/// The outbox in one store and between two: queueing rules, attempts and statuses, replication.
@Suite struct OutboxStoreTests {
    let now = Fixtures.london("2026-11-23 21:00")

    func sms(_ body: String = "Jane Smith\n12 Acacia Avenue\nRef WST-222-223Z", to: String = "07700 900123") throws
        -> OutboxDraft
    {
        OutboxDraft(organisation: try OrganisationCode("EAL"), channel: .sms, recipient: to, body: body)
    }

    func email(subject: String? = "Referral WST-222-223Z: Dangerous structures", body: String = "Wall bowing.\n")
        throws -> OutboxDraft
    {
        OutboxDraft(
            organisation: try OrganisationCode("EAL"), channel: .email, recipient: "Duty.Officer@EALING.gov.uk",
            subject: subject, body: body)
    }

    func later(_ ms: Int64) -> Date { Date(milliseconds: now.milliseconds + ms) }

    @Test func aQueuedMessageKeepsItsRecipientInStoredFormAndWaitsToBeSent() throws {
        let test = try TestDatabase(gazetteer: false)
        let text = try test.database.enqueue(try sms(), at: now)
        let mail = try test.database.enqueue(try email(), at: now)
        let message = try #require(try test.database.outboxMessage(text))
        #expect(message.recipient == "+447700900123")
        #expect(message.status == .queued)
        #expect(message.subject == nil)
        #expect(message.createdBySite == "WST")
        #expect(message.attempts == 0 && message.openAttempt == nil && !message.givenUp)
        #expect(try test.database.outboxMessage(mail)?.recipient == "Duty.Officer@ealing.gov.uk")
        #expect(Set(try test.database.pendingMessages(at: now).map(\.id)) == [text, mail])
    }

    @Test func whatCannotBeSentIsRefusedWholeAndNothingIsWritten() throws {
        let test = try TestDatabase(gazetteer: false)
        let before = try test.database.heldVector()
        let refused: [(OutboxDraft, String)] = [
            (try sms(to: "12345"), "not a valid UK number"),
            (try sms("Snowman ☃ on the roof"), "outside the GSM-7 alphabet ('☃')"),
            (try sms(String(repeating: "a", count: 161)), "161 GSM-7 septets"),
            (try sms(String(repeating: "€", count: 81)), "162 GSM-7 septets"),
            (try sms("   "), "body is empty"),
            (try email(subject: nil), "needs a subject"),
            (try email(subject: "  "), "needs a subject"),
            (try email(subject: "Referral\nBcc: everyone@example.com"), "must be one line"),
            (try email(body: String(repeating: "x", count: OutboxLimits.emailBodyBytesMax + 1)), "bytes; at most"),
        ]
        for (draft, expected) in refused {
            do {
                try test.database.enqueue(draft, at: now)
                Issue.record("\(draft) was queued")
            } catch let error as DomainError {
                #expect(error.message.contains(expected), "\(error.message)")
            }
        }
        var withSubject = try sms()
        withSubject.subject = "Hello"
        #expect(throws: DomainError.self) { try test.database.enqueue(withSubject, at: now) }
        // Several problems are reported together.
        var many = try sms("☃", to: "nope")
        many.subject = "x"
        #expect(throws: DomainErrors.self) { try test.database.enqueue(many, at: now) }
        var unknown = try sms()
        unknown.organisation = try OrganisationCode("ZZZ")
        #expect(throws: DomainError.self) { try test.database.enqueue(unknown, at: now) }
        #expect(try test.count("outbox_message") == 0)
        #expect(try test.database.heldVector() == before)
    }

    @Test func anSMSOfExactly160SeptetsIsAcceptedEvenWithExtensionCharacters() throws {
        let test = try TestDatabase(gazetteer: false)
        // 5.2.5: one SMS; "€" is an extension character and costs two septets.
        try test.database.enqueue(try sms(String(repeating: "€", count: 80)), at: now)
        try test.database.enqueue(try sms(String(repeating: "é", count: 160)), at: now)
        #expect(try test.count("outbox_message") == 2)
    }

    @Test func anAttemptIsRecordedBeforeTheSendAndItsResultAfter() throws {
        let test = try TestDatabase(gazetteer: false)
        let id = try test.database.enqueue(try sms(), at: now)
        let attempt = try test.database.beginAttempt(id, transport: "notify", at: later(1_000))
        let sending = try #require(try test.database.outboxMessage(id))
        #expect(sending.status == .sending)
        #expect(sending.openAttempt?.id == attempt)
        #expect(try test.database.attempts(of: id).map(\.outcome) == [nil])
        try test.database.finishAttempt(attempt, outcome: .sent, providerID: "n-1", error: nil, at: later(2_000))
        let sent = try #require(try test.database.outboxMessage(id))
        #expect(sent.status == .sent && sent.attempts == 1 && sent.openAttempt == nil)
        let recorded = try #require(try test.database.attempts(of: id).first)
        #expect(recorded.site == "WST" && recorded.transport == "notify" && recorded.outcome == .sent)
        #expect(
            recorded.providerID == "n-1" && recorded.startedAt == later(1_000) && recorded.finishedAt == later(2_000))
        // Begin and finish are one change set each, in the organisation's scope.
        let sets = try test.database.changeSets(missingFrom: VersionVector(), limit: 100)
        #expect(sets.suffix(3).map(\.scope) == Array(repeating: .organisation("EAL"), count: 3))
    }

    @Test func aSentMessageIsNeverOfferedOrAttemptedAgain() throws {
        let test = try TestDatabase(gazetteer: false)
        let id = try test.database.enqueue(try sms(), at: now)
        let attempt = try test.database.beginAttempt(id, transport: "file", at: now)
        try test.database.finishAttempt(attempt, outcome: .sent, providerID: nil, error: nil, at: now)
        #expect(try test.database.pendingMessages(at: later(86_400_000)).isEmpty)
        #expect(throws: OutboxError.alreadySent(id)) { try test.database.beginAttempt(id, transport: "file", at: now) }
        #expect(throws: OutboxError.attemptAlreadyFinished(attempt)) {
            try test.database.finishAttempt(attempt, outcome: .failed, providerID: nil, error: "late", at: now)
        }
        #expect(try test.database.outboxMessage(id)?.status == .sent)
    }

    @Test func aFailedMessageIsRetriedAfterAWaitThatDoublesAndGivenUpAfterTheLimit() throws {
        let test = try TestDatabase(gazetteer: false)
        let id = try test.database.enqueue(try email(), at: now)
        let policy = OutboxRetryPolicy(retryDelayMs: 60_000, interruptedAfterMs: 120_000, retryDelayMsMax: 200_000)
        var clock = now.milliseconds
        var waits: [Int64] = []
        for round in 1...OutboxLimits.attemptsMax {
            #expect(try test.database.pendingMessages(at: Date(milliseconds: clock), policy: policy).map(\.id) == [id])
            let attempt = try test.database.beginAttempt(id, transport: "sendmail", at: Date(milliseconds: clock))
            try test.database.finishAttempt(
                attempt, outcome: .failed, providerID: nil, error: "exit 75 (round \(round))",
                at: Date(milliseconds: clock))
            let failed = try #require(try test.database.outboxMessage(id))
            #expect(
                failed.status == .failed && failed.failures == round && failed.lastError == "exit 75 (round \(round))")
            let wait = policy.delayMs(afterFailures: round)
            waits.append(wait)
            // Not offered again before the wait.
            #expect(try test.database.pendingMessages(at: Date(milliseconds: clock + wait - 1), policy: policy).isEmpty)
            clock += wait
        }
        // 1, 2, then 3⅓ minutes (the longest wait allowed here), however many more fail.
        #expect(waits == [60_000, 120_000, 200_000, 200_000, 200_000])
        let gaveUp = try #require(try test.database.outboxMessage(id))
        #expect(gaveUp.givenUp && gaveUp.status == .failed && gaveUp.attempts == OutboxLimits.attemptsMax)
        #expect(try test.database.pendingMessages(at: Date(milliseconds: clock + 86_400_000), policy: policy).isEmpty)
        #expect(throws: OutboxError.givenUp(id, attempts: OutboxLimits.attemptsMax)) {
            try test.database.beginAttempt(id, transport: "sendmail", at: Date(milliseconds: clock + 86_400_000))
        }
        #expect(try test.database.outbox(status: .failed).map(\.id) == [id])
    }

    @Test func theRetryWaitDoublesFromTheFirstAndStopsAtItsBound() {
        let policy = OutboxRetryPolicy()
        #expect(policy.delayMs(afterFailures: 0) == 0)
        #expect((1...6).map(policy.delayMs(afterFailures:)) == [60_000, 120_000, 240_000, 480_000, 600_000, 600_000])
        #expect(OutboxRetryPolicy(retryDelayMs: 0).delayMs(afterFailures: 3) == 0)
        // A first wait above the bound is not cut below itself, and a huge failure count cannot overflow.
        let long = OutboxRetryPolicy(retryDelayMs: 3_600_000)
        #expect(long.delayMs(afterFailures: 1) == 3_600_000 && long.delayMs(afterFailures: Int.max) == 3_600_000)
    }

    @Test func aRejectedMessageIsNotRetriedButMayStillBeSentByHand() throws {
        let test = try TestDatabase(gazetteer: false)
        let id = try test.database.enqueue(try sms(), at: now)
        let first = try test.database.beginAttempt(id, transport: "notify", at: now)
        try test.database.finishAttempt(
            first, outcome: .rejected, providerID: nil, error: "400 BadRequestError", at: now)
        #expect(try test.database.outboxMessage(id)?.givenUp == true)
        #expect(try test.database.pendingMessages(at: later(86_400_000)).isEmpty)
        // A failure is not a state that blocks sent: a later attempt that succeeds marks the message sent.
        let second = try test.database.beginAttempt(id, transport: "file", at: later(1))
        try test.database.finishAttempt(second, outcome: .sent, providerID: nil, error: nil, at: later(2))
        let sent = try #require(try test.database.outboxMessage(id))
        #expect(sent.status == .sent && !sent.givenUp)
    }

    @Test func anOpenAttemptBlocksAnotherUntilItIsTakenAsInterrupted() throws {
        let test = try TestDatabase(gazetteer: false)
        let id = try test.database.enqueue(try sms(), at: now)
        let policy = OutboxRetryPolicy(retryDelayMs: 0, interruptedAfterMs: 120_000)
        let open = try test.database.beginAttempt(id, transport: "notify", at: now)
        // Under way: neither offered nor attempted again.
        #expect(try test.database.pendingMessages(at: later(119_999), policy: policy).isEmpty)
        #expect(throws: OutboxError.attemptUnderWay(id, attempt: open)) {
            try test.database.beginAttempt(id, transport: "notify", at: later(1))
        }
        // Past the bound it was interrupted: offered again, with the open attempt to settle first.
        let offered = try test.database.pendingMessages(at: later(120_000), policy: policy)
        #expect(offered.map(\.id) == [id])
        #expect(offered.first?.openAttempt?.id == open)
        #expect(offered.first?.status == .sending)
        try test.database.finishAttempt(
            open, outcome: .interrupted, providerID: nil, error: "no result", at: later(120_000))
        let next = try test.database.beginAttempt(id, transport: "notify", at: later(120_001))
        #expect(next != open)
        #expect(try test.database.attempts(of: id).map(\.outcome) == [.interrupted, nil])
    }

    @Test func listingFiltersByStatusAndOrganisationNewestFirst() throws {
        let test = try TestDatabase(gazetteer: false)
        let first = try test.database.enqueue(try sms(), at: now)
        let second = try test.database.enqueue(try email(), at: later(1_000))
        var wandle = try sms()
        wandle.organisation = try OrganisationCode("WAN")
        let third = try test.database.enqueue(wandle, at: later(2_000))
        let attempt = try test.database.beginAttempt(first, transport: "file", at: later(3_000))
        try test.database.finishAttempt(attempt, outcome: .sent, providerID: nil, error: nil, at: later(3_000))
        #expect(try test.database.outbox().map(\.id) == [third, second, first])
        #expect(try test.database.outbox(status: .queued).map(\.id) == [third, second])
        #expect(try test.database.outbox(status: .sent).map(\.id) == [first])
        #expect(try test.database.outbox(organisation: try OrganisationCode("WAN")).map(\.id) == [third])
        #expect(try test.database.outbox(status: .sending).isEmpty)
        #expect(try test.database.outbox(limit: 1).map(\.id) == [third])
    }

    @Test func aRawWriteToAnOutboxTableIsRefusedBySQLite() throws {
        let test = try TestDatabase(gazetteer: false)
        let id = try test.database.enqueue(try sms(), at: now)
        for sql in [
            "UPDATE outbox_message SET status = 'sent'", "DELETE FROM outbox_message",
            "INSERT INTO outbox_attempt (uid, message_id, organisation_code, site_code, started_at_ms, transport) "
                + "VALUES ('x', '\(id)', 'EAL', 'WST', 0, 'file')",
        ] {
            #expect(throws: DatabaseError.self, "\(sql)") { try test.database.write { db in try db.execute(sql: sql) } }
        }
        #expect(try test.database.outboxMessage(id)?.status == .queued)
    }

    @Test func outboxRowsReplicateAndOnlyTheQueueingSiteSends() throws {
        let west = try TestDatabase(site: "WST", gazetteer: false)
        let east = try TestDatabase(site: "EST", gazetteer: false)
        func sync(_ from: TestDatabase, to: TestDatabase) throws {
            let missing = try from.database.changeSets(missingFrom: try to.database.heldVector(), limit: 10_000)
            // Received a little after the last write, as a live peer would: not quarantined as from the future.
            let report = try to.database.receive(missing, at: later(100_000))
            #expect(report.refused.isEmpty && report.quarantined.isEmpty)
        }
        let id = try west.database.enqueue(try sms(), at: now)
        let failed = try west.database.beginAttempt(id, transport: "notify", at: later(1))
        try west.database.finishAttempt(
            failed, outcome: .failed, providerID: nil, error: "503 unavailable", at: later(2))
        try sync(west, to: east)
        try sync(east, to: west)
        let seen = try #require(try east.database.outboxMessage(id))
        #expect(seen.status == .failed && seen.attempts == 1 && seen.lastError == "503 unavailable")
        #expect(seen.createdBySite == "WST")
        #expect(try east.database.attempts(of: id) == (try west.database.attempts(of: id)))
        #expect(
            try west.database.stateDigest(organisation: "EAL") == (try east.database.stateDigest(organisation: "EAL")))
        // East holds it but does not send it: West queued it, so West sends it.
        #expect(try east.database.pendingMessages(at: later(86_400_000)).isEmpty)
        #expect(throws: OutboxError.self) { try east.database.beginAttempt(id, transport: "notify", at: later(3)) }
        #expect(throws: OutboxError.self) {
            try east.database.finishAttempt(failed, outcome: .sent, providerID: nil, error: nil, at: later(3))
        }
        let sent = try west.database.beginAttempt(id, transport: "notify", at: later(60_002))
        try west.database.finishAttempt(sent, outcome: .sent, providerID: "n-2", error: nil, at: later(60_003))
        try sync(west, to: east)
        #expect(try east.database.outboxMessage(id)?.status == .sent)
        #expect(try east.database.attempts(of: id).map(\.outcome) == [.failed, .sent])
        #expect(try west.database.stateDigest() == (try east.database.stateDigest()))
        // Delivered again (a duplicate from the network), nothing changes.
        let again = try east.database.receive(
            try west.database.changeSets(missingFrom: VersionVector(), limit: 10_000), at: now)
        #expect(again.applied == 0)
        #expect(try west.database.stateDigest() == (try east.database.stateDigest()))
    }

    /// Two stores of one cluster, and change sets carried between them as the mesh carries them.
    struct Pair {
        let west = try! TestDatabase(site: "WST", gazetteer: false)
        let east = try! TestDatabase(site: "EST", gazetteer: false)

        func sync(_ from: TestDatabase, to: TestDatabase, at instant: Date) throws {
            let missing = try from.database.changeSets(missingFrom: try to.database.heldVector(), limit: 10_000)
            let report = try to.database.receive(missing, at: instant)
            #expect(report.refused.isEmpty && report.quarantined.isEmpty)
        }
    }

    @Test func aSurvivorTakesOverALostSitesMessageOnlyOnceItsUnfinishedAttemptMayNoLongerBeUnderWay() throws {
        let pair = Pair()
        let policy = OutboxRetryPolicy(retryDelayMs: 0, interruptedAfterMs: 120_000)
        let id = try pair.west.database.enqueue(try sms(), at: now)
        // West began an attempt and was lost before its result.
        let lost = try pair.west.database.beginAttempt(id, transport: "file", at: later(1))
        try pair.sync(pair.west, to: pair.east, at: later(2))
        let taking: OutboxQueuers = .sites(["WST"])
        // East does not offer another site's messages unless asked to, nor while West's attempt may be under way.
        #expect(try pair.east.database.pendingMessages(at: later(200_000), policy: policy).isEmpty)
        #expect(try pair.east.database.pendingMessages(at: later(120_000), policy: policy, queuedBy: taking).isEmpty)
        #expect(throws: OutboxError.attemptUnderWay(id, attempt: lost)) {
            try pair.east.database.beginAttempt(id, transport: "file", at: later(60_000), takingOver: true)
        }
        #expect(throws: OutboxError.self) {
            try pair.east.database.beginAttempt(id, transport: "file", at: later(200_000))  // not taking over
        }
        let offered = try pair.east.database.pendingMessages(at: later(120_001), policy: policy, queuedBy: taking)
        #expect(offered.map(\.id) == [id])
        #expect(offered.first?.openAttempt?.id == lost && offered.first?.openAttempt?.site == "WST")
        // Only West records West's attempt's result; East records its own attempt and result.
        #expect(throws: OutboxError.self) {
            try pair.east.database.finishAttempt(lost, outcome: .interrupted, providerID: nil, error: nil, at: later(1))
        }
        let mine = try pair.east.database.beginAttempt(id, transport: "file", at: later(120_001), takingOver: true)
        try pair.east.database.finishAttempt(mine, outcome: .sent, providerID: nil, error: nil, at: later(120_002))
        let sent = try #require(try pair.east.database.outboxMessage(id))
        #expect(sent.status == .sent && sent.sentBySite == "EST" && sent.createdBySite == "WST")
        let attempts = try pair.east.database.attempts(of: id)
        #expect(attempts.map(\.site) == ["WST", "EST"] && attempts.map(\.outcome) == [nil, .sent])
        // West, back and caught up, has nothing to send: the message is sent, whoever sent it.
        try pair.sync(pair.east, to: pair.west, at: later(120_003))
        #expect(try pair.west.database.pendingMessages(at: later(900_000), policy: policy).isEmpty)
        #expect(try pair.west.database.outboxMessage(id)?.sentBySite == "EST")
        #expect(throws: OutboxError.alreadySent(id)) {
            try pair.west.database.beginAttempt(id, transport: "file", at: later(900_000))
        }
    }

    @Test func aLostSitesUnfinishedAttemptCountsTowardsTheLimitAndDoesNotHideLaterFailures() throws {
        let pair = Pair()
        let policy = OutboxRetryPolicy(retryDelayMs: 1_000, interruptedAfterMs: 10_000)
        let id = try pair.west.database.enqueue(try email(), at: now)
        _ = try pair.west.database.beginAttempt(id, transport: "sendmail", at: later(1))
        try pair.sync(pair.west, to: pair.east, at: later(2))
        var clock = later(10_001).milliseconds
        for round in 1..<OutboxLimits.attemptsMax {
            let offered = try pair.east.database.pendingMessages(
                at: Date(milliseconds: clock), policy: policy, queuedBy: .sites(["WST"]))
            #expect(offered.map(\.id) == [id], "round \(round)")
            let attempt = try pair.east.database.beginAttempt(
                id, transport: "sendmail", at: Date(milliseconds: clock), takingOver: true,
                interruptedAfterMs: policy.interruptedAfterMs)
            try pair.east.database.finishAttempt(
                attempt, outcome: .failed, providerID: nil, error: "exit 75", at: Date(milliseconds: clock))
            // West's attempt is still open, yet the message reads failed: the latest attempt has its result.
            #expect(try pair.east.database.outboxMessage(id)?.status == .failed)
            // The wait after a failure holds for a takeover too.
            #expect(
                try pair.east.database.pendingMessages(
                    at: Date(milliseconds: clock + 999), policy: policy, queuedBy: .sites(["WST"])
                ).isEmpty)
            clock += policy.delayMs(afterFailures: round)
        }
        // West's unfinished attempt and East's four failures make the five allowed.
        let message = try #require(try pair.east.database.outboxMessage(id))
        #expect(message.attempts == OutboxLimits.attemptsMax && message.givenUp)
        #expect(
            try pair.east.database.pendingMessages(
                at: Date(milliseconds: clock + 86_400_000), policy: policy, queuedBy: .sites(["WST"])
            ).isEmpty)
    }

    @Test func pendingMessagesOfferOnlyTheQueueingSitesAsked() throws {
        let pair = Pair()
        let westMessage = try pair.west.database.enqueue(try sms(), at: now)
        let eastMessage = try pair.east.database.enqueue(try sms(), at: later(1))
        try pair.sync(pair.west, to: pair.east, at: later(2))
        func offered(_ queuers: OutboxQueuers) throws -> [OutboxMessageID] {
            try pair.east.database.pendingMessages(at: later(3), queuedBy: queuers).map(\.id)
        }
        #expect(try offered(.here) == [eastMessage])
        #expect(try offered(.sites(["WST"])) == [westMessage])
        #expect(try offered(.sites(["WST", "EST"])) == [westMessage, eastMessage])
        #expect(try offered(.sites([])).isEmpty)
        // A site not in the topology any more: its messages come with "unlisted".
        #expect(try offered(.sitesAndUnlisted(["EST"], listed: ["EST", "NTH"])) == [westMessage, eastMessage])
        #expect(try offered(.sitesAndUnlisted([], listed: ["WST", "EST"])).isEmpty)
    }
}
