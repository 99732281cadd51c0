import Foundation

/// What the handler did with a call (5.2.3.1–5.2.3.6).
public enum CallActionKind: String, Codable, Sendable, CaseIterable {
    case signpost
    case transfer
    case refer
    case resolve
    case outOfScope = "out-of-scope"
    case loneWorker = "lone-worker"
}

/// The action taken, with its detail where the action needs one.
public struct CallAction: Hashable, Codable, Sendable {
    public let kind: CallActionKind
    /// Out of scope: the category (11.7.3 f); transfer: who to; signpost: where to; otherwise optional.
    public let detail: String?

    public init(kind: CallActionKind, detail: String? = nil) {
        self.kind = kind
        let trimmed = detail?.trimmingCharacters(in: .whitespacesAndNewlines)
        self.detail = (trimmed?.isEmpty ?? true) ? nil : trimmed
    }
}

/// Where a call is in its life. Ordered: a call only moves forward (DESIGN.md "Replication model").
public enum CallStatus: String, Codable, Sendable, CaseIterable, Comparable {
    /// Logged; something is still to be done (a referral to make, a lone worker on site).
    case open
    /// Passed to On-call Duty Staff; waiting for them.
    case referred
    /// Nothing more to do.
    case closed

    var rank: Int {
        switch self {
        case .open: 0
        case .referred: 1
        case .closed: 2
        }
    }

    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }

    /// The status a new call starts in, given its action.
    public static func initial(for action: CallActionKind) -> CallStatus {
        switch action {
        case .refer, .loneWorker: .open
        case .signpost, .transfer, .resolve, .outOfScope: .closed
        }
    }
}

/// The person calling.
public struct Caller: Hashable, Codable, Sendable {
    public let name: String?
    public let phone: PhoneNumber?

    public init(name: String?, phone: PhoneNumber?) throws {
        let trimmed = name?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let trimmed, trimmed.count > DomainLimits.callerNameCharactersMax {
            throw DomainError(
                .invalidValue, "caller name is longer than \(DomainLimits.callerNameCharactersMax) characters")
        }
        self.name = (trimmed?.isEmpty ?? true) ? nil : trimmed
        self.phone = phone
    }
}

/// What a handler enters to log a call, before the domain rules have checked it.
public struct CallDraft: Sendable {
    public var organisation: OrganisationCode
    public var option: ServiceOptionCode
    public var accessNumber: PhoneNumber?
    public var caller: Caller
    public var incidentAddress: IncidentAddress?
    public var answers: [String: Answer]
    public var details: String
    public var action: CallAction
    public var offeredAt: Date
    public var answeredAt: Date?
    public var endedAt: Date?
    /// An earlier call the handler says this one is about (5.2.7).
    public var linkedTo: CallReference?

    public init(
        organisation: OrganisationCode, option: ServiceOptionCode, accessNumber: PhoneNumber? = nil, caller: Caller,
        incidentAddress: IncidentAddress? = nil, answers: [String: Answer] = [:], details: String = "",
        action: CallAction, offeredAt: Date, answeredAt: Date? = nil, endedAt: Date? = nil,
        linkedTo: CallReference? = nil
    ) {
        self.organisation = organisation
        self.option = option
        self.accessNumber = accessNumber
        self.caller = caller
        self.incidentAddress = incidentAddress
        self.answers = answers
        self.details = details
        self.action = action
        self.offeredAt = offeredAt
        self.answeredAt = answeredAt
        self.endedAt = endedAt
        self.linkedTo = linkedTo
    }
}

/// A logged call (the glossary's Call).
public struct Call: Hashable, Codable, Sendable {
    public let reference: CallReference
    public let organisation: OrganisationCode
    public let option: ServiceOptionCode
    public let accessNumber: PhoneNumber?
    public var caller: Caller
    public var incidentAddress: IncidentAddress?
    public var answers: [String: Answer]
    public var details: String
    public var action: CallAction
    public var status: CallStatus
    public let offeredAt: Date
    public var answeredAt: Date?
    public var endedAt: Date?
    public var linkedTo: CallReference?
    /// Who the call is assigned to. Concurrent assignments at different sites are all kept: more than one
    /// value is a conflict for a person to resolve, never silently decided (DESIGN.md).
    public var assignedTo: [String] = []

    public init(
        reference: CallReference, organisation: OrganisationCode, option: ServiceOptionCode, accessNumber: PhoneNumber?,
        caller: Caller, incidentAddress: IncidentAddress?, answers: [String: Answer], details: String,
        action: CallAction, status: CallStatus, offeredAt: Date, answeredAt: Date?, endedAt: Date?,
        linkedTo: CallReference?
    ) {
        self.reference = reference
        self.organisation = organisation
        self.option = option
        self.accessNumber = accessNumber
        self.caller = caller
        self.incidentAddress = incidentAddress
        self.answers = answers
        self.details = details
        self.action = action
        self.status = status
        self.offeredAt = offeredAt
        self.answeredAt = answeredAt
        self.endedAt = endedAt
        self.linkedTo = linkedTo
    }
}

/// A change a handler makes to a logged call when following it up.
public struct CallUpdate: Sendable, Equatable {
    public var action: CallAction?
    public var status: CallStatus?
    public var answers: [String: Answer]
    public var details: String?
    public var answeredAt: Date?
    public var endedAt: Date?
    public var linkTo: CallReference?
    public var note: String?
    /// The person the call is now assigned to; replaces every value the handler saw, ending a conflict.
    public var assignTo: String?

    public init(
        action: CallAction? = nil, status: CallStatus? = nil, answers: [String: Answer] = [:], details: String? = nil,
        answeredAt: Date? = nil, endedAt: Date? = nil, linkTo: CallReference? = nil, note: String? = nil,
        assignTo: String? = nil
    ) {
        self.action = action
        self.status = status
        self.answers = answers
        self.details = details
        self.answeredAt = answeredAt
        self.endedAt = endedAt
        self.linkTo = linkTo
        self.note = note
        self.assignTo = assignTo
    }

    public var isEmpty: Bool {
        action == nil && status == nil && answers.isEmpty && details == nil && answeredAt == nil && endedAt == nil
            && linkTo == nil && note == nil && assignTo == nil
    }
}

/// Kinds of entry on a call's timeline (an add-only record of what happened).
public enum TimelineEventKind: String, Codable, Sendable {
    case logged, updated, statusChanged = "status-changed", linked, note, assigned
}
