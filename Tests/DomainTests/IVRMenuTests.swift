import Domain
import Foundation
import NightdeskTestSupport
import Testing

/// Access numbers and IVR menus (7.1.2–7.1.4).
@Suite struct IVRMenuTests {
    static func key(_ text: String) -> IVRKey { try! IVRKey(text) }
    static func option(_ text: String) -> ServiceOptionCode { try! ServiceOptionCode(text) }

    let menu = try! IVRMenu(
        prompt: "For noise press 1, for trees press 2.",
        choices: [
            .init(key: key("2"), option: option("trees"), label: "trees"),
            .init(key: key("1"), option: option("noise-patrol"), label: "noise"),
        ],
        defaultOption: option("trees"), waitSeconds: 5, playsMax: 3)

    @Test func keysAreDigitsStarAndHashOnly() throws {
        for text in IVRKey.keypad { #expect(try IVRKey(text).rawValue == text) }
        for bad in ["", "10", "a", "+", "**", "½"] {
            #expect(throws: DomainError.self, "\(bad)") { try IVRKey(bad) }
        }
    }

    @Test func choicesAreKeptInKeypadOrder() {
        #expect(menu.choices.map(\.key.rawValue) == ["1", "2"])
        #expect(Self.key("0") > Self.key("9") && Self.key("#") > Self.key("*"))
    }

    @Test func aListedKeyChoosesItsOption() {
        #expect(menu.outcome(of: [.key(Self.key("1"))]) == .chosen(Self.option("noise-patrol"), key: Self.key("1"), play: 1))
    }

    @Test func anUnlistedKeyOrNoKeyReplaysTheMenu() {
        #expect(menu.outcome(of: []) == .listening(play: 1))
        #expect(menu.outcome(of: [.key(Self.key("9"))]) == .listening(play: 2))
        #expect(
            menu.outcome(of: [.noKey, .key(Self.key("2"))]) == .chosen(Self.option("trees"), key: Self.key("2"), play: 2))
    }

    @Test func afterTheLastPlayWithoutAChoiceTheCallGoesToTheDefault() {
        #expect(menu.outcome(of: [.noKey, .key(Self.key("7")), .noKey]) == .defaulted(Self.option("trees"), plays: 3))
        // A key pressed after the call has left the menu changes nothing.
        #expect(
            menu.outcome(of: [.noKey, .noKey, .noKey, .key(Self.key("1"))]) == .defaulted(Self.option("trees"), plays: 3))
        #expect(menu.secondsToDefaultMax == 15)
    }

    @Test func aBadMenuReportsEveryProblemAtOnce() {
        do {
            _ = try IVRMenu(
                prompt: " ",
                choices: [
                    .init(key: Self.key("1"), option: Self.option("trees"), label: "a"),
                    .init(key: Self.key("1"), option: Self.option("noise-patrol"), label: "b"),
                ],
                defaultOption: Self.option("trees"), waitSeconds: 1, playsMax: 9)
            Issue.record("a bad menu was accepted")
        } catch let errors as DomainErrors {
            let text = errors.description
            #expect(text.contains("no prompt"))
            #expect(text.contains("key 1 is used twice"))
            #expect(text.contains("waitSeconds 1 must be 3 to 30"))
            #expect(text.contains("plays 9 must be 1 to 5"))
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(throws: DomainErrors.self) {
            try IVRMenu(prompt: "Hello", choices: [], defaultOption: Self.option("trees"))
        }
    }

    @Test func aNumberResolvesToItsOrganisationAndRoute() throws {
        var catalogue = try Fixtures.catalogue()
        let organisation = try #require(catalogue.organisations.first)
        let codes = organisation.options.map(\.code)
        let menuNumber = try PhoneNumber(parsing: "020 7946 0999")
        let menu = try IVRMenu(
            prompt: "Press 1.", choices: [.init(key: Self.key("1"), option: codes[0], label: "first")],
            defaultOption: codes[1])
        catalogue = try Catalogue(
            calendar: catalogue.calendar, organisations: catalogue.organisations,
            accessNumbers: catalogue.accessNumbers + [
                AccessNumber(number: menuNumber, organisation: organisation.code, option: nil, label: "Menu", menu: menu)
            ])
        let resolved = try catalogue.resolve(menuNumber)
        #expect(resolved.organisation.code == organisation.code)
        #expect(resolved.route == .menu(menu))
        #expect(resolved.option(after: [.key(Self.key("1"))])?.option.code == codes[0])
        #expect(resolved.option(after: [.noKey, .noKey, .noKey])?.option.code == codes[1])
        #expect(resolved.option(after: [.noKey]) == nil, "still listening")
        for access in catalogue.accessNumbers where access.menu == nil {
            let route = try catalogue.resolve(access.number).route
            #expect(route == (access.option.map(AccessRoute.dedicated) ?? .general))
        }
        #expect(throws: DomainError.self) { try catalogue.resolve(try PhoneNumber(parsing: "020 7946 0555")) }
    }

    @Test func theCatalogueRefusesAMenuLeadingToAnOptionTheOrganisationDoesNotOperate() throws {
        let catalogue = try Fixtures.catalogue()
        let organisation = try #require(catalogue.organisations.first)
        let operated = try #require(organisation.options.first?.code)
        let menu = try IVRMenu(
            prompt: "Press 1.", choices: [.init(key: Self.key("1"), option: Self.option("no-such-option"), label: "x")],
            defaultOption: Self.option("also-missing"))
        let number = try PhoneNumber(parsing: "020 7946 0998")
        do {
            _ = try Catalogue(
                calendar: catalogue.calendar, organisations: catalogue.organisations,
                accessNumbers: [
                    AccessNumber(number: number, organisation: organisation.code, option: operated, label: "M", menu: menu)
                ])
            Issue.record("accepted")
        } catch let errors as DomainErrors {
            let text = errors.description
            #expect(text.contains("menu key 1 leads to option no-such-option, which \(organisation.code) does not operate"))
            #expect(text.contains("menu default also-missing"))
            #expect(text.contains("has both option \(operated) and a menu"))
        }
    }
}
