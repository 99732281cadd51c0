import Domain
import Foundation
import Node
import Testing

/// IVR menus in the catalogue file (7.1.3, 7.1.4): the format, its checks, and the sample catalogue's menus.
@Suite struct CatalogueMenuTests {
    /// The broken-catalogue suite's valid file with one more number, which has a menu.
    static let menu = """
          [[organisation.accessNumber]]
          number = "+442079460902"
          label = "Menu line"
            [organisation.accessNumber.menu]
            prompt = "For noise press 1, for trees press 2."
            default = "trees"
            waitSeconds = 6
            plays = 2
              [[organisation.accessNumber.menu.choice]]
              key = "1"
              option = "noise-patrol"
              label = "noise"
              [[organisation.accessNumber.menu.choice]]
              key = "2"
              option = "trees"
              label = "trees"

        """

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

    /// The valid catalogue and menu with the one place `old` appears replaced by `new`.
    func broken(_ old: String, _ new: String) -> String {
        let text = BrokenCatalogueTests.valid + Self.menu
        let parts = text.components(separatedBy: old)
        precondition(parts.count == 2, "'\(old)' must appear exactly once in the test catalogue")
        return parts.joined(separator: new)
    }

    @Test func aMenuIsReadWithItsKeysWaitPlaysAndDefault() throws {
        let folder = try TemporaryFolder()
        let file = try CatalogueFile(
            path: try folder.write("participants.toml", BrokenCatalogueTests.valid + Self.menu))
        let resolved = try file.catalogue.resolve(try PhoneNumber(parsing: "+442079460902"))
        guard case .menu(let menu) = resolved.route else {
            Issue.record("no menu: \(resolved.route)")
            return
        }
        #expect(menu.choices.map { "\($0.key)=\($0.option)" } == ["1=noise-patrol", "2=trees"])
        #expect(menu.defaultOption.rawValue == "trees" && menu.waitSeconds == 6 && menu.playsMax == 2)
    }

    @Test func aDuplicateKeyIsReportedWithTheNumber() throws {
        let found = try problems(broken(#"key = "2""#, #"key = "1""#))
        #expect(found == ["[[organisation]] TST accessNumber +442079460902: menu: key 1 is used twice: give each choice its own key"])
    }

    @Test func aKeyOffTheKeypadIsReported() throws {
        let found = try problems(broken(#"key = "2""#, #"key = "12""#))
        #expect(found.count == 1)
        #expect(found.first?.contains("key '12' is not on a telephone keypad: use one digit 0 to 9, * or #") == true, "\(found)")
    }

    @Test func aMenuLeadingToAnOptionTheOrganisationDoesNotOperateIsReported() throws {
        let found = try problems(broken(#"option = "trees"\#n      label = "trees""#, #"option = "parking"\#n      label = "trees""#))
        #expect(found == ["access number +442079460902 menu key 2 leads to option parking, which TST does not operate"])
        let fallback = try problems(broken(#"default = "trees""#, #"default = "parking""#))
        #expect(fallback == ["access number +442079460902 menu default parking is an option TST does not operate"])
    }

    @Test func aNumberWithBothAnOptionAndAMenuIsReported() throws {
        let found = try problems(broken(#"label = "Menu line""#, "label = \"Menu line\"\n  option = \"trees\""))
        #expect(found.count == 1)
        #expect(found.first?.contains("has both option trees and a menu") == true, "\(found)")
    }

    @Test func aNumberListedTwiceIsReported() throws {
        let found = try problems(broken(#"number = "+442079460902""#, #"number = "+442079460901""#))
        #expect(found == ["access number +442079460901 is listed twice"])
    }

    @Test func badWaitAndPlaysAreReportedTogether() throws {
        let text = broken("waitSeconds = 6\n    plays = 2", "waitSeconds = 90\n    plays = 0")
        let found = try problems(text)
        #expect(found.count == 2, "\(found)")
        #expect(found.contains { $0.contains("waitSeconds 90 must be 3 to 30") })
        #expect(found.contains { $0.contains("plays 0 must be 1 to 5") })
    }

    @Test func everySampleOrganisationHasANumberAndSomeHaveMenus() throws {
        let catalogue = try CatalogueFile(path: Repository.cataloguePath).catalogue
        for organisation in catalogue.organisations {
            #expect(catalogue.accessNumbers.contains { $0.organisation == organisation.code }, "\(organisation.code)")
        }
        let menus = catalogue.accessNumbers.filter { $0.menu != nil }
        #expect(Set(menus.map(\.organisation.rawValue)) == ["EAL", "PEA"])
        let ealing = try catalogue.resolve(try PhoneNumber(parsing: "020 7946 0103"))
        #expect(ealing.option(after: [.key(try IVRKey("1"))])?.option.code.rawValue == "dangerous-structures")
        #expect(ealing.option(after: [.noKey, .noKey, .noKey])?.option.code.rawValue == "general-information")
    }
}
