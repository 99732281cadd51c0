import ArgumentParser
import Domain
import Drill
import Foundation

/// `nightdesk simulate --model`: runs the traffic model and prints the queue table the specification's figures use.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate the call centre's traffic with the model calibrated to the specification's figures.",
        discussion: """
            Calls arrive per the specification's volumes (2.1.5, 2.1.9, Appendix 2), queue by Service Standard, \
            are answered by the staffed handlers or abandoned. Prints, per organisation and Service Standard: \
            offered, % answered within the standard's threshold (Gold 20 s, Silver 60 s), % abandoned, average \
            and longest wait, and abandoned within 0–19 s and after 20 s, as Appendix 2's queue tables do. \
            With --surge the rows are split before, during and after the surge. \
            The staffing file is JSON: {"sites":[{"site":"WST","teams":[{"weekday":[24 counts from 00:00], \
            "weekend":[24 counts], "skills":["ENF"]}]}]} (skills optional: all organisations). \
            Sources/Drill/PROFILE.md says where every figure comes from.
            """)

    @Flag(name: .long, help: "Run the traffic model alone (driving real nodes is not built yet).")
    var model = false

    @Option(name: .long, help: "Days to simulate, from a Monday 00:00 (1–\(DrillLimits.runDaysMax)).")
    var days = 7

    @Option(name: .long, help: "Seed for every random draw: the same seed gives the same figures.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Day of the year the run starts (0 = 1 January), for Ealing's monthly volumes.")
    var startDay = 0

    @Option(name: .long, help: "Staffing schedule (JSON); default: the incumbent's, fitted to Enfield's figures.")
    var staffing: String?

    @Option(
        name: .long,
        help: "Surge ORG=xM@HH:MM-HH:MM on day 1, or ORG=xM@D/HH:MM-HH:MM on day D (repeatable).")
    var surge: [String] = []

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard model else {
            throw ValidationError("only the traffic model can be simulated so far: pass --model")
        }
    }

    func run() throws {
        do {
            try simulate()
        } catch let error as DrillError {
            report([error.message])
            throw ExitCode(65)
        }
    }

    private func simulate() throws {
        let schedule: StaffingSchedule
        if let staffing {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: staffing)) } catch {
                report(["cannot read the staffing file \(staffing): \(error.localizedDescription)"])
                throw ExitCode(74)
            }
            do { schedule = try JSONDecoder().decode(StaffingSchedule.self, from: data) } catch {
                throw DrillError(
                    .invalidStaffing,
                    "the staffing file \(staffing) is not a staffing schedule (\(error)): "
                        + "see `nightdesk simulate --help`"
                )
            }
        } else {
            schedule = .incumbent
        }
        let events = try surge.map(ScheduledEvent.surge(parsing:))
        var simulation = try CallCentreSimulation(
            configuration: SimulationConfiguration(
                staffing: schedule, events: events, days: days, startDayOfYear: startDay),
            seed: seed)
        let result = simulation.run()
        let rows = result.rows.map { SimulatedRow(row: $0, split: result.hasEvents) }
        let total = SimulatedRow(organisation: "Total", standard: "", window: nil, figures: result.figures())
        if output.json {
            try printJSON(
                SimulatedRun(
                    days: days, seed: seed, startDay: startDay, calls: simulation.callCount,
                    sites: simulation.sites.map(\.rawValue), rows: rows, total: total))
        } else {
            print(
                "Traffic model: \(days) day(s) from a Monday, day \(startDay) of the year, seed \(seed), "
                    + "sites \(simulation.sites.map(\.rawValue).joined(separator: ", ")), \(simulation.callCount) calls"
            )
            print(SimulatedRow.header(split: result.hasEvents))
            for row in rows { print(row.line(split: result.hasEvents)) }
            print(total.line(split: result.hasEvents))
        }
    }
}

/// The JSON form of a run.
private struct SimulatedRun: Encodable {
    let days: Int
    let seed: UInt64
    let startDay: Int
    let calls: Int
    let sites: [String]
    let rows: [SimulatedRow]
    let total: SimulatedRow
}

/// One printed row: the figures, with the percentages and average worked out.
private struct SimulatedRow: Encodable {
    let organisation: String
    let standard: String
    let window: String?
    let offered: Int
    let answered: Int
    let answeredWithinThreshold: Int
    let answeredWithinThresholdPercent: Double
    let abandoned: Int
    let abandonedPercent: Double
    let abandonedUnder20Seconds: Int
    let abandoned20SecondsOrMore: Int
    let lostToFailure: Int
    let waiting: Int
    let averageWaitSeconds: Double
    let waitSecondsMax: Double

    init(row: TrafficRow, split: Bool) {
        self.init(
            organisation: row.organisation.rawValue, standard: row.standard.rawValue,
            window: split ? row.window.rawValue : nil, figures: row.figures)
    }

    init(organisation: String, standard: String, window: String?, figures: TrafficFigures) {
        self.organisation = organisation
        self.standard = standard
        self.window = window
        offered = figures.offered
        answered = figures.answered
        answeredWithinThreshold = figures.answeredWithinThreshold
        answeredWithinThresholdPercent = (figures.answeredWithinThresholdPercent * 100).rounded() / 100
        abandoned = figures.abandoned
        abandonedPercent = (figures.abandonedPercent * 100).rounded() / 100
        abandonedUnder20Seconds = figures.abandonedUnder20Seconds
        abandoned20SecondsOrMore = figures.abandoned20SecondsOrMore
        lostToFailure = figures.lostToFailure
        waiting = figures.waiting
        averageWaitSeconds = (figures.averageWaitSeconds * 10).rounded() / 10
        waitSecondsMax = figures.waitSecondsMax.rounded()
    }

    static func header(split: Bool) -> String {
        pad("Org", 6) + pad("Standard", 9) + (split ? pad("Window", 7) : "")
            + ["Offered", "Answered", "In SLA", "% in SLA", "% Abn", "Avg wait", "Max wait", "Abn 0-19s", "Abn 20s+"]
            .map { pad($0, 10, right: true) }.joined()
    }

    func line(split: Bool) -> String {
        Self.pad(organisation, 6) + Self.pad(standard, 9) + (split ? Self.pad(window ?? "", 7) : "")
            + [
                "\(offered)", "\(answered)", "\(answeredWithinThreshold)",
                String(format: "%.2f%%", answeredWithinThresholdPercent), String(format: "%.2f%%", abandonedPercent),
                Self.clock(averageWaitSeconds), Self.clock(waitSecondsMax), "\(abandonedUnder20Seconds)",
                "\(abandoned20SecondsOrMore)",
            ].map { Self.pad($0, 10, right: true) }.joined()
    }

    /// `00:00:15`, as the specification's tables write waits.
    static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        return String(format: "%02d:%02d:%02d", whole / 3_600, whole / 60 % 60, whole % 60)
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }
}
