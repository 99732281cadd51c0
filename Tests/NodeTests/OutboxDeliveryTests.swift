import Domain
import Foundation
import Logging
import Store
import Testing

@testable import Node

/// The delivery rule, with real transports: each attempt recorded before the send and its result after; an
/// interrupted attempt looked up where the transport can say, and otherwise sent again.
@Suite struct OutboxDeliveryTests {
    let quiet: Logger = {
        var logger = Logger(label: "test.outbox")
        logger.logLevel = .critical
        return logger
    }()
    let sender = try! MailSender(parsing: "ooh@example.gov.uk")

    func delivery(
        _ store: OutboxTestStore, _ transports: [OutboxChannel: any MessageTransport], interruptedAfterMs: Int64 = 0
    ) -> OutboxDelivery {
        OutboxDelivery(
            database: store.database, transports: transports,
            policy: OutboxRetryPolicy(retryDelayMs: 0, interruptedAfterMs: interruptedAfterMs), logger: quiet)
    }

    func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test func eachPendingMessageIsSentOnceAndItsAttemptRecorded() async throws {
        let store = try OutboxTestStore()
        let folder = try TemporaryFolder()
        let sms = try store.queueSMS()
        let email = try store.queueEmail()
        let file = FileTransport(path: folder.path("phone.jsonl"))
        let run = delivery(store, [.sms: file, .email: file])
        let entries = try await run.run()
        #expect(entries.map(\.result) == [.sent, .sent])
        #expect(Set(entries.map(\.message)) == [sms.id, email.id])
        #expect(try store.message(sms.id).status == .sent)
        #expect(try store.database.attempts(of: sms.id).map(\.outcome) == [.sent])
        // A second run finds nothing to do: a sent message is never sent again.
        #expect(try await run.run().isEmpty)
        #expect(lines(folder.path("phone.jsonl")).count == 2)
    }

    @Test func aFailedSendIsRecordedAndTriedAgainByALaterRun() async throws {
        let store = try OutboxTestStore()
        let folder = try TemporaryFolder()
        let message = try store.queueEmail()
        let failing = try FakeSendmail(in: folder, name: "down", exitStatus: 75, standardError: "smtp server down")
        let first = try await delivery(store, [.email: SendmailTransport(path: failing.path, from: sender)]).run()
        #expect(first.map(\.result) == [.failed])
        #expect(first.first?.error?.contains("smtp server down") == true)
        #expect(try store.message(message.id).status == .failed)
        #expect(try store.message(message.id).lastError?.contains("exited with status 75") == true)
        let working = try FakeSendmail(in: folder, name: "up")
        let second = try await delivery(store, [.email: SendmailTransport(path: working.path, from: sender)]).run()
        #expect(second.map(\.result) == [.sent])
        #expect(try store.database.attempts(of: message.id).map(\.outcome) == [.failed, .sent])
        #expect(working.mails.count == 1)
    }

    @Test func anAttemptStillUnderWayIsLeftAlone() async throws {
        let store = try OutboxTestStore()
        let folder = try TemporaryFolder()
        let message = try store.queueSMS()
        _ = try store.database.beginAttempt(message.id, transport: "file", at: Date())
        let entries = try await delivery(
            store, [.sms: FileTransport(path: folder.path("phone.jsonl"))], interruptedAfterMs: 120_000
        ).run()
        #expect(entries.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: folder.path("phone.jsonl")))
    }

    @Test func anInterruptedAttemptThatHadSentIsFoundAndNotSentAgain() async throws {
        let store = try OutboxTestStore()
        let folder = try TemporaryFolder()
        let message = try store.queueSMS()
        let file = FileTransport(path: folder.path("phone.jsonl"))
        // The sender stopped after the transport took the message and before its result was recorded.
        let attempt = try store.database.beginAttempt(message.id, transport: "file", at: Date())
        _ = try await file.send(message)
        let entries = try await delivery(store, [.sms: file]).run()
        #expect(entries.map(\.result) == [.foundSent])
        #expect(entries.first?.attempt == attempt)
        #expect(lines(folder.path("phone.jsonl")).count == 1)
        #expect(try store.database.attempts(of: message.id).map(\.outcome) == [.sent])
        #expect(try store.message(message.id).status == .sent)
    }

