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

    /// Access numbers: removed numbers leave tombstones. The IVR menu (v11) is one register, edited as a whole.
    static let accessNumber = TableRules(
        table: "access_number", keyColumn: "number", kind: .registers,
        fields: [
            ("organisation_code", .lastWriterWins), ("service_option_code", .lastWriterWins), ("label", .lastWriterWins),
            ("ivr_menu_json", .lastWriterWins),
        ],
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

    // On-call rotas and referrals (v6). Contacts, rotas, overrides and procedures are Regularly Variable Data (2.3.3):
    // each write carries every field of its row, so a row merges as a whole, the last writer winning.

    /// On-call Duty Staff and contractors; a contact is withdrawn, not deleted, so past referrals still name them.
    static let oncallContact = TableRules(
        table: "oncall_contact", keyColumn: "contact_id", kind: .registers,
        fields: [
            ("organisation_code", .immutable), ("name", .lastWriterWins), ("role", .lastWriterWins),
            ("phone", .lastWriterWins), ("mobile", .lastWriterWins), ("email", .lastWriterWins),
            ("pager", .lastWriterWins), ("manager_id", .lastWriterWins), ("withdrawn", .lastWriterWins),
        ],
        organisationColumn: "organisation_code")

    /// A rota: what it covers is fixed when it is made; its stages, layers and rotations are one document, edited as
    /// a whole (7.5).
    static let oncallRota = TableRules(
        table: "oncall_rota", keyColumn: "rota_id", kind: .registers,
        fields: [
            ("organisation_code", .immutable), ("service_option_code", .immutable), ("sub_category", .immutable),
            ("area", .immutable), ("name", .lastWriterWins), ("stages_json", .lastWriterWins),
        ],
        organisationColumn: "organisation_code")

    /// A change to who is on call (14.4), keyed `rota/override`; one cancelled before it starts is removed with a
    /// tombstone, one cancelled while in force has its end brought forward.
    static let rotaOverride = TableRules(
        table: "rota_override", keyColumn: "override_key", kind: .registers,
        fields: [
            ("rota_id", .immutable), ("override_id", .immutable), ("organisation_code", .immutable),
            ("stage", .lastWriterWins), ("starts_at_ms", .lastWriterWins), ("ends_at_ms", .lastWriterWins),
            ("contacts_json", .lastWriterWins), ("replacing_id", .lastWriterWins), ("created_at_ms", .lastWriterWins),
            ("reason", .lastWriterWins),
        ],
        organisationColumn: "organisation_code")

    /// An organisation's Escalation Procedure for one Service Option (5.3.2), keyed `ORG/option`.
    static let escalationProcedure = TableRules(
        table: "escalation_procedure", keyColumn: "procedure_key", kind: .registers,
        fields: [
            ("organisation_code", .immutable), ("service_option_code", .immutable), ("steps_json", .lastWriterWins),
            ("fallback_json", .lastWriterWins),
        ],
        organisationColumn: "organisation_code")

    /// A referral of a call to On-call Duty Staff (6.4b), keyed by the call's reference. Its status only moves
    /// forward, open < passed < acknowledged (`ReferralStatus`): a referral acknowledged at one site is never made
    /// outstanding again by a late message from another. The plan is fixed when the referral is made.
    static let referral = TableRules(
        table: "referral", keyColumn: "call_reference", kind: .registers,
        fields: [
            ("organisation_code", .immutable), ("service_option_code", .immutable), ("site_code", .lastWriterWins),
            ("author", .lastWriterWins), ("created_at_ms", .lastWriterWins), ("call_ended_at_ms", .lastWriterWins),
            ("deadline_ms", .lastWriterWins), ("plan_json", .lastWriterWins),
            ("status", .furthestState(order: ["open", "passed", "acknowledged"])), ("passed_at_ms", .lastWriterWins),
            ("acknowledged_by", .lastWriterWins),
        ],
        organisationColumn: "organisation_code")

    /// Attempts to pass a referral (by phone, SMS, email or pager): an add-only set, so attempts recorded at two
    /// sites at once are both kept; every site replays them in the same order.
    static let referralAttempt = TableRules(
        table: "referral_attempt", keyColumn: "uid", kind: .addOnly,
        fields: [
            ("call_reference", .immutable), ("organisation_code", .immutable), ("at_ms", .immutable),
            ("site_code", .immutable), ("author", .immutable), ("channel", .immutable), ("contact_id", .immutable),
            ("outcome", .immutable),
        ],
        organisationColumn: "organisation_code")

    /// A lone-worker session's start (5.2.3.6), keyed by its call's reference: fixed when the officer first calls.
    static let loneWorkerSession = TableRules(
        table: "lone_worker_session", keyColumn: "call_reference", kind: .registers,
        fields: [
            ("organisation_code", .immutable), ("staff_id", .immutable), ("manager_id", .immutable),
            ("officer_name", .immutable), ("caller_phone", .immutable), ("location", .immutable), ("task", .immutable),
            ("started_at_ms", .immutable), ("expected_duration_ms", .immutable),
            ("acknowledgement_window_ms", .immutable), ("code_hash", .immutable), ("duress_hash", .immutable),
        ],
        organisationColumn: "organisation_code")

    /// What was recorded about a session (check-ins, alerts, acknowledgements, check-outs, resolutions): an add-only
    /// set, so facts recorded at two sites at once are all kept; earliest-wins fields are read as the minimum.
    static let loneWorkerFact = TableRules(
        table: "lone_worker_fact", keyColumn: "uid", kind: .addOnly,
        fields: [
            ("call_reference", .immutable), ("organisation_code", .immutable), ("kind", .immutable),
            ("at_ms", .immutable), ("site_code", .immutable), ("author", .immutable), ("payload_json", .immutable),
        ],
        organisationColumn: "organisation_code")

    /// Every replicated table, parents before children (the order rows are created in).
    static let all: [TableRules] = [
        organisation, serviceOption, accessNumber, calendar, call, callEvent, callNote, oncallContact, oncallRota,
        rotaOverride, escalationProcedure, referral, referralAttempt, outboxMessage, outboxAttempt, outboxAttemptResult,
        loneWorkerSession, loneWorkerFact, handler, announcement, announcementLive, referralEscalation, lineTest,
    ]

    static let byName: [String: TableRules] = Dictionary(uniqueKeysWithValues: all.map { ($0.table, $0) })
}
