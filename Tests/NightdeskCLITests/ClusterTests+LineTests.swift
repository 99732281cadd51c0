import Foundation
import Testing

/// Line tests made by running nodes (8.13): each owed test is made once, by the one site the election picks,
/// through the routing a real call takes, and every site holds the same record; a line no site can answer fails and
/// is escalated once.
@Suite(.serialized) struct LineTestClusterTests {
    struct LineTestJSON: Decodable, Hashable {
        struct Slot: Decodable, Hashable {
            let number: String
            let kind: String
            let slotMinute: Int64
        }
        let slot: Slot
        let site: String
        let routeSite: String?
        let escalated: Bool
        let outcome: Outcome

        /// `LineTestOutcome` as JSON: `{"passed": {}}` or `{"failed": {"reason": …}}`.
        struct Outcome: Decodable, Hashable {
            let passed: [String: String]?
            let failed: [String: String]?
        }
    }

    /// The sample catalogue with every Service Option open all day, every day: a low-demand test is then owed on
    /// every number each half hour whatever time the test runs at, and no period ever starts.
    static func alwaysOpenCatalogue(at path: String) throws {
        let text = try String(contentsOfFile: Repository.cataloguePath, encoding: .utf8)
        let days = try NSRegularExpression(
            pattern: #"^(monday|tuesday|wednesday|thursday|friday|saturday|sunday) = \[.*\]$"#,
            options: [.anchorsMatchLines])
        let open = days.stringByReplacingMatches(
            in: text, range: NSRange(text.startIndex..., in: text), withTemplate: #"$1 = ["00:00-24:00"]"#)
        try open.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func lineTests(_ cluster: TestCluster, _ site: String, _ organisation: String) throws -> [LineTestJSON] {
        let result = try cluster.succeed(site, ["line-test", "list", "--po", organisation, "--json"])
        return try decode([LineTestJSON].self, result.stdout)
    }

    @Test func theElectedSiteTestsEachNumberOnceThroughTheRoutingAndEverySiteHoldsTheSameRecord() async throws {
        let cluster = try TestCluster(["WST", "EST", "NTH"])
        try Self.alwaysOpenCatalogue(at: cluster.path("always-open.toml"))
        for site in ["WST", "EST", "NTH"] {
            try cluster.succeed(site, ["init", "--site", site, "--catalogue", cluster.path("always-open.toml"), "--no-gazetteers"])
        }
        // Only EST has a handler, trained for Ealing: Ealing's lines route to EST and pass; nobody can take
        // Enfield's, so its lines fail.
        try cluster.succeed("EST", ["handler", "signin", "--handler", "est-akhan", "--name", "Asha Khan", "--trained", "EAL"])
        try "[lineTests]\nintervalMs = 1000\n".write(toFile: cluster.path("line-tests.toml"), atomically: true, encoding: .utf8)
        // Two sites first: with both needed for a majority, only the first in rank (WST) can ever act.
        for site in ["WST", "EST"] { try cluster.start(site, extraConfig: "lineTests = \"line-tests.toml\"\n") }
        let tested = try await cluster.eventually(seconds: 30) {
            try !lineTests(cluster, "WST", "EAL").isEmpty && !lineTests(cluster, "WST", "ENF").isEmpty
        }
        try #require(tested, "no line tests were recorded within 30 s:\n\(cluster.log("WST"))")
        try cluster.start("NTH", extraConfig: "lineTests = \"line-tests.toml\"\n")
        #expect(try await cluster.converge(["WST", "EST", "NTH"]))
        // A few more evaluations at every site: nothing owed is made twice.
        try await Task.sleep(for: .seconds(3))
        #expect(try await cluster.converge(["WST", "EST", "NTH"]))

        let ealing = try lineTests(cluster, "NTH", "EAL")
        let enfield = try lineTests(cluster, "NTH", "ENF")
        #expect(try lineTests(cluster, "WST", "EAL") == ealing)
        #expect(try lineTests(cluster, "EST", "ENF") == enfield)
        for records in [ealing, enfield] {
            #expect(!records.isEmpty)
            #expect(Set(records.map(\.slot)).count == records.count, "a slot was tested twice: \(records)")
            #expect(records.allSatisfy { $0.site == "WST" && $0.slot.kind == "low-demand" })
        }
        #expect(ealing.allSatisfy { $0.outcome.passed != nil && $0.routeSite == "EST" && !$0.escalated })
        #expect(enfield.allSatisfy { $0.outcome.failed?["reason"]?.contains("no site can take ENF's calls") == true })
        // The first failure of each Enfield number starts the escalation procedure; a later one in the streak (if
        // the test ran across a half hour) does not.
        let first = Dictionary(grouping: enfield, by: \.slot.number).values.map { $0.min { $0.slot.slotMinute < $1.slot.slotMinute }! }
        #expect(first.allSatisfy { $0.escalated })
        // The monthly report counts them.
        let month = String(ISO8601DateFormatter().string(from: Date()).prefix(7))
        let report = try cluster.succeed("EST", ["line-test", "report", "--po", "ENF", "--month", month]).stdout
        #expect(report.contains("failed") && report.contains("FAILED"))
        // Only WST made test calls.
        #expect(cluster.log("WST").contains("line test failed"))
        for site in ["EST", "NTH"] {
            #expect(!cluster.log(site).contains("line test failed") && !cluster.log(site).contains("line test passed"))
        }
    }
}
