import Domain
import Foundation

/// A duration drawn from a lognormal distribution with a given mean and coefficient of variation.
public struct LognormalDuration: Sendable, Equatable {
    public let meanSeconds: Double
    /// Standard deviation over mean; 1.0 is usual for call-centre talk times.
    public let coefficientOfVariation: Double

    public init(meanSeconds: Double, coefficientOfVariation: Double) throws {
        guard meanSeconds.isFinite, meanSeconds > 0, meanSeconds <= 24 * 3600 else {
            throw DrillError(.invalidProfile, "mean duration \(meanSeconds) s is not valid: give 1 s to 24 h")
        }
        guard coefficientOfVariation.isFinite, (0...5).contains(coefficientOfVariation) else {
            throw DrillError(
                .invalidProfile,
                "coefficient of variation \(coefficientOfVariation) is not valid: give 0 to 5 (1.0 is usual)")
        }
        self.meanSeconds = meanSeconds
        self.coefficientOfVariation = coefficientOfVariation
    }

    func sample(_ random: inout SeededRandom) -> Double {
        guard coefficientOfVariation > 0 else { return meanSeconds }
        // For lognormal X = e^(μ + σZ): E[X] = e^(μ + σ²/2) and CV² = e^(σ²) − 1.
        let sigmaSquared = log(1 + coefficientOfVariation * coefficientOfVariation)
        let mu = log(meanSeconds) - sigmaSquared / 2
        return exp(mu + sigmaSquared.squareRoot() * random.standardNormal())
    }
}

/// How long callers wait before hanging up: a share who give up quickly, the rest patient.
///
/// Two exponential groups, because the specification's queue tables split abandoned calls at 20 s
/// (Appendix 2: "Abandoned 0 to 19 Seconds / 20Plus Seconds") and most of them are in the first group.
public struct CallerPatience: Sendable, Equatable {
    /// Share (0–1) of callers who give up quickly.
    public let quickShare: Double
    public let quickMeanSeconds: Double
    public let patientMeanSeconds: Double

    public init(quickShare: Double, quickMeanSeconds: Double, patientMeanSeconds: Double) throws {
        guard quickShare.isFinite, (0...1).contains(quickShare) else {
            throw DrillError(.invalidProfile, "quick share \(quickShare) is not valid: give a fraction from 0 to 1")
        }
        for mean in [quickMeanSeconds, patientMeanSeconds] where !(mean.isFinite && mean > 0) {
            throw DrillError(.invalidProfile, "patience mean \(mean) s is not valid: give a positive number of seconds")
        }
        self.quickShare = quickShare
        self.quickMeanSeconds = quickMeanSeconds
        self.patientMeanSeconds = patientMeanSeconds
    }

    func sample(_ random: inout SeededRandom) -> Double {
        let quick = random.unit() < quickShare
        return random.exponential(meanSeconds: quick ? quickMeanSeconds : patientMeanSeconds)
    }
}

/// One Service Option's share of an organisation's calls, where the specification gives one.
public struct OptionShare: Sendable, Equatable {
    public let option: ServiceOptionCode
    public let share: Double

    public init(option: ServiceOptionCode, share: Double) {
        self.option = option
        self.share = share
    }
}

/// One organisation's traffic: how many calls of each Service Standard, how long they take, how patient callers are.
public struct OrganisationTraffic: Sendable, Equatable {
    public let organisation: OrganisationCode
    /// Calls a year by Service Standard.
    public let callsPerYear: [ServiceStandard: Double]
    /// Calls by calendar month (January first, 12 values) by Service Standard, where the specification gives
    /// them; a standard listed here takes its seasonal shape from these and its yearly total from their sum.
    public let callsPerMonth: [ServiceStandard: [Double]]
    public let talk: LognormalDuration
    /// After-call work ("wrap"): the handler is busy but the caller has gone.
    public let wrap: LognormalDuration
    public let patience: CallerPatience
    /// Shares of the organisation's calls by Service Option, where known (used to label calls for a driver).
    public let optionMix: [OptionShare]

