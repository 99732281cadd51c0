import Domain
import Foundation
import NightdeskTestSupport
import Store
import Testing

@testable import Node

/// The GOV.UK Notify transport against a fake Notify on 127.0.0.1 that checks tokens as Notify does.
@Suite struct NotifyTransportTests {
    func transport(
        _ fake: FakeNotify, key: String = FakeNotify.apiKey, clock: @escaping @Sendable () -> Date = { Date() }
    ) throws -> NotifyTransport {
        NotifyTransport(
            baseURL: fake.baseURL, key: try NotifyAPIKey(parsing: key), smsTemplateID: FakeNotify.smsTemplate,
            emailTemplateID: FakeNotify.emailTemplate, timeoutMs: 10_000, clock: clock)
    }

    @Test func theTokenMatchesAVectorComputedIndependently() throws {
        // Computed with Python's standard library, not with this code:
        //   h = b64url(b'{"typ":"JWT","alg":"HS256"}')
        //   c = b64url(b'{"iss":"26785a09-ab16-4eb0-8407-a37497a57506","iat":1736000000}')
        //   s = b64url(hmac.new(b"3d844edf-8d35-48ac-975b-e847b4f122b0", f"{h}.{c}".encode(), hashlib.sha256).digest())
        let expected =
            "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9"
            + ".eyJpc3MiOiIyNjc4NWEwOS1hYjE2LTRlYjAtODQwNy1hMzc0OTdhNTc1MDYiLCJpYXQiOjE3MzYwMDAwMDB9"
            + ".UdF77-tyV5Y2QeX2CWvnBkYXTIfbrcESaCbxHqM3F5Q"
        let key = try NotifyAPIKey(parsing: FakeNotify.apiKey)
        #expect(NotifyToken.make(key: key, issuedAtSeconds: 1_736_000_000) == expected)
    }

    @Test func anAPIKeyIsSplitFromTheEndAndCheckedWithoutEverBeingRepeated() throws {
        let key = try NotifyAPIKey(parsing: "  " + FakeNotify.apiKey + "\n")
        #expect(key.keyName == "nightdesk-test-key")
        #expect(key.serviceID == FakeNotify.serviceID)
        #expect(key.secretKey == FakeNotify.secretKey)
        #expect(!key.description.contains(FakeNotify.secretKey))
        let bad = [
            FakeNotify.secretKey,
            "\(FakeNotify.serviceID)-\(FakeNotify.secretKey)",
            "name-\(FakeNotify.serviceID)-\(FakeNotify.secretKey.dropLast())x",
            "name-\(FakeNotify.serviceID.dropFirst())z-\(FakeNotify.secretKey)",
            "name_\(FakeNotify.serviceID)_\(FakeNotify.secretKey)",
        ]
        for text in bad {
            let error = try #require(throws: TransportConfigurationError.self) { try NotifyAPIKey(parsing: text) }
            #expect(!error.description.contains(FakeNotify.secretKey.prefix(8)), "\(error)")
        }
    }

    @Test func smsAndEmailAreSentWithASignedTokenTheTemplateAndTheReference() async throws {
        let store = try OutboxTestStore()
        let sms = try store.queueSMS()
        let email = try store.queueEmail()
        try await FakeNotify.run { fake in
            let notify = try transport(fake)
            let smsReceipt = try await notify.send(sms)
            let emailReceipt = try await notify.send(email)
            #expect(smsReceipt.transport == "notify" && smsReceipt.providerID?.count == 36)
            #expect(emailReceipt.providerID != smsReceipt.providerID)
            let received = fake.received
            try #require(received.count == 2)
            #expect(received[0].path == "/v2/notifications/sms")
            #expect(received[0].json["phone_number"] == "+447700900123")
            #expect(received[0].json["template_id"] == FakeNotify.smsTemplate)
            #expect(received[0].json["reference"] == sms.id.rawValue)
            #expect(received[0].personalisation == ["body": sms.body])
            #expect(received[1].path == "/v2/notifications/email")
            #expect(received[1].json["email_address"] == "duty.officer@ealing.gov.uk")
            #expect(received[1].json["template_id"] == FakeNotify.emailTemplate)
            #expect(received[1].personalisation == ["subject": email.subject!, "body": email.body])
        }
    }

