import Domain
import Foundation
import GRDB
import Replication

/// How a lone-worker session's start and facts are written to and read from their rows (5.2.3.6).
enum LoneWorkerRows {
    /// A fact's detail beyond its kind, instant and author, as `payload_json`.
    struct Payload: Codable, Equatable {
        var deadlineMs: Int64?
        var duressAtMs: Int64?
        var note: String?
    }

    /// The `kind` column of each fact; a kind this version does not know is left out when a session is rebuilt,
    /// so a newer node may add kinds.
    enum Kind: String {
        case checkedIn = "checked-in"
        case amberRaised = "amber-raised"
        case acknowledged
        case missedCheckOutRedRaised = "missed-check-out-red-raised"
        case checkedOut = "checked-out"
        case duressGiven = "duress-given"
        case duressRedRaised = "duress-red-raised"
        case resolved
    }

    /// Every replicated field of a session's start.
    static func fields(of start: LoneWorkerStart) -> [String: FieldValue] {
        let officer = start.officer
        return [
            "organisation_code": .text(officer.organisation.rawValue), "staff_id": .text(officer.staff.rawValue),
            "manager_id": officer.manager.map { .text($0.rawValue) } ?? .null, "officer_name": .text(officer.name),
            "caller_phone": .text(officer.callerNumber.e164), "location": .text(start.location),
            "task": .text(start.task), "started_at_ms": .integer(start.startedAtMs),
            "expected_duration_ms": .integer(Int64(start.expectedDurationMs)),
            "acknowledgement_window_ms": .integer(Int64(start.acknowledgementWindowMs)),
            "code_hash": .text(officer.credentials.normal.encoded),
            "duress_hash": .text(officer.credentials.duress.encoded),
        ]
    }

    /// A session's start read back from its row.
    static func start(_ row: Row) throws -> LoneWorkerStart {
        let credentials = try LoneWorkerCredentials(
            normal: CredentialHash(encoded: row["code_hash"]), duress: CredentialHash(encoded: row["duress_hash"]))
        let officer = try LoneWorkerOfficer(
            staff: OnCallContactID(row["staff_id"]), organisation: OrganisationCode(row["organisation_code"]),
            manager: (row["manager_id"] as String?).map(OnCallContactID.init), name: row["officer_name"],
            callerNumber: PhoneNumber(parsing: row["caller_phone"]), credentials: credentials)
        return try LoneWorkerStart(
            call: CallReference(parsing: row["call_reference"]), officer: officer, location: row["location"],
            task: row["task"], startedAt: Date(milliseconds: row["started_at_ms"]),
            expectedDuration: .milliseconds(row["expected_duration_ms"] as Int64),
            acknowledgementWindow: .milliseconds(row["acknowledgement_window_ms"] as Int64))
    }

    /// The fields of one fact's row; `author` is who recorded it (a handler, or the node for an alert), except for
    /// an acknowledgement or resolution, whose author is the handler named in the fact.
    static func fields(
        of fact: LoneWorkerFact, session: LoneWorkerStart, site: String, author: String
    ) throws -> [String: FieldValue] {
        let (kind, atMs, payload, handler): (Kind, Int64, Payload, HandlerID?) =
            switch fact {
            case .checkedIn(let checkIn): (.checkedIn, checkIn.atMs, Payload(deadlineMs: checkIn.deadlineMs), nil)
            case .amberRaised(let deadlineMs, let at): (.amberRaised, at, Payload(deadlineMs: deadlineMs), nil)
            case .acknowledged(let deadlineMs, let acknowledgement):
                (.acknowledged, acknowledgement.atMs, Payload(deadlineMs: deadlineMs), acknowledgement.by)
            case .missedCheckOutRedRaised(let deadlineMs, let at):
                (.missedCheckOutRedRaised, at, Payload(deadlineMs: deadlineMs), nil)
            case .checkedOut(let at): (.checkedOut, at, Payload(), nil)
            case .duressGiven(let at): (.duressGiven, at, Payload(), nil)
            case .duressRedRaised(let duressAtMs, let at): (.duressRedRaised, at, Payload(duressAtMs: duressAtMs), nil)
            case .resolved(let resolution):
                (.resolved, resolution.atMs, Payload(note: resolution.note), resolution.by)
            }
        return [
            "call_reference": .text(session.call.description),
            "organisation_code": .text(session.officer.organisation.rawValue), "kind": .text(kind.rawValue),
            "at_ms": .integer(atMs), "site_code": .text(site), "author": .text(handler?.rawValue ?? author),
            "payload_json": .text(try RotaRows.json(payload)),
        ]
    }

    /// One fact read back from its row, or `nil` for a kind this version does not know.
    static func fact(_ row: Row) throws -> LoneWorkerFact? {
        guard let kind = Kind(rawValue: row["kind"]) else { return nil }
        let atMs: Int64 = row["at_ms"]
        let payload = try RotaRows.decode(Payload.self, row["payload_json"])
        func required(_ value: Int64?, _ name: String) throws -> Int64 {
            guard let value else {
                throw DomainError(
                    .invalidValue,
                    "lone-worker fact \(row["uid"] as String) (\(kind.rawValue)) has no \(name): the row is damaged")
            }
            return value
        }
        switch kind {
        case .checkedIn:
            return .checkedIn(LoneWorkerCheckIn(atMs: atMs, deadlineMs: try required(payload.deadlineMs, "deadline")))
        case .amberRaised:
            return .amberRaised(deadlineMs: try required(payload.deadlineMs, "deadline"), atMs: atMs)
        case .acknowledged:
            return .acknowledged(
                deadlineMs: try required(payload.deadlineMs, "deadline"),
                LoneWorkerAcknowledgement(atMs: atMs, by: try HandlerID(row["author"])))
        case .missedCheckOutRedRaised:
            return .missedCheckOutRedRaised(deadlineMs: try required(payload.deadlineMs, "deadline"), atMs: atMs)
        case .checkedOut:
            return .checkedOut(atMs: atMs)
        case .duressGiven:
            return .duressGiven(atMs: atMs)
        case .duressRedRaised:
            return .duressRedRaised(duressAtMs: try required(payload.duressAtMs, "duress instant"), atMs: atMs)
        case .resolved:
            return .resolved(
                LoneWorkerResolution(atMs: atMs, by: try HandlerID(row["author"]), note: payload.note ?? ""))
        }
    }
}
