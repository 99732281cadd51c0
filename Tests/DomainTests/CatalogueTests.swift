import Domain
import NightdeskTestSupport
import Foundation
import Testing

@Suite struct CatalogueTests {
    func problems(_ edit: @escaping (inout [String: Any]) -> Void) throws -> [String] {
        do {
            _ = try Fixtures.document(edit).makeCatalogue()
            return []
        } catch let errors as DomainErrors {
            return errors.errors.map(\.message)
        }
    }

    @Test func theFixtureCatalogueIsValid() throws {
        let catalogue = try Fixtures.catalogue()
        #expect(catalogue.organisations.map(\.code.rawValue) == ["EAL", "WAN"])
        #expect(catalogue.organisation(try OrganisationCode("EAL"))!.referralLimitMinutes == 10)  // 6.4b default
        #expect(catalogue.organisation(try OrganisationCode("WAN"))!.referralLimitMinutes == 15)
        let noise = catalogue.accessNumber(try PhoneNumber(parsing: "02079460002"))
        #expect(noise?.option?.rawValue == "noise-patrol")
        #expect(catalogue.organisation(try OrganisationCode("EAL"))!.outOfScopeCategories
            == CatalogueDocument.defaultOutOfScopeCategories)
    }

    @Test func unknownHoursAndOptionCodesAreReportedWithTheirPlace() throws {
        let found = try problems { object in
            var organisations = object["organisation"] as! [[String: Any]]
            var options = organisations[0]["option"] as! [[String: Any]]
            options[0]["hours"] = "nights"
            options.append(["code": "jetpacks", "standard": "gold", "hours": "evenings"])
            organisations[0]["option"] = options
            object["organisation"] = organisations
        }
        #expect(found.count == 2, "\(found)")
        #expect(found.contains { $0.contains("EAL option dangerous-structures") && $0.contains("'nights'") })
        #expect(found.contains { $0.contains("EAL option jetpacks") && $0.contains("no [[serviceOption]]") })
    }

    @Test func duplicateOrganisationsAndNumbersAreRefused() throws {
        let found = try problems { object in
            var organisations = object["organisation"] as! [[String: Any]]
            var copy = organisations[1]
            copy["accessNumber"] = [["number": "+442079460001", "label": "Clash"]]
            organisations.append(copy)
            object["organisation"] = organisations
        }
        #expect(found.contains { $0.contains("WAN is listed twice") })
        #expect(found.contains { $0.contains("+442079460001 is listed twice") })
    }

    @Test func anAccessNumberForAnOptionThePODoesNotOperateIsRefused() throws {
        let found = try problems { object in
            var organisations = object["organisation"] as! [[String: Any]]
            organisations[1]["accessNumber"] = [["number": "+442079460009", "label": "x", "option": "dangerous-structures"]]
            object["organisation"] = organisations
        }
        #expect(found.count == 1 && found[0].contains("WAN does not operate"))
    }

    @Test func badValuesAreReportedAll() throws {
        let found = try problems { object in
            object["timeZone"] = "Europe/Londres"
            var hours = object["hours"] as! [[String: Any]]
            hours[0]["monday"] = ["25:00-26:00"]
            hours[1]["bankHolidays"] = "sometimes"
            object["hours"] = hours
            var options = object["serviceOption"] as! [[String: Any]]
            var questions = options[0]["question"] as! [[String: Any]]
            questions[0]["datatype"] = "colour"
            questions[1]["values"] = ["1", "2"]
            options[0]["question"] = questions
            options[1]["defaultAction"] = "panic"
            object["serviceOption"] = options
            var organisations = object["organisation"] as! [[String: Any]]
            var chosen = organisations[0]["option"] as! [[String: Any]]
            chosen[0]["standard"] = "diamond"
            organisations[0]["option"] = chosen
            organisations[1]["kind"] = "charity"
            object["organisation"] = organisations
        }
        #expect(found.count == 8, "\(found)")
        for fragment in ["Europe/Londres", "25:00-26:00", "sometimes", "colour", "only list questions take values", "panic", "diamond", "charity"] {
            #expect(found.contains { $0.contains(fragment) }, "no message mentions \(fragment): \(found)")
        }
    }
}

@Suite struct CatalogueEncodingTests {
    @Test func equalCataloguesEncodeToEqualBytes() throws {
        // Stored JSON is compared and hashed across sites (DESIGN.md), so set and dictionary order must not leak.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var encodings = Set<Data>()
        for _ in 0..<20 {
            let catalogue = try Fixtures.catalogue()
            encodings.insert(try encoder.encode(catalogue))
        }
        #expect(encodings.count == 1)
        let decoded = try JSONDecoder().decode(Catalogue.self, from: encodings.first!)
        #expect(decoded == (try Fixtures.catalogue()))
    }
}
