import Foundation

/// A calendar date in local time, without a time of day.
public struct LocalDate: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init(year: Int, month: Int, day: Int) throws {
        guard (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day),
            (1900...9999).contains(year)
        else {
            throw DomainError(.invalidValue, "\(year)-\(month)-\(day) is not a calendar date")
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else {
            throw DomainError(.invalidValue, "'\(text)' is not a date: write it as YYYY-MM-DD, e.g. 2026-12-25")
        }
        try self.init(year: year, month: month, day: day)
    }

    public init(from decoder: any Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public var description: String {
        String(format: "%04d-%02d-%02d", year, month, day)
    }

    public static func < (a: Self, b: Self) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

/// A month and day, e.g. `12-24`, for yearly periods such as Christmas.
public struct MonthDay: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let month: Int
    public let day: Int

    public init(parsing text: String) throws {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let month = Int(parts[0]), let day = Int(parts[1]), (1...12).contains(month),
            (1...LocalDate.daysIn(month: month, year: 2024)).contains(day)
        else {
            throw DomainError(.invalidValue, "'\(text)' is not a month and day: write it as MM-DD, e.g. 12-24")
        }
        self.month = month
        self.day = day
    }

    public init(from decoder: any Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public var description: String { String(format: "%02d-%02d", month, day) }
    public static func < (a: Self, b: Self) -> Bool { (a.month, a.day) < (b.month, b.day) }
}

/// A window within one local day, in minutes from midnight: `[startMinute, endMinute)`.
public struct DailyWindow: Hashable, Codable, Sendable, CustomStringConvertible {
    public let startMinute: Int
    public let endMinute: Int

    /// Parses `HH:MM-HH:MM`; `24:00` is allowed only as an end, and a window never crosses midnight.
    public init(parsing text: String) throws {
        let ends = text.split(separator: "-", omittingEmptySubsequences: false)
        guard ends.count == 2, let start = Self.minutes(ends[0]), let end = Self.minutes(ends[1]), start < end,
            start < 24 * 60
        else {
            throw DomainError(
                .invalidValue,
                "'\(text)' is not an opening window: write HH:MM-HH:MM within one day with start before end, "
                    + "e.g. 17:00-24:00 and 00:00-08:00 for a night")
        }
        startMinute = start
        endMinute = end
    }

    public init(from decoder: any Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public func contains(minute: Int) -> Bool { minute >= startMinute && minute < endMinute }

    public var description: String {
        String(format: "%02d:%02d-%02d:%02d", startMinute / 60, startMinute % 60, endMinute / 60, endMinute % 60)
    }

    private static func minutes(_ text: Substring) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let hour = Int(parts[0]),
            let minute = Int(parts[1]), (0...24).contains(hour), (0...59).contains(minute)
        else { return nil }
        guard hour < 24 || minute == 0 else { return nil }
        return hour * 60 + minute
    }
}

/// The days of the week, Monday first as UK rotas are written.
public enum Weekday: String, Codable, Sendable, CaseIterable {
    case monday, tuesday, wednesday, thursday, friday, saturday, sunday

    /// From Foundation's Gregorian weekday number (1 = Sunday).
    init(gregorian: Int) {
        self = [.sunday, .monday, .tuesday, .wednesday, .thursday, .friday, .saturday][(gregorian - 1) % 7]
    }
}

/// How a Service Option's hours apply on a bank holiday (2.1.6).
public enum BankHolidayRule: String, Codable, Sendable {
    /// The full 24 hours, as most Participating Organisations require.
    case allDay = "all-day"
    /// The usual hours for that weekday.
    case asWeekday = "as-weekday"
    /// No service on bank holidays.
    case closed
}

/// How a Service Option's hours apply in the Christmas period (2.1.6).
public enum ChristmasRule: String, Codable, Sendable {
    case allDay = "all-day"
    case asWeekday = "as-weekday"
}

/// When a Service Option is in service: weekly windows plus bank holiday and Christmas rules (2.1.5, 2.1.6, 5.4.2).
public struct OperatingHours: Hashable, Codable, Sendable {
    public let code: String
    public let name: String
    public let weekly: [Weekday: [DailyWindow]]
    public let bankHolidays: BankHolidayRule
    public let christmasPeriod: ChristmasRule

    public init(
        code: String, name: String, weekly: [Weekday: [DailyWindow]], bankHolidays: BankHolidayRule,
        christmasPeriod: ChristmasRule
    ) {
        self.code = code
        self.name = name
        self.weekly = weekly
        self.bankHolidays = bankHolidays
        self.christmasPeriod = christmasPeriod
    }

    private enum CodingKeys: String, CodingKey { case code, name, weekly, bankHolidays, christmasPeriod }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decode(String.self, forKey: .code)
        name = try container.decode(String.self, forKey: .name)
        let byName = try container.decode([String: [DailyWindow]].self, forKey: .weekly)
        var weekly: [Weekday: [DailyWindow]] = [:]
        for (day, windows) in byName {
            guard let weekday = Weekday(rawValue: day) else {
                throw DecodingError.dataCorruptedError(forKey: .weekly, in: container, debugDescription: "'\(day)' is not a weekday")
            }
            weekly[weekday] = windows
        }
        self.weekly = weekly
        bankHolidays = try container.decode(BankHolidayRule.self, forKey: .bankHolidays)
        christmasPeriod = try container.decode(ChristmasRule.self, forKey: .christmasPeriod)
    }

    /// Encodes the week as an object keyed by day name, so equal hours always encode to equal bytes.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encode(name, forKey: .name)
        try container.encode(
            Dictionary(uniqueKeysWithValues: weekly.map { ($0.key.rawValue, $0.value) }), forKey: .weekly)
        try container.encode(bankHolidays, forKey: .bankHolidays)
        try container.encode(christmasPeriod, forKey: .christmasPeriod)
    }

