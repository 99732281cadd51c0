import Domain
import Foundation
import NightdeskTestSupport
import Testing

/// Rotas and procedures as stored documents: the same JSON wherever written, and checked again when read (2.3.3).
@Suite struct RotaCodingTests {
    typealias R = Rotas

    func stable(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test func stagesRoundTripThroughJSONToEqualValuesAndEqualBytes() throws {
        let weekdays = try RestrictionWindow(
            days: RestrictionWindow.weekdays, from: R.time("17:00"), to: R.time("08:00"))
        let stages = [
            R.stage(
                1,
                [
                    R.layer(
                        "nights", priority: 2, length: .days(3), people: ["ann-archer", "ben-baker"],
                        restrictions: [weekdays]),
                    R.layer("cover", priority: 1, length: .hours(12), people: ["cat-cole"], end: "2027-01-04"),
                ]),
            R.stage(2, [R.layer(people: ["mo-manager"])], name: "Manager"),
        ]
        let text = try stable(stages)
        let decoded = try JSONDecoder().decode([RotaStage].self, from: Data(text.utf8))
        #expect(decoded == stages)
        #expect(try stable(decoded) == text)
        #expect(text.contains(#""days":["monday","tuesday","wednesday","thursday","friday"]"#))
        #expect(text.contains(#""length":"3 days""#))
    }

    @Test func aDocumentThatBreaksARuleIsRefusedWhenRead() throws {
        let good = try stable([R.stage(1, [R.layer(people: ["ann-archer"])])])
        // A stage number out of range, a rotation of no people, an unknown length: each is refused on reading.
        for bad in [
            good.replacingOccurrences(of: #""number":1"#, with: #""number":9"#),
            good.replacingOccurrences(of: #"[["ann-archer"]]"#, with: "[]"),
            good.replacingOccurrences(of: #""weekly""#, with: #""fortnightly""#),
        ] {
            #expect(throws: (any Error).self, "\(bad)") {
                try JSONDecoder().decode([RotaStage].self, from: Data(bad.utf8))
            }
        }
    }

    @Test func proceduresAndTargetsReadBackAsWritten() throws {
        let procedure = try EscalationProcedure(
            organisation: R.ealing, option: R.structures,
            steps: [
                EscalationStep(.stage(1), channels: [.phone, .sms], acknowledgementWaitMs: 300_000),
                EscalationStep(.managersOf(stage: 1), channels: [.phone], acknowledgementWaitMs: 0),
            ],
            whenExhausted: EscalationFallback(emergencyContacts: [R.id("mo-manager")], instructions: " Call Mo "))
        let text = try stable(procedure)
        #expect(try JSONDecoder().decode(EscalationProcedure.self, from: Data(text.utf8)) == procedure)
        #expect(text.contains(#""target":"managers of stage 1""#))
        #expect(try EscalationTarget(parsing: "Stage 2") == .stage(2))
        #expect(throws: DomainError.self) { try EscalationTarget(parsing: "stage 0") }
        #expect(throws: DomainError.self) { try EscalationTarget(parsing: "the boss") }
        #expect(try RotaArea(parsing: RotaArea.postcodeDistrict("w5").stored) == RotaArea.postcodeDistrict("W5"))
        #expect(try RotaArea(parsing: "ward:Walpole") == RotaArea.ward("walpole"))
        // The standard procedure escalates through every stage, then the managers of stage 1.
        let standard = EscalationProcedure.standard(organisation: R.ealing, option: R.structures)
        #expect(
            standard.steps.map(\.target) == (1...DomainLimits.rotaStagesMax).map(EscalationTarget.stage) + [
                .managersOf(stage: 1)
            ])
    }

    @Test func aReferralRestartedFromItsSnapshotReplaysToTheSameState() throws {
        let ann = R.contact("Ann Archer", manager: "mo-manager")
        let mo = R.contact("Mo Manager", role: .manager)
        let directory = try R.directory(
            [R.rota("eal-ds", stages: [R.stage(1, [R.layer(people: ["ann-archer"])])])],
            contacts: [ann, mo])
        let ended = R.london("2026-11-23 22:00")
        var live = try ReferralEscalation(
            procedure: .standard(organisation: R.ealing, option: R.structures),
            answer: directory.onCall(organisation: R.ealing, option: R.structures, at: ended), directory: directory,
            callEndedAt: ended)
        let attempts = [
            try ReferralAttempt(contact: ann.id, channel: .phone, at: ended + 60, outcome: .noAnswer),
            try ReferralAttempt(contact: ann.id, channel: .sms, at: ended + 90, outcome: .sent),
        ]
        for attempt in attempts { try live.record(attempt) }
        let text = try stable(live.snapshot)
        var restored = ReferralEscalation(
            snapshot: try JSONDecoder().decode(ReferralPlanSnapshot.self, from: Data(text.utf8)))
        // Given in any order, the attempts replay by time.
        #expect(restored.replay(attempts.reversed()).isEmpty)
        #expect(restored.next(at: ended + 100) == live.next(at: ended + 100))
        #expect(restored.passedAt == live.passedAt)
        #expect(restored.status == .passed)
        // The same step recorded twice is kept out; an answer out of turn still ends the escalation, so the SMS
        // recorded after it moves nothing either.
        var twice = ReferralEscalation(snapshot: live.snapshot)
        let repeated =
            attempts + [
                try ReferralAttempt(contact: ann.id, channel: .phone, at: ended + 61, outcome: .noAnswer),
                try ReferralAttempt(contact: ann.id, channel: .phone, at: ended + 62, outcome: .answered),
            ]
        #expect(twice.replay(repeated) == [1, 2])
        #expect(twice.status == .acknowledged)
        #expect(twice.acknowledgedBy == ann)
    }
}
