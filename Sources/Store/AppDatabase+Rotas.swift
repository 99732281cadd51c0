import Domain
import Foundation
import GRDB
import Replication

/// What setting a rota did.
public enum RotaChange: String, Sendable, Codable {
    case created, changed, unchanged
}

/// What cancelling an override did (14.4).
public enum OverrideCancellation: Sendable, Equatable {
    /// It had not started: it is gone.
    case removed
    /// It was in force: it now ends at this instant, and the time it was in force stays on record.
    case endedEarly(at: Date)
}

extension AppDatabase {
    // MARK: - Rotas (7.5, 14.4)

    /// Sets a rota as a whole. What it covers (organisation, option, sub-category, area) is fixed when it is made;
    /// every person it names must be a current contact of its organisation.
    @discardableResult
    public func setRota(_ rota: OnCallRota, at instant: Date) throws -> RotaChange {
        try write { db in
            let catalogue = try self.catalogue(db)
            _ = try Self.operatedOption(catalogue, rota.organisation, rota.option)
            try RotaRows.checkPrefix(rota.id.rawValue, organisation: rota.organisation, what: "rota")
            guard rota.overrides.isEmpty else {
                throw DomainError(.invalidValue, "a rota is set without overrides; add them with `rota override add`")
            }
            let current = try Row.fetchOne(
                db, sql: "SELECT * FROM oncall_rota WHERE rota_id = ?", arguments: [rota.id.rawValue])
            var overrides: [RotaOverride] = []
            if let current {
                var ignored: [String] = []
                let existing = try RotaRows.rota(current, overrides: [], problems: &ignored)
                guard existing.organisation == rota.organisation, existing.option == rota.option,
                    existing.subCategory == rota.subCategory, existing.area == rota.area
                else {
                    throw DomainError(
                        .invalidValue,
                        "rota \(rota.id) covers \(Self.scope(existing)); what a rota covers cannot change: give the "
                            + "rota for \(Self.scope(rota)) another id")
                }
                overrides =
                    try RotaRows.overrides(
                        db, where: "rota_id = ?", arguments: [rota.id.rawValue], problems: &ignored)[rota.id.rawValue]
                    ?? []
                let stages = Set(rota.stages.map(\.number))
                let stranded = overrides.filter { !stages.contains($0.stage) && $0.endsAt > instant }
                guard stranded.isEmpty else {
                    throw DomainError(
                        .lifecycle,
                        "rota \(rota.id) would lose stage \(stranded[0].stage), which override "
                            + "\(stranded.map(\.id.rawValue).joined(separator: ", ")) still covers: cancel it first")
                }
                overrides.removeAll { !stages.contains($0.stage) }
            }
            try checkContacts(db, rota.contactIDs, organisation: rota.organisation, usedBy: "rota \(rota.id)")
            let whole = try OnCallRota(
                id: rota.id, organisation: rota.organisation, option: rota.option, subCategory: rota.subCategory,
                area: rota.area, name: rota.name, stages: rota.stages, overrides: overrides)
            _ = try onCallDirectory(db, cacheable: false).directory.replacing(whole)
            var fields = try RotaRows.fields(of: rota)
            if let current {
                for name in ["organisation_code", "service_option_code", "sub_category", "area"] { fields[name] = nil }
                guard
                    (current["name"] as String) != rota.name
                        || (current["stages_json"] as String) != fields["stages_json"]?.text
                else {
                    return .unchanged
                }
            }
            try commitLocal(db, at: instant, scope: .organisation(rota.organisation.rawValue)) { _ in
                [
                    RowOperation(
                        table: ReplicatedTables.oncallRota.table, key: rota.id.rawValue,
                        action: .upsert(fields: fields, supersedes: [:]))
                ]
            }
            return current == nil ? .created : .changed
        }
    }

    /// A rota with its overrides, or `nil` when none has that id.
    public func rota(_ id: RotaID) throws -> OnCallRota? {
        try onCallDirectory().directory.rotas[id]
    }

    /// An organisation's rotas by option, then by id.
    public func rotas(organisation: OrganisationCode) throws -> [OnCallRota] {
        try onCallDirectory().directory.rotas.values.filter { $0.organisation == organisation }
            .sorted { ($0.option, $0.id) < ($1.option, $1.id) }
    }

    static func scope(_ rota: OnCallRota) -> String {
        "\(rota.organisation) \(rota.option)" + (rota.subCategory.map { ", sub-category \($0)" } ?? "")
            + (rota.area.map { ", \($0)" } ?? "")
    }

