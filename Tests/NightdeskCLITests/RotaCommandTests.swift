import Foundation
import Testing

/// `contact`, `rota` and `procedure`: a PO's Regularly Variable Data, changed at once (2.3.3, 7.5, 14.4).
@Suite struct RotaCommandTests {
    let site: TestSite

    init() throws {
        site = try TestSite("WST", gazetteers: false)
        try site.loadSampleRotas()
    }

    /// A day from now, as the command line takes it, for overrides in force from now.
    func tomorrow() -> String { ISO8601DateFormatter().string(from: Date().addingTimeInterval(86_400)) }

    func who(_ arguments: [String]) throws -> WhoJSON {
        try decode(WhoJSON.self, try site.ok(["rota", "who", "--json"] + arguments).stdout)
    }

    @Test func contactsAreAddedUpdatedListedAndWithdrawn() throws {
        let added = try site.ok([
            "contact", "add", "--po", "EAL", "--id", "eal-fgrey", "--name", "Fran Grey", "--mobile", "07700 900816",
            "--email", "fran.grey@example.org", "--manager", "eal-pmorgan",
        ])
        #expect(added.stdout.contains("Added eal-fgrey  Fran Grey (EAL, duty-officer)"), "\(added)")
        #expect(added.stdout.contains("SMS 07700 900816"), "\(added)")
        let updated = try site.ok(["contact", "update", "--id", "eal-fgrey", "--phone", "020 7946 0816", "--email", ""])
        #expect(updated.stdout.contains("phone 020 7946 0816, SMS 07700 900816"), "\(updated)")
        #expect(!updated.stdout.contains("email"), "an empty value removes it: \(updated)")
        let listed = try site.ok(["contact", "list", "--po", "EAL", "--json"]).stdout
        #expect(listed.contains("\"id\" : \"eal-fgrey\""), "\(listed)")
        #expect(try site.ok(["contact", "withdraw", "--id", "eal-fgrey"]).stdout.contains("Withdrew eal-fgrey"))
        #expect(!(try site.ok(["contact", "list", "--po", "EAL"]).stdout.contains("eal-fgrey")))
        #expect(try site.ok(["contact", "list", "--po", "EAL", "--all"]).stdout.contains("eal-fgrey  Fran Grey"))
        // Importing the same file again changes nothing.
        let again = try site.ok(["contact", "import", "--file", RotaSamples.path("eal-contacts.toml")])
        #expect(again.stdout.contains("0 added, 0 changed, 7 unchanged"), "\(again)")
    }

