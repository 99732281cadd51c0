import Domain
import Foundation
import NightdeskTestSupport

/// Short builders for rota tests, so each test reads as the rota a PO would write.
enum Rotas {
    static let calendar = try! Fixtures.catalogue().calendar
    static let ealing = try! OrganisationCode("EAL")
    static let wandle = try! OrganisationCode("WAN")
    static let structures = try! ServiceOptionCode("dangerous-structures")
    static let noise = try! ServiceOptionCode("noise-patrol")
    static let repairs = try! ServiceOptionCode("housing-repairs")

    static func id(_ text: String) -> OnCallContactID { try! OnCallContactID(text) }
    static func date(_ text: String) -> LocalDate { try! LocalDate(parsing: text) }
    static func time(_ text: String) -> LocalTimeOfDay { try! LocalTimeOfDay(parsing: text) }
    static func london(_ text: String) -> Date { Fixtures.london(text) }
    static func utc(_ text: String) -> Date { Fixtures.utc(text) }

    /// A contact whose phone and mobile are derived from the id, so each is distinct.
    static func contact(
        _ name: String, organisation: OrganisationCode = ealing, role: ContactRole = .dutyOfficer,
        email: Bool = true, pager: Bool = false, manager: String? = nil
    ) -> OnCallContact {
        let stable = name.unicodeScalars.reduce(7) { ($0 * 31 + Int($1.value)) % 1_000_000 }
        let digits = String(format: "%06d", stable)
        let slug = name.lowercased().replacingOccurrences(of: " ", with: "-")
        return try! OnCallContact(
            id: id(slug), organisation: organisation, name: name, role: role,
            phone: try! PhoneNumber(parsing: "020 7946 " + digits.suffix(4)),
            mobile: try! PhoneNumber(parsing: "07700 9" + digits.suffix(5)),
            email: email ? try! EmailAddress(parsing: "\(slug)@ealing.gov.uk") : nil,
            pager: pager ? try! PhoneNumber(parsing: "07654 3" + digits.suffix(5)) : nil,
            manager: manager.map(id))
    }

    static func layer(
        _ name: String = "main", priority: Int = 1, length: RotationLength = .weekly, handoff: String = "09:00",
        start: String = "2026-01-05", people: [String], restrictions: [RestrictionWindow] = [], end: String? = nil
    ) -> RotaLayer {
        try! RotaLayer(
            name: name, priority: priority,
            rotation: try! Rotation(
                length: length, handoff: time(handoff), startDate: date(start), participants: people.map(id)),
            restrictions: restrictions, endDate: end.map(date))
    }

    static func stage(_ number: Int, _ layers: [RotaLayer], name: String? = nil) -> RotaStage {
        try! RotaStage(number: number, name: name ?? "Stage \(number)", layers: layers)
    }

    static func rota(
        _ rotaID: String, organisation: OrganisationCode = ealing, option: ServiceOptionCode = structures,
        subCategory: String? = nil, area: RotaArea? = nil, stages: [RotaStage], overrides: [RotaOverride] = []
    ) -> OnCallRota {
        try! OnCallRota(
            id: try! RotaID(rotaID), organisation: organisation, option: option, subCategory: subCategory, area: area,
            name: rotaID, stages: stages, overrides: overrides)
    }

    static func override(
        _ overrideID: String, stage: Int = 1, from: Date, to: Date, people: [String], replacing: String? = nil,
        createdAt: Date
    ) -> RotaOverride {
        try! RotaOverride(
            id: try! RotaOverrideID(overrideID), stage: stage, startsAt: from, endsAt: to, contacts: people.map(id),
            replacing: replacing.map(id), createdAt: createdAt)
    }

    static let people = [
        "Ann Archer", "Ben Baker", "Cat Cole", "Dan Dyer", "Eve Ellis", "Fay Ford", "Gus Gray", "Mo Manager",
    ].map { contact($0, role: $0 == "Mo Manager" ? .manager : .dutyOfficer) }

    static func directory(_ rotas: [OnCallRota], contacts: [OnCallContact] = people) throws -> OnCallDirectory {
        try OnCallDirectory(calendar: calendar, contacts: contacts, rotas: rotas)
    }
}

extension OnCallDirectory {
    /// The ids on call at one stage, or `[]` on a gap.
    func ids(
        _ option: ServiceOptionCode = Rotas.structures, stage: Int = 1, subCategory: String? = nil,
        area: RotaArea? = nil, at instant: Date
    ) -> [String] {
        onCall(organisation: Rotas.ealing, option: option, subCategory: subCategory, area: area, at: instant)
            .list?.stage(stage)?.people.map(\.contact.id.rawValue) ?? []
    }
}
