import Foundation

/// The rule that put somebody on call: which rota and stage, and which layer's turn or which override.
public struct OnCallReason: Hashable, Sendable, CustomStringConvertible {
    public enum Rule: Hashable, Sendable {
        /// A layer's rotation; `turn` counts from 0 at the rotation's start date.
        case rotation(layer: String, priority: Int, turn: Int, turnStartsAt: Date, turnEndsAt: Date?)
        /// An override of the rota (14.4), standing in for `replacing` or for the whole stage.
        case override(RotaOverrideID, replacing: OnCallContactID?, startsAt: Date, endsAt: Date)
    }

    public let rota: RotaID
    public let stage: Int
    public let rule: Rule

    public var description: String {
        switch rule {
        case .rotation(let layer, let priority, let turn, _, _):
            "rota \(rota) stage \(stage), layer '\(layer)' (priority \(priority)), turn \(turn)"
        case .override(let id, let replacing, _, _):
            "rota \(rota) stage \(stage), override \(id)" + (replacing.map { " covering \($0)" } ?? "")
        }
    }
}

/// One person on call, how to reach them, and why they are on call.
public struct OnCallPerson: Hashable, Sendable {
    public let contact: OnCallContact
    public let reason: OnCallReason
    /// In the order phone, SMS, email, pager.
    public var channels: [ContactChannel] { contact.channels }
}

/// The people on call at one stage.
public struct OnCallStage: Hashable, Sendable {
    public let number: Int
    public let name: String
    public let people: [OnCallPerson]
}

/// Who to refer a call to, stage by stage: the escalation list (7.5).
public struct OnCallList: Hashable, Sendable {
    public let organisation: OrganisationCode
    public let option: ServiceOptionCode
    /// The rota that answered: the most specific one with somebody on call.
    public let rota: RotaID
    public let at: Date
    /// In stage order; stages with nobody on call are left out.
    public let stages: [OnCallStage]

    public func stage(_ number: Int) -> OnCallStage? { stages.first { $0.number == number } }
}

/// Nobody is on call: the handler must follow the Escalation Procedure instead (5.3.2).
public struct RotaGap: Hashable, Sendable, CustomStringConvertible {
    public let organisation: OrganisationCode
    public let option: ServiceOptionCode
    public let subCategory: String?
    public let areas: [RotaArea]
    public let at: Date
    /// The rotas that apply to the call, most specific first; empty when the option has no rota at all.
    public let rotasConsidered: [RotaID]

    public var description: String {
        let scope = ([subCategory].compactMap { $0 } + areas.map(\.description)).joined(separator: ", ")
        let what = "\(organisation) \(option)" + (scope.isEmpty ? "" : " (\(scope))")
        if rotasConsidered.isEmpty {
            return "\(organisation) has no rota for \(option): nobody can be referred to; follow the Escalation "
                + "Procedure (5.3.2) and ask \(organisation) to add a rota"
        }
        return "nobody is on call for \(what) at this time in rotas "
            + rotasConsidered.map(\.rawValue).joined(separator: ", ")
            + ": follow the Escalation Procedure (5.3.2) and tell \(organisation) of the gap in its rota"
    }
}

/// The answer to "who is on call": an escalation list, or a gap named for the handler and the PO.
public enum OnCallAnswer: Hashable, Sendable {
    case onCall(OnCallList)
    case rotaGap(RotaGap)

    public var list: OnCallList? {
        if case .onCall(let list) = self { return list }
        return nil
    }
}

/// What a call is about, as far as rotas care (7.5: option, sub-category, location).
public struct OnCallQuery: Hashable, Sendable {
    public let organisation: OrganisationCode
    public let option: ServiceOptionCode
    public let subCategory: String?
    /// Every area the incident is known to lie in, e.g. its ward and its postcode district.
    public let areas: [RotaArea]

    public init(
        organisation: OrganisationCode, option: ServiceOptionCode, subCategory: String? = nil, areas: [RotaArea] = []
    ) {
        self.organisation = organisation
        self.option = option
        self.subCategory = subCategory.flatMap { try? normalisedScope($0, what: "sub-category") }
        self.areas = areas
    }

    func covers(_ rota: OnCallRota) -> Bool {
        if let wanted = rota.subCategory, wanted != subCategory { return false }
        if let area = rota.area, !areas.contains(area) { return false }
        return true
    }
}

