import Domain
import Foundation
import GRDB
import Replication

/// Reads the catalogue tables back into a checked `Catalogue`.
enum CatalogueRows {
    static func read(_ db: Database) throws -> Catalogue {
        let decoder = JSONDecoder()
        guard
            let calendarJSON = try String.fetchOne(
                db, sql: "SELECT calendar_json FROM catalogue_calendar WHERE id = 1")
        else {
            throw StoreError.noCatalogue
        }
        let calendar = try decoder.decode(OperatingCalendar.self, from: Data(calendarJSON.utf8))
        var optionsByOrganisation: [String: [ServiceOption]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT * FROM service_option WHERE withdrawn = 0") {
            let organisation: String = row["organisation_code"]
            let option = ServiceOption(
                code: try ServiceOptionCode(row["code"]), name: row["name"], description: row["description"],
                defaultAction: CallActionKind(rawValue: row["default_action"]) ?? .refer,
                standard: ServiceStandard(rawValue: row["standard"]) ?? .silver,
                hours: try decoder.decode(OperatingHours.self, from: Data((row["hours_json"] as String).utf8)),
                informationOnly: row["information_only"],
                questions: try decoder.decode([ScriptQuestion].self, from: Data((row["questions_json"] as String).utf8)))
            optionsByOrganisation[organisation, default: []].append(option)
        }
        var organisations: [ParticipatingOrganisation] = []
        for row in try Row.fetchAll(db, sql: "SELECT * FROM organisation WHERE withdrawn = 0 ORDER BY code") {
            let code: String = row["code"]
            organisations.append(
                ParticipatingOrganisation(
                    code: try OrganisationCode(code), name: row["name"],
                    kind: OrganisationKind(rawValue: row["kind"]) ?? .council,
                    referralLimitMinutes: row["referral_limit_minutes"],
                    outOfScopeCategories: try decoder.decode(
                        [String].self, from: Data((row["out_of_scope_categories_json"] as String).utf8)),
                    options: optionsByOrganisation[code] ?? []))
        }
        var numbers: [AccessNumber] = []
        for row in try Row.fetchAll(db, sql: "SELECT * FROM access_number ORDER BY number") {
            numbers.append(
                AccessNumber(
                    number: try PhoneNumber(parsing: row["number"]),
                    organisation: try OrganisationCode(row["organisation_code"]),
                    option: try (row["service_option_code"] as String?).map(ServiceOptionCode.init),
                    label: row["label"],
                    menu: try (row["ivr_menu_json"] as String?).map {
                        try decoder.decode(IVRMenu.self, from: Data($0.utf8))
                    }))
        }
        return try Catalogue(calendar: calendar, organisations: organisations, accessNumbers: numbers)
    }
}

extension CatalogueRows {
    typealias Rows = [String: [String: FieldValue]]

    /// The catalogue as replicated rows: table → key → field → value.
    static func rows(of catalogue: Catalogue) throws -> [String: Rows] {
        let encoder = JSONEncoder.stable
        func json(_ value: some Encodable) throws -> FieldValue {
            .text(String(decoding: try encoder.encode(value), as: UTF8.self))
        }
        var organisations: Rows = [:]
        var options: Rows = [:]
        for organisation in catalogue.organisations {
            organisations[organisation.code.rawValue] = [
                "name": .text(organisation.name), "kind": .text(organisation.kind.rawValue),
                "referral_limit_minutes": .integer(Int64(organisation.referralLimitMinutes)),
                "out_of_scope_categories_json": try json(organisation.outOfScopeCategories), "withdrawn": .integer(0),
            ]
            for option in organisation.options {
                options["\(organisation.code)/\(option.code)"] = [
                    "organisation_code": .text(organisation.code.rawValue), "code": .text(option.code.rawValue),
                    "name": .text(option.name), "description": .text(option.description),
                    "default_action": .text(option.defaultAction.rawValue), "standard": .text(option.standard.rawValue),
                    "information_only": .integer(option.informationOnly ? 1 : 0), "hours_json": try json(option.hours),
                    "questions_json": try json(option.questions), "withdrawn": .integer(0),
                ]
            }
        }
        var numbers: Rows = [:]
        for access in catalogue.accessNumbers {
            numbers[access.number.e164] = [
                "organisation_code": .text(access.organisation.rawValue),
                "service_option_code": access.option.map { .text($0.rawValue) } ?? .null, "label": .text(access.label),
                "ivr_menu_json": try access.menu.map(json) ?? .null,
            ]
        }
        return [
            ReplicatedTables.organisation.table: organisations, ReplicatedTables.serviceOption.table: options,
            ReplicatedTables.accessNumber.table: numbers,
            ReplicatedTables.calendar.table: ["1": ["calendar_json": try json(catalogue.calendar)]],
        ]
    }

    /// The rows of a replicated table as they are here.
    static func current(_ db: Database, _ rules: TableRules) throws -> Rows {
        let columns = [rules.keyColumn] + rules.fields.map(\.name)
        var result: Rows = [:]
        for row in try Row.fetchAll(db, sql: "SELECT \(columns.joined(separator: ", ")) FROM \(rules.table)") {
            let key = FieldValue(row[rules.keyColumn] as DatabaseValue)
            let keyText: String =
                switch key {
                case .text(let text): text
                case .integer(let number): String(number)
                default: ""
                }
            var fields: [String: FieldValue] = [:]
            for field in rules.fields { fields[field.name] = FieldValue(row[field.name] as DatabaseValue) }
            result[keyText] = fields
        }
        return result
    }

    /// The operations that turn `current` into `desired`: new rows whole, changed fields only, and for rows
    /// no longer wanted, a withdrawal (service options keep their calls, 2.3.5) or a deletion.
    static func difference(_ rules: TableRules, current: Rows, desired: Rows) -> [RowOperation] {
        var operations: [RowOperation] = []
        for (key, fields) in desired.sorted(by: { $0.key < $1.key }) {
            guard let existing = current[key] else {
                operations.append(RowOperation(table: rules.table, key: key, action: .upsert(fields: fields, supersedes: [:])))
                continue
            }
            let changed = fields.filter { name, value in
                existing[name] != value && rules.rule(name) != .immutable
            }
            if !changed.isEmpty {
                operations.append(RowOperation(table: rules.table, key: key, action: .upsert(fields: changed, supersedes: [:])))
            }
        }
        for key in current.keys.sorted() where desired[key] == nil {
            if rules.rule("withdrawn") != nil {
                if current[key]?["withdrawn"] != .integer(1) {
                    operations.append(
                        RowOperation(table: rules.table, key: key, action: .upsert(fields: ["withdrawn": .integer(1)], supersedes: [:])))
                }
            } else {
                operations.append(RowOperation(table: rules.table, key: key, action: .remove))
            }
        }
        return operations
    }
}