    @Test func anInterruptedAttemptThatHadNotSentIsClosedAndTheMessageSentOnce() async throws {
        let store = try OutboxTestStore()
        let folder = try TemporaryFolder()
        let message = try store.queueSMS()
        let file = FileTransport(path: folder.path("phone.jsonl"))
        let attempt = try store.database.beginAttempt(message.id, transport: "file", at: Date())
        let entries = try await delivery(store, [.sms: file]).run()
        #expect(entries.map(\.result) == [.sent])
        #expect(entries.first?.interrupted == attempt)
        #expect(lines(folder.path("phone.jsonl")).count == 1)
        let attempts = try store.database.attempts(of: message.id)
        #expect(attempts.map(\.outcome) == [.interrupted, .sent])
        #expect(attempts.first?.error?.contains("holds no message with this reference") == true)
    }

    @Test func anInterruptedAttemptSettledMeanwhileByAnotherSenderIsLeftToIt() async throws {
        let store = try OutboxTestStore()
        let folder = try TemporaryFolder()
        let message = try store.queueSMS()
        let open = try store.database.beginAttempt(message.id, transport: "file", at: Date())
        let seen = try store.database.pendingMessages(
            at: Date(), policy: OutboxRetryPolicy(retryDelayMs: 0, interruptedAfterMs: 0))
        try #require(seen.first?.openAttempt?.id == open)
        // A second `outbox send` at this site closes the attempt and starts its own before this one acts.
        try store.database.finishAttempt(open, outcome: .interrupted, providerID: nil, error: "closed", at: Date())
        _ = try store.database.beginAttempt(message.id, transport: "file", at: Date())
        let file = FileTransport(path: folder.path("phone.jsonl"))
        let entry = try await delivery(store, [.sms: file]).deliver(seen[0])
        #expect(entry.result == .skipped)
        #expect(!FileManager.default.fileExists(atPath: folder.path("phone.jsonl")))
    }

    @Test func anInterruptedAttemptOnATransportThatCannotTellIsSentAgainAtLeastOnce() async throws {
        let store = try OutboxTestStore()
        let folder = try TemporaryFolder()
        let fake = try FakeSendmail(in: folder)
        let transport = SendmailTransport(path: fake.path, from: sender)
        let message = try store.queueEmail()
        _ = try store.database.beginAttempt(message.id, transport: "sendmail", at: Date())
        _ = try await transport.send(message)
        let entries = try await delivery(store, [.email: transport]).run()
        #expect(entries.map(\.result) == [.sent])
        // Sent twice, with one Message-ID, so a mail client can tell the second is the same message.
        #expect(fake.mails.count == 2)
        #expect(fake.mails.allSatisfy { $0.contains("Message-ID: <\(message.id)@example.gov.uk>") })
        #expect(try store.database.attempts(of: message.id).first?.error?.contains("at least once") == true)
    }

    @Test func anInterruptedNotifyAttemptIsLookedUpByItsReferenceAndNotSentTwice() async throws {
        let store = try OutboxTestStore()
        let sent = try store.queueSMS()
        let unsent = try store.queueSMS("Second referral")
        try await FakeNotify.run { fake in
            let notify = NotifyTransport(
                baseURL: fake.baseURL, key: try NotifyAPIKey(parsing: FakeNotify.apiKey),
                smsTemplateID: FakeNotify.smsTemplate, emailTemplateID: nil)
            _ = try store.database.beginAttempt(sent.id, transport: "notify", at: Date())
            let receipt = try await notify.send(sent)
            _ = try store.database.beginAttempt(unsent.id, transport: "notify", at: Date())
            let entries = try await delivery(store, [.sms: notify]).run()
            #expect(entries.map(\.result) == [.foundSent, .sent])
            #expect(entries.first?.providerID == receipt.providerID)
            let posts = fake.received.filter { $0.method == "POST" }.compactMap { $0.json["reference"] }
            #expect(posts == [sent.id.rawValue, unsent.id.rawValue])
            #expect(try store.database.attempts(of: unsent.id).map(\.outcome) == [.interrupted, .sent])
        }
    }

    @Test func aRejectedMessageIsLeftForAPersonAndAChannelWithoutATransportIsNotAttempted() async throws {
        let store = try OutboxTestStore()
        let sms = try store.queueSMS()
        let email = try store.queueEmail()
        try await FakeNotify.run { fake in
            fake.failNext(status: 400, error: "ValidationError", message: "phone_number Not a UK mobile number")
            let notify = NotifyTransport(
                baseURL: fake.baseURL, key: try NotifyAPIKey(parsing: FakeNotify.apiKey),
                smsTemplateID: FakeNotify.smsTemplate, emailTemplateID: nil)
            let entries = try await delivery(store, [.sms: notify]).run()
            #expect(entries.map(\.result) == [.rejected, .noTransport])
            #expect(try store.message(sms.id).givenUp)
            #expect(try store.database.attempts(of: email.id).isEmpty)
            #expect(try await delivery(store, [.sms: notify]).run().map(\.message) == [email.id])
        }
    }
}
