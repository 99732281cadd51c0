import Domain
import Foundation

/// The drill report (8.6: full test results to each organisation's Supervising Officer within one week):
/// Markdown, and self-contained HTML with inline SVG charts.
public enum DrillReport {
    /// One chart bucket: calls offered, answered and abandoned, and offered per site, in a span of drill time.
    struct Bucket: Equatable {
        var startSeconds: Double
        var answered = 0
        var abandoned = 0
        var offeredBySite: [String: Int] = [:]
    }

    static func buckets(_ result: DrillResult) -> [Bucket] {
        let end = max(result.endDrillSeconds, 1)
        let count = min(RunnerLimits.chartBucketsMax, max(1, Int(end / 10)))
        let width = end / Double(count)
        var buckets = (0..<count).map { Bucket(startSeconds: Double($0) * width) }
        func index(_ seconds: Double) -> Int { min(count - 1, max(0, Int(seconds / width))) }
        for call in result.calls {
            let at = index(call.offeredAtSeconds)
            buckets[at].offeredBySite[call.site ?? "none", default: 0] += 1
            switch call.outcome {
            case .answered: buckets[index(call.offeredAtSeconds + (call.waitSeconds ?? 0))].answered += 1
            case .abandoned: buckets[index(call.offeredAtSeconds + (call.waitSeconds ?? 0))].abandoned += 1
            case .waiting: break
            }
        }
        return buckets
    }

    /// Rows of the service-level table: organisation, Service Option and phase, with counts.
    struct Row: Equatable {
        var organisation: String
        var option: String
        var standard: ServiceStandard
        var phase: DrillResult.Phase
        var tally: CallTally
    }

    static func rows(_ result: DrillResult) -> [Row] {
        var groups: [String: Row] = [:]
        for call in result.calls {
            let key = "\(call.organisation)|\(call.option)|\(DrillResult.Phase.allCases.firstIndex(of: call.phase)!)"
            groups[key, default: Row(organisation: call.organisation, option: call.option, standard: call.standard, phase: call.phase, tally: CallTally())]
                .tally.add(call)
        }
        return groups.sorted { $0.key < $1.key }.map(\.value)
    }

    static func percent(_ value: Double?) -> String { value.map { String(format: "%.0f%%", $0) } ?? "–" }
    static func seconds(_ value: Double?) -> String { value.map { String(format: "%.1f s", $0) } ?? "not reached" }

    /// The headline lines printed on stdout and at the top of both reports.
    public static func summary(_ result: DrillResult) -> [String] {
        var lines = [
            "drill \(result.name) (\(result.scenario)): \(result.passed ? "PASSED" : "FAILED")",
            "fault \(result.fault): \(result.faultMethod)",
        ]
        if result.detectionSeconds != nil || result.fault.hasPrefix("power") || result.fault.hasPrefix("wan")
            || result.fault.hasPrefix("evac")
        {
            lines.append("detection time \(seconds(result.detectionSeconds)) (wall clock)")
        }
        if let moved = result.trafficMovedSeconds { lines.append("time until traffic moved \(seconds(moved)) (wall clock)") }
        if let evacuated = result.evacuationSeconds {
            lines.append("evacuated, RPO 0 confirmed by `site evacuate`, \(seconds(evacuated)) after it started (wall clock)")
        }
        if let site = result.faultSite {
            let shares = DrillResult.Phase.allCases.map { phase in
                "\(phase.rawValue) " + (result.routingShare(of: site, in: phase).map { String(format: "%.0f%%", $0) } ?? "–")
            }
            lines.append("routing's share of new calls at \(site): " + shares.joined(separator: ", "))
        }
        if let rejoin = result.rejoinSeconds { lines.append("back in service \(seconds(rejoin)) after the return to normal") }
        lines.append(
            "RPO: \(result.missingAtSomeSite.count) of \(result.writesAcknowledged) acknowledged writes not held by every site"
                + (result.missingAtSurvivorsAtFaultEnd.map { "; \($0.count) not yet at the survivors when the fault ended" } ?? ""))
        for phase in DrillResult.Phase.allCases {
            let tally = CallTally(result.calls.filter { $0.phase == phase })
            lines.append(
                "\(phase.rawValue): \(tally.offered) offered, \(tally.answered) answered (\(percent(tally.inStandardPercent)) within standard), "
                    + "\(tally.abandoned) abandoned (\(percent(tally.abandonedPercent)))")
        }
        for criterion in result.criteria {
            lines.append("\(criterion.passed ? "pass" : "FAIL")  \(criterion.name): \(criterion.measured) (limit \(criterion.limit))")
        }
        return lines
    }

