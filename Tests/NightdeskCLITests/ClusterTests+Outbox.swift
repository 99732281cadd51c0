import Foundation
import NightdeskTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The nodes deliver the replicated outbox themselves (6.4b, 8.9): the queueing site while it is live, a survivor
/// when it is lost, each message once in total across every site's transport — real `node run` processes on
/// 127.0.0.1, each with its own data folder and its own file transport.
@Suite(.serialized) struct ClusterOutboxTests {
    static let sites = ["WST", "EST", "NTH"]

    func enqueueEmail(_ cluster: TestCluster, at code: String, subject: String) throws -> String {
        let result = try cluster.run(
            code,
            [
                "outbox", "enqueue", "--po", "EAL", "--channel", "email", "--to", "duty.officer@ealing.gov.uk",
                "--subject", subject, "--body", "Wall bowing over the pavement.", "--json",
            ])
        try #require(result.status == 0, "\(result)")
        struct Queued: Decodable { let id: String }
        return try decode(Queued.self, result.stdout).id
    }

    func logs(_ cluster: TestCluster) -> String {
        Self.sites.map { "--- \($0)\n\(cluster.log($0))" }.joined(separator: "\n")
    }

    @Test func aMessageQueuedAtOneSiteIsDeliveredOnceInTotalByTheSiteThatQueuedIt() async throws {
        let cluster = try TestCluster(Self.sites)
        try cluster.deliver(by: Self.sites)
        for code in Self.sites { try cluster.start(code) }
        #expect(
            try await cluster.eventually {
                try cluster.status("WST")?.peers.allSatisfy { $0.health == "connected" } ?? false
            }, "\(logs(cluster))")
        let id = try enqueueEmail(cluster, at: "WST", subject: "Referral WST-222-223Z: Dangerous structures")
        #expect(
            try await cluster.eventually {
                try Self.sites.allSatisfy { try cluster.show($0, id)?.message.status == "sent" }
            }, "\(logs(cluster))")
        // Time for a second sender, if there were one, to act.
        try await Task.sleep(for: .seconds(3))
        #expect(cluster.deliveries(of: id, at: Self.sites) == 1, "\(logs(cluster))")
        #expect(cluster.deliveries(of: id, at: ["WST"]) == 1)
        for code in Self.sites {
            let shown = try #require(try cluster.show(code, id))
            #expect(shown.message.sentBySite == "WST" && shown.message.createdBySite == "WST", "\(code)")
            #expect(shown.attempts.map(\.site) == ["WST"] && shown.attempts.map(\.outcome) == ["sent"], "\(code)")
        }
        // `outbox list` says who sent it.
        let listed = try cluster.run("NTH", ["outbox", "list"])
        #expect(listed.stdout.contains("\(id)  sent") && listed.stdout.contains("sent by WST"), "\(listed)")
    }

    @Test func aSurvivorDeliversOnceAMessageWhoseSiteWasKilledMidSendAndTheSiteDoesNotResendItOnRestart()
        async throws
    {
        let cluster = try TestCluster(Self.sites)
        let hanging = try HangingSendmail(in: cluster.path("."))
        // West mails through a command that hangs; its time limit (8 s) is below the interruption bound (10 s).
        try cluster.deliver(
            by: Self.sites,
            email: [
                "WST": """
                    [transports.sendmail]
                    from = "ooh@example.gov.uk"
                    path = "\(hanging.path)"
                    timeoutMs = 8000

                    """
            ])
        let metricsPort = try freeLoopbackPort()
        try cluster.start("WST")
        try cluster.start("EST", extraConfig: "metrics = \"127.0.0.1:\(metricsPort)\"\n")
        try cluster.start("NTH")
        #expect(
            try await cluster.eventually {
                try cluster.status("WST")?.peers.allSatisfy { $0.health == "connected" } ?? false
            }, "\(logs(cluster))")
        let id = try enqueueEmail(cluster, at: "WST", subject: "Referral WST-222-223Z: Dangerous structures")
        // West has begun its attempt and handed the mail to the command, which hangs; East and North hold the
        // attempt, with no result.
        #expect(await cluster.eventually(seconds: 10) { hanging.callCount == 1 }, "\(logs(cluster))")
        #expect(
            try await cluster.eventually(seconds: 5) {
                try ["EST", "NTH"].allSatisfy { code in
                    try cluster.show(code, id)?.attempts.map(\.site) == ["WST"]
                }
            }, "\(logs(cluster))")
        // West loses power: its node and the mail command it was waiting on stop together.
        cluster.signal("WST", SIGKILL)
        hanging.stop()
        #expect(await cluster.waitForExit("WST", seconds: 10) != nil)
        // East, next in rank, takes over once West's attempt can no longer be under way, through its own file.
        #expect(
            try await cluster.eventually {
                try ["EST", "NTH"].allSatisfy { try cluster.show($0, id)?.message.status == "sent" }
            }, "\(logs(cluster))")
        try await Task.sleep(for: .seconds(3))
        #expect(cluster.deliveries(of: id, at: ["EST", "NTH"]) == 1, "\(logs(cluster))")
        #expect(cluster.deliveries(of: id, at: ["EST"]) == 1)
        for code in ["EST", "NTH"] {
            let shown = try #require(try cluster.show(code, id))
            #expect(shown.message.sentBySite == "EST", "\(code)")
            // West's attempt stays without a result (only West records it); East's has its own.
            #expect(shown.attempts.map(\.site) == ["WST", "EST"], "\(code)")
            #expect(shown.attempts.map(\.outcome) == [nil, "sent"], "\(code)")
            #expect(shown.attempts.map(\.transport) == ["sendmail", "file"], "\(code)")
        }
        #expect(cluster.log("EST").contains("message sent for a lost site"), "\(cluster.log("EST"))")
        let metrics = httpGet("http://127.0.0.1:\(metricsPort)/metrics") ?? ""
        #expect(metrics.contains("nightdesk_outbox_messages_taken_over_total 1"), "\(metrics)")
        #expect(metrics.contains("nightdesk_outbox_messages_sent_total 1"), "\(metrics)")
        // West comes back, catches up, and does not send it again.
        try cluster.start("WST")
        #expect(
            try await cluster.eventually { try cluster.show("WST", id)?.message.status == "sent" }, "\(logs(cluster))")
        try await Task.sleep(for: .seconds(4))
        #expect(hanging.callCount == 1, "\(cluster.log("WST"))")
        #expect(cluster.deliveries(of: id, at: Self.sites) == 1)
        #expect(try cluster.show("WST", id)?.attempts.map(\.outcome) == [nil, "sent"])
    }

    @Test func aRedLoneWorkerEscalationAfterTheStartingSiteIsKilledIsDeliveredOnceInTotal() async throws {
        let cluster = try TestCluster(Self.sites)
        let imported = try cluster.run("WST", ["contact", "import", "--file", RotaSamples.path("eal-contacts.toml")])
        try #require(imported.status == 0, "\(imported)")
        try cluster.deliver(by: Self.sites)
        for code in Self.sites { try cluster.start(code) }
        let result = try NightdeskBinary.run(
            [
                "lone", "start", "--po", "EAL", "--option", "dangerous-structures", "--answer", "structure_type=Wall",
                "--answer", "immediate_danger=No", "--staff", "eal-jsmith", "--name", "Jo Smith", "--caller-phone",
                "07700 900123", "--location", "12 Heron Walk, Ealing", "--task", "Inspect a bowing wall", "--minutes",
                "60", "--manager", "eal-pmorgan", "--json", "--data", cluster.path("WST"),
            ], environment: LoneCommandTests.codes)
        try #require(result.status == 0, "\(result)")
        let reference = try decode(LoneJSON.self, result.stdout).reference
        #expect(
            try await cluster.eventually(seconds: 10) {
                try cluster.run("EST", ["lone", "board", "--json"]).stdout.contains(reference)
            })
        cluster.signal("WST", SIGKILL)
        _ = await cluster.waitForExit("WST")
        let duress = try cluster.run(
            "EST", ["lone", "checkout", reference], environment: ["NIGHTDESK_LONE_CODE": "red kite"])
        #expect(duress.status == 0, "\(duress)")
        func escalation(_ code: String) throws -> [OutboxJSON] {
            try cluster.outbox(code).filter { $0.callReference == reference }
        }
        #expect(
            try await cluster.eventually {
                try ["EST", "NTH"].allSatisfy { code in
                    let messages = try escalation(code)
                    return messages.count == 2 && messages.allSatisfy { $0.status == "sent" }
                }
            }, "\(logs(cluster))")
        try await Task.sleep(for: .seconds(3))
        // One SMS and one email to the manager, each delivered once across every site's transport.
        let delivered = Self.sites.flatMap { cluster.delivered($0) }.filter { $0.callReference == reference }
        #expect(delivered.map(\.channel).sorted() == ["email", "sms"], "\(logs(cluster))")
        for message in try escalation("NTH") {
            #expect(cluster.deliveries(of: message.id, at: Self.sites) == 1)
            #expect(message.sentBySite == message.createdBySite && message.createdBySite != "WST")
        }
    }

    @Test func aDeliveringSiteWithoutTransportsAndTransportsForASiteThatDoesNotDeliverStopTheNode() async throws {
        let cluster = try TestCluster(["WST", "EST"])
        try cluster.deliver(by: ["WST"])
        // EST is not marked delivers = true: given transports, it would never be elected, so it does not start.
        let base = try String(contentsOfFile: cluster.path("EST.toml"), encoding: .utf8)
        try (base + "transports = \"WST/transports.toml\"\n").write(
            toFile: cluster.path("EST-with-transports.toml"), atomically: true, encoding: .utf8)
        let refused = try NightdeskBinary.run(["node", "run", "--config", cluster.path("EST-with-transports.toml")])
        #expect(refused.status == 65 && refused.stderr.contains("does not deliver the outbox"), "\(refused)")
        // WST is marked delivers = true: without transports it does not start.
        let west = try String(contentsOfFile: cluster.path("WST.toml"), encoding: .utf8)
        let without = west.split(separator: "\n").filter { !$0.hasPrefix("transports") && !$0.hasPrefix("outbox") }
        try (without.joined(separator: "\n") + "\n").write(
            toFile: cluster.path("WST-without.toml"), atomically: true, encoding: .utf8)
        let missing = try NightdeskBinary.run(["node", "run", "--config", cluster.path("WST-without.toml")])
        #expect(missing.status == 65 && missing.stderr.contains("names no transports"), "\(missing)")
        // A transports file with a problem is named with it, and an interruption bound at or under a transport's
        // time limit is refused.
        try "[transports]\nsms = \"pager\"\n".write(
            toFile: cluster.path("WST/transports.toml"), atomically: true, encoding: .utf8)
        let bad = try NightdeskBinary.run(["node", "run", "--config", cluster.path("WST.toml")])
        #expect(bad.status == 78 && bad.stderr.contains("sms = \"pager\""), "\(bad)")
        try """
            [transports]
            email = "sendmail"
            [transports.sendmail]
            from = "ooh@example.gov.uk"
            timeoutMs = 20000

            """.write(toFile: cluster.path("WST/transports.toml"), atomically: true, encoding: .utf8)
        let tooShort = try NightdeskBinary.run(["node", "run", "--config", cluster.path("WST.toml")])
        #expect(
            tooShort.status == 65 && tooShort.stderr.contains("must be longer than the sendmail transport's timeoutMs"),
            "\(tooShort)")
    }
}
