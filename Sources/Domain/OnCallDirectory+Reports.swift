import Foundation

/// A calendar month on the local clock, e.g. `2026-10`.
public struct LocalMonth: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    public init(year: Int, month: Int) throws {
        _ = try LocalDate(year: year, month: month, day: 1)
        self.year = year
        self.month = month
    }

    /// Parses `YYYY-MM`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]),
            let month = Int(parts[1]), (1...12).contains(month)
        else {
            throw DomainError(.invalidValue, "'\(text)' is not a month: write it as YYYY-MM, e.g. 2026-10")
        }
        try self.init(year: year, month: month)
    }

    public var firstDay: LocalDate { try! LocalDate(year: year, month: month, day: 1) }
    public var following: LocalMonth { try! LocalMonth(year: month == 12 ? year + 1 : year, month: month % 12 + 1) }
    public var description: String { String(format: "%04d-%02d", year, month) }
    public static func < (a: Self, b: Self) -> Bool { (a.year, a.month) < (b.year, b.month) }
}

/// A period in which nobody is on call for a scope of a Service Option.
public struct RotaGapInterval: Hashable, Sendable, CustomStringConvertible {
    public let organisation: OrganisationCode
    public let option: ServiceOptionCode
    public let subCategory: String?
    public let area: RotaArea?
    public let startsAt: Date
    public let endsAt: Date

    public var seconds: Int64 { endsAt.wholeSeconds - startsAt.wholeSeconds }

    public var description: String {
        let scope = ([subCategory].compactMap { $0 } + [area?.description].compactMap { $0 }).joined(separator: ", ")
        return "\(organisation) \(option)\(scope.isEmpty ? "" : " (\(scope))"): nobody on call from \(startsAt) to "
            + "\(endsAt)"
    }
}

/// Time a contact spent on call in a month, for standby allowances.
public struct OnCallTotal: Hashable, Sendable {
    public let contact: OnCallContactID
    public let month: LocalMonth
    /// Real elapsed time, so the 25-hour day when the clocks go back counts 25 hours.
    public let seconds: Int64
    public var hours: Double { Double(seconds) / 3_600 }
}

extension OnCallDirectory {
    /// Periods in which nobody is on call, for every Service Option of an organisation that has a rota or open
    /// hours, and for every sub-category and area its rotas are narrowed to (for the rota report, 7.5, 14.4).
    ///
    /// With `openHours`, a gap counts only while the option is in service (2.1.5): an option with hours and no
    /// rota is a gap whenever it is open.
    public func rotaGaps(
        organisation: OrganisationCode, from: Date, to: Date, openHours: [ServiceOptionCode: OperatingHours] = [:]
    ) throws -> [RotaGapInterval] {
        let (start, end) = try checkedPeriod(from: from, to: to)
        let byOption = Dictionary(uniqueKeysWithValues: schedules(of: organisation))
        var gaps: [RotaGapInterval] = []
        for option in Set(byOption.keys).union(openHours.keys).sorted() {
            let schedules = byOption[option] ?? []
            var scopes: [(String?, RotaArea?)] = [(nil, nil)]
            for schedule in schedules where schedule.rota.specificity > 0 {
                let scope = (schedule.rota.subCategory, schedule.rota.area)
                if !scopes.contains(where: { $0 == scope }) { scopes.append(scope) }
            }
            let open = openHours[option].map { openPeriods($0, from: start, to: end) } ?? [(start, end)]
            for (subCategory, area) in scopes {
                let query = OnCallQuery(
                    organisation: organisation, option: option, subCategory: subCategory, areas: area.map { [$0] } ?? []
                )
                let covering = schedules.filter { query.covers($0.rota) }
                let uncovered = walk(covering, from: start, to: end).filter { $0.onCall.isEmpty }.map(\.period)
                for (gapStart, gapEnd) in intersect(uncovered, open) {
                    gaps.append(
                        RotaGapInterval(
                            organisation: organisation, option: option, subCategory: subCategory, area: area,
                            startsAt: Date(wholeSeconds: gapStart), endsAt: Date(wholeSeconds: gapEnd)))
                }
            }
        }
        return gaps
    }

    /// The gaps of an organisation from the catalogue, judged against each Service Option's hours.
    public func rotaGaps(for organisation: ParticipatingOrganisation, from: Date, to: Date) throws -> [RotaGapInterval]
    {
        try rotaGaps(
            organisation: organisation.code, from: from, to: to,
            openHours: Dictionary(uniqueKeysWithValues: organisation.options.map { ($0.code, $0.hours) }))
    }

