import Domain
import Foundation
import Store
import Testing

@testable import Node

/// The mail command and file transports, run for real: a shell script stands in for sendmail.
@Suite struct SendmailAndFileTransportTests {
    let sender = try! MailSender(parsing: "Out of hours service <ooh@example.gov.uk>")
    let fixed = Date(timeIntervalSince1970: 1_795_467_600)  // 2026-11-23 21:00:00 UTC

    @Test func anEmailIsAnRFC5322MessageWithAQuotedPrintableUTF8Body() throws {
        let store = try OutboxTestStore()
        let body =
            "Caller: Zoë Smith\nRent £250 = overdue\ntrailing space \n" + String(repeating: "long ", count: 30) + "\n"
        let message = try store.queueEmail(body: body)
        let text = MailMessage.compose(message, from: sender, date: fixed)
        let parts = text.components(separatedBy: "\n\n")
        let headers = parts[0].components(separatedBy: "\n")
        #expect(headers.contains("From: \"Out of hours service\" <ooh@example.gov.uk>"))
        #expect(headers.contains("To: duty.officer@ealing.gov.uk"))
        #expect(headers.contains("Subject: Referral WST-222-223Z: Dangerous structures"))
        #expect(headers.contains("Date: Mon, 23 Nov 2026 21:00:00 +0000"))
        #expect(headers.contains("Message-ID: <\(message.id)@example.gov.uk>"))
        #expect(headers.contains("MIME-Version: 1.0"))
        #expect(headers.contains("Content-Type: text/plain; charset=UTF-8"))
        #expect(headers.contains("Content-Transfer-Encoding: quoted-printable"))
        #expect(headers.contains("X-Nightdesk-Call: WST-222-223Z"))
        let encoded = parts.dropFirst().joined(separator: "\n\n")
        #expect(encoded.contains("Zo=C3=AB Smith"))
        #expect(encoded.contains("Rent =C2=A3250 =3D overdue"))
        #expect(encoded.contains("trailing space=20\n"))
        #expect(encoded.split(separator: "\n").allSatisfy { $0.count <= 76 })
        #expect(encoded.allSatisfy { $0.isASCII })
        #expect(decodeQuotedPrintable(encoded) == body)
    }

    @Test func aLongSubjectIsFoldedAndOneOutsideASCIIIsEncodedAndNeitherCanAddAHeader() throws {
        let long = "Referral WST-222-223Z: " + String(repeating: "Dangerous structures ", count: 6)
        let folded = MailMessage.encodedHeader(long, nameLength: "Subject: ".count)
        let rows = folded.components(separatedBy: "\n")
        #expect(rows.count > 1)
        #expect(rows[0].count + "Subject: ".count <= 78)
        #expect(rows.dropFirst().allSatisfy { $0.hasPrefix(" ") && $0.count <= 78 })
        #expect(folded.replacingOccurrences(of: "\n ", with: " ") == long)
        let accented = MailMessage.encodedHeader("Réferral – 12 Acacia Avenue, £", nameLength: 9)
        let words = accented.components(separatedBy: "\n ")
        #expect(words.allSatisfy { $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") && $0.count <= 75 })
        let decoded = words.map { word -> String in
            let inner = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            return String(decoding: Data(base64Encoded: String(inner))!, as: UTF8.self)
        }.joined()
        #expect(decoded == "Réferral – 12 Acacia Avenue, £")
        #expect(!MailMessage.encodedHeader("Hello\nBcc: everyone@example.com", nameLength: 9).contains("\nBcc"))
        #expect(throws: TransportConfigurationError.self) { try MailSender(parsing: "Evil\n <a@b.c>") }
        #expect(throws: TransportConfigurationError.self) { try MailSender(parsing: "not an address") }
    }

    @Test func sendmailGetsTheMessageOnStandardInputWithItsArguments() async throws {
        let folder = try TemporaryFolder()
        let fake = try FakeSendmail(in: folder)
        let store = try OutboxTestStore()
        let message = try store.queueEmail()
        let transport = SendmailTransport(path: fake.path, from: sender, clock: { self.fixed })
        let receipt = try await transport.send(message)
        #expect(receipt == DeliveryReceipt(transport: "sendmail", providerID: "<\(message.id)@example.gov.uk>"))
        #expect(fake.arguments == ["-t", "-i"])
        #expect(fake.mails == [MailMessage.compose(message, from: sender, date: fixed)])
        // Sendmail keeps nothing the outbox can ask: after an interruption the rule is at least once.
        #expect(try await transport.lookUp(message) == .cannotTell)
    }

