import Domain
import Foundation
import NightdeskTestSupport
import Testing

@Suite struct OnCallRotaTests {
    typealias R = Rotas

    /// The rotation rule behind the person on call at stage 1.
    func turn(_ directory: OnCallDirectory, at instant: Date, option: ServiceOptionCode = R.structures)
        -> (turn: Int, startsAt: Date, endsAt: Date?)?
    {
        guard
            let person = directory.onCall(organisation: R.ealing, option: option, at: instant).list?.stage(1)?.people
                .first,
            case .rotation(_, _, let turn, let startsAt, let endsAt) = person.reason.rule
        else { return nil }
        return (turn, startsAt, endsAt)
    }

    @Test func weeklyRotationHandsOverAtItsLocalTimeAllYear() throws {
        // 2026-01-05 and 2026-11-23 are Mondays; 46 weeks apart, across both clock changes.
        let directory = try R.directory([
            R.rota("eal-ds", stages: [R.stage(1, [R.layer(people: ["ann-archer", "ben-baker", "cat-cole"])])])
        ])
        #expect(directory.ids(at: R.london("2026-01-05 08:59")) == [])
        #expect(directory.ids(at: R.london("2026-01-05 09:00")) == ["ann-archer"])
        #expect(directory.ids(at: R.london("2026-01-12 08:59")) == ["ann-archer"])
        #expect(directory.ids(at: R.london("2026-01-12 09:00")) == ["ben-baker"])
        #expect(directory.ids(at: R.london("2026-01-19 09:00")) == ["cat-cole"])
        #expect(directory.ids(at: R.london("2026-01-26 09:00")) == ["ann-archer"])
        #expect(directory.ids(at: R.london("2026-11-23 08:59")) == ["ann-archer"])
        #expect(directory.ids(at: R.london("2026-11-23 09:00")) == ["ben-baker"])
        let now = try #require(turn(directory, at: R.london("2026-11-23 10:00")))
        #expect(now.turn == 46)
        #expect(now.startsAt == R.london("2026-11-23 09:00"))
        #expect(now.endsAt == R.london("2026-11-30 09:00"))
    }

    @Test func handoffInTheMissingHourOfMarchHappensWhenTheClocksGoForward() throws {
        // 2026-03-29: 01:00 GMT becomes 02:00 BST, so 01:30 does not exist; the rule is the next valid minute, the
        // change itself at 01:00 UTC.
        let directory = try R.directory([
            R.rota(
                "eal-ds",
                stages: [
                    R.stage(
                        1,
                        [
                            R.layer(
                                length: .daily, handoff: "01:30", start: "2026-03-20",
                                people: ["ann-archer", "ben-baker"])
                        ])
                ])
        ])
        #expect(directory.ids(at: R.utc("2026-03-29T00:59:59Z")) == ["ann-archer"])
        #expect(directory.ids(at: R.utc("2026-03-29T01:00:00Z")) == ["ben-baker"])
        let before = try #require(turn(directory, at: R.utc("2026-03-29T00:30:00Z")))
        #expect(before.startsAt == R.utc("2026-03-28T01:30:00Z"))
        #expect(before.endsAt == R.utc("2026-03-29T01:00:00Z"))
        let after = try #require(turn(directory, at: R.utc("2026-03-29T01:00:00Z")))
        #expect(after.turn == before.turn + 1)
        #expect(after.startsAt == before.endsAt)
        // The next handoff is 01:30 BST again.
        #expect(after.endsAt == R.utc("2026-03-30T00:30:00Z"))
    }

