import Domain
import Foundation
import GRDB
import NightdeskTestSupport
import Replication
import Testing

@testable import Store

/// Contacts, rotas, overrides and procedures kept in the store and replicated (7.5, 14.4, 2.3.3).
@Suite struct RotaStoreTests {
    typealias F = RotaFixtures
    let monday = Fixtures.london("2026-11-23 21:00")

    /// Everything that tells two stores apart: the replicated data and the change log.
    func fingerprint(_ test: TestDatabase) throws -> String {
        "\(try test.database.stateDigest()) \(try test.database.heldVector())"
    }

    @Test func aRotaReadsBackAsItWasSetAndSettingItAgainWritesNothing() throws {
        let test = try TestDatabase()
        try F.setUp(test)
        let rota = F.structuresRota()
        #expect(try test.database.rota(rota.id) == rota)
        #expect(try test.database.rotas(organisation: F.ealing).map(\.id) == [rota.id])
        let before = try fingerprint(test)
        #expect(try test.database.setRota(rota, at: monday) == .unchanged)
        #expect(try fingerprint(test) == before)
        #expect(try test.onCallIDs(at: monday) == ["eal-ann"])
        let changed = F.structuresRota(stage1: ["eal-ben", "eal-dan"])
        #expect(try test.database.setRota(changed, at: monday) == .changed)
        #expect(try test.database.rota(rota.id) == changed)
        #expect(try test.onCallIDs(at: monday) == ["eal-ben"])
        #expect(try test.onCallIDs(stage: 2, at: monday) == ["eal-cat"])
        #expect(try test.database.procedure(organisation: F.ealing, option: F.structures) == F.procedure())
    }

    @Test func anOverrideBeatsTheLayerAndCancellingItRestoresTheLayer() throws {
        let test = try TestDatabase()
        try F.setUp(test)
        #expect(try test.onCallIDs(at: monday) == ["eal-ann"])
        let madeAt = Fixtures.london("2026-11-23 20:00")
        let cover = try RotaOverride.takeShift(
            id: RotaOverrideID("ann-sick"), stage: 1, of: F.id("eal-ann"), by: F.id("eal-dan"),
            startsAt: Fixtures.london("2026-11-23 20:30"), endsAt: Fixtures.london("2026-11-24 09:00"),
            createdAt: madeAt)
        #expect(cover.timing == .lastMinute)
        try test.database.addOverrides([cover], to: RotaID("eal-structures"), at: madeAt)
        #expect(try test.onCallIDs(at: monday) == ["eal-dan"])
        let answer = try test.database.onCall(OnCallQuery(organisation: F.ealing, option: F.structures), at: monday)
        guard case .override(let overrideID, let replacing, _, _) = answer.list?.stage(1)?.people.first?.reason.rule
        else {
            Issue.record("the reason is not the override: \(answer)")
            return
        }
        #expect(overrideID.rawValue == "ann-sick" && replacing == F.id("eal-ann"))
        // Outside the override's period the layer answers again.
        #expect(try test.onCallIDs(at: Fixtures.london("2026-11-24 10:00")) == ["eal-ann"])

        // Cancelled while in force, it ends then: the hour it covered stays on record.
        let cancelled = try test.database.cancelOverride(
            RotaOverrideID("ann-sick"), of: RotaID("eal-structures"), at: monday)
        #expect(cancelled == .endedEarly(at: monday))
        #expect(try test.onCallIDs(at: monday) == ["eal-ann"])
        #expect(try test.onCallIDs(at: Fixtures.london("2026-11-23 20:45")) == ["eal-dan"])
        // An override that has ended is history and cannot be cancelled.
        #expect(throws: DomainError.self) {
            try test.database.cancelOverride(RotaOverrideID("ann-sick"), of: RotaID("eal-structures"), at: monday + 60)
        }

