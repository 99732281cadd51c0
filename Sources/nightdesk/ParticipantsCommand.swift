import ArgumentParser
import Domain
import Foundation
import Node

struct ParticipantsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "participants",
        abstract: "The Participating Organisations this node serves.",
        subcommands: [List.self, Show.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List organisations with their options and numbers.")
        @OptionGroup var dataOptions: DataOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let folder = try dataOptions.open()
                let catalogue = try folder.database.catalogue()
                let sizes = try folder.database.gazetteerSizes()
                if output.json {
                    try printJSON(
                        catalogue.organisations.map { organisation in
                            OrganisationView(
                                organisation, numbers: catalogue.accessNumbers.filter { $0.organisation == organisation.code },
                                gazetteerAddresses: sizes[organisation.code] ?? 0)
                        })
                    return
                }
                for organisation in catalogue.organisations {
                    let numbers = catalogue.accessNumbers.filter { $0.organisation == organisation.code }
                    print(
                        "\(organisation.code)  \(organisation.name) (\(organisation.kind.rawValue)): "
                            + "\(organisation.options.count) service options, \(numbers.count) access numbers, "
                            + "\(sizes[organisation.code] ?? 0) addresses")
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one organisation: its options, standards, hours, script questions and numbers.")
        @Argument(help: "The organisation's code, e.g. EAL.") var organisation: String
        @OptionGroup var dataOptions: DataOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let code = try OrganisationCode(organisation)
                let folder = try dataOptions.open()
                let catalogue = try folder.database.catalogue()
                guard let found = catalogue.organisation(code) else {
                    throw DomainError(
                        .unknownOrganisation,
                        "organisation \(code) is not served here; see `nightdesk participants list`")
                }
                let numbers = catalogue.accessNumbers.filter { $0.organisation == code }
                if output.json {
                    try printJSON(
                        OrganisationView(
                            found, numbers: numbers,
                            gazetteerAddresses: try folder.database.gazetteerSizes()[code] ?? 0))
                    return
                }
                print("\(found.code)  \(found.name) (\(found.kind.rawValue))")
                print("Referral limit: \(found.referralLimitMinutes) minutes after the call ends (6.4b)")
                for option in found.options {
                    print(
                        "\n  \(option.code)  \(option.name)  [\(option.standard.rawValue)\(option.informationOnly ? ", information only" : "")]"
                    )
                    print("    hours: \(option.hours.name); default action: \(option.defaultAction.rawValue)")
                    for question in option.questions {
                        let values = question.values.isEmpty ? "" : " {\(question.values.joined(separator: " | "))}"
                        print(
                            "    \(question.order). \(question.code) (\(question.datatype.rawValue)\(question.required ? ", required" : "")): \(question.prompt)\(values)"
                        )
                    }
                }
                print("\n  Access numbers:")
                for number in numbers {
                    print("    \(number.number)  \(number.label)\(number.option.map { " → \($0)" } ?? "")")
                    if let menu = number.menu {
                        let keys = menu.choices.map { "\($0.key) \($0.option)" }.joined(separator: ", ")
                        print("      menu: \(keys); default \(menu.defaultOption)")
                    }
                }
                print("\n  Out-of-scope categories: \(found.outOfScopeCategories.joined(separator: "; "))")
            }
        }
    }
}

struct OrganisationView: Encodable {
    let code: String
    let name: String
    let kind: String
    let referralLimitMinutes: Int
    let outOfScopeCategories: [String]
    let options: [ServiceOption]
    let accessNumbers: [AccessNumber]
    let gazetteerAddresses: Int

    init(_ organisation: ParticipatingOrganisation, numbers: [AccessNumber], gazetteerAddresses: Int) {
        code = organisation.code.rawValue
        name = organisation.name
        kind = organisation.kind.rawValue
        referralLimitMinutes = organisation.referralLimitMinutes
        outOfScopeCategories = organisation.outOfScopeCategories
        options = organisation.options
        accessNumbers = numbers
        self.gazetteerAddresses = gazetteerAddresses
    }
}
