import Domain
import Foundation
import GRDB
import Replication
import Synchronization

/// The on-call directory as the store holds it: every contact (withdrawn ones too, so older rotas and referrals
/// still resolve), every rota with its overrides, and the rows that had to be left out.
public struct RotaDirectory: Sendable {
    public let directory: OnCallDirectory
    public let withdrawn: Set<OnCallContactID>
    /// Rows left out because they break a rule, e.g. a rota naming a contact withdrawn at another site at the same
    /// time. Empty unless two sites changed related rows at once.
    public let problems: [String]
}

/// The last directory built from committed rows, kept while the rows it was built from are unchanged.
///
/// The key is the local count of changes to contacts, rotas and overrides (kept by triggers, so a change set applied
/// by another process counts too) with the catalogue's version, whose calendar the directory uses.
final class RotaDirectoryCache: Sendable {
    private let entry = Mutex<(key: [Int64], value: RotaDirectory)?>(nil)

    func value(key: [Int64]) -> RotaDirectory? {
        entry.withLock { cached in cached.flatMap { $0.key == key ? $0.value : nil } }
    }

    func store(_ value: RotaDirectory, key: [Int64]) {
        entry.withLock { $0 = (key, value) }
    }
}

/// Contacts, rotas, overrides and procedures as rows of the v6 tables, and back.
enum RotaRows {
    // MARK: - Keys

    static func overrideKey(rota: RotaID, override: RotaOverrideID) -> String { "\(rota)/\(override)" }

    static func procedureKey(organisation: OrganisationCode, option: ServiceOptionCode) -> String {
        "\(organisation)/\(option)"
    }

    /// 7.10: contact and rota ids begin with their organisation's code, so two organisations never pick the same id.
    static func checkPrefix(_ id: String, organisation: OrganisationCode, what: String) throws {
        let prefix = organisation.rawValue.lowercased() + "-"
        guard id.hasPrefix(prefix), id.count > prefix.count else {
            let example = prefix + (what == "rota" ? "repairs" : "jsmith")
            throw DomainError(
                .invalidValue,
                "\(what) id '\(id)' must begin with its organisation's code, e.g. \(example), so that ids of different "
                    + "organisations never clash")
        }
    }

    // MARK: - Fields written

    static func fields(of contact: OnCallContact, withdrawn: Bool) -> [String: FieldValue] {
        func text(_ value: String?) -> FieldValue { value.map(FieldValue.text) ?? .null }
        return [
            "organisation_code": .text(contact.organisation.rawValue), "name": .text(contact.name),
            "role": .text(contact.role.rawValue), "phone": text(contact.phone?.e164),
            "mobile": text(contact.mobile?.e164), "email": text(contact.email?.rawValue),
            "pager": text(contact.pager?.e164), "manager_id": text(contact.manager?.rawValue),
            "withdrawn": .integer(withdrawn ? 1 : 0),
        ]
    }

    static func fields(of rota: OnCallRota) throws -> [String: FieldValue] {
        [
            "organisation_code": .text(rota.organisation.rawValue), "service_option_code": .text(rota.option.rawValue),
            "sub_category": rota.subCategory.map(FieldValue.text) ?? .null,
            "area": rota.area.map { FieldValue.text($0.stored) } ?? .null, "name": .text(rota.name),
            "stages_json": .text(try json(rota.stages)),
        ]
    }

    static func fields(of override: RotaOverride, rota: OnCallRota) throws -> [String: FieldValue] {
        [
            "rota_id": .text(rota.id.rawValue), "override_id": .text(override.id.rawValue),
            "organisation_code": .text(rota.organisation.rawValue), "stage": .integer(Int64(override.stage)),
            "starts_at_ms": .integer(override.startsAt.milliseconds),
            "ends_at_ms": .integer(override.endsAt.milliseconds),
            "contacts_json": .text(try json(override.contacts)),
            "replacing_id": override.replacing.map { FieldValue.text($0.rawValue) } ?? .null,
            "created_at_ms": .integer(override.createdAt.milliseconds), "reason": .text(override.reason),
        ]
    }

    static func fields(of procedure: EscalationProcedure) throws -> [String: FieldValue] {
        [
            "organisation_code": .text(procedure.organisation.rawValue),
            "service_option_code": .text(procedure.option.rawValue), "steps_json": .text(try json(procedure.steps)),
            "fallback_json": .text(try json(procedure.whenExhausted)),
        ]
    }

    /// Stable JSON: sorted keys, so the same value is the same text at every site.
    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder.stable.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    // MARK: - Rows read

    static func contact(_ row: Row) throws -> OnCallContact {
        guard let role = ContactRole(rawValue: row["role"]) else {
            throw DomainError(.invalidValue, "role '\(row["role"] as String)' is not known here; upgrade this node")
        }
        return try OnCallContact(
            id: try OnCallContactID(row["contact_id"]), organisation: try OrganisationCode(row["organisation_code"]),
            name: row["name"], role: role, phone: try (row["phone"] as String?).map(PhoneNumber.init(parsing:)),
            mobile: try (row["mobile"] as String?).map(PhoneNumber.init(parsing:)),
            email: try (row["email"] as String?).map(EmailAddress.init(parsing:)),
            pager: try (row["pager"] as String?).map(PhoneNumber.init(parsing:)),
            manager: try (row["manager_id"] as String?).map(OnCallContactID.init))
    }

