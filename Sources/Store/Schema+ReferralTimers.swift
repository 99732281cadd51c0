import GRDB
import Replication

extension Schema {
    /// The migration that adds timer escalations of referrals (5.3.2, 6.4b); registered after v9.
    static let referralTimersMigration = "v10-referral-timers"

    /// `referral_escalation`: a referral's escalation as a node's timer recorded it, keyed `REFERENCE/STEP` so that two
    /// sites recording the same escalation at once write the same row, which merges into one (its fields are
    /// last-writer-wins registers: both sites converge on the later write). Replicated.
    ///
    /// `referral_timer`: local bookkeeping, never replicated: when each referral's next timer action falls due
    /// (`ReferralEscalation.timerDueAt`), so a timer pass reads only the referrals due or changed instead of
    /// rebuilding every open one. Triggers mark a referral `stale` whenever anything its escalation is replayed from
    /// changes, whichever site wrote it (a local change set or one applied from a peer, in the same transaction);
    /// the timer recomputes stale rows.
    static let v10ReferralTimers = """
        CREATE TABLE referral_escalation (
            escalation_key TEXT PRIMARY KEY NOT NULL,
            call_reference TEXT NOT NULL,
            organisation_code TEXT NOT NULL,
            step INTEGER NOT NULL CHECK (step >= 1),
            due_at_ms INTEGER NOT NULL,
            at_ms INTEGER NOT NULL,
            site_code TEXT NOT NULL,
            messages_json TEXT NOT NULL,
            row_clock TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX referral_escalation_by_referral ON referral_escalation(call_reference, step);

        CREATE TABLE referral_timer (
            call_reference TEXT PRIMARY KEY NOT NULL,
            stale INTEGER NOT NULL,
            due_at_ms INTEGER
        );
        CREATE INDEX referral_timer_stale ON referral_timer(call_reference) WHERE stale = 1;
        CREATE INDEX referral_timer_due ON referral_timer(due_at_ms) WHERE due_at_ms IS NOT NULL;
        INSERT INTO referral_timer (call_reference, stale, due_at_ms)
            SELECT call_reference, 1, NULL FROM referral WHERE status != 'acknowledged';

        CREATE TRIGGER referral_timer_on_referral_insert AFTER INSERT ON referral
        BEGIN
            INSERT INTO referral_timer (call_reference, stale, due_at_ms) VALUES (NEW.call_reference, 1, NULL)
            ON CONFLICT(call_reference) DO UPDATE SET stale = 1;
        END;
        CREATE TRIGGER referral_timer_on_referral_update AFTER UPDATE ON referral
        BEGIN
            INSERT INTO referral_timer (call_reference, stale, due_at_ms) VALUES (NEW.call_reference, 1, NULL)
            ON CONFLICT(call_reference) DO UPDATE SET stale = 1;
        END;
        CREATE TRIGGER referral_timer_on_attempt AFTER INSERT ON referral_attempt
        BEGIN
            INSERT INTO referral_timer (call_reference, stale, due_at_ms) VALUES (NEW.call_reference, 1, NULL)
            ON CONFLICT(call_reference) DO UPDATE SET stale = 1;
        END;
        CREATE TRIGGER referral_timer_on_escalation_insert AFTER INSERT ON referral_escalation
        BEGIN
            INSERT INTO referral_timer (call_reference, stale, due_at_ms) VALUES (NEW.call_reference, 1, NULL)
            ON CONFLICT(call_reference) DO UPDATE SET stale = 1;
        END;
        CREATE TRIGGER referral_timer_on_escalation_update AFTER UPDATE ON referral_escalation
        BEGIN
            INSERT INTO referral_timer (call_reference, stale, due_at_ms) VALUES (NEW.call_reference, 1, NULL)
            ON CONFLICT(call_reference) DO UPDATE SET stale = 1;
        END;
        """

    /// The same guard as `v3Guards`, for `referral_escalation`: written only while a change set is applied.
    static var v10Guards: String {
        ["INSERT", "UPDATE", "DELETE"].map { event in
            """
            CREATE TRIGGER referral_escalation_guard_\(event.lowercased()) BEFORE \(event) ON referral_escalation
            WHEN nightdesk_applying() = 0
            BEGIN SELECT RAISE(ABORT, 'referral_escalation is replicated: it is written only by applying a change set'); END;
            """
        }.joined(separator: "\n")
    }
}

extension ReplicatedTables {
    /// A referral's escalation recorded by a node's timer (5.3.2), keyed `REFERENCE/STEP`: the identity is the
    /// (referral, step), so two sites that both record it (their views of the cluster differed) write one row.
    /// Every field is a last-writer-wins register, so the row converges on the later of the two writes at every
    /// site; what both say (the referral, the step) is the same.
    static let referralEscalation = TableRules(
        table: "referral_escalation", keyColumn: "escalation_key", kind: .registers,
        fields: [
            ("call_reference", .immutable), ("organisation_code", .immutable), ("step", .immutable),
            ("due_at_ms", .lastWriterWins), ("at_ms", .lastWriterWins), ("site_code", .lastWriterWins),
            ("messages_json", .lastWriterWins),
        ],
        organisationColumn: "organisation_code")
}
