import Domain
import Foundation
import Node
import Testing

@Suite struct RealCatalogueTests {
    let file: CatalogueFile

    init() throws {
        file = try CatalogueFile(path: Repository.cataloguePath)
    }

    @Test func loadsTheElevenParticipatingOrganisations() {
        #expect(
            file.catalogue.organisations.map(\.code.rawValue)
                == ["BAR", "EAL", "ENF", "HAV", "HFH", "HGY", "PEA", "RBK", "TWH", "WAN", "WFO"])
    }

    @Test func everyAccessNumberIsInOfcomsDramaRange() {
        // Ofcom keeps 020 7946 0000 to 020 7946 0999 for drama: such numbers reach no one.
        #expect(!file.catalogue.accessNumbers.isEmpty)
        for access in file.catalogue.accessNumbers {
            let e164 = access.number.e164
            #expect(e164.count == 13 && e164.hasPrefix("+442079460"), "\(access.organisation) \(e164)")
        }
    }

    @Test func everyOrganisationHasAGeneralNumber() {
        for organisation in file.catalogue.organisations {
            let general = file.catalogue.accessNumbers.filter {
                $0.organisation == organisation.code && $0.option == nil
            }
            #expect(general.count >= 1, "\(organisation.code) has no general access number")
        }
    }

    @Test func everyDedicatedNumberLeadsToAnOptionItsOrganisationOperates() throws {
        for access in file.catalogue.accessNumbers {
            guard let option = access.option else { continue }
            let organisation = try #require(file.catalogue.organisation(access.organisation))
            #expect(organisation.option(option) != nil, "\(access.number) → \(access.organisation) \(option)")
        }
    }

    @Test func everyReferencedGazetteerExistsAndParses() throws {
        let codes = Set(file.catalogue.organisations.map(\.code))
        #expect(Set(file.gazetteerPaths.keys) == codes, "every organisation names a gazetteer")
        for (organisation, path) in file.gazetteerPaths {
            #expect(FileManager.default.fileExists(atPath: path), "\(organisation): \(path)")
        }
        let gazetteers = try file.loadGazetteers()
        #expect(Set(gazetteers.keys) == codes)
        for (organisation, addresses) in gazetteers {
            #expect(addresses.count > 100, "\(organisation) has only \(addresses.count) addresses")
        }
    }
}

@Suite struct BrokenCatalogueTests {
    /// A small valid catalogue; each test breaks one thing in it.
    static let valid = """
        catalogueVersion = 1
        timeZone = "Europe/London"

        [calendar]
        bankHolidays = ["2026-12-25"]
        christmasPeriodStart = "12-24"
        christmasPeriodEnd = "01-01"

        [[hours]]
        code = "nights"
        name = "Nights"
        monday = ["00:00-08:00", "17:00-24:00"]
        saturday = ["00:00-24:00"]
        bankHolidays = "all-day"
        christmasPeriod = "as-weekday"

        [[serviceOption]]
        code = "noise-patrol"
        name = "Noise patrol"
        description = "Noise nuisance."
        defaultAction = "refer"
          [[serviceOption.question]]
          code = "noise_source"
          prompt = "What is causing the noise?"
          datatype = "singlevaluelist"
          required = true
          values = ["Music", "Other"]

        [[serviceOption]]
        code = "trees"
        name = "Trees"
        description = "Fallen trees."
        defaultAction = "refer"

        [[organisation]]
        code = "TST"
        name = "Test Borough"
        kind = "council"
          [[organisation.option]]
          code = "noise-patrol"
          standard = "silver"
          hours = "nights"
          [[organisation.option]]
          code = "trees"
          standard = "gold"
          hours = "nights"
          [[organisation.accessNumber]]
          number = "+442079460900"
          label = "Main line"
          [[organisation.accessNumber]]
          number = "+442079460901"
          label = "Noise line"
          option = "noise-patrol"

        """

    /// The problems reported for `text` written as a catalogue file, or an empty list when it loads.
    func problems(_ text: String) throws -> [String] {
        let folder = try TemporaryFolder()
        let path = try folder.write("participants.toml", text)
        do {
            _ = try CatalogueFile(path: path)
            return []
        } catch NodeError.invalidFile(let reported, let problems) {
            #expect(reported == path, "the message names the file")
            return problems
        }
    }

    /// `valid` with the one place `old` appears replaced by `new`.
    func broken(_ old: String, _ new: String) -> String {
        let parts = Self.valid.components(separatedBy: old)
        precondition(parts.count == 2, "'\(old)' must appear exactly once in the test catalogue")
        return parts.joined(separator: new)
    }

    @Test func theTestCatalogueItselfLoads() throws {
        #expect(try problems(Self.valid) == [])
        let folder = try TemporaryFolder()
        let file = try CatalogueFile(path: try folder.write("participants.toml", Self.valid))
        #expect(file.catalogue.organisations.map(\.code.rawValue) == ["TST"])
        #expect(file.catalogue.accessNumbers.count == 2)
        #expect(file.gazetteerPaths.isEmpty)
    }

