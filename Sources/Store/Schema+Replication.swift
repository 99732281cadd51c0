import Replication

/// The merge rule of every replicated field, declared next to the schema (DESIGN.md "Replication model").
///
/// A column not listed here is local bookkeeping (row ids, `row_clock`) and never leaves the node.
/// Gazetteers are not replicated: each site imports the organisation's own address file (7.11).
enum ReplicatedTables {
    /// Participating Organisations: catalogue data; every field is a last-writer-wins register. An organisation
    /// that leaves is withdrawn, not deleted: its calls stay.
    static let organisation = TableRules(
        table: "organisation", keyColumn: "code", kind: .registers,
        fields: [
            ("name", .lastWriterWins), ("kind", .lastWriterWins), ("referral_limit_minutes", .lastWriterWins),
            ("out_of_scope_categories_json", .lastWriterWins), ("withdrawn", .lastWriterWins),
        ],
        organisationColumn: nil)

    /// A Service Option as one organisation operates it; withdrawing is a register too (2.3.5).
    static let serviceOption = TableRules(
        table: "service_option", keyColumn: "option_key", kind: .registers,
        fields: [
            ("organisation_code", .immutable), ("code", .immutable), ("name", .lastWriterWins),
            ("description", .lastWriterWins), ("default_action", .lastWriterWins), ("standard", .lastWriterWins),
            ("information_only", .lastWriterWins), ("hours_json", .lastWriterWins), ("questions_json", .lastWriterWins),
            ("withdrawn", .lastWriterWins),
        ],
        organisationColumn: nil)

    /// Access numbers: removed numbers leave tombstones.
    static let accessNumber = TableRules(
        table: "access_number", keyColumn: "number", kind: .registers,
        fields: [("organisation_code", .lastWriterWins), ("service_option_code", .lastWriterWins), ("label", .lastWriterWins)],
        organisationColumn: nil)

    /// The service calendar (one row).
    static let calendar = TableRules(
        table: "catalogue_calendar", keyColumn: "id", kind: .registers, fields: [("calendar_json", .lastWriterWins)],
        organisationColumn: nil)

    /// Calls: identity fixed at creation; plain fields last-writer-wins; the status only moves forward (a call
    /// closed at one site and referred at another ends closed); the person it is assigned to is safety-critical,
    /// so concurrent assignments are all kept and flagged for a person to resolve.
    static let call = TableRules(
        table: "call", keyColumn: "reference", kind: .registers,
        fields: [
            ("site_code", .immutable), ("organisation_code", .immutable), ("service_option_code", .immutable),
            ("offered_at_ms", .immutable), ("access_number", .lastWriterWins), ("caller_name", .lastWriterWins),
            ("caller_phone", .lastWriterWins), ("address_text", .lastWriterWins), ("uprn", .lastWriterWins),
            ("easting_m", .lastWriterWins), ("northing_m", .lastWriterWins), ("ward", .lastWriterWins),
            ("address_verification", .lastWriterWins), ("details", .lastWriterWins), ("answers_json", .lastWriterWins),
            ("action", .lastWriterWins), ("action_detail", .lastWriterWins),
            ("status", .furthestState(order: ["open", "referred", "closed"])), ("linked_reference", .lastWriterWins),
            ("answered_at_ms", .lastWriterWins), ("ended_at_ms", .lastWriterWins), ("assigned_to", .concurrentValues),
        ],
        organisationColumn: "organisation_code")

    /// A call's timeline: an add-only set; concurrent additions at different sites are all kept.
    static let callEvent = TableRules(
        table: "call_event", keyColumn: "uid", kind: .addOnly,
        fields: [
            ("call_reference", .immutable), ("organisation_code", .immutable), ("at_ms", .immutable),
            ("site_code", .immutable), ("author", .immutable), ("kind", .immutable), ("summary", .immutable),
        ],
        organisationColumn: "organisation_code")

    /// Notes on a call: an add-only set.
    static let callNote = TableRules(
        table: "call_note", keyColumn: "uid", kind: .addOnly,
        fields: [
            ("call_reference", .immutable), ("organisation_code", .immutable), ("at_ms", .immutable),
            ("site_code", .immutable), ("author", .immutable), ("text", .immutable),
        ],
        organisationColumn: "organisation_code")

    /// Every replicated table, parents before children (the order rows are created in).
    static let all: [TableRules] = [
        organisation, serviceOption, accessNumber, calendar, call, callEvent, callNote, outboxMessage, outboxAttempt,
        outboxAttemptResult,
    ]

    static let byName: [String: TableRules] = Dictionary(uniqueKeysWithValues: all.map { ($0.table, $0) })
}
