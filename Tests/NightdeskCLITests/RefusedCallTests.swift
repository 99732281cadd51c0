import Domain
import Foundation
import Testing

/// Calls the rules refuse: each exits non-zero, says what was wrong on stderr, and writes nothing.
@Suite struct RefusedCallTests {
    let site: TestSite

    init() throws {
        site = try TestSite("WST")
        // One call already held, so "nothing written" compares against a store that is not empty.
        try site.logGraffiti(["--caller-name", "Existing Caller"])
    }

    func log(_ arguments: [String], status: Int32 = 65, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> RunResult
    {
        try site.refused(["call", "log"] + arguments, status: status, sourceLocation: sourceLocation)
    }

    @Test func callForAnOrganisationNotServedHereIsRefusedAndWritesNothing() throws {
        let result = try log([
            "--po", "XYZ", "--option", "graffiti-removal", "--answer", "is_offensive=No", "--offered-at",
            Times.saturdayNight,
        ])
        #expect(result.stderr.contains("organisation XYZ is not served here"), "\(result)")
        #expect(result.stderr.contains("EAL"), "the known organisations are listed: \(result)")
    }

    @Test func callForAnOptionThePODoesNotOperateIsRefusedAndWritesNothing() throws {
        // Ealing has no housing-repairs cell in Appendix 2 Table 1.
        let result = try log([
            "--po", "EAL", "--option", "housing-repairs", "--answer", "is_tenant=Tenant", "--offered-at",
            Times.saturdayNight,
        ])
        #expect(result.stderr.contains("does not operate the Service Option 'housing-repairs'"), "\(result)")
        #expect(result.stderr.contains("graffiti-removal"), "the options it does operate are listed: \(result)")
    }

    @Test func callMissingARequiredAnswerIsRefusedNamingTheFieldAndSuggestingNotKnown() throws {
        let result = try log(["--po", "EAL", "--option", "graffiti-removal", "--offered-at", Times.saturdayNight])
        #expect(result.stderr.contains("required field 'is_offensive'"), "\(result)")
        #expect(result.stderr.contains("--not-known is_offensive"), "\(result)")
    }

    @Test func everyMissingRequiredAnswerIsNamedAtOnce() throws {
        let result = try log(["--po", "EAL", "--option", "noise-patrol", "--offered-at", Times.fridayLate])
        #expect(result.stderr.contains("'noise_source'"), "\(result)")
        #expect(result.stderr.contains("'ongoing_now'"), "\(result)")
    }

    @Test func malformedUPRNIsRefusedAndWritesNothing() throws {
        let result = try log([
            "--po", "EAL", "--option", "graffiti-removal", "--answer", "is_offensive=No", "--uprn", "12ab",
            "--offered-at", Times.saturdayNight,
        ])
        #expect(result.stderr.contains("UPRN '12ab' is not valid"), "\(result)")
    }

    @Test func uprnInNoGazetteerWithoutAddressTextIsRefused() throws {
        let result = try log(
            [
                "--po", "EAL", "--option", "graffiti-removal", "--answer", "is_offensive=No", "--uprn", "999999999999",
                "--offered-at", Times.saturdayNight,
            ], status: 66)
        #expect(result.stderr.contains("UPRN 999999999999 is in no gazetteer"), "\(result)")
        #expect(result.stderr.contains("--address"), "\(result)")
    }

    @Test func malformedCallerPhoneIsRefusedAndWritesNothing() throws {
        let result = try log([
            "--po", "EAL", "--option", "graffiti-removal", "--answer", "is_offensive=No", "--caller-phone", "12345",
            "--offered-at", Times.saturdayNight,
        ])
        #expect(result.stderr.contains("phone number '12345' is not a valid UK number"), "\(result)")
    }

    @Test func unknownAccessNumberIsRefusedAndWritesNothing() throws {
        let result = try log([
            "--access-number", "020 7946 0999", "--option", "graffiti-removal", "--answer", "is_offensive=No",
            "--offered-at", Times.saturdayNight,
        ])
        #expect(result.stderr.contains("access number +442079460999 is not in the catalogue"), "\(result)")
    }

    @Test func accessNumberOfAnotherOrganisationIsRefused() throws {
        // 020 7946 0160 is Peabody's general number.
        let result = try log([
            "--po", "EAL", "--access-number", "020 7946 0160", "--option", "graffiti-removal", "--answer",
            "is_offensive=No", "--offered-at", Times.saturdayNight,
        ])
        #expect(result.stderr.contains("belongs to PEA, not EAL"), "\(result)")
    }

    @Test func answerNotInTheListIsRefusedNamingTheChoices() throws {
        let result = try log([
            "--po", "EAL", "--option", "graffiti-removal", "--answer", "is_offensive=Maybe", "--offered-at",
            Times.saturdayNight,
        ])
        #expect(result.stderr.contains("'Maybe' is not one of: Yes, No"), "\(result)")
    }

    @Test func answerToAQuestionTheScriptDoesNotAskIsRefused() throws {
        let result = try log([
            "--po", "EAL", "--option", "graffiti-removal", "--answer", "is_offensive=No", "--answer", "colour=Red",
            "--offered-at", Times.saturdayNight,
        ])
        #expect(result.stderr.contains("'colour' is not a question of Graffiti removal"), "\(result)")
    }

    @Test func outOfScopeCallWithoutACategoryIsRefused() throws {
        let result = try log([
            "--po", "EAL", "--option", "graffiti-removal", "--answer", "is_offensive=No", "--action", "out-of-scope",
            "--offered-at", Times.saturdayNight,
        ])
        #expect(result.stderr.contains("an out-of-scope call needs a category"), "\(result)")
        #expect(result.stderr.contains("Details forwarded to daytime service"), "the categories are listed: \(result)")
    }

    @Test func outOfScopeCallWithACategoryIsLoggedClosed() throws {
        let logged = try site.logGraffiti([
            "--action", "out-of-scope", "--action-detail", "Outside the organisation's area",
        ])
        #expect(logged.call.action.kind == .outOfScope)
        #expect(logged.call.action.detail == "Outside the organisation's area")
        #expect(logged.call.status == .closed)
    }

    @Test func referralOutsideTheOptionsHoursIsRefusedWhileASignpostIsAccepted() throws {
        let noise = [
            "--po", "EAL", "--option", "noise-patrol", "--answer", "noise_source=Music or party", "--answer",
            "ongoing_now=Yes",
        ]
        // noise-patrol is closed all day on Tuesdays.
        let tuesday = try log(noise + ["--offered-at", Times.tuesdayNight])
        #expect(tuesday.stderr.contains("Noise patrol for EAL is not in service at 22:00 on 2026-11-24"), "\(tuesday)")
        #expect(tuesday.stderr.contains("closed all day"), "\(tuesday)")
        #expect(tuesday.stderr.contains("--action signpost"), "the way forward is given: \(tuesday)")
        // Its Sunday night runs until 03:00 on Monday, and no later (5.4.3).
        let three = try log(noise + ["--offered-at", Times.mondayThree])
        #expect(three.stderr.contains("not in service at 03:00"), "\(three)")
        #expect(three.stderr.contains("00:00-03:00"), "today's hours are shown: \(three)")

        let beforeThree = try site.log(noise + ["--offered-at", Times.mondayBeforeThree])
        #expect(beforeThree.call.action.kind == .refer)
        #expect(beforeThree.call.status == .open)
        let signposted = try site.log(
            noise + [
                "--offered-at", Times.tuesdayNight, "--action", "signpost", "--action-detail",
                "Police non-emergency 101",
            ])
        #expect(signposted.call.action.kind == .signpost)
        #expect(signposted.call.status == .closed)
    }

    @Test func endBeforeTheCallWasOfferedIsRefused() throws {
        let result = try log([
            "--po", "EAL", "--option", "graffiti-removal", "--answer", "is_offensive=No", "--offered-at",
            Times.saturdayNight, "--ended-at", "2026-11-21T21:00",
        ])
        #expect(result.stderr.contains("cannot end before"), "\(result)")
    }

    @Test func linkToACallNotHeldHereIsRefused() throws {
        let unknown = CallReference(site: try SiteCode("WST"), serial: 9_999).description
        let result = try log(
            [
                "--po", "EAL", "--option", "graffiti-removal", "--answer", "is_offensive=No", "--offered-at",
                Times.saturdayNight, "--link-to", unknown,
            ], status: 66)
        #expect(result.stderr.contains("no call with reference \(unknown)"), "\(result)")
    }

    @Test func callWithoutAnOrganisationIsACommandLineMistake() throws {
        let result = try log(["--option", "graffiti-removal", "--offered-at", Times.saturdayNight], status: 64)
        #expect(result.stderr.contains("--po CODE or --access-number NUMBER"), "\(result)")
    }

    @Test func generalNumberWithoutAnOptionIsACommandLineMistake() throws {
        let result = try log(["--access-number", "020 7946 0100", "--offered-at", Times.saturdayNight], status: 64)
        #expect(result.stderr.contains("give --option CODE"), "\(result)")
        #expect(result.stderr.contains("participants show EAL"), "\(result)")
    }
}

/// Hours are judged in London time, with the catalogue's bank holidays (2.1.5, 2.1.6).
@Suite struct HoursTests {
    let site: TestSite