    @Test func aSendmailThatExitsNonZeroIsAFailedAttemptCarryingItsStandardError() async throws {
        let folder = try TemporaryFolder()
        let fake = try FakeSendmail(
            in: folder, exitStatus: 75, standardError: "msmtp: cannot connect to smtp.example.gov.uk, port 587")
        let message = try OutboxTestStore().queueEmail()
        let transport = SendmailTransport(path: fake.path, arguments: ["-t", "-i", "-a", "council"], from: sender)
        let error = try await #require(throws: TransportError.self) { try await transport.send(message) }
        #expect(error.kind == .failed)
        #expect(error.message.contains("exited with status 75"))
        #expect(error.message.contains("msmtp: cannot connect to smtp.example.gov.uk, port 587"))
        #expect(!error.message.contains("Wall bowing"), "an error never carries the body")
        #expect(fake.arguments == ["-t", "-i", "-a", "council"])
    }

    @Test func aSendmailThatHangsIsStoppedAtItsTimeLimitWithWhatItStarted() async throws {
        let folder = try TemporaryFolder()
        let pidPath = folder.path("sleep.pid")
        // The script starts a child and waits for it, as a mailer with a helper might.
        let fake = try FakeSendmail(in: folder, then: "sleep 120 & echo $! > '\(pidPath)'; wait")
        let message = try OutboxTestStore().queueEmail()
        let transport = SendmailTransport(path: fake.path, from: sender, timeoutMs: 2_000)
        let started = ContinuousClock.now
        let error = try await #require(throws: TransportError.self) { try await transport.send(message) }
        #expect(error.message.contains("did not finish within 2000 ms"))
        // Far sooner than the child's two minutes, even on a machine busy with other tests.
        #expect(ContinuousClock.now - started < .seconds(60))
        // The child went with it: gone, or a zombie waiting to be reaped.
        let pid = try #require(
            Int32(try String(contentsOfFile: pidPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        let stopped = await eventually(within: .seconds(10)) {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
            return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
        }
        #expect(stopped, "the sendmail script's child \(pid) is still running")
    }

    @Test func aMissingMailCommandIsAFailedAttemptThatSaysWhatToInstall() async throws {
        let folder = try TemporaryFolder()
        let message = try OutboxTestStore().queueEmail()
        let transport = SendmailTransport(path: folder.path("no-such-sendmail"), from: sender)
        let error = try await #require(throws: TransportError.self) { try await transport.send(message) }
        #expect(error.kind == .failed)
        #expect(error.message.contains("msmtp"))
    }

    @Test func theFileTransportAppendsOneJSONLinePerMessageToAPrivateFileAndFindsThemAgain() async throws {
        let folder = try TemporaryFolder()
        let store = try OutboxTestStore()
        let sms = try store.queueSMS()
        let email = try store.queueEmail()
        let unsent = try store.queueSMS("Another")
        let transport = FileTransport(path: folder.path("phone.jsonl"), clock: { self.fixed })
        _ = try await transport.send(sms)
        _ = try await transport.send(email)
        #expect(try permissions(folder.path("phone.jsonl")) & 0o777 == 0o600)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let lines = try String(contentsOfFile: folder.path("phone.jsonl"), encoding: .utf8).split(separator: "\n")
        let entries = try lines.map { try decoder.decode(FileTransport.Line.self, from: Data($0.utf8)) }
        #expect(entries.map(\.id) == [sms.id.rawValue, email.id.rawValue])
        #expect(entries[0].to == "+447700900123" && entries[0].body == sms.body && entries[0].subject == nil)
        #expect(entries[1].subject == email.subject && entries[1].callReference == "WST-222-223Z")
        #expect(entries[1].writtenAt == fixed)
        #expect(try await transport.lookUp(sms) == .accepted(DeliveryReceipt(transport: "file", providerID: nil)))
        #expect(try await transport.lookUp(unsent) == .notFound)
    }

    @Test func theFileTransportRefusesAFileOthersCanRead() async throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("phone.jsonl", "")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let transport = FileTransport(path: path)
        let error = try await #require(throws: TransportError.self) {
            try await transport.send(try OutboxTestStore().queueSMS())
        }
        #expect(error.message.contains("chmod 600"))
        #expect(try String(contentsOfFile: path, encoding: .utf8).isEmpty)
    }
}
