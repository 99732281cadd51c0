import Foundation
import Testing

/// `nightdesk number show` and `nightdesk route`, run as an operator would (7.1.2–7.1.4, 7.1.7).
@Suite struct RouteCommandTests {
    static var sampleViews: String { Repository.root.appendingPathComponent("Topology/sample-site-views.json").path }

    struct RouteJSON: Decodable {
        struct Answer: Decodable {
            struct Site: Decodable {
                let site: String
                let weightPercent: Int
                let disposition: String
                let reason: String
            }
            let organisation: String
            let option: String
            let standard: String
            let cutOff: String?
            let sites: [Site]
            let pick: String?
            let disposition: String
        }
        let number: String
        let reachedBy: String
        let node: String
        let answer: Answer
    }

    func route(_ arguments: [String]) throws -> RunResult {
        try NightdeskBinary.run(["route", "--catalogue", Repository.cataloguePath] + arguments)
    }

    /// A views file in a temporary folder of its own.
    func viewsFile(_ text: String) throws -> (folder: URL, path: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nightdesk-views-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("views.json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return (folder, path)
    }

    @Test func numberShowPrintsTheMenuAndWhereAKeyLeads() throws {
        let text = try NightdeskBinary.run(["number", "show", "020 7946 0103", "--catalogue", Repository.cataloguePath])
        #expect(text.status == 0, "\(text)")
        #expect(text.stdout.contains("organisation: EAL"), "\(text)")
        #expect(text.stdout.contains("1  dangerous-structures"), "\(text)")
        #expect(text.stdout.contains("after 3 plays the call goes to general-information"), "\(text)")

        let keyed = try NightdeskBinary.run([
            "number", "show", "+442079460103", "--digit", "3", "--json", "--catalogue", Repository.cataloguePath,
        ])
        #expect(keyed.status == 0, "\(keyed)")
        #expect(keyed.stdout.contains(#""reaches" : "homeless-families""#), "\(keyed)")
        #expect(keyed.stdout.contains(#""kind" : "menu""#), "\(keyed)")

        let dedicated = try NightdeskBinary.run([
            "number", "show", "020 7946 0102", "--catalogue", Repository.cataloguePath,
        ])
        #expect(dedicated.stdout.contains("dedicated number: noise-patrol"), "\(dedicated)")
        let unknown = try NightdeskBinary.run(["number", "show", "020 7946 0555", "--catalogue", Repository.cataloguePath])
        #expect(unknown.status == 66 && unknown.stderr.contains("is not in the catalogue"), "\(unknown)")
    }

    @Test func routePrintsEachSitesWeightAndReasonAndTheSameAnswerEveryTime() throws {
        let arguments = [
            "--number", "020 7946 0103", "--digit", "1", "--views", Self.sampleViews, "--caller", "07700 900123",
            "--at", "2026-11-21T22:00:00Z", "--json",
        ]
        let first = try route(arguments)
        #expect(first.status == 0, "\(first)")
        let answer = try JSONDecoder().decode(RouteJSON.self, from: Data(first.stdout.utf8))
        #expect(answer.reachedBy == "key 1 on play 1 of the menu")
        #expect(answer.answer.option == "dangerous-structures" && answer.answer.standard == "gold")
        #expect(answer.answer.sites.map(\.weightPercent).reduce(0, +) == 100)
        let north = try #require(answer.answer.sites.first { $0.site == "NTH" })
        #expect(north.weightPercent == 0 && north.reason.hasPrefix("draining"), "\(north)")
        #expect(["WST", "EST"].contains(answer.answer.pick ?? ""))
        #expect(answer.answer.disposition == "answer")
        // Another process, the same heartbeats and call: the same answer, byte for byte.
        let second = try route(arguments)
        #expect(second.stdout == first.stdout)

        let text = try route(Array(arguments.dropLast()))
        #expect(text.stdout.contains("→ EAL dangerous-structures (gold), by key 1 on play 1 of the menu"), "\(text)")
        #expect(text.stdout.contains("NTH   0%  draining"), "\(text)")
    }

    @Test func withNoKeyAMenuCallReachesItsDefault() throws {
        let result = try route(["--number", "020 7946 0163", "--views", Self.sampleViews, "--json"])
        #expect(result.status == 0, "\(result)")
        let answer = try JSONDecoder().decode(RouteJSON.self, from: Data(result.stdout.utf8))
        #expect(answer.answer.organisation == "PEA" && answer.answer.option == "housing-repairs")
        #expect(answer.reachedBy.contains("the menu's default"))
    }

    @Test func aCutOffNodeSaysWhatItCannotSeeAndRoutesOnlyToItself() throws {
        var text = try String(contentsOfFile: Self.sampleViews, encoding: .utf8)
        text = text.replacingOccurrences(of: #""seen": ["WST", "EST", "NTH"]"#, with: #""seen": ["WST"]"#)
        let file = try viewsFile(text)
        defer { try? FileManager.default.removeItem(at: file.folder) }
        let result = try route(["--number", "020 7946 0101", "--views", file.path])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("cut off: cannot see EST, NTH"), "\(result)")
        #expect(result.stdout.contains("goes to WST"), "\(result)")
    }

    @Test func aBadViewsFileIsRefusedWithEveryProblemAndTheFileNamed() throws {
        var text = try String(contentsOfFile: Self.sampleViews, encoding: .utf8)
        text = text.replacingOccurrences(
            of: #""node": "WST","#,
            with: #""node": "WST", "split": [{"site": "WST", "percent": 65}, {"site": "EST", "percent": 30}],"#)
        let file = try viewsFile(text)
        defer { try? FileManager.default.removeItem(at: file.folder) }
        let result = try route(["--number", "020 7946 0101", "--views", file.path])
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains(file.path), "\(result)")
        #expect(result.stderr.contains("gives WST 65%: use a multiple of 10"), "\(result)")
        #expect(result.stderr.contains("add up to 95%"), "\(result)")
        #expect(result.stdout.isEmpty)

        let missing = try route(["--number", "020 7946 0101", "--views", file.folder.appendingPathComponent("none.json").path])
        #expect(missing.status == 74 && missing.stderr.contains("--views FILE.json"), "\(missing)")
    }

    @Test func aGeneralNumberNeedsTheOptionTheHandlerPicked() throws {
        let refused = try route(["--number", "020 7946 0100", "--views", Self.sampleViews])
        #expect(refused.status == 64, "\(refused)")
        #expect(refused.stderr.contains("is a general number"), "\(refused)")
        let routed = try route(["--number", "020 7946 0100", "--option", "trees", "--views", Self.sampleViews])
        #expect(routed.status == 0 && routed.stdout.contains("picked by the handler"), "\(routed)")
        let badKey = try route(["--number", "020 7946 0103", "--digit", "12", "--views", Self.sampleViews])
        #expect(badKey.status == 65 && badKey.stderr.contains("not on a telephone keypad"), "\(badKey)")
    }

    /// The menu survives the store: loaded by `init`, replicated as a catalogue row, read back (migration v11).
    @Test func aMenuLoadedIntoANodesStoreResolvesTheSame() throws {
        let site = try TestSite("WST", gazetteers: false)
        let shown = try site.run(["number", "show", "020 7946 0163", "--digit", "2"])
        #expect(shown.status == 0, "\(shown)")
        #expect(shown.stdout.contains("reaches: housing-carpenter"), "\(shown)")
        let participants = try site.run(["participants", "show", "PEA"])
        #expect(participants.stdout.contains("menu: 1 plumber, 2 housing-carpenter, 3 lift-repairs; default housing-repairs"), "\(participants)")
    }
}
