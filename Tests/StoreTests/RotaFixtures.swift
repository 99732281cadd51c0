import Domain
import Foundation
import NightdeskTestSupport

@testable import Store

/// Ealing's contacts and a dangerous-structures rota, as a PO's back office would set them up.
enum RotaFixtures {
    static let ealing = try! OrganisationCode("EAL")
    static let wandle = try! OrganisationCode("WAN")
    static let structures = try! ServiceOptionCode("dangerous-structures")
    static let noise = try! ServiceOptionCode("noise-patrol")
    static let setUpAt = Fixtures.london("2026-11-02 10:00")

    static func id(_ text: String) -> OnCallContactID { try! OnCallContactID(text) }

    /// A contact with a landline, a mobile and an email, numbered from `number` in the drama ranges.
    static func contact(
        _ slug: String, _ name: String, number: Int, organisation: OrganisationCode = ealing,
        role: ContactRole = .dutyOfficer, manager: String? = nil
    ) -> OnCallContact {
        try! OnCallContact(
            id: id(slug), organisation: organisation, name: name, role: role,
            phone: try! PhoneNumber(parsing: String(format: "020 7946 0%03d", number)),
            mobile: try! PhoneNumber(parsing: String(format: "07700 900%03d", number)),
            email: try! EmailAddress(parsing: "\(slug)@example.org"), manager: manager.map(id))
    }

    static let mo = contact("eal-mo", "Mo Manager", number: 800, role: .manager)
    static let ann = contact("eal-ann", "Ann Archer", number: 801, manager: "eal-mo")
    static let ben = contact("eal-ben", "Ben Baker", number: 802, manager: "eal-mo")
    static let cat = contact("eal-cat", "Cat Cole", number: 803, manager: "eal-mo")
    static let dan = contact("eal-dan", "Dan Dyer", number: 804, manager: "eal-mo")
    static let wandleOfficer = contact("wan-wes", "Wes Wandle", number: 850, organisation: wandle)

    static func layer(_ people: [String], name: String = "weekly", handoff: String = "09:00") -> RotaLayer {
        try! RotaLayer(
            name: name, priority: 1,
            rotation: try! Rotation(
                length: .weekly, handoff: try! LocalTimeOfDay(parsing: handoff),
                startDate: try! LocalDate(parsing: "2026-01-05"), participants: people.map(id)))
    }

    /// Stage 1 Ann and Ben week about, handing over on Mondays at 09:00 (Ben the week of 16 November 2026, Ann the
    /// week of 23 November), stage 2 Cat.
    static func structuresRota(stage1: [String] = ["eal-ann", "eal-ben"], id rotaID: String = "eal-structures")
        -> OnCallRota
    {
        try! OnCallRota(
            id: try! RotaID(rotaID), organisation: ealing, option: structures, name: "Dangerous structures",
            stages: [
                try! RotaStage(number: 1, name: "Duty officer", layers: [layer(stage1)]),
                try! RotaStage(number: 2, name: "Senior officer", layers: [layer(["eal-cat"])]),
            ])
    }

    static func procedure() -> EscalationProcedure {
        try! EscalationProcedure(
            organisation: ealing, option: structures,
            steps: [
                try! EscalationStep(.stage(1), channels: [.phone, .sms], acknowledgementWaitMs: 300_000),
                try! EscalationStep(.stage(2), channels: [.phone], acknowledgementWaitMs: 300_000),
            ],
            whenExhausted: EscalationFallback(emergencyContacts: [id("eal-mo")], instructions: "Call Mo"))
    }

    /// Contacts, the rota and the procedure, each its own change set.
    static func setUp(_ test: TestDatabase, procedure withProcedure: Bool = true) throws {
        try test.database.saveContacts([mo, ann, ben, cat, dan], at: setUpAt)
        try test.database.saveContacts([wandleOfficer], at: setUpAt)
        try test.database.setRota(structuresRota(), at: setUpAt)
        if withProcedure { try test.database.setProcedure(procedure(), at: setUpAt) }
    }
}

extension TestDatabase {
    /// Ids on call at one stage of Ealing's dangerous-structures rota, or `[]` on a gap.
    func onCallIDs(stage: Int = 1, at instant: Date) throws -> [String] {
        let answer = try database.onCall(
            OnCallQuery(organisation: RotaFixtures.ealing, option: RotaFixtures.structures), at: instant)
        return answer.list?.stage(stage)?.people.map(\.contact.id.rawValue) ?? []
    }
}
