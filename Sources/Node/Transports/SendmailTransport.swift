import Foundation
import Store

/// Hands email to a sendmail-compatible command (msmtp, Postfix, Exim): an RFC 5322 message on its standard
/// input, recipients read from the headers (`-t`), a lone dot not taken as the end (`-i`).
///
/// A zero exit means the command took the message; any other exit, or running past the time limit, is a failed
/// attempt carrying what the command wrote to standard error. Sendmail keeps no record the outbox can ask, so
/// after an interrupted attempt the message is sent again (at least once; the Message-ID stays the same).
public struct SendmailTransport: MessageTransport {
    public static let defaultPath = "/usr/sbin/sendmail"
    public static let defaultArguments = ["-t", "-i"]

    public let name = "sendmail"
    public let channels: Set<OutboxChannel> = [.email]
    public let path: String
    public let arguments: [String]
    public let from: MailSender
    public let timeoutMs: Int
    let clock: @Sendable () -> Date

    public init(
        path: String = Self.defaultPath, arguments: [String] = Self.defaultArguments, from: MailSender,
        timeoutMs: Int = TransportLimits.sendmailTimeoutMsDefault, clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        precondition(
            timeoutMs > 0 && timeoutMs <= TransportLimits.transportTimeoutMsMax, "sendmail time limit out of range")
        self.path = path
        self.arguments = arguments
        self.from = from
        self.timeoutMs = timeoutMs
        self.clock = clock
    }

    public func send(_ message: OutboxMessage) async throws -> DeliveryReceipt {
        guard message.channel == .email else {
            throw TransportError(.rejected, transport: name, "sendmail carries email only, not \(message.channel)")
        }
        let text = MailMessage.compose(message, from: from, date: clock())
        let outcome: ProcessRunner.Outcome
        do {
            outcome = try await ProcessRunner.run(
                path: path, arguments: arguments, input: Data(text.utf8), timeoutMs: timeoutMs)
        } catch ProcessRunner.Failure.cannotStart(let reason) {
            throw TransportError(
                .failed, transport: name,
                "cannot run \(path) (\(reason)); install a mail command such as msmtp, "
                    + "or set path in [transports.sendmail]"
            )
        }
        if outcome.timedOut {
            throw TransportError(
                .failed, transport: name,
                "\(path) did not finish within \(timeoutMs) ms and was stopped; tried again later")
        }
        guard outcome.status == 0 else {
            let said = outcome.standardError.isEmpty ? "nothing on standard error" : outcome.standardError
            throw TransportError(.failed, transport: name, "\(path) exited with status \(outcome.status): \(said)")
        }
        return DeliveryReceipt(transport: name, providerID: MailMessage.messageID(message, from: from))
    }
}
