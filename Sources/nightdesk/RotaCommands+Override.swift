import ArgumentParser
import Domain
import Foundation
import Node
import Store

extension RotaCommand {
    struct OverrideCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "override",
            abstract: "Changes to who is on call for a period: immediate, last-minute or future-dated (14.4).",
            discussion: """
                An override beats the rota's layers; where overrides overlap, the one made last wins. With \
                --replacing (or --take-shift) it only covers that person's time on call in the period.
                """,
            subcommands: [Add.self, Cancel.self, List.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Add an override to a rota.",
                discussion: """
                    Put people on call for the whole stage: --person ID (repeatable). Cover one person's shift: \
                    --take-shift --of ID --by ID. Swap two people's shifts: --swap --of A --by B with --from/--to \
                    for A's shift (B covers it) and --back-from/--back-to for B's (A covers it); the second \
                    override's id is the given id with -back.
                    """)
            @Argument(help: "The rota's id.") var rota: String
            @OptionGroup var dataOptions: DataOptions
            @Option(name: .long, help: "An id for the override, e.g. swap-2026-11-23.") var id: String
            @Option(name: .long, help: "The stage it changes.") var stage = 1
            @Option(name: .long, help: "Starts: now, 2026-11-22T21:30 (London) or ISO 8601.") var from: String
            @Option(name: .long, help: "Ends.") var to: String
            @Option(name: .long, parsing: .singleValue, help: "Someone to put on call; repeatable.") var person:
                [String] = []
            @Option(name: .long, help: "Only cover this person's time on call.") var replacing: String?
            @Flag(name: .long, help: "--by covers --of's shift.") var takeShift = false
            @Flag(name: .long, help: "--of and --by swap shifts.") var swap = false
            @Option(name: .long, help: "Whose shift is covered (--take-shift, --swap).") var of: String?
            @Option(name: .long, help: "Who covers it (--take-shift, --swap).") var by: String?
            @Option(name: .long, help: "Start of the shift given back (--swap).") var backFrom: String?
            @Option(name: .long, help: "End of the shift given back (--swap).") var backTo: String?
            @Option(name: .long, help: "Why, for the record.") var reason = ""
            @OptionGroup var output: OutputOptions

            func validate() throws {
                guard !(takeShift && swap) else { throw ValidationError("give --take-shift or --swap, not both") }
                if takeShift || swap {
                    guard of != nil, by != nil, person.isEmpty, replacing == nil else {
                        throw ValidationError("--take-shift and --swap need --of ID and --by ID (and no --person)")
                    }
                    guard swap == (backFrom != nil && backTo != nil), swap || (backFrom == nil && backTo == nil) else {
                        throw ValidationError("--swap needs --back-from and --back-to for the shift given back")
                    }
                } else {
                    guard !person.isEmpty else {
                        throw ValidationError("give --person ID, or --take-shift / --swap with --of and --by")
                    }
                    guard of == nil, by == nil, backFrom == nil, backTo == nil else {
                        throw ValidationError("--of, --by, --back-from and --back-to go with --take-shift or --swap")
                    }
                }
            }

