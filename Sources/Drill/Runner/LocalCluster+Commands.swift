import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `nightdesk` command the runner started and goes on without waiting for (`site evacuate` runs while the
/// drill's calls go on), its output collected as it comes.
public final class RunningCommand: @unchecked Sendable {
    private let process: Process
    private let lock = NSLock()
    private var collected = Data()

    init(binary: URL, arguments: [String]) throws {
        process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["NIGHTDESK_DATA"] = nil
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.collected.append(data) }
        }
        try process.run()
    }

    /// The exit status once the command has ended; nil while it runs.
    public var exitStatus: Int32? {
        guard !process.isRunning else { return nil }
        process.waitUntilExit()
        // What the command wrote just before it ended may still be in the pipe.
        if let pipe = process.standardOutput as? Pipe {
            pipe.fileHandleForReading.readabilityHandler = nil
            let rest = pipe.fileHandleForReading.readDataToEndOfFile()
            lock.withLock { collected.append(rest) }
        }
        return process.terminationStatus
    }

    /// What the command wrote so far, stdout and stderr together.
    public var output: String { lock.withLock { String(decoding: collected, as: UTF8.self) } }

    /// Interrupts the command (SIGINT, as a person at the terminal would) and waits, bounded, for it to end.
    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGINT)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

extension LocalCluster {
    /// Starts `nightdesk arguments` and returns at once.
    public func launch(_ arguments: [String]) throws -> RunningCommand {
        try RunningCommand(binary: binary, arguments: arguments)
    }

    /// Runs `nightdesk arguments` to completion; its status and combined output.
    public func execute(_ arguments: [String]) throws -> (Int32, String) {
        try runCommand(binary, arguments)
    }
}
