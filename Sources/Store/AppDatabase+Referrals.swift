import Domain
import Foundation
import GRDB
import Replication

/// An attempt to pass a referral, with where and by whom it was recorded.
public struct RecordedAttempt: Sendable, Equatable {
    public let attempt: ReferralAttempt
    public let site: String
    public let author: String
    /// `false` when the procedure did not take it, e.g. the same step recorded at two sites at once: it stays on
    /// record but does not move the escalation.
    public let counted: Bool
}

/// A referral (6.4b) with its escalation replayed from every attempt held here.
public struct ReferralRecord: Sendable {
    public let reference: CallReference
    public let organisation: OrganisationCode
    public let option: ServiceOptionCode
    public let site: String
    public let author: String
    public let createdAt: Date
    public let escalation: ReferralEscalation
    public let attempts: [RecordedAttempt]
    /// Escalations a node's timer recorded, by step (5.3.2).
    public var timerEscalations: [RecordedTimerEscalation] = []

    public var deadline: Date { escalation.referralDeadline }
    public var status: ReferralStatus { escalation.status }

    /// Not acknowledged, and not passed by the organisation's time limit (6.4b).
    public func isOverdue(at now: Date) -> Bool { status != .acknowledged && escalation.isOverdue(at: now) }

    /// 11.7.3 g: from the end of the call to the first successful dispatch (a call answered, a message sent).
    public var dispatchSeconds: Double? { escalation.passedAt?.timeIntervalSince(escalation.callEndedAt) }
}

/// A referral just made: what to do first, and the messages that pass it (5.2.5).
public struct ReferralStart: Sendable {
    public let referral: ReferralRecord
    public let call: Call
    public let answer: OnCallAnswer
    /// Whether the organisation set a procedure for the option; otherwise the standard one is followed.
    public let procedureSet: Bool
    public let sms: ReferralSMS
    public let email: ReferralEmail
    public var firstAction: EscalationAction { referral.escalation.next(at: referral.createdAt) }
}

extension AppDatabase {
    // MARK: - Referrals (5.2.3.3, 5.3.2, 6.4b)

    /// Refers a call: finds who is on call now, fixes the escalation plan from the organisation's procedure (or the
    /// standard one), sets the deadline to the organisation's limit after the call ended (10 minutes unless it set
    /// another, 6.4b), and moves the call to `referred`. A call with no end time recorded ends when it is referred.
    ///
    /// `instant` is when the referral is made; `recordedAt`, the time of this site's clock, stamps the change set
    /// (it defaults to `instant`; a referral recorded after the fact is stamped when it is recorded).
    @discardableResult
    public func refer(
        _ reference: CallReference, subCategory: String? = nil, author: String, at instant: Date,
        recordedAt: Date? = nil
    ) throws -> ReferralStart {
        try write { db in
            let catalogue = try self.catalogue(db)
            guard let call = try Self.fetchCall(db, reference) else {
                throw StoreError.callNotFound(reference: reference.description)
            }
            guard call.status != .closed else {
                throw DomainError(
                    .lifecycle,
                    "call \(reference) is closed: a closed call is not referred; log a new call linked to it with "
                        + "--link-to \(reference)")
            }
            if let existing = try Self.referralRecord(db, reference) {
                throw DomainError(
                    .lifecycle,
                    "call \(reference) was referred at \(Self.local(existing.createdAt, catalogue)); follow it with "
                        + "`nightdesk referral next \(reference)`")
            }
            let organisation = try Self.servedOrganisation(catalogue, call.organisation)
            let directory = try onCallDirectory(db, cacheable: false).directory
            let query = OnCallQuery(
                organisation: call.organisation, option: call.option, subCategory: subCategory,
                areas: Self.areas(of: call))
            let answer = directory.onCall(query, at: instant)
            let chosen = try Self.procedure(db, organisation: call.organisation, option: call.option)
            let escalation = try ReferralEscalation(
                procedure: chosen ?? .standard(organisation: call.organisation, option: call.option), answer: answer,
                directory: directory, callEndedAt: call.endedAt ?? instant,
                referralLimitMinutes: organisation.referralLimitMinutes)
            let site = try localSite(db).rawValue
            let scope = ChangeScope.organisation(call.organisation.rawValue)
            try commitLocal(db, at: recordedAt ?? instant, scope: scope) { context in
                var operations = [
                    RowOperation(
                        table: ReplicatedTables.referral.table, key: reference.description,
                        action: .upsert(
                            fields: [
                                "organisation_code": .text(call.organisation.rawValue),
                                "service_option_code": .text(call.option.rawValue), "site_code": .text(site),
                                "author": .text(author), "created_at_ms": .integer(instant.milliseconds),
                                "call_ended_at_ms": .integer(escalation.callEndedAt.milliseconds),
                                "deadline_ms": .integer(escalation.referralDeadline.milliseconds),
                                "plan_json": .text(try RotaRows.json(escalation.snapshot)),
                                "status": .text(ReferralStatus.open.rawValue), "passed_at_ms": .null,
                                "acknowledged_by": .null,
                            ], supersedes: [:]))
                ]
                if call.status == .open {
                    operations.append(
                        RowOperation(
                            table: ReplicatedTables.call.table, key: reference.description,
                            action: .upsert(fields: ["status": .text(CallStatus.referred.rawValue)], supersedes: [:])))
                    operations.append(
                        Self.event(
                            context, 0, call, at: instant, author: author, kind: .statusChanged,
                            summary: "open → referred (to be passed on by "
                                + "\(Self.local(escalation.referralDeadline, catalogue)), 6.4b)"))
                }
                return operations
            }
            guard let record = try Self.referralRecord(db, reference) else {
                preconditionFailure("the referral of \(reference) was just written")
            }
            return ReferralStart(
                referral: record, call: try Self.fetchCall(db, reference) ?? call, answer: answer,
                procedureSet: chosen != nil, sms: ReferralMessage.sms(for: call),
                email: ReferralMessage.email(for: call, organisation: organisation, calendar: catalogue.calendar))
        }
    }

