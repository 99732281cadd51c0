import ArgumentParser
import Domain
import Foundation
import Node
import Store

/// `nightdesk handler`: call handlers signing in and out of a site (7.1.10).
struct HandlerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "handler",
        abstract: "Call handlers signing in and out of this site, and who is signed in where (7.1.10).",
        discussion: """
            A sign-in records the handler at this node's site with the organisations they are trained for, and is \
            replicated: every site sees it, and signing in at another site moves them there. The running node \
            announces its handlers, per organisation, in its heartbeats (`nightdesk node status`).
            """,
        subcommands: [SignIn.self, SignOut.self, List.self])

    struct SignIn: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "signin", abstract: "Sign a handler in at this site, with the organisations they are trained for.")
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: "The handler's id: lower-case letters, digits and '-', e.g. wst-akhan.") var handler: String
        @Option(name: .long, help: "The handler's name.") var name: String
        @Option(name: .long, help: "Organisation codes they are trained for, comma-separated, e.g. EAL,ENF.")
        var trained: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let id = try HandlerID(handler)
                let record = try dataOptions.open().database.signIn(
                    handler: id, name: name, trained: [trained], at: Date())
                if output.json { return try printJSON(record) }
                print("\(record.id) (\(record.name)) signed in at \(record.site), trained for \(record.trained.joined(separator: ", "))")
            }
        }
    }

    struct SignOut: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "signout", abstract: "Sign a handler out.")
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: "The handler's id, e.g. wst-akhan.") var handler: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let record = try dataOptions.open().database.signOut(handler: try HandlerID(handler), at: Date())
                if output.json { return try printJSON(record) }
                print("\(record.id) (\(record.name)) signed out of \(record.site)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Handlers signed in, at every site or one.",
            discussion: """
                --site is taken by every command to check the data folder's site, so the site to list is given \
                with --at (or --here for this node's site).
                """)
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: "Only handlers signed in at this site code.") var at: String?
        @Flag(name: .long, help: "Only handlers signed in at this node's site.") var here = false
        @Flag(name: .long, help: "Handlers signed out too.") var all = false
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if at != nil && here { throw ValidationError("give --at SITE or --here, not both") }
        }

        func run() throws {
            try runReportingErrors {
                let folder = try dataOptions.open()
                let site = here ? folder.site.rawValue : try at.map { try SiteCode($0).rawValue }
                let handlers = try folder.database.handlers(site: site, includeSignedOut: all)
                if output.json { return try printJSON(handlers) }
                guard !handlers.isEmpty else { return print("No handlers signed in\(site.map { " at \($0)" } ?? "").") }
                for handler in handlers {
                    let status = handler.signedIn ? "signed in" : "signed out"
                    print(
                        "\(handler.site)  \(handler.id)  \(handler.name)  \(status) \(london(handler.changedAt))  "
                            + "trained: \(handler.trained.joined(separator: ", "))")
                }
            }
        }
    }
}

/// `nightdesk site`: this site's own state, announced in its heartbeats.
struct SiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "site", abstract: "This site's state as its node announces it to the others.",
        subcommands: [State.self, Evacuate.self, Return.self])

    struct State: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show this site's state, or set it to up or draining.",
            discussion: """
                The running node reads the state before every heartbeat, so the other sites see a change within \
                about a second. Draining tells them to send this site no new calls (8.1); it does not move calls \
                already here. The state is this node's alone: it is not replicated, and evacuated and down are the \
                node's to announce, not set here.
                """)
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: "The state to set: up or draining.") var set: String?
        @OptionGroup var output: OutputOptions

        struct View: Encodable {
            let site: String
            let state: String
        }

        func run() throws {
            try runReportingErrors {
                let folder = try dataOptions.open()
                if let set {
                    guard let state = SiteStateSetting(rawValue: set.lowercased()), state == .up || state == .draining
                    else {
                        throw DomainError(.invalidValue, "--set '\(set)' is not a state a person sets: give up or draining")
                    }
                    try folder.database.setSiteState(state, at: Date())
                }
                let view = View(site: folder.site.rawValue, state: try folder.database.siteState().rawValue)
                if output.json { return try printJSON(view) }
                print("site \(view.site) is \(view.state)")
            }
        }
    }
}
