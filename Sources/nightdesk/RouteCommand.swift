import ArgumentParser
import Domain
import Foundation
import Node

/// Where the catalogue comes from: the node's store, or a catalogue file given with `--catalogue`.
struct CatalogueSource: ParsableArguments {
    @Option(name: .long, help: "Read the catalogue from this file instead of the node's data folder.")
    var catalogue: String?
    @OptionGroup var dataOptions: DataOptions

    func load() throws -> Catalogue {
        if let catalogue { return try CatalogueFile(path: catalogue).catalogue }
        return try dataOptions.open().database.catalogue()
    }
}

/// `--digit` values: one key per play of the menu; plays after the last key pass with none.
func presses(_ digits: [String]) throws -> [IVRPress] {
    try digits.map { .key(try IVRKey($0)) }
}

struct NumberCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "number",
        abstract: "Access numbers: which organisation and Service Option a dialled number reaches (7.1.2–7.1.4).",
        subcommands: [Show.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resolve a dialled number: its organisation, and its option or IVR menu.")
        @Argument(help: "The dialled number, e.g. \"020 7946 0103\".") var number: String
        @Option(
            name: .long,
            help: "A key the caller presses (0-9, *, #); repeat for later plays of the menu.")
        var digit: [String] = []
        @OptionGroup var source: CatalogueSource
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let resolution = try source.load().resolve(try PhoneNumber(parsing: number))
                let reached = resolution.option(after: try presses(digit))
                if output.json {
                    try printJSON(NumberView(resolution, reached: reached))
                    return
                }
                let organisation = resolution.organisation
                print("\(resolution.access.number)  \(resolution.access.label)")
                print("  organisation: \(organisation.code)  \(organisation.name)")
                switch resolution.route {
                case .general:
                    print("  general number: the handler picks the Service Option from the caller's answers")
                case .dedicated(let option):
                    print("  dedicated number: \(option)")
                case .menu(let menu):
                    print("  IVR menu: \"\(menu.prompt)\"")
                    for choice in menu.choices {
                        print("    \(choice.key)  \(choice.option)  (\(choice.label))")
                    }
                    print(
                        "    no valid key within \(menu.waitSeconds) s replays the menu; after \(menu.playsMax) plays "
                            + "the call goes to \(menu.defaultOption)")
                }
                if let reached {
                    print(
                        "  reaches: \(reached.option.code) (\(reached.option.name), "
                            + "\(reached.option.standard.rawValue)) by \(reached.how)")
                }
            }
        }
    }
}

struct NumberView: Encodable {
    struct Choice: Encodable {
        let key: String
        let option: String
        let label: String
    }
    struct Menu: Encodable {
        let prompt: String
        let choices: [Choice]
        let defaultOption: String
        let waitSeconds: Int
        let plays: Int
    }
    let number: String
    let label: String
    let organisation: String
    let organisationName: String
    /// `dedicated`, `menu` or `general`.
    let kind: String
    let option: String?
    let menu: Menu?
    /// The option the call reaches after the given keys, and how.
    let reaches: String?
    let reachedBy: String?
    let standard: String?

    init(_ resolution: AccessResolution, reached: (option: ServiceOption, how: String)?) {
        number = resolution.access.number.e164
        label = resolution.access.label
        organisation = resolution.organisation.code.rawValue
        organisationName = resolution.organisation.name
        switch resolution.route {
        case .general:
            kind = "general"
            option = nil
            menu = nil
        case .dedicated(let code):
            kind = "dedicated"
            option = code.rawValue
            menu = nil
        case .menu(let value):
            kind = "menu"
            option = nil
            menu = Menu(
                prompt: value.prompt,
                choices: value.choices.map {
                    Choice(key: $0.key.rawValue, option: $0.option.rawValue, label: $0.label)
                },
                defaultOption: value.defaultOption.rawValue, waitSeconds: value.waitSeconds, plays: value.playsMax)
        }
        reaches = reached?.option.code.rawValue
        reachedBy = reached?.how
        standard = reached?.option.standard.rawValue
    }
}