    static func override(_ row: Row) throws -> RotaOverride {
        try RotaOverride(
            id: try RotaOverrideID(row["override_id"]), stage: row["stage"],
            startsAt: Date(milliseconds: row["starts_at_ms"]), endsAt: Date(milliseconds: row["ends_at_ms"]),
            contacts: try decode([OnCallContactID].self, row["contacts_json"]),
            replacing: try (row["replacing_id"] as String?).map(OnCallContactID.init),
            createdAt: Date(milliseconds: row["created_at_ms"]), reason: row["reason"])
    }

    /// A rota row with the overrides given; overrides for a stage the rota no longer has are left out and reported.
    static func rota(_ row: Row, overrides: [RotaOverride], problems: inout [String]) throws -> OnCallRota {
        let id = try RotaID(row["rota_id"])
        let stages = try decode([RotaStage].self, row["stages_json"])
        let numbers = Set(stages.map(\.number))
        var kept: [RotaOverride] = []
        for override in overrides {
            if numbers.contains(override.stage) {
                kept.append(override)
            } else {
                problems.append(
                    "override \(override.id) of rota \(id) is for stage \(override.stage), which it no longer has")
            }
        }
        return try OnCallRota(
            id: id, organisation: try OrganisationCode(row["organisation_code"]),
            option: try ServiceOptionCode(row["service_option_code"]), subCategory: row["sub_category"],
            area: try (row["area"] as String?).map(RotaArea.init(parsing:)), name: row["name"], stages: stages,
            overrides: kept)
    }

    static func procedure(_ row: Row) throws -> EscalationProcedure {
        try EscalationProcedure(
            organisation: try OrganisationCode(row["organisation_code"]),
            option: try ServiceOptionCode(row["service_option_code"]),
            steps: try decode([EscalationStep].self, row["steps_json"]),
            whenExhausted: try decode(EscalationFallback.self, row["fallback_json"]))
    }

    /// Overrides of the rotas chosen by `filter` (an SQL condition on `rota_override`), by rota.
    static func overrides(
        _ db: Database, where filter: String = "1", arguments: StatementArguments = [],
        problems: inout [String]
    ) throws -> [String: [RotaOverride]] {
        var byRota: [String: [RotaOverride]] = [:]
        for row in try Row.fetchAll(
            db, sql: "SELECT * FROM rota_override WHERE \(filter) ORDER BY override_key", arguments: arguments)
        {
            do {
                byRota[row["rota_id"], default: []].append(try Self.override(row))
            } catch {
                problems.append("override \(row["override_key"] as String) is left out: \(error)")
            }
        }
        return byRota
    }

    // MARK: - The directory

    /// Builds the directory from every row. A row that breaks a rule is left out and reported rather than failing
    /// the whole directory: one bad rota must not stop handlers finding who is on call for every other.
    static func directory(_ db: Database, calendar: OperatingCalendar) throws -> RotaDirectory {
        var problems: [String] = []
        var contacts: [OnCallContact] = []
        var withdrawn = Set<OnCallContactID>()
        for row in try Row.fetchAll(db, sql: "SELECT * FROM oncall_contact ORDER BY contact_id") {
            do {
                let entry = try Self.contact(row)
                contacts.append(entry)
                if (row["withdrawn"] as Int64) != 0 { withdrawn.insert(entry.id) }
            } catch {
                problems.append("contact \(row["contact_id"] as String) is left out: \(error)")
            }
        }
        let overridesByRota = try Self.overrides(db, problems: &problems)
        var rotas: [OnCallRota] = []
        for row in try Row.fetchAll(db, sql: "SELECT * FROM oncall_rota ORDER BY rota_id") {
            do {
                rotas.append(try Self.rota(row, overrides: overridesByRota[row["rota_id"]] ?? [], problems: &problems))
            } catch {
                problems.append("rota \(row["rota_id"] as String) is left out: \(error)")
            }
        }
        if let directory = try? OnCallDirectory(calendar: calendar, contacts: contacts, rotas: rotas) {
            return RotaDirectory(directory: directory, withdrawn: withdrawn, problems: problems)
        }
        // Something refers to what is missing: drop broken manager links, then add rotas one by one.
        let ids = Dictionary(uniqueKeysWithValues: contacts.map { ($0.id, $0) })
        let repaired = try contacts.map { contact -> OnCallContact in
            guard let manager = contact.manager, ids[manager]?.organisation != contact.organisation else {
                return contact
            }
            problems.append("contact \(contact.id)'s manager \(manager) is not a contact of \(contact.organisation)")
            return try OnCallContact(
                id: contact.id, organisation: contact.organisation, name: contact.name, role: contact.role,
                phone: contact.phone, mobile: contact.mobile, email: contact.email, pager: contact.pager)
        }
        var directory = try OnCallDirectory(calendar: calendar, contacts: repaired, rotas: [])
        for rota in rotas {
            do {
                directory = try directory.replacing(rota)
            } catch {
                problems.append("rota \(rota.id) is left out: \(error)")
            }
        }
        return RotaDirectory(directory: directory, withdrawn: withdrawn, problems: problems)
    }
}