    /// Records an attempt to pass a referral, checked against its escalation (5.3.2): the contact the procedure
    /// asks for next, or an acknowledgement from someone already contacted. `recordedAt` is as for `refer`.
    @discardableResult
    public func recordAttempt(
        _ reference: CallReference, contact: OnCallContactID, channel: ChannelKind, outcome: ReferralOutcome,
        author: String, at instant: Date, recordedAt: Date? = nil
    ) throws -> ReferralRecord {
        try write { db in
            guard let record = try Self.referralRecord(db, reference) else { throw Self.noReferral(reference) }
            var escalation = record.escalation
            try escalation.record(
                try ReferralAttempt(contact: contact, channel: channel, at: instant, outcome: outcome))
            let stored = try Row.fetchOne(
                db, sql: "SELECT status, passed_at_ms, acknowledged_by FROM referral WHERE call_reference = ?",
                arguments: [reference.description])
            let scope = ChangeScope.organisation(record.organisation.rawValue)
            try commitLocal(db, at: recordedAt ?? instant, scope: scope) { context in
                // The row keeps a summary for listing; only what this attempt changed is written.
                var summary: [String: FieldValue] = [:]
                let status = ReferralStatus(rawValue: (stored?["status"] as String?) ?? "") ?? .open
                if escalation.status > status { summary["status"] = .text(escalation.status.rawValue) }
                let passed = escalation.passedAt.map { FieldValue.integer($0.milliseconds) } ?? .null
                let storedPassed: DatabaseValue = stored?["passed_at_ms"] ?? .null
                if passed != FieldValue(storedPassed) { summary["passed_at_ms"] = passed }
                let acknowledged = escalation.acknowledgedBy.map { FieldValue.text($0.id.rawValue) } ?? .null
                let storedAcknowledged: DatabaseValue = stored?["acknowledged_by"] ?? .null
                if acknowledged != FieldValue(storedAcknowledged) { summary["acknowledged_by"] = acknowledged }
                var operations = [
                    RowOperation(
                        table: ReplicatedTables.referralAttempt.table, key: context.elementKey(0),
                        action: .add(fields: [
                            "call_reference": .text(reference.description),
                            "organisation_code": .text(record.organisation.rawValue),
                            "at_ms": .integer(instant.milliseconds), "site_code": .text(context.origin.rawValue),
                            "author": .text(author), "channel": .text(channel.rawValue),
                            "contact_id": .text(contact.rawValue), "outcome": .text(outcome.rawValue),
                        ]))
                ]
                if !summary.isEmpty {
                    operations.append(
                        RowOperation(
                            table: ReplicatedTables.referral.table, key: reference.description,
                            action: .upsert(fields: summary, supersedes: [:])))
                }
                return operations
            }
            return try Self.referralRecord(db, reference) ?? record
        }
    }

