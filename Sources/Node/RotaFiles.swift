import Domain
import Foundation
import TOMLKit

// Files a Participating Organisation's back office writes to change its Regularly Variable Data (2.3.3): contacts,
// one rota, one Escalation Procedure. Each file is read and checked whole, every problem named with where it is, so
// a file with any problem changes nothing. The formats are described in Topology/rotas/README.md.

/// A contacts file: `[[contact]]` tables, each with id, name, role and the ways to reach them.
public struct ContactsFile: Sendable {
    public let contacts: [OnCallContact]

    struct Document: Decodable {
        let organisation: String?
        let contact: [Entry]
    }

    struct Entry: Decodable {
        let id: String
        let organisation: String?
        let name: String
        let role: String?
        let phone: String?
        let mobile: String?
        let email: String?
        let pager: String?
        let manager: String?
    }

    public init(path: String) throws {
        let document = try readTOML(Document.self, path: path)
        var problems: [String] = []
        var contacts: [OnCallContact] = []
        for (index, entry) in document.contact.enumerated() {
            let place = "contact \(index + 1) (\(entry.id))"
            do {
                guard let code = entry.organisation ?? document.organisation else {
                    throw DomainError(.invalidValue, "no organisation: give organisation = \"EAL\" at the top or in it")
                }
                contacts.append(try Self.contact(entry, organisation: try OrganisationCode(code)))
            } catch {
                problems.append("\(place): \(describe(error))")
            }
        }
        guard problems.isEmpty else { throw NodeError.invalidFile(path: path, problems: problems) }
        self.contacts = contacts
    }

