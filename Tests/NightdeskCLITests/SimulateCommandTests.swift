import Foundation
import Testing

/// `nightdesk simulate --model` as an operator runs it.
@Suite struct SimulateCommandTests {
    @Test func theModelPrintsEveryOrganisationsRowAsJSONAndTheSameSeedRepeatsIt() throws {
        let arguments = [
            "simulate", "--model", "--days", "2", "--seed", "9", "--surge", "ENF=x3@18:00-20:00", "--json",
        ]
        let first = try NightdeskBinary.run(arguments)
        #expect(first.status == 0, "\(first)")
        let run = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        let rows = try #require(run["rows"] as? [[String: Any]])
        let enfield = rows.filter { $0["organisation"] as? String == "ENF" }
        #expect(Set(enfield.compactMap { $0["window"] as? String }) == ["before", "during", "after"])
        let total = try #require(run["total"] as? [String: Any])
        let offered = try #require(total["offered"] as? Int)
        let answered = try #require(total["answered"] as? Int)
        let abandoned = try #require(total["abandoned"] as? Int)
        let waiting = try #require(total["waiting"] as? Int)
        #expect(offered > 1_000)
        #expect(offered == answered + abandoned + waiting)
        let again = try NightdeskBinary.run(arguments)
        #expect(again.stdout == first.stdout)
    }

    @Test func theTableHasTheSpecificationsColumns() throws {
        let result = try NightdeskBinary.run(["simulate", "--model", "--days", "1"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("% in SLA"))
        #expect(result.stdout.contains("Abn 0-19s"))
        #expect(result.stdout.contains("ENF   gold"))
    }

    @Test func badInputIsRefusedWithWhatToFix() throws {
        let noModel = try NightdeskBinary.run(["simulate", "--days", "1"])
        #expect(noModel.status == 64)
        #expect(noModel.stderr.contains("--model"))

        let badSurge = try NightdeskBinary.run(["simulate", "--model", "--surge", "ENF=3@18"])
        #expect(badSurge.status == 65)
        #expect(badSurge.stderr.contains("ENF=x3@18:00-20:00"))

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nightdesk-simulate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let staffing = folder.appendingPathComponent("staffing.json")
        let short = Array(repeating: "3", count: 23).joined(separator: ",")
        try Data(#"{"sites":[{"site":"WST","teams":[{"weekday":[\#(short)],"weekend":[\#(short),3]}]}]}"#.utf8)
            .write(to: staffing)
        let badStaffing = try NightdeskBinary.run(["simulate", "--model", "--staffing", staffing.path])
        #expect(badStaffing.status == 65)
        #expect(badStaffing.stderr.contains("give 24"))
    }
}
