import Domain
import Foundation
import Testing

/// `nightdesk lone`: lone-worker sessions from the command line (5.2.3.6).
@Suite struct LoneCommandTests {
    let site: TestSite
    static let codes = ["NIGHTDESK_LONE_CODE": "Blue Finch", "NIGHTDESK_LONE_DURESS": "red kite"]
    /// Monday 21:00 in London: Ealing's dangerous structures option is in service.
    static let startAt = "2026-11-30T21:00"

    init() throws {
        site = try TestSite("WST", gazetteers: false)
    }

    /// Starts a 30-minute session for Jo Smith and returns its reference.
    func start(minutes: String = "30") throws -> String {
        let result = try site.run(
            [
                "lone", "start", "--po", "EAL", "--option", "dangerous-structures", "--answer", "structure_type=Wall",
                "--answer", "immediate_danger=No", "--staff", "eal-jsmith", "--name", "Jo Smith", "--caller-phone",
                "07700 900123", "--location", "12 Heron Walk, Ealing", "--task", "Inspect a bowing wall", "--minutes",
                minutes, "--manager", "eal-mmanager", "--at", Self.startAt, "--json",
            ], environment: Self.codes)
        try #require(result.status == 0, "\(result)")
        return try decode(LoneJSON.self, result.stdout).reference
    }

    func board(at time: String) throws -> [LoneJSON] {
        try decode([LoneJSON].self, try site.ok(["lone", "board", "--at", time, "--json"]).stdout)
    }

    @Test func startingPrintsTheDeadlineAndNeverTakesCodesFromTheCommandLine() throws {
        let reference = try start()
        let entry = try #require(try board(at: "2026-11-30T21:10").first)
        #expect(entry.reference == reference && entry.state == "active")
        #expect(entry.deadline == london("2026-11-30T21:30"))
        #expect(try site.show(reference).call.action.kind.rawValue == "lone-worker")
        // No codes in the environment and none on standard input: refused, nothing written.
        let refused = try site.refusedWritingNothing([
            "lone", "start", "--po", "EAL", "--option", "dangerous-structures", "--answer", "structure_type=Wall",
            "--answer", "immediate_danger=No", "--staff", "eal-jsmith", "--name", "Jo Smith", "--caller-phone",
            "07700 900123", "--location", "x", "--task", "y", "--minutes", "30", "--at", Self.startAt,
        ])
        #expect(refused.stderr.contains("set NIGHTDESK_LONE_CODE"), "\(refused)")
        #expect(try site.run(["lone", "start", "--code", "1234"]).status == 64)
    }

    @Test func aDuressCheckOutPrintsTheSameReplyAsANormalOneAndTurnsTheBoardRed() throws {
        let calm = try start()
        let forced = try start()
        let at = ["--at", "2026-11-30T21:20"]
        let normal = try site.run(["lone", "checkout", calm] + at, environment: ["NIGHTDESK_LONE_CODE": "blue finch"])
        let duress = try site.run(["lone", "checkout", forced] + at, environment: ["NIGHTDESK_LONE_CODE": "Red Kite"])
        #expect(normal.status == 0 && duress.status == 0, "\(normal)\n\(duress)")
        #expect(
            normal.stdout.replacingOccurrences(of: calm, with: "REF")
                == duress.stdout.replacingOccurrences(of: forced, with: "REF"))
        #expect(normal.stderr == duress.stderr)
        let entries = try board(at: "2026-11-30T21:21")
        #expect(entries.map(\.reference) == [forced])
        #expect(entries.first?.state == "red" && entries.first?.redReason == "duress")
        let text = try site.ok(["lone", "board", "--at", "2026-11-30T21:21"]).stdout
        #expect(text.contains("RED (duress)"), "\(text)")
        let shown = try site.ok(["lone", "show", forced, "--at", "2026-11-30T21:21"]).stdout
        #expect(shown.contains("Mon 30 Nov 2026 21:20  DURESS code given"), "\(shown)")
        // No code, or a code matching neither, is refused and writes nothing.
        let none = try site.refusedWritingNothing(["lone", "checkout", calm, "--at", "2026-11-30T21:22"])
        #expect(none.stderr.contains("NIGHTDESK_LONE_CODE"), "\(none)")
        let before = try site.everything()
        let wrong = try site.run(
            ["lone", "checkout", calm, "--at", "2026-11-30T21:22"], environment: ["NIGHTDESK_LONE_CODE": "green finch"])
        #expect(wrong.status == 65 && wrong.stdout.isEmpty, "\(wrong)")
        #expect(try site.everything() == before)
    }

    @Test func checkInAcknowledgeAndResolveFollowTheSession() throws {
        let reference = try start()
        let checked = try site.ok(["lone", "checkin", reference, "--minutes", "45", "--at", "2026-11-30T21:25"])
        #expect(checked.stdout.contains("due out by Mon 30 Nov 2026 22:10"), "\(checked)")
        // Not yet overdue: acknowledging is refused.
        try site.refusedWritingNothing(["lone", "ack", reference, "--at", "2026-11-30T21:30"])
        let amber = try site.ok(["lone", "board", "--at", "2026-11-30T22:11"]).stdout
        #expect(amber.contains("AMBER (overdue)") && amber.contains("due out by Mon 30 Nov 2026 22:10"), "\(amber)")
        let acked = try site.ok(["lone", "ack", reference, "--at", "2026-11-30T22:12"])
        #expect(acked.stdout.contains("Acknowledged amber for \(reference)"), "\(acked)")
        try site.refusedWritingNothing(["lone", "resolve", reference, "--note", " ", "--at", "2026-11-30T22:13"])
        try site.ok(["lone", "resolve", reference, "--note", "found safe by manager", "--at", "2026-11-30T22:20"])
        #expect(try site.ok(["lone", "board", "--at", "2026-11-30T22:21"]).stdout.contains("No lone workers on site."))
        let shown = try site.ok(["lone", "show", reference, "--at", "2026-11-30T22:21"]).stdout
        for line in [
            "21:00  started, due out by Mon 30 Nov 2026 21:30", "21:25  checked in, due out by Mon 30 Nov 2026 22:10",
            "22:12  amber acknowledged by tester", "22:20  resolved by tester: found safe by manager",
        ] {
            #expect(shown.contains(line), "\(shown)")
        }
        let unknown = CallReference(site: try SiteCode("WST"), serial: 999).description
        try site.refusedWritingNothing(["lone", "show", unknown], status: 66)
        try site.refusedWritingNothing(["lone", "ack", unknown], status: 66)
    }

    @Test func anAcknowledgementWindowOutsideTheAgreedRangeIsRefusedAndNothingIsWritten() throws {
        for minutes in ["0", "61", "99999999999"] {
            let refused = try site.run(
                [
                    "lone", "start", "--po", "EAL", "--option", "dangerous-structures", "--answer",
                    "structure_type=Wall", "--answer", "immediate_danger=No", "--staff", "eal-jsmith", "--name",
                    "Jo Smith", "--caller-phone", "07700 900123", "--location", "x", "--task", "y", "--minutes", "30",
                    "--acknowledgement-minutes", minutes, "--at", Self.startAt,
                ], environment: Self.codes)
            #expect(refused.status == 65 && refused.stderr.contains("acknowledgement window"), "\(refused)")
        }
        #expect(try board(at: "2026-11-30T21:10").isEmpty)
    }
}

/// A session as `lone … --json` prints it.
struct LoneJSON: Decodable {
    let reference: String
    let state: String
    let redReason: String?
    let deadline: Date
}
