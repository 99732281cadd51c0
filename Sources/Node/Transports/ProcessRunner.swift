import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a command with bytes on its standard input and a time limit, off Swift's cooperative threads.
///
/// The command is spawned in a process group of its own, so that at the time limit it is stopped together with
/// anything it started (a shell script's `sleep`, a mailer's helper), and it is waited for directly: a
/// descendant that keeps running cannot make the command look unfinished.
enum ProcessRunner {
    struct Outcome: Sendable {
        /// The exit status, or 128 + the signal that ended it.
        let status: Int32
        /// The start of what it wrote to standard error, at most `TransportLimits.commandErrorBytesMax`.
        let standardError: String
        let timedOut: Bool
    }

    enum Failure: Error {
        case cannotStart(String)
    }

    /// How often a running command is checked on.
    static let pollIntervalMs = 5

    static func run(path: String, arguments: [String], input: Data, timeoutMs: Int) async throws -> Outcome {
        // Blocking waits belong on a thread of their own, never on the cooperative pool other tasks need.
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result {
                        try runBlocking(path: path, arguments: arguments, input: input, timeoutMs: timeoutMs)
                    })
            }
        }
    }

    private static func runBlocking(path: String, arguments: [String], input: Data, timeoutMs: Int) throws -> Outcome {
        // A command that exits before reading all its input must cost a failed write, not the whole process.
        signal(SIGPIPE, SIG_IGN)
        // Standard error goes to a private file rather than a pipe, so nothing the command leaves running can
        // block us on it. It holds the command's complaints, never the message.
        let errorPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("nightdesk-command-\(UUID().uuidString).stderr").path
        let errorDescriptor = open(errorPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard errorDescriptor >= 0 else {
            throw Failure.cannotStart("cannot create a file for its error output (errno \(errno))")
        }
        defer {
            close(errorDescriptor)
            unlink(errorPath)
        }
        var pipeDescriptors: [Int32] = [0, 0]
        guard pipe(&pipeDescriptors) == 0 else { throw Failure.cannotStart("cannot make a pipe (errno \(errno))") }
        let (readEnd, writeEnd) = (pipeDescriptors[0], pipeDescriptors[1])
        // Only the child's copy of the read end (dup2'd to 0) survives exec.
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, readEnd, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, errorDescriptor, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        close(readEnd)
        guard spawned == 0 else {
            close(writeEnd)
            throw Failure.cannotStart(String(cString: strerror(spawned)))
        }
        // Written from another thread, so a command that never reads cannot stop the time limit from firing.
        Thread.detachNewThread {
            input.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = write(writeEnd, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0 && errno == EINTR { continue }
                    guard written > 0 else { break }
                    offset += written
                }
            }
            close(writeEnd)
        }

        let deadline = DispatchTime.now() + .milliseconds(timeoutMs)
        var status: Int32 = 0
        var timedOut = false
        while true {
            let waited = waitpid(pid, &status, WNOHANG)
            if waited == pid { break }
            if waited < 0 && errno != EINTR { break }
            if DispatchTime.now() >= deadline {
                timedOut = true
                kill(-pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                break
            }
            usleep(useconds_t(pollIntervalMs * 1_000))
        }
        // Low seven bits: the signal that ended it (0 when it exited); next eight: its exit status.
        let signalNumber = status & 0x7f
        let exitStatus = signalNumber == 0 ? (status >> 8) & 0xff : 128 + signalNumber

        var bytes = [UInt8](repeating: 0, count: TransportLimits.commandErrorBytesMax)
        let read = pread(errorDescriptor, &bytes, bytes.count, 0)
        let text = String(decoding: bytes.prefix(max(read, 0)), as: UTF8.self)
        return Outcome(
            status: exitStatus, standardError: text.trimmingCharacters(in: .whitespacesAndNewlines), timedOut: timedOut)
    }
}
