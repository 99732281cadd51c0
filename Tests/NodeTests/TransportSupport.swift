import Domain
import Foundation
import NightdeskTestSupport
import Store
import Testing

@testable import Node

/// A store of its own for transport and delivery tests, with the fixture catalogue loaded.
final class OutboxTestStore {
    let folder: TemporaryFolder
    let database: AppDatabase

    init(site: String = "WST") throws {
        folder = try TemporaryFolder()
        database = try AppDatabase(path: folder.path("nightdesk.sqlite"))
        try database.initialise(site: try SiteCode(site), at: Fixtures.london("2026-11-01 12:00"))
        try database.loadCatalogue(try Fixtures.catalogue(), at: Fixtures.london("2026-11-01 12:00"))
    }

    @discardableResult
    func queueSMS(_ body: String = "Jane Smith\n12 Acacia Avenue\nRef WST-222-223Z", to: String = "07700 900123")
        throws -> OutboxMessage
    {
        let id = try database.enqueue(
            OutboxDraft(organisation: try OrganisationCode("EAL"), channel: .sms, recipient: to, body: body), at: Date()
        )
        return try #require(try database.outboxMessage(id))
    }

    @discardableResult
    func queueEmail(
        subject: String = "Referral WST-222-223Z: Dangerous structures",
        body: String = "Wall bowing over the pavement.\n"
    ) throws -> OutboxMessage {
        let id = try database.enqueue(
            OutboxDraft(
                organisation: try OrganisationCode("EAL"), channel: .email, recipient: "duty.officer@ealing.gov.uk",
                subject: subject, body: body, callReference: try CallReference(parsing: "WST-222-223Z")),
            at: Date())
        return try #require(try database.outboxMessage(id))
    }

    func message(_ id: OutboxMessageID) throws -> OutboxMessage { try #require(try database.outboxMessage(id)) }
}

/// A sendmail stand-in: a shell script that records its arguments and standard input, then exits as told.
struct FakeSendmail {
    let path: String
    let argumentsPath: String
    let mailPath: String

    /// `then` runs after the mail is stored, before the exit: e.g. `kill -9 $PPID` to stop the sender mid-send.
    init(
        in folder: TemporaryFolder, name: String = "sendmail", exitStatus: Int32 = 0, standardError: String? = nil,
        then: String = ""
    ) throws {
        argumentsPath = folder.path("\(name).arguments")
        mailPath = folder.path("\(name).mail")
        let script = """
            #!/bin/sh
            printf '%s\\n' "$@" > '\(argumentsPath)'
            cat >> '\(mailPath)'
            printf '\\n--- end of message ---\\n' >> '\(mailPath)'
            \(standardError.map { "echo '\($0)' >&2" } ?? "")
            \(then)
            exit \(exitStatus)
            """
        path = try folder.write(name, script)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    var arguments: [String] {
        ((try? String(contentsOfFile: argumentsPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Every message it was given, in order.
    var mails: [String] {
        ((try? String(contentsOfFile: mailPath, encoding: .utf8)) ?? "").components(
            separatedBy: "\n--- end of message ---\n"
        )
        .filter { !$0.isEmpty }
    }
}

/// Decodes quoted-printable (RFC 2045 6.7), to check what `MailMessage` wrote.
func decodeQuotedPrintable(_ text: String) -> String {
    var bytes: [UInt8] = []
    let lines = text.components(separatedBy: "\n")
    for (index, line) in lines.enumerated() {
        var characters = Array(line.utf8)
        let soft = characters.last == UInt8(ascii: "=")
        if soft { characters.removeLast() }
        var position = 0
        while position < characters.count {
            if characters[position] == UInt8(ascii: "="), position + 2 < characters.count,
                let value = UInt8(
                    String(decoding: characters[(position + 1)...(position + 2)], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                position += 3
            } else {
                bytes.append(characters[position])
                position += 1
            }
        }
        if !soft && index < lines.count - 1 { bytes.append(UInt8(ascii: "\n")) }
    }
    return String(decoding: bytes, as: UTF8.self)
}
