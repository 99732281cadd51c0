import Domain
import Foundation

/// SplitMix64 (Steele, Lea and Flood, 2014): tiny, fast and seedable, so one seed always generates the same calls.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A double in `[0, 1)` from the top 53 bits.
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        return Int(next() % UInt64(bound))
    }

    mutating func element<T>(_ items: [T]) -> T {
        items[below(items.count)]
    }
}

/// Picks indices with fixed weights in O(log n).
struct WeightedPicker: Sendable {
    private let cumulative: [Double]

    init(weights: [Double]) {
        precondition(!weights.isEmpty, "a picker needs at least one weight")
        var total = 0.0
        cumulative = weights.map { weight in
            precondition(weight > 0, "weights must be positive")
            total += weight
            return total
        }
    }

    /// Weight 1/rank^exponent for `count` items in rank order (Zipf-like).
    init(zipfCount count: Int, exponent: Double) {
        self.init(weights: (1...count).map { 1 / pow(Double($0), exponent) })
    }

    /// Surnames as callers have them (see `Names.surnames`).
    static let surnames = WeightedPicker(zipfCount: Names.surnames.count, exponent: 0.6)

    func pick(_ rng: inout SplitMix64) -> Int {
        let target = rng.unit() * cumulative[cumulative.count - 1]
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] > target { high = middle } else { low = middle + 1 }
        }
        return low
    }
}

/// The places calls are about: each organisation's gazetteer, checked through the store.
struct AddressBook: Sendable {
    struct Entry: Sendable {
        let incident: IncidentAddress
        let street: String
    }

    let entries: [OrganisationCode: [Entry]]

    var allEntries: [Entry] { entries.keys.sorted().flatMap { entries[$0]! } }
}

/// The shape of the generated call history: who calls, about what, when.
///
/// Calls arrive only while the common out-of-hours pattern (2.1.5) is open, uniformly over those hours of one year,
/// and in time order, as a real history would be logged or migrated.
struct CallGenerator {
    /// The hours profile arrivals follow; falls back to every hour when the catalogue has no option on it.
    static let arrivalHoursCode = "evenings-nights-weekends"
    static let spanStart = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z
    static let spanSeconds: TimeInterval = 365 * 86_400

    let catalogue: Catalogue
    let addresses: AddressBook
    let totalCalls: Int
    private(set) var rng: SplitMix64
    private(set) var generated = 0

    private let organisations: [ParticipatingOrganisation]
    private let organisationPicker: WeightedPicker
    private let optionOrders: [[ServiceOption]]
    private let optionPickers: [WeightedPicker]
    private let surnamePicker = WeightedPicker.surnames
    private let openHourStarts: [Date]
    private let accessNumbers: [String: PhoneNumber]
    private let phones: [PhoneNumber]
    private let datetimeFormatter = ISO8601DateFormatter()

    init(catalogue: Catalogue, addresses: AddressBook, totalCalls: Int, seed: UInt64) throws {
        precondition(totalCalls > 0, "generate at least one call")
        self.catalogue = catalogue
        self.addresses = addresses
        self.totalCalls = totalCalls
        var rng = SplitMix64(seed: seed)
        organisations = catalogue.organisations.filter { !$0.options.isEmpty }
        // Organisations that buy more services get more calls.
        organisationPicker = WeightedPicker(weights: organisations.map { Double($0.options.count) })
        var orders: [[ServiceOption]] = []
        for organisation in organisations {
            // A few options carry most calls (housing repairs, noise); which ones varies by organisation.
            orders.append(organisation.options.shuffled(using: &rng))
        }
        optionOrders = orders
        optionPickers = orders.map { WeightedPicker(zipfCount: $0.count, exponent: 1.0) }
        let arrivalHours =
            catalogue.organisations.lazy.flatMap(\.options).first { $0.hours.code == Self.arrivalHoursCode }?.hours
        var starts: [Date] = []
        for hour in 0..<Int(Self.spanSeconds / 3600) {
            let start = Self.spanStart.addingTimeInterval(Double(hour) * 3600)
            // UK offsets are whole hours and every window starts on the hour, so the hour's start decides it.
            if arrivalHours?.isOpen(at: start, calendar: catalogue.calendar) ?? true { starts.append(start) }
        }
        openHourStarts = starts
        var numbers: [String: PhoneNumber] = [:]
        for access in catalogue.accessNumbers {
            let key = Self.key(access.organisation, access.option)
            if numbers[key] == nil { numbers[key] = access.number }
        }
        accessNumbers = numbers
        // Ofcom's drama range of mobile numbers: real-looking, reaching no one.
        phones = try (0..<1000).map { try PhoneNumber(parsing: String(format: "07700 900%03d", $0)) }
        self.rng = rng
    }

    private static func key(_ organisation: OrganisationCode, _ option: ServiceOptionCode?) -> String {
        organisation.rawValue + "/" + (option?.rawValue ?? "")
    }

