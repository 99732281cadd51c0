import Replication

extension ReplicatedTables {
    /// A message to On-call Duty Staff (5.2.3.3): what it says and to whom is fixed when it is queued; the status
    /// only moves forward (queued, sending, sent), so a site that saw it sent never sends it again; the latest
    /// error is a register for people to read. A failure is not a status: see `Schema.v7Outbox`.
    static let outboxMessage = TableRules(
        table: "outbox_message", keyColumn: "id", kind: .registers,
        fields: [
            ("organisation_code", .immutable), ("channel", .immutable), ("recipient", .immutable),
            ("subject", .immutable), ("body", .immutable), ("created_at_ms", .immutable),
            ("created_by_site", .immutable), ("referral_id", .immutable), ("call_reference", .immutable),
            ("status", .furthestState(order: ["queued", "sending", "sent"])), ("last_error", .lastWriterWins),
        ],
        organisationColumn: "organisation_code")

    /// The start of one attempt to send a message, recorded before the transport is asked: an add-only set.
    static let outboxAttempt = TableRules(
        table: "outbox_attempt", keyColumn: "uid", kind: .addOnly,
        fields: [
            ("message_id", .immutable), ("organisation_code", .immutable), ("site_code", .immutable),
            ("started_at_ms", .immutable), ("transport", .immutable),
        ],
        organisationColumn: "organisation_code")

    /// The result of one attempt, keyed by the attempt: an add-only set. Only the site that made the attempt
    /// writes its result, once, so every site holds the same one.
    static let outboxAttemptResult = TableRules(
        table: "outbox_attempt_result", keyColumn: "uid", kind: .addOnly,
        fields: [
            ("message_id", .immutable), ("organisation_code", .immutable), ("site_code", .immutable),
            ("finished_at_ms", .immutable), ("outcome", .immutable), ("provider_id", .immutable), ("error", .immutable),
        ],
        organisationColumn: "organisation_code")
}