    /// Time each of an organisation's contacts spent on call in a calendar month of local time, at any stage of
    /// any rota; time on two rotas at once counts once.
    public func onCallTotals(organisation: OrganisationCode, month: LocalMonth) throws -> [OnCallTotal] {
        let start = calendar.instant(of: month.firstDay, minuteOfDay: 0)
        let end = calendar.instant(of: month.following.firstDay, minuteOfDay: 0)
        let schedules = schedules(of: organisation).flatMap(\.1)
        var seconds: [OnCallContactID: Int64] = [:]
        for segment in walk(schedules, from: start.wholeSeconds, to: end.wholeSeconds) {
            for contact in segment.onCall { seconds[contact, default: 0] += segment.period.1 - segment.period.0 }
        }
        return seconds.map { OnCallTotal(contact: $0.key, month: month, seconds: $0.value) }
            .sorted { $0.contact < $1.contact }
    }

    /// Time one contact spent on call in a calendar month of local time.
    public func onCallHours(contact id: OnCallContactID, month: LocalMonth) throws -> OnCallTotal {
        guard let contact = contacts[id] else { throw DomainError(.notFound, "there is no contact \(id)") }
        let totals = try onCallTotals(organisation: contact.organisation, month: month)
        return totals.first { $0.contact == id } ?? OnCallTotal(contact: id, month: month, seconds: 0)
    }

    private func checkedPeriod(from: Date, to: Date) throws -> (Int64, Int64) {
        let start = from.wholeSeconds
        let end = to.wholeSeconds
        guard end > start, end - start <= Int64(DomainLimits.rotaReportDaysMax) * 86_400 else {
            throw DomainError(
                .invalidValue,
                "a rota report runs from a start to a later end at most \(DomainLimits.rotaReportDaysMax) days on; "
                    + "\(from) to \(to) is not such a period")
        }
        return (start, end)
    }

    /// Splits a period where any of the rotas' answers may change, with who is on call in each piece (in the
    /// rotas' own terms, without falling back between them), adjacent pieces with the same people merged.
    private func walk(_ schedules: [RotaSchedule], from start: Int64, to end: Int64)
        -> [(period: (Int64, Int64), onCall: Set<OnCallContactID>)]
    {
        var pieces: [(period: (Int64, Int64), onCall: Set<OnCallContactID>)] = []
        var instant = start
        while instant < end {
            let wall = calendar.wallSecond(of: instant)
            var people = Set<OnCallContactID>()
            var next = end
            for schedule in schedules {
                for (_, assignments) in schedule.onCall(at: instant, wall: wall, calendar: calendar) {
                    people.formUnion(assignments.map(\.contact))
                }
                next = min(next, schedule.nextChange(after: instant, wall: wall, calendar: calendar))
            }
            if let last = pieces.last, last.onCall == people, last.period.1 == instant {
                pieces[pieces.count - 1].period.1 = next
            } else {
                pieces.append(((instant, next), people))
            }
            instant = next
        }
        return pieces
    }

    /// The periods an option is in service between two instants, from its hours on each local date.
    private func openPeriods(_ hours: OperatingHours, from start: Int64, to end: Int64) -> [(Int64, Int64)] {
        let firstDay = floorDivide(calendar.wallSecond(of: start), 86_400) - 1
        let lastDay = floorDivide(calendar.wallSecond(of: end), 86_400)
        var periods: [(Int64, Int64)] = []
        for day in firstDay...lastDay {
            let date = calendar.date(daysSince1970: day)
            for window in hours.windows(on: date, weekday: Weekday(daysSince1970: day), calendar: calendar) {
                let opens = calendar.instant(of: date, minuteOfDay: window.startMinute).wholeSeconds
                let closes = calendar.instant(of: date, minuteOfDay: window.endMinute).wholeSeconds
                if let last = periods.last, last.1 >= opens {
                    periods[periods.count - 1].1 = max(last.1, closes)
                } else if closes > opens {
                    periods.append((opens, closes))
                }
            }
        }
        return intersect(periods, [(start, end)])
    }

    /// The overlap of two ascending lists of disjoint periods.
    private func intersect(_ a: [(Int64, Int64)], _ b: [(Int64, Int64)]) -> [(Int64, Int64)] {
        var result: [(Int64, Int64)] = []
        var i = 0
        var j = 0
        while i < a.count, j < b.count {
            let start = max(a[i].0, b[j].0)
            let end = min(a[i].1, b[j].1)
            if start < end { result.append((start, end)) }
            if a[i].1 < b[j].1 { i += 1 } else { j += 1 }
        }
        return result
    }
}