    static func contact(_ entry: Entry, organisation: OrganisationCode) throws -> OnCallContact {
        let role = entry.role ?? ContactRole.dutyOfficer.rawValue
        guard let parsedRole = ContactRole(rawValue: role) else {
            throw DomainError(
                .invalidValue,
                "role '\(role)' is not one of " + ContactRole.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return try OnCallContact(
            id: try OnCallContactID(entry.id), organisation: organisation, name: entry.name, role: parsedRole,
            phone: try entry.phone.map(PhoneNumber.init(parsing:)),
            mobile: try entry.mobile.map(PhoneNumber.init(parsing:)),
            email: try entry.email.map(EmailAddress.init(parsing:)),
            pager: try entry.pager.map(PhoneNumber.init(parsing:)),
            manager: try entry.manager.map(OnCallContactID.init))
    }
}

/// A rota file: one rota, its stages, each stage's layers and each layer's rotation and restriction windows (7.5).
public struct RotaFile: Sendable {
    public let rota: OnCallRota

    struct Document: Decodable {
        let id: String
        let organisation: String
        let option: String
        let name: String?
        let subCategory: String?
        let ward: String?
        let postcodeDistrict: String?
        let stage: [Stage]
    }

    struct Stage: Decodable {
        let number: Int
        let name: String?
        let layer: [Layer]
    }

    struct Layer: Decodable {
        let name: String?
        let priority: Int?
        let length: String
        let handoff: String
        let start: String
        let end: String?
        let people: [String]?
        let turns: [[String]]?
        let restriction: [Restriction]?
    }

    struct Restriction: Decodable {
        let days: [String]
        let from: String
        let to: String
    }

    public init(path: String) throws {
        let document = try readTOML(Document.self, path: path)
        var problems: [String] = []
        var stages: [RotaStage] = []
        for stage in document.stage {
            let earlier = problems.count
            var layers: [RotaLayer] = []
            for (index, layer) in stage.layer.enumerated() {
                let name = layer.name ?? "layer \(index + 1)"
                do {
                    layers.append(
                        try Self.layer(layer, name: name, priority: layer.priority ?? stage.layer.count - index))
                } catch {
                    problems.append("stage \(stage.number), layer '\(name)': \(describe(error))")
                }
            }
            do {
                stages.append(
                    try RotaStage(number: stage.number, name: stage.name ?? "Stage \(stage.number)", layers: layers))
            } catch {
                // A stage whose layers were all refused is already explained by their problems.
                if problems.count == earlier { problems.append("stage \(stage.number): \(describe(error))") }
            }
        }
        guard problems.isEmpty else { throw NodeError.invalidFile(path: path, problems: problems) }
        do {
            guard document.ward == nil || document.postcodeDistrict == nil else {
                throw DomainError(.invalidValue, "give ward or postcodeDistrict, not both: a rota covers one area")
            }
            let area =
                try document.ward.map { try RotaArea.ward($0) }
                ?? document.postcodeDistrict.map { try RotaArea.postcodeDistrict($0) }
            rota = try OnCallRota(
                id: try RotaID(document.id), organisation: try OrganisationCode(document.organisation),
                option: try ServiceOptionCode(document.option), subCategory: document.subCategory, area: area,
                name: document.name ?? document.id, stages: stages)
        } catch {
            throw NodeError.invalidFile(path: path, problems: [describe(error)])
        }
    }

    static func layer(_ layer: Layer, name: String, priority: Int) throws -> RotaLayer {
        let turns: [[OnCallContactID]]
        switch (layer.people, layer.turns) {
        case (let people?, nil): turns = try people.map { [try OnCallContactID($0)] }
        case (nil, let groups?): turns = try groups.map { try $0.map(OnCallContactID.init) }
        default:
            throw DomainError(
                .invalidValue, "give either people = [...] (one a turn) or turns = [[...], ...] (several a turn)")
        }
        let rotation = try Rotation(
            length: try RotationLength(parsing: layer.length), handoff: try LocalTimeOfDay(parsing: layer.handoff),
            startDate: try LocalDate(parsing: layer.start), turns: turns)
        return try RotaLayer(
            name: name, priority: priority, rotation: rotation,
            restrictions: try (layer.restriction ?? []).map { window in
                try RestrictionWindow(
                    days: try weekdays(window.days), from: try LocalTimeOfDay(parsing: window.from),
                    to: try LocalTimeOfDay(parsing: window.to))
            }, endDate: try layer.end.map(LocalDate.init(parsing:)))
    }

    /// Day names, or `weekdays`, `weekend` and `every-day`.
    static func weekdays(_ names: [String]) throws -> Set<Weekday> {
        var days = Set<Weekday>()
        for name in names {
            switch name.lowercased() {
            case "weekdays": days.formUnion(RestrictionWindow.weekdays)
            case "weekend": days.formUnion(RestrictionWindow.weekend)
            case "every-day": days.formUnion(Weekday.allCases)
            default:
                guard let day = Weekday(rawValue: name.lowercased()) else {
                    throw DomainError(
                        .invalidValue,
                        "'\(name)' is not a day: use monday … sunday, weekdays, weekend or every-day")
                }
                days.insert(day)
            }
        }
        return days
    }
}

/// An Escalation Procedure file: the organisation and option, `[[step]]` tables and a `[whenExhausted]` table
/// (5.3.2, 8.9).
public struct ProcedureFile: Sendable {
    public let procedure: EscalationProcedure

    struct Document: Decodable {
        let organisation: String
        let option: String
        let step: [Step]
        let whenExhausted: Fallback?
    }

    struct Step: Decodable {
        let target: String
        let channels: [String]
        let acknowledgementWaitMinutes: Int?
        /// For a wait of less than a minute (a drill, a test): give this or `acknowledgementWaitMinutes`, not both.
        let acknowledgementWaitSeconds: Int?
    }

    struct Fallback: Decodable {
        let emergencyContacts: [String]?
        let alertSupervisor: Bool?
        let instructions: String?
    }

    public init(path: String) throws {
        let document = try readTOML(Document.self, path: path)
        var problems: [String] = []
        var steps: [EscalationStep] = []
        for (index, step) in document.step.enumerated() {
            do {
                let channels = try step.channels.map { name in
                    guard let kind = ChannelKind(rawValue: name.lowercased()) else {
                        throw DomainError(.invalidValue, "channel '\(name)' is not one of phone, sms, email, pager")
                    }
                    return kind
                }
                let waitMs: Int
                switch (step.acknowledgementWaitMinutes, step.acknowledgementWaitSeconds) {
                case (let minutes?, nil):
                    guard (0...Int.max / 60_000).contains(minutes) else {
                        throw DomainError(.invalidValue, "acknowledgementWaitMinutes must be 0 or more")
                    }
                    waitMs = minutes * 60_000
                case (nil, let seconds?):
                    guard (0...Int.max / 1_000).contains(seconds) else {
                        throw DomainError(.invalidValue, "acknowledgementWaitSeconds must be 0 or more")
                    }
                    waitMs = seconds * 1_000
                case (nil, nil):
                    throw DomainError(
                        .invalidValue, "give the step's wait: acknowledgementWaitMinutes = 5 (or acknowledgementWaitSeconds)")
                case (_?, _?):
                    throw DomainError(
                        .invalidValue,
                        "give acknowledgementWaitMinutes or acknowledgementWaitSeconds, not both: remove one")
                }
                steps.append(
                    try EscalationStep(
                        try EscalationTarget(parsing: step.target), channels: channels, acknowledgementWaitMs: waitMs))
            } catch {
                problems.append("step \(index + 1): \(describe(error))")
            }
        }
        guard problems.isEmpty else { throw NodeError.invalidFile(path: path, problems: problems) }
        do {
            let fallback = document.whenExhausted
            procedure = try EscalationProcedure(
                organisation: try OrganisationCode(document.organisation),
                option: try ServiceOptionCode(document.option),
                steps: steps,
                whenExhausted: EscalationFallback(
                    emergencyContacts: try (fallback?.emergencyContacts ?? []).map(OnCallContactID.init),
                    alertSupervisor: fallback?.alertSupervisor ?? true, instructions: fallback?.instructions ?? ""))
        } catch {
            throw NodeError.invalidFile(path: path, problems: [describe(error)])
        }
    }
}

/// Reads and decodes a TOML file, turning every failure into a `NodeError` that names the file.
func readTOML<T: Decodable>(_ type: T.Type, path: String) throws -> T {
    let text: String
    do {
        text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
        throw NodeError.unreadable(path: path, reason: "it cannot be read (\(error.localizedDescription))")
    }
    do {
        return try TOMLDecoder().decode(T.self, from: text)
    } catch let error as TOMLParseError {
        throw NodeError.invalidFile(
            path: path,
            problems: ["line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)"])
    } catch let error as DecodingError {
        throw NodeError.invalidFile(path: path, problems: [CatalogueFile.explain(error)])
    }
}

/// A domain error's own message; anything else as Swift describes it.
func describe(_ error: any Error) -> String {
    switch error {
    case let error as DomainError: error.message
    case let errors as DomainErrors: errors.errors.map(\.message).joined(separator: "; ")
    default: "\(error)"
    }
}
