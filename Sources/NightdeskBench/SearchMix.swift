import Domain
import Foundation
import Store

/// The searches a handler makes (7.4.2), as timed by the benchmark.
enum SearchKind: String, CaseIterable {
    case commonSurname = "common surname (Smith)"
    case rareSurname = "rare surname"
    case surnamePrefix = "surname prefix, 3 letters"
    case streetWords = "street words"
    case surnameOrganisationOptionMonth = "surname + PO + option + 30 days"
    case optionWeek = "PO + option + 7 days, no text"
    case uprn = "UPRN"
}

/// Draws searches of each kind, seeded, from the same names, places and spread of options as the calls.
struct SearchMix {
    /// Surnames drawn for "rare": the tail of the list, each under 0.2% of callers.
    static let rareSurnamesCount = 30

    private var rng: SplitMix64
    private let generator: CallGenerator
    private let streets: [String]
    private let uprns: [UPRN]
    private let prefixes: [(prefix: String, weight: Double)]
    private let prefixPicker: WeightedPicker

    init(generator: CallGenerator, seed: UInt64) {
        rng = SplitMix64(seed: seed)
        self.generator = generator
        let entries = generator.addresses.allEntries
        streets = Array(Set(entries.map(\.street).filter { !$0.isEmpty })).sorted()
        uprns = entries.compactMap(\.incident.uprn)
        // What a handler types first: three letters of the caller's surname, as often as that surname calls.
        var weights: [String: Double] = [:]
        for (rank, surname) in Names.surnames.enumerated() where surname.prefix(3).allSatisfy(\.isLetter) {
            weights[String(surname.prefix(3)), default: 0] += 1 / pow(Double(rank + 1), 0.6)
        }
        prefixes = weights.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        prefixPicker = WeightedPicker(weights: prefixes.map(\.weight))
        precondition(!streets.isEmpty && !uprns.isEmpty, "the search mix needs gazetteer addresses")
    }

    mutating func search(_ kind: SearchKind) -> CallSearch {
        switch kind {
        case .commonSurname:
            return CallSearch(callerName: Names.surnames[0])
        case .rareSurname:
            return CallSearch(callerName: Names.surnames[Names.surnames.count - 1 - rng.below(Self.rareSurnamesCount)])
        case .surnamePrefix:
            return CallSearch(callerName: prefixes[prefixPicker.pick(&rng)].prefix)
        case .streetWords:
            return CallSearch(address: rng.element(streets))
        case .surnameOrganisationOptionMonth:
            let (organisation, option) = generator.organisationAndOption(using: &rng)
            let (from, to) = window(days: 30)
            return CallSearch(
                organisation: organisation, option: option,
                callerName: Names.surnames[WeightedPicker.surnames.pick(&rng)], from: from, to: to)
        case .optionWeek:
            let (organisation, option) = generator.organisationAndOption(using: &rng)
            let (from, to) = window(days: 7)
            return CallSearch(organisation: organisation, option: option, from: from, to: to)
        case .uprn:
            return CallSearch(uprn: rng.element(uprns))
        }
    }

    /// A window of `days` ending anywhere in the year of calls.
    private mutating func window(days: Int) -> (Date, Date) {
        let length = Double(days) * 86_400
        let end = CallGenerator.spanStart.addingTimeInterval(length + rng.unit() * (CallGenerator.spanSeconds - length))
        return (end.addingTimeInterval(-length), end)
    }
}

/// One timed search: wall time, this thread's CPU time, and how many calls it found.
struct SearchSample {
    let ms: Double
    let cpuMs: Double
    let results: Int
}

/// Latencies of one kind of search, summarised with nearest-rank percentiles.
struct LatencySummary {
    let count: Int
    let p50Ms: Double
    let p99Ms: Double
    let maxMs: Double
    /// The 99th percentile of CPU time: what the search costs when no other process takes the core meanwhile.
    let p99CpuMs: Double
    let resultsMean: Double

    init(_ samples: [SearchSample]) {
        let sorted = samples.map(\.ms).sorted()
        count = sorted.count
        p50Ms = Self.rank(0.50, sorted)
        p99Ms = Self.rank(0.99, sorted)
        maxMs = sorted.last ?? .nan
        p99CpuMs = Self.rank(0.99, samples.map(\.cpuMs).sorted())
        resultsMean = samples.isEmpty ? .nan : Double(samples.map(\.results).reduce(0, +)) / Double(samples.count)
    }

    private static func rank(_ fraction: Double, _ sorted: [Double]) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let index = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(index, 0), sorted.count - 1)]
    }
}

/// CPU time used so far by the calling thread, in milliseconds.
func threadCPUMilliseconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return Double(now.tv_sec) * 1_000 + Double(now.tv_nsec) / 1_000_000
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }

    var milliseconds: Double { seconds * 1_000 }
}
