import ArgumentParser
import Domain
import Foundation
import Node
import Store

struct ProcedureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "procedure",
        abstract: "Escalation Procedures: what to do when a referral gets no answer (5.3.2, 8.9).",
        subcommands: [SetProcedure.self, Show.self])

    struct SetProcedure: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set an organisation's procedure for one Service Option from a TOML file.",
            discussion: "The format is described in Topology/rotas/README.md. A file with any problem changes nothing.")
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: "The procedure file.") var file: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let procedure = try ProcedureFile(path: file).procedure
                let folder = try dataOptions.open()
                let changed = try folder.database.setProcedure(procedure, at: Date())
                if output.json {
                    try printJSON(ProcedureView(procedure, standard: false))
                    return
                }
                print(
                    "Procedure for \(procedure.organisation) \(procedure.option) \(changed ? "set" : "unchanged"): "
                        + "\(procedure.steps.count) steps")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the procedure a referral follows for an option (the standard one where none is set).")
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .customLong("po"), help: "Participating Organisation code.") var organisation: String
        @Option(name: .long, help: "Service Option code.") var option: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let code = try OrganisationCode(organisation)
                let optionCode = try ServiceOptionCode(option)
                let folder = try dataOptions.open()
                let catalogue = try folder.database.catalogue()
                guard catalogue.organisation(code)?.option(optionCode) != nil else {
                    throw DomainError(
                        .optionNotOperated, "\(code) does not operate the Service Option '\(optionCode)' here")
                }
                let set = try folder.database.procedure(organisation: code, option: optionCode)
                let procedure = set ?? .standard(organisation: code, option: optionCode)
                if output.json {
                    try printJSON(ProcedureView(procedure, standard: set == nil))
                    return
                }
                print(
                    "\(code) \(optionCode): "
                        + (set == nil
                            ? "no procedure set; referrals follow the standard one" : "procedure set by \(code)"))
                for (index, step) in procedure.steps.enumerated() {
                    let channels = step.channels.map(\.rawValue).joined(separator: ", ")
                    print(
                        "  step \(index + 1): \(step.target) by \(channels), "
                            + "then wait \(step.acknowledgementWaitMs / 60_000) min for an acknowledgement")
                }
                let fallback = procedure.whenExhausted
                var last: [String] = []
                if fallback.alertSupervisor { last.append("alert the supervisor") }
                if !fallback.emergencyContacts.isEmpty {
                    last.append("call " + fallback.emergencyContacts.map(\.rawValue).joined(separator: ", "))
                }
                if !fallback.instructions.isEmpty { last.append(fallback.instructions) }
                print(
                    "  when everyone has been tried: " + (last.isEmpty ? "nothing set" : last.joined(separator: "; ")))
            }
        }
    }
}

struct ProcedureView: Encodable {
    let procedure: EscalationProcedure
    let standard: Bool

    init(_ procedure: EscalationProcedure, standard: Bool) {
        self.procedure = procedure
        self.standard = standard
    }
}
