import Domain
import Foundation
import GRDB

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
        for row in try Row.fetchAll(db, sql: "SELECT * FROM organisation ORDER BY code") {
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
                    label: row["label"]))
        }
        return try Catalogue(calendar: calendar, organisations: organisations, accessNumbers: numbers)
    }
}
