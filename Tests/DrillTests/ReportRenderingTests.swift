import Domain
import Foundation
import Testing

@testable import Drill

func call(
    _ id: Int, organisation: String = "EAL", option: String = "dangerous-structures", standard: ServiceStandard = .gold, site: String? = "WST",
    at offered: Double, outcome: DrillResult.Outcome, wait: Double?, phase: DrillResult.Phase
) -> DrillResult.CallOutcome {
    DrillResult.CallOutcome(
        id: id, organisation: organisation, option: option, standard: standard, site: site,
        offeredAtSeconds: offered, outcome: outcome, waitSeconds: wait, phase: phase)
}

func sampleResult(calls: [DrillResult.CallOutcome], missing: [String] = [], failures: [String] = []) -> DrillResult {
    DrillResult(
        name: "power", title: "Power <test>", scenario: "8.1 e", fault: "power-failure EST",
        faultMethod: "node killed with SIGKILL", sites: ["WST", "EST", "NTH"], compression: 10,
        startedAt: Date(timeIntervalSince1970: 1_800_000_000), faultStartWallSeconds: 6, faultEndWallSeconds: 18,
        endWallSeconds: 24, detectionSeconds: 5.4, trafficMovedSeconds: 5.1, rejoinSeconds: 1.2, writesAcknowledged: 3,
        missingAtSurvivorsAtFaultEnd: [], missingAtSurvivors: missing, missingAtSomeSite: missing,
        convergenceSeconds: missing.isEmpty ? 0.4 : nil, calls: calls, criteria: [], failures: failures, notes: ["a note"])
}

let pass = DrillDefinition.PassCriteria(
    detectionSecondsMax: 10, trafficMovedSecondsMax: 5, lostWritesMax: 0, goldAnsweredWithin20sPercentMin: 80,
    abandonedPercentMax: 5, convergenceSecondsMax: 30)

@Suite("Report rendering")
struct ReportRenderingTests {
    let calls = [
        call(1, at: 10, outcome: .answered, wait: 5, phase: .before),
        call(2, site: "EST", at: 70, outcome: .abandoned, wait: 90, phase: .fault),
        call(3, option: "noise-nuisance", standard: .silver, site: "NTH", at: 80, outcome: .answered, wait: 50, phase: .fault),
        call(4, at: 200, outcome: .answered, wait: 25, phase: .after),
    ]

    @Test func talliesCountAnsweredWithinEachStandardsOwnTime() {
        let tally = CallTally(calls)
        #expect(tally.offered == 4)
        #expect(tally.answered == 3)
        // Gold 5 s (in), Silver 50 s (within its 60 s), Gold 25 s (out).
        #expect(tally.answeredInStandard == 2)
        #expect(tally.abandoned == 1)
        #expect(tally.abandonedPercent == 25)
    }

    @Test func theShareChartDrawsRoutingsOwnAnswerWhereItWasSampled() throws {
        var result = sampleResult(calls: calls)
        // EST given nothing by routing all drill long, though a call was offered to it.
        result.routing = stride(from: 0.0, to: 24, by: 1).map {
            DrillResult.RoutingSample(atWallSeconds: $0, shares: ["WST": 50, "EST": 0, "NTH": 50])
        }
        func yValues(_ svg: String, _ site: String) throws -> [String] {
            let line = try #require(svg.split(separator: "\n").first { $0.contains("<title>\(site)</title>") })
            let points = try #require(line.components(separatedBy: "points=\"").last?.components(separatedBy: "\"").first)
            return try points.split(separator: " ").map { pair in
                let xy = pair.split(separator: ",")
                try #require(xy.count == 2, "point \(pair)")
                return String(xy[1])
            }
        }
        let chart = DrillReport.shareChart(result)
        // 0% sits on the axis (y 200), 50% half way up the 180-point plot (y 110).
        #expect(Set(try yValues(chart, "EST")) == ["200.0"])
        #expect(Set(try yValues(chart, "WST")) == ["110.0"])
        result.routing = []
        #expect(Set(try yValues(DrillReport.shareChart(result), "EST")) != ["200.0"], "without samples: calls offered")
    }

