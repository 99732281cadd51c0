import ArgumentParser
import Domain
import Foundation
import Node
import Store

struct ContactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contact",
        abstract: "On-call Duty Staff and contractors a Participating Organisation puts on its rotas (2.3.3).",
        discussion: """
            Contact ids begin with the organisation's code, e.g. eal-jsmith. Changes take effect at once at every \
            site (2.3.3); a contact is withdrawn, never deleted, so past referrals still name them.
            """,
        subcommands: [Add.self, Update.self, Withdraw.self, List.self, Import.self])

    /// The details of one contact, as flags.
    struct Details: ParsableArguments {
        @Option(name: .customLong("po"), help: "Participating Organisation code, e.g. EAL.") var organisation: String?
        @Option(name: .long, help: "Contact id, beginning with the organisation's code, e.g. eal-jsmith.") var id:
            String
        @Option(name: .long, help: "Full name.") var name: String?
        @Option(name: .long, help: "duty-officer, contractor or manager.") var role: String?
        @Option(name: .long, help: "Number for an outbound call (\"\" removes it).") var phone: String?
        @Option(name: .long, help: "UK mobile for SMS (\"\" removes it).") var mobile: String?
        @Option(name: .long, help: "Email address (\"\" removes it).") var email: String?
        @Option(name: .long, help: "Pager number (\"\" removes it).") var pager: String?
        @Option(name: .long, help: "Id of the contact to escalate to (\"\" removes it).") var manager: String?

        /// The contact these flags describe, over `base` when updating.
        func contact(over base: OnCallContact?) throws -> OnCallContact {
            func given<T>(_ text: String?, _ current: T?, _ parse: (String) throws -> T) throws -> T? {
                guard let text else { return current }
                return text.trimmingCharacters(in: .whitespaces).isEmpty ? nil : try parse(text)
            }
            let code = try organisation.map(OrganisationCode.init) ?? base?.organisation
            guard let code else { throw ValidationError("give --po CODE for the contact's organisation") }
            guard let name = name ?? base?.name else { throw ValidationError("give --name for the contact") }
            let roleText = role ?? base?.role.rawValue ?? ContactRole.dutyOfficer.rawValue
            guard let parsedRole = ContactRole(rawValue: roleText) else {
                throw DomainError(
                    .invalidValue,
                    "--role '\(roleText)' must be one of "
                        + ContactRole.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return try OnCallContact(
                id: try OnCallContactID(id), organisation: code, name: name, role: parsedRole,
                phone: try given(phone, base?.phone, PhoneNumber.init(parsing:)),
                mobile: try given(mobile, base?.mobile, PhoneNumber.init(parsing:)),
                email: try given(email, base?.email, EmailAddress.init(parsing:)),
                pager: try given(pager, base?.pager, PhoneNumber.init(parsing:)),
                manager: try given(manager, base?.manager, OnCallContactID.init))
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a contact, or put back one who was withdrawn.")
        @OptionGroup var dataOptions: DataOptions
        @OptionGroup var details: Details
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let contact = try details.contact(over: nil)
                let folder = try dataOptions.open()
                try folder.database.addContact(contact, at: Date())
                try show(folder, contact.id, verb: "Added", json: output.json)
            }
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a contact's details; flags not given keep their value.")
        @OptionGroup var dataOptions: DataOptions
        @OptionGroup var details: Details
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let folder = try dataOptions.open()
                let id = try OnCallContactID(details.id)
                guard let existing = try folder.database.contact(id) else {
                    throw DomainError(.notFound, "there is no contact \(id); add them with `nightdesk contact add`")
                }
                try folder.database.updateContact(try details.contact(over: existing.contact), at: Date())
                try show(folder, id, verb: "Updated", json: output.json)
            }
        }
    }

    struct Withdraw: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Withdraw a contact: refused while a rota, a current or future override, a procedure or "
                + "another contact still names them.")
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: "The contact's id.") var id: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let contactID = try OnCallContactID(id)
                let folder = try dataOptions.open()
                let changed = try folder.database.withdrawContact(contactID, at: Date())
                try show(folder, contactID, verb: changed ? "Withdrew" : "Already withdrawn:", json: output.json)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List an organisation's contacts.")
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .customLong("po"), help: "Only this organisation.") var organisation: String?
        @Flag(name: .long, help: "Include withdrawn contacts.") var all = false
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let code = try organisation.map(OrganisationCode.init)
                let folder = try dataOptions.open()
                let entries = try folder.database.contacts(organisation: code, includingWithdrawn: all)
                if output.json {
                    try printJSON(entries.map(ContactView.init))
                    return
                }
                if entries.isEmpty { print("No contacts.") }
                for entry in entries { print(line(entry)) }
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add or update one organisation's contacts from a TOML file, all in one change.",
            discussion: "The format is described in Topology/rotas/README.md. A file with any problem changes nothing.")
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: "The contacts file.") var file: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let contacts = try ContactsFile(path: file).contacts
                let folder = try dataOptions.open()
                let summary = try folder.database.saveContacts(contacts, at: Date())
                if output.json {
                    try printJSON(summary)
                    return
                }
                print("Contacts: \(summary.added) added, \(summary.changed) changed, \(summary.unchanged) unchanged")
            }
        }
    }
}

private func show(_ folder: NodeFolder, _ id: OnCallContactID, verb: String, json: Bool) throws {
    guard let entry = try folder.database.contact(id) else { return }
    if json {
        try printJSON(ContactView(entry))
    } else {
        print("\(verb) \(line(entry))")
    }
}

private func line(_ entry: ContactEntry) -> String {
    let contact = entry.contact
    let ways = contact.channels.map(spoken).joined(separator: ", ")
    return "\(contact.id)  \(contact.name) (\(contact.organisation), \(contact.role.rawValue))  \(ways)"
        + (contact.manager.map { "  manager \($0)" } ?? "") + (entry.withdrawn ? "  [withdrawn]" : "")
}
