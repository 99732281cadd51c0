import ArgumentParser

@main
struct Nightdesk: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nightdesk",
        abstract: "Call management for a shared out-of-hours call handling service.",
        discussion: """
            Exit codes: 0 success; 64 the command line is wrong; 65 the input breaks a rule (nothing was written); \
            66 the call or address asked for is not held here; 74 a file cannot be read or written; \
            78 the data folder or its configuration is wrong.
            """,
        subcommands: [
            InitCommand.self, ParticipantsCommand.self, CallCommand.self, AddressCommand.self, StateCommand.self,
            ChangesCommand.self, KeysCommand.self, NodeCommand.self,
        ]
    )
}