    // MARK: - Markdown

    public static func markdown(_ result: DrillResult) -> String {
        var text = "# Drill report: \(result.title)\n\n"
        text += "Scenario \(result.scenario) · sites \(result.sites.joined(separator: ", ")) · started \(iso(result.startedAt)) · "
            + "compression \(formatNumber(result.compression))× · **\(result.passed ? "PASSED" : "FAILED")**\n\n"
        text += "Phases (drill time): before 0–\(formatNumber(result.faultStartDrillSeconds.rounded())) s, fault to "
            + "\(formatNumber(result.faultEndDrillSeconds.rounded())) s, after to \(formatNumber(result.endDrillSeconds.rounded())) s.\n\n"
        text += "## Summary\n\n" + summary(result).map { "- \($0)" }.joined(separator: "\n") + "\n\n"
        text += "## Pass criteria\n\n| criterion | limit | measured | result |\n| --- | --- | --- | --- |\n"
        for criterion in result.criteria {
            text += "| \(criterion.name) | \(criterion.limit) | \(criterion.measured) | \(criterion.passed ? "pass" : "**FAIL**") |\n"
        }
        text += "\n## Calls over time\n\n| from (drill s) | answered | abandoned | "
            + result.sites.map { "offered to \($0)" }.joined(separator: " | ") + " |\n|"
            + String(repeating: " --- |", count: 3 + result.sites.count) + "\n"
        for bucket in buckets(result) {
            text += "| \(formatNumber(bucket.startSeconds.rounded())) | \(bucket.answered) | \(bucket.abandoned) | "
                + result.sites.map { "\(bucket.offeredBySite[$0] ?? 0)" }.joined(separator: " | ") + " |\n"
        }
        text += "\n## Service levels per organisation and Service Option\n\n"
        text += "| organisation | Service Option | standard | phase | offered | answered | within standard | abandoned |\n"
        text += "| --- | --- | --- | --- | --- | --- | --- | --- |\n"
        for row in rows(result) {
            text += "| \(row.organisation) | \(row.option) | \(row.standard.rawValue) | \(row.phase.rawValue) | \(row.tally.offered) | "
                + "\(row.tally.answered) | \(percent(row.tally.inStandardPercent)) | \(percent(row.tally.abandonedPercent)) |\n"
        }
        text += "\n## Recovery point\n\n"
        text += "\(result.writesAcknowledged) dummy calls were acknowledged by a site's store. After the drill "
            + "\(result.missingAtSurvivors.count) were missing at some survivor and \(result.missingAtSomeSite.count) at some site"
            + (result.convergenceSeconds.map { String(format: "; every site held all of them %.1f s after the drill ended", $0) } ?? "")
            + ".\n"
        if !result.missingAtSomeSite.isEmpty {
            text += "\nNot held everywhere: " + result.missingAtSomeSite.prefix(50).joined(separator: ", ") + "\n"
        }
        text += "\n## Failures\n\n" + (result.failures.isEmpty ? "None.\n" : result.failures.map { "- \($0)\n" }.joined())
        if !result.notes.isEmpty { text += "\n## Notes\n\n" + result.notes.map { "- \($0)\n" }.joined() }
        return text
    }

    // MARK: - HTML