    // MARK: - Overrides (14.4: immediate, last-minute and future-dated changes)

    /// Adds overrides to a rota in one change, e.g. the two halves of a swap.
    public func addOverrides(_ overrides: [RotaOverride], to rotaID: RotaID, at instant: Date) throws {
        precondition(!overrides.isEmpty, "no overrides to add")
        try write { db in
            let directory = try onCallDirectory(db, cacheable: false)
            guard var rota = directory.directory.rotas[rotaID] else {
                throw DomainError(.notFound, "there is no rota \(rotaID); see `nightdesk rota show --po CODE`")
            }
            var ids = Set<OnCallContactID>()
            for override in overrides {
                ids.formUnion(override.contacts)
                guard override.endsAt > instant else {
                    throw DomainError(
                        .invalidValue,
                        "override \(override.id) ends at \(Self.local(override.endsAt, try catalogue(db))), which has "
                            + "passed: nothing to change")
                }
                if rota.overrides.contains(where: { $0.id == override.id }) {
                    throw DomainError(
                        .invalidValue, "rota \(rotaID) already has override \(override.id): choose another id")
                }
                rota = try rota.adding(override)
            }
            try checkContacts(db, ids, organisation: rota.organisation, usedBy: "override of rota \(rotaID)")
            for replaced in Set(overrides.compactMap(\.replacing))
            where directory.directory.contact(replaced)?.organisation != rota.organisation {
                throw DomainError(.notFound, "\(replaced) is not a contact of \(rota.organisation)")
            }
            _ = try directory.directory.replacing(rota)
            try commitLocal(db, at: instant, scope: .organisation(rota.organisation.rawValue)) { _ in
                try overrides.map { override in
                    RowOperation(
                        table: ReplicatedTables.rotaOverride.table,
                        key: RotaRows.overrideKey(rota: rotaID, override: override.id),
                        action: .upsert(fields: try RotaRows.fields(of: override, rota: rota), supersedes: [:]))
                }
            }
        }
    }

    /// Cancels an override: one not yet started is removed, one in force ends now; one that has ended is history
    /// (on-call hours count it) and is refused.
    @discardableResult
    public func cancelOverride(_ overrideID: RotaOverrideID, of rotaID: RotaID, at instant: Date) throws
        -> OverrideCancellation
    {
        try write { db in
            guard let rota = try onCallDirectory(db, cacheable: false).directory.rotas[rotaID] else {
                throw DomainError(.notFound, "there is no rota \(rotaID)")
            }
            guard let override = rota.overrides.first(where: { $0.id == overrideID }) else {
                throw DomainError(
                    .notFound,
                    "rota \(rotaID) has no override \(overrideID); see `nightdesk rota override list \(rotaID)`")
            }
            guard override.endsAt > instant else {
                throw DomainError(
                    .lifecycle,
                    "override \(overrideID) ended at \(Self.local(override.endsAt, try catalogue(db))); past "
                        + "overrides are kept for the on-call hours")
            }
            let key = RotaRows.overrideKey(rota: rotaID, override: overrideID)
            let removing = override.startsAt >= instant
            try commitLocal(db, at: instant, scope: .organisation(rota.organisation.rawValue)) { _ in
                [
                    RowOperation(
                        table: ReplicatedTables.rotaOverride.table, key: key,
                        action: removing
                            ? .remove
                            : .upsert(fields: ["ends_at_ms": .integer(instant.milliseconds)], supersedes: [:]))
                ]
            }
            return removing ? .removed : .endedEarly(at: instant)
        }
    }

    // MARK: - Escalation Procedures (5.3.2, 8.9)