    @Test func repeatedHourOfOctoberHasNeitherGapNorDoubleCover() throws {
        // 2026-10-25: 02:00 BST becomes 01:00 GMT, so 01:30 happens twice; the handoff is the first, 00:30 UTC.
        let directory = try R.directory([
            R.rota(
                "eal-ds",
                stages: [
                    R.stage(
                        1,
                        [
                            R.layer(
                                length: .daily, handoff: "01:30", start: "2026-10-20",
                                people: ["ann-archer", "ben-baker"])
                        ])
                ])
        ])
        #expect(directory.ids(at: R.utc("2026-10-25T00:29:59Z")) == ["ann-archer"])
        #expect(directory.ids(at: R.utc("2026-10-25T00:30:00Z")) == ["ben-baker"])
        // 01:15 GMT, the second 01:15 of the night: still Ben, not a second handoff.
        #expect(directory.ids(at: R.utc("2026-10-25T01:15:00Z")) == ["ben-baker"])
        let long = try #require(turn(directory, at: R.utc("2026-10-25T12:00:00Z")))
        #expect(long.endsAt!.timeIntervalSince(long.startsAt) == 25 * 3_600)
        // Minute by minute over two days: always exactly one person, and exactly two handoffs.
        var handoffs = 0
        var previous: [String] = []
        var instant = R.utc("2026-10-24T12:00:00Z")
        while instant < R.utc("2026-10-26T12:00:00Z") {
            let now = directory.ids(at: instant)
            #expect(now.count == 1, "\(instant)")
            if !previous.isEmpty, now != previous { handoffs += 1 }
            previous = now
            instant += 60
        }
        #expect(handoffs == 2)
    }

    @Test(arguments: [
        (RotationLength.hours(2), "00:00"), (.hours(2), "01:30"), (.hours(12), "01:00"), (.daily, "01:30"),
        (.daily, "02:00"), (.days(3), "00:30"), (.weekly, "01:59"),
    ])
    func consecutiveTurnsMeetExactlyAcrossClockChanges(length: RotationLength, handoff: String) throws {
        let directory = try R.directory([
            R.rota(
                "eal-ds",
                stages: [
                    R.stage(
                        1,
                        [
                            R.layer(
                                length: length, handoff: handoff, start: "2025-12-29",
                                people: ["ann-archer", "ben-baker", "cat-cole"])
                        ])
                ])
        ])
        var random = CallReferenceTests.SplitMix64(state: 4_242)
        // Random instants in 2026–2027, and every ten minutes around each clock change.
        var instants = (0..<400).map { _ in
            Date(timeIntervalSince1970: Double(Int.random(in: 1_767_500_000...1_830_000_000, using: &random)))
        }
        for change in ["2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z", "2027-03-28T01:00:00Z", "2027-10-31T01:00:00Z"] {
            instants += stride(from: -36_000.0, to: 36_000, by: 600).map { R.utc(change) + $0 }
        }
        for instant in instants {
            let now = try #require(turn(directory, at: instant), "\(instant)")
            let end = try #require(now.endsAt)
            #expect(now.startsAt <= instant && instant < end, "seed=4242 \(instant)")
            let next = try #require(turn(directory, at: end))
            #expect(next.turn == now.turn + 1 && next.startsAt == end, "\(instant)")
            let previous = try #require(turn(directory, at: now.startsAt - 1))
            #expect(previous.turn == now.turn - 1 && previous.endsAt == now.startsAt, "\(instant)")
        }
    }

    @Test func higherLayerWinsInsideItsRestrictionsAndTheLowerShowsThroughOutside() throws {
        let nights = try RestrictionWindow(days: Set(Weekday.allCases), from: R.time("17:00"), to: R.time("08:00"))
        let weekends = try RestrictionWindow(
            days: RestrictionWindow.weekend, from: R.time("00:00"), to: R.time("00:00"))
        let directory = try R.directory([
            R.rota(
                "eal-ds",
                stages: [
                    R.stage(
                        1,
                        [
                            R.layer("days", priority: 1, people: ["ann-archer"]),
                            R.layer(
                                "out of hours", priority: 2, people: ["cat-cole"], restrictions: [nights, weekends]),
                        ])
                ])
        ])
        // 2026-11-23 is a Monday.
        #expect(directory.ids(at: R.london("2026-11-23 07:59")) == ["cat-cole"])
        #expect(directory.ids(at: R.london("2026-11-23 08:00")) == ["ann-archer"])
        #expect(directory.ids(at: R.london("2026-11-23 16:59")) == ["ann-archer"])
        #expect(directory.ids(at: R.london("2026-11-23 17:00")) == ["cat-cole"])
        #expect(directory.ids(at: R.london("2026-11-21 12:00")) == ["cat-cole"])
        let reason = directory.onCall(organisation: R.ealing, option: R.structures, at: R.london("2026-11-21 12:00"))
            .list?.stage(1)?.people.first?.reason
        #expect(reason?.description.contains("layer 'out of hours' (priority 2)") == true)
    }

