import Domain
import Foundation
import NightdeskTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `node status --json` as the tests read it.
struct StatusJSON: Decodable {
    struct Peer: Decodable {
        let site: String
        let health: String
        let lagChangeSets: UInt64
        let epoch: UInt64
        let refusal: String?
    }
    let site: String
    let epoch: UInt64
    let held: [String: UInt64]
    let peers: [Peer]
    let rejected: [String: Int]
    let clientsRefused: Int

    func peer(_ site: String) -> Peer? { peers.first { $0.site == site } }
}

/// A cluster of real `nightdesk node run` processes on 127.0.0.1, each with its own data folder, key bundle
/// and configuration file, made with the same commands an operator uses (keys generate, keys data, keys
/// bundle, init). Every process is killed and every file removed when the value is released.
final class TestCluster: @unchecked Sendable {
    /// Longest a node may take to start or to stop once asked, and a cluster to converge.
    static let waitSecondsMax = 45.0

    let root: URL
    let clusterID: String
    private(set) var ports: [String: UInt16] = [:]
    private var processes: [String: Process] = [:]

    /// `sites` hold every organisation; `replicas` map a replica's code to the organisations it holds.
    /// `foreign` are sites of another cluster listed in this one's topology by their public-key files.
    init(
        _ sites: [String], replicas: [String: [String]] = [:], clusterID: String = "test-cluster",
        foreign: [(code: String, port: UInt16, publicKeys: String)] = []
    ) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("nightdesk-cluster-\(UUID().uuidString)")
        self.clusterID = clusterID
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let keys = path("keys")
        var topology = "cluster = \"\(clusterID)\"\n"
        for code in sites + replicas.keys.sorted() {
            try succeed(["keys", "generate", "--site", code, "--dir", keys])
            let port = try freeLoopbackPort()
            ports[code] = port
            let holds = replicas[code].map { $0.map { "\"\($0)\"" }.joined(separator: ", ") } ?? "\"*\""
            topology += """
                [[sites]]
                code = "\(code)"
                name = "Site \(code)"
                role = "\(replicas[code] == nil ? "site" : "replica")"
                sync = "tcp://127.0.0.1:\(port)"
                publicKeys = "keys/\(code).public.toml"
                holds = [\(holds)]

                """
        }
        for site in foreign {
            try FileManager.default.copyItem(atPath: site.publicKeys, toPath: path("keys/\(site.code).public.toml"))
            ports[site.code] = site.port
            topology += """
                [[sites]]
                code = "\(site.code)"
                name = "Site \(site.code)"
                role = "site"
                sync = "tcp://127.0.0.1:\(site.port)"
                publicKeys = "keys/\(site.code).public.toml"
                holds = ["*"]

                """
        }
        try topology.write(toFile: path("cluster.toml"), atomically: true, encoding: .utf8)
        let common = ["--topology", path("cluster.toml"), "--catalogue", Repository.cataloguePath]
        try succeed(["keys", "data"] + common + ["--dir", keys])
        for code in sites + replicas.keys.sorted() {
            try succeed(["keys", "bundle"] + common + ["--site", code, "--from", keys, "--to", path("bundles/\(code)")])
            try succeed(["init", "--data", path(code), "--site", code, "--catalogue", Repository.cataloguePath, "--no-gazetteers"])
            try """
                data = "\(code)"
                topology = "cluster.toml"
                keys = "bundles/\(code)"
                statusIntervalMs = 500

                """.write(toFile: path("\(code).toml"), atomically: true, encoding: .utf8)
        }
    }

    deinit {
        for process in processes.values where process.isRunning {
            kill(process.processIdentifier, SIGCONT)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: root)
    }

    func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    @discardableResult
    private func succeed(_ arguments: [String]) throws -> RunResult {
        let result = try NightdeskBinary.run(arguments)
        try #require(result.status == 0, "\(result)")
        return result
    }

    /// Starts `code`'s node with `node run --config`, its log appended to `<code>.log`; `environment` is added to
    /// the test's own, and `launcher` (a program and its arguments) runs the node when given.
    func start(
        _ code: String, extraConfig: String = "", environment extra: [String: String] = [:], launcher: [String] = []
    ) throws {
        if !extraConfig.isEmpty {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path("\(code).toml")))
            handle.seekToEndOfFile()
            handle.write(Data(extraConfig.utf8))
            try handle.close()
        }
        let binary = try #require(NightdeskBinary.url, "the nightdesk executable was not found")
        let logPath = path("\(code).log")
        if !FileManager.default.fileExists(atPath: logPath) {
            try #require(FileManager.default.createFile(atPath: logPath, contents: nil))
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        let process = Process()
        let arguments = ["node", "run", "--config", path("\(code).toml")]
        if let program = launcher.first {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = Array(launcher.dropFirst()) + [binary.path] + arguments
        } else {
            process.executableURL = binary
            process.arguments = arguments
        }
        var environment = ProcessInfo.processInfo.environment
        environment["NIGHTDESK_DATA"] = nil
        environment.merge(extra) { $1 }
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = log
        try process.run()
        try log.close()
        processes[code] = process
    }

    /// Sends `signal` to `code`'s node.
    func signal(_ code: String, _ signal: Int32) {
        guard let process = processes[code] else { return }
        kill(process.processIdentifier, signal)
    }

    /// Waits for `code`'s node to exit and returns its exit status, or nil if it is still running.
    func waitForExit(_ code: String, seconds: Double = waitSecondsMax) async -> Int32? {
        guard let process = processes[code] else { return nil }
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    func log(_ code: String) -> String { (try? String(contentsOfFile: path("\(code).log"), encoding: .utf8)) ?? "" }

    func run(_ code: String, _ arguments: [String], environment: [String: String] = [:]) throws -> RunResult {
        try NightdeskBinary.run(arguments + ["--data", path(code)], environment: environment)
    }

    /// Logs a dangerous-structure call for `organisation` at `code`, which must succeed.
    func logCall(_ code: String, organisation: String = "EAL", caller: String) throws {
        let result = try run(
            code,
            [
                "call", "log", "--po", organisation, "--option", "dangerous-structures", "--caller-name", caller,
                "--address", "1 High Street", "--answer", "structure_type=Wall", "--answer", "immediate_danger=Yes",
                "--offered-at", Times.saturdayNight,
            ])
        try #require(result.status == 0, "\(result)")
    }

    func digest(_ code: String, organisation: String? = nil) throws -> String {
        let result = try run(code, ["state", "digest"] + (organisation.map { ["--po", $0] } ?? []))
        try #require(result.status == 0, "\(result)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func callCount(_ code: String) throws -> Int {
        let result = try run(code, ["call", "search", "--json", "--limit", "200"])
        try #require(result.status == 0, "\(result)")
        return try decode([Call].self, result.stdout).count
    }

    /// `node status --json` of `code`, or nil while the node has written none.
    func status(_ code: String) throws -> StatusJSON? {
        let result = try run(code, ["node", "status", "--json"])
        guard result.status == 0 || result.status == 69, !result.stdout.isEmpty else { return nil }
        return try? decode(StatusJSON.self, result.stdout)
    }

    /// Waits until `condition` holds, checking every 250 ms; false if `seconds` pass first.
    ///
    /// Waits with `Task.sleep`, not `Thread.sleep`: a blocked thread is one fewer for every other test
    /// running in the same process (in-process sync tests among them).
    func eventually(seconds: Double = waitSecondsMax, _ condition: () throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(250))
        }
        return try condition()
    }

    /// Waits until every one of `codes` has the same state digest.
    func converge(_ codes: [String]) async throws -> Bool {
        try await eventually { Set(try codes.map { try digest($0) }).count == 1 }
    }
}
