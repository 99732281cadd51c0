import Foundation
import NightdeskTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sites as separate `nightdesk node run` processes on 127.0.0.1, each with its own data folder: what an
/// operator runs, faulted the way a business-continuity tester faults it.
@Suite(.serialized) struct ClusterTests {
    @Test func threeNodesWithConcurrentWritesAtEverySiteConvergeToOneDigest() async throws {
        let cluster = try TestCluster(["WST", "EST", "NTH"])
        for code in ["WST", "EST", "NTH"] { try cluster.start(code) }
        let codes = ["WST", "EST", "NTH"]
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: codes.count) { index in
            do {
                for call in 0..<6 { try cluster.logCall(codes[index], caller: "Caller \(codes[index]) \(call)") }
            } catch {
                failures.record("\(error)")
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all)")
        #expect(try await cluster.converge(codes), "\(codes.map { cluster.log($0) })")
        for code in codes { #expect(try cluster.callCount(code) == 18) }
        // Every node sees both others as connected and holds what they hold.
        let status = try #require(try cluster.status("WST"))
        #expect(Set(status.peers.map(\.site)) == ["EST", "NTH"])
        #expect(
            try await cluster.eventually(seconds: 10) {
                try cluster.status("WST")?.peers.allSatisfy { $0.health == "connected" && $0.lagChangeSets == 0 } ?? false
            })
        for code in codes { cluster.signal(code, SIGTERM) }
        for code in codes {
            let status = await cluster.waitForExit(code)
            #expect(status == 0, "\(cluster.log(code))")
            #expect(cluster.log(code).contains("sync stopped"))
        }
    }

    @Test func aNodeKilledMidStreamCatchesUpWhenItRestarts() async throws {
        let cluster = try TestCluster(["WST", "EST", "NTH"])
        for code in ["WST", "EST", "NTH"] { try cluster.start(code) }
        for call in 0..<6 {
            try cluster.logCall("WST", caller: "Before and during \(call)")
            if call == 2 { cluster.signal("NTH", SIGKILL) }  // power lost at the North site
        }
        let killed = await cluster.waitForExit("NTH")
        #expect(killed != nil && killed != 0)
        for call in 0..<3 { try cluster.logCall("EST", caller: "While North is down \(call)") }
        try cluster.logCall("NTH", caller: "Written at North while its node was down")
        try cluster.start("NTH")
        #expect(try await cluster.converge(["WST", "EST", "NTH"]), "\(cluster.log("NTH"))")
        #expect(try cluster.callCount("NTH") == 10)
        // The restart is a new epoch, which its peers accept.
        #expect(try await cluster.eventually(seconds: 10) { try cluster.status("WST")?.peer("NTH")?.epoch == 2 })
    }

    @Test func aFrozenNodeIsSeenDownThenCatchesUpWhenItResumes() async throws {
        let cluster = try TestCluster(["WST", "EST", "NTH"])
        for code in ["WST", "EST", "NTH"] { try cluster.start(code) }
        try cluster.logCall("WST", caller: "Before the cut")
        #expect(try await cluster.converge(["WST", "EST", "NTH"]))
        // SIGSTOP isolates EST: its sockets stay open but it sends and answers nothing.
        cluster.signal("EST", SIGSTOP)
        for call in 0..<4 { try cluster.logCall("WST", caller: "During the cut \(call)") }
        try cluster.logCall("NTH", caller: "North during the cut")
        #expect(try await cluster.eventually(seconds: 15) { try cluster.status("WST")?.peer("EST")?.health == "down" })
        #expect(try await cluster.converge(["WST", "NTH"]))
        cluster.signal("EST", SIGCONT)
        #expect(try await cluster.converge(["WST", "EST", "NTH"]), "\(cluster.log("EST"))")
        #expect(try cluster.callCount("EST") == 6)
        #expect(try await cluster.eventually(seconds: 15) { try cluster.status("WST")?.peer("EST")?.health == "connected" })
    }

