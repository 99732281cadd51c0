import Foundation
import Testing

/// Two sites, each its own process and data folder, exchanging change sets by file.
@Suite struct ReplicationByFileTests {
    func exchange(_ from: TestSite, _ to: TestSite) throws -> RunResult {
        let exported = try from.run(["changes", "export"])
        try #require(exported.status == 0, "\(exported)")
        let file = to.root.appendingPathComponent("incoming-\(UUID().uuidString).jsonl").path
        try exported.stdout.write(toFile: file, atomically: true, encoding: .utf8)
        return try to.run(["changes", "import", file])
    }

    func digest(_ site: TestSite, _ extra: [String] = []) throws -> String {
        let result = try site.run(["state", "digest"] + extra)
        try #require(result.status == 0, "\(result)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func twoSitesReachTheSameDigestAfterExchangingChangeSets() throws {
        let west = try TestSite("WST", gazetteers: false)
        let east = try TestSite("EST", gazetteers: false)
        let fromWest = try west.logGraffiti(["--caller-name", "Jane Smith"]).reference
        let fromEast = try east.logGraffiti(["--caller-name", "Raj Patel"]).reference
        #expect(try digest(west) != digest(east))
        #expect(try exchange(west, east).status == 0)
        #expect(try exchange(east, west).status == 0)
        #expect(try digest(west) == digest(east))
        #expect(try digest(west, ["--po", "EAL"]) == digest(east, ["--po", "EAL"]))
        #expect(try Set(west.calls().map(\.reference.description)) == [fromWest, fromEast])
        // Importing the same file again changes nothing.
        let again = try exchange(east, west)
        #expect(again.stdout.contains("0 new"))
        #expect(try digest(west) == digest(east))
    }

    @Test func concurrentAssignmentsShowAsAConflictAtBothSites() throws {
        let west = try TestSite("WST", gazetteers: false)
        let east = try TestSite("EST", gazetteers: false)
        let reference = try west.logGraffiti().reference
        _ = try exchange(west, east)
        #expect(try west.run(["call", "update", reference, "--assign", "Officer Adams"]).status == 0)
        #expect(try east.run(["call", "update", reference, "--assign", "Officer Brown"]).status == 0)
        _ = try exchange(west, east)
        _ = try exchange(east, west)
        for site in [west, east] {
            let shown = try site.run(["call", "show", reference])
            #expect(shown.stdout.contains("CONFLICT"), "\(shown)")
            #expect(shown.stdout.contains("Officer Adams") && shown.stdout.contains("Officer Brown"))
        }
        #expect(try west.run(["call", "update", reference, "--assign", "Officer Brown"]).status == 0)
        _ = try exchange(west, east)
        let resolved = try east.run(["call", "show", reference])
        #expect(!resolved.stdout.contains("CONFLICT"))
        #expect(resolved.stdout.contains("assigned to: Officer Brown"))
    }

    @Test func aFileThatIsNotChangeSetsIsRefusedAndChangesNothing() throws {
        let west = try TestSite("WST", gazetteers: false)
        let before = try digest(west)
        let file = west.root.appendingPathComponent("junk.jsonl").path
        try "{\"hello\": 1}\n".write(toFile: file, atomically: true, encoding: .utf8)
        let result = try west.run(["changes", "import", file])
        #expect(result.status == 65)
        #expect(result.stderr.contains("line 1 is not a change set"))
        #expect(try digest(west) == before)
        let badVector = try west.run(["changes", "export", "--holds", "WST=3"])
        #expect(badVector.status == 65)
        #expect(badVector.stderr.contains("SITE:SEQUENCE"))
    }
}
