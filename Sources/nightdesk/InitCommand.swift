import ArgumentParser
import Domain
import Foundation
import Node

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a node data folder for a site and load the catalogue (and its sample gazetteers).",
        discussion: """
            Run again on the same folder to reload a changed catalogue. A folder that belongs to another site \
            is refused. Nothing is written when the catalogue or a gazetteer has a problem.
            """)

    @Option(name: .long, help: "The data folder to create.")
    var data: String = ProcessInfo.processInfo.environment["NIGHTDESK_DATA"] ?? "data"

    @Option(name: .long, help: "This site's code: 2 to 4 of 23456789ABCDEFGHJKMNPQRSTUVWXYZ, e.g. WST.")
    var site: String

    @Option(name: .long, help: "A readable name for the site, e.g. \"West London\".")
    var siteName: String?

    @Option(name: .long, help: "The catalogue of Participating Organisations.")
    var catalogue: String = "Topology/participants.toml"

    @Flag(name: .long, help: "Do not import the gazetteers the catalogue names.")
    var noGazetteers = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        try runReportingErrors {
            let siteCode = try SiteCode(site)
            let file = try CatalogueFile(path: catalogue)
            let (_, report) = try NodeFolder.initialise(
                path: data, site: siteCode, siteName: siteName, catalogueFile: file, loadGazetteers: !noGazetteers,
                at: Date())
            if output.json {
                try printJSON(report)
                return
            }
            print(
                "\(report.created ? "Created" : "Updated") data folder \(report.dataFolder) for site \(report.site): "
                    + "\(report.catalogue.organisations) organisations, \(report.catalogue.serviceOptions) service options, "
                    + "\(report.catalogue.accessNumbers) access numbers, "
                    + "\(report.gazetteerAddresses.values.reduce(0, +)) gazetteer addresses.")
            if !report.catalogue.withdrawnOptions.isEmpty {
                print("Withdrawn (kept for their calls): \(report.catalogue.withdrawnOptions.joined(separator: ", "))")
            }
        }
    }
}
