import Domain
import Foundation

/// A small catalogue and helpers shared by the test targets, so tests do not depend on the sample files.
public enum Fixtures {
    /// The catalogue as JSON, in the same shape as `Topology/participants.toml`.
    public static let json = """
        {
          "catalogueVersion": 1,
          "timeZone": "Europe/London",
          "calendar": {
            "bankHolidays": ["2026-08-31", "2026-12-25", "2026-12-28", "2027-01-01"],
            "christmasPeriodStart": "12-24", "christmasPeriodEnd": "01-01"
          },
          "hours": [
            {"code": "evenings", "name": "Weekday evenings and nights, all weekend (2.1.5)",
             "monday": ["00:00-08:00", "17:00-24:00"], "tuesday": ["00:00-08:00", "17:00-24:00"],
             "wednesday": ["00:00-08:00", "17:00-24:00"], "thursday": ["00:00-08:00", "17:00-24:00"],
             "friday": ["00:00-08:00", "17:00-24:00"], "saturday": ["00:00-24:00"], "sunday": ["00:00-24:00"],
             "bankHolidays": "all-day", "christmasPeriod": "as-weekday"},
            {"code": "noise", "name": "Noise patrol, ends 03:00 (5.4.3)",
             "monday": [], "tuesday": [], "wednesday": [], "thursday": ["19:00-24:00"],
             "friday": ["00:00-03:00", "19:00-24:00"], "saturday": ["00:00-03:00", "19:00-24:00"],
             "sunday": ["00:00-03:00"], "bankHolidays": "closed", "christmasPeriod": "as-weekday"},
            {"code": "xmas", "name": "Weekday evenings, full Christmas",
             "monday": ["17:00-24:00"], "tuesday": ["17:00-24:00"], "wednesday": ["17:00-24:00"],
             "thursday": ["17:00-24:00"], "friday": ["17:00-24:00"],
             "bankHolidays": "as-weekday", "christmasPeriod": "all-day"}
          ],
          "serviceOption": [
            {"code": "dangerous-structures", "name": "Dangerous structures", "description": "Suspected emergencies",
             "defaultAction": "refer",
             "question": [
               {"code": "structure_type", "prompt": "What is damaged?", "datatype": "singlevaluelist",
                "required": true, "values": ["Wall", "Roof"]},
               {"code": "people_at_risk", "prompt": "How many people are at risk?", "datatype": "number",
                "required": true},
               {"code": "started", "prompt": "When did it start?", "datatype": "datetime", "required": false},
               {"code": "hazards", "prompt": "Which hazards?", "datatype": "multivaluelist", "required": false,
                "values": ["Gas", "Water", "Electricity"]},
               {"code": "landmark", "prompt": "Nearest landmark?", "datatype": "string", "required": false},
               {"code": "description", "prompt": "Describe it", "datatype": "text", "required": false}
             ]},
            {"code": "noise-patrol", "name": "Noise patrol", "description": "Noise nuisance", "defaultAction": "refer",
             "question": [{"code": "source", "prompt": "What is the noise?", "datatype": "string", "required": true}]},
            {"code": "general-information", "name": "General information", "description": "Information only",
             "defaultAction": "resolve",
             "question": [{"code": "topic", "prompt": "Topic?", "datatype": "string", "required": true}]}
          ],
          "organisation": [
            {"code": "EAL", "name": "London Borough of Ealing", "kind": "council",
             "option": [
               {"code": "dangerous-structures", "standard": "gold", "hours": "evenings", "informationOnly": false},
               {"code": "noise-patrol", "standard": "silver", "hours": "noise"},
               {"code": "general-information", "standard": "silver", "hours": "evenings", "informationOnly": true}
             ],
             "accessNumber": [
               {"number": "+442079460001", "label": "Main"},
               {"number": "020 7946 0002", "label": "Noise", "option": "noise-patrol"}
             ]},
            {"code": "WAN", "name": "Wandle Housing Association", "kind": "housing-association",
             "referralLimitMinutes": 15, "outOfScopeCategories": ["Tenancy query"],
             "option": [{"code": "noise-patrol", "standard": "bronze", "hours": "xmas"}],
             "accessNumber": [{"number": "+442079460003", "label": "Main"}]}
          ]
        }
        """

    public static func document(_ edit: (inout [String: Any]) -> Void = { _ in }) throws -> CatalogueDocument {
        var object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        edit(&object)
        let data = try JSONSerialization.data(withJSONObject: object)
        return try JSONDecoder().decode(CatalogueDocument.self, from: data)
    }

    public static func catalogue() throws -> Catalogue { try document().makeCatalogue() }

    /// A London wall-clock time, e.g. `london("2026-11-23 17:30")`.
    public static func london(_ text: String) -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB_POSIX")
        formatter.timeZone = TimeZone(identifier: "Europe/London")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        guard let date = formatter.date(from: text) else { fatalError("bad fixture time \(text)") }
        return date
    }

    public static func utc(_ text: String) -> Date {
        guard let date = ISO8601DateFormatter().date(from: text) else { fatalError("bad fixture time \(text)") }
        return date
    }

    public static func draft(
        organisation: String = "EAL", option: String = "dangerous-structures",
        answers: [String: Answer] = ["structure_type": .value("Wall"), "people_at_risk": .value("2")],
        action: CallAction = CallAction(kind: .refer), at: String = "2026-11-23 21:00"
    ) throws -> CallDraft {
        CallDraft(
            organisation: try OrganisationCode(organisation), option: try ServiceOptionCode(option),
            caller: try Caller(name: "Jane Smith", phone: nil), answers: answers, action: action,
            offeredAt: london(at))
    }
}