/// Every organisation's contacts and rotas, indexed for "who is on call" (7.5, 14.4).
///
/// A value: a PO's change (2.3.3, 14.4) makes a new directory, and the next lookup uses it. Rotas are indexed by
/// organisation and Service Option, most specific first, so a lookup reads only the rotas that could apply.
public struct OnCallDirectory: Sendable {
    struct Key: Hashable, Sendable {
        let organisation: OrganisationCode
        let option: ServiceOptionCode
    }

    public let calendar: OperatingCalendar
    public private(set) var contacts: [OnCallContactID: OnCallContact]
    public private(set) var rotas: [RotaID: OnCallRota]
    private(set) var index: [Key: [RotaSchedule]] = [:]

    public init(calendar: OperatingCalendar, contacts: [OnCallContact], rotas: [OnCallRota]) throws {
        self.calendar = calendar
        var problems: [DomainError] = []
        var byID: [OnCallContactID: OnCallContact] = [:]
        for contact in contacts where byID.updateValue(contact, forKey: contact.id) != nil {
            problems.append(DomainError(.invalidValue, "contact \(contact.id) is listed twice"))
        }
        var rotasByID: [RotaID: OnCallRota] = [:]
        for rota in rotas where rotasByID.updateValue(rota, forKey: rota.id) != nil {
            problems.append(DomainError(.invalidValue, "rota \(rota.id) is listed twice"))
        }
        self.contacts = byID
        self.rotas = rotasByID
        problems += byID.values.sorted { $0.id < $1.id }.flatMap(referenceProblems)
        problems += rotasByID.values.sorted { $0.id < $1.id }.flatMap(referenceProblems)
        guard problems.isEmpty else { throw DomainErrors(problems) }
        for rota in rotasByID.values {
            index[Key(organisation: rota.organisation, option: rota.option), default: []]
                .append(RotaSchedule(rota, calendar: calendar))
        }
        for key in index.keys { try reindex(key) }
    }

    private func referenceProblems(_ contact: OnCallContact) -> [DomainError] {
        guard let managerID = contact.manager else { return [] }
        guard let manager = contacts[managerID] else {
            return [DomainError(.notFound, "contact \(contact.id) names manager \(managerID), who is not a contact")]
        }
        guard manager.organisation == contact.organisation else {
            return [
                DomainError(
                    .invalidValue,
                    "contact \(contact.id) of \(contact.organisation) names manager \(managerID) of "
                        + "\(manager.organisation): a manager must belong to the same organisation")
            ]
        }
        return []
    }

    // 7.10: each organisation sees and uses only its own data, so a rota names only its own organisation's people.
    private func referenceProblems(_ rota: OnCallRota) -> [DomainError] {
        rota.contactIDs.sorted().compactMap { id in
            guard let contact = contacts[id] else {
                return DomainError(.notFound, "rota \(rota.id) names \(id), who is not a contact: add them first")
            }
            guard contact.organisation == rota.organisation else {
                return DomainError(
                    .invalidValue,
                    "rota \(rota.id) of \(rota.organisation) names \(id) of \(contact.organisation): "
                        + "a rota may only name its own organisation's contacts")
            }
            return nil
        }
    }

    /// Most specific first, then by id so equal specificity always resolves the same way at every site.
    private mutating func reindex(_ key: Key) throws {
        guard var schedules = index[key] else { return }
        guard schedules.count <= DomainLimits.rotasPerOptionMax else {
            throw DomainError(
                .invalidValue,
                "\(key.organisation) \(key.option) has \(schedules.count) rotas; at most "
                    + "\(DomainLimits.rotasPerOptionMax) are allowed")
        }
        schedules.sort { ($1.rota.specificity, $0.rota.id) < ($0.rota.specificity, $1.rota.id) }
        index[key] = schedules.isEmpty ? nil : schedules
    }

    public func contact(_ id: OnCallContactID) -> OnCallContact? { contacts[id] }

