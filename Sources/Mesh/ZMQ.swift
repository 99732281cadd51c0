import CZeroMQ
import Foundation
import Sodium
import Synchronization

// The one place libzmq calls are made and their return codes turned into `MeshError`s (the model is NIO's
// `syscall(blocking:where:_:)`). Sockets are not thread-safe: each belongs to one dedicated thread, and is
// handed to it with `DedicatedThread.start`, whose `sending` closure makes any later use by the old owner a
// compile error.

/// The outcome of a call that may have to wait: done, or `EAGAIN` (NIO's `IOResult`).
enum IOResult<Value> {
    case done(Value)
    case wouldBlock
}

/// Runs one libzmq call: retries on `EINTR`, returns `.wouldBlock` on `EAGAIN`, throws anything else.
func zmqCall(_ operation: @autoclosure () -> String, _ call: () -> Int32) throws(MeshError) -> IOResult<Int32> {
    while true {
        let result = call()
        if result >= 0 { return .done(result) }
        let code = zmq_errno()
        switch code {
        case czeromq_eintr(): continue
        case czeromq_eagain(): return .wouldBlock
        default: throw zmqError(operation(), code: code)
        }
    }
}

/// A libzmq call that never legitimately waits (options, bind, connect): `EAGAIN` is a failure there too.
@discardableResult
func zmqCheck(_ operation: @autoclosure () -> String, _ call: () -> Int32) throws(MeshError) -> Int32 {
    switch try zmqCall(operation(), call) {
    case .done(let result): return result
    case .wouldBlock: throw zmqError(operation(), code: czeromq_eagain())
    }
}

/// The error for `code` (libzmq's `zmq_errno()` after a failed call).
func zmqError(_ operation: String, code: Int32) -> MeshError {
    if code == czeromq_eterm() { return .terminated }
    return .socket(operation: operation, code: code, reason: String(cString: zmq_strerror(code)))
}

extension Duration {
    /// Whole milliseconds, clamped to what a libzmq `int` option holds.
    var zmqMilliseconds: Int32 {
        let (seconds, attoseconds) = components
        let milliseconds = seconds.multipliedReportingOverflow(by: 1_000)
        guard !milliseconds.overflow else { return seconds < 0 ? 0 : Int32.max }
        return Int32(clamping: max(0, milliseconds.partialValue + attoseconds / 1_000_000_000_000_000))
    }
}

/// A libzmq context: thread-safe by libzmq's contract, terminated when released (or by `terminate()`).
final class ZMQContext: Sendable {
    // libzmq documents contexts as thread-safe; the pointer itself is never reassigned.
    nonisolated(unsafe) let handle: UnsafeMutableRawPointer
    private let phase = Mutex(Phase.open)

    private enum Phase { case open, shutDown, terminating }

    init() throws(MeshError) {
        guard let handle = zmq_ctx_new() else { throw zmqError("zmq_ctx_new", code: zmq_errno()) }
        self.handle = handle
    }

    /// Makes every blocking call on this context's sockets return `ETERM` (the ZAP thread's signal to stop).
    func shutdown() {
        phase.withLock { phase in
            guard phase == .open else { return }
            phase = .shutDown
            _ = zmq_ctx_shutdown(handle)
        }
    }

    /// Waits until every socket is closed and has lingered at most its `ZMQ_LINGER`; the first call only.
    func terminate() {
        let first = phase.withLock { phase in
            defer { phase = .terminating }
            return phase != .terminating
        }
        guard first else { return }
        while zmq_ctx_term(handle) != 0 && zmq_errno() == czeromq_eintr() {}
    }

    deinit { terminate() }
}

/// One libzmq socket: not thread-safe, so not `Sendable`; it lives on exactly one thread at a time.
final class ZMQSocket {
    let handle: UnsafeMutableRawPointer
    /// Keeps the context alive (and unterminated) while this socket is open.
    private let context: ZMQContext
    private var isClosed = false

    /// A socket of `type` (`ZMQ_ROUTER`…) whose `ZMQ_LINGER` is set at once, so closing it never hangs.
    init(_ context: ZMQContext, type: Int32, linger: Duration) throws(MeshError) {
        guard let handle = zmq_socket(context.handle, type) else {
            throw zmqError("zmq_socket", code: zmq_errno())
        }
        self.handle = handle
        self.context = context
        try set(ZMQ_LINGER, linger.zmqMilliseconds, "ZMQ_LINGER")
    }

    deinit { close() }

    func set(_ option: Int32, _ value: Int32, _ name: String) throws(MeshError) {
        var value = value
        try zmqCheck("zmq_setsockopt(\(name))") { zmq_setsockopt(handle, option, &value, MemoryLayout<Int32>.size) }
    }

    func set(_ option: Int32, int64 value: Int64, _ name: String) throws(MeshError) {
        var value = value
        try zmqCheck("zmq_setsockopt(\(name))") { zmq_setsockopt(handle, option, &value, MemoryLayout<Int64>.size) }
    }

