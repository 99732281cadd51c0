import ArgumentParser
import Domain
import Foundation
import Node
import Replication
import Store

struct ChangesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "changes",
        abstract: "Move change sets between nodes by file, for sites with no link between them.",
        discussion: """
            `export` writes the change sets another node lacks as JSON lines; `import` applies such a file. \
            Importing is idempotent: change sets already held are skipped.
            """,
        subcommands: [Export.self, Import.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write change sets as JSON lines to standard output.")
        @OptionGroup var dataOptions: DataOptions
        @Option(
            name: .long,
            help: "What the receiving node already holds, as SITE:SEQUENCE pairs, e.g. WST:12,EST:40 (default: nothing).")
        var holds: String = ""
        @Option(name: .long, help: "Most change sets to write.") var limit: Int = 100_000

        func validate() throws {
            guard (1...1_000_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 1000000") }
        }

        func run() throws {
            try runReportingErrors {
                let vector = try parseVector(holds)
                let folder = try dataOptions.open()
                for set in try folder.database.changeSets(missingFrom: vector, limit: limit) {
                    print(String(decoding: try AppDatabase.encode(set), as: UTF8.self))
                }
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply change sets from a JSON lines file.")
        @OptionGroup var dataOptions: DataOptions
        @Argument(help: "The file written by `changes export` (- for standard input).") var file: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let data: Data
                if file == "-" {
                    data = FileHandle.standardInput.readDataToEndOfFile()
                } else {
                    guard let read = FileManager.default.contents(atPath: file) else {
                        throw NodeError.unreadable(path: file, reason: "it cannot be read")
                    }
                    data = read
                }
                var sets: [ChangeSet] = []
                for (index, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() where !line.isEmpty {
                    do {
                        sets.append(try AppDatabase.decodeChangeSet(Data(line)))
                    } catch {
                        throw DomainError(
                            .invalidValue, "\(file) line \(index + 1) is not a change set written by `changes export`")
                    }
                }
                let folder = try dataOptions.open()
                let report = try folder.database.receive(sets, at: Date())
                if output.json {
                    try printJSON(report)
                    return
                }
                print(
                    "Received \(sets.count) change sets: \(report.stored) new, \(report.duplicates) already held, "
                        + "\(report.applied) applied, \(report.quarantined.count) quarantined, \(report.refused.count) refused.")
                for reason in report.refused { print("  refused: \(reason)") }
                if !report.refused.isEmpty { throw ExitCode(65) }
            }
        }
    }
}

/// Parses `WST:12,EST:40` into a version vector.
func parseVector(_ text: String) throws -> VersionVector {
    var entries: [SiteID: OriginSequence] = [:]
    for pair in text.split(separator: ",") where !pair.trimmingCharacters(in: .whitespaces).isEmpty {
        let parts = pair.split(separator: ":")
        guard parts.count == 2, let sequence = UInt64(parts[1].trimmingCharacters(in: .whitespaces)) else {
            throw DomainError(.invalidValue, "'\(pair)' is not SITE:SEQUENCE, e.g. WST:12")
        }
        let site = try SiteCode(String(parts[0]).trimmingCharacters(in: .whitespaces))
        entries[SiteID(site.rawValue)] = OriginSequence(sequence)
    }
    return VersionVector(entries)
}
