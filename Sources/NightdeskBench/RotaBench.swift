import Domain
import Foundation
import Node

/// `rota`: "who is on call" lookups against a directory of generated rotas (7.5, 14.4).
///
/// The directory holds `--rotas` rotas over the catalogue's organisations and Service Options (general ones first,
/// then rotas narrowed to a sub-category or postcode district), each with three stages and four layers, and
/// `--overrides` overrides spread over them: rotas + layers + overrides are the entries counted. Lookups pick an
/// organisation's option, a sub-category and area (or none) and an instant in 2026–2027 at random. The baseline,
/// timed in the same loop, is the check every call already makes: is the option in hours at that instant.
struct RotaBench {
    struct Options {
        var topology = ""
        var rotas = 500
        var overrides = 7_500
        var lookups = 200_000
        var seed: UInt64 = 1

        init(arguments: [String]) throws {
            for (flag, value) in try BenchFlags.pairs(arguments.dropFirst()) {
                switch flag {
                case "--dir": break  // Scripts/bench passes a scratch folder to every benchmark; this one needs none.
                case "--topology": topology = value
                case "--rotas": rotas = try BenchFlags.count(flag, value)
                case "--overrides": overrides = try BenchFlags.count(flag, value)
                case "--lookups": lookups = try BenchFlags.count(flag, value)
                case "--seed": seed = try BenchFlags.seed(value)
                default: throw UsageError(description: "unknown option \(flag)")
                }
            }
            guard !topology.isEmpty else { throw UsageError(description: "--topology is required") }
        }
    }

    let options: Options
    static let subCategories = ["heating", "locks", "leaks", "electrics"]
    static let districts = ["W3", "W5", "W7", "W13", "UB1", "UB6", "NW10"]
    static let contactsPerOrganisation = 40
    /// Lookups run in this many untimed rounds first, so the timed ones do not measure cold caches.
    static let warmupLookups = 2_000

