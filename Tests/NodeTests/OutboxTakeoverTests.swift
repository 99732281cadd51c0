import Domain
import Foundation
import Logging
import Store
import Testing

@testable import Node

/// The node's part of delivery: which messages a node sends on a tick (`OutboxService.turn`), and how a survivor
/// treats a message whose queueing site was lost mid-send (`OutboxDelivery`, README "the delivery rule").
@Suite struct OutboxTakeoverTests {
    static func site(_ code: String) -> SiteCode { try! SiteCode(code) }
    let west = site("WST")
    let east = site("EST")
    let north = site("NTH")
    let quiet: Logger = {
        var logger = Logger(label: "test.outbox")
        logger.logLevel = .critical
        return logger
    }()

    func election(delivering: Set<SiteCode>? = nil) throws -> DeliveryElection {
        try DeliveryElection(
            timers: try TimerElection(ranked: [west, east, north]), delivering: delivering ?? [west, east, north])
    }

    func turn(_ node: SiteCode, live: Set<SiteCode>, ahead: Set<SiteCode> = [], delivering: Set<SiteCode>? = nil)
        throws -> OutboxService.Turn
    {
        OutboxService.turn(
            node: node, election: try election(delivering: delivering), queuers: [west, east, north], live: live,
            aheadOfThisNode: ahead)
    }

