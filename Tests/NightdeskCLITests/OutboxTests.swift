import Foundation
import Testing

/// `nightdesk outbox`: queueing, listing and sending, with the file transport and a stand-in sendmail script.
@Suite struct OutboxTests {
    /// `outbox list --json` output, as far as these tests read it.
    struct MessageJSON: Decodable {
        let id: String
        let status: String
        let channel: String
        let recipient: String
        let subject: String?
        let attempts: Int
        let lastError: String?
        let givenUp: Bool
    }

    struct ShowJSON: Decodable {
        struct Attempt: Decodable {
            let transport: String
            let outcome: String?
            let error: String?
        }
        let message: MessageJSON
        let attempts: [Attempt]
    }

    func enqueue(_ site: TestSite, _ arguments: [String]) throws -> String {
        let result = try site.run(["outbox", "enqueue", "--po", "EAL", "--json"] + arguments)
        try #require(result.status == 0, "\(result)")
        return try decode([String: String].self, result.stdout)["id"] ?? ""
    }

    func list(_ site: TestSite, _ arguments: [String] = []) throws -> [MessageJSON] {
        let result = try site.run(["outbox", "list", "--json"] + arguments)
        try #require(result.status == 0, "\(result)")
        return try decode([MessageJSON].self, result.stdout)
    }

    func show(_ site: TestSite, _ id: String) throws -> ShowJSON {
        let result = try site.run(["outbox", "show", id, "--json"])
        try #require(result.status == 0, "\(result)")
        return try decode(ShowJSON.self, result.stdout)
    }

