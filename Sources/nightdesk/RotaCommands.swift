import ArgumentParser
import Domain
import Foundation
import Node
import Store

struct RotaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rota",
        abstract:
            "On-call rotas: who is on call for an organisation's Service Option, and changes to them (7.5, 14.4).",
        subcommands: [SetRota.self, Show.self, Who.self, Gaps.self, Hours.self, OverrideCommand.self])

    struct SetRota: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set one rota, as a whole, from a TOML file.",
            discussion: """
                The format is described in Topology/rotas/README.md. What a rota covers (organisation, option, \
                sub-category, area) is fixed when it is made; everyone it names must be a current contact of its \
                organisation. A file with any problem changes nothing.
                """)
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: "The rota file.") var file: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let rota = try RotaFile(path: file).rota
                let folder = try dataOptions.open()
                let change = try folder.database.setRota(rota, at: Date())
                if output.json {
                    try printJSON(["rota": rota.id.rawValue, "change": change.rawValue])
                    return
                }
                print("Rota \(rota.id) \(change.rawValue): \(rotaScope(rota)), \(rota.stages.count) stages")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one rota, or list an organisation's rotas with --po.")
        @Argument(help: "The rota's id.") var id: String?
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .customLong("po"), help: "List this organisation's rotas.") var organisation: String?
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (id == nil) != (organisation == nil) else {
                throw ValidationError("give a rota id, or --po CODE to list an organisation's rotas")
            }
        }

        func run() throws {
            try runReportingErrors {
                let folder = try dataOptions.open()
                // Rows two sites changed at once in ways that break a rule are left out of lookups: say so.
                for problem in try folder.database.onCallDirectory().problems {
                    var standardError = FileHandle.standardError
                    print("warning: \(problem)", to: &standardError)
                }
                if let organisation {
                    let rotas = try folder.database.rotas(organisation: try OrganisationCode(organisation))
                    if output.json {
                        try printJSON(rotas.map(RotaView.init))
                        return
                    }
                    if rotas.isEmpty { print("\(organisation.uppercased()) has no rotas.") }
                    for rota in rotas {
                        print("\(rota.id)  \(rota.name)  \(rotaScope(rota))  \(rota.stages.count) stages")
                    }
                    return
                }
                let rotaID = try RotaID(id ?? "")
                guard let rota = try folder.database.rota(rotaID) else {
                    throw DomainError(
                        .notFound, "there is no rota \(rotaID); list them with `nightdesk rota show --po CODE`")
                }
                if output.json {
                    try printJSON(RotaView(rota))
                    return
                }
                print("\(rota.id)  \(rota.name)  \(rotaScope(rota))")
                for stage in rota.stages {
                    print("Stage \(stage.number): \(stage.name)")
                    for layer in stage.layers {
                        let rotation = layer.rotation
                        var text =
                            "  layer '\(layer.name)' priority \(layer.priority): \(rotation.length), handoff "
                            + "\(rotation.handoff) from \(rotation.startDate)"
                        if let end = layer.endDate { text += " until \(end)" }
                        if !layer.restrictions.isEmpty {
                            text += "; only " + layer.restrictions.map(\.description).joined(separator: "; ")
                        }
                        print(text)
                        print(
                            "    turns: "
                                + rotation.turns.map { $0.map(\.rawValue).joined(separator: "+") }
                                .joined(separator: " | "))
                    }
                }
                let now = Date()
                let live = rota.overrides.filter { $0.endsAt > now }.count
                print(
                    "Overrides: \(live) in force or to come, \(rota.overrides.count - live) past "
                        + "(`nightdesk rota override list \(rota.id)`)")
            }
        }
    }

    struct Who: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Who is on call: the ordered escalation list with how to reach each person and why (7.5).",
            discussion: """
                The most specific rota that covers the sub-category and area and has somebody on call answers. When \
                nobody is on call the command says ROTA GAP and still exits 0: follow the Escalation Procedure.
                """)
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .customLong("po"), help: "Participating Organisation code.") var organisation: String
        @Option(name: .long, help: "Service Option code.") var option: String
        @Option(name: .long, help: "Sub-category, e.g. heating.") var subCategory: String?
        @Option(name: .long, help: "Ward the incident is in.") var ward: String?
        @Option(name: .long, help: "Postcode (or postcode district) of the incident.") var postcode: String?
        @Option(name: .long, help: "When: now, 2026-11-22T21:30 (London) or ISO 8601.") var at: String = "now"
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let instant = try parseTime(at, option: "--at", now: Date())
                let code = try OrganisationCode(organisation)
                let optionCode = try ServiceOptionCode(option)
                var areas: [RotaArea] = []
                if let ward { areas.append(try RotaArea.ward(ward)) }
                if let postcode {
                    areas.append(
                        postcode.contains(" ") || postcode.count > 4
                            ? try RotaArea.postcodeDistrict(ofPostcode: postcode)
                            : try RotaArea.postcodeDistrict(postcode))
                }
                let folder = try dataOptions.open()
                let answer = try folder.database.onCall(
                    OnCallQuery(organisation: code, option: optionCode, subCategory: subCategory, areas: areas),
                    at: instant)
                let view = OnCallView(answer, organisation: code, option: optionCode, at: instant)
                if output.json { try printJSON(view) } else { view.printText() }
            }
        }
    }

    struct Gaps: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Periods in the coming days when an option is open and nobody is on call.")
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .customLong("po"), help: "Participating Organisation code.") var organisation: String
        @Option(name: .long, help: "Days ahead to look (1–\(DomainLimits.rotaReportDaysMax)).") var days = 14
        @Option(name: .long, help: "From when: now, 2026-11-22T21:30 (London) or ISO 8601.") var from: String = "now"
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (1...DomainLimits.rotaReportDaysMax).contains(days) else {
                throw ValidationError("--days must be from 1 to \(DomainLimits.rotaReportDaysMax)")
            }
        }

        func run() throws {
            try runReportingErrors {
                let start = try parseTime(from, option: "--from", now: Date())
                let code = try OrganisationCode(organisation)
                let folder = try dataOptions.open()
                let gaps = try folder.database.rotaGaps(
                    organisation: code, from: start, to: start.addingTimeInterval(Double(days) * 86_400))
                if output.json {
                    try printJSON(gaps.map(GapView.init))
                    return
                }
                if gaps.isEmpty { print("No rota gaps for \(code) in the \(days) days from \(london(start)).") }
                for gap in gaps {
                    let scope = ([gap.subCategory].compactMap { $0 } + [gap.area?.description].compactMap { $0 })
                        .joined(separator: ", ")
                    print(
                        "\(gap.option)\(scope.isEmpty ? "" : " (\(scope))"): nobody on call "
                            + "\(london(gap.startsAt)) – \(london(gap.endsAt)) (\(gap.seconds / 60) min)")
                }
            }
        }
    }

    struct Hours: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Hours each of an organisation's contacts was on call in a month (for standby allowances).")
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .customLong("po"), help: "Participating Organisation code.") var organisation: String
        @Option(name: .long, help: "The month, YYYY-MM.") var month: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let code = try OrganisationCode(organisation)
                let parsed = try LocalMonth(parsing: month)
                let folder = try dataOptions.open()
                let totals = try folder.database.onCallTotals(organisation: code, month: parsed)
                if output.json {
                    try printJSON(
                        totals.map { HoursView(contact: $0.contact.rawValue, seconds: $0.seconds, hours: $0.hours) })
                    return
                }
                if totals.isEmpty { print("Nobody in \(code) was on call in \(parsed).") }
                for total in totals {
                    print("\(total.contact)  \(String(format: "%.1f", total.hours)) h")
                }
            }
        }
    }
}

