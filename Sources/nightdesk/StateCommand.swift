import ArgumentParser
import Domain
import Foundation
import Node
import Replication
import Store

struct StateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "The replicated state this node holds.",
        subcommands: [Digest.self, Show.self])

    struct Digest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a hash of the replicated data (not of the change log).",
            discussion: """
                Two nodes print the same digest exactly when they hold the same data. With --po, only that \
                Participating Organisation's data counts: calls, timelines, notes, contacts, rotas, overrides, \
                procedures and referrals.
                """)
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .customLong("po"), help: "Only this organisation's data.") var organisation: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let code = try organisation.map(OrganisationCode.init)
                let folder = try dataOptions.open()
                let digest = try folder.database.stateDigest(organisation: code?.rawValue)
                if output.json {
                    try printJSON(DigestView(site: folder.site.rawValue, organisation: code?.rawValue, digest: digest))
                } else {
                    print(digest)
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show version vectors, gaps, quarantined change sets and tombstones.")
        @OptionGroup var dataOptions: DataOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let folder = try dataOptions.open()
                let database = folder.database
                let view = StateView(
                    site: folder.site.rawValue, clock: try database.lastClock()?.description,
                    held: try database.heldVector().entries.reduce(into: [:]) { $0[$1.key.rawValue] = $1.value.rawValue },
                    applied: try database.appliedVector().entries.reduce(into: [:]) { $0[$1.key.rawValue] = $1.value.rawValue },
                    gaps: try database.gaps().map { "\($0.origin) \($0.missing.lowerBound)…\($0.missing.upperBound)" },
                    quarantined: try database.quarantined().map { "\($0.name): \($0.reason)" },
                    tombstones: try database.tombstoneCount(), digest: try database.stateDigest())
                if output.json {
                    try printJSON(view)
                    return
                }
                print("site \(view.site), clock \(view.clock ?? "never ticked")")
                print("held:    " + view.held.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                print("applied: " + view.applied.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                print("gaps: \(view.gaps.isEmpty ? "none" : view.gaps.joined(separator: "; "))")
                print("quarantined: \(view.quarantined.isEmpty ? "none" : "\n  " + view.quarantined.joined(separator: "\n  "))")
                print("tombstones: \(view.tombstones)")
                print("digest: \(view.digest)")
            }
        }
    }
}

struct DigestView: Encodable {
    let site: String
    let organisation: String?
    let digest: String
}

struct StateView: Encodable {
    let site: String
    let clock: String?
    let held: [String: UInt64]
    let applied: [String: UInt64]
    let gaps: [String]
    let quarantined: [String]
    let tombstones: Int
    let digest: String
}
