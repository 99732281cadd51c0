import Foundation
import TOMLKit

/// A runbook's problem, worded for the business-continuity tester who must fix it.
public enum RunbookError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file cannot be read.
    case unreadable(path: String, reason: String)
    /// The drill definition is wrong: every problem found, so they can be fixed in one go.
    case invalid([String])

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "\(path): \(reason)"
        case .invalid(let problems):
            problems.count == 1
                ? problems[0]
                : "the drill definition has \(problems.count) problems:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
        }
    }
}

/// A business-continuity runbook: Markdown for the tester, with one fenced ```toml block the runner executes.
public struct Runbook: Sendable {
    public let path: String
    /// The runbook's first `# ` heading.
    public let title: String
    public let definition: DrillDefinition

    /// The sites a drill uses when its runbook names none: three local call-centre sites.
    public static let defaultSites = ["WST", "EST", "NTH"]

    /// `compression`, when given, replaces the runbook's (a short form of the same drill) and is checked the same way.
    public static func load(path: String, compression: Double? = nil) throws(RunbookError) -> Runbook {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw RunbookError.unreadable(path: path, reason: "cannot read the runbook: \(error.localizedDescription)")
        }
        guard data.count <= RunnerLimits.runbookBytesMax else {
            throw RunbookError.invalid(["\(path) is \(data.count) bytes; a runbook may be at most \(RunnerLimits.runbookBytesMax)"])
        }
        do throws(RunbookError) {
            return try parse(String(decoding: data, as: UTF8.self), path: path, compression: compression)
        } catch {
            guard case .invalid(let problems) = error else { throw error }
            throw RunbookError.invalid(problems.map { "\(path): \($0)" })
        }
    }

    /// Parses a runbook's text; `path` names it in messages only.
    public static func parse(_ markdown: String, path: String = "runbook", compression: Double? = nil)
        throws(RunbookError) -> Runbook
    {
        let lines = markdown.components(separatedBy: "\n")
        let title = lines.first { $0.hasPrefix("# ") }.map { String($0.dropFirst(2)).trimmingCharacters(in: .whitespaces) }
        var blocks: [String] = []
        var current: [String]?
        for line in lines {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if current == nil, trimmed == "```toml" {
                current = []
            } else if current != nil, trimmed == "```" {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else if current != nil {
                current!.append(line)
            }
        }
        guard current == nil else { throw RunbookError.invalid(["the ```toml block is not closed: end it with a line of ```"]) }
        guard blocks.count == 1 else {
            throw RunbookError.invalid([
                blocks.isEmpty
                    ? "no drill definition: add one fenced ```toml block with [drill], [phases], [fault], [load] and [pass]"
                    : "\(blocks.count) ```toml blocks; a runbook holds exactly one drill definition"
            ])
        }
        let definition = try DrillDefinitionParser.parse(blocks[0], compression: compression)
        return Runbook(path: path, title: title ?? definition.name, definition: definition)
    }
}

/// Reads the TOML of a drill definition, checking every key and value with messages that say how to fix them.
enum DrillDefinitionParser {
    static let sections: [String: Set<String>] = [
        "drill": ["name", "scenario", "sites", "compression", "seed"],
        "phases": ["beforeSeconds", "faultSeconds", "afterSeconds"],
        "fault": ["inject"],
        "load": [
            "profile", "callsPerHour", "everyOrganisation", "handlersPerSite", "handlingSeconds", "patienceSeconds",
            "startHour", "volumePercent",
        ],
        "pass": [
            "detectionSecondsMax", "trafficMovedSecondsMax", "lostWritesMax", "goldAnsweredWithin20sPercentMin",
            "abandonedPercentMax", "eachPhase", "convergenceSecondsMax",
        ],
    ]
    static let profiles = ["steady", "specification"]
    /// `[load]` keys only one profile reads: given for the other, they would be silently ignored.
    static let steadyOnlyKeys = ["callsPerHour", "handlingSeconds", "patienceSeconds"]
    static let specificationOnlyKeys = ["startHour", "volumePercent"]

