import Foundation

/// Identifier of a rota, e.g. `eal-repairs-heating`.
public struct RotaID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(_ text: String) throws { rawValue = try checkedSlug(text, what: "rota id", example: "eal-repairs") }
    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// Trims and lower-cases a sub-category so "Heating " and "heating" name the same rota scope (7.5).
func normalisedScope(_ text: String, what: String) throws -> String {
    let words = text.split(whereSeparator: \.isWhitespace).joined(separator: " ").lowercased()
    guard !words.isEmpty, words.count <= DomainLimits.rotaScopeCharactersMax else {
        throw DomainError(
            .invalidValue,
            "\(what) '\(text)' must have 1 to \(DomainLimits.rotaScopeCharactersMax) characters, e.g. heating")
    }
    return words
}

/// Where a rota applies within an organisation: a ward or a postcode district (7.5: "location of social services
/// caller").
public struct RotaArea: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case ward
        case postcodeDistrict = "postcode-district"
    }

    public let kind: Kind
    /// The ward as written, or the postcode district in capitals, e.g. `W5`.
    public let name: String
    private let key: String

    private init(kind: Kind, name: String) {
        self.kind = kind
        self.name = name
        key = name.lowercased()
    }

    /// A ward, compared without regard to case or repeated spaces.
    public static func ward(_ name: String) throws -> RotaArea {
        _ = try normalisedScope(name, what: "ward")
        return RotaArea(kind: .ward, name: name.split(whereSeparator: \.isWhitespace).joined(separator: " "))
    }

    /// A postcode district (the outward code), e.g. `W5`, `SW1A` or `N10`.
    public static func postcodeDistrict(_ text: String) throws -> RotaArea {
        let outward = text.replacingOccurrences(of: " ", with: "").uppercased()
        guard isOutwardCode(outward) else {
            throw DomainError(
                .invalidValue, "'\(text)' is not a postcode district: give the part before the space, e.g. W5 or SW1A")
        }
        return RotaArea(kind: .postcodeDistrict, name: outward)
    }

    /// The postcode district of a full postcode, e.g. `W5` from `W5 1AB`.
    public static func postcodeDistrict(ofPostcode text: String) throws -> RotaArea {
        let compact = Array(text.replacingOccurrences(of: " ", with: "").uppercased())
        // The inward code is always a digit and two letters.
        guard compact.count >= 5, compact.count <= 7, compact[compact.count - 3].isNumber,
            compact.suffix(2).allSatisfy({ $0.isASCII && $0.isLetter })
        else {
            throw DomainError(.invalidValue, "'\(text)' is not a UK postcode: give it as W5 1AB")
        }
        return try postcodeDistrict(String(compact.dropLast(3)))
    }

    static func isOutwardCode(_ text: String) -> Bool {
        let characters = Array(text)
        let letters = characters.prefix { $0.isASCII && $0.isLetter }.count
        guard (1...2).contains(letters), characters.count > letters, characters.count <= letters + 2,
            characters[letters].isASCII, characters[letters].isNumber
        else { return false }
        return characters.dropFirst(letters + 1).allSatisfy { $0.isASCII && ($0.isNumber || $0.isLetter) }
    }

    public var description: String { kind == .ward ? "ward \(name)" : "postcode district \(name)" }
    public static func == (a: Self, b: Self) -> Bool { a.kind == b.kind && a.key == b.key }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(key)
    }
}

/// A time of day on the local (Europe/London) clock, e.g. a handoff at 09:00.
public struct LocalTimeOfDay: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Minutes since local midnight, 0 to 1439.
    public let minuteOfDay: Int

    public init(hour: Int, minute: Int) throws {
        guard (0...23).contains(hour), (0...59).contains(minute) else {
            throw DomainError(.invalidValue, "\(hour):\(minute) is not a time of day: use 00:00 to 23:59")
        }
        minuteOfDay = hour * 60 + minute
    }

    /// Parses `HH:MM`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let hour = Int(parts[0]),
            let minute = Int(parts[1]), (0...23).contains(hour), (0...59).contains(minute)
        else {
            throw DomainError(.invalidValue, "'\(text)' is not a time of day: write HH:MM, e.g. 09:00 or 17:30")
        }
        minuteOfDay = hour * 60 + minute
    }

    public var description: String { String(format: "%02d:%02d", minuteOfDay / 60, minuteOfDay % 60) }
    public static func < (a: Self, b: Self) -> Bool { a.minuteOfDay < b.minuteOfDay }
}

/// How long each turn of a rotation lasts, on the local clock.
public enum RotationLength: Hashable, Sendable {
    case daily
    case weekly
    case days(Int)
    case hours(Int)

    /// Local wall-clock minutes per turn: a daily turn is 23 or 25 real hours on the days the clocks change.
    var minutes: Int64 {
        switch self {
        case .daily: 1_440
        case .weekly: 7 * 1_440
        case .days(let days): Int64(days) * 1_440
        case .hours(let hours): Int64(hours) * 60
        }
    }
}