/// What a rota covers, e.g. `EAL housing-repairs, sub-category heating, ward Walpole`.
func rotaScope(_ rota: OnCallRota) -> String {
    "\(rota.organisation) \(rota.option)" + (rota.subCategory.map { ", sub-category \($0)" } ?? "")
        + (rota.area.map { ", \($0)" } ?? "")
}

struct RotaView: Encodable {
    let id: String
    let organisation: String
    let option: String
    let subCategory: String?
    let area: String?
    let name: String
    let stages: [RotaStage]
    let overrides: [OverrideView]

    init(_ rota: OnCallRota) {
        id = rota.id.rawValue
        organisation = rota.organisation.rawValue
        option = rota.option.rawValue
        subCategory = rota.subCategory
        area = rota.area?.stored
        name = rota.name
        stages = rota.stages
        overrides = rota.overrides.map { OverrideView($0, rota: rota.id) }
    }
}

struct GapView: Encodable {
    let option: String
    let subCategory: String?
    let area: String?
    let startsAt: Date
    let endsAt: Date
    let minutes: Int64

    init(_ gap: RotaGapInterval) {
        option = gap.option.rawValue
        subCategory = gap.subCategory
        area = gap.area?.stored
        startsAt = gap.startsAt
        endsAt = gap.endsAt
        minutes = gap.seconds / 60
    }
}

struct HoursView: Encodable {
    let contact: String
    let seconds: Int64
    let hours: Double
}
