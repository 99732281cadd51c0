import Foundation

// Working out who a rota puts on call at an instant. Rota times are kept to the second, as whole seconds since
// 1970 (`Int64`); local wall-clock times are seconds since 1970-01-01 00:00 on the local clock.

/// Division rounding towards minus infinity, for times before 1970 and turns before a rotation's start.
func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let quotient = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
}

extension Date {
    var wholeSeconds: Int64 { Int64(timeIntervalSince1970.rounded(.down)) }
    init(wholeSeconds: Int64) { self.init(timeIntervalSince1970: Double(wholeSeconds)) }
}

extension LocalDate {
    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil, the inverse of `OperatingCalendar.localTime`).
    var daysSince1970: Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let monthIndex = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * monthIndex + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

extension Weekday {
    /// The weekday of a day counted from 1970-01-01, a Thursday.
    init(daysSince1970 days: Int64) {
        self = Weekday.allCases[Int(((days % 7) + 7 + 3) % 7)]
    }
}

extension OperatingCalendar {
    /// The local wall-clock second of an instant, from the zone's offset at that instant.
    func wallSecond(of instant: Int64) -> Int64 {
        instant + Int64(timeZone.secondsFromGMT(for: Date(wholeSeconds: instant)))
    }

    /// The instant at which the local clock shows a wall-clock second.
    ///
    /// Local times the clock changes make ambiguous follow one rule everywhere (rotations, restrictions, reports):
    /// - a time that happens twice (the repeated hour when the clocks go back in October) is its first occurrence,
    ///   so 01:30 on 2026-10-25 is 00:30 UTC (01:30 BST);
    /// - a time that never happens (the missing hour when the clocks go forward in March) is the moment the clocks
    ///   change, the next valid minute, so 01:30 on 2026-03-29 is 01:00 UTC (02:00 BST).
    /// Both keep handoffs in order, so consecutive turns meet exactly: no gap, no double cover.
    func instant(ofWallSecond wall: Int64) -> Int64 {
        // A zone's offset changes at most once in any two days, so the offsets a day either side bound it.
        let before = Int64(timeZone.secondsFromGMT(for: Date(wholeSeconds: wall - 86_400)))
        let after = Int64(timeZone.secondsFromGMT(for: Date(wholeSeconds: wall + 86_400)))
        if before == after { return wall - before }
        let early = wall - max(before, after)
        let late = wall - min(before, after)
        let earlyValid = wallSecond(of: early) == wall
        let lateValid = wallSecond(of: late) == wall
        if earlyValid { return early }
        if lateValid { return late }
        // In the missing hour: the first instant whose wall time is past `wall` is the change itself.
        var low = early
        var high = late
        while low < high {
            let middle = low + (high - low) / 2
            if wallSecond(of: middle) > wall { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// The instant a local date's wall-clock minute happens, by the rule of `instant(ofWallSecond:)`.
    func instant(of date: LocalDate, minuteOfDay: Int) -> Date {
        Date(wholeSeconds: instant(ofWallSecond: date.daysSince1970 * 86_400 + Int64(minuteOfDay) * 60))
    }

    /// The local date of a day counted from 1970-01-01, read back through `localTime(of:)` at about local noon.
    func date(daysSince1970 days: Int64) -> LocalDate {
        localTime(of: Date(wholeSeconds: instant(ofWallSecond: days * 86_400 + 43_200))).date
    }
}

/// One turn of a layer's rotation.
struct LayerTurn {
    let index: Int64
    let startsAt: Int64
    let endsAt: Int64
}

/// A layer ready for lookups: its rotation's start, length and end as numbers.
struct LayerSchedule: Sendable {
    let layer: RotaLayer
    /// Wall-clock second of turn 0's handoff.
    let startWall: Int64
    /// Wall-clock seconds per turn.
    let lengthSeconds: Int64
    let startsAt: Int64
    let endsAt: Int64

    init(_ layer: RotaLayer, calendar: OperatingCalendar) {
        self.layer = layer
        let handoff = Int64(layer.rotation.handoff.minuteOfDay) * 60
        startWall = layer.rotation.startDate.daysSince1970 * 86_400 + handoff
        lengthSeconds = layer.rotation.length.minutes * 60
        startsAt = calendar.instant(ofWallSecond: startWall)
        endsAt = layer.endDate.map { calendar.instant(ofWallSecond: $0.daysSince1970 * 86_400 + handoff) } ?? .max
    }

    func handoff(_ turn: Int64, calendar: OperatingCalendar) -> Int64 {
        calendar.instant(ofWallSecond: startWall + turn * lengthSeconds)
    }

    /// The turn in force at an instant, found arithmetically, or `nil` outside the layer's dates.
    func turn(at instant: Int64, wall: Int64, calendar: OperatingCalendar) -> LayerTurn? {
        guard instant >= startsAt, instant < endsAt else { return nil }
        // The wall clock gives the turn to within one: near a clock change the handoff's instant may fall on the
        // other side of `instant` from its wall time.
        var index = floorDivide(wall - startWall, lengthSeconds)
        var start = handoff(index, calendar: calendar)
        if instant < start {
            index -= 1
            start = handoff(index, calendar: calendar)
        }
        var end = handoff(index + 1, calendar: calendar)
        if instant >= end {
            index += 1
            start = end
            end = handoff(index + 1, calendar: calendar)
        }
        return LayerTurn(index: index, startsAt: start, endsAt: min(end, endsAt))
    }

    /// Whether the layer's restriction windows let it put anyone on call at an instant.
    func isInForce(at instant: Int64, wall: Int64, calendar: OperatingCalendar) -> Bool {
        if layer.restrictions.isEmpty { return true }
        let day = floorDivide(wall, 86_400)
        for window in layer.restrictions {
            // A window lasts at most a day, so only those opening today or yesterday can hold the instant.
            for anchor in [day - 1, day] where window.days.contains(Weekday(daysSince1970: anchor)) {
                let opens = calendar.instant(ofWallSecond: anchor * 86_400 + Int64(window.from.minuteOfDay) * 60)
                guard instant >= opens else { continue }
                if instant < calendar.instant(ofWallSecond: anchor * 86_400 + window.endMinute * 60) { return true }
            }
        }
        return false
    }

    /// The first instant after `instant` at which the layer's answer may change.
    func nextChange(after instant: Int64, wall: Int64, calendar: OperatingCalendar) -> Int64 {
        if instant < startsAt { return startsAt }
        if instant >= endsAt { return .max }
        var next = turn(at: instant, wall: wall, calendar: calendar)?.endsAt ?? .max
        guard !layer.restrictions.isEmpty else { return next }
        let day = floorDivide(wall, 86_400)
        // Two days on is always a safe step, even if no window opens or closes before then.
        next = min(next, calendar.instant(ofWallSecond: (day + 2) * 86_400))
        for window in layer.restrictions {
            for anchor in (day - 1)...(day + 1) where window.days.contains(Weekday(daysSince1970: anchor)) {
                for minute in [Int64(window.from.minuteOfDay), window.endMinute] {
                    let edge = calendar.instant(ofWallSecond: anchor * 86_400 + minute * 60)
                    if edge > instant { next = min(next, edge) }
                }
            }
        }
        return next
    }
}

/// A stage's overrides as disjoint periods, each with the overrides in force in it, oldest first.
///
/// Built once per change to the rota, so a lookup is a binary search however many overrides are kept.
struct OverrideTimeline: Sendable {
    /// Every instant an override starts or ends, ascending.
    private(set) var edges: [Int64] = []
    /// `active[i]` is in force from `edges[i]` until `edges[i + 1]`.
    private(set) var active: [[RotaOverride]] = []

    init(_ overrides: [RotaOverride]) {
        guard !overrides.isEmpty else { return }
        edges = Array(Set(overrides.flatMap { [$0.startsAt.wholeSeconds, $0.endsAt.wholeSeconds] })).sorted()
        let byStart = overrides.sorted { $0.startsAt < $1.startsAt }
        var next = 0
        var current: [RotaOverride] = []
        for edge in edges {
            current.removeAll { $0.endsAt.wholeSeconds <= edge }
            while next < byStart.count, byStart[next].startsAt.wholeSeconds <= edge {
                if byStart[next].endsAt.wholeSeconds > edge { current.append(byStart[next]) }
                next += 1
            }
            // The latest created is applied last, so it wins (14.4: last-minute changes take effect).
            current.sort { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
            active.append(current)
        }
    }

    /// Index of the last edge at or before `instant`.
    private func period(containing instant: Int64) -> Int? {
        var low = 0
        var high = edges.count
        while low < high {
            let middle = (low + high) / 2
            if edges[middle] <= instant { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : low - 1
    }

    func active(at instant: Int64) -> [RotaOverride] {
        guard let index = period(containing: instant) else { return [] }
        return active[index]
    }

    func nextEdge(after instant: Int64) -> Int64 {
        guard let index = period(containing: instant) else { return edges.first ?? .max }
        return index + 1 < edges.count ? edges[index + 1] : .max
    }
}

/// One person put on call by a stage, and why.
struct StageAssignment {
    let contact: OnCallContactID
    let reason: OnCallReason
}

/// A stage ready for lookups.
struct StageSchedule: Sendable {
    let stage: RotaStage
    /// Highest priority first.
    let layers: [LayerSchedule]
    let overrides: OverrideTimeline

    /// Who the stage puts on call: the highest layer in force, then every override in force applied in the order
    /// made, so overrides always beat layers.
    func assignments(at instant: Int64, wall: Int64, rota: RotaID, calendar: OperatingCalendar) -> [StageAssignment] {
        var people: [StageAssignment] = []
        for schedule in layers {
            guard let turn = schedule.turn(at: instant, wall: wall, calendar: calendar),
                schedule.isInForce(at: instant, wall: wall, calendar: calendar)
            else { continue }
            let turns = schedule.layer.rotation.turns
            let reason = OnCallReason(
                rota: rota, stage: stage.number,
                rule: .rotation(
                    layer: schedule.layer.name, priority: schedule.layer.priority, turn: Int(turn.index),
                    turnStartsAt: Date(wholeSeconds: turn.startsAt),
                    turnEndsAt: turn.endsAt == .max ? nil : Date(wholeSeconds: turn.endsAt)))
            people = turns[Int(((turn.index % Int64(turns.count)) + Int64(turns.count)) % Int64(turns.count))]
                .map { StageAssignment(contact: $0, reason: reason) }
            break
        }
        for override in overrides.active(at: instant) {
            let reason = OnCallReason(
                rota: rota, stage: stage.number,
                rule: .override(
                    override.id, replacing: override.replacing, startsAt: override.startsAt, endsAt: override.endsAt))
            let incoming = override.contacts.map { StageAssignment(contact: $0, reason: reason) }
            guard let replaced = override.replacing else {
                people = incoming
                continue
            }
            // A shift taken over: only where the replaced person is on call, in their place in the list.
            guard let position = people.firstIndex(where: { $0.contact == replaced }) else { continue }
            people.remove(at: position)
            let fresh = incoming.filter { newcomer in !people.contains { $0.contact == newcomer.contact } }
            people.insert(contentsOf: fresh, at: position)
        }
        return people
    }

    func nextChange(after instant: Int64, wall: Int64, calendar: OperatingCalendar) -> Int64 {
        layers.reduce(overrides.nextEdge(after: instant)) {
            min($0, $1.nextChange(after: instant, wall: wall, calendar: calendar))
        }
    }
}

/// A rota ready for lookups.
struct RotaSchedule: Sendable {
    let rota: OnCallRota
    let stages: [StageSchedule]

    init(_ rota: OnCallRota, calendar: OperatingCalendar) {
        self.rota = rota
        stages = rota.stages.map { stage in
            StageSchedule(
                stage: stage, layers: stage.layers.map { LayerSchedule($0, calendar: calendar) },
                overrides: OverrideTimeline(rota.overrides.filter { $0.stage == stage.number }))
        }
    }

    /// The stages with somebody on call at an instant, in stage order.
    func onCall(at instant: Int64, wall: Int64, calendar: OperatingCalendar) -> [(RotaStage, [StageAssignment])] {
        stages.compactMap { schedule in
            let people = schedule.assignments(at: instant, wall: wall, rota: rota.id, calendar: calendar)
            return people.isEmpty ? nil : (schedule.stage, people)
        }
    }

    func nextChange(after instant: Int64, wall: Int64, calendar: OperatingCalendar) -> Int64 {
        stages.reduce(Int64.max) { min($0, $1.nextChange(after: instant, wall: wall, calendar: calendar)) }
    }
}
