import Domain
import Foundation
import GRDB
import NightdeskTestSupport
import Replication
import Testing

@testable import Store

/// Handlers signing in, this site's capacity and state, and announcements with where each version went live
/// (7.1.10, 5.1.3): written only through change sets, merged the same at every site.
@Suite struct SitesStoreTests {
    static let now = Fixtures.london("2026-11-23 21:00")

    func changeCount(_ test: TestDatabase) throws -> Int {
        try test.database.changeSets(missingFrom: VersionVector(), limit: 10_000).count
    }

    /// Sends `from`'s change sets that `to` lacks, as the mesh would.
    func sync(_ from: TestDatabase, to: TestDatabase, at instant: Date = now) throws {
        let held = try to.database.changeSets(missingFrom: VersionVector(), limit: 10_000)
        var vector = VersionVector()
        for set in held { vector = vector.merged(with: VersionVector([set.origin: set.sequence])) }
        _ = try to.database.receive(try from.database.changeSets(missingFrom: vector, limit: 10_000), at: instant)
    }

    @Test func aSignInIsRecordedAtThisSiteWithItsTrainingAndCountsAsCapacity() throws {
        let test = try TestDatabase(site: "WST", gazetteer: false)
        let handler = try test.database.signIn(
            handler: HandlerID("wst-akhan"), name: " Asha Khan ", trained: ["eal, WAN", "EAL"], at: Self.now)
        #expect(handler.site == "WST" && handler.name == "Asha Khan" && handler.trained == ["EAL", "WAN"])
        try test.database.signIn(handler: HandlerID("wst-bjones"), name: "Ben Jones", trained: ["EAL"], at: Self.now)
        let capacity = try test.database.siteCapacity(at: Self.now, callsInProgressWindowMs: 30 * 60_000)
        #expect(capacity.handlersSignedIn == 2)
        #expect(capacity.trainedByOrganisation == ["EAL": 2, "WAN": 1])
        #expect(try test.database.handlers(site: "WST").map(\.id) == ["wst-akhan", "wst-bjones"])
        try test.database.signOut(handler: HandlerID("wst-akhan"), at: Self.now.addingTimeInterval(60))
        let after = try test.database.siteCapacity(at: Self.now, callsInProgressWindowMs: 30 * 60_000)
        #expect(after.handlersSignedIn == 1 && after.trainedByOrganisation == ["EAL": 1])
        #expect(try test.database.handlers().map(\.id) == ["wst-bjones"])
        #expect(try test.database.handlers(includeSignedOut: true).count == 2)
    }