    func run() throws {
        let catalogue = try CatalogueFile(path: options.topology).catalogue
        var rng = SplitMix64(seed: options.seed)
        let contacts = try catalogue.organisations.flatMap { organisation in
            try (0..<Self.contactsPerOrganisation).map { index in
                try OnCallContact(
                    id: OnCallContactID("\(organisation.code.rawValue.lowercased())-\(index)"),
                    organisation: organisation.code, name: "Officer \(index)",
                    role: index < 4 ? .manager : .dutyOfficer,
                    phone: PhoneNumber(parsing: String(format: "020 7946 %04d", index)),
                    mobile: PhoneNumber(parsing: String(format: "07700 9%05d", index)))
            }
        }
        let scopes = catalogue.organisations.flatMap { organisation in
            organisation.options.map { (organisation.code, $0.code) }
        }
        var rotas: [OnCallRota] = []
        for index in 0..<options.rotas {
            // Each option's first rota is a general one, so narrowed rotas have one to fall back to.
            rotas.append(
                try rota(index, scope: scopes[index % scopes.count], narrowed: index >= scopes.count, rng: &rng))
        }
        // Overrides over 2026–2027, an hour to a week long, a quarter of them shift swaps.
        for index in 0..<options.overrides {
            let target = rng.below(rotas.count)
            let rota = rotas[target]
            let starts = Date(timeIntervalSince1970: 1_767_225_600 + Double(rng.below(730 * 86_400)))
            let ends = starts + Double(3_600 + rng.below(7 * 86_400))
            let person = try OnCallContactID("\(rota.organisation.rawValue.lowercased())-\(4 + rng.below(36))")
            let other = try OnCallContactID("\(rota.organisation.rawValue.lowercased())-\(4 + rng.below(36))")
            let override = try RotaOverride(
                id: RotaOverrideID("o\(index)"), stage: 1 + rng.below(2), startsAt: starts, endsAt: ends,
                contacts: [person], replacing: index % 4 == 0 && other != person ? other : nil,
                createdAt: starts - Double(rng.below(30 * 86_400)))
            rotas[target] = try rota.adding(override)
        }
        let clock = ContinuousClock()
        var directory: OnCallDirectory?
        let buildTime = try clock.measure {
            directory = try OnCallDirectory(calendar: catalogue.calendar, contacts: contacts, rotas: rotas)
        }
        guard let directory else { return }
        let layers = rotas.reduce(0) { $0 + $1.stages.reduce(0) { $0 + $1.layers.count } }

        var lookupMs: [Double] = []
        var hoursMs: [Double] = []
        var gaps = 0
        var open = 0
        lookupMs.reserveCapacity(options.lookups)
        hoursMs.reserveCapacity(options.lookups)
        for round in 0..<(Self.warmupLookups + options.lookups) {
            let (organisation, option) = scopes[rng.below(scopes.count)]
            let subCategory = rng.below(3) == 0 ? Self.subCategories[rng.below(Self.subCategories.count)] : nil
            let area =
                rng.below(3) == 0 ? try RotaArea.postcodeDistrict(Self.districts[rng.below(Self.districts.count)]) : nil
            let instant = Date(timeIntervalSince1970: 1_767_225_600 + Double(rng.below(730 * 86_400)))
            let hours = catalogue.organisation(organisation)!.option(option)!.hours
            let lookupStart = clock.now
            let answer = directory.onCall(
                organisation: organisation, option: option, subCategory: subCategory, area: area, at: instant)
            let lookupEnd = clock.now
            let isOpen = hours.isOpen(at: instant, calendar: catalogue.calendar)
            let hoursEnd = clock.now
            guard round >= Self.warmupLookups else { continue }
            if answer.list == nil { gaps += 1 }
            if isOpen { open += 1 }
            lookupMs.append((lookupEnd - lookupStart).milliseconds)
            hoursMs.append((hoursEnd - lookupEnd).milliseconds)
        }

        let organisation = catalogue.organisations[0]
        let gapStart = Date(timeIntervalSince1970: 1_795_000_000)
        var gapCount = 0
        let gapTime = try clock.measure {
            gapCount = try directory.rotaGaps(for: organisation, from: gapStart, to: gapStart + 14 * 86_400).count
        }
        var people = 0
        let totalsTime = try clock.measure {
            people = try directory.onCallTotals(
                organisation: organisation.code, month: LocalMonth(year: 2026, month: 10)
            )
            .count
        }

        lookupMs.sort()
        hoursMs.sort()
        var lines: [String] = []
        lines.append(
            "Rota entries: \(grouped(rotas.count)) rotas + \(grouped(layers)) layers + \(grouped(options.overrides)) "
                + "overrides = \(grouped(rotas.count + layers + options.overrides)), over "
                + "\(scopes.count) Service Options of \(catalogue.organisations.count) organisations and "
                + "\(grouped(contacts.count)) contacts; seed \(options.seed)")
        lines.append("Directory built and indexed in \(fixed(buildTime.milliseconds, 1)) ms")
        lines.append("")
        lines.append(
            "\(grouped(options.lookups)) timed lookups after \(grouped(Self.warmupLookups)) untimed; "
                + "\(grouped(gaps)) answered with a rota gap, \(grouped(open)) fell in the option's hours:")
        lines.append("")
        lines.append("| operation | p50 µs | p99 µs | max µs | mean µs |")
        lines.append("| --- | ---: | ---: | ---: | ---: |")
        lines.append(latencyRow("`OnCallDirectory.onCall` (who is on call)", lookupMs))
        lines.append(latencyRow("baseline: `OperatingHours.isOpen` (the per-call hours check)", hoursMs))
        lines.append("")
        lines.append(
            "Reports for \(organisation.code): rotaGaps over 14 days (\(gapCount) gaps) in "
                + "\(fixed(gapTime.milliseconds, 1)) ms; onCallTotals for 2026-10 (\(people) people) in "
                + "\(fixed(totalsTime.milliseconds, 1)) ms")
        let goal = 1.0
        lines.append("")
        lines.append(
            "Goal median < \(fixed(goal, 0)) ms: " + (rank(0.5, lookupMs) < goal ? "met" : "MISSED")
                + " (\(fixed(rank(0.5, lookupMs) * 1_000, 1)) µs).")
        print(lines.joined(separator: "\n"))
    }

