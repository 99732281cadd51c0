import Domain
import Foundation
import GRDB
import NightdeskTestSupport
import Replication
import Testing

@testable import Store

/// Two or three stores exchanging change sets directly, as the mesh will.
@Suite struct ReplicationStoreTests {
    let now = Fixtures.london("2026-11-23 21:00")

    /// Sends everything `from` holds that `to` lacks; returns what `to` reported.
    @discardableResult
    func sync(_ from: TestDatabase, to: TestDatabase, at instant: Date? = nil) throws -> ReceiveReport {
        let missing = try from.database.changeSets(missingFrom: try to.database.heldVector(), limit: 10_000)
        return try to.database.receive(missing, at: instant ?? now)
    }

    func digests(_ stores: [TestDatabase], organisation: String? = nil) throws -> Set<String> {
        Set(try stores.map { try $0.database.stateDigest(organisation: organisation) })
    }

    @Test func aRawWriteToAReplicatedTableIsRefusedBySQLite() throws {
        let test = try TestDatabase()
        let call = try test.log().call
        let before = try test.database.stateDigest()
        for sql in [
            "UPDATE call SET status = 'closed'", "DELETE FROM call_event",
            "INSERT INTO organisation (code, name, kind, referral_limit_minutes, out_of_scope_categories_json) VALUES ('XYZ', 'x', 'council', 10, '[]')",
            "UPDATE service_option SET withdrawn = 1", "DELETE FROM access_number",
        ] {
            #expect(throws: DatabaseError.self, "\(sql)") { try test.database.write { db in try db.execute(sql: sql) } }
        }
        #expect(try test.database.stateDigest() == before)
        #expect(try test.database.callRecord(call.reference)?.call.status == .open)
    }

    @Test func everyLocalTransactionIsOneChangeSetNumberedWithoutGaps() throws {
        let test = try TestDatabase(gazetteer: false)
        let first = try test.log(uprn: nil).call
        try test.log(uprn: nil)
        try test.database.updateCall(first.reference, CallUpdate(status: .referred, note: "Sent"), author: "amy", at: now)
        // Catalogue load (1), two calls (2, 3), one update (4).
        let west = SiteID("WST")
        #expect(try test.database.heldVector()[west] == OriginSequence(4))
        #expect(try test.database.appliedVector()[west] == OriginSequence(4))
        let sets = try test.database.changeSets(missingFrom: VersionVector(), limit: 100)
        #expect(sets.map(\.sequence.rawValue) == [1, 2, 3, 4])
        #expect(sets[0].scope == .cluster)
        #expect(sets[1].scope == .organisation("EAL"))
        // The update carried only what changed: the status, one event, one note.
        let update = sets[3].operations
        #expect(update.count == 4)
        guard case .upsert(let fields, _) = update[0].action else {
            Issue.record("the update's first operation is \(update[0].action), not an upsert of the call")
            return
        }
        #expect(fields.keys.sorted() == ["status"])
        // Reloading an unchanged catalogue writes nothing.
        let summary = try test.database.loadCatalogue(try Fixtures.catalogue(), at: now)
        #expect(summary.changes == 0)
        #expect(try test.database.heldVector()[west] == OriginSequence(4))
    }

    @Test func twoSitesConvergeAndEachKeepsTheOthersCalls() throws {
        let west = try TestDatabase(site: "WST")
        let east = try TestDatabase(site: "EST")
        let fromWest = try west.log(name: "Jane Smith").call
        let fromEast = try east.log(name: "Raj Patel", uprn: 2).call
        try sync(west, to: east)
        try sync(east, to: west)
        #expect(try digests([west, east]).count == 1)
        #expect(try digests([west, east], organisation: "EAL").count == 1)
        #expect(try west.database.callRecord(fromEast.reference)?.call.caller.name == "Raj Patel")
        #expect(try east.database.searchCalls(CallSearch(callerName: "smith")).map(\.reference) == [fromWest.reference])
        // The other site's timeline entry came too, naming the site where it happened.
        #expect(try west.database.callRecord(fromEast.reference)?.timeline.first?.site == "EST")
    }

    @Test func applyingTheSameChangeSetsAgainChangesNothing() throws {
        let west = try TestDatabase(site: "WST")
        let east = try TestDatabase(site: "EST")
        try west.log()
        let sets = try west.database.changeSets(missingFrom: VersionVector(), limit: 100)
        let first = try east.database.receive(sets, at: now)
        let digest = try east.database.stateDigest()
        let again = try east.database.receive(sets + sets, at: now)
        #expect(first.applied == sets.count)
        #expect(again.applied == 0)
        #expect(again.duplicates == sets.count * 2)
        #expect(try east.database.stateDigest() == digest)
    }

