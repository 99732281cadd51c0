import ArgumentParser
import Domain
import Foundation
import Node

struct AddressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "address",
        abstract: "Organisations' address gazetteers (7.11).",
        subcommands: [Import.self, Find.self])

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace an organisation's gazetteer from a CSV file.",
            discussion: """
                Columns: UPRN,X_COORDINATE,Y_COORDINATE,LATITUDE,LONGITUDE (the OS Open UPRN layout), then \
                SAON,PAON,STREET,LOCALITY,TOWN,POSTCODE,WARD. A file with any bad row imports nothing.
                """)
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .customLong("po"), help: "The organisation whose gazetteer this is.") var organisation: String
        @Argument(help: "The CSV file.") var file: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let code = try OrganisationCode(organisation)
                let folder = try dataOptions.open()
                let addresses = try CatalogueFile.readGazetteer(path: file)
                let count = try folder.database.importGazetteer(organisation: code, addresses: addresses)
                if output.json {
                    try printJSON(ImportView(organisation: code.rawValue, addresses: count))
                } else {
                    print("Imported \(count) addresses for \(code) from \(file).")
                }
            }
        }
    }

    struct Find: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find addresses in an organisation's gazetteer by the words a caller gives.")
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .customLong("po"), help: "The organisation.") var organisation: String
        @Argument(help: "Words of the address, e.g. \"12 acacia w5\".") var words: [String]
        @Option(name: .long, help: "Most results.") var limit: Int = 10
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let code = try OrganisationCode(organisation)
                let folder = try dataOptions.open()
                // Without this a mistyped code finds nothing and the handler is told to log the address as text.
                guard try folder.database.catalogue().organisation(code) != nil else {
                    throw DomainError(
                        .unknownOrganisation,
                        "organisation \(code) is not served here; see `nightdesk participants list`")
                }
                let found = try folder.database.findAddresses(
                    organisation: code, text: words.joined(separator: " "), limit: limit)
                if output.json {
                    try printJSON(found)
                    return
                }
                if found.isEmpty { print("No address in \(code)'s gazetteer matches; log the address as text.") }
                for address in found {
                    print("\(address.uprn)  \(address.singleLine)  (\(address.ward))")
                }
            }
        }
    }
}

/// `address import --json`: the count as a number, for scripts.
struct ImportView: Encodable {
    let organisation: String
    let addresses: Int
}
