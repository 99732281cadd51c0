import Domain
import Foundation
import NightdeskTestSupport
import Testing

@Suite struct RotaReportsTests {
    typealias R = Rotas

    let nights = try! RestrictionWindow(days: Set(Weekday.allCases), from: R.time("17:00"), to: R.time("08:00"))

    @Test func gapsOverFourteenDaysAreListedAndJudgedAgainstTheOptionsHours() throws {
        let directory = try R.directory([
            R.rota("eal-ds", stages: [R.stage(1, [R.layer(people: ["ann-archer"], restrictions: [nights])])])
        ])
        let from = R.london("2026-11-23 00:00")
        let to = R.london("2026-12-07 00:00")
        let always = try directory.rotaGaps(organisation: R.ealing, from: from, to: to)
        #expect(always.count == 14)
        #expect(always.allSatisfy { $0.seconds == 9 * 3_600 && $0.option == R.structures })
        #expect(always.first?.startsAt == R.london("2026-11-23 08:00"))
        // Judged against the catalogue's hours: dangerous structures is open all weekend but only 17:00–08:00 on
        // weekdays (2.1.5), so only weekend days are gaps; noise patrol has no rota, so all its hours are gaps.
        let ealing = try #require(try Fixtures.catalogue().organisation(R.ealing))
        let judged = try directory.rotaGaps(for: ealing, from: from, to: to)
        let structures = judged.filter { $0.option == R.structures }
        #expect(
            structures.map(\.startsAt)
                == ["2026-11-28", "2026-11-29", "2026-12-05", "2026-12-06"].map { R.london("\($0) 08:00") })
        #expect(structures.allSatisfy { $0.seconds == 9 * 3_600 })
        let noise = judged.filter { $0.option == R.noise }
        // Thursday 19:00 to Sunday 03:00 each week, less the Friday and Saturday 03:00–19:00 closures.
        #expect(noise.first?.startsAt == R.london("2026-11-26 19:00"))
        #expect(noise.first?.endsAt == R.london("2026-11-27 03:00"))
        #expect(noise.count == 6)
    }

    @Test func aNarrowRotaIsCoveredByTheGeneralOneButNotTheOtherWayRound() throws {
        let days = try RestrictionWindow(days: Set(Weekday.allCases), from: R.time("08:00"), to: R.time("17:00"))
        let directory = try R.directory([
            R.rota(
                "eal-repairs", option: R.repairs,
                stages: [R.stage(1, [R.layer(people: ["ann-archer"], restrictions: [days])])]),
            R.rota(
                "eal-repairs-heating", option: R.repairs, subCategory: "heating",
                stages: [R.stage(1, [R.layer(people: ["ben-baker"], restrictions: [nights])])]),
        ])
        let gaps = try directory.rotaGaps(
            organisation: R.ealing, from: R.london("2026-11-23 00:00"), to: R.london("2026-11-25 00:00"))
        #expect(gaps.allSatisfy { $0.subCategory == nil })
        #expect(
            gaps.map(\.startsAt) == [
                R.london("2026-11-23 00:00"), R.london("2026-11-23 17:00"), R.london("2026-11-24 17:00"),
            ])
        #expect(throws: DomainError.self) {
            try directory.rotaGaps(
                organisation: R.ealing, from: R.london("2026-01-01 00:00"), to: R.london("2026-12-01 00:00"))
        }
    }

    @Test func monthlyHoursCountRealTimeSoOctoberHasTheLongDay() throws {
        let directory = try R.directory([
            R.rota(
                "eal-ds",
                stages: [
                    R.stage(
                        1,
                        [
                            R.layer(
                                length: .daily, handoff: "00:00", start: "2026-10-01",
                                people: ["ann-archer", "ben-baker"])
                        ])
                ]),
            // Ann is also on the noise rota all month; standby at the same time counts once.
            R.rota(
                "eal-noise", option: R.noise,
                stages: [
                    R.stage(1, [R.layer(length: .daily, handoff: "00:00", start: "2026-01-01", people: ["ann-archer"])])
                ]),
        ])
        let october = try LocalMonth(parsing: "2026-10")
        #expect(try directory.onCallHours(contact: R.id("ann-archer"), month: october).hours == 745)
        // Ben has the 15 odd-numbered turns, 24 hours each.
        #expect(try directory.onCallHours(contact: R.id("ben-baker"), month: october).hours == 360)
        #expect(try directory.onCallHours(contact: R.id("cat-cole"), month: october).seconds == 0)
        #expect(
            try directory.onCallHours(contact: R.id("ann-archer"), month: LocalMonth(parsing: "2026-03")).hours == 743)
        #expect(
            try directory.onCallHours(contact: R.id("ann-archer"), month: LocalMonth(parsing: "2026-11")).hours == 720)
        #expect(throws: DomainError.self) { try directory.onCallHours(contact: R.id("zed-zane"), month: october) }
    }

    @Test func theTwentyFiveHourDayCountsTwentyFiveHours() throws {
        let directory = try R.directory([
            R.rota(
                "eal-ds",
                stages: [
                    R.stage(
                        1,
                        [
                            R.layer(
                                length: .daily, handoff: "00:00", start: "2026-10-01",
                                people: ["ann-archer", "ben-baker"])
                        ])
                ])
        ])
        // Turn 24 (Ann's) is Sunday 25 October, 25 hours long: 15 other turns of 24 hours, plus 25.
        let totals = try directory.onCallTotals(organisation: R.ealing, month: LocalMonth(parsing: "2026-10"))
        #expect(totals.map(\.contact.rawValue) == ["ann-archer", "ben-baker"])
        #expect(totals.map(\.hours) == [385, 360])
    }

    @Test func nightsOnlyStandbyIsCountedWithinTheMonthsBounds() throws {
        let directory = try R.directory([
            R.rota(
                "eal-ds",
                stages: [R.stage(1, [R.layer(start: "2026-09-07", people: ["ann-archer"], restrictions: [nights])])])
        ])
        // 8 hours into 1 October from 30 September's night, thirty 15-hour nights with one an hour longer, and
        // 7 hours of 31 October's night before the month ends.
        let total = try directory.onCallHours(contact: R.id("ann-archer"), month: LocalMonth(parsing: "2026-10"))
        #expect(total.hours == 8 + 30 * 15 + 1 + 7)
    }
}