    /// Sets an organisation's procedure for one of its Service Options. Returns whether anything changed.
    @discardableResult
    public func setProcedure(_ procedure: EscalationProcedure, at instant: Date) throws -> Bool {
        try write { db in
            let catalogue = try self.catalogue(db)
            _ = try Self.operatedOption(catalogue, procedure.organisation, procedure.option)
            try checkContacts(
                db, procedure.contactIDs, organisation: procedure.organisation,
                usedBy: "the escalation procedure for \(procedure.option)")
            let key = RotaRows.procedureKey(organisation: procedure.organisation, option: procedure.option)
            var fields = try RotaRows.fields(of: procedure)
            if let current = try Row.fetchOne(
                db, sql: "SELECT * FROM escalation_procedure WHERE procedure_key = ?", arguments: [key])
            {
                fields["organisation_code"] = nil
                fields["service_option_code"] = nil
                guard
                    (current["steps_json"] as String) != fields["steps_json"]?.text
                        || (current["fallback_json"] as String) != fields["fallback_json"]?.text
                else { return false }
            }
            try commitLocal(db, at: instant, scope: .organisation(procedure.organisation.rawValue)) { _ in
                [
                    RowOperation(
                        table: ReplicatedTables.escalationProcedure.table, key: key,
                        action: .upsert(fields: fields, supersedes: [:]))
                ]
            }
            return true
        }
    }

    /// The procedure an organisation set for an option, or `nil` when it set none (the standard one applies).
    public func procedure(organisation: OrganisationCode, option: ServiceOptionCode) throws -> EscalationProcedure? {
        try read { db in try Self.procedure(db, organisation: organisation, option: option) }
    }

    /// Every procedure an organisation set, by option.
    public func procedures(organisation: OrganisationCode) throws -> [EscalationProcedure] {
        try read { db in try procedures(db, organisation: organisation) }
    }

    func procedures(_ db: Database, organisation: OrganisationCode) throws -> [EscalationProcedure] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM escalation_procedure WHERE organisation_code = ? ORDER BY service_option_code",
            arguments: [organisation.rawValue]
        ).map(RotaRows.procedure)
    }

    static func procedure(_ db: Database, organisation: OrganisationCode, option: ServiceOptionCode) throws
        -> EscalationProcedure?
    {
        try Row.fetchOne(
            db, sql: "SELECT * FROM escalation_procedure WHERE procedure_key = ?",
            arguments: [RotaRows.procedureKey(organisation: organisation, option: option)]
        ).map(RotaRows.procedure)
    }

    // MARK: - Who is on call

    /// Every contact and rota, ready for lookups; rebuilt only after contacts, rotas, overrides or the catalogue
    /// changed, here or at another site.
    public func onCallDirectory() throws -> RotaDirectory {
        try read { db in try onCallDirectory(db, cacheable: true) }
    }

    /// The directory as `db` sees it. Only a directory read from committed rows is cached: one built inside a write
    /// transaction may yet be rolled back.
    func onCallDirectory(_ db: Database, cacheable: Bool) throws -> RotaDirectory {
        let key = try directoryKey(db)
        if let cached = rotaDirectoryCache.value(key: key) { return cached }
        let built = try RotaRows.directory(db, calendar: try catalogue(db).calendar)
        if cacheable { rotaDirectoryCache.store(built, key: key) }
        return built
    }

    /// What the directory is built from, as a key: the count of changes to contacts, rotas and overrides, and the
    /// catalogue's version.
    func directoryKey(_ db: Database) throws -> [Int64] {
        let changes = "SELECT version FROM oncall_directory_version WHERE id = 1"
        let catalogue = "SELECT catalogue_version FROM node_identity WHERE id = 1"
        return [
            try Int64.fetchOne(db.cachedStatement(sql: changes)) ?? 0,
            try Int64.fetchOne(db.cachedStatement(sql: catalogue)) ?? 0,
        ]
    }

    /// Who is on call for a call, stage by stage, or the gap (7.5). Refuses an organisation not served here or an
    /// option it does not operate, rather than report a gap that is not one.
    public func onCall(_ query: OnCallQuery, at instant: Date) throws -> OnCallAnswer {
        _ = try Self.operatedOption(try catalogue(), query.organisation, query.option)
        return try onCallDirectory().directory.onCall(query, at: instant)
    }

    /// Periods in the coming days when nobody is on call while a Service Option is open (2.1.5, 7.5).
    public func rotaGaps(organisation: OrganisationCode, from: Date, to: Date) throws -> [RotaGapInterval] {
        let catalogue = try catalogue()
        return try onCallDirectory().directory.rotaGaps(
            for: try Self.servedOrganisation(catalogue, organisation), from: from, to: to)
    }

    /// Time each contact of an organisation spent on call in a month (standby allowances).
    public func onCallTotals(organisation: OrganisationCode, month: LocalMonth) throws -> [OnCallTotal] {
        _ = try Self.servedOrganisation(try catalogue(), organisation)
        return try onCallDirectory().directory.onCallTotals(organisation: organisation, month: month)
    }
}