    @Test func whoIsOnCallListsEachStageWithChannelsAndTheRuleThatPutThemThere() throws {
        let text = try site.ok([
            "rota", "who", "--po", "EAL", "--option", "dangerous-structures", "--at", RotaSamples.mondayNight,
        ]).stdout
        #expect(text.contains("rota eal-dangerous-structures"), "\(text)")
        #expect(text.contains("1. Chetan Patel (eal-cpatel), duty-officer"), "\(text)")
        #expect(text.contains("sms 07700 900813 · email chetan.patel@example.org"), "\(text)")
        #expect(text.contains("why: stage 1, layer 'weekly' (priority 1), turn 47"), "\(text)")
        #expect(text.contains("2. Emma Wright (eal-ewright)"), "\(text)")
        #expect(text.contains("3. Pat Morgan (eal-pmorgan), manager"), "\(text)")
        // At the weekend the weekend layer, of higher priority, answers for stage 1.
        let weekend = try who(["--po", "EAL", "--option", "dangerous-structures", "--at", "2026-11-28T12:00"])
        #expect(weekend.stages.first?.people.first?.reason.layer == "weekend")
        // A sub-category rota answers inside its hours and the general one outside them (7.5).
        let night = try who([
            "--po", "ENF", "--option", "housing-repairs", "--sub-category", "Heating", "--at", RotaSamples.mondayNight,
        ])
        #expect(night.rota == "enf-housing-repairs-heating")
        #expect(night.ids(stage: 1) == ["enf-warmhomes"])
        let day = try who([
            "--po", "ENF", "--option", "housing-repairs", "--sub-category", "heating", "--at", "2026-12-01T12:00",
        ])
        #expect(day.rota == "enf-housing-repairs")
        let shown = try site.ok(["rota", "show", "eal-dangerous-structures"]).stdout
        #expect(
            shown.contains("layer 'weekend' priority 2: daily, handoff 00:00 from 2026-01-03; only sat,sun"), "\(shown)"
        )
        #expect(try site.ok(["rota", "show", "--po", "ENF"]).stdout.contains("enf-housing-repairs-heating"))
        let procedure = try site.ok(["procedure", "show", "--po", "EAL", "--option", "dangerous-structures"]).stdout
        #expect(procedure.contains("step 3: managers of stage 1 by phone"), "\(procedure)")
        let standard = try site.ok(["procedure", "show", "--po", "EAL", "--option", "noise-patrol"]).stdout
        #expect(standard.contains("no procedure set"), "\(standard)")
    }

    @Test func aRotaGapIsSaidPlainlyAndStillExitsZero() throws {
        let result = try site.run([
            "rota", "who", "--po", "EAL", "--option", "noise-patrol", "--at", RotaSamples.mondayNight,
        ])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.hasPrefix("ROTA GAP: EAL has no rota for noise-patrol"), "\(result)")
        let json = try who(["--po", "EAL", "--option", "noise-patrol"])
        #expect(json.rotaGap && json.stages.isEmpty)
        let gaps = try site.ok(["rota", "gaps", "--po", "EAL", "--days", "2", "--from", "2026-12-04T00:00"]).stdout
        #expect(gaps.contains("noise-patrol: nobody on call"), "\(gaps)")
        #expect(!gaps.contains("dangerous-structures"), "\(gaps)")
        let hours = try site.ok(["rota", "hours", "--po", "EAL", "--month", "2026-11"]).stdout
        #expect(hours.contains("eal-pmorgan  720.0 h"), "\(hours)")
    }

    @Test func overridesChangeWhoIsOnCallAtOnceAndCanBeCancelled() throws {
        let at = ["--po", "EAL", "--option", "dangerous-structures", "--at", RotaSamples.futureMonday]
        #expect(try who(at).ids(stage: 1) == ["eal-asmith"])
        let added = try site.ok([
            "rota", "override", "add", "eal-dangerous-structures", "--id", "alex-away", "--take-shift", "--of",
            "eal-asmith", "--by", "eal-bjones", "--from", "2030-11-25T17:00", "--to", "2030-11-26T09:00", "--reason",
            "Alex on leave",
        ]).stdout
        #expect(
            added.contains("Added alex-away (rota eal-dangerous-structures, stage 1): eal-bjones covering eal-asmith"))
        #expect(added.contains("future-dated"), "\(added)")
        let covered = try who(at)
        #expect(covered.ids(stage: 1) == ["eal-bjones"])
        #expect(covered.stages.first?.people.first?.reason.override == "alex-away")
        // A swap of stage 2 shifts: two overrides in one change.
        try site.ok([
            "rota", "override", "add", "eal-dangerous-structures", "--id", "seniors-swap", "--stage", "2", "--swap",
            "--of", "eal-ewright", "--by", "eal-dokafor", "--from", "2030-11-25T09:00", "--to", "2030-12-02T09:00",
            "--back-from", "2030-12-02T09:00", "--back-to", "2030-12-09T09:00",
        ])
        #expect(try who(at).ids(stage: 2) == ["eal-dokafor"])
        let listed = try site.ok(["rota", "override", "list", "eal-dangerous-structures"]).stdout
        #expect(listed.contains("seniors-swap-back"), "\(listed)")
        #expect(listed.contains("to come"), "\(listed)")
        let cancelled = try site.ok(["rota", "override", "cancel", "eal-dangerous-structures", "alex-away"]).stdout
        #expect(cancelled.contains("removed (it had not started)"), "\(cancelled)")
        #expect(try who(at).ids(stage: 1) == ["eal-asmith"])
        // An immediate override is in force at once.
        try site.ok([
            "rota", "override", "add", "eal-dangerous-structures", "--id", "now", "--person", "eal-ewright",
            "--from", "now", "--to", tomorrow(),
        ])
        let now = try who(["--po", "EAL", "--option", "dangerous-structures"])
        #expect(now.ids(stage: 1) == ["eal-ewright"])
        #expect(
            try site.ok(["rota", "override", "list", "eal-dangerous-structures", "--json"]).stdout.contains(
                "\"immediate\""))
    }

    @Test func refusedChangesSayWhyAndWriteNothing() throws {
        let stranger = try site.write(
            "stranger.toml",
            """
            id = "eal-noise"
            organisation = "EAL"
            option = "noise-patrol"
            [[stage]]
            number = 1
              [[stage.layer]]
              length = "weekly"
              handoff = "09:00"
              start = "2026-01-05"
              people = ["eal-asmith", "enf-gevans", "eal-nobody"]
            """)
        let rota = try site.refusedWritingNothing(["rota", "set", "--file", stranger])
        #expect(rota.stderr.contains("names enf-gevans of ENF"), "\(rota)")
        #expect(rota.stderr.contains("names eal-nobody, who is not a contact"), "\(rota)")
        let notOperated = try site.write(
            "repairs.toml",
            """
            id = "eal-repairs"
            organisation = "EAL"
            option = "housing-repairs"
            [[stage]]
            number = 1
              [[stage.layer]]
              length = "weekly"
              handoff = "09:00"
              start = "2026-01-05"
              people = ["eal-asmith"]
            """)
        let option = try site.refusedWritingNothing(["rota", "set", "--file", notOperated])
        #expect(option.stderr.contains("does not operate the Service Option 'housing-repairs'"), "\(option)")
        let broken = try site.refusedWritingNothing(["rota", "set", "--file", try site.write("broken.toml", "id = ")])
        #expect(broken.stderr.contains("broken.toml"), "\(broken)")
        try site.refusedWritingNothing(
            ["rota", "set", "--file", site.root.appendingPathComponent("none.toml").path], status: 74)
        let sms = try site.refusedWritingNothing([
            "contact", "add", "--po", "EAL", "--id", "eal-x", "--name", "X", "--mobile", "020 7946 0800",
        ])
        #expect(sms.stderr.contains("is not a UK mobile number"), "\(sms)")
        let prefix = try site.refusedWritingNothing([
            "contact", "add", "--po", "EAL", "--id", "xavier", "--name", "X", "--phone", "020 7946 0800",
        ])
        #expect(prefix.stderr.contains("must begin with its organisation's code"), "\(prefix)")
        try site.refusedWritingNothing([
            "contact", "add", "--po", "EAL", "--id", "eal-asmith", "--name", "Again", "--phone", "020 7946 0800",
        ])
        let onRota = try site.refusedWritingNothing(["contact", "withdraw", "--id", "eal-bjones"])
        #expect(onRota.stderr.contains("rota eal-dangerous-structures"), "\(onRota)")
        try site.refusedWritingNothing(["contact", "update", "--id", "eal-nobody", "--name", "X"], status: 66)
        #expect(try site.run(["rota", "show", "eal-nothing"]).status == 66)
        try site.refusedWritingNothing(
            [
                "rota", "override", "add", "eal-nothing", "--id", "x", "--person", "eal-asmith", "--from", "now",
                "--to",
                tomorrow(),
            ], status: 66)
        let past = try site.refusedWritingNothing([
            "rota", "override", "add", "eal-dangerous-structures", "--id", "x", "--person", "eal-asmith", "--from",
            "2026-01-01T00:00", "--to", "2026-01-02T00:00",
        ])
        #expect(past.stderr.contains("which has passed"), "\(past)")
        try site.refusedWritingNothing(
            ["rota", "override", "cancel", "eal-dangerous-structures", "nothing"], status: 66)
        let usage = try site.run([
            "rota", "override", "add", "eal-dangerous-structures", "--id", "x", "--from", "now", "--to", "now",
        ])
        #expect(usage.status == 64, "\(usage)")
        let procedure = try site.write(
            "procedure.toml",
            """
            organisation = "EAL"
            option = "dangerous-structures"
            [[step]]
            target = "stage 1"
            channels = ["phone"]
            acknowledgementWaitMinutes = 5
            [whenExhausted]
            emergencyContacts = ["enf-rkhan"]
            """)
        let fallback = try site.refusedWritingNothing(["procedure", "set", "--file", procedure])
        #expect(fallback.stderr.contains("enf-rkhan of ENF"), "\(fallback)")
        let unknown = try site.run(["rota", "who", "--po", "XYZ", "--option", "noise-patrol"])
        #expect(unknown.status == 65 && unknown.stderr.contains("organisation XYZ is not served here"), "\(unknown)")
    }
}
