import Domain
import Foundation
import Node
import Testing

/// Contact, rota and procedure files a PO's back office writes (2.3.3, 7.5, 5.3.2).
@Suite struct RotaFilesTests {
    static let samples = Repository.root.appendingPathComponent("Topology/rotas")

    func sample(_ name: String) -> String { Self.samples.appendingPathComponent(name).path }

    @Test func theSampleFilesReadAndUseOnlyDramaNumbersAndExampleAddresses() throws {
        let contacts =
            try ContactsFile(path: sample("eal-contacts.toml")).contacts
            + ContactsFile(path: sample("enf-contacts.toml")).contacts
        #expect(contacts.count >= 10)
        for contact in contacts {
            for number in [contact.phone, contact.mobile, contact.pager].compactMap({ $0?.e164 }) {
                // Ofcom's drama ranges: 020 7946 0xxx and 07700 900xxx.
                #expect(number.hasPrefix("+442079460") || number.hasPrefix("+447700900"), "\(contact.id) \(number)")
            }
            #expect(contact.email.map { $0.rawValue.hasSuffix("@example.org") } ?? true, "\(contact.id)")
        }
        let rota = try RotaFile(path: sample("eal-dangerous-structures.toml")).rota
        #expect(rota.id.rawValue == "eal-dangerous-structures")
        #expect(rota.stages.map(\.number) == [1, 2, 3])
        #expect(rota.stages[0].layers.map(\.name) == ["weekend", "weekly"])
        #expect(rota.stages[0].layers[0].restrictions.first?.days == RestrictionWindow.weekend)
        let heating = try RotaFile(path: sample("enf-housing-repairs-heating.toml")).rota
        #expect(heating.subCategory == "heating")
        #expect(try RotaFile(path: sample("enf-housing-repairs.toml")).rota.specificity == 0)
        let procedure = try ProcedureFile(path: sample("eal-dangerous-structures-procedure.toml")).procedure
        #expect(procedure.steps.map(\.target) == [.stage(1), .stage(2), .managersOf(stage: 1)])
        #expect(procedure.steps[0].acknowledgementWaitMs == 300_000)
        #expect(procedure.whenExhausted.emergencyContacts.map(\.rawValue) == ["eal-emergency-planning"])
        _ = try ProcedureFile(path: sample("enf-housing-repairs-procedure.toml"))
    }

    @Test func aRotaFileWithProblemsNamesEveryOneWithWhereItIs() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write(
            "bad.toml",
            """
            id = "eal-bad"
            organisation = "EAL"
            option = "dangerous-structures"

            [[stage]]
            number = 1
              [[stage.layer]]
              name = "nights"
              length = "fortnightly"
              handoff = "09:00"
              start = "2026-01-05"
              people = ["eal-a"]
              [[stage.layer]]
              name = "days"
              length = "weekly"
              handoff = "25:00"
              start = "2026-01-05"
              people = ["eal-b"]
                [[stage.layer.restriction]]
                days = ["someday"]
                from = "08:00"
                to = "17:00"
            """)
        let error = #expect(throws: NodeError.self) { try RotaFile(path: path) }
        guard case .invalidFile(_, let problems) = error else {
            Issue.record("not an invalid-file error: \(String(describing: error))")
            return
        }
        #expect(problems.count == 2, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("stage 1, layer 'nights'") && $0.contains("fortnightly") })
        #expect(problems.contains { $0.hasPrefix("stage 1, layer 'days'") })
        let both = try folder.write(
            "area.toml",
            """
            id = "eal-x"
            organisation = "EAL"
            option = "dangerous-structures"
            ward = "Walpole"
            postcodeDistrict = "W5"
            [[stage]]
            number = 1
              [[stage.layer]]
              length = "weekly"
              handoff = "09:00"
              start = "2026-01-05"
              people = ["eal-a"]
            """)
        #expect(throws: NodeError.self) { try RotaFile(path: both) }
        #expect(throws: NodeError.self) { try RotaFile(path: folder.path("missing.toml")) }
    }

    @Test func contactAndProcedureFilesWithProblemsAreRefusedWhole() throws {
        let folder = try TemporaryFolder()
        let contacts = try folder.write(
            "contacts.toml",
            """
            organisation = "EAL"
            [[contact]]
            id = "eal-ok"
            name = "Fine Person"
            phone = "020 7946 0800"
            [[contact]]
            id = "eal-landline-sms"
            name = "Wrong Mobile"
            mobile = "020 7946 0801"
            [[contact]]
            id = "eal-unreachable"
            name = "No Way To Reach"
            role = "boss"
            """)
        let error = #expect(throws: NodeError.self) { try ContactsFile(path: contacts) }
        #expect(error?.description.contains("contact 2 (eal-landline-sms)") == true, "\(String(describing: error))")
        #expect(error?.description.contains("contact 3 (eal-unreachable): role 'boss'") == true)
        let procedure = try folder.write(
            "procedure.toml",
            """
            organisation = "EAL"
            option = "dangerous-structures"
            [[step]]
            target = "stage 9"
            channels = ["phone"]
            acknowledgementWaitMinutes = 5
            [[step]]
            target = "stage 1"
            channels = ["carrier pigeon"]
            acknowledgementWaitMinutes = 5
            """)
        let refused = #expect(throws: NodeError.self) { try ProcedureFile(path: procedure) }
        #expect(refused?.description.contains("step 1") == true && refused?.description.contains("step 2") == true)
    }
}
