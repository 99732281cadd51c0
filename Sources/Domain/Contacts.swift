import Foundation

/// Checks a short identifier typed by a person: lower-case letters, digits and hyphens, 1 to 64 characters.
///
/// Rota, override and contact identifiers are chosen by a Participating Organisation's back office (14.4) and
/// replicated to every site, so they must be stable text rather than row numbers local to one database.
func checkedSlug(_ text: String, what: String, example: String) throws -> String {
    let lower = text.trimmingCharacters(in: .whitespaces).lowercased()
    let allowed = lower.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" }
    guard !lower.isEmpty, lower.count <= DomainLimits.identifierCharactersMax, allowed, lower.first != "-",
        lower.last != "-"
    else {
        throw DomainError(
            .invalidValue,
            "\(what) '\(text)' is not valid: use 1 to \(DomainLimits.identifierCharactersMax) lower-case letters, "
                + "digits and hyphens, e.g. \(example)")
    }
    return lower
}

/// Identifier of an On-call Duty Staff member or contractor, e.g. `eal-jsmith`.
public struct OnCallContactID: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ text: String) throws {
        rawValue = try checkedSlug(text, what: "contact id", example: "eal-jsmith")
    }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// What a contact is to the organisation: who a handler is speaking to when the referral is passed.
public enum ContactRole: String, Codable, Sendable, CaseIterable {
    /// The PO's own On-call Duty Staff (5.2.3.3).
    case dutyOfficer = "duty-officer"
    /// An external contractor on the PO's rota, e.g. an emergency locksmith (2.3.3).
    case contractor
    /// A manager: the escalation point when duty staff do not respond (5.3.2).
    case manager
}

/// An email address, checked only as far as a referral needs: one `@`, a dotted domain, no spaces.
public struct EmailAddress: Hashable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        let domainLabels = parts.count == 2 ? parts[1].split(separator: ".", omittingEmptySubsequences: false) : []
        guard parts.count == 2, !parts[0].isEmpty, trimmed.count <= DomainLimits.emailCharactersMax,
            trimmed.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "," && $0 != ";" }),
            domainLabels.count >= 2, domainLabels.allSatisfy({ !$0.isEmpty && $0.first != "-" && $0.last != "-" })
        else {
            throw DomainError(
                .invalidValue,
                "email address '\(text)' is not valid: give one address such as duty.officer@ealing.gov.uk")
        }
        // The domain is case-insensitive; the local part is kept as written (RFC 5321 2.4).
        rawValue = parts[0] + "@" + parts[1].lowercased()
    }

    public init(from decoder: any Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
}

/// The ways a referral reaches On-call Duty Staff (5.2.3.3): an outbound call, SMS, email or pager message.
public enum ChannelKind: String, Codable, Sendable, CaseIterable, Comparable {
    case phone
    case sms
    case email
    case pager

    /// Whether the channel is a conversation (answered or not at once) rather than a message that is sent and
    /// later acknowledged.
    public var isConversation: Bool { self == .phone }

    var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}

/// One way of reaching a contact, with the number or address to use.
public enum ContactChannel: Hashable, Sendable, CustomStringConvertible {
    case phone(PhoneNumber)
    case sms(PhoneNumber)
    case email(EmailAddress)
    case pager(PhoneNumber)

    public var kind: ChannelKind {
        switch self {
        case .phone: .phone
        case .sms: .sms
        case .email: .email
        case .pager: .pager
        }
    }

    public var description: String {
        switch self {
        case .phone(let number): "phone \(number)"
        case .sms(let number): "SMS \(number)"
        case .email(let address): "email \(address)"
        case .pager(let number): "pager \(number)"
        }
    }
}

/// A person or contractor who can be put on a rota (the specification's On-call Duty Staff, 2.3.3).
///
/// Contact details are Regularly Variable Data: the PO changes them at any time, and the change applies to the
/// next lookup (2.3.3, 14.4).
public struct OnCallContact: Hashable, Codable, Sendable {
    public let id: OnCallContactID
    public let organisation: OrganisationCode
    public let name: String
    public let role: ContactRole
    /// Landline or mobile for an outbound call.
    public let phone: PhoneNumber?
    /// A UK mobile for SMS.
    public let mobile: PhoneNumber?
    public let email: EmailAddress?
    public let pager: PhoneNumber?
    /// Who to escalate to when this contact does not respond (5.3.2).
    public let manager: OnCallContactID?

    public init(
        id: OnCallContactID, organisation: OrganisationCode, name: String, role: ContactRole,
        phone: PhoneNumber? = nil, mobile: PhoneNumber? = nil, email: EmailAddress? = nil,
        pager: PhoneNumber? = nil, manager: OnCallContactID? = nil
    ) throws {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= DomainLimits.contactNameCharactersMax else {
            throw DomainError(
                .invalidValue,
                "contact \(id) needs a name of 1 to \(DomainLimits.contactNameCharactersMax) characters")
        }
        // SMS can only reach a mobile: UK mobiles are 071–075 and 077–079 (070 is a personal number, 076 pagers).
        if let mobile, !Self.isMobile(mobile) {
            throw DomainError(
                .invalidValue,
                "contact \(id): \(mobile) is not a UK mobile number, so it cannot receive SMS; "
                    + "give a number starting 07 such as 07700 900123, or give it as the phone number instead")
        }
        guard phone != nil || mobile != nil || email != nil || pager != nil else {
            throw DomainError(
                .invalidValue,
                "contact \(id) (\(trimmed)) has no phone, mobile, email or pager: a referral could not reach them")
        }
        if manager == id {
            throw DomainError(.invalidValue, "contact \(id) cannot be their own manager: name someone else or none")
        }
        self.id = id
        self.organisation = organisation
        self.name = trimmed
        self.role = role
        self.phone = phone
        self.mobile = mobile
        self.email = email
        self.pager = pager
        self.manager = manager
    }

    static func isMobile(_ number: PhoneNumber) -> Bool {
        let digits = Array(number.e164.utf8)
        // "+447" then a digit other than 0 (personal numbers) or 6 (pagers).
        guard number.e164.hasPrefix("+447"), digits.count == 13 else { return false }
        return digits[4] != UInt8(ascii: "0") && digits[4] != UInt8(ascii: "6")
    }

    /// Every way of reaching the contact, in the order phone, SMS, email, pager.
    public var channels: [ContactChannel] {
        ChannelKind.allCases.compactMap { channel($0) }
    }

    /// The number or address for one kind of channel, if the contact has one.
    public func channel(_ kind: ChannelKind) -> ContactChannel? {
        switch kind {
        case .phone: phone.map(ContactChannel.phone)
        case .sms: mobile.map(ContactChannel.sms)
        case .email: email.map(ContactChannel.email)
        case .pager: pager.map(ContactChannel.pager)
        }
    }

    private enum CodingKeys: String, CodingKey {
        case id, organisation, name, role, phone, mobile, email, pager, manager
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            id: try container.decode(OnCallContactID.self, forKey: .id),
            organisation: try container.decode(OrganisationCode.self, forKey: .organisation),
            name: try container.decode(String.self, forKey: .name),
            role: try container.decode(ContactRole.self, forKey: .role),
            phone: try container.decodeIfPresent(PhoneNumber.self, forKey: .phone),
            mobile: try container.decodeIfPresent(PhoneNumber.self, forKey: .mobile),
            email: try container.decodeIfPresent(EmailAddress.self, forKey: .email),
            pager: try container.decodeIfPresent(PhoneNumber.self, forKey: .pager),
            manager: try container.decodeIfPresent(OnCallContactID.self, forKey: .manager))
    }
}