    @Test func aNodeWhoseKeyIsNotInTheTopologyIsRefused() async throws {
        let cluster = try TestCluster(["WST", "EST"])
        for code in ["WST", "EST"] { try cluster.start(code) }
        // BAD has its own keys and a topology naming WST, with the same cluster id: WST's topology does not
        // list BAD's key, so WST refuses the connection.
        let intruder = try TestCluster(
            ["BAD"], clusterID: cluster.clusterID,
            foreign: [("WST", cluster.ports["WST"]!, cluster.path("keys/WST.public.toml"))])
        try intruder.start("BAD")
        try intruder.logCall("BAD", caller: "Intruder Record")
        #expect(
            try await cluster.eventually(seconds: 15) { (try cluster.status("WST")?.clientsRefused ?? 0) > 0 },
            "\(cluster.log("WST"))")
        #expect(cluster.log("WST").contains("refused"))
        let search = try cluster.run("WST", ["call", "search", "--name", "Intruder"])
        #expect(search.status == 0 && search.stdout.contains("No calls match."), "\(search)")
        #expect(try intruder.status("BAD")?.peer("WST")?.health == "down")
    }

    @Test func aReplicaHoldsOnlyItsOrganisationsDataAndCannotWriteOthers() async throws {
        let cluster = try TestCluster(["WST"], replicas: ["EAR": ["EAL"]])
        for code in ["WST", "EAR"] { try cluster.start(code) }
        try cluster.logCall("WST", organisation: "EAL", caller: "Ealing Resident")
        try cluster.logCall("WST", organisation: "ENF", caller: "Enfield Zebedee")
        #expect(try await cluster.eventually { try cluster.digest("EAR", organisation: "EAL") == cluster.digest("WST", organisation: "EAL") })
        #expect(
            try await cluster.eventually(seconds: 10) {
                try cluster.status("EAR")?.held["WST"] == cluster.status("WST")?.held["WST"]
            })
        #expect(try cluster.callCount("EAR") == 1)
        #expect(try cluster.digest("EAR", organisation: "ENF") != cluster.digest("WST", organisation: "ENF"))
        let refused = try cluster.run(
            "EAR",
            [
                "call", "log", "--po", "ENF", "--option", "dangerous-structures", "--caller-name", "Not Here",
                "--address", "1 High Street", "--answer", "structure_type=Wall", "--answer", "immediate_danger=Yes",
                "--offered-at", Times.saturdayNight,
            ])
        #expect(refused.status == 65 && refused.stderr.contains("does not hold ENF"), "\(refused)")
        cluster.signal("EAR", SIGTERM)
        let replicaExit = await cluster.waitForExit("EAR")
        #expect(replicaExit == 0)
        // Enfield's change sets reached the replica sealed: no byte of them is readable there.
        let files = ["nightdesk.sqlite", "nightdesk.sqlite-wal"].compactMap {
            FileManager.default.contents(atPath: cluster.path("EAR/\($0)"))
        }
        #expect(files.allSatisfy { $0.range(of: Data("Zebedee".utf8)) == nil })
        #expect(files.contains { $0.range(of: Data("Ealing Resident".utf8)) != nil })
    }

    @Test func aLoneWorkerDeadlineRaisesAmberOnceAtTheSurvivorsWhenTheStartingSiteIsKilled() async throws {
        let cluster = try TestCluster(["WST", "EST", "NTH"])
        for code in ["WST", "EST", "NTH"] { try cluster.start(code) }
        // Five minutes is the shortest session: start it so that its deadline falls 10 s from now.
        let started = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-300 + 10))
        let result = try NightdeskBinary.run(
            [
                "lone", "start", "--po", "EAL", "--option", "dangerous-structures", "--answer", "structure_type=Wall",
                "--answer", "immediate_danger=No", "--staff", "eal-jsmith", "--name", "Jo Smith", "--caller-phone",
                "07700 900123", "--location", "12 Heron Walk, Ealing", "--task", "Inspect a bowing wall", "--minutes",
                "5", "--at", started, "--json", "--data", cluster.path("WST"),
            ], environment: LoneCommandTests.codes)
        try #require(result.status == 0, "\(result)")
        let reference = try decode(LoneJSON.self, result.stdout).reference
        func board(_ code: String) throws -> [LoneJSON] {
            try decode([LoneJSON].self, try cluster.run(code, ["lone", "board", "--json"]).stdout)
        }
        #expect(try await cluster.eventually(seconds: 8) { try board("EST").contains { $0.reference == reference } })
        #expect(try board("EST").first { $0.reference == reference }?.state == "active", "not overdue before the deadline")
        cluster.signal("WST", SIGKILL)  // the site that started the session loses power
        func raised(_ code: String) -> Int {
            cluster.log(code).split(separator: "\n").filter {
                $0.contains("lone-worker alert raised") && $0.contains(reference)
            }.count
        }
        #expect(
            await cluster.eventually(seconds: 30) { raised("EST") + raised("NTH") >= 1 },
            "\(cluster.log("EST"))\n\(cluster.log("NTH"))")
        #expect(try await cluster.eventually(seconds: 10) {
            try ["EST", "NTH"].allSatisfy { code in try board(code).first { $0.reference == reference }?.state == "overdue" }
        })
        // Exactly one survivor acted: EST, the first live site in the topology's order; NTH stood down.
        try await Task.sleep(for: .seconds(2))
        #expect(raised("EST") == 1 && raised("NTH") == 0, "\(cluster.log("EST"))\n\(cluster.log("NTH"))")
    }

    @Test func aDuressCheckOutAfterTheStartingSiteIsLostQueuesTheRedEscalationOnce() async throws {
        let cluster = try TestCluster(["WST", "EST", "NTH"])
        let imported = try cluster.run("WST", ["contact", "import", "--file", RotaSamples.path("eal-contacts.toml")])
        try #require(imported.status == 0, "\(imported)")
        for code in ["WST", "EST", "NTH"] { try cluster.start(code) }
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
        // The officer checks out by phone through EST with the duress code: the reply gives nothing away.
        let duress = try cluster.run(
            "EST", ["lone", "checkout", reference], environment: ["NIGHTDESK_LONE_CODE": "red kite"])
        #expect(duress.status == 0, "\(duress)")
        struct Queued: Decodable {
            let channel: String
            let recipient: String
            let callReference: String?
        }
        func queued(_ code: String) throws -> [Queued] {
            try decode([Queued].self, try cluster.run(code, ["outbox", "list", "--json"]).stdout)
                .filter { $0.callReference == reference }
        }
        #expect(
            try await cluster.eventually(seconds: 30) { try queued("EST").count + queued("NTH").count >= 2 },
            "\(cluster.log("EST"))")
        try await Task.sleep(for: .seconds(2))
        // One SMS and one email to the manager, queued once by one site and held by both survivors.
        for code in ["EST", "NTH"] {
            let messages = try queued(code)
            #expect(messages.map(\.channel).sorted() == ["email", "sms"], "\(code): \(messages)")
            #expect(messages.contains { $0.recipient == "+447700900810" })
        }
    }

    @Test func metricsAreServedAndConfigurationProblemsStopTheNodeBeforeItStarts() async throws {
        let cluster = try TestCluster(["WST", "EST"])
        let port = try freeLoopbackPort()
        try cluster.start("WST", extraConfig: "metrics = \"127.0.0.1:\(port)\"\n")
        try cluster.start("EST")
        try cluster.logCall("WST", caller: "Counted")
        #expect(try await cluster.converge(["WST", "EST"]))
        var body = ""
        let fetched = await cluster.eventually(seconds: 10) {
            body = httpGet("http://127.0.0.1:\(port)/metrics") ?? ""
            return body.contains("nightdesk_mesh_change_sets_sent_total")
        }
        #expect(fetched, "\(body)")
        #expect(body.contains("nightdesk_mesh_peer_up{peer=\"EST\"}"))
        #expect(!body.contains("Counted"), "metrics carry no personal data")

        // A node whose site is not in the topology, or whose key bundle is missing, stops at once (exit 78).
        let other = try TestCluster(["NTH"])
        try FileManager.default.copyItem(atPath: cluster.path("cluster.toml"), toPath: other.path("wrong.toml"))
        for code in ["WST", "EST"] {
            try FileManager.default.copyItem(
                atPath: cluster.path("keys/\(code).public.toml"), toPath: other.path("keys/\(code).public.toml"))
        }
        try "data = \"NTH\"\ntopology = \"wrong.toml\"\nkeys = \"bundles/NTH\"\n".write(
            toFile: other.path("NTH.toml"), atomically: true, encoding: .utf8)
        let notListed = try NightdeskBinary.run(["node", "run", "--config", other.path("NTH.toml")])
        #expect(notListed.status == 65 && notListed.stderr.contains("site NTH"), "\(notListed)")
        try FileManager.default.removeItem(atPath: cluster.path("bundles/EST/EST.curve.key"))
        cluster.signal("EST", SIGTERM)
        _ = await cluster.waitForExit("EST")
        let noKey = try NightdeskBinary.run(["node", "run", "--config", cluster.path("EST.toml")])
        #expect(noKey.status == 78 && noKey.stderr.contains("EST.curve.key"), "\(noKey)")
        let never = try NightdeskBinary.run(["node", "status", "--data", other.path("NTH")])
        #expect(never.status == 69 && never.stderr.contains("has not run"), "\(never)")
    }
}

/// Errors collected from concurrent work.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func record(_ item: String) { lock.withLock { items.append(item) } }
    var all: [String] { lock.withLock { items } }
}

/// The body of a GET, or nil when the server does not answer within 5 s.
func httpGet(_ address: String) -> String? {
    guard let url = URL(string: address) else { return nil }
    let result = LockedBox<String?>(nil)
    let done = DispatchSemaphore(value: 0)
    URLSession.shared.dataTask(with: url) { data, _, _ in
        result.set(data.map { String(decoding: $0, as: UTF8.self) })
        done.signal()
    }.resume()
    guard done.wait(timeout: .now() + 5) == .success else { return nil }
    return result.get()
}

final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func set(_ newValue: Value) { lock.withLock { value = newValue } }
    func get() -> Value { lock.withLock { value } }
}
