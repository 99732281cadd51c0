import ArgumentParser
import Domain
import Foundation
import Node

/// Where a command finds the cluster's topology file and the catalogue its organisation codes are checked against.
struct TopologyOptions: ParsableArguments {
    @Option(name: .long, help: "The cluster's topology file, e.g. Topology/sample-cluster.toml.")
    var topology: String

    @Option(name: .long, help: "The catalogue of Participating Organisations.")
    var catalogue: String = "Topology/participants.toml"

    /// The checked topology and the catalogue; a topology with problems throws them all (exit 78).
    func load() throws -> (ClusterTopology, Catalogue) {
        let file = try CatalogueFile(path: catalogue)
        let known = Set(file.catalogue.organisations.map(\.code))
        return (try ClusterTopology.load(path: topology, knownOrganisations: known), file.catalogue)
    }
}

struct TopologyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "The cluster's topology file: its sites, their endpoints and public keys, and what each holds.",
        subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a topology file and the public-key files it names, and summarise the cluster.",
            discussion: """
                Every problem found is listed on its own line with its file and site, and the exit code is 78; \
                nothing is printed on standard output then.
                """)

        @OptionGroup var cluster: TopologyOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let (topology, catalogue) = try cluster.load()
                let view = TopologyView(topology, catalogue: catalogue)
                if output.json {
                    try printJSON(view)
                    return
                }
                print("Cluster \(view.cluster) (\(view.path)): \(view.sites.count) sites, no problems found.")
                let width = view.sites.map(\.code.count).max() ?? 0
                for site in view.sites {
                    let indent = String(repeating: " ", count: width + 4)
                    print("  \(site.code.padding(toLength: width, withPad: " ", startingAt: 0))  \(site.name)")
                    print("\(indent)role \(site.role), sync \(site.sync)")
                    let organisations = site.organisations.joined(separator: ", ")
                    print(
                        site.holdsEvery
                            ? "\(indent)holds every organisation in the catalogue (\(site.organisations.count)): "
                                + organisations
                            : "\(indent)holds \(organisations)")
                    print("\(indent)keys \(site.curveFingerprint), \(site.signingFingerprint) (\(site.publicKeys))")
                }
            }
        }
    }
}

/// `topology check --json` output.
struct TopologyView: Encodable {
    struct Site: Encodable {
        let code: String
        let name: String
        let role: String
        let sync: String
        let publicKeys: String
        /// True for `holds = ["*"]`; `organisations` is then the catalogue's.
        let holdsEvery: Bool
        let organisations: [String]
        let curvePublicKey: String
        let curveFingerprint: String
        let signingPublicKey: String
        let signingFingerprint: String
    }

    let path: String
    let cluster: String
    let sites: [Site]

    init(_ topology: ClusterTopology, catalogue: Catalogue) {
        path = topology.path
        cluster = topology.cluster.rawValue
        sites = topology.sites.map { site in
            Site(
                code: site.code.rawValue, name: site.name, role: site.role.rawValue, sync: site.sync,
                publicKeys: site.publicKeysPath, holdsEvery: site.holds == .every,
                organisations: topology.organisations(heldBy: site, catalogue: catalogue).map(\.rawValue),
                curvePublicKey: site.curvePublicKey.z85, curveFingerprint: site.curvePublicKey.fingerprint,
                signingPublicKey: site.signingPublicKey.base64, signingFingerprint: site.signingPublicKey.fingerprint)
        }
    }
}