    @Test func eachPhaseJudgesTheServiceLevelsBeforeDuringAndAfterTheFaultToo() {
        // Over the whole drill 5 of 6 Gold calls are in 20 s (83%), but during the fault only 1 of 2 (50%).
        let calls = [
            call(1, at: 10, outcome: .answered, wait: 5, phase: .before),
            call(2, at: 20, outcome: .answered, wait: 5, phase: .before),
            call(3, at: 70, outcome: .answered, wait: 30, phase: .fault),
            call(4, at: 80, outcome: .answered, wait: 5, phase: .fault),
            call(5, at: 200, outcome: .answered, wait: 5, phase: .after),
            call(6, at: 210, outcome: .answered, wait: 5, phase: .after),
        ]
        var throughout = pass
        throughout.eachPhase = true
        let criteria = DrillResult.judge(sampleResult(calls: calls), throughout)
        let byName = Dictionary(uniqueKeysWithValues: criteria.map { ($0.name, $0) })
        #expect(byName["Gold calls answered within 20 s"]?.passed == true)
        #expect(byName["Gold calls answered within 20 s before the fault"]?.measured == "100.0% of 2")
        #expect(byName["Gold calls answered within 20 s during the fault"]?.measured == "50.0% of 2")
        #expect(byName["Gold calls answered within 20 s during the fault"]?.passed == false)
        #expect(byName["Gold calls answered within 20 s after the fault"]?.passed == true)
        #expect(byName["calls abandoned during the fault"]?.passed == true)
        // Without eachPhase only the whole drill is judged.
        #expect(DrillResult.judge(sampleResult(calls: calls), pass).filter { $0.name.hasPrefix("Gold") }.count == 1)
    }

    @Test func criteriaFailWithWhatWasMeasured() {
        let criteria = DrillResult.judge(sampleResult(calls: calls, missing: ["WST-1"]), pass)
        let byName = Dictionary(uniqueKeysWithValues: criteria.map { ($0.name, $0) })
        #expect(byName["detection time"]?.passed == true)
        #expect(byName["time until traffic moved"]?.passed == false)
        #expect(byName["time until traffic moved"]?.measured == "5.1 s")
        #expect(byName["RPO: acknowledged writes lost"]?.passed == false)
        #expect(byName["RPO: acknowledged writes lost"]?.measured == "1 of 3")
        #expect(byName["Gold calls answered within 20 s"]?.measured == "33.3% of 3")
        #expect(byName["Gold calls answered within 20 s"]?.passed == false)
        #expect(byName["calls abandoned"]?.passed == false)
        #expect(byName["nothing failed"]?.passed == true)
    }

    @Test func aDrillWithNoCallsCannotPassTheServiceLevelCriteria() {
        let criteria = DrillResult.judge(sampleResult(calls: []), pass)
        #expect(criteria.first { $0.name == "calls abandoned" }?.passed == false)
        #expect(criteria.first { $0.name == "Gold calls answered within 20 s" }?.measured == "no Gold call offered")
    }

    @Test func markdownHasTheCriteriaThePhasesAndEveryOrganisationsRows() {
        var result = sampleResult(calls: calls)
        result.criteria = DrillResult.judge(result, pass)
        let text = DrillReport.markdown(result)
        #expect(text.hasPrefix("# Drill report: Power <test>"))
        #expect(text.contains("**FAILED**"))
        #expect(text.contains("| time until traffic moved | ≤ 5 s | 5.1 s | **FAIL** |"))
        #expect(text.contains("| EAL | dangerous-structures | gold | before | 1 | 1 | 100% | 0% |"))
        #expect(text.contains("| EAL | dangerous-structures | gold | fault | 1 | 0 | 0% | 100% |"))
        #expect(text.contains("| EAL | noise-nuisance | silver | fault | 1 | 1 | 100% | 0% |"))
        #expect(text.contains("detection time 5.4 s"))
    }

    @Test func htmlIsSelfContainedWithTwoChartsAndEscapedText() {
        var result = sampleResult(calls: calls)
        result.criteria = DrillResult.judge(result, pass)
        let html = DrillReport.html(result)
        #expect(html.components(separatedBy: "<svg ").count - 1 == 2)
        #expect(html.contains("Power &lt;test&gt;"))
        #expect(!html.contains("Power <test>"))
        #expect(!html.contains("src=\"http"))
        #expect(!html.contains("<script"))
        #expect(html.contains("<title>fault phase</title>"))
        #expect(html.contains("<title>EST</title>"))
    }

    @Test func bucketsPlaceCallsByTimeAndSite() {
        let buckets = DrillReport.buckets(sampleResult(calls: calls))
        // 240 drill seconds in 10 s buckets.
        #expect(buckets.count == 24)
        #expect(buckets[1].offeredBySite == ["WST": 1])
        #expect(buckets[1].answered == 1)
        #expect(buckets[7].offeredBySite == ["EST": 1])
        #expect(buckets[16].abandoned == 1)
        #expect(buckets[8].offeredBySite == ["NTH": 1])
    }
}
