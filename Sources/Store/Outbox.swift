import Domain
import Foundation

/// Identifier of a message in the outbox: a UUID, written in lower case.
public struct OutboxMessageID: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(parsing text: String) throws {
        guard let uuid = UUID(uuidString: text.trimmingCharacters(in: .whitespaces)) else {
            throw DomainError(
                .invalidValue,
                "message id '\(text)' is not valid: give the id `nightdesk outbox list` shows, "
                    + "e.g. 3f2a9c1e-5b7d-4e8a-9c0f-1a2b3c4d5e6f")
        }
        rawValue = uuid.uuidString.lowercased()
    }

    /// A new, random identifier.
    public static func random() -> OutboxMessageID {
        OutboxMessageID(checked: UUID().uuidString.lowercased())
    }

    /// The identifier of the message `name` describes, the same at every site: a message a timer queues (a
    /// referral's escalation, a lone-worker alert, a failed line test) is named by what caused it and who it goes
    /// to, so two sites that both queue it in a partition's window make one message, not two
    /// (`FieldRule.immutable` keeps the earlier creation). Two 64-bit FNV-1a hashes with different offset bases,
    /// written as a UUID (version 8, RFC 9562's form for names hashed by other means); not a secret.
    public static func derived(from name: String) -> OutboxMessageID {
        func fnv1a(_ basis: UInt64) -> UInt64 {
            var hash = basis
            for byte in name.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01B3
            }
            return hash
        }
        var high = fnv1a(0xCBF2_9CE4_8422_2325)
        var low = fnv1a(0x6C62_272E_07BB_0142)
        high = (high & ~0xF000) | 0x8000  // version 8
        low = (low & ~(0b11 << 62)) | (0b10 << 62)  // RFC 9562 variant
        let hex = String(format: "%016llx%016llx", high, low)
        let characters = Array(hex)
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }
        return OutboxMessageID(checked: groups.joined(separator: "-"))
    }

    init(checked rawValue: String) { self.rawValue = rawValue }

    public init(from decoder: any Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// Identifier of one attempt to send a message: the site, change-set sequence and index that recorded it.
public struct OutboxAttemptID: Hashable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
}

/// How a message reaches On-call Duty Staff (5.2.3.3).
public enum OutboxChannel: String, Codable, Sendable, CaseIterable {
    case sms, email
}

/// Where a message stands, as people see it.
///
/// Only `queued`, `sending` and `sent` are stored (and merge to the furthest); `sending` and `failed` are read
/// from the attempts: the latest one has no result yet, or it finished without sending the message.
public enum OutboxStatus: String, Codable, Sendable, CaseIterable {
    case queued, sending, sent, failed
}

/// How one attempt ended.
public enum AttemptOutcome: String, Codable, Sendable, CaseIterable {
    /// The transport accepted the message.
    case sent
    /// It did not, for a reason that may pass (network, provider down, rate limit): tried again later.
    case failed
    /// The provider refused the message itself (a bad number, a missing template): not tried again; a person
    /// follows the organisation's Escalation Procedure (5.3.2).
    case rejected
    /// The sender stopped mid-send and never recorded a result; closed by the next `outbox send` (README,
    /// "the delivery rule").
    case interrupted

    /// Whether another attempt may follow.
    public var isRetryable: Bool { self == .failed || self == .interrupted }
}

/// A message to be queued: checked by `AppDatabase.enqueue(_:at:)`.
public struct OutboxDraft: Sendable, Equatable {
    public var organisation: OrganisationCode
    public var channel: OutboxChannel
    /// A UK phone number for SMS, an email address for email.
    public var recipient: String
    /// Email only.
    public var subject: String?
    public var body: String
    public var referralID: String?
    public var callReference: CallReference?

    public init(
        organisation: OrganisationCode, channel: OutboxChannel, recipient: String, subject: String? = nil,
        body: String, referralID: String? = nil, callReference: CallReference? = nil
    ) {
        self.organisation = organisation
        self.channel = channel
        self.recipient = recipient
        self.subject = subject
        self.body = body
        self.referralID = referralID
        self.callReference = callReference
    }
}

/// A message in the outbox, with what its attempts came to.
public struct OutboxMessage: Sendable, Codable, Equatable {
    public let id: OutboxMessageID
    public let organisation: OrganisationCode
    public let channel: OutboxChannel
    /// E.164 for SMS (`+447700900123`), an address for email.
    public let recipient: String
    public let subject: String?
    public let body: String
    public let createdAt: Date
    public let createdBySite: String
    /// The site whose attempt sent it (the queueing site, or one that took over from it), once sent.
    public let sentBySite: String?
    public let referralID: String?
    public let callReference: String?
    public let status: OutboxStatus
    /// Attempts begun, at any site.
    public let attempts: Int
    /// Attempts that ended without sending it.
    public let failures: Int
    public let lastError: String?
    /// No more automatic attempts: the provider rejected it, or `OutboxLimits.attemptsMax` were begun and the
    /// last of them ended without sending it.
    public let givenUp: Bool
    /// The latest attempt begun and not yet finished, if any: under way, interrupted, or left unfinished by a
    /// site that was lost (README, "the delivery rule").
    public let openAttempt: OutboxAttempt?
}

