import Foundation

/// Kind of Participating Organisation.
public enum OrganisationKind: String, Codable, Sendable {
    case council
    case housingAssociation = "housing-association"
}

/// A Service Option as one Participating Organisation operates it: its script, hours and standard (2.2, 5.4.2).
public struct ServiceOption: Hashable, Codable, Sendable {
    public let code: ServiceOptionCode
    public let name: String
    public let description: String
    public let defaultAction: CallActionKind
    public let standard: ServiceStandard
    public let hours: OperatingHours
    /// "I" in Appendix 2: the caller is given information only.
    public let informationOnly: Bool
    /// The script's questions in the order asked.
    public let questions: [ScriptQuestion]

    public init(
        code: ServiceOptionCode, name: String, description: String, defaultAction: CallActionKind,
        standard: ServiceStandard, hours: OperatingHours, informationOnly: Bool, questions: [ScriptQuestion]
    ) {
        self.code = code
        self.name = name
        self.description = description
        self.defaultAction = defaultAction
        self.standard = standard
        self.hours = hours
        self.informationOnly = informationOnly
        self.questions = questions.sorted { $0.order < $1.order }
    }
}

/// A council or housing association served (the glossary's PO). Owns its data.
public struct ParticipatingOrganisation: Hashable, Codable, Sendable {
    public let code: OrganisationCode
    public let name: String
    public let kind: OrganisationKind
    /// Time allowed to pass on a referral after the call ends (6.4b, default 10 minutes).
    public let referralLimitMinutes: Int
    /// The categories handlers record out-of-scope calls under (5.2.3.5, 11.7.3 f).
    public let outOfScopeCategories: [String]
    public let options: [ServiceOption]

    public init(
        code: OrganisationCode, name: String, kind: OrganisationKind, referralLimitMinutes: Int,
        outOfScopeCategories: [String], options: [ServiceOption]
    ) {
        self.code = code
        self.name = name
        self.kind = kind
        self.referralLimitMinutes = referralLimitMinutes
        self.outOfScopeCategories = outOfScopeCategories
        self.options = options.sorted { $0.code < $1.code }
    }

    public func option(_ code: ServiceOptionCode) -> ServiceOption? {
        options.first { $0.code == code }
    }
}

/// A dialled number (DDI) that identifies a PO and possibly one of its Service Options (7.1.2, 7.1.3).
public struct AccessNumber: Hashable, Codable, Sendable {
    public let number: PhoneNumber
    public let organisation: OrganisationCode
    /// `nil` for a general number that serves all the PO's options, or one with a menu.
    public let option: ServiceOptionCode?
    public let label: String
    /// The IVR menu callers hear on this number (7.1.4); a number has a menu or a dedicated option, not both.
    public let menu: IVRMenu?

    public init(
        number: PhoneNumber, organisation: OrganisationCode, option: ServiceOptionCode?, label: String,
        menu: IVRMenu? = nil
    ) {
        self.number = number
        self.organisation = organisation
        self.option = option
        self.label = label
        self.menu = menu
    }
}

/// Every Participating Organisation, Service Option and access number the service answers for.
public struct Catalogue: Hashable, Codable, Sendable {
    public let calendar: OperatingCalendar
    public let organisations: [ParticipatingOrganisation]
    public let accessNumbers: [AccessNumber]

    public init(calendar: OperatingCalendar, organisations: [ParticipatingOrganisation], accessNumbers: [AccessNumber])
        throws
    {
        let problems = Self.crossCheck(organisations: organisations, accessNumbers: accessNumbers)
        guard problems.isEmpty else { throw DomainErrors(problems) }
        self.calendar = calendar
        self.organisations = organisations.sorted { $0.code < $1.code }
        self.accessNumbers = accessNumbers.sorted { $0.number.e164 < $1.number.e164 }
    }

    /// Problems between entries: duplicates, and access numbers naming what does not exist.
    ///
    /// `declared` lists what a document declared even where the entry was broken and already reported, so a
    /// reference to it is not reported a second time.
    static func crossCheck(
        organisations: [ParticipatingOrganisation], accessNumbers: [AccessNumber],
        declared: [OrganisationCode: Set<ServiceOptionCode>] = [:]
    ) -> [DomainError] {
        var problems: [DomainError] = []
        var seen = Set<OrganisationCode>()
        for organisation in organisations where !seen.insert(organisation.code).inserted {
            problems.append(DomainError(.invalidCatalogue, "organisation \(organisation.code) is listed twice"))
        }
        var numbers = Set<PhoneNumber>()
        for access in accessNumbers {
            if !numbers.insert(access.number).inserted {
                problems.append(DomainError(.invalidCatalogue, "access number \(access.number) is listed twice"))
            }
            guard let organisation = organisations.first(where: { $0.code == access.organisation }) else {
                if declared[access.organisation] != nil { continue }
                problems.append(
                    DomainError(
                        .invalidCatalogue,
                        "access number \(access.number) names organisation \(access.organisation), which is not listed"))
                continue
            }
            if let option = access.option, organisation.option(option) == nil,
                !(declared[access.organisation]?.contains(option) ?? false)
            {
                problems.append(
                    DomainError(
                        .invalidCatalogue,
                        "access number \(access.number) names option \(option), which \(organisation.code) does not operate"
                    ))
            }
            if let menu = access.menu {
                if let option = access.option {
                    problems.append(
                        DomainError(
                            .invalidCatalogue,
                            "access number \(access.number) has both option \(option) and a menu: a dedicated number "
                                + "needs no menu, so remove one of them (7.1.3, 7.1.4)"))
                }
                for choice in menu.choices where organisation.option(choice.option) == nil {
                    if declared[access.organisation]?.contains(choice.option) ?? false { continue }
                    problems.append(
                        DomainError(
                            .invalidCatalogue,
                            "access number \(access.number) menu key \(choice.key) leads to option \(choice.option), "
                                + "which \(organisation.code) does not operate"))
                }
                if organisation.option(menu.defaultOption) == nil,
                    !(declared[access.organisation]?.contains(menu.defaultOption) ?? false)
                {
                    problems.append(
                        DomainError(
                            .invalidCatalogue,
                            "access number \(access.number) menu default \(menu.defaultOption) is an option "
                                + "\(organisation.code) does not operate"))
                }
            }
        }
        return problems
    }

    public func organisation(_ code: OrganisationCode) -> ParticipatingOrganisation? {
        organisations.first { $0.code == code }
    }

    public func accessNumber(_ number: PhoneNumber) -> AccessNumber? {
        accessNumbers.first { $0.number == number }
    }
}
