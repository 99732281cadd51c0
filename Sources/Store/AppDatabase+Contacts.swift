import Domain
import Foundation
import GRDB
import Replication

/// What saving contacts did.
public struct ContactsSaveSummary: Sendable, Codable, Equatable {
    public var added = 0
    public var changed = 0
    public var unchanged = 0
}

/// A contact as held here, with whether the organisation has withdrawn them.
public struct ContactEntry: Sendable, Equatable {
    public let contact: OnCallContact
    public let withdrawn: Bool
}

extension AppDatabase {
    // MARK: - Contacts (2.3.3: Regularly Variable Data, immediately actionable)

    /// Adds a contact, or puts back one that was withdrawn. Refuses an id already in use.
    public func addContact(_ contact: OnCallContact, at instant: Date) throws {
        try write { db in _ = try saveContacts(db, [contact], mode: .add, at: instant) }
    }

    /// Replaces a contact's details; the organisation a contact belongs to never changes.
    public func updateContact(_ contact: OnCallContact, at instant: Date) throws {
        try write { db in _ = try saveContacts(db, [contact], mode: .update, at: instant) }
    }

    /// Saves one organisation's contacts as one change, e.g. from a contacts file: new ones are added, withdrawn
    /// ones put back, changed ones updated. A contact's manager may be another contact of the same batch.
    @discardableResult
    public func saveContacts(_ contacts: [OnCallContact], at instant: Date) throws -> ContactsSaveSummary {
        try write { db in try saveContacts(db, contacts, mode: .upsert, at: instant) }
    }

    enum ContactSaveMode { case add, update, upsert }

    private func saveContacts(_ db: Database, _ contacts: [OnCallContact], mode: ContactSaveMode, at instant: Date)
        throws -> ContactsSaveSummary
    {
        guard let organisation = contacts.first?.organisation else { return ContactsSaveSummary() }
        guard contacts.allSatisfy({ $0.organisation == organisation }) else {
            throw DomainError(.invalidValue, "contacts are saved one organisation at a time; these name several")
        }
        _ = try Self.servedOrganisation(try catalogue(db), organisation)
        var problems: [DomainError] = []
        var batch: [OnCallContactID: OnCallContact] = [:]
        var existing: [OnCallContactID: ContactEntry] = [:]
        for contact in contacts {
            do {
                try RotaRows.checkPrefix(contact.id.rawValue, organisation: organisation, what: "contact")
                guard batch.updateValue(contact, forKey: contact.id) == nil else {
                    throw DomainError(.invalidValue, "contact \(contact.id) is given twice")
                }
                let entry = try Self.contactEntry(db, contact.id)
                existing[contact.id] = entry
                try Self.checkSave(contact, over: entry, mode: mode)
            } catch let error as DomainError {
                problems.append(error)
            }
        }
        for contact in contacts {
            guard let managerID = contact.manager else { continue }
            let manager =
                try batch[managerID] ?? Self.contactEntry(db, managerID).flatMap { $0.withdrawn ? nil : $0.contact }
            if manager == nil {
                problems.append(
                    DomainError(
                        .notFound,
                        "contact \(contact.id) names manager \(managerID), who is not a current contact: add them first"
                    ))
            } else if manager?.organisation != organisation {
                problems.append(
                    DomainError(
                        .invalidValue,
                        "contact \(contact.id) names manager \(managerID) of another organisation: a manager must "
                            + "belong to \(organisation)"))
            }
        }
        if problems.count == 1 { throw problems[0] }
        if !problems.isEmpty { throw DomainErrors(problems) }
        var summary = ContactsSaveSummary()
        try commitLocal(db, at: instant, scope: .organisation(organisation.rawValue)) { _ in
            contacts.compactMap { contact in
                let before = existing[contact.id]
                if let before, !before.withdrawn, before.contact == contact {
                    summary.unchanged += 1
                    return nil
                }
                if before == nil { summary.added += 1 } else { summary.changed += 1 }
                var fields = RotaRows.fields(of: contact, withdrawn: false)
                if before != nil { fields["organisation_code"] = nil }
                return RowOperation(
                    table: ReplicatedTables.oncallContact.table, key: contact.id.rawValue,
                    action: .upsert(fields: fields, supersedes: [:]))
            }
        }
        return summary
    }

    private static func checkSave(_ contact: OnCallContact, over existing: ContactEntry?, mode: ContactSaveMode) throws
    {
        guard let existing else {
            if mode == .update {
                throw DomainError(.notFound, "there is no contact \(contact.id); add them with `nightdesk contact add`")
            }
            return
        }
        guard existing.contact.organisation == contact.organisation else {
            throw DomainError(
                .invalidValue,
                "contact \(contact.id) belongs to \(existing.contact.organisation) and cannot move to "
                    + "\(contact.organisation): add a new contact for \(contact.organisation)")
        }
        if mode == .add, !existing.withdrawn {
            throw DomainError(
                .invalidValue,
                "contact \(contact.id) already exists (\(existing.contact.name)); change them with "
                    + "`nightdesk contact update`")
        }
        if mode == .update, existing.withdrawn {
            throw DomainError(
                .lifecycle, "contact \(contact.id) was withdrawn; put them back with `nightdesk contact add`")
        }
    }