    /// Who is on call for a call, stage by stage, or the gap (7.5).
    ///
    /// Rotas for the option that cover the call's sub-category and area are tried most specific first; the first
    /// with anybody on call answers, so a narrow rota restricted to some hours falls back to the general one
    /// outside them.
    public func onCall(_ query: OnCallQuery, at instant: Date) -> OnCallAnswer {
        let schedules = (index[Key(organisation: query.organisation, option: query.option)] ?? [])
            .filter { query.covers($0.rota) }
        let second = instant.wholeSeconds
        let wall = calendar.wallSecond(of: second)
        for schedule in schedules {
            let stages = schedule.onCall(at: second, wall: wall, calendar: calendar)
            guard !stages.isEmpty else { continue }
            return .onCall(
                OnCallList(
                    organisation: query.organisation, option: query.option, rota: schedule.rota.id, at: instant,
                    stages: stages.map { stage, people in
                        OnCallStage(
                            number: stage.number, name: stage.name,
                            // Every id was checked against the contacts when the rota was added.
                            people: people.map { OnCallPerson(contact: contacts[$0.contact]!, reason: $0.reason) })
                    }))
        }
        return .rotaGap(
            RotaGap(
                organisation: query.organisation, option: query.option, subCategory: query.subCategory,
                areas: query.areas, at: instant, rotasConsidered: schedules.map(\.rota.id)))
    }

    /// Who is on call for an organisation's option, optionally narrowed by sub-category and area (7.5).
    public func onCall(
        organisation: OrganisationCode, option: ServiceOptionCode, subCategory: String? = nil, area: RotaArea? = nil,
        at instant: Date
    ) -> OnCallAnswer {
        onCall(
            OnCallQuery(
                organisation: organisation, option: option, subCategory: subCategory, areas: area.map { [$0] } ?? []),
            at: instant)
    }

    // MARK: - Changes (2.3.3, 14.4: immediately actionable)

    /// The directory with a rota added or replaced.
    public func replacing(_ rota: OnCallRota) throws -> OnCallDirectory {
        let problems = referenceProblems(rota)
        guard problems.isEmpty else { throw DomainErrors(problems) }
        var next = self
        if let old = rotas[rota.id] {
            let oldKey = Key(organisation: old.organisation, option: old.option)
            next.index[oldKey]?.removeAll { $0.rota.id == rota.id }
            try next.reindex(oldKey)
        }
        next.rotas[rota.id] = rota
        let key = Key(organisation: rota.organisation, option: rota.option)
        next.index[key, default: []].append(RotaSchedule(rota, calendar: calendar))
        try next.reindex(key)
        return next
    }

    /// The directory with an override added to a rota, e.g. a last-minute change (14.4).
    public func adding(_ override: RotaOverride, to rotaID: RotaID) throws -> OnCallDirectory {
        guard let rota = rotas[rotaID] else { throw DomainError(.notFound, "there is no rota \(rotaID)") }
        return try replacing(try rota.adding(override))
    }

    /// The directory without a rota.
    public func removingRota(_ rotaID: RotaID) throws -> OnCallDirectory {
        guard let rota = rotas[rotaID] else { throw DomainError(.notFound, "there is no rota \(rotaID)") }
        var next = self
        next.rotas[rotaID] = nil
        let key = Key(organisation: rota.organisation, option: rota.option)
        next.index[key]?.removeAll { $0.rota.id == rotaID }
        try next.reindex(key)
        return next
    }

    /// The directory with a contact added or their details changed (2.3.3).
    public func replacing(_ contact: OnCallContact) throws -> OnCallDirectory {
        var next = self
        if let old = contacts[contact.id], old.organisation != contact.organisation,
            let user = rotas.values.sorted(by: { $0.id < $1.id }).first(where: { $0.contactIDs.contains(contact.id) })
        {
            throw DomainError(
                .invalidValue,
                "contact \(contact.id) is on rota \(user.id) of \(old.organisation) and cannot move to "
                    + "\(contact.organisation): take them off the rota first")
        }
        next.contacts[contact.id] = contact
        let problems = next.referenceProblems(contact)
        guard problems.isEmpty else { throw DomainErrors(problems) }
        // Lookups copy contacts out of the dictionary, so the index needs no rebuild.
        return next
    }

    /// Rotas of one organisation, by option.
    func schedules(of organisation: OrganisationCode) -> [(ServiceOptionCode, [RotaSchedule])] {
        index.filter { $0.key.organisation == organisation }.map { ($0.key.option, $0.value) }
            .sorted { $0.0 < $1.0 }
    }
}
