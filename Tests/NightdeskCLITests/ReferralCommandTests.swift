import Domain
import Foundation
import Testing

/// `call refer` and `referral`: passing a call to On-call Duty Staff within the time limit (6.4b), escalating when
/// nobody answers (5.3.2).
@Suite struct ReferralCommandTests {
    let site: TestSite

    init() throws {
        site = try TestSite("WST", gazetteers: false)
        try site.loadSampleRotas()
    }

    func next(_ reference: String, at time: String) throws -> ReferralJSON {
        try decode(ReferralJSON.self, try site.ok(["referral", "next", reference, "--at", time, "--json"]).stdout)
    }

    @Test func referringACallPrintsTheDeadlineTheFirstContactAndTheSMS() throws {
        let reference = try site.logStructuresCall()
        let result = try site.ok(["call", "refer", reference, "--at", "2026-11-30T21:01"])
        // Ealing sets no limit of its own: 10 minutes after the call ended at 21:00 (6.4b).
        #expect(result.stdout.contains("pass it on by Mon 30 Nov 2026 21:10 (6.4b)"), "\(result)")
        // Chetan Patel has no landline, so step 1 starts with his SMS; the text is what would be sent.
        #expect(result.stdout.contains("first: step 1: SMS 07700 900813 to Chetan Patel (eal-cpatel)"), "\(result)")
        #expect(result.stdout.contains("Ref \(reference)"), "\(result)")
        #expect(result.stdout.contains("email subject: Referral \(reference): Dangerous structures (EAL)"), "\(result)")
        #expect(try site.show(reference).call.status.rawValue == "referred")
        let referral = try next(reference, at: "2026-11-30T21:02")
        #expect(referral.deadline == london("2026-11-30T21:10"))
        #expect(referral.status == "open" && referral.next.contact == "eal-cpatel")
        // A second referral of the same call is refused, and nothing is written.
        let again = try site.refusedWritingNothing(["call", "refer", reference, "--at", "2026-11-30T21:02"])
        #expect(again.stderr.contains("was referred at 2026-11-30 21:01"), "\(again)")
    }

    @Test func attemptsFollowTheProcedureAndEscalateToStageTwo() throws {
        let reference = try site.logStructuresCall()
        try site.ok(["call", "refer", reference, "--at", "2026-11-30T21:01"])
        let sent = try site.ok([
            "referral", "attempt", reference, "--channel", "sms", "--contact", "eal-cpatel", "--outcome", "sent",
            "--at", "2026-11-30T21:02",
        ]).stdout
        #expect(sent.contains("Referral passed."), "\(sent)")
        let waiting = try next(reference, at: "2026-11-30T21:03")
        #expect(waiting.next.kind == "wait")
        #expect(waiting.passedAt == london("2026-11-30T21:02"))
        // After step 1's five minutes, stage 2: Emma Wright by phone.
        let escalated = try next(reference, at: "2026-11-30T21:07")
        #expect(escalated.next.kind == "contact" && escalated.next.step == 2 && escalated.next.contact == "eal-ewright")
        let text = try site.ok(["referral", "next", reference, "--at", "2026-11-30T21:07"]).stdout
        #expect(text.contains("next: step 2: phone 020 7946 0815 to Emma Wright (eal-ewright)"), "\(text)")
        // Out of turn: the procedure asks for Emma's phone, not Pat's.
        let refused = try site.refusedWritingNothing([
            "referral", "attempt", reference, "--channel", "phone", "--contact", "eal-pmorgan", "--outcome", "answered",
            "--at", "2026-11-30T21:08",
        ])
        #expect(refused.stderr.contains("the procedure says to contact Emma Wright"), "\(refused)")
        try site.refusedWritingNothing([
            "referral", "attempt", reference, "--channel", "phone", "--contact", "eal-ewright", "--outcome", "sent",
            "--at", "2026-11-30T21:08",
        ])
        let answered = try site.ok([
            "referral", "attempt", reference, "--channel", "phone", "--contact", "eal-ewright", "--outcome", "answered",
            "--at", "2026-11-30T21:08", "--json",
        ]).stdout
        let done = try decode(ReferralJSON.self, answered)
        #expect(done.status == "acknowledged" && done.acknowledgedBy == "eal-ewright" && done.next.kind == "done")
        #expect(try site.ok(["referral", "list"]).stdout.contains("No referrals waiting."))
        let times = try site.ok(["referral", "times", "--po", "EAL", "--month", "2026-11"]).stdout
        #expect(times.contains("dangerous-structures: 1 passed on, average 2:00, longest 2:00"), "\(times)")
        let unknown = CallReference(site: try SiteCode("WST"), serial: 5_000).description
        #expect(try site.run(["referral", "next", unknown, "--at", "2026-11-30T21:08"]).status == 66)
    }

    @Test func theNextSMSGoesToTheOutboxAndAPhoneStepIsLeftToAPerson() throws {
        let reference = try site.logStructuresCall()
        try site.ok(["call", "refer", reference, "--at", "2026-11-30T21:01"])
        // Step 1 is Chetan Patel's SMS: queued once, with the referral text, for `outbox send` to deliver.
        let queued = try site.ok(["referral", "next", reference, "--at", "2026-11-30T21:02", "--queue"]).stdout
        #expect(queued.contains("queued sms to Chetan Patel as outbox message"), "\(queued)")
        let outbox = try site.ok(["outbox", "list", "--json"]).stdout
        #expect(outbox.contains("+447700900813") && outbox.contains(reference), "\(outbox)")
        // Stage 2 starts with a phone call, which a person makes: nothing is queued.
        try site.ok([
            "referral", "attempt", reference, "--channel", "sms", "--contact", "eal-cpatel", "--outcome", "sent",
            "--at", "2026-11-30T21:02",
        ])
        let phone = try site.run(["referral", "next", reference, "--at", "2026-11-30T21:07", "--queue"])
        #expect(phone.status == 65 && phone.stderr.contains("which a person does"), "\(phone)")
        #expect(try site.ok(["outbox", "list", "--json"]).stdout == outbox)
    }

    @Test func supervisorsSeeOverdueReferralsAndGapsGoStraightToTheFallback() throws {
        // A call that ended on Saturday night and was referred but never passed on is overdue by now.
        let late = try site.logStructuresCall(offered: "2026-11-21T21:55", ended: "2026-11-21T22:00")
        try site.ok(["call", "refer", late, "--at", "2026-11-21T22:01"])
        let listed = try decode([ReferralJSON].self, try site.ok(["referral", "list", "--overdue", "--json"]).stdout)
        #expect(listed.map(\.reference) == [late])
        #expect(
            try site.ok(["referral", "list", "--overdue"]).stdout.contains(
                "\(late)  EAL dangerous-structures  open OVERDUE"))
        // Ealing has no noise patrol rota: the referral is made, and the handler is told to follow the fallback.
        let noise = try site.log([
            "--po", "EAL", "--option", "noise-patrol", "--answer", "noise_source=Music or party", "--answer",
            "ongoing_now=Yes",
            "--offered-at", Times.fridayLate,
        ]).reference
        let gap = try site.ok(["call", "refer", noise, "--at", "2026-11-20T23:05"]).stdout
        #expect(gap.contains("ROTA GAP: EAL has no rota for noise-patrol"), "\(gap)")
        #expect(gap.contains("no procedure set for this option: following the standard one"), "\(gap)")
        #expect(gap.contains("first: everyone in the procedure has been tried (5.3.2); alert the supervisor"), "\(gap)")
    }
}