    /// Withdraws a contact. Refused while a rota, an override in force or to come, a procedure or a contact who is
    /// not withdrawn still names them. Returns `false` when they were already withdrawn.
    @discardableResult
    public func withdrawContact(_ id: OnCallContactID, at instant: Date) throws -> Bool {
        try write { db in
            guard let existing = try Self.contactEntry(db, id) else {
                throw DomainError(.notFound, "there is no contact \(id)")
            }
            guard !existing.withdrawn else { return false }
            let built = try onCallDirectory(db, cacheable: false)
            let directory = built.directory
            var uses: [String] = []
            for rota in directory.rotas.values.sorted(by: { $0.id < $1.id }) {
                let onLayers = rota.stages.contains { stage in
                    stage.layers.contains { $0.rotation.turns.contains { $0.contains(id) } }
                }
                if onLayers { uses.append("rota \(rota.id)") }
                for override in rota.overrides where override.endsAt > instant && override.contacts.contains(id) {
                    uses.append("override \(override.id) of rota \(rota.id)")
                }
            }
            for contact in directory.contacts.values.sorted(by: { $0.id < $1.id })
            where contact.manager == id && !built.withdrawn.contains(contact.id) {
                uses.append("the manager of \(contact.id)")
            }
            for procedure in try procedures(db, organisation: existing.contact.organisation)
            where procedure.contactIDs.contains(id) {
                uses.append("the escalation procedure for \(procedure.option)")
            }
            guard uses.isEmpty else {
                throw DomainError(
                    .lifecycle,
                    "contact \(id) cannot be withdrawn while named by \(uses.joined(separator: ", ")): "
                        + "change those first")
            }
            try commitLocal(db, at: instant, scope: .organisation(existing.contact.organisation.rawValue)) { _ in
                [
                    RowOperation(
                        table: ReplicatedTables.oncallContact.table, key: id.rawValue,
                        action: .upsert(fields: ["withdrawn": .integer(1)], supersedes: [:]))
                ]
            }
            return true
        }
    }

    /// Contacts, by id; withdrawn ones only when asked for.
    public func contacts(organisation: OrganisationCode?, includingWithdrawn: Bool = false) throws -> [ContactEntry] {
        try read { db in
            var sql = "SELECT * FROM oncall_contact WHERE 1"
            var arguments: StatementArguments = []
            if let organisation {
                sql += " AND organisation_code = ?"
                arguments += [organisation.rawValue]
            }
            if !includingWithdrawn { sql += " AND withdrawn = 0" }
            return try Row.fetchAll(db, sql: sql + " ORDER BY contact_id", arguments: arguments).map { row in
                ContactEntry(contact: try RotaRows.contact(row), withdrawn: (row["withdrawn"] as Int64) != 0)
            }
        }
    }

    /// One contact, withdrawn or not.
    public func contact(_ id: OnCallContactID) throws -> ContactEntry? {
        try read { db in try Self.contactEntry(db, id) }
    }

    static func contactEntry(_ db: Database, _ id: OnCallContactID) throws -> ContactEntry? {
        try Row.fetchOne(db, sql: "SELECT * FROM oncall_contact WHERE contact_id = ?", arguments: [id.rawValue]).map {
            ContactEntry(contact: try RotaRows.contact($0), withdrawn: ($0["withdrawn"] as Int64) != 0)
        }
    }

    /// Checks that every id names a current contact of the organisation; every problem is reported at once.
    func checkContacts(_ db: Database, _ ids: Set<OnCallContactID>, organisation: OrganisationCode, usedBy: String)
        throws
    {
        var problems: [DomainError] = []
        for id in ids.sorted() {
            guard let entry = try Self.contactEntry(db, id) else {
                problems.append(DomainError(.notFound, "\(usedBy) names \(id), who is not a contact: add them first"))
                continue
            }
            if entry.contact.organisation != organisation {
                problems.append(
                    DomainError(
                        .invalidValue,
                        "\(usedBy) of \(organisation) names \(id) of \(entry.contact.organisation): it may only name "
                            + "\(organisation)'s own contacts"))
            } else if entry.withdrawn {
                problems.append(
                    DomainError(
                        .lifecycle, "\(usedBy) names \(id), who was withdrawn: put them back or name someone else"))
            }
        }
        if problems.count == 1 { throw problems[0] }
        if !problems.isEmpty { throw DomainErrors(problems) }
    }

    /// The organisation from the catalogue, or a refusal naming those served.
    static func servedOrganisation(_ catalogue: Catalogue, _ code: OrganisationCode) throws
        -> ParticipatingOrganisation
    {
        guard let organisation = catalogue.organisation(code) else {
            throw DomainError(
                .unknownOrganisation,
                "organisation \(code) is not served here; known: "
                    + catalogue.organisations.map(\.code.rawValue).joined(separator: ", "))
        }
        return organisation
    }

    /// The Service Option as the organisation operates it, or a refusal naming those it does.
    static func operatedOption(_ catalogue: Catalogue, _ code: OrganisationCode, _ option: ServiceOptionCode) throws
        -> ServiceOption
    {
        let organisation = try servedOrganisation(catalogue, code)
        guard let entry = organisation.option(option) else {
            throw DomainError(
                .optionNotOperated,
                "\(organisation.name) (\(code)) does not operate the Service Option '\(option)'; it operates: "
                    + organisation.options.map(\.code.rawValue).joined(separator: ", "))
        }
        return entry
    }
}
