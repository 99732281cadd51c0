import Foundation

/// Identifier of a rota override, e.g. `swap-2026-11-23`.
public struct RotaOverrideID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(_ text: String) throws {
        rawValue = try checkedSlug(text, what: "override id", example: "swap-2026-11-23")
    }
    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// A change to who is on call for a period (14.4): immediate, last-minute or future-dated; always beats layers.
///
/// With `replacing` empty the override puts `contacts` on call for the whole stage; with `replacing` set only
/// that person's time on call in the period is taken, which is how a shift swap or "take this shift" is kept.
/// Where overrides overlap, the one created last wins.
public struct RotaOverride: Hashable, Sendable {
    public enum Timing: String, Sendable {
        /// Made after it had started: in force at once.
        case immediate
        /// Made less than `DomainLimits.lastMinuteOverrideHours` before it starts.
        case lastMinute = "last-minute"
        /// Made further ahead.
        case futureDated = "future-dated"
    }

    public let id: RotaOverrideID
    public let stage: Int
    public let startsAt: Date
    public let endsAt: Date
    public let contacts: [OnCallContactID]
    public let replacing: OnCallContactID?
    /// When the PO made it, so the latest of overlapping overrides wins, as the PO expects.
    public let createdAt: Date
    public let reason: String

    public init(
        id: RotaOverrideID, stage: Int, startsAt: Date, endsAt: Date, contacts: [OnCallContactID],
        replacing: OnCallContactID? = nil, createdAt: Date, reason: String = ""
    ) throws {
        guard endsAt > startsAt else {
            throw DomainError(.invalidValue, "override \(id) ends at \(endsAt), not after it starts at \(startsAt)")
        }
        guard endsAt.timeIntervalSince(startsAt) <= Double(DomainLimits.overrideDaysMax) * 86_400 else {
            throw DomainError(
                .invalidValue,
                "override \(id) lasts more than \(DomainLimits.overrideDaysMax) days: change the rota's layers instead")
        }
        guard !contacts.isEmpty, contacts.count <= DomainLimits.peoplePerTurnMax, Set(contacts).count == contacts.count
        else {
            throw DomainError(
                .invalidValue, "override \(id) needs 1 to \(DomainLimits.peoplePerTurnMax) different people on call")
        }
        if let replacing, contacts.contains(replacing) {
            throw DomainError(.invalidValue, "override \(id): \(replacing) cannot take over their own shift")
        }
        self.id = id
        self.stage = stage
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.contacts = contacts
        self.replacing = replacing
        self.createdAt = createdAt
        self.reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `taker` covers `person`'s time on call between `startsAt` and `endsAt` ("take this shift").
    public static func takeShift(
        id: RotaOverrideID, stage: Int, of person: OnCallContactID, by taker: OnCallContactID, startsAt: Date,
        endsAt: Date, createdAt: Date, reason: String = ""
    ) throws -> RotaOverride {
        try RotaOverride(
            id: id, stage: stage, startsAt: startsAt, endsAt: endsAt, contacts: [taker], replacing: person,
            createdAt: createdAt, reason: reason)
    }

    /// Two people swap shifts: each covers the other's, as two overrides.
    public static func swap(
        ids: (RotaOverrideID, RotaOverrideID), stage: Int,
        _ first: (person: OnCallContactID, startsAt: Date, endsAt: Date),
        _ second: (person: OnCallContactID, startsAt: Date, endsAt: Date), createdAt: Date, reason: String = ""
    ) throws -> [RotaOverride] {
        [
            try takeShift(
                id: ids.0, stage: stage, of: first.person, by: second.person, startsAt: first.startsAt,
                endsAt: first.endsAt, createdAt: createdAt, reason: reason),
            try takeShift(
                id: ids.1, stage: stage, of: second.person, by: first.person, startsAt: second.startsAt,
                endsAt: second.endsAt, createdAt: createdAt, reason: reason),
        ]
    }

    public var timing: Timing {
        if startsAt <= createdAt { return .immediate }
        return startsAt.timeIntervalSince(createdAt) < Double(DomainLimits.lastMinuteOverrideHours) * 3_600
            ? .lastMinute : .futureDated
    }
}
