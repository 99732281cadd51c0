import Domain
import NightdeskTestSupport
import Foundation
import Testing

@Suite struct OperatingHoursTests {
    let catalogue: Catalogue
    let evenings: OperatingHours
    let noise: OperatingHours
    let xmas: OperatingHours

    init() throws {
        catalogue = try Fixtures.catalogue()
        let ealing = catalogue.organisation(try OrganisationCode("EAL"))!
        evenings = ealing.option(try ServiceOptionCode("dangerous-structures"))!.hours
        noise = ealing.option(try ServiceOptionCode("noise-patrol"))!.hours
        xmas = catalogue.organisation(try OrganisationCode("WAN"))!.option(try ServiceOptionCode("noise-patrol"))!.hours
    }

    func open(_ hours: OperatingHours, _ london: String) -> Bool {
        hours.isOpen(at: Fixtures.london(london), calendar: catalogue.calendar)
    }

    @Test func weekdayServiceRunsFromFivePmToEightAm() {
        // 2.1.5: 5pm–8am Monday to Friday. 2026-11-23 is a Monday.
        #expect(!open(evenings, "2026-11-23 12:00"))
        #expect(!open(evenings, "2026-11-23 16:59"))
        #expect(open(evenings, "2026-11-23 17:00"))
        #expect(open(evenings, "2026-11-24 07:59"))
        #expect(!open(evenings, "2026-11-24 08:00"))
    }

    @Test func weekendsRunAllDay() {
        #expect(open(evenings, "2026-11-21 12:00"))  // Saturday
        #expect(open(evenings, "2026-11-22 12:00"))  // Sunday
    }

    @Test func bankHolidaysFollowTheirRule() {
        // 2026-08-31 is the summer bank holiday, a Monday: all-day for the common pattern (2.1.6)…
        #expect(open(evenings, "2026-08-31 12:00"))
        // …and closed for a noise service whose rule says so, even in its usual Friday window.
        #expect(open(noise, "2026-12-18 20:00"))
        #expect(!open(noise, "2026-12-25 20:00"))
    }

    @Test func christmasPeriodIsAllDayOnlyWhereTheOptionSaysSo() {
        // 2026-12-29 is a Tuesday between Christmas and New Year (2.1.6).
        #expect(open(xmas, "2026-12-29 12:00"))
        #expect(!open(evenings, "2026-12-29 12:00"))
        #expect(!open(xmas, "2027-01-05 12:00"))
        // The period runs across New Year.
        #expect(open(xmas, "2027-01-01 09:00"))
    }

    @Test func noiseServiceStopsAtThreeInTheMorning() {
        // 5.4.3: "no emergency noise complaint service after 3 a.m."; 2026-11-27 is a Friday.
        #expect(open(noise, "2026-11-27 02:59"))
        #expect(!open(noise, "2026-11-27 03:00"))
        #expect(!open(noise, "2026-11-24 23:00"))  // Tuesday: no noise service
    }

    @Test func hoursAreJudgedInLondonTimeAcrossTheClockChanges() {
        // 16:30 UTC is 17:30 in British Summer Time but 16:30 in winter.
        #expect(evenings.isOpen(at: Fixtures.utc("2026-06-15T16:30:00Z"), calendar: catalogue.calendar))
        #expect(!evenings.isOpen(at: Fixtures.utc("2026-11-23T16:30:00Z"), calendar: catalogue.calendar))
        // Clocks go forward at 01:00 UTC on 2026-03-29; 07:30 UTC on Monday 30 March is 08:30 BST: closed.
        #expect(!evenings.isOpen(at: Fixtures.utc("2026-03-30T07:30:00Z"), calendar: catalogue.calendar))
        // Clocks go back at 01:00 UTC on 2026-10-25; 07:30 UTC on Monday 26 October is 07:30 GMT: open.
        #expect(evenings.isOpen(at: Fixtures.utc("2026-10-26T07:30:00Z"), calendar: catalogue.calendar))
    }

    @Test func openingWindowsAreCheckedWhenRead() throws {
        #expect(try DailyWindow(parsing: "17:00-24:00").endMinute == 1_440)
        for bad in ["25:00-26:00", "17:00-08:00", "17:00", "24:00-24:00", "9:00-10:00", "10:00-10:00", "10:60-11:00"] {
            #expect(throws: DomainError.self, "\(bad)") { try DailyWindow(parsing: bad) }
        }
    }

    @Test func datesAreCheckedWhenRead() throws {
        #expect(try LocalDate(parsing: "2028-02-29").day == 29)
        for bad in ["2027-02-29", "2026-13-01", "26-01-01", "2026/01/01"] {
            #expect(throws: DomainError.self, "\(bad)") { try LocalDate(parsing: bad) }
        }
    }
}

extension OperatingHoursTests {
    @Test func localTimeAgreesWithFoundationsCalendarAcrossYearsAndClockChanges() {
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = TimeZone(identifier: "Europe/London")!
        var random = CallReferenceTests.SplitMix64(state: 1_122)
        for _ in 0..<5_000 {
            // 1960 to 2060, including the hours either side of every clock change.
            let instant = Date(timeIntervalSince1970: Double(Int64.random(in: -315_619_200...2_871_763_200, using: &random)))
            let ours = catalogue.calendar.localTime(of: instant)
            let parts = gregorian.dateComponents([.year, .month, .day, .weekday, .hour, .minute], from: instant)
            #expect(ours.date.year == parts.year && ours.date.month == parts.month && ours.date.day == parts.day, "\(instant)")
            #expect(ours.minuteOfDay == parts.hour! * 60 + parts.minute!, "\(instant)")
            #expect(ours.weekday == Weekday.allCases[(parts.weekday! + 5) % 7], "\(instant)")
        }
    }
}