    /// Offered time of the `index`-th call of `totalCalls`: increasing with the index, within the arrival hours.
    private mutating func offeredTime(index: Int) -> Date {
        let position = (Double(index) + rng.unit()) / Double(totalCalls) * Double(openHourStarts.count)
        let hour = min(Int(position), openHourStarts.count - 1)
        let seconds = ((position - Double(hour)) * 3600).rounded(.down)
        return openHourStarts[hour].addingTimeInterval(min(seconds, 3599))
    }

    /// An organisation and one of its options, weighted as calls are spread over them.
    func organisationAndOption(using rng: inout SplitMix64) -> (OrganisationCode, ServiceOptionCode) {
        let organisationIndex = organisationPicker.pick(&rng)
        let option = optionOrders[organisationIndex][optionPickers[organisationIndex].pick(&rng)]
        return (organisations[organisationIndex].code, option.code)
    }

    /// The next `count` drafts.
    mutating func next(_ count: Int) -> [CallDraft] {
        (0..<count).map { _ in next() }
    }

    /// The next draft: valid under the domain rules, for an option in service at its time or else signposted.
    mutating func next() -> CallDraft {
        let offeredAt = offeredTime(index: min(generated, totalCalls - 1))
        generated += 1
        let organisationIndex = organisationPicker.pick(&rng)
        let organisation = organisations[organisationIndex]
        var option = optionOrders[organisationIndex][optionPickers[organisationIndex].pick(&rng)]
        var inHours = option.hours.isOpen(at: offeredAt, calendar: catalogue.calendar)
        var picks = 1
        while !inHours, picks < BenchLimits.optionPicksMax {
            option = optionOrders[organisationIndex][optionPickers[organisationIndex].pick(&rng)]
            inHours = option.hours.isOpen(at: offeredAt, calendar: catalogue.calendar)
            picks += 1
        }
        let action =
            inHours ? inHoursAction(option, organisation) : CallAction(kind: .signpost, detail: "service hours")
        var answers: [String: Answer] = [:]
        for question in option.questions where question.required || rng.unit() < 0.3 {
            answers[question.code] = answer(question, offeredAt: offeredAt)
        }
        let answeredAt = offeredAt.addingTimeInterval(Double(3 + rng.below(58)))
        let endedAt = answeredAt.addingTimeInterval(Double(60 + rng.below(541)))
        return CallDraft(
            organisation: organisation.code, option: option.code,
            accessNumber: accessNumbers[Self.key(organisation.code, option.code)]
                ?? accessNumbers[Self.key(organisation.code, nil)],
            caller: caller(), incidentAddress: incidentAddress(organisation.code), answers: answers,
            details: rng.element(Names.details), action: action, offeredAt: offeredAt, answeredAt: answeredAt,
            endedAt: endedAt)
    }

    private mutating func inHoursAction(_ option: ServiceOption, _ organisation: ParticipatingOrganisation)
        -> CallAction
    {
        switch option.defaultAction {
        case .refer: rng.unit() < 0.85 ? CallAction(kind: .refer) : CallAction(kind: .resolve)
        case .resolve: CallAction(kind: .resolve)
        case .loneWorker: CallAction(kind: .loneWorker)
        case .signpost: CallAction(kind: .signpost, detail: "police non-emergency 101")
        case .transfer: CallAction(kind: .transfer, detail: "duty manager")
        case .outOfScope:
            organisation.outOfScopeCategories.isEmpty
                ? CallAction(kind: .signpost, detail: "day-time service")
                : CallAction(kind: .outOfScope, detail: rng.element(organisation.outOfScopeCategories))
        }
    }

    private mutating func answer(_ question: ScriptQuestion, offeredAt: Date) -> Answer {
        switch question.datatype {
        case .singlevaluelist: .value(rng.element(question.values))
        case .multivaluelist: .values([rng.element(question.values)])
        case .number: .value(String(1 + rng.below(5)))
        case .datetime:
            .value(datetimeFormatter.string(from: offeredAt.addingTimeInterval(-Double(rng.below(72 * 3600)))))
        case .string:
            .value((0..<(2 + rng.below(2))).map { _ in rng.element(Names.answerWords) }.joined(separator: " "))
        case .text: .value(rng.element(Names.details))
        }
    }

    private mutating func caller() -> Caller {
        // Some callers will not give a name; most give a mobile number.
        let name =
            rng.unit() < 0.92
            ? rng.element(Names.firstNames) + " " + Names.surnames[surnamePicker.pick(&rng)] : nil
        let phone = rng.unit() < 0.8 ? rng.element(phones) : nil
        // Names here are far below the length limit, the only thing `Caller` checks.
        return try! Caller(name: name, phone: phone)
    }

    private mutating func incidentAddress(_ organisation: OrganisationCode) -> IncidentAddress? {
        let roll = rng.unit()
        guard let book = addresses.entries[organisation], !book.isEmpty, roll < 0.93 else { return nil }
        let entry = rng.element(book)
        if roll < 0.85 { return entry.incident }
        // A caller who cannot give a house: free text the gazetteer cannot check.
        return IncidentAddress(
            text: "outside the shops on \(entry.street)", uprn: nil, point: nil, ward: nil, verification: .unverified)
    }
}
