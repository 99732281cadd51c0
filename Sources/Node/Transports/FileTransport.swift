import Foundation
import Store

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes each message as one JSON line to a file readable by its owner only: the demo's "phone".
///
/// A line is appended with a single `write` on a file opened for appending, so lines from two processes never
/// interleave. The file holds message bodies: it is created with mode 0600 and refused if others can read it.
public struct FileTransport: MessageTransport {
    public let name = "file"
    public let channels: Set<OutboxChannel> = Set(OutboxChannel.allCases)
    public let path: String
    let clock: @Sendable () -> Date

    public init(path: String, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.path = path
        self.clock = clock
    }

    /// One line of the file.
    public struct Line: Codable, Sendable, Equatable {
        public let id: String
        public let organisation: String
        public let channel: String
        public let to: String
        public let subject: String?
        public let body: String
        public let callReference: String?
        public let referralID: String?
        public let writtenAt: Date
    }

    public func send(_ message: OutboxMessage) async throws -> DeliveryReceipt {
        let line = Line(
            id: message.id.rawValue, organisation: message.organisation.rawValue, channel: message.channel.rawValue,
            to: message.recipient, subject: message.subject, body: message.body, callReference: message.callReference,
            referralID: message.referralID, writtenAt: clock())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let bytes = Array(try encoder.encode(line)) + [UInt8(ascii: "\n")]
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failed("cannot open it for appending (errno \(errno))") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failed("cannot read its mode (errno \(errno))") }
        guard status.st_mode & 0o077 == 0 else {
            throw failed(
                "it has mode \(String(status.st_mode & 0o777, radix: 8)) and holds message bodies; "
                    + "run `chmod 600 \(path)`"
            )
        }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw failed("cannot append a line (errno \(errno))") }
        return DeliveryReceipt(transport: name, providerID: nil)
    }

    /// Whether the file already has a line for the message.
    public func lookUp(_ message: OutboxMessage) async throws -> LookupResult {
        guard FileManager.default.fileExists(atPath: path) else { return .notFound }
        guard let data = FileManager.default.contents(atPath: path) else { throw failed("cannot read it") }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        for line in data.split(separator: UInt8(ascii: "\n")) {
            if let entry = try? decoder.decode(Line.self, from: line), entry.id == message.id.rawValue {
                return .accepted(DeliveryReceipt(transport: name, providerID: nil))
            }
        }
        return .notFound
    }

    func failed(_ reason: String) -> TransportError {
        TransportError(.failed, transport: name, "\(path): \(reason)")
    }
}