    @Test func badSignInsAreRefusedWithTheReasonAndWriteNothing() throws {
        let test = try TestDatabase(gazetteer: false)
        let before = try changeCount(test)
        let id = try HandlerID("wst-akhan")
        let unknown = #expect(throws: DomainErrors.self) {
            try test.database.signIn(handler: id, name: "Asha Khan", trained: ["EAL,XYZ"], at: Self.now)
        }
        #expect(unknown?.errors.first?.message.contains("'XYZ', which is not an organisation") == true)
        let empty = #expect(throws: DomainError.self) {
            try test.database.signIn(handler: id, name: "Asha Khan", trained: [" , "], at: Self.now)
        }
        #expect(empty?.message.contains("--trained lists no organisation") == true)
        #expect(throws: DomainError.self) { try test.database.signIn(handler: id, name: "  ", trained: ["EAL"], at: Self.now) }
        #expect(throws: DomainError.self) { try HandlerID("Asha Khan!") }
        let notSignedIn = #expect(throws: DomainError.self) { try test.database.signOut(handler: id, at: Self.now) }
        #expect(notSignedIn?.kind == .notFound)
        #expect(try changeCount(test) == before)
        // Handler rows are replicated: nothing writes them but a change set.
        #expect(throws: DatabaseError.self) {
            try test.database.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO handler (handler_id, name, site_code, trained_json, signed_in, changed_at_ms)
                        VALUES ('x', 'X', 'WST', '[]', 1, 0)
                        """)
            }
        }
    }

    @Test func signingInAtAnotherSiteMovesTheHandlerThereAtEverySite() throws {
        let west = try TestDatabase(site: "WST", gazetteer: false)
        let east = try TestDatabase(site: "EST", gazetteer: false)
        let id = try HandlerID("akhan")
        try west.database.signIn(handler: id, name: "Asha Khan", trained: ["EAL"], at: Self.now)
        try sync(west, to: east)
        #expect(try east.database.handlers().map(\.site) == ["WST"])
        #expect(try east.database.siteCapacity(at: Self.now, callsInProgressWindowMs: 60_000).handlersSignedIn == 0)
        let later = Self.now.addingTimeInterval(600)
        try east.database.signIn(handler: id, name: "Asha Khan", trained: ["EAL", "WAN"], at: later)
        try sync(east, to: west, at: later)
        for test in [west, east] {
            let handlers = try test.database.handlers()
            #expect(handlers.map(\.site) == ["EST"] && handlers.first?.trained == ["EAL", "WAN"])
        }
        #expect(try west.database.siteCapacity(at: Self.now, callsInProgressWindowMs: 60_000).handlersSignedIn == 0)
        #expect(try east.database.siteCapacity(at: Self.now, callsInProgressWindowMs: 60_000).handlersSignedIn == 1)
        #expect(try west.database.stateDigest() == east.database.stateDigest())
    }

    @Test func callsInProgressAreThisSitesOpenCallsWithinTheWindow() throws {
        let test = try TestDatabase(site: "WST")
        try test.log(at: "2026-11-23 20:50")  // 10 minutes before: in progress
        try test.log(at: "2026-11-23 20:00")  // an hour before: outside a 30-minute window
        let closed = try test.log(at: "2026-11-23 20:55")
        try test.database.updateCall(
            closed.call.reference, CallUpdate(status: .closed), author: "wst-akhan", at: Self.now)
        let capacity = try test.database.siteCapacity(at: Self.now, callsInProgressWindowMs: 30 * 60_000)
        #expect(capacity.callsInProgress == 1)
    }

    @Test func theSiteStateIsUpUntilSetAndIsNotReplicated() throws {
        let test = try TestDatabase(gazetteer: false)
        #expect(try test.database.siteState() == .up)
        let before = try changeCount(test)
        try test.database.setSiteState(.draining, at: Self.now)
        #expect(try test.database.siteState() == .draining)
        try test.database.setSiteState(.up, at: Self.now)
        #expect(try test.database.siteState() == .up)
        #expect(try changeCount(test) == before)
    }

    @Test func anAnnouncementIsLiveWhereDeployedAndRecordsLiveAtEachSiteItReaches() throws {
        let west = try TestDatabase(site: "WST", gazetteer: false)
        let east = try TestDatabase(site: "EST", gazetteer: false)
        let deployed = try west.database.setAnnouncement(
            organisation: "eal", option: nil, text: "Flooding in West Ealing: we know, crews are on their way.",
            until: Self.now.addingTimeInterval(3_600), at: Self.now)
        #expect(deployed.id.hasPrefix("WST-") && deployed.organisation == "EAL" && deployed.option == nil)
        #expect(deployed.live.map(\.site) == ["WST"] && deployed.live.first?.afterMs == 0)
        #expect(try west.database.recordAnnouncementsLive(at: Self.now) == 0)  // already live here

        try sync(west, to: east)
        let arrival = Self.now.addingTimeInterval(2.5)
        #expect(try east.database.recordAnnouncementsLive(at: arrival) == 1)
        #expect(try east.database.recordAnnouncementsLive(at: arrival) == 0)
        try sync(east, to: west)
        let shown = try west.database.announcement(id: deployed.id)
        #expect(shown.live.map(\.site) == ["WST", "EST"])
        #expect(shown.live.map(\.afterMs) == [0, 2_500])
        #expect(try west.database.announcements(at: Self.now).map(\.id) == [deployed.id])
        #expect(try west.database.announcements(at: Self.now.addingTimeInterval(3_601)).isEmpty)  // expired
        #expect(try west.database.stateDigest() == east.database.stateDigest())
    }

    @Test func theLastDeploymentWinsPerOrganisationAndOptionAndAClearingIsAVersionToo() throws {
        let west = try TestDatabase(site: "WST", gazetteer: false)
        let east = try TestDatabase(site: "EST", gazetteer: false)
        let first = try west.database.setAnnouncement(
            organisation: "EAL", option: "noise-patrol", text: "First", until: nil, at: Self.now)
        let second = try east.database.setAnnouncement(
            organisation: "EAL", option: "noise-patrol", text: "Second", until: nil, at: Self.now.addingTimeInterval(1))
        let other = try west.database.setAnnouncement(
            organisation: "EAL", option: nil, text: "Every option", until: nil, at: Self.now)
        try sync(west, to: east)
        try sync(east, to: west)
        for test in [west, east] {
            let playing = try test.database.announcements(at: Self.now.addingTimeInterval(2))
            #expect(Set(playing.map(\.id)) == [second.id, other.id])
        }
        // The replaced version keeps where it went live, but is no longer current.
        let replaced = try west.database.announcement(id: first.id)
        #expect(!replaced.current && replaced.live.map(\.site) == ["WST"])

        let cleared = try west.database.clearAnnouncement(
            organisation: "EAL", option: "noise-patrol", at: Self.now.addingTimeInterval(5))
        #expect(cleared.cleared)
        #expect(try west.database.announcements(at: Self.now.addingTimeInterval(6)).map(\.id) == [other.id])
        let again = #expect(throws: DomainError.self) {
            try west.database.clearAnnouncement(organisation: "EAL", option: "noise-patrol", at: Self.now)
        }
        #expect(again?.message.contains("nothing to clear") == true)
    }

    @Test func badAnnouncementsAreRefusedWithTheReasonAndWriteNothing() throws {
        let test = try TestDatabase(gazetteer: false)
        let before = try changeCount(test)
        func refusal(_ organisation: String, _ option: String?, _ text: String, _ until: Date?) -> String? {
            #expect(throws: DomainError.self) {
                try test.database.setAnnouncement(
                    organisation: organisation, option: option, text: text, until: until, at: Self.now)
            }?.message
        }
        #expect(refusal("XYZ", nil, "Text", nil)?.contains("'XYZ' is not an organisation") == true)
        #expect(refusal("EAL", "potholes", "Text", nil)?.contains("operates no Service Option 'potholes'") == true)
        #expect(refusal("EAL", nil, "   ", nil)?.contains("--text is empty") == true)
        let long = String(repeating: "a", count: DomainLimits.announcementTextCharactersMax + 1)
        #expect(refusal("EAL", nil, long, nil)?.contains("over the limit of") == true)
        #expect(refusal("EAL", nil, "Text", Self.now.addingTimeInterval(-60))?.contains("not in the future") == true)
        #expect(refusal("EAL", nil, "Text", Self.now.addingTimeInterval(90 * 86_400))?.contains("days away") == true)
        #expect(throws: DomainError.self) { try test.database.announcement(id: "WST-999") }
        #expect(try changeCount(test) == before)
    }
}
