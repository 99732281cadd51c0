import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A temporary folder for one drill: its runbook, its work folder (the runner's cluster) and its report.
final class DrillFolder: @unchecked Sendable {
    /// Longest a drill run may take before the test kills it (a drill test is meant to take under ~60 s).
    static let runSecondsMax = 120.0

    let root: URL
    var work: String { path("work") }
    var out: String { path("report") }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("nightdesk-drill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    deinit {
        killLeftoverNodes()
        try? FileManager.default.removeItem(at: root)
    }

    func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// Writes a runbook whose drill definition is `toml`; its path.
    func runbook(_ toml: String, name: String = "drill.md") throws -> String {
        let text = "# Test drill\n\nFor the tests.\n\n```toml\n\(toml)\n```\n"
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    /// Runs `nightdesk drill run RUNBOOK --work WORK --out OUT`, waiting with `Task.sleep` (not blocking a thread
    /// other tests need) for at most `runSecondsMax`.
    /// `interruptAfter` sends SIGINT that many seconds after the start, as a tester's Ctrl-C would.
    func run(_ runbook: String, extra: [String] = [], interruptAfter: Double? = nil) async throws -> RunResult {
        let binary = try #require(NightdeskBinary.url, "the nightdesk executable was not found; build it first")
        let outPath = path("stdout")
        let errPath = path("stderr")
        for file in [outPath, errPath] { try #require(FileManager.default.createFile(atPath: file, contents: nil)) }
        let outHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let arguments = ["drill", "run", runbook, "--work", work, "--out", out, "--catalogue", Repository.cataloguePath] + extra
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["NIGHTDESK_DATA"] = nil
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outHandle
        process.standardError = errHandle
        try process.run()
        let started = Date()
        let deadline = started.addingTimeInterval(Self.runSecondsMax)
        var interrupted = false
        while process.isRunning, Date() < deadline {
            if let after = interruptAfter, !interrupted, Date().timeIntervalSince(started) >= after {
                kill(process.processIdentifier, SIGINT)
                interrupted = true
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("nightdesk \(arguments.joined(separator: " ")) ran over \(Self.runSecondsMax) s and was killed")
        }
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        return RunResult(
            arguments: arguments, status: process.terminationStatus,
            stdout: try String(contentsOfFile: outPath, encoding: .utf8),
            stderr: try String(contentsOfFile: errPath, encoding: .utf8))
    }

    /// The pids of nodes still running from the drill's work folder (each data folder's `node.pid`).
    func runningNodes() -> [pid_t] {
        let sites = (try? FileManager.default.contentsOfDirectory(atPath: work)) ?? []
        return sites.compactMap { site in
            guard let text = try? String(contentsOfFile: "\(work)/\(site)/node.pid", encoding: .utf8),
                let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), kill(pid, 0) == 0
            else { return nil }
            return pid
        }
    }

    private func killLeftoverNodes() {
        for pid in runningNodes() {
            kill(pid, SIGCONT)
            kill(pid, SIGKILL)
        }
    }
}

/// `result.json` of a drill, as the tests read it.
struct DrillResultJSON: Decodable {
    struct Criterion: Decodable {
        let name: String
        let measured: String
        let passed: Bool
    }
    struct Call: Decodable {
        let organisation: String
        let site: String?
        let outcome: String
        let phase: String
        let offeredAtSeconds: Double
    }
    struct RoutingSample: Decodable {
        let atWallSeconds: Double
        let shares: [String: Double]
    }
    let detectionSeconds: Double?
    let trafficMovedSeconds: Double?
    let rejoinSeconds: Double?
    let evacuationSeconds: Double?
    let faultStartWallSeconds: Double
    let faultEndWallSeconds: Double
    let writesAcknowledged: Int
    let missingAtSomeSite: [String]
    let missingAtSurvivors: [String]
    let criteria: [Criterion]
    let calls: [Call]
    let routing: [RoutingSample]
    let failures: [String]
    let notes: [String]

    /// `site`'s mean routing share over the samples from `from` to `to` wall-clock seconds; nil without samples.
    func share(of site: String, from: Double, to: Double) -> Double? {
        let samples = routing.filter { $0.atWallSeconds >= from && $0.atWallSeconds < to }
        guard !samples.isEmpty else { return nil }
        return samples.reduce(0) { $0 + ($1.shares[site] ?? 0) } / Double(samples.count)
    }
}
