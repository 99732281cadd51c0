import Foundation

// Stored forms of rotas and Escalation Procedures. Rotas, contacts and procedures are Regularly Variable Data (2.3.3)
// kept in the store as JSON documents and replicated to every site, so each type encodes to the same JSON wherever it
// is written (the store sorts keys; sets are written in a fixed order), and decoding goes back through the checking
// initialisers: a document another site wrote is held to the same rules as one typed here.

extension RotaID: Codable {
    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension RotaOverrideID: Codable {
    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension LocalTimeOfDay: Codable {
    public init(from decoder: any Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension RotationLength: Codable, CustomStringConvertible {
    /// Parses `daily`, `weekly`, `3 days` or `12 hours`.
    public init(parsing text: String) throws {
        let words = text.lowercased().split(separator: " ")
        switch words.count {
        case 1 where words[0] == "daily": self = .daily
        case 1 where words[0] == "weekly": self = .weekly
        case 2 where words[1] == "days" || words[1] == "day":
            guard let days = Int(words[0]) else { throw Self.invalid(text) }
            self = .days(days)
        case 2 where words[1] == "hours" || words[1] == "hour":
            guard let hours = Int(words[0]) else { throw Self.invalid(text) }
            self = .hours(hours)
        default: throw Self.invalid(text)
        }
    }

    private static func invalid(_ text: String) -> DomainError {
        DomainError(
            .invalidValue, "rotation length '\(text)' is not valid: write daily, weekly, '3 days' or '12 hours'")
    }

    public var description: String {
        switch self {
        case .daily: "daily"
        case .weekly: "weekly"
        case .days(let days): "\(days) days"
        case .hours(let hours): "\(hours) hours"
        }
    }

    public init(from decoder: any Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Rotation: Codable {
    private enum CodingKeys: String, CodingKey { case length, handoff, startDate, turns }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            length: try container.decode(RotationLength.self, forKey: .length),
            handoff: try container.decode(LocalTimeOfDay.self, forKey: .handoff),
            startDate: try container.decode(LocalDate.self, forKey: .startDate),
            turns: try container.decode([[OnCallContactID]].self, forKey: .turns))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(length, forKey: .length)
        try container.encode(handoff, forKey: .handoff)
        try container.encode(startDate, forKey: .startDate)
        try container.encode(turns, forKey: .turns)
    }
}

extension RestrictionWindow: Codable {
    private enum CodingKeys: String, CodingKey { case days, from, to }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            days: Set(try container.decode([Weekday].self, forKey: .days)),
            from: try container.decode(LocalTimeOfDay.self, forKey: .from),
            to: try container.decode(LocalTimeOfDay.self, forKey: .to))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        // In week order, so equal windows always encode to equal bytes.
        try container.encode(Weekday.allCases.filter(days.contains), forKey: .days)
        try container.encode(from, forKey: .from)
        try container.encode(to, forKey: .to)
    }
}

extension RotaLayer: Codable {
    private enum CodingKeys: String, CodingKey { case name, priority, rotation, restrictions, endDate }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            name: try container.decode(String.self, forKey: .name),
            priority: try container.decode(Int.self, forKey: .priority),
            rotation: try container.decode(Rotation.self, forKey: .rotation),
            restrictions: try container.decodeIfPresent([RestrictionWindow].self, forKey: .restrictions) ?? [],
            endDate: try container.decodeIfPresent(LocalDate.self, forKey: .endDate))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(priority, forKey: .priority)
        try container.encode(rotation, forKey: .rotation)
        try container.encode(restrictions, forKey: .restrictions)
        try container.encodeIfPresent(endDate, forKey: .endDate)
    }
}

extension RotaStage: Codable {
    private enum CodingKeys: String, CodingKey { case number, name, layers }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            number: try container.decode(Int.self, forKey: .number),
            name: try container.decode(String.self, forKey: .name),
            layers: try container.decode([RotaLayer].self, forKey: .layers))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(number, forKey: .number)
        try container.encode(name, forKey: .name)
        try container.encode(layers, forKey: .layers)
    }
}

extension RotaArea {
    /// Parses the stored form, `ward:Walpole` or `postcode-district:W5`.
    public init(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":") else {
            throw DomainError(
                .invalidValue, "area '\(text)' is not valid: write ward:NAME or postcode-district:W5")
        }
        let name = String(text[text.index(after: colon)...])
        switch Kind(rawValue: String(text[..<colon])) {
        case .ward: self = try .ward(name)
        case .postcodeDistrict: self = try .postcodeDistrict(name)
        case nil:
            throw DomainError(
                .invalidValue, "area '\(text)' is not valid: write ward:NAME or postcode-district:W5")
        }
    }

    /// The stored form, read back by `init(parsing:)`.
    public var stored: String { "\(kind.rawValue):\(name)" }
}