    /// A referral, or `nil` when the call has none here.
    public func referral(_ reference: CallReference) throws -> ReferralRecord? {
        try read { db in try Self.referralRecord(db, reference) }
    }

    /// What to do next with a referral at `now` (5.3.2), with the referral.
    public func nextAction(_ reference: CallReference, at now: Date) throws -> (ReferralRecord, EscalationAction) {
        guard let record = try referral(reference) else { throw Self.noReferral(reference) }
        return (record, record.escalation.next(at: now))
    }

    /// Referrals not yet acknowledged, soonest deadline first (for supervisors).
    public func outstandingReferrals(organisation: OrganisationCode? = nil) throws -> [ReferralRecord] {
        try referrals(where: "status != 'acknowledged'", organisation: organisation)
    }

    /// Referrals not acknowledged and not passed by their deadline (6.4b), or left by a node's timer escalation with
    /// something only a person can do (a phone call, a pager message, the fallback), soonest deadline first.
    public func overdueReferrals(at now: Date, organisation: OrganisationCode? = nil) throws -> [ReferralRecord] {
        try referrals(
            where: """
                status != 'acknowledged' AND (deadline_ms < ?
                    OR call_reference IN (SELECT call_reference FROM referral_escalation))
                """, arguments: [now.milliseconds],
            organisation: organisation
        ).filter { $0.isOverdue(at: now) || $0.escalation.awaitsHandler(at: now) }
    }

    /// Every referral of an organisation whose call ended in `from..<to`, by call end (11.7.3 g–h).
    public func referrals(organisation: OrganisationCode, callEndedFrom from: Date, to: Date) throws
        -> [ReferralRecord]
    {
        try referrals(
            where: "call_ended_at_ms >= ? AND call_ended_at_ms < ?", arguments: [from.milliseconds, to.milliseconds],
            organisation: organisation)
    }