/// People taking turns on call: turn 0 starts at the handoff time on the start date, each turn lasts `length`.
public struct Rotation: Hashable, Sendable {
    public let length: RotationLength
    public let handoff: LocalTimeOfDay
    public let startDate: LocalDate
    /// The people on call in each turn, in order; a turn may have several ("often more than 1 person on call").
    public let turns: [[OnCallContactID]]

    public init(length: RotationLength, handoff: LocalTimeOfDay, startDate: LocalDate, turns: [[OnCallContactID]])
        throws
    {
        switch length {
        case .days(let days) where !(1...DomainLimits.rotationDaysMax).contains(days):
            throw DomainError(
                .invalidValue, "a rotation of \(days) days is not allowed: use 1 to \(DomainLimits.rotationDaysMax)")
        case .hours(let hours)
        where !(DomainLimits.rotationHoursMin...DomainLimits.rotationDaysMax * 24).contains(hours):
            throw DomainError(
                .invalidValue,
                "a rotation of \(hours) hours is not allowed: use \(DomainLimits.rotationHoursMin) to "
                    + "\(DomainLimits.rotationDaysMax * 24)")
        default: break
        }
        guard !turns.isEmpty, turns.count <= DomainLimits.rotationTurnsMax else {
            throw DomainError(
                .invalidValue, "a rotation needs 1 to \(DomainLimits.rotationTurnsMax) turns; it has \(turns.count)")
        }
        for (index, turn) in turns.enumerated() {
            guard !turn.isEmpty, turn.count <= DomainLimits.peoplePerTurnMax, Set(turn).count == turn.count else {
                throw DomainError(
                    .invalidValue,
                    "turn \(index + 1) of the rotation needs 1 to \(DomainLimits.peoplePerTurnMax) different people")
            }
        }
        self.length = length
        self.handoff = handoff
        self.startDate = startDate
        self.turns = turns
    }

    /// A rotation in which each turn is one person, in the order given.
    public init(length: RotationLength, handoff: LocalTimeOfDay, startDate: LocalDate, participants: [OnCallContactID])
        throws
    {
        try self.init(length: length, handoff: handoff, startDate: startDate, turns: participants.map { [$0] })
    }
}

/// A window of the local week in which a layer is in force, e.g. weeknights 17:00–08:00 (2.1.5).
///
/// The window opens on each of `days` at `from` and closes at `to`: the same day if `to` is later, the next day
/// if `to` is earlier, and 24 hours later if they are equal. Outside every window the layer has nobody on call
/// and a lower layer shows through.
public struct RestrictionWindow: Hashable, Sendable, CustomStringConvertible {
    public let days: Set<Weekday>
    public let from: LocalTimeOfDay
    public let to: LocalTimeOfDay

    public init(days: Set<Weekday>, from: LocalTimeOfDay, to: LocalTimeOfDay) throws {
        guard !days.isEmpty else {
            throw DomainError(.invalidValue, "a restriction window \(from)-\(to) needs at least one day of the week")
        }
        self.days = days
        self.from = from
        self.to = to
    }

    /// Local minutes from the opening day's midnight to the close.
    var endMinute: Int64 { Int64(to > from ? to.minuteOfDay : to.minuteOfDay + 1_440) }

    public static let weekdays: Set<Weekday> = [.monday, .tuesday, .wednesday, .thursday, .friday]
    public static let weekend: Set<Weekday> = [.saturday, .sunday]

    public var description: String {
        let names = Weekday.allCases.filter(days.contains).map { String($0.rawValue.prefix(3)) }
        return "\(names.joined(separator: ",")) \(from)-\(to)"
    }
}

/// One layer of a stage: a rotation, optionally restricted to windows of the week; a higher priority wins.
public struct RotaLayer: Hashable, Sendable {
    public let name: String
    /// Where layers overlap, the highest priority with somebody on call wins.
    public let priority: Int
    public let rotation: Rotation
    /// Empty: in force at all times.
    public let restrictions: [RestrictionWindow]
    /// The layer stops at the handoff time on this date; `nil` runs on.
    public let endDate: LocalDate?

    public init(
        name: String, priority: Int, rotation: Rotation, restrictions: [RestrictionWindow] = [],
        endDate: LocalDate? = nil
    ) throws {
        self.name = try checkedName(name, what: "layer")
        guard restrictions.count <= DomainLimits.restrictionWindowsMax else {
            throw DomainError(
                .invalidValue,
                "layer '\(name)' has \(restrictions.count) restriction windows; at most "
                    + "\(DomainLimits.restrictionWindowsMax) are allowed")
        }
        if let endDate, endDate <= rotation.startDate {
            throw DomainError(
                .invalidValue, "layer '\(name)' ends on \(endDate), not after it starts on \(rotation.startDate)")
        }
        self.priority = priority
        self.rotation = rotation
        self.restrictions = restrictions
        self.endDate = endDate
    }
}

func checkedName(_ text: String, what: String) throws -> String {
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !trimmed.isEmpty, trimmed.count <= DomainLimits.contactNameCharactersMax else {
        throw DomainError(
            .invalidValue, "a \(what) needs a name of 1 to \(DomainLimits.contactNameCharactersMax) characters")
    }
    return trimmed
}

