import Domain

/// The figures of one queue table row (Appendix 2; 11.6.4, 11.7.3 a): offered, answered, within SLA, abandoned.
public struct TrafficFigures: Codable, Sendable, Equatable {
    public var offered = 0
    public var answered = 0
    /// Answered within the Service Standard's threshold (20 s Gold, 60 s Silver, 6.2 a, 6.3 a).
    public var answeredWithinThreshold = 0
    public var abandoned = 0
    /// Abandoned after waiting less than 20 s, and 20 s or more (the tables' "0 to 19 Seconds", "20Plus").
    public var abandonedUnder20Seconds = 0
    public var abandoned20SecondsOrMore = 0
    /// Abandoned calls ended by a failure rather than the caller: no site could take them, or telephony was lost.
    public var lostToFailure = 0
    /// Still waiting when the run (or step) ended.
    public var waiting = 0
    /// Total of answered calls' waits, for the average.
    public var answeredWaitSecondsTotal = 0.0
    /// Longest wait of any answered or abandoned call.
    public var waitSecondsMax = 0.0

    public init() {}

    /// Share of offered calls answered within the threshold, as the tables compute "% Ans within SLA".
    public var answeredWithinThresholdPercent: Double {
        offered == 0 ? 0 : 100 * Double(answeredWithinThreshold) / Double(offered)
    }

    /// Share of offered calls abandoned ("% Abn").
    public var abandonedPercent: Double { offered == 0 ? 0 : 100 * Double(abandoned) / Double(offered) }

    /// Average wait of answered calls (average speed of answer).
    public var averageWaitSeconds: Double {
        answered == 0 ? 0 : answeredWaitSecondsTotal / Double(answered)
    }

    public mutating func add(_ other: TrafficFigures) {
        offered += other.offered
        answered += other.answered
        answeredWithinThreshold += other.answeredWithinThreshold
        abandoned += other.abandoned
        abandonedUnder20Seconds += other.abandonedUnder20Seconds
        abandoned20SecondsOrMore += other.abandoned20SecondsOrMore
        lostToFailure += other.lostToFailure
        waiting += other.waiting
        answeredWaitSecondsTotal += other.answeredWaitSecondsTotal
        waitSecondsMax = max(waitSecondsMax, other.waitSecondsMax)
    }
}

/// A part of the run: before the first event, while events run, after the last; or the whole run.
public enum ReportWindow: String, Codable, Sendable, CaseIterable {
    case before, during, after
}

/// One row of the report: an organisation's calls at one Service Standard in one window.
public struct TrafficRow: Codable, Sendable, Equatable {
    public let organisation: OrganisationCode
    public let standard: ServiceStandard
    public let window: ReportWindow
    public let figures: TrafficFigures
}

/// What a run produced, with the figures kept by hour of day and weekday/weekend so any slice can be read.
public struct TrafficReport: Sendable, Equatable {
    /// Figures indexed by `FigureIndex`.
    let cells: [TrafficFigures]
    let organisations: [OrganisationCode]
    /// Whether the run had events, so before/during/after mean something.
    public let hasEvents: Bool
    /// Calls still being generated when the per-run maximum was reached (should be false).
    public let callsCapped: Bool

    /// Figures for a selection; `nil` selects everything on that axis.
    public func figures(
        organisation: OrganisationCode? = nil, standard: ServiceStandard? = nil, window: ReportWindow? = nil,
        hours: ClosedRange<Int>? = nil, weekend: Bool? = nil
    ) -> TrafficFigures {
        var total = TrafficFigures()
        for (organisationIndex, code) in organisations.enumerated() where organisation == nil || organisation == code {
            for chosen in ServiceStandard.allCases where standard == nil || standard == chosen {
                for slot in ReportWindow.allCases where window == nil || window == slot {
                    for isWeekend in [false, true] where weekend == nil || weekend == isWeekend {
                        for hour in 0..<24 where hours?.contains(hour) ?? true {
                            total.add(
                                cells[
                                    FigureIndex.of(
                                        organisation: organisationIndex, standard: chosen, window: slot,
                                        weekend: isWeekend, hour: hour)])
                        }
                    }
                }
            }
        }
        return total
    }

    /// Rows with any offered call, by organisation, standard and window.
    public var rows: [TrafficRow] {
        var rows: [TrafficRow] = []
        for organisation in organisations {
            for standard in ServiceStandard.allCases {
                for window in hasEvents ? ReportWindow.allCases : [.before] {
                    let figures = figures(
                        organisation: organisation, standard: standard, window: hasEvents ? window : nil)
                    if figures.offered > 0 {
                        rows.append(
                            TrafficRow(organisation: organisation, standard: standard, window: window, figures: figures)
                        )
                    }
                }
            }
        }
        return rows
    }
}

/// Where one cell's figures live in the flat array: organisation, standard, window, weekday/weekend, hour.
enum FigureIndex {
    static let perOrganisation = 4 * 3 * 2 * 24

    static func count(organisations: Int) -> Int { organisations * perOrganisation }

    static func of(organisation: Int, standard: ServiceStandard, window: ReportWindow, weekend: Bool, hour: Int) -> Int
    {
        let windowIndex = window == .before ? 0 : window == .during ? 1 : 2
        return (((organisation * 4 + standard.priority) * 3 + windowIndex) * 2 + (weekend ? 1 : 0)) * 24 + hour
    }
}
