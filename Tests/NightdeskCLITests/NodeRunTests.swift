import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `nightdesk node run` as a service manager runs it: started, left to report, then stopped with SIGTERM.
@Suite struct NodeRunTests {
    /// Longest the node may take to start, or to stop once asked.
    static let waitSecondsMax = 10.0

    @Test func nodeReportsItsStateAndStopsCleanlyOnSIGTERM() throws {
        let site = try TestSite("WST", gazetteers: false)
        try site.logGraffiti()
        let binary = try #require(NightdeskBinary.url, "the nightdesk executable was not found")
        let errPath = site.root.appendingPathComponent("node.stderr").path
        try #require(FileManager.default.createFile(atPath: errPath, contents: nil))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        defer { try? err.close() }

        let process = Process()
        process.executableURL = binary
        process.arguments = ["node", "run", "--data", site.data, "--status-interval-ms", "100"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        defer {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                finished.wait()
            }
        }

        func log() -> String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }
        let deadline = Date().addingTimeInterval(Self.waitSecondsMax)
        while !log().contains("node status"), Date() < deadline, process.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let started = log()
        try #require(started.contains("node status"), "the node never reported its status: \(started)")
        #expect(started.contains("node started"), "\(started)")
        #expect(started.contains("node.site=WST"), "\(started)")
        #expect(started.contains("calls.total=1"), "\(started)")

        kill(process.processIdentifier, SIGTERM)
        let stopped = finished.wait(timeout: .now() + Self.waitSecondsMax) == .success
        #expect(stopped, "the node did not stop within \(Self.waitSecondsMax) s of SIGTERM")
        if stopped {
            #expect(process.terminationReason == .exit, "\(log())")
            #expect(process.terminationStatus == 0, "\(log())")
            #expect(log().contains("node stopping"), "\(log())")
        }
    }

    @Test func nodeForAFolderOfAnotherSiteDoesNotStart() throws {
        let site = try TestSite("WST", gazetteers: false)
        let result = try NightdeskBinary.run(["node", "run", "--data", site.data, "--site", "EST"])
        #expect(result.status == 78, "\(result)")
        #expect(result.stderr.contains("belongs to site WST, not EST"), "\(result)")
    }
}
