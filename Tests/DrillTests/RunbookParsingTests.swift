import Foundation
import Testing

@testable import Drill

/// A runbook's Markdown around a drill definition whose sections can be replaced one at a time.
func runbookText(
    drill: String = "name = \"power\"\nscenario = \"8.1 e\"\ncompression = 10",
    phases: String = "beforeSeconds = 60\nfaultSeconds = 120\nafterSeconds = 60",
    fault: String = "inject = \"power-failure EST\"",
    load: String = "callsPerHour = 180\nhandlersPerSite = 4",
    pass: String = "detectionSecondsMax = 10\nlostWritesMax = 0"
) -> String {
    """
    # Power

    Prose for the tester.

    ```toml
    [drill]
    \(drill)

    [phases]
    \(phases)

    [fault]
    \(fault)

    [load]
    \(load)

    [pass]
    \(pass)
    ```
    """
}

func problems(_ text: String) -> [String] {
    do {
        _ = try Runbook.parse(text)
        return []
    } catch {
        if case .invalid(let problems) = error { return problems }
        return ["\(error)"]
    }
}

@Suite("Runbook parsing")
struct RunbookParsingTests {
    @Test func aValidRunbookGivesItsDefinitionWithDefaults() throws {
        let runbook = try Runbook.parse(runbookText())
        #expect(runbook.title == "Power")
        let definition = runbook.definition
        #expect(definition.sites == ["WST", "EST", "NTH"])
        #expect(definition.fault == .powerFailure(site: "EST"))
        #expect(definition.phases.totalSeconds == 240)
        #expect(definition.faultStartWallSeconds == 6)
        #expect(definition.faultEndWallSeconds == 18)
        #expect(definition.load.everyOrganisation)
        #expect(definition.pass.detectionSecondsMax == 10)
        #expect(definition.pass.lostWritesMax == 0)
        #expect(definition.pass.trafficMovedSecondsMax == nil)
    }

    @Test func everyFaultFormParses() throws {
        #expect(try DrillFault.parse("evacuate wst") == .evacuate(site: "WST"))
        #expect(try DrillFault.parse("wan-cut NTH") == .wanCut(site: "NTH"))
        #expect(try DrillFault.parse("telephony-failure EST") == .telephonyFailure(site: "EST"))
        #expect(try DrillFault.parse("handler-shortage EST=1") == .handlerShortage(site: "EST", handlers: 1))
        #expect(try DrillFault.parse("surge EAL=x5") == .surge(organisation: "EAL", factor: 5))
        #expect("\(try DrillFault.parse("surge eal=x2.5"))" == "surge EAL=x2.50")
    }

    @Test func anUnknownFaultIsRefusedWithTheFormsListed() {
        let found = problems(runbookText(fault: "inject = \"meteor EST\""))
        #expect(found.count == 1)
        #expect(found.first?.contains("unknown fault 'meteor'") == true)
        #expect(found.first?.contains("power-failure SITE") == true)
    }

    @Test func aFaultAtASiteNotInTheDrillIsRefused() {
        let found = problems(runbookText(fault: "inject = \"power-failure XYZ\""))
        #expect(found.contains { $0.contains("unknown site 'XYZ'") && $0.contains("WST, EST, NTH") })
    }

    @Test func aMissingPhaseIsRefused() {
        let found = problems(runbookText(phases: "beforeSeconds = 60\nafterSeconds = 60"))
        #expect(found == ["missing phase: [phases] faultSeconds (drill seconds) is required"])
    }

    @Test func everyProblemIsListedAtOnce() {
        let found = problems(
            runbookText(
                drill: "name = \"x\"\nsites = [\"WST\"]\ncolour = \"red\"", fault: "inject = \"surge EAL=5\"",
                load: "callsPerHour = -1", pass: "abandonedPercentMax = 150"))
        #expect(found.contains { $0.contains("unknown key 'colour' in [drill]") })
        #expect(found.contains { $0.contains("sites lists 1") })
        #expect(found.contains { $0.contains("surge EAL=x5") })
        #expect(found.contains { $0.contains("callsPerHour must be more than 0") })
        #expect(found.contains { $0.contains("abandonedPercentMax must be a percentage") })
    }

    @Test func criteriaThatCannotApplyToTheFaultAreRefused() {
        let found = problems(runbookText(fault: "inject = \"surge EAL=x3\"", pass: "detectionSecondsMax = 5\ntrafficMovedSecondsMax = 5"))
        #expect(found.contains { $0.contains("detectionSecondsMax applies only") })
        #expect(found.contains { $0.contains("trafficMovedSecondsMax applies only") })
    }

    @Test func aLoadAboveTheWriteBoundIsRefused() {
        let found = problems(runbookText(drill: "name = \"x\"\ncompression = 600", load: "callsPerHour = 3600"))
        #expect(found.contains { $0.contains("would write 600.0 calls per second") })
    }

    @Test func aRunbookNeedsExactlyOneClosedTomlBlock() {
        #expect(problems("# Nothing here\n").first?.contains("no drill definition") == true)
        #expect(problems(runbookText() + "\n```toml\n[drill]\n```\n").first?.contains("2 ```toml blocks") == true)
        #expect(problems("# Open\n```toml\n[drill]\n").first?.contains("not closed") == true)
    }

    @Test func invalidTomlSaysWhere() {
        let found = problems("# Bad\n```toml\n[drill]\nname = \n```\n")
        #expect(found.first?.contains("not valid TOML at line 2") == true)
    }

    @Test func theRepositorysRunbooksAreAllValid() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Runbooks")
            .standardized.path
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".md") && $0 != "README.md" }
        #expect(names.count == 7)
        var faults: [String] = []
        for name in names.sorted() {
            let runbook = try Runbook.load(path: (folder as NSString).appendingPathComponent(name))
            #expect(runbook.definition.load.everyOrganisation, "\(name): 8.6 c needs dummy calls for every organisation")
            #expect(runbook.definition.pass.lostWritesMax == 0, "\(name): RPO 0")
            faults.append(String("\(runbook.definition.fault)".split(separator: " ")[0]))
        }
        #expect(Set(faults) == ["evacuate", "power-failure", "wan-cut", "telephony-failure", "handler-shortage", "surge"])
    }

    @Test func eachPhaseNeedsAServiceLevelToJudge() throws {
        let definition = try Runbook.parse(runbookText(pass: "goldAnsweredWithin20sPercentMin = 80\neachPhase = true")).definition
        #expect(definition.pass.eachPhase)
        #expect(try Runbook.parse(runbookText()).definition.pass.eachPhase == false)
        #expect(problems(runbookText(pass: "eachPhase = true")).contains { $0.contains("eachPhase judges") })
        #expect(problems(runbookText(pass: "eachPhase = 1")).contains { $0.contains("eachPhase") })
    }

    @Test func aCompressionGivenForAShortFormReplacesTheRunbooksAndIsCheckedTheSameWay() throws {
        let short = try Runbook.parse(runbookText(), compression: 30).definition
        #expect(short.compression == 30)
        #expect(short.faultStartWallSeconds == 2)
        #expect(problems(runbookText()).isEmpty)
        do {
            _ = try Runbook.parse(runbookText(), compression: 0.5)
            Issue.record("a compression below 1 was accepted")
        } catch {
            guard case .invalid(let found) = error else { throw error }
            #expect(found.contains { $0.contains("compression 0.50 must be from 1 to 600") })
        }
    }
}