    public static func html(_ result: DrillResult) -> String {
        var body = "<h1>Drill report: \(escape(result.title))</h1>\n"
        body += "<p class=\"\(result.passed ? "pass" : "fail")\"><strong>\(result.passed ? "PASSED" : "FAILED")</strong> · scenario \(escape(result.scenario)) · sites \(escape(result.sites.joined(separator: ", "))) · started \(iso(result.startedAt))</p>\n"
        body += "<ul>\n" + summary(result).map { "<li>\(escape($0))</li>" }.joined(separator: "\n") + "\n</ul>\n"
        body += "<h2>Pass criteria</h2>\n<table><tr><th>criterion</th><th>limit</th><th>measured</th><th>result</th></tr>\n"
        for criterion in result.criteria {
            body += "<tr><td>\(escape(criterion.name))</td><td>\(escape(criterion.limit))</td><td>\(escape(criterion.measured))</td>"
                + "<td class=\"\(criterion.passed ? "pass" : "fail")\">\(criterion.passed ? "pass" : "FAIL")</td></tr>\n"
        }
        body += "</table>\n<h2>Calls answered and abandoned over time</h2>\n" + callsChart(result)
        body += "<h2>Routing's share of new calls per site over time</h2>\n" + shareChart(result)
        body += "<h2>Service levels per organisation and Service Option</h2>\n<table><tr><th>organisation</th><th>Service Option</th>"
            + "<th>standard</th><th>phase</th><th>offered</th><th>answered</th><th>within standard</th><th>abandoned</th></tr>\n"
        for row in rows(result) {
            body += "<tr><td>\(row.organisation)</td><td>\(escape(row.option))</td><td>\(row.standard.rawValue)</td><td>\(row.phase.rawValue)</td>"
                + "<td>\(row.tally.offered)</td><td>\(row.tally.answered)</td><td>\(percent(row.tally.inStandardPercent))</td>"
                + "<td>\(percent(row.tally.abandonedPercent))</td></tr>\n"
        }
        body += "</table>\n<h2>Failures</h2>\n"
            + (result.failures.isEmpty ? "<p>None.</p>\n" : "<ul>" + result.failures.map { "<li>\(escape($0))</li>" }.joined() + "</ul>\n")
        if !result.notes.isEmpty { body += "<h2>Notes</h2>\n<ul>" + result.notes.map { "<li>\(escape($0))</li>" }.joined() + "</ul>\n" }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Drill report: \(escape(result.title))</title>
            <style>
            body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; }
            table { border-collapse: collapse; margin: 1rem 0; } td, th { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; }
            .pass { color: #00703c; } .fail { color: #d4351c; } svg { max-width: 100%; height: auto; }
            </style></head><body>
            \(body)</body></html>

            """
    }

    static let chartWidth = 720.0
    static let chartHeight = 240.0
    static let margin = 40.0
    static let siteColours = ["#1d70b8", "#f47738", "#00703c", "#912b88", "#b58840", "#5694ca", "#d53880", "#28a197"]

    /// The fault phase as a shaded band, and axis lines.
    static func frame(_ result: DrillResult, yMax: Double, yLabel: String) -> String {
        let plotWidth = chartWidth - 2 * margin
        let end = max(result.endDrillSeconds, 1)
        let x0 = margin + plotWidth * result.faultStartDrillSeconds / end
        let x1 = margin + plotWidth * result.faultEndDrillSeconds / end
        return """
            <rect x="\(f(x0))" y="\(f(margin / 2))" width="\(f(x1 - x0))" height="\(f(chartHeight - 1.5 * margin))" fill="#f3d9d5"><title>fault phase</title></rect>
            <text x="\(f((x0 + x1) / 2))" y="\(f(margin / 2 + 12))" text-anchor="middle" font-size="11">fault</text>
            <line x1="\(f(margin))" y1="\(f(chartHeight - margin))" x2="\(f(chartWidth - margin))" y2="\(f(chartHeight - margin))" stroke="#333"/>
            <line x1="\(f(margin))" y1="\(f(margin / 2))" x2="\(f(margin))" y2="\(f(chartHeight - margin))" stroke="#333"/>
            <text x="\(f(margin - 4))" y="\(f(margin / 2 + 4))" text-anchor="end" font-size="10">\(formatNumber(yMax.rounded()))\(yLabel)</text>
            <text x="\(f(margin - 4))" y="\(f(chartHeight - margin))" text-anchor="end" font-size="10">0</text>
            <text x="\(f(chartWidth - margin))" y="\(f(chartHeight - margin + 14))" text-anchor="end" font-size="10">\(formatNumber(end.rounded())) s (drill time)</text>

            """
    }

    static func polyline(_ values: [Double], yMax: Double, end: Double, width: Double, colour: String, label: String) -> String {
        let plotWidth = chartWidth - 2 * margin
        let plotHeight = chartHeight - 1.5 * margin
        let points = values.enumerated().map { index, value in
            "\(f(margin + plotWidth * (Double(index) + 0.5) * width / end)),\(f(chartHeight - margin - plotHeight * value / max(yMax, 1)))"
        }
        return "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"><title>\(escape(label))</title></polyline>\n"
    }

    static func legend(_ entries: [(String, String)]) -> String {
        entries.enumerated().map { index, entry in
            let x = margin + Double(index) * 130
            return "<rect x=\"\(f(x))\" y=\"\(f(chartHeight - 16))\" width=\"10\" height=\"10\" fill=\"\(entry.1)\"/>"
                + "<text x=\"\(f(x + 14))\" y=\"\(f(chartHeight - 7))\" font-size=\"11\">\(escape(entry.0))</text>"
        }.joined(separator: "\n") + "\n"
    }

    static func callsChart(_ result: DrillResult) -> String {
        let buckets = buckets(result)
        let width = buckets.count > 1 ? buckets[1].startSeconds : max(result.endDrillSeconds, 1)
        let yMax = Double(buckets.map { max($0.answered, $0.abandoned) }.max() ?? 1)
        let end = max(result.endDrillSeconds, 1)
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(chartWidth)) \(f(chartHeight))\" role=\"img\" aria-label=\"calls answered and abandoned over time\">\n"
            + frame(result, yMax: yMax, yLabel: "")
            + polyline(buckets.map { Double($0.answered) }, yMax: yMax, end: end, width: width, colour: "#00703c", label: "answered")
            + polyline(buckets.map { Double($0.abandoned) }, yMax: yMax, end: end, width: width, colour: "#d4351c", label: "abandoned")
            + legend([("answered", "#00703c"), ("abandoned", "#d4351c")]) + "</svg>\n"
    }

    static func shareChart(_ result: DrillResult) -> String {
        let buckets = buckets(result)
        let width = buckets.count > 1 ? buckets[1].startSeconds : max(result.endDrillSeconds, 1)
        let end = max(result.endDrillSeconds, 1)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(chartWidth)) \(f(chartHeight))\" role=\"img\" aria-label=\"share of new calls per site over time\">\n"
            + frame(result, yMax: 100, yLabel: "%")
        for (index, site) in result.sites.enumerated() {
            // Routing's own answer where it was sampled (about once a wall-clock second); else the calls offered.
            let shares = buckets.map { bucket -> Double in
                let samples = result.routing.filter {
                    let drillSeconds = $0.atWallSeconds * result.compression
                    return drillSeconds >= bucket.startSeconds && drillSeconds < bucket.startSeconds + width
                }
                if !samples.isEmpty { return samples.reduce(0) { $0 + ($1.shares[site] ?? 0) } / Double(samples.count) }
                let total = bucket.offeredBySite.values.reduce(0, +)
                return total == 0 ? 0 : Double(bucket.offeredBySite[site] ?? 0) * 100 / Double(total)
            }
            svg += polyline(shares, yMax: 100, end: end, width: width, colour: siteColours[index % siteColours.count], label: site)
        }
        svg += legend(result.sites.enumerated().map { ($0.element, siteColours[$0.offset % siteColours.count]) })
        return svg + "</svg>\n"
    }

    static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    static func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Writes `report.md`, `report.html` and `result.json` into `folder`; the paths written.
    public static func write(_ result: DrillResult, to folder: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let files: [(String, Data)] = [
            ("report.md", Data(markdown(result).utf8)), ("report.html", Data(html(result).utf8)),
            ("result.json", try encoder.encode(result)),
        ]
        var written: [String] = []
        for (name, data) in files {
            let path = (folder as NSString).appendingPathComponent(name)
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
            written.append(path)
        }
        return written
    }
}