    func set(_ option: Int32, bytes: [UInt8], _ name: String) throws(MeshError) {
        try zmqCheck("zmq_setsockopt(\(name))") {
            bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        }
    }

    /// A string option such as `ZMQ_LAST_ENDPOINT`.
    func string(_ option: Int32, _ name: String) throws(MeshError) -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        var size = buffer.count
        try zmqCheck("zmq_getsockopt(\(name))") { zmq_getsockopt(handle, option, &buffer, &size) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func bind(_ endpoint: String) throws(MeshError) {
        try zmqCheck("zmq_bind(\(endpoint))") { zmq_bind(handle, endpoint) }
    }

    func connect(_ endpoint: String) throws(MeshError) {
        try zmqCheck("zmq_connect(\(endpoint))") { zmq_connect(handle, endpoint) }
    }

    /// Queues one single-part message without waiting; `.wouldBlock` when no pipe can take it now.
    func send(_ bytes: [UInt8], more: Bool = false) throws(MeshError) -> IOResult<Int32> {
        let flags = ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0)
        return try zmqCall("zmq_send") { bytes.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) } }
    }

    /// Reports events (`ZMQ_EVENT_…`) of this socket on an inproc PAIR endpoint; `nil` stops reporting.
    func monitor(_ endpoint: String?, events: Int32) throws(MeshError) {
        try zmqCheck("zmq_socket_monitor") { zmq_socket_monitor(handle, endpoint, events) }
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        _ = zmq_close(handle)
    }
}

/// A reusable receive buffer (`zmq_msg_t`), kept at a stable address as libzmq requires.
final class ZMQMessage {
    private let pointer: UnsafeMutablePointer<zmq_msg_t>

    init() {
        pointer = .allocate(capacity: 1)
        _ = zmq_msg_init(pointer)
    }

    deinit {
        _ = zmq_msg_close(pointer)
        pointer.deallocate()
    }

    /// Receives the next message part without waiting; false when none is waiting.
    func receive(from socket: ZMQSocket) throws(MeshError) -> Bool {
        switch try zmqCall("zmq_msg_recv", { zmq_msg_recv(pointer, socket.handle, ZMQ_DONTWAIT) }) {
        case .done: true
        case .wouldBlock: false
        }
    }

    var count: Int { zmq_msg_size(pointer) }

    var bytes: [UInt8] {
        let count = zmq_msg_size(pointer)
        guard count > 0, let data = zmq_msg_data(pointer) else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: count))
    }

    /// Whether more parts of the same message follow.
    var hasMore: Bool { zmq_msg_more(pointer) == 1 }

    /// A metadata property of the connection the part came from, e.g. `User-Id` (set by the ZAP handler).
    func property(_ name: String) -> String? {
        guard let value = zmq_msg_gets(pointer, name) else { return nil }
        return String(cString: value)
    }

    /// Reads and discards the rest of a multi-part message.
    func discardRemainingParts(of socket: ZMQSocket) throws(MeshError) -> Int {
        var discarded = 0
        while hasMore, try receive(from: socket) { discarded += 1 }
        return discarded
    }
}

/// Polls sockets and file descriptors together.
func zmqPoll(_ items: inout [zmq_pollitem_t], timeout: Duration?) throws(MeshError) -> Int32 {
    let timeoutMs = timeout.map { Int($0.zmqMilliseconds) } ?? -1
    switch try zmqCall("zmq_poll", { zmq_poll(&items, Int32(items.count), timeoutMs) }) {
    case .done(let ready): return ready
    case .wouldBlock: return 0
    }
}

/// Threads that are not Swift's cooperative pool: blocking `zmq_poll` lives there.
enum DedicatedThread {
    /// Runs `body` on a new thread, which becomes the only owner of everything `body` captures.
    ///
    /// `body` is `sending`: the caller gives up what it captures, so touching a socket after handing it over
    /// is a compile error ("sending 'socket' risks causing data races"), not a race found in production.
    static func start(name: String, _ body: sending @escaping () -> Void) {
        let handedOver = HandedOver(body: body)
        let thread = Thread { handedOver.body() }
        thread.name = name
        thread.start()
    }

    /// Carries a closure across the thread boundary. Unchecked, but sound: the only way in is the
    /// `sending` parameter above, so no other reference to what the closure captures remains.
    private struct HandedOver: @unchecked Sendable {
        let body: () -> Void
    }
}

extension CurveSecretKey {
    /// The key as `ZMQ_CURVE_SECRETKEY` takes it: 40 characters of Z85 and a terminating zero.
    ///
    /// libzmq copies the option at once; the array is short-lived and never logged.
    var zmqOptionText: [UInt8] { Array(z85().utf8CString).map { UInt8(bitPattern: $0) } }
}