    init() throws {
        site = try TestSite("WST", gazetteers: false)
    }

    @Test func timeGivenInUTCIsJudgedInLondonSummerTime() throws {
        // 07:30 UTC on Monday 6 July is 08:30 in London (BST), after the 00:00-08:00 window closed.
        let refused = try site.refused([
            "call", "log", "--po", "EAL", "--option", "graffiti-removal", "--answer", "is_offensive=No",
            "--offered-at", "2026-07-06T07:30:00Z",
        ])
        #expect(refused.stderr.contains("not in service at 08:30 on 2026-07-06"), "\(refused)")
        let accepted = try site.logGraffiti(at: "2026-07-06T07:30")
        #expect(accepted.call.offeredAt == london("2026-07-06T07:30"))
        #expect(accepted.call.offeredAt == Date(timeIntervalSince1970: 1_783_319_400), "06:30 UTC")
    }

    @Test func bankHolidayRunsAllDayWhereTheProfileSaysSo() throws {
        // Friday 18 December 2026 is an ordinary working day; Friday 25 December is Christmas Day.
        let ordinary = try site.refused([
            "call", "log", "--po", "EAL", "--option", "graffiti-removal", "--answer", "is_offensive=No",
            "--offered-at", "2026-12-18T10:00",
        ])
        #expect(ordinary.stderr.contains("friday: 00:00-08:00, 17:00-24:00"), "\(ordinary)")
        let christmas = try site.logGraffiti(at: "2026-12-25T10:00")
        #expect(christmas.call.status == .open)
    }
}