    @Test func restrictionEndingInTheRepeatedHourEndsAtItsFirstOccurrence() throws {
        let lateEvening = try RestrictionWindow(days: Set(Weekday.allCases), from: R.time("17:00"), to: R.time("01:30"))
        let directory = try R.directory([
            R.rota("eal-ds", stages: [R.stage(1, [R.layer(people: ["ann-archer"], restrictions: [lateEvening])])])
        ])
        #expect(directory.ids(at: R.utc("2026-10-25T00:29:00Z")) == ["ann-archer"])
        #expect(directory.ids(at: R.utc("2026-10-25T00:30:00Z")) == [])
        // The second 01:15 of the night is after the window closed: no second stint.
        #expect(directory.ids(at: R.utc("2026-10-25T01:15:00Z")) == [])
        // In March a window opening in the missing hour opens when the clocks change.
        let missing = try RestrictionWindow(days: [.sunday], from: R.time("01:30"), to: R.time("03:00"))
        let march = try R.directory([
            R.rota("eal-ds", stages: [R.stage(1, [R.layer(people: ["ben-baker"], restrictions: [missing])])])
        ])
        #expect(march.ids(at: R.utc("2026-03-29T00:59:59Z")) == [])
        #expect(march.ids(at: R.utc("2026-03-29T01:00:00Z")) == ["ben-baker"])
        #expect(march.ids(at: R.utc("2026-03-29T01:59:59Z")) == ["ben-baker"])
        #expect(march.ids(at: R.utc("2026-03-29T02:00:00Z")) == [])
    }