    /// A transports file in the site's folder; returns its path.
    func transportsFile(_ site: TestSite, _ name: String, _ text: String) throws -> String {
        let path = site.root.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A sendmail stand-in in the site's folder that appends each message to `<name>.mail` and exits as told.
    func sendmail(_ site: TestSite, _ name: String, exit status: Int = 0, standardError: String = "", then: String = "")
        throws -> (path: String, mails: () -> [String])
    {
        let mail = site.root.appendingPathComponent("\(name).mail").path
        let script = """
            #!/bin/sh
            cat >> '\(mail)'
            echo '=== end ===' >> '\(mail)'
            \(standardError.isEmpty ? "" : "echo '\(standardError)' >&2")
            \(then)
            exit \(status)
            """
        let path = site.root.appendingPathComponent(name).path
        try Data(script.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return (
            path,
            {
                ((try? String(contentsOfFile: mail, encoding: .utf8)) ?? "").components(separatedBy: "=== end ===\n")
                    .filter { !$0.isEmpty }
            }
        )
    }

    @Test func anOperatorQueuesListsAndSendsMessagesThroughTheFileTransport() throws {
        let site = try TestSite(gazetteers: false)
        let sms = try enqueue(
            site,
            ["--channel", "sms", "--to", "07700 900123", "--body", "Jane Smith\n12 Acacia Avenue\nRef WST-222-223Z"])
        let email = try enqueue(
            site,
            [
                "--channel", "email", "--to", "duty.officer@ealing.gov.uk", "--subject", "Referral WST-222-223Z",
                "--body", "Wall bowing over the pavement.", "--call", "WST-222-223Z",
            ])
        #expect(try list(site).map(\.status) == ["queued", "queued"])
        #expect(try list(site, ["--status", "queued", "--po", "EAL"]).count == 2)
        #expect(try list(site).first { $0.id == sms }?.recipient == "+447700900123")
        let transports = try transportsFile(
            site, "transports.toml",
            "[transports]\nsms = \"file\"\nemail = \"file\"\n[transports.file]\npath = \"phone.jsonl\"\n")
        let sent = try site.run(["outbox", "send", "--transports", transports])
        #expect(sent.status == 0, "\(sent)")
        #expect(sent.stdout.contains("2 of 2 pending messages sent"))
        #expect(!sent.stdout.contains("Acacia"), "send reports never print a body")
        let phone = site.root.appendingPathComponent("phone.jsonl").path
        let lines = try String(contentsOfFile: phone, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let attributes = try FileManager.default.attributesOfItem(atPath: phone)
        #expect(((attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0) & 0o777 == 0o600)
        #expect(Set(try list(site, ["--status", "sent"]).map(\.id)) == [sms, email])
        // Each is sent once: a second run has nothing to do.
        let again = try site.run(["outbox", "send", "--transports", transports, "--json"])
        #expect(again.status == 0, "\(again)")
        #expect(try decode([String].self, again.stdout).isEmpty)
        #expect(try String(contentsOfFile: phone, encoding: .utf8).split(separator: "\n").count == 2)
        let record = try show(site, email)
        #expect(record.attempts.map(\.transport) == ["file"] && record.attempts.map(\.outcome) == ["sent"])
    }

    @Test func whatCannotBeSentIsRefusedAndNothingIsQueued() throws {
        let site = try TestSite(gazetteers: false)
        let refusals: [([String], String)] = [
            (["--channel", "sms", "--to", "07700 900123", "--body", "Snowman ☃"], "outside the GSM-7 alphabet"),
            (
                ["--channel", "sms", "--to", "07700 900123", "--body", String(repeating: "€", count: 81)],
                "162 GSM-7 septets; one SMS holds 160 (5.2.5)"
            ),
            (["--channel", "sms", "--to", "12345", "--body", "Hello"], "not a valid UK number"),
            (["--channel", "email", "--to", "duty.officer@ealing.gov.uk", "--body", "Hello"], "needs a subject"),
            (["--channel", "email", "--to", "not-an-address", "--subject", "S", "--body", "Hello"], "email address"),
        ]
        for (arguments, message) in refusals {
            let result = try site.run(["outbox", "enqueue", "--po", "EAL"] + arguments)
            #expect(result.status == 65, "\(result)")
            #expect(result.stderr.contains(message), "\(result)")
            #expect(result.stdout.isEmpty)
        }
        let fax = try site.run(["outbox", "enqueue", "--po", "EAL", "--channel", "fax", "--to", "x", "--body", "x"])
        #expect(fax.status == 64, "\(fax)")
        #expect(try list(site).isEmpty)
    }

    @Test func emailGoesThroughSendmailAndAFailureIsReportedThenRetried() throws {
        let site = try TestSite(gazetteers: false)
        let id = try enqueue(
            site,
            [
                "--channel", "email", "--to", "duty.officer@ealing.gov.uk", "--subject", "Référral WST-222-223Z",
                "--body", "Caller: Zoë Smith",
            ])
        let down = try sendmail(
            site, "down-sendmail", exit: 75, standardError: "msmtp: cannot connect to smtp.example.gov.uk")
        let failing = try transportsFile(
            site, "failing.toml",
            "[transports]\nemail = \"sendmail\"\n[transports.sendmail]\nfrom = \"Out of hours <ooh@example.gov.uk>\"\n"
                + "path = \"\(down.path)\"\n")
        let failed = try site.run(["outbox", "send", "--transports", failing])
        #expect(failed.status == 75, "\(failed)")
        #expect(failed.stdout.contains("exited with status 75: msmtp: cannot connect to smtp.example.gov.uk"))
        let listed = try list(site, ["--status", "failed"])
        #expect(listed.map(\.id) == [id])
        #expect(listed.first?.lastError?.contains("msmtp: cannot connect") == true)
        #expect(listed.first?.givenUp == false)
        // Not tried again before the retry delay.
        let early = try site.run(["outbox", "send", "--transports", failing])
        #expect(early.status == 0 && early.stdout.contains("0 of 0"), "\(early)")
        let up = try sendmail(site, "up-sendmail")
        let working = try transportsFile(
            site, "working.toml",
            "[transports]\nemail = \"sendmail\"\n[transports.sendmail]\nfrom = \"Out of hours <ooh@example.gov.uk>\"\n"
                + "path = \"\(up.path)\"\n")
        let sent = try site.run(["outbox", "send", "--transports", working, "--retry-delay-ms", "0"])
        #expect(sent.status == 0, "\(sent)")
        let mails = up.mails()
        try #require(mails.count == 1)
        #expect(mails[0].contains("To: duty.officer@ealing.gov.uk\n"))
        #expect(mails[0].contains("Subject: =?UTF-8?B?"))
        #expect(mails[0].contains("Message-ID: <\(id)@example.gov.uk>"))
        #expect(mails[0].contains("Content-Transfer-Encoding: quoted-printable"))
        #expect(mails[0].contains("Caller: Zo=C3=AB Smith"))
        #expect(try show(site, id).attempts.map(\.outcome) == ["failed", "sent"])
    }

    @Test func aSenderKilledMidSendIsTakenAsInterruptedAndTheEmailSentAgainAtLeastOnce() throws {
        let site = try TestSite(gazetteers: false)
        let id = try enqueue(
            site, ["--channel", "email", "--to", "duty.officer@ealing.gov.uk", "--subject", "S", "--body", "Hello"])
        // The mail command takes the message, then the sender dies before it can record the result.
        let crashing = try sendmail(site, "crashing-sendmail", then: "kill -9 $PPID")
        let crash = try transportsFile(
            site, "crash.toml",
            "[transports]\nemail = \"sendmail\"\n[transports.sendmail]\nfrom = \"ooh@example.gov.uk\"\n"
                + "path = \"\(crashing.path)\"\n"
        )
        let killed = try site.run(["outbox", "send", "--transports", crash])
        #expect(killed.status != 0 && killed.stdout.isEmpty, "\(killed)")
        #expect(crashing.mails().count == 1)
        #expect(try list(site, ["--status", "sending"]).map(\.id) == [id])
        // Within the interruption bound the attempt may still be under way: nothing is sent.
        let normal = try sendmail(site, "sendmail")
        let transports = try transportsFile(
            site, "transports.toml",
            "[transports]\nemail = \"sendmail\"\n[transports.sendmail]\nfrom = \"ooh@example.gov.uk\"\n"
                + "path = \"\(normal.path)\"\n"
        )
        let waiting = try site.run(["outbox", "send", "--transports", transports])
        #expect(waiting.status == 0 && waiting.stdout.contains("0 of 0"), "\(waiting)")
        // Past it, the attempt was interrupted; sendmail cannot say whether it took the message, so it is sent
        // again, with the same Message-ID.
        let resent = try site.run(["outbox", "send", "--transports", transports, "--interrupted-after-ms", "0"])
        #expect(resent.status == 0, "\(resent)")
        #expect(resent.stdout.contains("interrupted attempt"))
        #expect(normal.mails().count == 1)
        #expect(normal.mails()[0].contains("Message-ID: <\(id)@example.gov.uk>"))
        #expect(crashing.mails()[0].contains("Message-ID: <\(id)@example.gov.uk>"))
        let record = try show(site, id)
        #expect(record.message.status == "sent")
        #expect(record.attempts.map(\.outcome) == ["interrupted", "sent"])
        #expect(record.attempts.first?.error?.contains("at least once") == true)
    }

    @Test func aTransportsFileThatCannotBeUsedStopsSendBeforeAnythingIsSent() throws {
        let site = try TestSite(gazetteers: false)
        let id = try enqueue(site, ["--channel", "sms", "--to", "07700 900123", "--body", "Hello"])
        let key = site.root.appendingPathComponent("notify-api-key").path
        let secret = "3d844edf-8d35-48ac-975b-e847b4f122b0"
        try Data("ooh-\("26785a09-ab16-4eb0-8407-a37497a57506")-\(secret)\n".utf8).write(to: URL(fileURLWithPath: key))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key)
        let transports = try transportsFile(
            site, "transports.toml",
            "[transports]\nsms = \"notify\"\n[transports.notify]\napiKeyFile = \"\(key)\"\n"
                + "smsTemplateID = \"f33517ff-2a88-4f6e-b855-c550268ce08a\"\n")
        let result = try site.run(["outbox", "send", "--transports", transports])
        #expect(result.status == 78, "\(result)")
        #expect(result.stderr.contains("chmod 600"))
        #expect(!result.stderr.contains(secret) && !result.stdout.contains(secret))
        #expect(try list(site).first { $0.id == id }?.attempts == 0)
        let missing = try site.run([
            "outbox", "send", "--transports", site.root.appendingPathComponent("none.toml").path,
        ])
        #expect(missing.status == 78, "\(missing)")
    }
}