            func run() throws {
                try runReportingErrors {
                    let now = Date()
                    let rotaID = try RotaID(rota)
                    let overrideID = try RotaOverrideID(id)
                    let starts = try parseTime(from, option: "--from", now: now)
                    let ends = try parseTime(to, option: "--to", now: now)
                    let overrides: [RotaOverride]
                    if swap, let of, let by, let backFrom, let backTo {
                        overrides = try RotaOverride.swap(
                            ids: (overrideID, try RotaOverrideID(id + "-back")), stage: stage,
                            (try OnCallContactID(of), starts, ends),
                            (
                                try OnCallContactID(by), try parseTime(backFrom, option: "--back-from", now: now),
                                try parseTime(backTo, option: "--back-to", now: now)
                            ), createdAt: now, reason: reason)
                    } else if takeShift, let of, let by {
                        overrides = [
                            try RotaOverride.takeShift(
                                id: overrideID, stage: stage, of: try OnCallContactID(of), by: try OnCallContactID(by),
                                startsAt: starts, endsAt: ends, createdAt: now, reason: reason)
                        ]
                    } else {
                        overrides = [
                            try RotaOverride(
                                id: overrideID, stage: stage, startsAt: starts, endsAt: ends,
                                contacts: try person.map(OnCallContactID.init),
                                replacing: try replacing.map(OnCallContactID.init), createdAt: now, reason: reason)
                        ]
                    }
                    let folder = try dataOptions.open()
                    try folder.database.addOverrides(overrides, to: rotaID, at: now)
                    if output.json {
                        try printJSON(overrides.map { OverrideView($0, rota: rotaID, at: now) })
                        return
                    }
                    for override in overrides {
                        print("Added \(OverrideView(override, rota: rotaID, at: now).line)")
                    }
                }
            }
        }

        struct Cancel: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Cancel an override: one not yet started is removed, one in force ends now.",
                discussion: "An override that has ended is kept: on-call hours count it.")
            @Argument(help: "The rota's id.") var rota: String
            @Argument(help: "The override's id.") var id: String
            @OptionGroup var dataOptions: DataOptions
            @OptionGroup var output: OutputOptions

            func run() throws {
                try runReportingErrors {
                    let rotaID = try RotaID(rota)
                    let overrideID = try RotaOverrideID(id)
                    let folder = try dataOptions.open()
                    let result = try folder.database.cancelOverride(overrideID, of: rotaID, at: Date())
                    let text: String
                    switch result {
                    case .removed: text = "Override \(overrideID) of rota \(rotaID) removed (it had not started)"
                    case .endedEarly(let at): text = "Override \(overrideID) of rota \(rotaID) ended at \(london(at))"
                    }
                    if output.json {
                        try printJSON(["rota": rotaID.rawValue, "override": overrideID.rawValue, "result": text])
                    } else {
                        print(text)
                    }
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "List a rota's overrides in force or to come (--all: past ones too).")
            @Argument(help: "The rota's id.") var rota: String
            @OptionGroup var dataOptions: DataOptions
            @Flag(name: .long, help: "Include overrides that have ended.") var all = false
            @OptionGroup var output: OutputOptions

            func run() throws {
                try runReportingErrors {
                    let now = Date()
                    let rotaID = try RotaID(rota)
                    let folder = try dataOptions.open()
                    guard let found = try folder.database.rota(rotaID) else {
                        throw DomainError(.notFound, "there is no rota \(rotaID)")
                    }
                    let shown = found.overrides.filter { all || $0.endsAt > now }
                        .sorted { ($0.startsAt, $0.id) < ($1.startsAt, $1.id) }
                        .map { OverrideView($0, rota: rotaID, at: now) }
                    if output.json {
                        try printJSON(shown)
                        return
                    }
                    if shown.isEmpty { print("Rota \(rotaID) has no overrides\(all ? "" : " in force or to come").") }
                    for view in shown { print(view.line) }
                }
            }
        }
    }
}

struct OverrideView: Encodable {
    let id: String
    let rota: String
    let stage: Int
    let startsAt: Date
    let endsAt: Date
    let people: [String]
    let replacing: String?
    let createdAt: Date
    let timing: String
    let state: String?
    let reason: String

    init(_ override: RotaOverride, rota: RotaID, at now: Date? = nil) {
        id = override.id.rawValue
        self.rota = rota.rawValue
        stage = override.stage
        startsAt = override.startsAt
        endsAt = override.endsAt
        people = override.contacts.map(\.rawValue)
        replacing = override.replacing?.rawValue
        createdAt = override.createdAt
        timing = override.timing.rawValue
        state = now.map { now in
            override.endsAt <= now ? "ended" : override.startsAt <= now ? "in force" : "to come"
        }
        reason = override.reason
    }

    var line: String {
        "\(id) (rota \(rota), stage \(stage)): \(people.joined(separator: ", "))"
            + (replacing.map { " covering \($0)" } ?? "") + " from \(london(startsAt)) to \(london(endsAt)); "
            + "\(timing)\(state.map { ", \($0)" } ?? "")" + (reason.isEmpty ? "" : "; \(reason)")
    }
}
