import Domain
import Foundation
import Testing

/// Logging calls and finding them again.
@Suite struct LoggingTests {
    let site: TestSite

    init() throws {
        site = try TestSite("WST")
    }

    @Test func dedicatedAccessNumberAloneGivesTheOrganisationAndOption() throws {
        // 020 7946 0102 is Ealing's noise nuisance line.
        let logged = try site.log([
            "--access-number", "020 7946 0102", "--answer", "noise_source=music or party", "--answer",
            "ongoing_now=yes",
            "--offered-at", Times.fridayLate,
        ])
        #expect(logged.call.organisation.rawValue == "EAL")
        #expect(logged.call.option.rawValue == "noise-patrol")
        #expect(logged.call.accessNumber?.e164 == "+442079460102")
        #expect(logged.call.action.kind == .refer, "the option's default action")
        #expect(logged.call.answers["noise_source"] == .value("Music or party"), "list answers are stored as listed")
        #expect(logged.call.answers["ongoing_now"] == .value("Yes"))
    }

    @Test func jsonOutputParsesAndCarriesTheReference() throws {
        let result = try site.run([
            "call", "log", "--json", "--po", "EAL", "--option", "graffiti-removal", "--answer", "is_offensive=Yes",
            "--caller-name", "Jo Smith", "--caller-phone", "07700 900123", "--offered-at", Times.saturdayNight,
        ])
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.isEmpty, "\(result)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
        let call = try #require(object["call"] as? [String: Any])
        let reference = try #require(call["reference"] as? String)
        #expect(reference.wholeMatch(of: /WST-[2-9A-HJKMNP-Z]{3}-[2-9A-HJKMNP-Z]{4}/) != nil, "\(reference)")
        #expect(try CallReference(parsing: reference).site.rawValue == "WST")
        #expect(call["offeredAt"] as? String == "2026-11-21T22:00:00Z")
        #expect((call["caller"] as? [String: Any])?["phone"] as? String == "+447700900123")
        #expect(object["possibleDuplicates"] as? [Any] != nil)
        #expect(try site.calls().map(\.reference.description) == [reference])
    }

    @Test func textOutputGivesTheReferenceToReadAloud() throws {
        let result = try site.run([
            "call", "log", "--po", "EAL", "--option", "graffiti-removal", "--answer", "is_offensive=Yes",
            "--offered-at", Times.saturdayNight,
        ])
        #expect(result.status == 0, "\(result)")
        let reference = try #require(try site.calls().first).reference.description
        #expect(result.stdout.hasPrefix("Logged \(reference) — read it to the caller: "), "\(result)")
        let spoken = reference.split(separator: "-").map { $0.map(String.init).joined(separator: " ") }
            .joined(separator: ", ")
        #expect(result.stdout.contains(spoken), "\(result)")
    }

    @Test func requiredFieldMarkedNotKnownIsAccepted() throws {
        let result = try site.run([
            "call", "log", "--json", "--po", "EAL", "--option", "graffiti-removal", "--not-known", "is_offensive",
            "--offered-at", Times.saturdayNight,
        ])
        #expect(result.status == 0, "\(result)")
        let logged = try decode(LoggedJSON.self, result.stdout)
        #expect(logged.call.answers["is_offensive"] == .notKnown)
        #expect(try site.show(logged.reference).call.answers["is_offensive"] == .notKnown)
    }

    @Test func gazetteerAddressIsVerifiedByUPRN() throws {
        let logged = try site.logGraffiti(["--uprn", "100021000001"])
        let address = try #require(logged.call.incidentAddress)
        #expect(address.verification == .inGazetteer)
        #expect(address.text == "Northfield Library, Heron Walk, West Ealing, London W13 9XG")
        #expect(address.ward == "Northfield")
    }

