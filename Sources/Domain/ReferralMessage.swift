import Foundation

/// An SMS composed for On-call Duty Staff, with what had to give way to fit it in one message.
public struct ReferralSMS: Hashable, Sendable {
    public let text: String
    /// GSM-7 septets used: an extension character such as `€` counts 2.
    public let septets: Int
    /// Fields cut short with "...", lowest priority first.
    public let shortened: [ReferralMessage.Field]
    /// Fields left out, lowest priority first.
    public let dropped: [ReferralMessage.Field]
}

/// An email composed for On-call Duty Staff: plain text with the call's full details.
public struct ReferralEmail: Hashable, Sendable {
    public let subject: String
    public let body: String
}

/// The messages that pass a referral to On-call Duty Staff (5.2.3.3, 5.2.5).
public enum ReferralMessage {
    /// The data of an SMS in the priority order of 5.2.5: a) name, b) address, c) phone, d) details, e) reference.
    public enum Field: String, Sendable, CaseIterable {
        case name, address, phone, details, reference
    }

    // GSM 03.38: the default alphabet, and the extension table reached by an escape (2 septets each).
    static let basic: Set<Character> = Set(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
            + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
    static let extended: Set<Character> = Set("\u{0C}^{}\\[~]|€")
    /// Common characters outside GSM-7 and the nearest a phone can show.
    static let substitutes: [Character: String] = [
        "‘": "'", "’": "'", "‚": "'", "′": "'", "`": "'", "“": "\"", "”": "\"", "„": "\"", "″": "\"",
        "–": "-", "—": "-", "‐": "-", "−": "-", "…": "...", "\t": " ", "\u{A0}": " ", "•": "-", "ç": "Ç",
    ]

    /// Septets one character costs, or `nil` outside GSM-7.
    static func cost(_ character: Character) -> Int? {
        if basic.contains(character) { return 1 }
        if extended.contains(character) { return 2 }
        return nil
    }

    /// The text in GSM-7: look-alikes replaced, accents outside the alphabet taken off, anything else dropped.
    public static func gsm7(_ text: String) -> String {
        var result = ""
        for character in text {
            if cost(character) != nil {
                result.append(character)
            } else if let substitute = substitutes[character] {
                result += substitute
            } else if let scalar = String(character).decomposedStringWithCanonicalMapping.unicodeScalars.first,
                Character(scalar) != character, cost(Character(scalar)) != nil
            {
                // "á" decomposes to "a" and a combining accent; "a" is GSM-7.
                result.append(Character(scalar))
            }
        }
        return result
    }

    /// Septets a GSM-7 text takes.
    public static func septets(_ text: String) -> Int { text.reduce(0) { $0 + (cost($1) ?? 0) } }

    /// One line of a message: GSM-7, whitespace (including line breaks) collapsed to single spaces.
    static func line(_ text: String) -> String {
        gsm7(text).split(whereSeparator: { $0.isWhitespace || $0.isNewline }).joined(separator: " ")
    }

    /// A UK number as dialled at home, e.g. `07700900123`: what an officer taps to call back.
    static func national(_ number: PhoneNumber) -> String { "0" + number.e164.dropFirst(3) }

    /// An SMS of at most 160 GSM-7 septets (5.2.5).
    ///
    /// Fields appear one a line in the order of 5.2.5. When they do not fit, the lowest-priority field gives way
    /// first: details are cut short with "...", then the phone number is left out (a cut number is worse than
    /// none), then the address and the name are cut short. The reference is never cut or left out: it is how the
    /// officer and the call centre find the call.
    public static func sms(
        name: String?, address: String?, phone: PhoneNumber?, details: String, reference: CallReference
    ) -> ReferralSMS {
        var lines: [(Field, String)] = [
            (.name, line(name ?? "")), (.address, line(address ?? "")),
            (.phone, phone.map { "Tel " + national($0) } ?? ""), (.details, line(details)),
            (.reference, "Ref " + reference.description),
        ].filter { !$0.1.isEmpty }
        var shortened: [Field] = []
        var dropped: [Field] = []
        func total() -> Int { lines.reduce(lines.count - 1) { $0 + septets($1.1) } }
        for field in [Field.details, .phone, .address, .name] where total() > DomainLimits.smsSeptetsMax {
            guard let position = lines.firstIndex(where: { $0.0 == field }) else { continue }
            let others = total() - septets(lines[position].1)
            let budget = DomainLimits.smsSeptetsMax - others
            if field != .phone, let cut = cutShort(lines[position].1, toSeptets: budget) {
                lines[position].1 = cut
                shortened.append(field)
            } else {
                lines.remove(at: position)
                dropped.append(field)
            }
        }
        let text = lines.map(\.1).joined(separator: "\n")
        return ReferralSMS(text: text, septets: septets(text), shortened: shortened, dropped: dropped)
    }

    /// The SMS for a logged call.
    public static func sms(for call: Call) -> ReferralSMS {
        sms(
            name: call.caller.name, address: call.incidentAddress?.text, phone: call.caller.phone,
            details: call.details, reference: call.reference)
    }

    /// The text cut to fit `budget` septets with "..." at the end, or `nil` if not even a character fits.
    static func cutShort(_ text: String, toSeptets budget: Int) -> String? {
        let ellipsis = "..."
        var kept = ""
        var used = septets(ellipsis)
        for character in text {
            let cost = cost(character) ?? 0
            guard used + cost <= budget else { break }
            kept.append(character)
            used += cost
        }
        while kept.last == " " { kept.removeLast() }
        return kept.isEmpty ? nil : kept + ellipsis
    }

    /// A plain-text email with everything the call centre knows of the call (5.2.3.3: "all relevant data").
    public static func email(
        for call: Call, organisation: ParticipatingOrganisation, calendar: OperatingCalendar
    ) -> ReferralEmail {
        let option = organisation.option(call.option)
        let optionName = option?.name ?? call.option.rawValue
        let logged = calendar.localTime(of: call.offeredAt)
        let loggedText =
            "\(logged.date) "
            + String(format: "%02d:%02d", logged.minuteOfDay / 60, logged.minuteOfDay % 60)
        let place = call.incidentAddress.map { " - " + line($0.text) } ?? ""
        var body: [String] = [
            "Referral from the out-of-hours service for \(organisation.name).", "",
            "Reference: \(call.reference)",
            "Service Option: \(optionName)",
            "Call logged: \(loggedText) (UK time)",
            "Caller: \(call.caller.name ?? "(not given)")",
            "Caller phone: \(call.caller.phone.map(national) ?? "(not given)")",
            "Address: \(call.incidentAddress?.text ?? "(not given)")",
        ]
        if let uprn = call.incidentAddress?.uprn { body.append("UPRN: \(uprn)") }
        if let ward = call.incidentAddress?.ward { body.append("Ward: \(ward)") }
        body += ["", "Details:", call.details.isEmpty ? "(none recorded)" : call.details]
        if !call.answers.isEmpty {
            body += ["", "Answers:"]
            // In the script's order, so the officer reads them as the caller was asked.
            let questions = option?.questions ?? []
            let ordered = call.answers.sorted { a, b in
                let left = questions.firstIndex { $0.code == a.key } ?? .max
                let right = questions.firstIndex { $0.code == b.key } ?? .max
                return (left, a.key) < (right, b.key)
            }
            for (code, answer) in ordered {
                let prompt = questions.first { $0.code == code }?.prompt ?? code
                body.append("\(prompt) \(answer.display)")
            }
        }
        body += ["", "Please acknowledge this referral, quoting reference \(call.reference)."]
        return ReferralEmail(
            subject: "Referral \(call.reference): \(optionName) (\(organisation.code))\(place)",
            body: body.joined(separator: "\n") + "\n")
    }
}