extension EscalationTarget: Codable {
    /// Parses `stage 2` or `managers of stage 1`.
    public init(parsing text: String) throws {
        let words = text.lowercased().split(whereSeparator: \.isWhitespace)
        var parsed: EscalationTarget?
        if words.count == 2, words[0] == "stage", let number = Int(words[1]) {
            parsed = .stage(number)
        } else if words.count == 4, words[0] == "managers", words[1] == "of", words[2] == "stage",
            let number = Int(words[3])
        {
            parsed = .managersOf(stage: number)
        }
        guard let parsed, (1...DomainLimits.rotaStagesMax).contains(parsed.stageNumber) else {
            throw DomainError(
                .invalidValue,
                "escalation target '\(text)' is not valid: write 'stage N' or 'managers of stage N' with N from 1 "
                    + "to \(DomainLimits.rotaStagesMax)")
        }
        self = parsed
    }

    /// The rota stage the target is drawn from.
    public var stageNumber: Int {
        switch self {
        case .stage(let number), .managersOf(let number): number
        }
    }

    public init(from decoder: any Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension EscalationStep: Codable {
    private enum CodingKeys: String, CodingKey { case target, channels, acknowledgementWaitMs }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            try container.decode(EscalationTarget.self, forKey: .target),
            channels: try container.decode([ChannelKind].self, forKey: .channels),
            acknowledgementWaitMs: try container.decode(Int.self, forKey: .acknowledgementWaitMs))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(target, forKey: .target)
        try container.encode(channels, forKey: .channels)
        try container.encode(acknowledgementWaitMs, forKey: .acknowledgementWaitMs)
    }
}

extension EscalationFallback: Codable {
    private enum CodingKeys: String, CodingKey { case emergencyContacts, alertSupervisor, instructions }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            emergencyContacts: try container.decodeIfPresent([OnCallContactID].self, forKey: .emergencyContacts) ?? [],
            alertSupervisor: try container.decodeIfPresent(Bool.self, forKey: .alertSupervisor) ?? true,
            instructions: try container.decodeIfPresent(String.self, forKey: .instructions) ?? "")
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(emergencyContacts, forKey: .emergencyContacts)
        try container.encode(alertSupervisor, forKey: .alertSupervisor)
        try container.encode(instructions, forKey: .instructions)
    }
}

extension EscalationProcedure: Codable {
    private enum CodingKeys: String, CodingKey { case organisation, option, steps, whenExhausted }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            organisation: try container.decode(OrganisationCode.self, forKey: .organisation),
            option: try container.decode(ServiceOptionCode.self, forKey: .option),
            steps: try container.decode([EscalationStep].self, forKey: .steps),
            whenExhausted: try container.decode(EscalationFallback.self, forKey: .whenExhausted))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(organisation, forKey: .organisation)
        try container.encode(option, forKey: .option)
        try container.encode(steps, forKey: .steps)
        try container.encode(whenExhausted, forKey: .whenExhausted)
    }

    /// Every contact the procedure names itself (its emergency contacts); the rest come from the rota.
    public var contactIDs: Set<OnCallContactID> { Set(whenExhausted.emergencyContacts) }

    /// The procedure followed where a PO has not set one (5.3.2): each stage of the rota in turn by phone, SMS
    /// and email, five minutes for an acknowledgement after each, then the managers of stage 1 by phone, then the
    /// call-centre supervisor.
    public static func standard(organisation: OrganisationCode, option: ServiceOptionCode) -> EscalationProcedure {
        let waitMs = 5 * 60 * 1_000
        // Every value here is within the limits, so the initialisers cannot throw.
        let stages = (1...DomainLimits.rotaStagesMax).map { number in
            try! EscalationStep(.stage(number), channels: [.phone, .sms, .email], acknowledgementWaitMs: waitMs)
        }
        let managers = try! EscalationStep(.managersOf(stage: 1), channels: [.phone], acknowledgementWaitMs: waitMs)
        return try! EscalationProcedure(
            organisation: organisation, option: option, steps: stages + [managers],
            whenExhausted: EscalationFallback(
                alertSupervisor: true,
                instructions: "Nobody on the rota acknowledged: tell the supervisor, who follows \(organisation)'s "
                    + "escalation arrangements"))
    }
}

extension ReferralOutcome: Codable {}
