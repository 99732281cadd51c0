import Foundation
import Testing

/// `nightdesk drill run` end to end: real node processes on 127.0.0.1, real faults, a real report (8.5, 8.6).
@Suite("Drill runner", .serialized)
struct DrillRunnerTests {
    @Test func aPowerFailureDrillOnThreeLocalSitesDetectsTheFailureMovesTrafficAndLosesNoWrite() async throws {
        let folder = try DrillFolder()
        // 10× compression: 4 s before, 10 s of fault, 5 s after on the wall clock.
        let runbook = try folder.runbook(
            """
            [drill]
            name = "power-test"
            scenario = "8.1 e"
            compression = 10
            seed = 11

            [phases]
            beforeSeconds = 40
            faultSeconds = 100
            afterSeconds = 50

            [fault]
            inject = "power-failure EST"

            [load]
            callsPerHour = 1800
            handlersPerSite = 8
            handlingSeconds = 20
            patienceSeconds = 60

            [pass]
            detectionSecondsMax = 9
            trafficMovedSecondsMax = 9
            lostWritesMax = 0
            """)
        let result = try await folder.run(runbook)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("every survivor sees EST down"), "\(result)")
        let data = try #require(FileManager.default.contents(atPath: "\(folder.out)/result.json"))
        let drill = try JSONDecoder().decode(DrillResultJSON.self, from: data)
        // The nodes mark a peer down after 3 s of silence (peerDownAfterMs) and rewrite their status every second.
        let detection = try #require(drill.detectionSeconds)
        #expect(detection >= 2 && detection <= 9, "detection \(detection) s")
        let moved = try #require(drill.trafficMovedSeconds)
        #expect(moved <= detection + 0.5)
        #expect(drill.rejoinSeconds != nil)
        // RPO 0 after the restart: every acknowledged write, at whichever site, is held by every site.
        #expect(drill.writesAcknowledged >= 20, "\(drill.writesAcknowledged) writes")
        #expect(drill.missingAtSomeSite.isEmpty)
        #expect(drill.failures.isEmpty, "\(drill.failures)")
        // Once traffic moved, no new call went to EST until the fault phase ended.
        #expect(drill.calls.contains { $0.site == "EST" && $0.phase == "before" })
        #expect(drill.calls.contains { $0.site == "EST" && $0.phase == "fault" && $0.outcome == "abandoned" })
        // 8.6 c: dummy calls for every organisation.
        #expect(Set(drill.calls.map(\.organisation)).count == 11)
        let html = try String(contentsOfFile: "\(folder.out)/report.html", encoding: .utf8)
        #expect(html.components(separatedBy: "<svg ").count - 1 == 2)
        #expect(FileManager.default.fileExists(atPath: "\(folder.out)/report.md"))
        #expect(folder.runningNodes().isEmpty, "the runner stops the nodes it started")
    }

    @Test func aDrillWhoseCriteriaCannotBeMetExitsOneAndListsThem() async throws {
        let folder = try DrillFolder()
        // Nodes mark a peer down only after 5 s of silence: 1 s cannot be met.
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
        #expect(result.stdout.contains("FAIL  detection time: not reached (limit ≤ 1 s)"), "\(result)")
        #expect(FileManager.default.fileExists(atPath: "\(folder.out)/report.html"))
        #expect(folder.runningNodes().isEmpty)
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