        // A future-dated override cancelled before it starts is removed, with a tombstone.
        let later = try RotaOverride(
            id: RotaOverrideID("xmas"), stage: 2, startsAt: Fixtures.london("2026-12-24 17:00"),
            endsAt: Fixtures.london("2026-12-27 09:00"), contacts: [F.id("eal-dan")], createdAt: monday)
        try test.database.addOverrides([later], to: RotaID("eal-structures"), at: monday)
        #expect(try test.onCallIDs(stage: 2, at: Fixtures.london("2026-12-25 12:00")) == ["eal-dan"])
        #expect(
            try test.database.cancelOverride(RotaOverrideID("xmas"), of: RotaID("eal-structures"), at: monday)
                == .removed)
        #expect(try test.onCallIDs(stage: 2, at: Fixtures.london("2026-12-25 12:00")) == ["eal-cat"])
        #expect(try test.database.tombstoneCount() == 1)
    }

    @Test func aRefusedChangeWritesNothing() throws {
        let test = try TestDatabase()
        try F.setUp(test)
        let before = try fingerprint(test)
        let refusals: [(String, () throws -> Void)] = [
            (
                "a contact who does not exist",
                { try test.database.setRota(F.structuresRota(stage1: ["eal-zed"]), at: self.monday) }
            ),
            (
                "another organisation's contact",
                {
                    try test.database.setRota(F.structuresRota(stage1: ["wan-wes"]), at: self.monday)
                }
            ),
            (
                "an id without the organisation's code",
                {
                    try test.database.setRota(F.structuresRota(id: "structures"), at: self.monday)
                }
            ),
            (
                "an option Wandle does not operate",
                {
                    let rota = try OnCallRota(
                        id: RotaID("wan-structures"), organisation: F.wandle, option: F.structures, name: "x",
                        stages: [RotaStage(number: 1, name: "x", layers: [F.layer(["wan-wes"])])])
                    try test.database.setRota(rota, at: self.monday)
                }
            ),
            (
                "what a rota covers changing",
                {
                    let moved = try OnCallRota(
                        id: RotaID("eal-structures"), organisation: F.ealing, option: F.noise, name: "x",
                        stages: F.structuresRota().stages)
                    try test.database.setRota(moved, at: self.monday)
                }
            ),
            (
                "a manager who does not exist",
                {
                    try test.database.addContact(
                        F.contact("eal-eve", "Eve", number: 805, manager: "eal-nobody"), at: self.monday)
                }
            ),
            ("a contact added twice", { try test.database.addContact(F.ann, at: self.monday) }),
            ("a contact on a rota withdrawn", { try test.database.withdrawContact(F.id("eal-ben"), at: self.monday) }),
            (
                "the manager of current contacts withdrawn",
                { try test.database.withdrawContact(F.id("eal-mo"), at: self.monday) }
            ),
            (
                "an override for a rota that does not exist",
                {
                    let override = try RotaOverride(
                        id: RotaOverrideID("x"), stage: 1, startsAt: self.monday, endsAt: self.monday + 3_600,
                        contacts: [F.id("eal-dan")], createdAt: self.monday)
                    try test.database.addOverrides([override], to: RotaID("eal-nothing"), at: self.monday)
                }
            ),
            (
                "an override for a stage the rota lacks",
                {
                    let override = try RotaOverride(
                        id: RotaOverrideID("x"), stage: 3, startsAt: self.monday, endsAt: self.monday + 3_600,
                        contacts: [F.id("eal-dan")], createdAt: self.monday)
                    try test.database.addOverrides([override], to: RotaID("eal-structures"), at: self.monday)
                }
            ),
            (
                "a procedure naming another organisation's contact",
                {
                    let procedure = try EscalationProcedure(
                        organisation: F.ealing, option: F.structures, steps: F.procedure().steps,
                        whenExhausted: EscalationFallback(emergencyContacts: [F.id("wan-wes")]))
                    try test.database.setProcedure(procedure, at: self.monday)
                }
            ),
        ]
        for (what, attempt) in refusals {
            #expect(throws: (any Error).self, "\(what) is refused") { try attempt() }
            #expect(try fingerprint(test) == before, "refusing \(what) wrote nothing")
        }
        // Withdrawing is allowed once nothing names the contact, and a withdrawn contact cannot go on a rota.
        #expect(try test.database.withdrawContact(F.id("eal-dan"), at: monday))
        #expect(try !test.database.withdrawContact(F.id("eal-dan"), at: monday))
        #expect(throws: DomainError.self) {
            try test.database.setRota(F.structuresRota(stage1: ["eal-dan"]), at: monday)
        }
        #expect(
            try test.database.contacts(organisation: F.ealing).map(\.contact.id.rawValue) == [
                "eal-ann", "eal-ben", "eal-cat", "eal-mo",
            ])
        try test.database.addContact(F.dan, at: monday)
        #expect(try test.database.contact(F.id("eal-dan"))?.withdrawn == false)
    }

    @Test func aRawWriteToARotaTableIsRefusedBySQLite() throws {
        let test = try TestDatabase()
        try F.setUp(test)
        let before = try test.database.stateDigest()
        for sql in [
            "UPDATE oncall_contact SET name = 'x'", "DELETE FROM oncall_rota",
            "UPDATE escalation_procedure SET steps_json = '[]'",
            """
            INSERT INTO rota_override (override_key, rota_id, override_id, organisation_code, stage, starts_at_ms,
                ends_at_ms, contacts_json, created_at_ms, reason)
            VALUES ('eal-structures/x', 'eal-structures', 'x', 'EAL', 1, 0, 1, '["eal-dan"]', 0, '')
            """,
            """
            INSERT INTO referral_attempt (uid, call_reference, organisation_code, at_ms, site_code, author, channel,
                contact_id, outcome)
            VALUES ('x', 'WST-222-222Q', 'EAL', 0, 'WST', 'x', 'phone', 'eal-ann', 'answered')
            """,
        ] {
            #expect(throws: DatabaseError.self, "\(sql)") { try test.database.write { db in try db.execute(sql: sql) } }
        }
        #expect(try test.database.stateDigest() == before)
    }

    @Test func rotasReplicateAndTheOtherSitesLookupsSeeTheChangeAtOnce() throws {
        let west = try TestDatabase(site: "WST", gazetteer: false)
        let east = try TestDatabase(site: "EST", gazetteer: false)
        func sync(_ from: TestDatabase, _ to: TestDatabase) throws {
            let missing = try from.database.changeSets(missingFrom: try to.database.heldVector(), limit: 10_000)
            let report = try to.database.receive(missing, at: monday)
            #expect(report.refused.isEmpty && report.quarantined.isEmpty, "\(report)")
        }
        try F.setUp(west)
        try sync(west, east)
        // The east site looks up before and after a last-minute change made in the west: its cached directory
        // must not hide the change.
        #expect(try east.onCallIDs(at: monday) == ["eal-ann"])
        let swap = try RotaOverride.swap(
            ids: (RotaOverrideID("swap"), RotaOverrideID("swap-back")), stage: 1,
            (F.id("eal-ann"), Fixtures.london("2026-11-23 17:00"), Fixtures.london("2026-11-24 09:00")),
            (F.id("eal-ben"), Fixtures.london("2026-11-30 09:00"), Fixtures.london("2026-11-30 17:00")),
            createdAt: monday)
        try west.database.addOverrides(swap, to: RotaID("eal-structures"), at: monday)
        try sync(west, east)
        #expect(try east.onCallIDs(at: monday) == ["eal-ben"])
        #expect(try east.onCallIDs(at: Fixtures.london("2026-11-30 12:00")) == ["eal-ann"])
        // Concurrent edits at both sites converge.
        try east.database.updateContact(
            try OnCallContact(
                id: F.id("eal-cat"), organisation: F.ealing, name: "Cat Cole-Smith", role: .dutyOfficer,
                phone: F.cat.phone, manager: F.id("eal-mo")), at: monday + 1)
        try west.database.setRota(F.structuresRota(stage1: ["eal-ben", "eal-ann"]), at: monday + 2)
        try sync(west, east)
        try sync(east, west)
        #expect(try west.database.stateDigest() == east.database.stateDigest())
        #expect(try west.database.stateDigest(organisation: "EAL") == east.database.stateDigest(organisation: "EAL"))
        for site in [west, east] {
            #expect(try site.database.contact(F.id("eal-cat"))?.contact.name == "Cat Cole-Smith")
            #expect(try site.onCallIDs(at: Fixtures.london("2026-11-24 12:00")) == ["eal-ben"])
            #expect(try site.database.onCallDirectory().problems.isEmpty)
        }
        // Every write of an organisation's rota data is scoped to that organisation, for sealing (7.10).
        let sets = try west.database.changeSets(missingFrom: VersionVector(), limit: 1_000)
            .filter { $0.origin == SiteID("WST") && $0.sequence > OriginSequence(1) }
        #expect(
            !sets.isEmpty && sets.allSatisfy { $0.scope == .organisation("EAL") || $0.scope == .organisation("WAN") })
    }

    @Test func theDirectoryIsBuiltOnceUntilWhatItIsBuiltFromChanges() throws {
        let test = try TestDatabase()
        try F.setUp(test)
        let cache = test.database.rotaDirectoryCache
        let key = try test.database.read { db in try test.database.directoryKey(db) }
        // Writes check against a directory they build themselves: only a lookup of committed rows is kept.
        #expect(cache.value(key: key) == nil)
        #expect(try test.onCallIDs(at: monday) == ["eal-ann"])
        #expect(cache.value(key: key) != nil)
        try test.database.setRota(F.structuresRota(stage1: ["eal-ben", "eal-ann"]), at: monday)
        let changed = try test.database.read { db in try test.database.directoryKey(db) }
        #expect(changed != key)
        #expect(cache.value(key: changed) == nil)
        #expect(try test.onCallIDs(at: monday) == ["eal-ben"])
        // Reloading the catalogue (whose calendar the directory uses) also makes a new key.
        try test.database.loadCatalogue(try Fixtures.catalogue(), at: monday)
        #expect(try test.database.read { db in try test.database.directoryKey(db) } != changed)
    }

    @Test func gapsAndMonthlyHoursComeFromTheStoredRotas() throws {
        let test = try TestDatabase()
        try F.setUp(test)
        // Ealing's noise patrol has hours and no rota: every open hour is a gap.
        let gaps = try test.database.rotaGaps(
            organisation: F.ealing, from: Fixtures.london("2026-11-27 00:00"), to: Fixtures.london("2026-11-28 00:00"))
        #expect(gaps.contains { $0.option == F.noise })
        #expect(!gaps.contains { $0.option == F.structures })
        let totals = try test.database.onCallTotals(organisation: F.ealing, month: LocalMonth(parsing: "2026-11"))
        let seconds = Dictionary(uniqueKeysWithValues: totals.map { ($0.contact.rawValue, $0.seconds) })
        let november: Int64 = 30 * 86_400
        #expect(seconds["eal-cat"] == november)
        #expect((seconds["eal-ann"] ?? 0) + (seconds["eal-ben"] ?? 0) == november)
    }
}