/// One attempt to send a message, and its result once recorded.
public struct OutboxAttempt: Sendable, Codable, Equatable {
    public let id: OutboxAttemptID
    public let message: OutboxMessageID
    public let site: String
    public let startedAt: Date
    public let transport: String
    public let finishedAt: Date?
    public let outcome: AttemptOutcome?
    public let providerID: String?
    public let error: String?
}

/// When `pendingMessages` offers a message again.
public struct OutboxRetryPolicy: Sendable, Equatable {
    /// How long after the first failed attempt the next may start; doubled after each further failure, up to
    /// `retryDelayMsMax`.
    public var retryDelayMs: Int64
    /// The longest wait between attempts.
    public var retryDelayMsMax: Int64
    /// How long an attempt may go without a result before it is taken as interrupted; longer than any
    /// transport's own time limit, so an attempt still under way is never taken for one.
    public var interruptedAfterMs: Int64

    public init(
        retryDelayMs: Int64 = OutboxLimits.retryDelayMsDefault,
        interruptedAfterMs: Int64 = OutboxLimits.interruptedAfterMsDefault,
        retryDelayMsMax: Int64 = OutboxLimits.retryDelayMsMax
    ) {
        precondition(retryDelayMs >= 0, "retry delay must not be negative")
        precondition(retryDelayMsMax <= 86_400_000, "the longest retry delay is at most a day")
        precondition(interruptedAfterMs >= 0, "the interruption bound must not be negative")
        self.retryDelayMs = retryDelayMs
        self.retryDelayMsMax = max(retryDelayMsMax, retryDelayMs)
        self.interruptedAfterMs = interruptedAfterMs
    }

    /// The wait before the next attempt once `failures` attempts have failed: `retryDelayMs`, doubled for each
    /// failure after the first, never more than `retryDelayMsMax` (0 before any failure).
    public func delayMs(afterFailures failures: Int) -> Int64 {
        guard failures > 0 else { return 0 }
        // Shifting by 40 already passes a day for any delay of at least 1 ms; the cap stops overflow.
        let doublings = Int64(min(failures - 1, 40))
        let delay = retryDelayMs.multipliedReportingOverflow(by: Int64(1) << doublings)
        return delay.overflow ? retryDelayMsMax : min(delay.partialValue, retryDelayMsMax)
    }
}

/// Whose queued messages `pendingMessages` offers.
public enum OutboxQueuers: Sendable, Equatable {
    /// Only this site's own: what `nightdesk outbox send` delivers.
    case here
    /// Those queued by these sites: the ones the node's `DeliveryElection` makes this site send now.
    case sites(Set<String>)
    /// Those queued by these sites, and those queued by any site not in `listed` (a site since taken out of the
    /// topology, whose messages the cluster's rank order sends).
    case sitesAndUnlisted(Set<String>, listed: Set<String>)
}

/// Outbox operations refused by the store, worded for the person who asked.
public enum OutboxError: Error, Equatable, Sendable, CustomStringConvertible {
    case messageNotFound(OutboxMessageID)
    case attemptNotFound(OutboxAttemptID)
    case alreadySent(OutboxMessageID)
    case attemptUnderWay(OutboxMessageID, attempt: OutboxAttemptID)
    case givenUp(OutboxMessageID, attempts: Int)
    case attemptAlreadyFinished(OutboxAttemptID)
    case otherSite(what: String, site: String, here: String)

    public var description: String {
        switch self {
        case .messageNotFound(let id):
            "no message \(id) is held here; see `nightdesk outbox list`"
        case .attemptNotFound(let id):
            "no attempt \(id) is held here"
        case .alreadySent(let id):
            "message \(id) has already been sent; it is never sent twice"
        case .attemptUnderWay(let id, let attempt):
            "message \(id) has attempt \(attempt) under way with no result yet; finish that attempt first"
        case .givenUp(let id, let attempts):
            "message \(id) has had \(attempts) attempts, the most allowed (\(OutboxLimits.attemptsMax)); it is left "
                + "to a person, who follows the organisation's Escalation Procedure (5.3.2)"
        case .attemptAlreadyFinished(let id):
            "attempt \(id) already has its result; an attempt's result is recorded once"
        case .otherSite(let what, let site, let here):
            "\(what) belongs to site \(site), not this site (\(here)): `outbox send` sends only this site's own "
                + "messages and only the site that made an attempt records its result; a running node that delivers "
                + "the outbox takes over a lost site's messages by itself"
        }
    }
}