    @Test func unknownHoursCodeIsReportedWithTheOrganisationAndOption() throws {
        let found = try problems(broken(#"code = "trees"\#n  standard = "gold"\#n  hours = "nights""#,
            #"code = "trees"\#n  standard = "gold"\#n  hours = "daytime""#))
        #expect(found == ["[[organisation]] TST option trees: no [[hours]] has the code 'daytime'"])
    }

    @Test func unknownOptionCodeIsReportedWithTheOrganisation() throws {
        let found = try problems(broken(#"code = "trees"\#n  standard"#, #"code = "jetpacks"\#n  standard"#))
        #expect(found == ["[[organisation]] TST option jetpacks: no [[serviceOption]] has this code"])
    }

    @Test func badStandardIsReportedWithTheValueAndTheChoices() throws {
        let found = try problems(broken(#"standard = "gold""#, #"standard = "diamond""#))
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("[[organisation]] TST option trees: standard 'diamond'") == true, "\(found)")
        #expect(found.first?.contains("platinum, gold, silver or bronze") == true, "\(found)")
    }

    @Test func duplicateOrganisationIsReported() throws {
        let second = """

            [[organisation]]
            code = "TST"
            name = "Test Borough again"
            kind = "council"
              [[organisation.accessNumber]]
              number = "+442079460902"
              label = "Other line"
            """
        let found = try problems(Self.valid + second)
        #expect(found == ["organisation TST is listed twice"])
    }

    @Test func accessNumberNamingAnOptionThePODoesNotOperateIsReported() throws {
        let found = try problems(broken(#"option = "noise-patrol""#, #"option = "trees-and-hedges""#))
        #expect(found == ["access number +442079460901 names option trees-and-hedges, which TST does not operate"])
    }

    @Test func openingWindowOutsideTheDayIsReportedWithTheHoursProfile() throws {
        let found = try problems(broken(#"saturday = ["00:00-24:00"]"#, #"saturday = ["25:00-26:00"]"#))
        #expect(found.count >= 1)
        #expect(found.first?.hasPrefix("[[hours]] nights: '25:00-26:00' is not an opening window") == true, "\(found)")
        // The options that use the broken profile are reported too, so the first problem is the cause.
        #expect(found.allSatisfy { $0.contains("nights") }, "\(found)")
    }

    @Test func tomlSyntaxErrorIsReportedWithItsLineNumber() throws {
        // Line 11 of the test catalogue is the hours profile's name; its string is left open.
        let found = try problems(broken(#"name = "Nights""#, #"name = "Nights"#))
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("line 11,") == true, "\(found)")
    }

    @Test func missingKeyIsReportedWithWhereItIsMissing() throws {
        let found = try problems(broken("kind = \"council\"\n", ""))
        #expect(found.count == 1)
        #expect(found.first?.contains("organisation") == true, "\(found)")
        #expect(found.first?.contains("'kind' is missing") == true, "\(found)")
    }

    @Test func everyProblemInTheDocumentIsReportedAtOnce() throws {
        let text = broken(#"standard = "gold""#, #"standard = "diamond""#)
            .replacingOccurrences(
                of: #"standard = "silver"\#n  hours = "nights""#, with: #"standard = "silver"\#n  hours = "days""#)
            .replacingOccurrences(of: #"christmasPeriodEnd = "01-01""#, with: #"christmasPeriodEnd = "13-01""#)
        let found = try problems(text)
        #expect(found.count == 3, "\(found)")
        #expect(found.contains { $0.hasPrefix("[calendar]") && $0.contains("'13-01'") }, "\(found)")
        #expect(found.contains { $0.contains("option trees: standard 'diamond'") }, "\(found)")
        #expect(found.contains { $0.contains("option noise-patrol: no [[hours]] has the code 'days'") }, "\(found)")
    }

    @Test func unreadableCatalogueIsReportedAsSuch() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("missing.toml")
        #expect {
            _ = try CatalogueFile(path: path)
        } throws: { error in
            guard case NodeError.unreadable(let reported, _) = error else { return false }
            return reported == path
        }
    }

    @Test func gazetteerPathsAreResolvedAgainstTheCatalogueFolder() throws {
        let folder = try TemporaryFolder()
        let text = broken("kind = \"council\"\n", "kind = \"council\"\ngazetteer = \"gazetteers/TST.csv\"\n")
        let file = try CatalogueFile(path: try folder.write("topology/participants.toml", text))
        let expected = folder.url.appendingPathComponent("topology/gazetteers/TST.csv").standardizedFileURL.path
        #expect(file.gazetteerPaths[try OrganisationCode("TST")] == expected)
    }

    @Test func absoluteGazetteerPathIsUsedAsGiven() throws {
        let folder = try TemporaryFolder()
        let gazetteer = folder.path("shared/TST.csv")
        let text = broken("kind = \"council\"\n", "kind = \"council\"\ngazetteer = \"\(gazetteer)\"\n")
        let file = try CatalogueFile(path: try folder.write("topology/participants.toml", text))
        #expect(file.gazetteerPaths[try OrganisationCode("TST")] == gazetteer)
    }

    @Test func missingGazetteerFailsTheLoadNamingTheFile() throws {
        let folder = try TemporaryFolder()
        let text = broken("kind = \"council\"\n", "kind = \"council\"\ngazetteer = \"gazetteers/TST.csv\"\n")
        let file = try CatalogueFile(path: try folder.write("participants.toml", text))
        #expect {
            _ = try file.loadGazetteers()
        } throws: { error in
            guard case NodeError.unreadable(let path, _) = error else { return false }
            return path.hasSuffix("gazetteers/TST.csv")
        }
    }
}
