import Foundation

/// How the benchmarks print figures: ranks of sorted samples, fixed decimals and grouped thousands.
enum BenchFormat {
    /// The sample at `fraction` (0.5 the median) of `sorted`, by the nearest-rank rule; NaN when there is none.
    static func rank(_ fraction: Double, _ sorted: [Double]) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let index = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(index, 0), sorted.count - 1)]
    }

    static func fixed(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }

    /// `12345` as `12,345`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return result
    }
}
