import Domain
import Foundation
import NightdeskTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Referral escalation on a timer across real node processes (5.3.2, 6.4b): when the site that made a referral is
/// lost, a survivor escalates it once, and the record stays single when the lost site comes back.
@Suite(.serialized) struct ClusterReferralTests {
    /// `referral show --json` as the test reads it.
    struct Shown: Decodable {
        struct Timer: Decodable {
            let step: Int
            let site: String
            let at: Date
            let dueAt: Date
        }
        let status: String
        let timerEscalations: [Timer]
    }

    struct Queued: Decodable {
        let channel: String
        let recipient: String
        let callReference: String?
    }

    /// A rota on call at every hour: Alex Smith at stage 1, Bea Jones at stage 2.
    static let rota = """
        id = "eal-ds-drill"
        organisation = "EAL"
        option = "dangerous-structures"
        name = "Drill rota"

        [[stage]]
        number = 1
          [[stage.layer]]
          name = "always"
          length = "weekly"
          handoff = "09:00"
          start = "2026-01-05"
          people = ["eal-asmith"]

        [[stage]]
        number = 2
          [[stage.layer]]
          name = "always"
          length = "weekly"
          handoff = "09:00"
          start = "2026-01-05"
          people = ["eal-bjones"]
        """

    /// Stage 1 by SMS with a short wait, then stage 2 by SMS and email.
    static func procedure(waitSeconds: Int) -> String {
        """
        organisation = "EAL"
        option = "dangerous-structures"

        [[step]]
        target = "stage 1"
        channels = ["sms"]
        acknowledgementWaitSeconds = \(waitSeconds)

        [[step]]
        target = "stage 2"
        channels = ["sms", "email"]
        acknowledgementWaitMinutes = 10
        """
    }

    @Test func aSurvivorEscalatesAReferralOnceWhenTheSiteThatMadeItIsLost() async throws {
        let cluster = try TestCluster(["WST", "EST", "NTH"])
        let waitSeconds = 8
        try Self.rota.write(toFile: cluster.path("rota.toml"), atomically: true, encoding: .utf8)
        try Self.procedure(waitSeconds: waitSeconds).write(
            toFile: cluster.path("procedure.toml"), atomically: true, encoding: .utf8)
        for arguments in [
            ["contact", "import", "--file", RotaSamples.path("eal-contacts.toml")],
            ["rota", "set", "--file", cluster.path("rota.toml")],
            ["procedure", "set", "--file", cluster.path("procedure.toml")],
        ] {
            let result = try cluster.run("WST", arguments)
            try #require(result.status == 0, "\(result)")
        }
        for code in ["WST", "EST", "NTH"] { try cluster.start(code) }
        try cluster.logCall("WST", caller: "Referred Caller")
        let search = try cluster.run("WST", ["call", "search", "--json"])
        let reference = try #require(try decode([Call].self, search.stdout).first?.reference.description)
        let referred = try cluster.run("WST", ["call", "refer", reference])
        try #require(referred.status == 0, "\(referred)")
        let sent = try cluster.run(
            "WST", ["referral", "attempt", reference, "--channel", "sms", "--contact", "eal-asmith", "--outcome", "sent"])
        try #require(sent.status == 0, "\(sent)")
        let sentAt = Date()

        func shown(_ code: String) throws -> Shown? {
            let result = try cluster.run(code, ["referral", "show", reference, "--json"])
            guard result.status == 0 else { return nil }
            return try decode(Shown.self, result.stdout)
        }
        func queued(_ code: String) throws -> [Queued] {
            try decode([Queued].self, try cluster.run(code, ["outbox", "list", "--json"]).stdout)
                .filter { $0.callReference == reference }
        }
        // Both survivors hold the referral and its first attempt before the site that made it is lost.
        #expect(
            try await cluster.eventually(seconds: 10) {
                try ["EST", "NTH"].allSatisfy { try shown($0)?.status == "passed" }
            })
        try #require(Date().timeIntervalSince(sentAt) < Double(waitSeconds) - 1, "too slow to kill WST before the wait ends")
        cluster.signal("WST", SIGKILL)

        // EST, the first live site in the topology's order, escalates to stage 2 once the wait is over and it sees
        // WST gone; NTH stands down.
        let escalated = await cluster.eventually(seconds: 30) {
            ((try? shown("EST"))??.timerEscalations.count ?? 0) > 0
        }
        #expect(escalated, "\(cluster.log("EST"))\n\(cluster.log("NTH"))")
        let took = Date().timeIntervalSince(sentAt)
        #expect(took >= Double(waitSeconds), "escalated before the wait ended")
        #expect(
            try await cluster.eventually(seconds: 10) {
                try ["EST", "NTH"].allSatisfy { try queued($0).count == 2 && shown($0)?.timerEscalations.count == 1 }
            })
        try await Task.sleep(for: .seconds(2))
        for code in ["EST", "NTH"] {
            let record = try #require(try shown(code))
            #expect(record.timerEscalations.map(\.step) == [2], "\(code)")
            #expect(record.timerEscalations.map(\.site) == ["EST"], "\(code)")
            // One set of stage-2 messages: Bea Jones's SMS and email.
            let messages = try queued(code)
            #expect(messages.map(\.channel).sorted() == ["email", "sms"], "\(code): \(messages)")
            #expect(messages.contains { $0.recipient == "+447700900812" }, "\(code): \(messages)")
        }
        let logged = cluster.log("EST").split(separator: "\n").filter { $0.contains("referral escalated") }
        #expect(logged.count == 1 && !cluster.log("NTH").contains("referral escalated"))
        #expect(!logged.joined().contains("Referred Caller"), "logs carry no caller's details")

        // WST comes back, catches up, and finds the escalation done: still one record, one set of messages.
        try cluster.start("WST")
        #expect(try await cluster.converge(["WST", "EST", "NTH"]))
        try await Task.sleep(for: .seconds(2))
        for code in ["WST", "EST", "NTH"] {
            #expect(try shown(code)?.timerEscalations.count == 1, "\(code)")
            #expect(try queued(code).count == 2, "\(code)")
        }
        #expect(!cluster.log("WST").contains("referral escalated"))
        print("escalated \(String(format: "%.1f", took)) s after the stage-1 SMS (wait \(waitSeconds) s)")
    }
}