    static func parse(_ text: String, compression override: Double? = nil) throws(RunbookError) -> DrillDefinition {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw RunbookError.invalid([
                "the drill definition is not valid TOML at line \(error.source.begin.line), column "
                    + "\(error.source.begin.column) of the ```toml block: \(error.description)"
            ])
        } catch {
            throw RunbookError.invalid(["the drill definition is not valid TOML: \(error)"])
        }
        var problems: [String] = []
        var reader = Reader(table: table)
        for key in table.keys.sorted() where sections[key] == nil {
            problems.append("unknown section [\(key)]; the sections are [drill], [phases], [fault], [load], [pass]")
        }
        for (section, known) in sections.sorted(by: { $0.key < $1.key }) {
            guard let sub = table[section] else {
                if section != "pass" { problems.append("missing section [\(section)]") }
                continue
            }
            guard let subTable = sub.table else {
                problems.append("'\(section)' must be a section [\(section)]")
                continue
            }
            for key in subTable.keys.sorted() where !known.contains(key) {
                problems.append("unknown key '\(key)' in [\(section)]; the keys are \(known.sorted().joined(separator: ", "))")
            }
        }

        let name = reader.string("drill", "name") ?? ""
        if name.isEmpty || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) {
            problems.append("[drill] name must be letters, digits and hyphens, e.g. name = \"site-power-failure\"")
        }
        let scenario = reader.string("drill", "scenario") ?? ""
        let sites = reader.strings("drill", "sites")?.map { $0.uppercased() } ?? Runbook.defaultSites
        if !(RunnerLimits.sitesMin...RunnerLimits.sitesMax).contains(sites.count) {
            problems.append("[drill] sites lists \(sites.count); a drill needs \(RunnerLimits.sitesMin) to \(RunnerLimits.sitesMax)")
        }
        if Set(sites).count != sites.count { problems.append("[drill] sites lists a site twice") }
        for site in sites where !(2...4).contains(site.count) || !site.allSatisfy({ $0.isASCII && $0.isLetter }) {
            problems.append("[drill] site '\(site)' must be a code of 2 to 4 letters, e.g. WST")
        }
        let compression = override ?? reader.number("drill", "compression") ?? 1
        if !(compression >= 1 && compression <= RunnerLimits.compressionMax) {
            problems.append("[drill] compression \(formatNumber(compression)) must be from 1 to \(formatNumber(RunnerLimits.compressionMax)) drill seconds per second")
        }
        let seed = reader.int("drill", "seed") ?? 1

        var phaseValues: [Double] = []
        for key in ["beforeSeconds", "faultSeconds", "afterSeconds"] {
            guard let value = reader.number("phases", key) else {
                problems.append("missing phase: [phases] \(key) (drill seconds) is required")
                phaseValues.append(0)
                continue
            }
            if !(value > 0 && value <= RunnerLimits.phaseDrillSecondsMax) {
                problems.append("[phases] \(key) = \(formatNumber(value)) must be more than 0 and at most \(formatNumber(RunnerLimits.phaseDrillSecondsMax)) drill seconds")
            }
            phaseValues.append(value)
        }
        let phases = DrillDefinition.Phases(
            beforeSeconds: phaseValues[0], faultSeconds: phaseValues[1], afterSeconds: phaseValues[2])
        if compression >= 1, phases.totalSeconds / compression > RunnerLimits.wallSecondsMax {
            problems.append("the drill would last \(Int(phases.totalSeconds / compression)) s on the wall clock; at most \(Int(RunnerLimits.wallSecondsMax)): shorten the phases or raise compression")
        }

        var fault: DrillFault?
        if let text = reader.string("fault", "inject") {
            do throws(RunbookError) {
                let parsed = try DrillFault.parse(text)
                fault = parsed
                if let site = parsed.site, !sites.contains(site) {
                    problems.append("unknown site '\(site)' in fault '\(text)': the drill's sites are \(sites.joined(separator: ", "))")
                }
                if case .handlerShortage(_, let handlers) = parsed, handlers > RunnerLimits.handlersPerSiteMax {
                    problems.append("fault '\(text)': at most \(RunnerLimits.handlersPerSiteMax) handlers")
                }
                if case .surge(let organisation, _) = parsed,
                    organisation.count != 3 || !organisation.allSatisfy({ $0.isASCII && $0.isLetter })
                {
                    problems.append("fault '\(text)': '\(organisation)' is not an organisation code; use the three-letter code, e.g. EAL")
                }
            } catch {
                switch error {
                case .invalid(let found): problems += found
                case .unreadable: problems.append(error.description)
                }
            }
        } else if table["fault"]?.table != nil {
            problems.append("[fault] inject is required, e.g. inject = \"power-failure EST\"")
        }

        let profile = reader.string("load", "profile") ?? "steady"
        if !profiles.contains(profile) {
            problems.append("[load] profile '\(profile)' is not known; the profiles are \(profiles.joined(separator: ", "))")
        }
        let specification = profile == "specification"
        let loadKeys = Set(table["load"]?.table?.keys ?? [])
        if specification {
            for key in steadyOnlyKeys where loadKeys.contains(key) {
                problems.append("[load] \(key) applies only to profile = \"steady\": the specification profile's calls, handling times and callers' patience come from the specification (Sources/Drill/PROFILE.md); drop it, and scale the volume with volumePercent")
            }
        } else if profiles.contains(profile) {
            for key in specificationOnlyKeys where loadKeys.contains(key) {
                problems.append("[load] \(key) applies only to profile = \"specification\": drop it, or set that profile")
            }
        }
        // 2.1.5: the evening peak starts at 5 pm, when the councils' day services close.
        let startHour = reader.int("load", "startHour") ?? 17
        if !(0...23).contains(startHour) {
            problems.append("[load] startHour \(startHour) must be an hour of the day from 0 to 23, e.g. 17 for 5 pm, the start of the evening peak (2.1.5)")
        }
        let volumePercent = reader.int("load", "volumePercent") ?? 100
        if !(RunnerLimits.volumePercentMin...RunnerLimits.volumePercentMax).contains(volumePercent) {
            problems.append("[load] volumePercent \(volumePercent) must be from \(RunnerLimits.volumePercentMin) to \(RunnerLimits.volumePercentMax): 100 is today's volume, about 350,000 calls a year (2.1.9)")
        }
        let specificationUsable = specification && (0...23).contains(startHour)
            && (RunnerLimits.volumePercentMin...RunnerLimits.volumePercentMax).contains(volumePercent)
        let callsPerHour: Double
        if specification {
            callsPerHour = specificationUsable
                ? SimulatedTrafficSource.busiestCallsPerHour(
                    startHour: startHour, drillSeconds: phases.totalSeconds, volumePercent: volumePercent)
                : 0
        } else {
            callsPerHour = reader.number("load", "callsPerHour") ?? 0
            if !(callsPerHour > 0) { problems.append("[load] callsPerHour must be more than 0 (calls per drill hour for the whole service)") }
        }
        let everyOrganisation = reader.bool("load", "everyOrganisation") ?? true
        let givenHandlers = reader.int("load", "handlersPerSite")
        // Without handlersPerSite, the specification profile staffs sites as the incumbent does (StaffingSchedule).
        let handlersPerSite =
            givenHandlers
            ?? (specificationUsable
                ? SimulatedTrafficSource.mostScheduledHandlers(sites: sites, volumePercent: volumePercent) : 4)
        if givenHandlers != nil, !(1...RunnerLimits.handlersPerSiteMax).contains(handlersPerSite) {
            problems.append("[load] handlersPerSite must be from 1 to \(RunnerLimits.handlersPerSiteMax)")
        }
        let handlingSeconds = reader.number("load", "handlingSeconds") ?? 120
        if !(handlingSeconds > 0 && handlingSeconds <= 3_600) { problems.append("[load] handlingSeconds must be more than 0 and at most 3600") }
        let patienceSeconds = reader.number("load", "patienceSeconds") ?? 60
        if !(patienceSeconds > 0 && patienceSeconds <= 3_600) { problems.append("[load] patienceSeconds must be more than 0 and at most 3600") }
        let surge: Double =
            fault.flatMap { fault -> Double? in if case .surge(_, let factor) = fault { factor } else { nil } } ?? 1
        // Every organisation's calls at the surge rate at worst: the bound on writes per wall-clock second.
        let loggedPerWallSecond = callsPerHour / 3_600 * compression * surge
        if compression >= 1, loggedPerWallSecond > RunnerLimits.loggedCallsPerWallSecondMax, specification {
            problems.append("[load] the specification profile at volumePercent \(volumePercent) offers about \(Int(callsPerHour.rounded())) calls in the drill's busiest hour; at compression \(formatNumber(compression))\(surge > 1 ? " and the surge" : "") that would write \(String(format: "%.1f", loggedPerWallSecond)) calls per second; at most \(formatNumber(RunnerLimits.loggedCallsPerWallSecondMax)): lower one of them")
        } else if compression >= 1, loggedPerWallSecond > RunnerLimits.loggedCallsPerWallSecondMax {
            problems.append("[load] callsPerHour \(formatNumber(callsPerHour)) at compression \(formatNumber(compression))\(surge > 1 ? " and the surge" : "") would write \(String(format: "%.1f", loggedPerWallSecond)) calls per second; at most \(formatNumber(RunnerLimits.loggedCallsPerWallSecondMax)): lower one of them")
        }

        let detection = reader.number("pass", "detectionSecondsMax")
        if detection != nil, let fault, !fault.takesSiteOut {
            problems.append("[pass] detectionSecondsMax applies only to faults that take a site out of the cluster (evacuate, power-failure, wan-cut), not '\(fault)'")
        }
        let moved = reader.number("pass", "trafficMovedSecondsMax")
        if moved != nil, let fault, !fault.movesTraffic {
            problems.append("[pass] trafficMovedSecondsMax applies only to faults that take a site out of routing (evacuate, power-failure, wan-cut, telephony-failure), not '\(fault)'")
        }
        let lostWritesMax = reader.int("pass", "lostWritesMax") ?? 0
        if lostWritesMax < 0 { problems.append("[pass] lostWritesMax must be 0 or more (RPO: 0)") }
        let gold = reader.number("pass", "goldAnsweredWithin20sPercentMin")
        let abandoned = reader.number("pass", "abandonedPercentMax")
        for (key, value) in [("goldAnsweredWithin20sPercentMin", gold), ("abandonedPercentMax", abandoned)] {
            if let value, !(0...100).contains(value) { problems.append("[pass] \(key) must be a percentage from 0 to 100") }
        }
        let eachPhase = reader.bool("pass", "eachPhase") ?? false
        if eachPhase, gold == nil, abandoned == nil {
            problems.append("[pass] eachPhase judges goldAnsweredWithin20sPercentMin and abandonedPercentMax in every phase: give at least one of them")
        }
        let convergence = reader.number("pass", "convergenceSecondsMax") ?? RunnerLimits.convergenceSecondsMaxDefault
        if !(convergence > 0 && convergence <= 600) { problems.append("[pass] convergenceSecondsMax must be more than 0 and at most 600") }

        problems += reader.problems
        guard problems.isEmpty, let fault else { throw RunbookError.invalid(problems) }
        return DrillDefinition(
            name: name, scenario: scenario, sites: sites, compression: compression, seed: UInt64(truncatingIfNeeded: seed),
            phases: phases, fault: fault,
            load: .init(
                profile: profile, callsPerHour: callsPerHour, everyOrganisation: everyOrganisation,
                handlersPerSite: handlersPerSite, handlingSeconds: handlingSeconds, patienceSeconds: patienceSeconds,
                startHour: startHour, volumePercent: volumePercent, handlersPerSiteGiven: givenHandlers != nil),
            pass: .init(
                detectionSecondsMax: detection, trafficMovedSecondsMax: moved, lostWritesMax: lostWritesMax,
                goldAnsweredWithin20sPercentMin: gold, abandonedPercentMax: abandoned, eachPhase: eachPhase,
                convergenceSecondsMax: convergence))
    }

    /// Typed reads of `[section] key`, collecting a problem for each value of the wrong type.
    struct Reader {
        let table: TOMLTable
        var problems: [String] = []

        private func value(_ section: String, _ key: String) -> (any TOMLValueConvertible)? {
            table[section]?.table?[key]
        }

        mutating func string(_ section: String, _ key: String) -> String? {
            guard let value = value(section, key) else { return nil }
            guard let string = value.string else {
                problems.append("[\(section)] \(key) must be a string in quotes")
                return nil
            }
            return string
        }

        mutating func number(_ section: String, _ key: String) -> Double? {
            guard let value = value(section, key) else { return nil }
            if let int = value.int { return Double(int) }
            guard let double = value.double else {
                problems.append("[\(section)] \(key) must be a number")
                return nil
            }
            return double
        }

        mutating func int(_ section: String, _ key: String) -> Int? {
            guard let value = value(section, key) else { return nil }
            guard let int = value.int else {
                problems.append("[\(section)] \(key) must be a whole number")
                return nil
            }
            return int
        }

        mutating func bool(_ section: String, _ key: String) -> Bool? {
            guard let value = value(section, key) else { return nil }
            guard let bool = value.bool else {
                problems.append("[\(section)] \(key) must be true or false")
                return nil
            }
            return bool
        }

        mutating func strings(_ section: String, _ key: String) -> [String]? {
            guard let value = value(section, key) else { return nil }
            guard let array = value.array, array.allSatisfy({ $0.string != nil }) else {
                problems.append("[\(section)] \(key) must be a list of strings, e.g. [\"WST\", \"EST\", \"NTH\"]")
                return nil
            }
            return array.compactMap(\.string)
        }
    }
}