    @Test func addressFromAnotherOrganisationsGazetteerIsLoggedAsOutsideTheBoundaryWithAWarning() throws {
        // 100022000001 is in Peabody's gazetteer, not Ealing's.
        let result = try site.run([
            "call", "log", "--po", "EAL", "--option", "graffiti-removal", "--answer", "is_offensive=No", "--uprn",
            "100022000001", "--offered-at", Times.saturdayNight,
        ])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("[outside-boundary, UPRN 100022000001]"), "\(result)")
        #expect(result.stdout.contains("warning: this address is outside EAL's gazetteer"), "\(result)")
        let call = try #require(try site.calls().first)
        #expect(call.incidentAddress?.verification == .outsideBoundary)
        #expect(call.incidentAddress?.point != nil, "the point is kept for the duplicate check")
    }

    @Test func severalValuesAnswerAMultipleChoiceQuestion() throws {
        let logged = try site.log([
            "--po", "EAL", "--option", "missed-rubbish-collection", "--answer", "waste_types=recycling, Food waste",
            "--offered-at", Times.saturdayNight,
        ])
        #expect(logged.call.answers["waste_types"] == .values(["Recycling", "Food waste"]))
        #expect(logged.call.action.kind == .resolve)
        #expect(logged.call.status == .closed, "a resolved call is closed when logged")
    }

    @Test func searchByTheStartOfANameFindsSmithAndSmithson() throws {
        try site.logGraffiti(["--caller-name", "Jo Smith"])
        try site.logGraffiti(["--caller-name", "Ann Smithson"])
        try site.logGraffiti(["--caller-name", "Bob Jones"])
        let result = try site.run(["call", "search", "--name", "smi", "--json"])
        #expect(result.status == 0, "\(result)")
        let names = try decode([Call].self, result.stdout).compactMap(\.caller.name)
        #expect(Set(names) == ["Jo Smith", "Ann Smithson"])
        let text = try site.run(["call", "search", "--name", "smi"])
        #expect(text.stdout.contains("Jo Smith"), "\(text)")
        #expect(!text.stdout.contains("Bob Jones"), "\(text)")
        let none = try site.run(["call", "search", "--name", "zebedee"])
        #expect(none.status == 0, "\(none)")
        #expect(none.stdout.contains("No calls match."), "\(none)")
    }

    @Test func searchByAddressWordsFindsTheCallAtThatAddress() throws {
        let library = try site.logGraffiti(["--uprn", "100021000001"])
        try site.logGraffiti(["--address", "12 Acacia Avenue, Ealing"])
        let byStreet = try site.run(["call", "search", "--address", "heron walk", "--json"])
        #expect(byStreet.status == 0, "\(byStreet)")
        #expect(try decode([Call].self, byStreet.stdout).map(\.reference) == [library.call.reference])
        let byPostcode = try site.run(["call", "search", "--address", "W13", "--json"])
        #expect(try decode([Call].self, byPostcode.stdout).map(\.reference) == [library.call.reference])
        let byText = try site.run(["call", "search", "--address", "acacia", "--json"])
        #expect(try decode([Call].self, byText.stdout).count == 1)
    }

    @Test func searchWindowIncludesItsEndsAndNothingOutside() throws {
        let early = try site.logGraffiti(at: "2026-11-21T20:00")
        let middle = try site.logGraffiti(at: "2026-11-21T22:00")
        let late = try site.logGraffiti(at: "2026-11-21T23:30")
        func window(_ from: String, _ to: String) throws -> [String] {
            let result = try site.run(["call", "search", "--from", from, "--to", to, "--json"])
            #expect(result.status == 0, "\(result)")
            return try decode([Call].self, result.stdout).map(\.reference.description)
        }
        #expect(try window("2026-11-21T21:00", "2026-11-21T23:00") == [middle.reference])
        #expect(try window("2026-11-21T22:00", "2026-11-21T22:00") == [middle.reference], "both ends are included")
        #expect(
            try window("2026-11-21T20:00", "2026-11-21T23:30") == [late.reference, middle.reference, early.reference],
            "newest first")
        #expect(try window("2026-11-22T00:00", "2026-11-22T12:00") == [])
        let backwards = try site.run(["call", "search", "--from", "2026-11-21T23:00", "--to", "2026-11-21T21:00"])
        #expect(backwards.status == 65, "\(backwards)")
        #expect(backwards.stderr.contains("--from is after --to"), "\(backwards)")
    }

    @Test func searchByOptionAndStatusNarrowsTheResults() throws {
        let graffiti = try site.logGraffiti()
        let lights = try site.log([
            "--po", "EAL", "--option", "street-lighting", "--answer", "exposed_wiring=Neither", "--offered-at",
            Times.saturdayNight, "--action", "resolve",
        ])
        let byOption = try site.run(["call", "search", "--option", "street-lighting", "--json"])
        #expect(try decode([Call].self, byOption.stdout).map(\.reference) == [lights.call.reference])
        let open = try site.run(["call", "search", "--status", "open", "--json"])
        #expect(try decode([Call].self, open.stdout).map(\.reference) == [graffiti.call.reference])
    }

    @Test func secondCallAtTheSamePropertyIsOfferedTheFirstAsAPossibleDuplicate() throws {
        let first = try site.logGraffiti(["--uprn", "100021000001"], at: "2026-11-21T21:00")
        let same = try site.logGraffiti(["--uprn", "100021000001"], at: "2026-11-21T22:00")
        #expect(same.possibleDuplicates.map(\.reference) == [first.call.reference])
        // Penrose Street is 245 m from the library: inside the 250 m radius (5.2.7).
        let nearby = try site.logGraffiti(["--uprn", "100021000233"], at: "2026-11-21T22:10")
        #expect(nearby.possibleDuplicates.map(\.reference).contains(first.call.reference))
        // Whitmore Avenue is about 2 km away.
        let far = try site.logGraffiti(["--uprn", "100021000044"], at: "2026-11-21T22:20")
        #expect(far.possibleDuplicates.isEmpty)
        // Same property, another Service Option.
        let otherOption = try site.log([
            "--po", "EAL", "--option", "street-lighting", "--answer", "exposed_wiring=Neither", "--uprn",
            "100021000001", "--offered-at", "2026-11-21T22:30",
        ])
        #expect(otherOption.possibleDuplicates.isEmpty)
        let text = try site.run([
            "call", "log", "--po", "EAL", "--option", "graffiti-removal", "--answer", "is_offensive=No", "--uprn",
            "100021000001", "--offered-at", "2026-11-21T22:40",
        ])
        #expect(text.stdout.contains("Possible duplicates"), "\(text)")
        #expect(text.stdout.contains(first.reference), "\(text)")
    }

    @Test func closedCallsAreNotOfferedAsDuplicates() throws {
        let first = try site.logGraffiti(["--uprn", "100021000001"], at: "2026-11-21T21:00")
        #expect(try site.run(["call", "update", first.reference, "--status", "closed"]).status == 0)
        let second = try site.logGraffiti(["--uprn", "100021000001"], at: "2026-11-21T22:00")
        #expect(second.possibleDuplicates.isEmpty)
    }

    @Test func linkToRecordsTheEarlierCall() throws {
        let first = try site.logGraffiti(["--uprn", "100021000001"], at: "2026-11-21T21:00")
        let second = try site.logGraffiti(
            ["--uprn", "100021000001", "--link-to", first.reference], at: "2026-11-21T22:00")
        #expect(second.call.linkedTo == first.call.reference)
        let record = try site.show(second.reference)
        #expect(record.call.linkedTo == first.call.reference)
        #expect(record.timeline.map(\.summary) == ["logged: refer", "linked to earlier call \(first.reference)"])
        let text = try site.run(["call", "show", second.reference])
        #expect(text.stdout.contains("linked to: \(first.reference)"), "\(text)")
    }
}