    static let allDay = [try! DailyWindow(parsing: "00:00-24:00")]

    /// The windows that apply on one local date, after bank holiday and Christmas rules.
    public func windows(on date: LocalDate, weekday: Weekday, calendar: OperatingCalendar) -> [DailyWindow] {
        let allDay = Self.allDay
        if calendar.isBankHoliday(date) {
            switch bankHolidays {
            case .allDay: return allDay
            case .closed: return []
            case .asWeekday: break
            }
        }
        if calendar.isChristmasPeriod(date), christmasPeriod == .allDay {
            return allDay
        }
        return weekly[weekday] ?? []
    }

    /// Whether the option is in service at an instant, judged in the calendar's time zone.
    public func isOpen(at instant: Date, calendar: OperatingCalendar) -> Bool {
        let local = calendar.localTime(of: instant)
        return windows(on: local.date, weekday: local.weekday, calendar: calendar)
            .contains { $0.contains(minute: local.minuteOfDay) }
    }
}

/// The service's calendar: its time zone, bank holidays and Christmas period (2.1.6).
public struct OperatingCalendar: Hashable, Codable, Sendable {
    public let timeZoneIdentifier: String
    public let bankHolidays: Set<LocalDate>
    public let christmasPeriodStart: MonthDay
    public let christmasPeriodEnd: MonthDay

    public init(
        timeZoneIdentifier: String, bankHolidays: Set<LocalDate>, christmasPeriodStart: MonthDay,
        christmasPeriodEnd: MonthDay
    ) throws {
        guard TimeZone(identifier: timeZoneIdentifier) != nil else {
            throw DomainError(
                .invalidCatalogue, "time zone '\(timeZoneIdentifier)' is not known: use an IANA name, e.g. Europe/London")
        }
        self.timeZoneIdentifier = timeZoneIdentifier
        self.bankHolidays = bankHolidays
        self.christmasPeriodStart = christmasPeriodStart
        self.christmasPeriodEnd = christmasPeriodEnd
        self.timeZone = TimeZone(identifier: timeZoneIdentifier)!
    }

    /// The service's time zone, looked up once: every call's hours check uses it.
    public let timeZone: TimeZone

    private enum CodingKeys: String, CodingKey {
        case timeZoneIdentifier, bankHolidays, christmasPeriodStart, christmasPeriodEnd
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            timeZoneIdentifier: try container.decode(String.self, forKey: .timeZoneIdentifier),
            bankHolidays: Set(try container.decode([LocalDate].self, forKey: .bankHolidays)),
            christmasPeriodStart: try container.decode(MonthDay.self, forKey: .christmasPeriodStart),
            christmasPeriodEnd: try container.decode(MonthDay.self, forKey: .christmasPeriodEnd))
    }

    /// Bank holidays are written in date order, so equal calendars always encode to equal bytes.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(timeZoneIdentifier, forKey: .timeZoneIdentifier)
        try container.encode(bankHolidays.sorted(), forKey: .bankHolidays)
        try container.encode(christmasPeriodStart, forKey: .christmasPeriodStart)
        try container.encode(christmasPeriodEnd, forKey: .christmasPeriodEnd)
    }


    public func isBankHoliday(_ date: LocalDate) -> Bool { bankHolidays.contains(date) }

    /// Whether a date falls in the Christmas period; the period may run across New Year.
    public func isChristmasPeriod(_ date: LocalDate) -> Bool {
        let day = try! MonthDay(parsing: String(format: "%02d-%02d", date.month, date.day))
        if christmasPeriodStart <= christmasPeriodEnd {
            return day >= christmasPeriodStart && day <= christmasPeriodEnd
        }
        return day >= christmasPeriodStart || day <= christmasPeriodEnd
    }

    /// Local date, weekday and minute of day of an instant.
    ///
    /// The zone's offset at that instant comes from the time-zone database; the rest is arithmetic on days since
    /// 1970 (civil-from-days), which is far cheaper than a calendar decomposition on every call logged.
    public func localTime(of instant: Date) -> (date: LocalDate, weekday: Weekday, minuteOfDay: Int) {
        let offset = timeZone.secondsFromGMT(for: instant)
        let localSeconds = Int64(instant.timeIntervalSince1970.rounded(.down)) + Int64(offset)
        let days = localSeconds >= 0 ? localSeconds / 86_400 : (localSeconds - 86_399) / 86_400
        let secondOfDay = Int(localSeconds - days * 86_400)
        // Howard Hinnant's civil_from_days.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        let year = Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0))
        // 1970-01-01 was a Thursday; Foundation numbers Sunday 1.
        let weekdayFromSunday = Int(((days % 7) + 7 + 4) % 7) + 1
        let date = try! LocalDate(year: year, month: month, day: day)
        return (date, Weekday(gregorian: weekdayFromSunday), secondOfDay / 60)
    }
}
