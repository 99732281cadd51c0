import Foundation
import Testing

/// Rotas, overrides and referrals made at one site reach another by `changes export`/`import` (2.3.3: changes are
/// immediately actionable at every site).
@Suite struct RotaReplicationTests {
    func exchange(_ from: TestSite, _ to: TestSite) throws {
        let exported = try from.ok(["changes", "export"])
        let file = to.root.appendingPathComponent("incoming-\(UUID().uuidString).jsonl").path
        try exported.stdout.write(toFile: file, atomically: true, encoding: .utf8)
        try to.ok(["changes", "import", file])
    }

    func digest(_ site: TestSite, _ extra: [String] = []) throws -> String {
        try site.ok(["state", "digest"] + extra).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func rotasOverridesAndReferralsReplicateToEqualDigestsAndAnswers() throws {
        let west = try TestSite("WST", gazetteers: false)
        let east = try TestSite("EST", gazetteers: false)
        try west.loadSampleRotas()
        try west.ok([
            "rota", "override", "add", "eal-dangerous-structures", "--id", "cover", "--take-shift", "--of",
            "eal-asmith",
            "--by", "eal-bjones", "--from", "2030-11-25T17:00", "--to", "2030-11-26T09:00",
        ])
        let reference = try west.logStructuresCall()
        try west.ok(["call", "refer", reference, "--at", "2026-11-30T21:01"])
        #expect(try digest(west, ["--po", "EAL"]) != digest(east, ["--po", "EAL"]))
        try exchange(west, east)
        #expect(try digest(west) == digest(east))
        for code in ["EAL", "ENF"] {
            #expect(try digest(west, ["--po", code]) == digest(east, ["--po", code]))
        }
        let who = [
            "rota", "who", "--po", "EAL", "--option", "dangerous-structures", "--at", RotaSamples.futureMonday,
            "--json",
        ]
        #expect(try west.ok(who).stdout == east.ok(who).stdout)
        #expect(try decode(WhoJSON.self, east.ok(who).stdout).ids(stage: 1) == ["eal-bjones"])
        // The east site follows the referral on: its attempt reaches the west, and both agree on what is next.
        try east.ok([
            "referral", "attempt", reference, "--channel", "sms", "--contact", "eal-cpatel", "--outcome", "sent",
            "--at", "2026-11-30T21:02",
        ])
        // Meanwhile the west cancels the cover and changes a contact.
        try west.ok(["rota", "override", "cancel", "eal-dangerous-structures", "cover"])
        try west.ok(["contact", "update", "--id", "eal-bjones", "--mobile", "07700 900817"])
        try exchange(east, west)
        try exchange(west, east)
        #expect(try digest(west) == digest(east))
        let next = ["referral", "next", reference, "--at", "2026-11-30T21:03", "--json"]
        #expect(try west.ok(next).stdout == east.ok(next).stdout)
        #expect(try decode(ReferralJSON.self, west.ok(next).stdout).status == "passed")
        #expect(try decode(WhoJSON.self, east.ok(who).stdout).ids(stage: 1) == ["eal-asmith"])
        #expect(try east.ok(["contact", "list", "--po", "EAL"]).stdout.contains("SMS 07700 900817"))
    }
}