    /// One generated rota: general for the first rotas of each scope, then narrowed to a sub-category, an area or both.
    private func rota(
        _ index: Int, scope: (OrganisationCode, ServiceOptionCode), narrowed: Bool, rng: inout SplitMix64
    ) throws -> OnCallRota {
        let (organisation, option) = scope
        let prefix = organisation.rawValue.lowercased()
        // Contacts 0–3 of each organisation are its managers, the rest duty officers.
        func people(_ count: Int, from range: Range<Int>) throws -> [OnCallContactID] {
            try range.shuffled(using: &rng).prefix(count).map { try OnCallContactID("\(prefix)-\($0)") }
        }
        let start = try LocalDate(year: 2025, month: 1 + rng.below(12), day: 1 + rng.below(28))
        let handoff = try LocalTimeOfDay(hour: rng.element([0, 1, 2, 8, 9, 17]), minute: rng.element([0, 30]))
        let lengths: [RotationLength] = [.daily, .weekly, .days(3), .hours(12)]
        let nights = try RestrictionWindow(
            days: Set(Weekday.allCases), from: LocalTimeOfDay(hour: 17, minute: 0),
            to: LocalTimeOfDay(hour: 8, minute: 0))
        let weekend = try RestrictionWindow(
            days: RestrictionWindow.weekend, from: LocalTimeOfDay(hour: 0, minute: 0),
            to: LocalTimeOfDay(hour: 0, minute: 0))
        func layer(_ name: String, _ priority: Int, _ participants: [OnCallContactID], restricted: Bool) throws
            -> RotaLayer
        {
            try RotaLayer(
                name: name, priority: priority,
                rotation: Rotation(
                    length: rng.element(lengths), handoff: handoff, startDate: start, participants: participants),
                restrictions: restricted ? [nights, weekend] : [])
        }
        let stages = [
            try RotaStage(
                number: 1, name: "Stage 1",
                layers: [
                    layer("base", 1, try people(6, from: 4..<40), restricted: false),
                    layer("out of hours", 2, try people(4, from: 4..<40), restricted: true),
                ]),
            try RotaStage(
                number: 2, name: "Stage 2",
                layers: [layer("seniors", 1, try people(3, from: 4..<40), restricted: false)]),
            try RotaStage(
                number: 3, name: "Manager",
                layers: [layer("managers", 1, try people(2, from: 0..<4), restricted: false)]),
        ]
        let narrowing = narrowed ? 1 + rng.below(3) : 0
        return try OnCallRota(
            id: RotaID("r\(index)"), organisation: organisation, option: option,
            subCategory: narrowing & 1 == 1 ? rng.element(Self.subCategories) : nil,
            area: narrowing & 2 == 2 ? RotaArea.postcodeDistrict(rng.element(Self.districts)) : nil,
            name: "Rota \(index)", stages: stages)
    }

    private func latencyRow(_ label: String, _ sortedMs: [Double]) -> String {
        let mean = sortedMs.reduce(0, +) / Double(max(sortedMs.count, 1))
        return "| \(label) | \(fixed(rank(0.5, sortedMs) * 1_000, 1)) | \(fixed(rank(0.99, sortedMs) * 1_000, 1)) "
            + "| \(fixed((sortedMs.last ?? .nan) * 1_000, 1)) | \(fixed(mean * 1_000, 1)) |"
    }

    private func rank(_ fraction: Double, _ sorted: [Double]) -> Double { BenchFormat.rank(fraction, sorted) }
    private func fixed(_ value: Double, _ decimals: Int) -> String { BenchFormat.fixed(value, decimals) }
    private func grouped(_ value: Int) -> String { BenchFormat.grouped(value) }
}