    public init(
        organisation: OrganisationCode, callsPerYear: [ServiceStandard: Double],
        callsPerMonth: [ServiceStandard: [Double]] = [:], talk: LognormalDuration, wrap: LognormalDuration,
        patience: CallerPatience, optionMix: [OptionShare] = []
    ) throws {
        for (standard, calls) in callsPerYear where !(calls.isFinite && calls >= 0) {
            throw DrillError(
                .invalidProfile, "\(organisation) \(standard.rawValue): \(calls) calls a year is not a valid volume")
        }
        for (standard, months) in callsPerMonth {
            guard months.count == 12, months.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                throw DrillError(
                    .invalidProfile,
                    "\(organisation) \(standard.rawValue): give 12 monthly volumes (January first), none negative")
            }
        }
        let optionTotal = optionMix.reduce(0) { $0 + $1.share }
        guard optionMix.allSatisfy({ $0.share >= 0 }), optionTotal <= 1.000_001 else {
            throw DrillError(.invalidProfile, "\(organisation): option shares must be 0–1 and add up to at most 1")
        }
        self.organisation = organisation
        var yearly = callsPerYear
        for (standard, months) in callsPerMonth { yearly[standard] = months.reduce(0, +) }
        self.callsPerYear = yearly
        self.callsPerMonth = callsPerMonth
        self.talk = talk
        self.wrap = wrap
        self.patience = patience
        self.optionMix = optionMix
    }

    /// Calls a year over every Service Standard.
    public var totalCallsPerYear: Double { callsPerYear.values.reduce(0, +) }
}

/// When calls come: a relative weight for each hour of a weekday and of a weekend day (local time).
public struct HourlyShape: Sendable, Equatable {
    /// 24 weights, hour 0 first; 0 where the service is closed.
    public let weekday: [Double]
    public let weekend: [Double]

    public init(weekday: [Double], weekend: [Double]) throws {
        for weights in [weekday, weekend] {
            guard weights.count == 24, weights.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                throw DrillError(.invalidProfile, "an hourly shape needs 24 weights (hour 0 first), none negative")
            }
        }
        let week = 5 * weekday.reduce(0, +) + 2 * weekend.reduce(0, +)
        guard week > 0 else { throw DrillError(.invalidProfile, "an hourly shape needs at least one open hour") }
        self.weekday = weekday
        self.weekend = weekend
    }

    /// Sum of the weights over one week (five weekdays and two weekend days).
    public var weeklyWeight: Double { 5 * weekday.reduce(0, +) + 2 * weekend.reduce(0, +) }
}

/// Arrival rates by organisation, Service Standard, month, hour of day and weekday/weekend.
public struct TrafficProfile: Sendable, Equatable {
    public let organisations: [OrganisationTraffic]
    public let shape: HourlyShape

    public init(organisations: [OrganisationTraffic], shape: HourlyShape) throws {
        guard !organisations.isEmpty else { throw DrillError(.invalidProfile, "a profile needs an organisation") }
        guard organisations.count <= DrillLimits.organisationsMax else {
            throw DrillError(
                .invalidProfile,
                "\(organisations.count) organisations is too many: at most \(DrillLimits.organisationsMax)")
        }
        let codes = organisations.map(\.organisation)
        guard Set(codes).count == codes.count else {
            throw DrillError(.invalidProfile, "an organisation is listed twice in the profile: list each once")
        }
        self.organisations = organisations
        self.shape = shape
    }

    /// Days in each month of a common year, January first.
    static let monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

    /// Month (0 = January) of a day of a common year (0 = 1 January).
    static func month(ofDayOfYear day: Int) -> Int {
        var remaining = ((day % 365) + 365) % 365
        for (month, days) in monthDays.enumerated() {
            if remaining < days { return month }
            remaining -= days
        }
        return 11
    }

    /// Calls an hour expected from one organisation at one Service Standard.
    public func callsPerHour(
        organisation index: Int, standard: ServiceStandard, month: Int, weekend: Bool, hour: Int
    ) -> Double {
        let traffic = organisations[index]
        let weight = (weekend ? shape.weekend : shape.weekday)[hour]
        guard weight > 0 else { return 0 }
        let weeks: Double
        let calls: Double
        if let months = traffic.callsPerMonth[standard] {
            calls = months[month]
            weeks = Double(Self.monthDays[month]) / 7
        } else {
            calls = traffic.callsPerYear[standard] ?? 0
            weeks = 365.0 / 7
        }
        return calls / weeks / shape.weeklyWeight * weight
    }

    /// Index of an organisation in `organisations`.
    public func index(of organisation: OrganisationCode) -> Int? {
        organisations.firstIndex { $0.organisation == organisation }
    }

    /// Calls a year over every organisation and standard.
    public var totalCallsPerYear: Double { organisations.reduce(0) { $0 + $1.totalCallsPerYear } }
}