    @Test func whoIsOnCallNowHonoursAnOverrideMadeAMomentAgo() throws {
        let rota = R.rota("eal-ds", stages: [R.stage(1, [R.layer(people: ["ann-archer", "ben-baker", "cat-cole"])])])
        let directory = try R.directory([rota])
        let now = R.london("2026-11-23 21:00")
        #expect(directory.ids(at: now) == ["ben-baker"])
        let sick = R.override("ben-sick", from: now, to: now + 4 * 3_600, people: ["dan-dyer"], createdAt: now)
        #expect(sick.timing == .immediate)
        let updated = try directory.adding(sick, to: rota.id)
        #expect(updated.ids(at: now) == ["dan-dyer"])
        #expect(updated.ids(at: now + 1) == ["dan-dyer"])
        let person = try #require(
            updated.onCall(organisation: R.ealing, option: R.structures, at: now).list?.stage(1)?.people.first)
        #expect(person.reason.rule == .override(sick.id, replacing: nil, startsAt: sick.startsAt, endsAt: sick.endsAt))
        #expect(updated.ids(at: now - 60) == ["ben-baker"])
        #expect(updated.ids(at: now + 4 * 3_600) == ["ben-baker"])
        // The directory is a value: the one read before the change still gives its answer.
        #expect(directory.ids(at: now) == ["ben-baker"])
    }

    @Test func futureDatedOverrideWaitsForItsStartAndTheLatestOverlappingOverrideWins() throws {
        let made = R.london("2026-11-01 10:00")
        let christmas = R.override(
            "xmas", from: R.london("2026-12-24 17:00"), to: R.london("2026-12-27 09:00"), people: ["eve-ellis"],
            createdAt: made)
        let lastMinute = R.override(
            "xmas-day", from: R.london("2026-12-25 09:00"), to: R.london("2026-12-25 21:00"), people: ["fay-ford"],
            createdAt: R.london("2026-12-25 08:00"))
        #expect(christmas.timing == .futureDated)
        #expect(lastMinute.timing == .lastMinute)
        let directory = try R.directory([
            R.rota(
                "eal-ds", stages: [R.stage(1, [R.layer(people: ["ann-archer"])])], overrides: [lastMinute, christmas])
        ])
        #expect(directory.ids(at: R.london("2026-12-24 16:59")) == ["ann-archer"])
        #expect(directory.ids(at: R.london("2026-12-24 17:00")) == ["eve-ellis"])
        #expect(directory.ids(at: R.london("2026-12-25 12:00")) == ["fay-ford"])
        #expect(directory.ids(at: R.london("2026-12-25 21:00")) == ["eve-ellis"])
        #expect(directory.ids(at: R.london("2026-12-27 09:00")) == ["ann-archer"])
        let withdrawn = try directory.replacing(
            try directory.rotas[try RotaID("eal-ds")]!.removingOverride(lastMinute.id))
        #expect(withdrawn.ids(at: R.london("2026-12-25 12:00")) == ["eve-ellis"])
    }

    @Test func takingAShiftReplacesOnlyThatPersonAndSwapsExchangeShifts() throws {
        let pair = try Rotation(
            length: .weekly, handoff: R.time("09:00"), startDate: R.date("2026-01-05"),
            turns: [[R.id("ann-archer"), R.id("ben-baker")], [R.id("cat-cole"), R.id("dan-dyer")]])
        let made = R.london("2026-01-01 12:00")
        let takeAnn = try RotaOverride.takeShift(
            id: RotaOverrideID("eve-for-ann"), stage: 1, of: R.id("ann-archer"), by: R.id("eve-ellis"),
            startsAt: R.london("2026-01-06 09:00"), endsAt: R.london("2026-01-13 09:00"), createdAt: made)
        let directory = try R.directory([
            R.rota(
                "eal-ds", stages: [R.stage(1, [try RotaLayer(name: "pairs", priority: 1, rotation: pair)])],
                overrides: [takeAnn])
        ])
        #expect(directory.ids(at: R.london("2026-01-05 12:00")) == ["ann-archer", "ben-baker"])
        #expect(directory.ids(at: R.london("2026-01-07 12:00")) == ["eve-ellis", "ben-baker"])
        // Ann is not on call the next week, so taking her shift changes nothing there.
        #expect(directory.ids(at: R.london("2026-01-12 12:00")) == ["cat-cole", "dan-dyer"])

        let weekly = R.rota(
            "eal-swap", option: R.noise, stages: [R.stage(1, [R.layer(people: ["ann-archer", "ben-baker"])])])
        let swap = try RotaOverride.swap(
            ids: (RotaOverrideID("swap-a"), RotaOverrideID("swap-b")), stage: 1,
            (R.id("ann-archer"), R.london("2026-01-05 09:00"), R.london("2026-01-12 09:00")),
            (R.id("ben-baker"), R.london("2026-01-12 09:00"), R.london("2026-01-19 09:00")), createdAt: made)
        let swapped = try R.directory([try weekly.adding(swap[0]).adding(swap[1])])
        #expect(swapped.ids(R.noise, at: R.london("2026-01-06 12:00")) == ["ben-baker"])
        #expect(swapped.ids(R.noise, at: R.london("2026-01-13 12:00")) == ["ann-archer"])
        #expect(swapped.ids(R.noise, at: R.london("2026-01-20 12:00")) == ["ann-archer"])
    }

    @Test func theMostSpecificRotaForASubCategoryOrAreaAnswers() throws {
        let w5 = try RotaArea.postcodeDistrict(ofPostcode: "W5 1AB")
        let nights = try RestrictionWindow(days: Set(Weekday.allCases), from: R.time("17:00"), to: R.time("08:00"))
        let directory = try R.directory([
            R.rota("eal-repairs", option: R.repairs, stages: [R.stage(1, [R.layer(people: ["ann-archer"])])]),
            R.rota(
                "eal-repairs-heating", option: R.repairs, subCategory: "Heating",
                stages: [R.stage(1, [R.layer(people: ["ben-baker"])])]),
            R.rota(
                "eal-repairs-w5", option: R.repairs, area: w5, stages: [R.stage(1, [R.layer(people: ["cat-cole"])])]),
            R.rota(
                "eal-repairs-heating-w5", option: R.repairs, subCategory: "heating", area: w5,
                stages: [R.stage(1, [R.layer(people: ["dan-dyer"], restrictions: [nights])])]),
        ])
        let day = R.london("2026-11-23 12:00")
        let night = R.london("2026-11-23 22:00")
        #expect(directory.ids(R.repairs, at: night) == ["ann-archer"])
        #expect(directory.ids(R.repairs, subCategory: "locks", at: night) == ["ann-archer"])
        #expect(directory.ids(R.repairs, subCategory: "heating ", at: night) == ["ben-baker"])
        #expect(directory.ids(R.repairs, area: try RotaArea.postcodeDistrict("w5"), at: night) == ["cat-cole"])
        #expect(directory.ids(R.repairs, area: try RotaArea.postcodeDistrict("W13"), at: night) == ["ann-archer"])
        #expect(directory.ids(R.repairs, subCategory: "HEATING", area: w5, at: night) == ["dan-dyer"])
        // The narrowest rota covers only nights; by day the next most specific one answers.
        #expect(directory.ids(R.repairs, subCategory: "heating", area: w5, at: day) == ["ben-baker"])
        let query = OnCallQuery(
            organisation: R.ealing, option: R.repairs, subCategory: "heating",
            areas: [try RotaArea.ward("Ealing Broadway"), w5])
        #expect(directory.onCall(query, at: night).list?.rota.rawValue == "eal-repairs-heating-w5")
    }

    @Test func aGapNamesTheOrganisationAndOptionForTheHandler() throws {
        let directory = try R.directory([
            R.rota("eal-ds", stages: [R.stage(1, [R.layer(people: ["ann-archer"], end: "2026-06-01")])])
        ])
        let ended = directory.onCall(organisation: R.ealing, option: R.structures, at: R.london("2026-06-01 09:00"))
        guard case .rotaGap(let gap) = ended else {
            Issue.record("expected a gap, got \(ended)")
            return
        }
        #expect(gap.rotasConsidered.map(\.rawValue) == ["eal-ds"])
        #expect(gap.description.contains("nobody is on call for EAL dangerous-structures"))
        let none = directory.onCall(organisation: R.ealing, option: R.noise, at: R.london("2026-06-01 09:00"))
        guard case .rotaGap(let missing) = none else {
            Issue.record("expected a gap, got \(none)")
            return
        }
        #expect(missing.description.hasPrefix("EAL has no rota for noise-patrol"))
    }

    @Test func theAnswerListsEveryStageInOrderWithChannelsAndReasons() throws {
        let bothOnCall = try Rotation(
            length: .daily, handoff: R.time("08:00"), startDate: R.date("2026-01-05"),
            turns: [[R.id("ben-baker"), R.id("cat-cole")]])
        let directory = try R.directory([
            R.rota(
                "eal-ds",
                stages: [
                    R.stage(3, [R.layer(people: ["mo-manager"])], name: "Manager"),
                    R.stage(1, [R.layer(people: ["ann-archer"])]),
                    R.stage(2, [try RotaLayer(name: "pair", priority: 1, rotation: bothOnCall)]),
                ])
        ])
        let list = try #require(
            directory.onCall(organisation: R.ealing, option: R.structures, at: R.london("2026-11-23 22:00")).list)
        #expect(list.stages.map(\.number) == [1, 2, 3])
        #expect(list.stages.map(\.name) == ["Stage 1", "Stage 2", "Manager"])
        #expect(list.stage(2)?.people.map(\.contact.name) == ["Ben Baker", "Cat Cole"])
        #expect(list.stage(1)?.people.first?.channels.map(\.kind) == [.phone, .sms, .email])
        #expect(
            list.stage(3)?.people.first?.reason.description == "rota eal-ds stage 3, layer 'main' (priority 1), turn 46"
        )
    }

    @Test func changesToContactDetailsApplyToTheNextLookup() throws {
        let directory = try R.directory([R.rota("eal-ds", stages: [R.stage(1, [R.layer(people: ["ann-archer"])])])])
        let moved = try OnCallContact(
            id: R.id("ann-archer"), organisation: R.ealing, name: "Ann Archer", role: .dutyOfficer,
            phone: PhoneNumber(parsing: "020 7946 0999"))
        let updated = try directory.replacing(moved)
        let channels = updated.onCall(organisation: R.ealing, option: R.structures, at: R.london("2026-11-23 22:00"))
            .list?.stage(1)?.people.first?.channels
        #expect(channels == [.phone(try PhoneNumber(parsing: "020 7946 0999"))])
        let elsewhere = R.contact("Ann Archer", organisation: R.wandle)
        #expect(throws: DomainError.self) { try directory.replacing(elsewhere) }
    }

    @Test func rotasThatCannotBeFollowedAreRefusedWithTheReason() throws {
        let stranger = R.rota("eal-x", stages: [R.stage(1, [R.layer(people: ["zed-zane"])])])
        let errors = try #require(throws: DomainErrors.self) { try R.directory([stranger]) }
        #expect(errors.description.contains("names zed-zane, who is not a contact"))
        let wandle = R.contact("Wes Wandle", organisation: R.wandle)
        let crossing = R.rota("eal-y", stages: [R.stage(1, [R.layer(people: ["wes-wandle"])])])
        let crossed = try #require(throws: DomainErrors.self) {
            try R.directory([crossing], contacts: R.people + [wandle])
        }
        #expect(crossed.description.contains("may only name its own organisation's contacts"))
        #expect(throws: DomainError.self) {
            try RotaStage(
                number: 1, name: "twins",
                layers: [
                    R.layer("a", priority: 1, people: ["ann-archer"]), R.layer("b", priority: 1, people: ["ben-baker"]),
                ])
        }
        #expect(throws: DomainError.self) {
            try OnCallRota(
                id: RotaID("eal-z"), organisation: R.ealing, option: R.structures, name: "z",
                stages: [R.stage(1, [R.layer(people: ["ann-archer"])])],
                overrides: [
                    R.override(
                        "o", stage: 2, from: R.london("2026-01-05 09:00"), to: R.london("2026-01-06 09:00"),
                        people: ["ben-baker"], createdAt: R.london("2026-01-01 09:00"))
                ])
        }
        #expect(throws: DomainError.self) {
            // An hour-long turn could fall wholly in the hour the clocks skip in March and never happen.
            try Rotation(
                length: .hours(1), handoff: R.time("09:00"), startDate: R.date("2026-01-05"),
                participants: [R.id("ann-archer")])
        }
        #expect(throws: DomainError.self) {
            try Rotation(length: .daily, handoff: R.time("09:00"), startDate: R.date("2026-01-05"), participants: [])
        }
        #expect(throws: DomainError.self) {
            try RotaOverride(
                id: RotaOverrideID("back"), stage: 1, startsAt: R.london("2026-01-06 09:00"),
                endsAt: R.london("2026-01-05 09:00"),
                contacts: [R.id("ann-archer")], createdAt: R.london("2026-01-01 09:00"))
        }
        #expect(throws: DomainError.self) { try LocalTimeOfDay(parsing: "24:00") }
        #expect(throws: DomainError.self) { try RotaID("Ealing Rota!") }
    }
}
