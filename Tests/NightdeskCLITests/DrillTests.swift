import Foundation
import Testing

/// `nightdesk drill run`'s refusals and failed criteria, with real node processes on 127.0.0.1 (the runbooks
/// themselves run in `DrillRunbookTests`).
@Suite("Drill runner", .serialized)
struct DrillRunnerTests {
    @Test func aDrillWhoseCriteriaCannotBeMetExitsOneAndListsThem() async throws {
        let folder = try DrillFolder()
        // Nodes mark a peer down after 3 s of silence (peerDownAfterMs): 1 s cannot be met.
        let runbook = try folder.runbook(
            """
            [drill]
            name = "impossible"
            scenario = "8.1 e"
            sites = ["WST", "EST"]
            compression = 10

            [phases]
            beforeSeconds = 20
            faultSeconds = 30
            afterSeconds = 20

            [fault]
            inject = "power-failure EST"

            [load]
            callsPerHour = 720
            handlingSeconds = 20

            [pass]
            detectionSecondsMax = 1
            """)
        let result = try await folder.run(runbook)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("the drill failed: detection time"), "\(result)")
        // Detected after about 3 s, or not at all within the 3 s fault phase: either way over the 1 s limit.
        #expect(
            result.stdout.split(separator: "\n").contains { $0.hasPrefix("FAIL  detection time: ") && $0.hasSuffix("(limit ≤ 1 s)") },
            "\(result)")
        #expect(FileManager.default.fileExists(atPath: "\(folder.out)/report.html"))
        #expect(folder.runningNodes().isEmpty)
    }

    @Test func aDrillInterruptedDuringItsFaultPutsTheClusterBackReportsAndStopsItsNodes() async throws {
        let folder = try DrillFolder()
        // 4 s before, 20 s of evacuation, 4 s after: SIGINT arrives 10 s in, with WST evacuated.
        let runbook = try folder.runbook(
            """
            [drill]
            name = "interrupted"
            scenario = "8.1 f"
            compression = 10

            [phases]
            beforeSeconds = 40
            faultSeconds = 200
            afterSeconds = 40

            [fault]
            inject = "evacuate WST"

            [load]
            callsPerHour = 720
            handlersPerSite = 6
            handlingSeconds = 30
            """)
        let result = try await folder.run(runbook, interruptAfter: 10)
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.contains("interrupted: returning to normal"), "\(result)")
        #expect(result.stdout.contains("WST back in service"), "`site return` ran: \(result)")
        let data = try #require(FileManager.default.contents(atPath: "\(folder.out)/result.json"), "\(result)")
        let drill = try JSONDecoder().decode(DrillResultJSON.self, from: data)
        #expect(drill.failures.contains { $0.contains("the drill was interrupted after") }, "\(drill.failures)")
        #expect(drill.evacuationSeconds != nil)
        #expect(drill.rejoinSeconds != nil)
        #expect(drill.missingAtSomeSite.isEmpty)
        #expect(folder.runningNodes().isEmpty, "the runner stops the nodes it started")
    }

    @Test func aMalformedRunbookExitsSixtyFiveAndStartsNothing() async throws {
        let folder = try DrillFolder()
        let runbook = try folder.runbook(
            """
            [drill]
            name = "broken"

            [phases]
            beforeSeconds = 20
            afterSeconds = 20

            [fault]
            inject = "power-failure XYZ"

            [load]
            callsPerHour = 720
            """)
        let result = try await folder.run(runbook)
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("missing phase: [phases] faultSeconds"), "\(result)")
        #expect(result.stderr.contains("unknown site 'XYZ'"), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: folder.work), "nothing is made for a refused runbook")

        let surge = try folder.runbook(
            """
            [drill]
            name = "surge"
            [phases]
            beforeSeconds = 20
            faultSeconds = 20
            afterSeconds = 20
            [fault]
            inject = "surge ZZZ=x3"
            [load]
            callsPerHour = 720
            """, name: "surge.md")
        let unknown = try await folder.run(surge)
        #expect(unknown.status == 65, "\(unknown)")
        #expect(unknown.stderr.contains("unknown organisation 'ZZZ'"), "\(unknown)")
        #expect(!FileManager.default.fileExists(atPath: folder.work))
    }
}
