import Foundation
import Store
import Testing

@testable import Node

/// The transports file: every transport read, the API key kept private, every problem listed at once.
@Suite struct TransportsConfigurationTests {
    @discardableResult
    func privateKeyFile(_ folder: TemporaryFolder, mode: Int = 0o600) throws -> String {
        let path = try folder.write("secrets/notify-api-key", FakeNotify.apiKey + "\n")
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    @Test func aFileNamingEveryTransportIsRead() throws {
        let folder = try TemporaryFolder()
        try privateKeyFile(folder)
        let path = try folder.write(
            "transports.toml",
            """
            [transports]
            sms = "notify"
            email = "sendmail"

            [transports.notify]
            apiKeyFile = "secrets/notify-api-key"
            smsTemplateID = "\(FakeNotify.smsTemplate)"
            baseURL = "http://127.0.0.1:8999"
            timeoutMs = 5000

            [transports.sendmail]
            from = "Out of hours service <ooh@example.gov.uk>"
            path = "/usr/bin/msmtp"
            arguments = ["-t", "-i", "-a", "council"]

            [transports.file]
            path = "phone.jsonl"
            """)
        let configuration = try TransportsConfiguration.load(path: path, environment: [:])
        let notify = try #require(configuration.byChannel[.sms] as? NotifyTransport)
        #expect(notify.baseURL.absoluteString == "http://127.0.0.1:8999")
        #expect(notify.key.serviceID == FakeNotify.serviceID)
        #expect(notify.smsTemplateID == FakeNotify.smsTemplate && notify.emailTemplateID == nil)
        #expect(notify.timeoutMs == 5_000)
        let sendmail = try #require(configuration.byChannel[.email] as? SendmailTransport)
        #expect(sendmail.path == "/usr/bin/msmtp" && sendmail.arguments == ["-t", "-i", "-a", "council"])
        #expect(sendmail.from.address == "ooh@example.gov.uk")
        #expect(sendmail.timeoutMs == TransportLimits.sendmailTimeoutMsDefault)
    }

    @Test func defaultsAreSendmailAtItsUsualPlaceAndNotifysOwnAddressAndRelativePathsAreTheFilesOwn() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write(
            "conf/transports.toml",
            """
            [transports]
            sms = "file"
            email = "sendmail"
            [transports.file]
            path = "demo/phone.jsonl"
            [transports.sendmail]
            from = "ooh@example.gov.uk"
            """)
        let configuration = try TransportsConfiguration.load(path: path, environment: [:])
        let file = try #require(configuration.byChannel[.sms] as? FileTransport)
        #expect(file.path == folder.path("conf/demo/phone.jsonl"))
        let sendmail = try #require(configuration.byChannel[.email] as? SendmailTransport)
        #expect(sendmail.path == "/usr/sbin/sendmail" && sendmail.arguments == ["-t", "-i"])
        #expect(NotifyTransport.defaultBaseURL.absoluteString == "https://api.notifications.service.gov.uk")
    }

    @Test func theAPIKeyMayComeFromTheEnvironmentButNeverFromAFileOthersCanRead() throws {
        let folder = try TemporaryFolder()
        let keyPath = try privateKeyFile(folder, mode: 0o644)
        let fromFile = try folder.write(
            "file.toml",
            """
            [transports]
            sms = "notify"
            [transports.notify]
            apiKeyFile = "\(keyPath)"
            smsTemplateID = "\(FakeNotify.smsTemplate)"
            """)
        let error = try #require(throws: TransportConfigurationError.self) {
            try TransportsConfiguration.load(path: fromFile, environment: [:])
        }
        #expect(error.description.contains("has mode 644") && error.description.contains("chmod 600"))
        #expect(!error.description.contains(FakeNotify.secretKey))
        let fromEnvironment = try folder.write(
            "environment.toml",
            """
            [transports]
            sms = "notify"
            [transports.notify]
            apiKeyEnvironment = "NIGHTDESK_NOTIFY_API_KEY"
            smsTemplateID = "\(FakeNotify.smsTemplate)"
            """)
        let configuration = try TransportsConfiguration.load(
            path: fromEnvironment, environment: ["NIGHTDESK_NOTIFY_API_KEY": FakeNotify.apiKey])
        #expect((configuration.byChannel[.sms] as? NotifyTransport)?.key.keyName == "nightdesk-test-key")
        let unset = try #require(throws: TransportConfigurationError.self) {
            try TransportsConfiguration.load(path: fromEnvironment, environment: [:])
        }
        #expect(unset.description.contains("NIGHTDESK_NOTIFY_API_KEY is not set"))
    }

    @Test func everyProblemIsListedAtOnce() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write(
            "transports.toml",
            """
            [transports]
            sms = "sendmail"
            email = "notify"
            fax = "file"

            [transports.notify]
            apiKeyFile = "missing-key"
            smsTemplateID = "not-a-uuid"
            baseURL = "http://api.notifications.service.gov.uk"
            timeoutMs = 600000

            [transports.sendmail]
            path = "/usr/sbin/sendmail"
            """)
        let error = try #require(throws: TransportConfigurationError.self) {
            try TransportsConfiguration.load(path: path, environment: [:])
        }
        let expected = [
            "unknown key 'fax'", "sms = \"sendmail\" is not a transport for sms", "missing-key does not exist",
            "emailTemplateID is missing", "smsTemplateID 'not-a-uuid' is not a template id",
            "must be an https:// URL", "timeoutMs must be a whole number from 1 to 60000",
        ]
        for text in expected { #expect(error.description.contains(text), "\(text) in \(error)") }
        #expect(error.problems.count == expected.count, "\(error)")
        let empty = try folder.write("empty.toml", "# nothing\n")
        #expect(throws: TransportConfigurationError.self) { try TransportsConfiguration.load(path: empty) }
        let broken = try folder.write("broken.toml", "[transports\n")
        #expect(throws: TransportConfigurationError.self) { try TransportsConfiguration.load(path: broken) }
    }
}