struct RouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route",
        abstract: "Where a new call to an access number goes, from the sites' views (7.1.7, 7.1.10).",
        discussion: """
            Reads the sites' views (state, handlers signed in by training, calls by organisation), which sites this \
            node sees and any manual split from a JSON file (README, "Routing"), or with --live from the running \
            node (its mesh-status.json and store, and the split set with `route split`; exit 69 when the node is \
            not running), and prints each site's weight with its reason and the site this call's key picks. On a \
            number with an IVR menu, --digit gives the caller's keys, one per play; plays after the last key pass \
            with none, so the call reaches the menu's default.
            """,
        subcommands: [RouteSplitCommand.self])
    // Optional to the parser so that `route split` needs none; `run` asks for it.
    @Option(name: .long, help: "The dialled access number.") var number: String?
    @Option(name: .long, help: "A key the caller presses on the menu (0-9, *, #); repeat for later plays.")
    var digit: [String] = []
    @Option(name: .long, help: "On a general number, the option the handler picked.") var option: String?
    @Option(name: .long, help: "The site views as JSON (default: site-views.json in the data folder).")
    var views: String?
    @Flag(name: .long, help: "Route as the running node does now: its heartbeats, store and manual split.")
    var live = false
    @Option(name: .long, help: "The caller's number, for the call's routing key (default: withheld).")
    var caller: String = "withheld"
    @Option(name: .long, help: "When the call is offered, for the routing key's time bucket (default: now).")
    var at: String = "now"
    @OptionGroup var source: CatalogueSource
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if live && views != nil {
            throw ValidationError("give --live or --views, not both: --live reads the running node's views")
        }
    }

    func run() throws {
        guard let number else {
            throw ValidationError("give the dialled access number with --number, e.g. --number \"020 7946 0103\"")
        }
        try runReportingErrors { try reportingNotRunning {
            let catalogue = try source.load()
            let resolution = try catalogue.resolve(try PhoneNumber(parsing: number))
            let organisation = resolution.organisation
            let chosen: ServiceOption
            let how: String
            if case .general = resolution.route {
                guard let option else {
                    throw ValidationError(
                        "\(resolution.access.number) is a general number: the handler picks the option, so give "
                            + "--option CODE (one of "
                            + organisation.options.map(\.code.rawValue).joined(separator: ", ") + ")")
                }
                let code = try ServiceOptionCode(option)
                guard let found = organisation.option(code) else {
                    throw DomainError(
                        .optionNotOperated,
                        "\(organisation.code) does not operate \(code); see `nightdesk participants show "
                            + "\(organisation.code)`")
                }
                chosen = found
                how = "picked by the handler on a general number"
            } else {
                if option != nil {
                    throw ValidationError(
                        "\(resolution.access.number) chooses its own option; drop --option (use --digit on a menu)")
                }
                // Plays after the given keys pass with none, so a menu always reaches an option.
                let menuPlays = if case .menu(let menu) = resolution.route { menu.playsMax } else { 0 }
                var keys = try presses(digit)
                keys += Array(repeating: .noKey, count: menuPlays)
                guard let reached = resolution.option(after: keys) else {
                    throw DomainError(.invalidValue, "\(resolution.access.number) reaches no option")
                }
                (chosen, how) = reached
            }
            let viewsPath =
                views ?? URL(fileURLWithPath: source.dataOptions.resolvedPath).appendingPathComponent(
                    "site-views.json"
                ).path
            let router =
                live
                ? try RoutingViews.liveRouter(folder: try source.dataOptions.open(), now: Date())
                : try RoutingViewsFile.read(path: viewsPath)
            let instant = try parseTime(at, option: "--at", now: Date())
            let key = RoutingKey(caller: caller, at: instant)
            let answer = router.route(
                RoutedCall(organisation: organisation.code, option: chosen.code, standard: chosen.standard, key: key))
            if output.json {
                try printJSON(
                    RouteView(
                        number: resolution.access.number.e164, reachedBy: how, key: key.description,
                        percentile: key.percentile, node: router.node.rawValue, answer: answer))
                return
            }
            print(
                "\(resolution.access.number) → \(organisation.code) \(chosen.code) (\(chosen.standard.rawValue)), "
                    + "by \(how)")
            if let cutOff = answer.cutOff { print(cutOff) }
            if let pick = answer.pick {
                print(
                    "goes to \(pick): \(answer.disposition == .answer ? "answered" : "queued") "
                        + "(key \(key), percentile \(key.percentile))")
            } else {
                print("no site can take it now")
            }
            for site in answer.sites {
                let weight = String(repeating: " ", count: max(0, 3 - String(site.weightPercent).count))
                print("  \(site.site)\(weight) \(site.weightPercent)%  \(site.reason)")
            }
            for note in answer.notes { print("note: \(note)") }
        } }
    }
}

struct RouteView: Encodable {
    let number: String
    let reachedBy: String
    let key: String
    let percentile: Int
    let node: String
    let answer: RoutingAnswer
}