    @Test func aCallClosedAtOneSiteAndReferredAtAnotherEndsClosedEverywhere() throws {
        let west = try TestDatabase(site: "WST")
        let east = try TestDatabase(site: "EST")
        let call = try west.log().call
        try sync(west, to: east)
        try west.database.updateCall(call.reference, CallUpdate(status: .closed), author: "amy", at: now)
        // East has not heard; later by the clock, it refers the call.
        try east.database.updateCall(call.reference, CallUpdate(status: .referred), author: "bo", at: now.addingTimeInterval(30))
        try sync(west, to: east)
        try sync(east, to: west)
        #expect(try west.database.callRecord(call.reference)?.call.status == .closed)
        #expect(try east.database.callRecord(call.reference)?.call.status == .closed)
        #expect(try digests([west, east]).count == 1)
        // Both status changes stay on the timeline: an add-only set keeps concurrent additions.
        let kinds = try #require(try west.database.callRecord(call.reference)).timeline.map(\.kind)
        #expect(kinds.filter { $0 == .statusChanged }.count == 2)
    }

    @Test func concurrentAssignmentsAreKeptAndFlaggedUntilAPersonResolvesThem() throws {
        let west = try TestDatabase(site: "WST")
        let east = try TestDatabase(site: "EST")
        let call = try west.log().call
        try sync(west, to: east)
        try west.database.updateCall(call.reference, CallUpdate(assignTo: "Officer Adams"), author: "amy", at: now)
        try east.database.updateCall(call.reference, CallUpdate(assignTo: "Officer Brown"), author: "bo", at: now)
        try sync(west, to: east)
        try sync(east, to: west)
        for store in [west, east] {
            #expect(try store.database.callRecord(call.reference)?.call.assignedTo.sorted() == ["Officer Adams", "Officer Brown"])
        }
        #expect(try digests([west, east]).count == 1)
        // A supervisor at West picks one; that replaces both values it saw.
        try west.database.updateCall(call.reference, CallUpdate(assignTo: "Officer Brown"), author: "sup", at: now.addingTimeInterval(60))
        try sync(west, to: east)
        for store in [west, east] {
            #expect(try store.database.callRecord(call.reference)?.call.assignedTo == ["Officer Brown"])
        }
        #expect(try digests([west, east]).count == 1)
    }

    @Test func aChangeSetWaitsForWhatItDependsOnAndGapsAreReported() throws {
        let west = try TestDatabase(site: "WST")
        let east = try TestDatabase(site: "EST")
        let call = try west.log().call
        try west.database.updateCall(call.reference, CallUpdate(note: "second"), author: "amy", at: now)
        try west.database.updateCall(call.reference, CallUpdate(note: "third"), author: "amy", at: now)
        let sets = try west.database.changeSets(missingFrom: VersionVector(), limit: 100)  // catalogue, log, note, note
        // Deliver all but the call's creation: nothing that needs it can apply, and the gap is reported.
        let partial = try east.database.receive([sets[0], sets[3], sets[2]], at: now)
        #expect(partial.stored == 3)
        #expect(partial.applied == 1)
        let gaps = try east.database.gaps()
        #expect(gaps.count == 1)
        #expect(gaps.first?.origin == SiteID("WST") && gaps.first?.missing == 2...2)
        #expect(try east.database.callRecord(call.reference) == nil)
        let rest = try east.database.receive([sets[1]], at: now)
        #expect(rest.applied == 3)
        #expect(try east.database.gaps().isEmpty)
        #expect(try east.database.callRecord(call.reference)?.notes.map(\.text) == ["second", "third"])
    }

    @Test func aSiteWhoseClockIsTooFarAheadIsQuarantinedUntilTimeCatchesUp() throws {
        let west = try TestDatabase(site: "WST")
        let east = try TestDatabase(site: "EST")
        // East's wall clock runs two minutes fast.
        let ahead = now.addingTimeInterval(120)
        var draft = try Fixtures.draft(at: "2026-11-23 21:02")
        draft.caller = try Caller(name: "Fast Clock", phone: nil)
        _ = try east.database.logCall(draft, author: "bo", criteria: try DuplicateCriteria(), at: ahead)
        let report = try sync(east, to: west, at: now)
        #expect(report.quarantined.count == 1)
        #expect(try west.database.quarantined().count == 1)
        #expect(try west.database.quarantined().first?.reason.contains("ahead") == true)
        #expect(try west.database.searchCalls(CallSearch(callerName: "fast")).isEmpty)
        #expect(try west.database.lastClock()?.physicalMs ?? 0 < ahead.milliseconds)
        // A minute and a half later East's clock is within the bound: the set is released and applied.
        let later = try west.database.receive([], at: now.addingTimeInterval(90))
        #expect(later.applied >= 1)
        #expect(try west.database.searchCalls(CallSearch(callerName: "fast")).count == 1)
        #expect(try west.database.quarantined().isEmpty)
    }