    @Test func eachLiveNodeSendsItsOwnAndTheNextByRankSendsALostSitesMessages() throws {
        let everyone: Set = [west, east, north]
        let listed: Set = ["WST", "EST", "NTH"]
        // The first live delivering site by rank also sends for sites no longer in the topology ("unlisted").
        #expect(try turn(west, live: everyone) == .send(.sitesAndUnlisted(["WST"], listed: listed)))
        #expect(try turn(east, live: everyone) == .send(.sites(["EST"])))
        #expect(try turn(east, live: [east, north]) == .send(.sitesAndUnlisted(["WST", "EST"], listed: listed)))
        #expect(try turn(north, live: [east, north]) == .send(.sites(["NTH"])))
        // A site that does not deliver is passed over: its messages fall to the first delivering site by rank.
        #expect(
            try turn(west, live: everyone, delivering: [west, east])
                == .send(.sitesAndUnlisted(["WST", "NTH"], listed: listed)))
    }

    @Test func aCutOffNodeANodeBehindItsPeersAndANodeThatDoesNotDeliverSendNothing() throws {
        guard case .wait(let cut) = try turn(west, live: [west]) else {
            Issue.record("a cut-off node sends")
            return
        }
        #expect(cut.hasPrefix("cut off"))
        // Back from an outage: its peers hold change sets it has not yet received, which may say "sent".
        guard case .wait(let behind) = try turn(west, live: [west, east, north], ahead: [east]) else {
            Issue.record("a node behind its peers sends")
            return
        }
        #expect(behind.contains("catching up") && behind.contains("EST"))
        guard case .wait(let idle) = try turn(west, live: [west, east, north], delivering: [east, north]) else {
            Issue.record("a site that does not deliver sends")
            return
        }
        #expect(idle.contains("does not deliver"))
    }

    /// West and East stores, change sets carried between them; West queued a message, began an attempt and was
    /// lost before its result.
    struct LostSender {
        let west = try! OutboxTestStore(site: "WST")
        let east = try! OutboxTestStore(site: "EST")
        let message: OutboxMessage
        let attempt: OutboxAttemptID

        init(channel: OutboxChannel, transport: String, startedMsAgo: Int64) throws {
            message = channel == .sms ? try west.queueSMS() : try west.queueEmail()
            attempt = try west.database.beginAttempt(
                message.id, transport: transport, at: Date().addingTimeInterval(-Double(startedMsAgo) / 1000))
            try sync(west, to: east)
        }

        func sync(_ from: OutboxTestStore, to: OutboxTestStore) throws {
            let missing = try from.database.changeSets(missingFrom: try to.database.heldVector(), limit: 10_000)
            _ = try to.database.receive(missing, at: Date())
        }
    }

    func delivery(_ store: OutboxTestStore, _ transports: [OutboxChannel: any MessageTransport]) -> OutboxDelivery {
        OutboxDelivery(
            database: store.database, transports: transports,
            policy: OutboxRetryPolicy(retryDelayMs: 0, interruptedAfterMs: 5_000), logger: quiet)
    }

    @Test func aSurvivorSendsALostSitesMessageOnceThroughItsOwnTransportAndLeavesTheLostAttemptOpen() async throws {
        let lost = try LostSender(channel: .sms, transport: "file", startedMsAgo: 6_000)
        let folder = try TemporaryFolder()
        let file = FileTransport(path: folder.path("east-phone.jsonl"))
        let entries = try await delivery(lost.east, [.sms: file]).run(queuedBy: .sites(["WST"]))
        #expect(entries.map(\.result) == [.sent])
        #expect(entries.first?.takenOverFrom == "WST" && entries.first?.interrupted == lost.attempt)
        let attempts = try lost.east.database.attempts(of: lost.message.id)
        #expect(attempts.map(\.site) == ["WST", "EST"] && attempts.map(\.outcome) == [nil, .sent])
        #expect(try lost.east.message(lost.message.id).sentBySite == "EST")
        // Nothing more to send at either site, even once West is back and holds East's result.
        #expect(try await delivery(lost.east, [.sms: file]).run(queuedBy: .sites(["WST", "EST"])).isEmpty)
        try lost.sync(lost.east, to: lost.west)
        #expect(try await delivery(lost.west, [.sms: file]).run().isEmpty)
        let lines = try String(contentsOfFile: folder.path("east-phone.jsonl"), encoding: .utf8)
        #expect(lines.split(separator: "\n").count == 1)
    }

    @Test func aLostSitesAttemptThatMayStillBeUnderWayIsNotTakenOver() async throws {
        let lost = try LostSender(channel: .sms, transport: "file", startedMsAgo: 1_000)
        let folder = try TemporaryFolder()
        let entries = try await delivery(lost.east, [.sms: FileTransport(path: folder.path("east-phone.jsonl"))])
            .run(queuedBy: .sites(["WST"]))
        #expect(entries.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: folder.path("east-phone.jsonl")))
    }

    @Test func aLostSitesNotifyAttemptIsFoundByReferenceAndNotSentAgain() async throws {
        let lost = try LostSender(channel: .sms, transport: "notify", startedMsAgo: 6_000)
        try await FakeNotify.run { fake in
            let notify = NotifyTransport(
                baseURL: fake.baseURL, key: try NotifyAPIKey(parsing: FakeNotify.apiKey),
                smsTemplateID: FakeNotify.smsTemplate, emailTemplateID: nil)
            // West's Notify took it before West was lost; East asks the same Notify service.
            _ = try await notify.send(lost.message)
            let entries = try await delivery(lost.east, [.sms: notify]).run(queuedBy: .sites(["WST"]))
            #expect(entries.map(\.result) == [.foundSent])
            #expect(fake.received.filter { $0.method == "POST" }.count == 1)
            let attempts = try lost.east.database.attempts(of: lost.message.id)
            #expect(attempts.map(\.site) == ["WST", "EST"] && attempts.map(\.outcome) == [nil, .sent])
        }
    }

    @Test func aLostSitesFileAttemptCannotBeLookedUpFromAnotherSiteSoTheMessageIsSentAtLeastOnce() async throws {
        let lost = try LostSender(channel: .sms, transport: "file", startedMsAgo: 6_000)
        let folder = try TemporaryFolder()
        // West's own file took it before West was lost; East's file is another file and cannot say.
        let westFile = FileTransport(path: folder.path("west-phone.jsonl"))
        _ = try await westFile.send(lost.message)
        let eastFile = FileTransport(path: folder.path("east-phone.jsonl"))
        #expect(!eastFile.lookUpCoversOtherSites)
        let entries = try await delivery(lost.east, [.sms: eastFile]).run(queuedBy: .sites(["WST"]))
        #expect(entries.map(\.result) == [.sent])
        #expect(FileManager.default.fileExists(atPath: folder.path("east-phone.jsonl")))
    }

    @Test func theLastAllowedFailureGivesTheMessageUpAndCountsItFailed() async throws {
        let store = try OutboxTestStore()
        let folder = try TemporaryFolder()
        let message = try store.queueEmail()
        let failing = try FakeSendmail(in: folder, name: "down", exitStatus: 75, standardError: "smtp server down")
        let sender = try MailSender(parsing: "ooh@example.gov.uk")
        let run = delivery(store, [.email: SendmailTransport(path: failing.path, from: sender)])
        var entries: [OutboxDelivery.Entry] = []
        for _ in 1...OutboxLimits.attemptsMax { entries += try await run.run() }
        #expect(entries.map(\.givenUp) == Array(repeating: false, count: OutboxLimits.attemptsMax - 1) + [true])
        #expect(try await run.run().isEmpty)
        #expect(try store.message(message.id).givenUp)
        let metrics = NodeMetrics()
        metrics.outbox(entries)
        #expect(metrics.render().contains("nightdesk_outbox_messages_failed_total 1"))
        #expect(metrics.render().contains("nightdesk_outbox_messages_sent_total 0"))
    }
}
