import Domain
import Foundation
import Mesh
import NightdeskTestSupport
import Store
import Testing

@testable import Node

/// The snapshot a node routes by, from its store and its mesh status (DESIGN.md "Failover and traffic"; 7.1.7).
@Suite struct RoutingViewsTests {
    static let now = Fixtures.london("2026-11-23 21:00")
    static let sites = try! ["WST", "EST", "NTH"].map(SiteCode.init)

    static func peer(_ site: String, health: String, state: String?) -> MeshStatus.Peer {
        MeshStatus.Peer(
            site: site, health: health, lagChangeSets: 0, lagSeconds: 0, lastContactMsAgo: 200, epoch: 1,
            refusal: nil, siteState: state)
    }

    static func status(peers: [MeshStatus.Peer], voting: [String]? = ["WST", "EST", "NTH"]) -> MeshStatus {
        MeshStatus(
            site: "WST", cluster: "test", epoch: 1, listening: "tcp://127.0.0.1:1", writtenAtMs: now.milliseconds,
            held: [:], unsealedChangeSets: 0, peers: peers, rejected: [:], clientsRefused: 0, votingSites: voting)
    }

    @Test func theSnapshotHasHandlersByTrainingCallsInProgressAndEachPeersAnnouncedState() throws {
        let store = try OutboxTestStore()
        let database = store.database
        try database.signIn(handler: HandlerID("wst-a"), name: "Asha Khan", trained: ["EAL", "WAN"], at: Self.now)
        try database.signIn(handler: HandlerID("wst-b"), name: "Ben Jones", trained: ["WAN,EAL"], at: Self.now)
        try database.signIn(handler: HandlerID("wst-c"), name: "Cai Wyn", trained: ["EAL"], at: Self.now)
        for minutesAgo in [5, 10, 45] {
            var draft = try Fixtures.draft()
            draft.offeredAt = Self.now.addingTimeInterval(Double(-60 * minutesAgo))
            _ = try database.logCall(
                draft, author: "wst-a", criteria: try DuplicateCriteria(), at: Self.now)
        }
        let status = Self.status(peers: [
            Self.peer("EST", health: "connected", state: "draining"), Self.peer("NTH", health: "down", state: "up"),
        ])
        let snapshot = try RoutingViews.snapshot(status: status, database: database, now: Self.now, split: nil)
        #expect(snapshot.node == Self.sites[0] && snapshot.votingSites == Self.sites)
        #expect(Set(snapshot.seen) == [Self.sites[0], Self.sites[1]])
        let west = try #require(snapshot.views.first { $0.site == Self.sites[0] })
        #expect(west.state == .up)
        #expect(
            Set(west.handlers) == [
                HandlerGroup(count: 2, trainedFor: [try OrganisationCode("EAL"), try OrganisationCode("WAN")]),
                HandlerGroup(count: 1, trainedFor: [try OrganisationCode("EAL")]),
            ])
        // 45 minutes ago is outside SiteCapacity's 30-minute window: paperwork, not a handler busy.
        #expect(west.calls == [OrganisationCalls(organisation: try OrganisationCode("EAL"), inProgress: 2, queued: 0)])
        #expect(snapshot.views.first { $0.site == Self.sites[1] }?.state == .draining)
        // A peer that is not seen is down, whatever it last announced.
        #expect(snapshot.views.first { $0.site == Self.sites[2] }?.state == .down)

        // Routed: only West takes the call (East is draining, North down).
        let router = try CallRouter(snapshot)
        let answer = router.route(
            RoutedCall(
                organisation: try OrganisationCode("EAL"), option: try ServiceOptionCode("dangerous-structures"),
                standard: .gold, key: RoutingKey(value: 7)))
        #expect(answer.pick == Self.sites[0] && answer.weight(of: Self.sites[0]) == 100)

        // Evacuating this site is seen at once: its own state comes from the store.
        try database.setSiteState(.evacuated, at: Self.now)
        let after = try RoutingViews.snapshot(status: status, database: database, now: Self.now, split: nil)
        #expect(after.views.first { $0.site == Self.sites[0] }?.state == .evacuated)
        #expect(try CallRouter(after).route(
            RoutedCall(
                organisation: try OrganisationCode("EAL"), option: try ServiceOptionCode("dangerous-structures"),
                standard: .gold, key: RoutingKey(value: 7))).pick == nil)
    }

    @Test func handlersAreGroupedByTheSetOfOrganisationsTheyAreTrainedFor() throws {
        let view = try RoutingViews.view(
            site: Self.sites[1], state: .up, trained: [["EAL"], ["EAL"], ["WAN", "EAL"], ["EAL", "WAN"], ["XX!"]],
            calls: ["EAL": 3, "WAN": 0])
        #expect(view.handlersSignedIn == 4)
        #expect(Set(view.handlers.map(\.count)) == [2])
        #expect(view.trained(for: try OrganisationCode("WAN")) == 2)
        #expect(view.calls == [OrganisationCalls(organisation: try OrganisationCode("EAL"), inProgress: 3, queued: 0)])
    }

    @Test func aStatusWithoutVotingSitesOrAStaleOneIsRefusedWithWhatToDo() throws {
        let store = try OutboxTestStore()
        #expect(throws: NodeError.self) {
            try RoutingViews.snapshot(
                status: Self.status(peers: [], voting: nil), database: store.database, now: Self.now, split: nil)
        }
        let folder = try TemporaryFolder()
        let missing = #expect(throws: NodeNotRunning.self) { try LiveStatus.read(folder: folder.path, now: Self.now) }
        #expect(missing?.description.contains("no status file") == true)
        let encoder = JSONEncoder()
        try encoder.encode(Self.status(peers: [])).write(
            to: URL(fileURLWithPath: LiveStatus.path(folder: folder.path)))
        #expect(try LiveStatus.read(folder: folder.path, now: Self.now.addingTimeInterval(5)).site == "WST")
        let stale = #expect(throws: NodeNotRunning.self) {
            try LiveStatus.read(folder: folder.path, now: Self.now.addingTimeInterval(11))
        }
        #expect(stale?.description.contains("last written 11 s ago") == true)
    }

    @Test func aManualSplitIsInStepsOfTenAddingUpTo100AndNamesOnlyVotingSites() throws {
        let split = try RoutingViews.parseSplit("wst=70, EST=30", votingSites: Self.sites)
        #expect(split.percent(for: Self.sites[0]) == 70 && split.percent(for: Self.sites[1]) == 30)
        for bad in ["WST=75,EST=25", "WST=70", "WST=70,XYZ=30", "WST70", ""] {
            #expect(throws: (any Error).self, "\(bad)") { try RoutingViews.parseSplit(bad, votingSites: Self.sites) }
        }
        let folder = try TemporaryFolder()
        #expect(try RoutingViews.readSplit(folder: folder.path) == nil)
        try RoutingViews.writeSplit(split, folder: folder.path)
        #expect(try RoutingViews.readSplit(folder: folder.path) == split)
        try RoutingViews.writeSplit(nil, folder: folder.path)
        #expect(try RoutingViews.readSplit(folder: folder.path) == nil)
    }
}