    @Test func notifysErrorAnswersBecomeErrorsThatSayWhatToDo() async throws {
        let message = try OutboxTestStore().queueSMS()
        try await FakeNotify.run { fake in
            let notify = try transport(fake)
            fake.failNext(
                status: 400, error: "BadRequestError", message: "Can't send to this recipient using a team-only API key"
            )
            let refused = try await #require(throws: TransportError.self) { try await notify.send(message) }
            #expect(refused.kind == .rejected)
            #expect(
                refused.message.contains("400, BadRequestError: Can't send to this recipient using a team-only API key")
            )
            fake.failNext(
                status: 429, error: "RateLimitError",
                message: "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds")
            let limited = try await #require(throws: TransportError.self) { try await notify.send(message) }
            #expect(limited.kind == .failed && limited.message.contains("rate limit"))
            fake.failNext(status: 500, error: "Exception", message: "Internal server error")
            let down = try await #require(throws: TransportError.self) { try await notify.send(message) }
            #expect(
                down.kind == .failed && down.message.contains("unavailable (500, Exception: Internal server error)"))
            for error in [refused, limited, down] {
                #expect(!error.message.contains(message.body) && !error.message.contains(FakeNotify.secretKey))
            }
        }
    }

    @Test func aWrongKeyOrAClockOffByMoreThan30SecondsIsRefusedAsTheKey() async throws {
        let message = try OutboxTestStore().queueSMS()
        try await FakeNotify.run { fake in
            let otherSecret = "nightdesk-test-key-\(FakeNotify.serviceID)-00000000-0000-4000-8000-000000000000"
            let wrong = try await #require(throws: TransportError.self) {
                try await transport(fake, key: otherSecret).send(message)
            }
            #expect(wrong.kind == .failed)
            #expect(wrong.message.contains("Notify refused the API key (403, AuthError: Invalid token: signature"))
            let skewed = try transport(fake, clock: { Date().addingTimeInterval(-45) })
            let stale = try await #require(throws: TransportError.self) { try await skewed.send(message) }
            #expect(stale.message.contains("accurate to within 30 seconds"))
            #expect(!stale.message.contains(FakeNotify.secretKey))
            // Within the 30 s Notify allows, the token is good.
            _ = try await transport(fake, clock: { Date().addingTimeInterval(-20) }).send(message)
            // The refused requests never got past the token check.
            #expect(fake.received.count == 1)
        }
    }

    @Test func aMessageIsLookedUpByItsReference() async throws {
        let store = try OutboxTestStore()
        let sent = try store.queueSMS()
        let never = try store.queueSMS("Another")
        try await FakeNotify.run { fake in
            let notify = try transport(fake)
            let receipt = try await notify.send(sent)
            #expect(try await notify.lookUp(sent) == .accepted(receipt))
            #expect(try await notify.lookUp(never) == .notFound)
            #expect(
                fake.received.filter { $0.method == "GET" }.map { $0.json["reference"] } == [
                    sent.id.rawValue, never.id.rawValue,
                ])
        }
    }

    @Test func aNotifyThatCannotBeReachedIsAFailedAttempt() async throws {
        let message = try OutboxTestStore().queueSMS()
        let port = try freeLoopbackPort()
        let notify = NotifyTransport(
            baseURL: URL(string: "http://127.0.0.1:\(port)")!, key: try NotifyAPIKey(parsing: FakeNotify.apiKey),
            smsTemplateID: FakeNotify.smsTemplate, emailTemplateID: nil, timeoutMs: 5_000)
        let error = try await #require(throws: TransportError.self) { try await notify.send(message) }
        #expect(error.kind == .failed && error.message.contains("cannot reach Notify at 127.0.0.1"))
    }
}
