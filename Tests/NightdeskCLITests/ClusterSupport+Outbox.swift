import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A message as `outbox list --json` and `outbox show --json` give it, as far as the tests read it.
struct OutboxJSON: Decodable {
    let id: String
    let channel: String
    let status: String
    let createdBySite: String
    let sentBySite: String?
    let callReference: String?
    let attempts: Int
}

/// An attempt as `outbox show --json` gives it.
struct AttemptJSON: Decodable {
    let site: String
    let transport: String
    let outcome: String?
}

/// One line of a file transport's file: what the demo's "phone" received.
struct DeliveredLine: Decodable {
    let id: String
    let channel: String
    let callReference: String?
}

extension TestCluster {
    /// Marks `sites` `delivers = true` in the topology and gives each node a transports file in its data folder,
    /// with `email` carried as given (a file by default) and SMS by a file `outbox.jsonl` there; `outbox` is
    /// added to each node's configuration (retry and interruption bounds). Call before starting the nodes.
    func deliver(
        by sites: [String], email: [String: String] = [:],
        outbox: String = "outboxRetryDelayMs = 1000\noutboxInterruptedAfterMs = 10000\n"
    ) throws {
        var topology = try String(contentsOfFile: path("cluster.toml"), encoding: .utf8)
        for code in sites {
            let entry = "code = \"\(code)\"\n"
            try #require(topology.contains(entry), "site \(code) is not in the topology")
            topology = topology.replacingOccurrences(of: entry, with: entry + "delivers = true\n")
            let transports = """
                [transports]
                sms = "file"
                email = "\(email[code] == nil ? "file" : "sendmail")"

                [transports.file]
                path = "outbox.jsonl"

                """ + (email[code] ?? "")
            try transports.write(toFile: path("\(code)/transports.toml"), atomically: true, encoding: .utf8)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path("\(code).toml")))
            handle.seekToEndOfFile()
            handle.write(Data("transports = \"\(code)/transports.toml\"\n\(outbox)".utf8))
            try handle.close()
        }
        try topology.write(toFile: path("cluster.toml"), atomically: true, encoding: .utf8)
    }

    /// What `code`'s file transport has delivered, line by line.
    func delivered(_ code: String) -> [DeliveredLine] {
        let text = (try? String(contentsOfFile: path("\(code)/outbox.jsonl"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? decode(DeliveredLine.self, String($0)) }
    }

    /// How many times `id` was delivered through the file transports of `sites`, all told.
    func deliveries(of id: String, at sites: [String]) -> Int {
        sites.map { delivered($0).filter { $0.id == id }.count }.reduce(0, +)
    }

    /// `outbox list --json` at `code`.
    func outbox(_ code: String) throws -> [OutboxJSON] {
        let result = try run(code, ["outbox", "list", "--json"])
        try #require(result.status == 0, "\(result)")
        return try decode([OutboxJSON].self, result.stdout)
    }

    /// `outbox show --json` at `code`: the message and its attempts, or nil while it is not held there.
    func show(_ code: String, _ id: String) throws -> (message: OutboxJSON, attempts: [AttemptJSON])? {
        struct View: Decodable {
            let message: OutboxJSON
            let attempts: [AttemptJSON]
        }
        let result = try run(code, ["outbox", "show", id, "--json"])
        guard result.status == 0 else { return nil }
        let view = try decode(View.self, result.stdout)
        return (view.message, view.attempts)
    }
}

/// A sendmail stand-in that records that it was called and then hangs, as a mail command stuck on a dead SMTP
/// server does: the sender dies with the attempt begun and no result. Its processes are killed on release.
final class HangingSendmail {
    let path: String
    let calls: String

    init(in folder: String) throws {
        path = (folder as NSString).appendingPathComponent("hanging-sendmail")
        calls = (folder as NSString).appendingPathComponent("hanging-sendmail.calls")
        // `exec` keeps the recorded pid: the sleep is the process to kill.
        let script = "#!/bin/sh\ncat > /dev/null\necho $$ >> '\(calls)'\nexec sleep 120\n"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        try #require(chmod(path, 0o700) == 0)
    }

    /// How many times it was run.
    var callCount: Int { pids.count }

    private var pids: [Int32] {
        ((try? String(contentsOfFile: calls, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int32($0) }
    }

    /// Kills every run of it still hanging.
    func stop() {
        for pid in pids { kill(pid, SIGKILL) }
    }

    deinit { stop() }
}
