import Domain
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one run of the `nightdesk` binary did.
struct RunResult: CustomStringConvertible {
    let arguments: [String]
    let status: Int32
    let stdout: String
    let stderr: String

    var description: String {
        "nightdesk \(arguments.joined(separator: " ")) → exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)"
    }
}

/// The real `nightdesk` executable, run as a separate process as an operator would.
enum NightdeskBinary {
    /// Longest a single command may take before it is killed and the test fails.
    static let runSecondsMax = 30.0

    /// The binary: `$NIGHTDESK_BIN`, else the `nightdesk` built next to the test bundle.
    static let url: URL? = {
        let manager = FileManager.default
        if let given = ProcessInfo.processInfo.environment["NIGHTDESK_BIN"], !given.isEmpty {
            return URL(fileURLWithPath: given)
        }
        // SwiftPM puts executables and the test bundle in the same build folder; on Linux the bundle is
        // arguments[0], on macOS it is a loaded `.xctest` bundle a few levels below that folder.
        var starts = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        starts += Bundle.allBundles.map(\.bundleURL).filter { $0.pathExtension == "xctest" }
        for start in starts {
            var folder = start
            for _ in 0..<4 {
                let candidate = folder.appendingPathComponent("nightdesk")
                var isDirectory: ObjCBool = false
                if manager.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                    manager.isExecutableFile(atPath: candidate.path)
                {
                    return candidate
                }
                folder = folder.deletingLastPathComponent()
            }
        }
        return nil
    }()

    /// Runs `nightdesk` with `arguments` and any extra `environment`, killing it after `runSecondsMax`.
    static func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> RunResult {
        let binary = try #require(
            url,
            """
            the nightdesk executable was not found next to the test bundle (\(CommandLine.arguments[0])); \
            build it with `swift build` or set NIGHTDESK_BIN to its path
            """)
        try #require(
            FileManager.default.isExecutableFile(atPath: binary.path),
            "\(binary.path) is not an executable file; NIGHTDESK_BIN must name the nightdesk binary")
        // Output goes to files rather than pipes so a chatty command can never block on a full pipe.
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("nightdesk-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outPath = scratch.appendingPathComponent("stdout").path
        let errPath = scratch.appendingPathComponent("stderr").path
        for path in [outPath, errPath] {
            try #require(FileManager.default.createFile(atPath: path, contents: nil), "cannot create \(path)")
        }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))

        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["NIGHTDESK_DATA"] = nil
        environment["NIGHTDESK_HANDLER"] = "tester"
        environment["NIGHTDESK_LONE_CODE"] = nil
        environment["NIGHTDESK_LONE_DURESS"] = nil
        environment.merge(extra) { $1 }
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        if finished.wait(timeout: .now() + runSecondsMax) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
            Issue.record("nightdesk \(arguments.joined(separator: " ")) ran over \(runSecondsMax) s and was killed")
        }
        try out.close()
        try err.close()
        return RunResult(
            arguments: arguments, status: process.terminationStatus,
            stdout: try String(contentsOfFile: outPath, encoding: .utf8),
            stderr: try String(contentsOfFile: errPath, encoding: .utf8))
    }
}

/// Places in the repository the tests read from.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static var cataloguePath: String { root.appendingPathComponent("Topology/participants.toml").path }
}

/// A site's data folder made with `nightdesk init` in a temporary folder of its own, removed when released.
final class TestSite {
    let code: String
    let root: URL
    let data: String

    init(_ code: String = "WST", gazetteers: Bool = true) throws {
        self.code = code
        root = FileManager.default.temporaryDirectory.appendingPathComponent("nightdesk-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        data = root.appendingPathComponent("data").path
        var arguments = ["init", "--data", data, "--site", code, "--catalogue", Repository.cataloguePath]
        if !gazetteers { arguments.append("--no-gazetteers") }
        let result = try NightdeskBinary.run(arguments)
        try #require(result.status == 0, "\(result)")
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// Runs a command against this site's data folder.
    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> RunResult {
        try NightdeskBinary.run(arguments + ["--data", data], environment: environment)
    }

    /// Logs a call that must succeed, and returns what was logged.
    @discardableResult
    func log(_ arguments: [String]) throws -> LoggedJSON {
        let result = try run(["call", "log", "--json"] + arguments)
        try #require(result.status == 0, "\(result)")
        return try decode(LoggedJSON.self, result.stdout)
    }

    /// Logs a graffiti report for Ealing on a Saturday night, when the option is in service.
    @discardableResult
    func logGraffiti(_ extra: [String] = [], at offeredAt: String = Times.saturdayNight) throws -> LoggedJSON {
        try log(
            ["--po", "EAL", "--option", "graffiti-removal", "--answer", "is_offensive=No", "--offered-at", offeredAt]
                + extra)
    }

    /// Every call held, newest first, exactly as `call search --json` prints it.
    func callsJSON() throws -> String {
        let result = try run(["call", "search", "--json", "--limit", "200"])
        try #require(result.status == 0, "\(result)")
        return result.stdout
    }

    func calls() throws -> [Call] { try decode([Call].self, try callsJSON()) }

    func show(_ reference: String) throws -> RecordJSON {
        let result = try run(["call", "show", reference, "--json"])
        try #require(result.status == 0, "\(result)")
        return try decode(RecordJSON.self, result.stdout)
    }

    /// Runs a command that must be refused, and checks that the calls held are exactly as before.
    func refused(_ arguments: [String], status: Int32 = 65, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> RunResult
    {
        let before = try callsJSON()
        let result = try run(arguments)
        #expect(result.status == status, "\(result)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, "a refused command prints no result: \(result)", sourceLocation: sourceLocation)
        #expect(try callsJSON() == before, "a refused command writes nothing", sourceLocation: sourceLocation)
        return result
    }
}

/// Offered-at times chosen against the hours profiles in `Topology/participants.toml` (London time).
enum Times {
    /// Saturday: evenings-nights-weekends runs all day; noise patrol runs 19:00-24:00.
    static let saturdayNight = "2026-11-21T22:00"
    /// Friday 23:00: noise patrol is running (19:00-24:00).
    static let fridayLate = "2026-11-20T23:00"
    /// Tuesday 22:00: noise patrol is closed all day on Tuesdays.
    static let tuesdayNight = "2026-11-24T22:00"
    /// Monday 02:59 and 03:00: noise patrol's Sunday night ends at 03:00.
    static let mondayBeforeThree = "2026-11-23T02:59"
    static let mondayThree = "2026-11-23T03:00"
}

/// `call log --json` output.
struct LoggedJSON: Decodable {
    let call: Call
    let possibleDuplicates: [Call]
    var reference: String { call.reference.description }
}

/// `call show --json` output.
struct RecordJSON: Decodable {
    struct Entry: Decodable, Equatable {
        let at: Date
        let site: String
        let author: String
        let kind: String
        let summary: String
    }
    struct Note: Decodable, Equatable {
        let at: Date
        let site: String
        let author: String
        let text: String
    }
    let call: Call
    let timeline: [Entry]
    let notes: [Note]
}

func decode<T: Decodable>(_ type: T.Type, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws
    -> T
{
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    do {
        return try decoder.decode(type, from: Data(text.utf8))
    } catch {
        Issue.record("output is not the expected JSON (\(error)): \(text)", sourceLocation: sourceLocation)
        throw error
    }
}

/// A London local time as an instant, for comparing with times the CLI prints.
func london(_ text: String) -> Date {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "Europe/London")
    formatter.dateFormat = "yyyy-MM-dd'T'HH:mm"
    return formatter.date(from: text)!
}