    /// Every referral of an organisation whose call ended in a month of local time (11.7.3 g–h).
    public func referrals(organisation: OrganisationCode, month: LocalMonth) throws -> [ReferralRecord] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try catalogue().calendar.timeZone
        guard let start = calendar.date(from: DateComponents(year: month.year, month: month.month, day: 1)),
            let end = calendar.date(byAdding: .month, value: 1, to: start)
        else { throw DomainError(.invalidValue, "\(month) is not a month the calendar can place") }
        return try referrals(organisation: organisation, callEndedFrom: start, to: end)
    }

    private func referrals(where filter: String, arguments: StatementArguments = [], organisation: OrganisationCode?)
        throws -> [ReferralRecord]
    {
        var sql = "SELECT call_reference FROM referral WHERE \(filter)"
        var all = arguments
        if let organisation {
            sql += " AND organisation_code = ?"
            all += [organisation.rawValue]
        }
        sql += " ORDER BY deadline_ms, call_reference LIMIT \(StoreLimits.referralsListedMax)"
        return try read { db in
            try String.fetchAll(db, sql: sql, arguments: all).compactMap {
                try Self.referralRecord(db, try CallReference(parsing: $0))
            }
        }
    }

    /// An instant as London shows it, e.g. `2026-11-21 22:14`, for messages and the timeline.
    static func local(_ instant: Date, _ catalogue: Catalogue) -> String {
        let local = catalogue.calendar.localTime(of: instant)
        return "\(local.date) " + String(format: "%02d:%02d", local.minuteOfDay / 60, local.minuteOfDay % 60)
    }

    static func noReferral(_ reference: CallReference) -> DomainError {
        DomainError(
            .notFound, "call \(reference) has no referral here; make one with `nightdesk call refer \(reference)`")
    }

    /// The areas a call's incident lies in, for area rotas (7.5): its ward, and its postcode district when the
    /// address ends with a postcode.
    static func areas(of call: Call) -> [RotaArea] {
        guard let address = call.incidentAddress else { return [] }
        var areas: [RotaArea] = []
        if let ward = address.ward, let area = try? RotaArea.ward(ward) { areas.append(area) }
        let words = address.text.split(whereSeparator: \.isWhitespace)
        if words.count >= 2,
            let area = try? RotaArea.postcodeDistrict(ofPostcode: words.suffix(2).joined(separator: " "))
        {
            areas.append(area)
        }
        return areas
    }

    static func referralRecord(_ db: Database, _ reference: CallReference) throws -> ReferralRecord? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM referral WHERE call_reference = ?"),
                arguments: [reference.description])
        else { return nil }
        var escalation = ReferralEscalation(
            snapshot: try RotaRows.decode(ReferralPlanSnapshot.self, row["plan_json"]))
        // Ties in time are put in the order their change sets were made, the same at every site.
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM referral_attempt WHERE call_reference = ? ORDER BY at_ms"),
            arguments: [reference.description]
        ).sorted { a, b in
            ((a["at_ms"] as Int64), elementOrder(a["uid"])) < ((b["at_ms"] as Int64), elementOrder(b["uid"]))
        }
        // An attempt of a kind this version does not know is written by a newer node: it is left out here.
        let known = try rows.compactMap { row -> (ReferralAttempt, Row)? in
            guard let channel = ChannelKind(rawValue: row["channel"]),
                let outcome = ReferralOutcome(rawValue: row["outcome"])
            else { return nil }
            let attempt = try ReferralAttempt(
                contact: try OnCallContactID(row["contact_id"]), channel: channel, at: Date(milliseconds: row["at_ms"]),
                outcome: outcome)
            return (attempt, row)
        }
        let timers = try Self.timerEscalations(db, reference)
        let skipped = escalation.replay(known.map(\.0), timers: timers.map(\.escalation))
        let taken = Set(escalation.timerEscalations.map(\.step))
        var record = ReferralRecord(
            reference: reference, organisation: try OrganisationCode(row["organisation_code"]),
            option: try ServiceOptionCode(row["service_option_code"]), site: row["site_code"], author: row["author"],
            createdAt: Date(milliseconds: row["created_at_ms"]), escalation: escalation,
            attempts: known.enumerated().map { index, entry in
                RecordedAttempt(
                    attempt: entry.0, site: entry.1["site_code"], author: entry.1["author"],
                    counted: !skipped.contains(index))
            })
        record.timerEscalations = timers.map { $0.counted(taken.contains($0.escalation.step)) }
        return record
    }

    /// An add-only element's key `SITE-SEQUENCE-INDEX` as a sortable value, so that sequence 10 follows 9.
    static func elementOrder(_ key: String) -> ElementOrder {
        let parts = key.split(separator: "-")
        guard parts.count == 3, let sequence = UInt64(parts[1]), let index = Int(parts[2]) else {
            return ElementOrder(site: key, sequence: 0, index: 0)
        }
        return ElementOrder(site: String(parts[0]), sequence: sequence, index: index)
    }

    struct ElementOrder: Comparable {
        let site: String
        let sequence: UInt64
        let index: Int

        static func < (a: Self, b: Self) -> Bool { (a.site, a.sequence, a.index) < (b.site, b.sequence, b.index) }
    }
}

/// The time taken to pass on service requests for one Service Option in a period (11.7.3 g): from the end of the
/// call to the first successful dispatch.
public struct DispatchSummary: Sendable, Equatable, Encodable {
    public let option: ServiceOptionCode
    /// Referrals passed on.
    public let cases: Int
    public let averageSeconds: Double?
    public let maxSeconds: Double?
    /// Passed on after the organisation's limit (6.4b), or not passed on and past it.
    public let overLimit: [CallReference]
    /// Never passed on.
    public let notPassed: [CallReference]

    /// One summary per option, by option, as it stands at `now`.
    public static func of(_ referrals: [ReferralRecord], at now: Date) -> [DispatchSummary] {
        Dictionary(grouping: referrals, by: \.option).sorted { $0.key < $1.key }.map { option, records in
            let times = records.compactMap(\.dispatchSeconds)
            let sorted = records.sorted { $0.reference < $1.reference }
            return DispatchSummary(
                option: option, cases: times.count,
                averageSeconds: times.isEmpty ? nil : times.reduce(0, +) / Double(times.count), maxSeconds: times.max(),
                overLimit: sorted.filter { $0.escalation.isOverdue(at: now) }.map(\.reference),
                notPassed: sorted.filter { $0.escalation.passedAt == nil }.map(\.reference))
        }
    }
}