    @Test func theClockNeverGoesBackAcrossARestartWithTheWallClockBehind() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nightdesk-restart-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("nightdesk.sqlite").path
        var last: HybridTimestamp
        do {
            let database = try AppDatabase(path: path)
            try database.initialise(site: try SiteCode("WST"), at: now)
            try database.loadCatalogue(try Fixtures.catalogue(), at: now)
            last = try #require(try database.lastClock())
        }
        let reopened = try AppDatabase(path: path)
        var draft = try Fixtures.draft()
        draft.caller = try Caller(name: "After Restart", phone: nil)
        // The machine comes back with its clock an hour slow.
        _ = try reopened.logCall(draft, author: "amy", criteria: try DuplicateCriteria(), at: now.addingTimeInterval(-3_600))
        let next = try #require(try reopened.lastClock())
        #expect(next > last)
        let sets = try reopened.changeSets(missingFrom: VersionVector(), limit: 10)
        #expect(sets.map(\.timestamp) == sets.map(\.timestamp).sorted())
    }

    @Test func aDeletedAccessNumberStaysDeletedAndItsTombstoneGoesOnceEverySiteHasIt() throws {
        let west = try TestDatabase(site: "WST")
        let east = try TestDatabase(site: "EST")
        try sync(west, to: east)
        try sync(east, to: west)
        let fewerNumbers = try Fixtures.document { object in
            var organisations = object["organisation"] as! [[String: Any]]
            organisations[0]["accessNumber"] = [["number": "+442079460001", "label": "Main"]]
            object["organisation"] = organisations
        }.makeCatalogue()
        try west.database.loadCatalogue(fewerNumbers, at: now)
        try sync(west, to: east)
        let noise = try PhoneNumber(parsing: "02079460002")
        #expect(try east.database.catalogue().accessNumber(noise) == nil)
        #expect(try east.database.tombstoneCount() == 1)
        #expect(try digests([west, east]).count == 1)
        // Not every site has acknowledged it yet: the tombstone stays.
        #expect(try west.database.purgeTombstones(commonlyHeld: VersionVector.common([try west.database.heldVector(), VersionVector()], sites: [SiteID("WST"), SiteID("EST")])) == 0)
        let everyone = VersionVector.common(
            [try west.database.heldVector(), try east.database.heldVector()], sites: [SiteID("WST"), SiteID("EST")])
        #expect(try west.database.purgeTombstones(commonlyHeld: everyone) == 1)
        #expect(try west.database.tombstoneCount() == 0)
    }

    @Test func aSecondDifferentCopyOfAChangeSetIsRefused() throws {
        let west = try TestDatabase(site: "WST")
        let east = try TestDatabase(site: "EST")
        try west.log()
        let sets = try west.database.changeSets(missingFrom: VersionVector(), limit: 100)
        try east.database.receive(sets, at: now)
        let original = sets[1]
        let forged = ChangeSet(
            origin: original.origin, sequence: original.sequence, timestamp: original.timestamp,
            dependencies: original.dependencies, scope: original.scope,
            operations: [RowOperation(table: "call", key: "WST-222-222Q", action: .upsert(fields: ["details": .text("forged")], supersedes: [:]))])
        let digest = try east.database.stateDigest()
        let report = try east.database.receive([forged], at: now)
        #expect(report.refused.count == 1)
        #expect(try east.database.stateDigest() == digest)
    }

    @Test func digestsDifferExactlyWhenTheDataDoes() throws {
        let west = try TestDatabase(site: "WST")
        let east = try TestDatabase(site: "EST")
        try sync(west, to: east)
        try sync(east, to: west)
        #expect(try digests([west, east]).count == 1)
        try west.log(name: "Only West")
        #expect(try digests([west, east]).count == 2)
        #expect(try digests([west, east], organisation: "EAL").count == 2)
        #expect(try digests([west, east], organisation: "WAN").count == 1)  // other organisations unaffected
        try sync(west, to: east)
        #expect(try digests([west, east]).count == 1)
    }
}
