import ArgumentParser
import Domain
import Foundation
import Node
import Store

/// `nightdesk announcement`: recorded announcements in front of an organisation's calls (5.1.3).
struct AnnouncementCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "announcement",
        abstract: "Announcements callers hear after the greeting during an incident (5.1.3).",
        discussion: """
            Each set or clear is a new version, replicated under the organisation's key; the last one written wins \
            for its organisation and option. Every node records when a version becomes live in its store, and \
            `announcement show ID` prints the time from deployment to live at each site: 5.1.3 asks for 15 minutes.
            """,
        subcommands: [Deploy.self, Clear.self, List.self, Show.self])

    struct Target: ParsableArguments {
        @Option(name: .long, help: "The Participating Organisation's code, e.g. EAL.") var organisation: String
        @Option(name: .long, help: "One Service Option only (default: every option of the organisation).")
        var option: String?
    }

    struct Deploy: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Deploy or replace an organisation's announcement.",
            discussion: "The text is at most \(DomainLimits.announcementTextCharactersMax) characters.")
        @OptionGroup var dataOptions: DataOptions
        @OptionGroup var target: Target
        @Option(name: .long, help: "What callers hear after the greeting.") var text: String
        @Option(name: .long, help: "When it comes down by itself: 2026-11-22T23:30 (London) or ISO 8601.")
        var until: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let now = Date()
                let untilDate = try until.map { try parseTime($0, option: "--until", now: now) }
                let record = try dataOptions.open().database.setAnnouncement(
                    organisation: target.organisation, option: target.option, text: text, until: untilDate, at: now)
                if output.json { return try printJSON(record) }
                print("Announcement \(record.id) live at \(record.deployedSite) for \(scope(record))"
                    + (record.until.map { " until \(london($0))" } ?? ""))
            }
        }
    }

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take an organisation's announcement down.")
        @OptionGroup var dataOptions: DataOptions
        @OptionGroup var target: Target
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let record = try dataOptions.open().database.clearAnnouncement(
                    organisation: target.organisation, option: target.option, at: Date())
                if output.json { return try printJSON(record) }
                print("Announcement for \(scope(record)) cleared (version \(record.id))")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Announcements callers hear now.")
        @OptionGroup var dataOptions: DataOptions
        @Flag(name: .long, help: "Cleared and expired ones too.") var all = false
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let now = Date()
                let records = try dataOptions.open().database.announcements(at: now, includeInactive: all)
                if output.json { return try printJSON(records) }
                guard !records.isEmpty else { return print("No announcements are up.") }
                for record in records {
                    let status = record.cleared ? "cleared" : record.isPlaying(at: now) ? "up" : "expired"
                    print(
                        "\(record.id)  \(scope(record))  \(status)  deployed \(london(record.deployedAt)) at "
                            + "\(record.deployedSite)\(record.until.map { ", until \(london($0))" } ?? "")  "
                            + "live at \(record.live.count) site(s)")
                    if !record.cleared { print("    \"\(record.text)\"") }
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One announcement version and the time it took to go live at each site.")
        @OptionGroup var dataOptions: DataOptions
        @Argument(help: "The version id `set` printed, e.g. WST-12.") var id: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let record = try dataOptions.open().database.announcement(id: id)
                if output.json { return try printJSON(record) }
                print("Announcement \(record.id) for \(scope(record))" + (record.current ? "" : " (since replaced)"))
                print("deployed \(london(record.deployedAt)) at \(record.deployedSite)"
                    + (record.until.map { ", until \($0 > Date() ? "" : "expired ")\(london($0))" } ?? ""))
                if record.cleared { print("clears the announcement") } else if record.current { print("\"\(record.text)\"") }
                print("time to every site (5.1.3: within 15 minutes):")
                for live in record.live {
                    print("  \(live.site)  live \(ISO8601DateFormatter().string(from: live.liveAt))  after " + String(format: "%.3f s", Double(live.afterMs) / 1000))
                }
            }
        }
    }
}

private func scope(_ record: AnnouncementRecord) -> String {
    "\(record.organisation) " + (record.option ?? "every option")
}
