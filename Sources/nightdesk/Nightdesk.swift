import ArgumentParser

@main
struct Nightdesk: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nightdesk",
        abstract: "Call management for a shared out-of-hours call handling service.",
        discussion: """
            Exit codes: 0 success; 64 the command line is wrong; 65 the input breaks a rule (nothing was written); \
            66 the call, address, contact, rota or referral asked for is not held here, or a key file needed is \
            missing; 74 a file cannot be read or written; 75 some outbox messages could not be sent yet; 78 the data \
            folder, the topology or other configuration is wrong.
            """,
        subcommands: [
            InitCommand.self, ParticipantsCommand.self, CallCommand.self, AddressCommand.self, StateCommand.self,
            ChangesCommand.self, KeysCommand.self, TopologyCommand.self, NodeCommand.self, ContactCommand.self,
            RotaCommand.self, ProcedureCommand.self, ReferralCommand.self, OutboxCommand.self, LoneCommand.self,
            HandlerCommand.self, SiteCommand.self, AnnouncementCommand.self,
            NumberCommand.self, RouteCommand.self, LineTestCommand.self, SimulateCommand.self,
            DrillCommand.self,
        ]
    )
}