/// A stage of a rota: who is contacted first (stage 1), next (stage 2), and so on up to a manager (5.3.2).
public struct RotaStage: Hashable, Sendable {
    /// 1 for the first people contacted; higher numbers are escalated to in order.
    public let number: Int
    public let name: String
    public let layers: [RotaLayer]

    public init(number: Int, name: String, layers: [RotaLayer]) throws {
        guard (1...DomainLimits.rotaStagesMax).contains(number) else {
            throw DomainError(
                .invalidValue, "stage \(number) is not allowed: number stages 1 to \(DomainLimits.rotaStagesMax)")
        }
        self.name = try checkedName(name, what: "stage")
        guard !layers.isEmpty, layers.count <= DomainLimits.rotaLayersPerStageMax else {
            throw DomainError(
                .invalidValue,
                "stage '\(name)' needs 1 to \(DomainLimits.rotaLayersPerStageMax) layers; it has \(layers.count)")
        }
        var priorities = Set<Int>()
        for layer in layers where !priorities.insert(layer.priority).inserted {
            throw DomainError(
                .invalidValue,
                "stage '\(name)' has two layers with priority \(layer.priority): give each layer its own priority "
                    + "so it is clear which wins where they overlap")
        }
        self.number = number
        self.layers = layers.sorted { $0.priority > $1.priority }
    }
}

/// Who is on call for one organisation's Service Option (7.5, 14.4), possibly narrowed to a sub-category such as a
/// type of housing repair, and to an area.
public struct OnCallRota: Hashable, Sendable {
    public let id: RotaID
    public let organisation: OrganisationCode
    public let option: ServiceOptionCode
    /// Lower-cased; `nil` covers every sub-category.
    public let subCategory: String?
    /// `nil` covers the whole organisation.
    public let area: RotaArea?
    public let name: String
    /// In stage order.
    public let stages: [RotaStage]
    public let overrides: [RotaOverride]

    public init(
        id: RotaID, organisation: OrganisationCode, option: ServiceOptionCode, subCategory: String? = nil,
        area: RotaArea? = nil, name: String, stages: [RotaStage], overrides: [RotaOverride] = []
    ) throws {
        self.name = try checkedName(name, what: "rota")
        guard !stages.isEmpty else { throw DomainError(.invalidValue, "rota \(id) needs at least one stage") }
        var numbers = Set<Int>()
        for stage in stages where !numbers.insert(stage.number).inserted {
            throw DomainError(.invalidValue, "rota \(id) has stage \(stage.number) twice")
        }
        guard overrides.count <= DomainLimits.overridesPerRotaMax else {
            throw DomainError(
                .invalidValue,
                "rota \(id) has \(overrides.count) overrides; at most \(DomainLimits.overridesPerRotaMax) are kept: "
                    + "remove past ones")
        }
        var overrideIDs = Set<RotaOverrideID>()
        for override in overrides {
            guard overrideIDs.insert(override.id).inserted else {
                throw DomainError(.invalidValue, "rota \(id) has override \(override.id) twice")
            }
            guard numbers.contains(override.stage) else {
                throw DomainError(
                    .invalidValue,
                    "override \(override.id) is for stage \(override.stage), which rota \(id) does not have; "
                        + "its stages are \(numbers.sorted().map(String.init).joined(separator: ", "))")
            }
        }
        self.id = id
        self.organisation = organisation
        self.option = option
        self.subCategory = try subCategory.map { try normalisedScope($0, what: "sub-category") }
        self.area = area
        self.stages = stages.sorted { $0.number < $1.number }
        self.overrides = overrides
    }

    /// How narrowly the rota applies: a rota for a sub-category beats one for an area, which beats a general one.
    public var specificity: Int { (subCategory == nil ? 0 : 2) + (area == nil ? 0 : 1) }

    /// Everyone the rota names, in layers and overrides.
    public var contactIDs: Set<OnCallContactID> {
        var ids = Set<OnCallContactID>()
        for stage in stages {
            for layer in stage.layers { ids.formUnion(layer.rotation.turns.joined()) }
        }
        for override in overrides {
            ids.formUnion(override.contacts)
            if let replaced = override.replacing { ids.insert(replaced) }
        }
        return ids
    }

    /// The rota with one more override, as a PO logs a change (14.4).
    public func adding(_ override: RotaOverride) throws -> OnCallRota {
        try OnCallRota(
            id: id, organisation: organisation, option: option, subCategory: subCategory, area: area, name: name,
            stages: stages, overrides: overrides + [override])
    }

    /// The rota without one override, e.g. a future-dated change the PO withdraws.
    public func removingOverride(_ overrideID: RotaOverrideID) throws -> OnCallRota {
        guard overrides.contains(where: { $0.id == overrideID }) else {
            throw DomainError(.notFound, "rota \(id) has no override \(overrideID)")
        }
        return try OnCallRota(
            id: id, organisation: organisation, option: option, subCategory: subCategory, area: area, name: name,
            stages: stages, overrides: overrides.filter { $0.id != overrideID })
    }
}
