import Foundation
import Store

/// An outbox email as an RFC 5322 message with a MIME UTF-8 body, as a sendmail-compatible command reads it.
///
/// Lines end in LF: `sendmail -t -i` (and msmtp) take the local convention and write CRLF on the wire. The
/// Message-ID is made from the outbox message's id, so a message sent twice under the at-least-once rule
/// arrives with the same Message-ID and a mail client can tell it is the same one.
enum MailMessage {
    static func compose(_ message: OutboxMessage, from: MailSender, date: Date) -> String {
        var headers = [
            "From: \(from.header)",
            "To: \(message.recipient)",
            "Subject: " + encodedHeader(message.subject ?? "", nameLength: "Subject: ".count),
            "Date: \(rfc5322Date(date))",
            "Message-ID: \(messageID(message, from: from))",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: quoted-printable",
            // RFC 3834: automatic mail; out-of-office replies should not answer it.
            "Auto-Submitted: auto-generated",
        ]
        if let reference = message.callReference { headers.append("X-Nightdesk-Call: \(reference)") }
        return headers.joined(separator: "\n") + "\n\n" + quotedPrintable(message.body)
    }

    static func messageID(_ message: OutboxMessage, from: MailSender) -> String {
        "<\(message.id)@\(from.domain)>"
    }

    /// `Mon, 23 Nov 2026 21:00:00 +0000` (RFC 5322 3.3), always in UTC.
    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }

    /// A header value: plain ASCII folded at spaces to 78 columns, or RFC 2047 base64 encoded-words when it
    /// holds anything else; line breaks never survive, so a value cannot start a header of its own.
    static func encodedHeader(_ value: String, nameLength: Int) -> String {
        let flat = value.split(whereSeparator: \.isNewline).joined(separator: " ")
        if flat.allSatisfy({ $0.isASCII && !$0.isNewline }) {
            var lines: [String] = []
            var line: String?
            // Columns used before `line` on its row: the header's name first, the folding space after.
            var used = nameLength
            for word in flat.split(separator: " ", omittingEmptySubsequences: false) {
                guard let current = line else {
                    line = String(word)
                    continue
                }
                if used + current.count + 1 + word.count > 78 {
                    lines.append(current)
                    line = String(word)
                    used = 1
                } else {
                    line = current + " " + word
                }
            }
            lines.append(line ?? "")
            return lines.joined(separator: "\n ")
        }
        // 45 bytes make 60 base64 characters: with "=?UTF-8?B?" and "?=" a word stays within 75 (RFC 2047 2).
        var words: [String] = []
        var chunk = Data()
        for character in flat {
            let bytes = Data(String(character).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?\(chunk.base64EncodedString())?=")
                chunk = Data()
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(chunk.base64EncodedString())?=") }
        return words.joined(separator: "\n ")
    }

    /// Quoted-printable (RFC 2045 6.7): lines of at most 76 characters, soft breaks marked with `=`.
    static func quotedPrintable(_ text: String) -> String {
        let normalised = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var output: [String] = []
        for line in normalised.split(separator: "\n", omittingEmptySubsequences: false) {
            let bytes = Array(line.utf8)
            var tokens: [String] = []
            for (index, byte) in bytes.enumerated() {
                let last = index == bytes.count - 1
                switch byte {
                case 33...60, 62...126: tokens.append(String(UnicodeScalar(byte)))
                // A space or tab ending a line would be lost in transport: it is encoded there only.
                case 32 where !last, 9 where !last: tokens.append(String(UnicodeScalar(byte)))
                default: tokens.append(String(format: "=%02X", byte))
                }
            }
            var current = ""
            for token in tokens {
                if current.count + token.count > 75 {
                    output.append(current + "=")
                    current = ""
                }
                current += token
            }
            output.append(current)
        }
        return output.joined(separator: "\n") + (normalised.hasSuffix("\n") ? "" : "\n")
    }
}

/// The From of outbox mail: a display name and an address, checked when the transports file is read.
public struct MailSender: Sendable, Equatable {
    public let name: String?
    public let address: String

    /// Accepts `ooh@example.gov.uk` or `Out of hours <ooh@example.gov.uk>`.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var name: String?
        var address = trimmed
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            let display = trimmed[..<open].trimmingCharacters(in: .whitespaces)
            name = display.isEmpty ? nil : display
        }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            address.allSatisfy({ $0.isASCII && !$0.isWhitespace && !"<>\",;".contains($0) }),
            (name ?? "").allSatisfy({ !$0.isNewline && !"<>\"\\".contains($0) })
        else {
            throw TransportConfigurationError(
                "from '\(text)' is not a sender: give an address, e.g. \"Out of hours <ooh@example.gov.uk>\"")
        }
        self.name = name
        self.address = address
    }

    var domain: String { String(address.split(separator: "@")[1]) }

    var header: String {
        guard let name else { return address }
        let quoted = name.allSatisfy { $0.isASCII } ? "\"\(name)\"" : MailMessage.encodedHeader(name, nameLength: 6)
        return "\(quoted) <\(address)>"
    }
}
