import Foundation

/// The catalogue as written in `Topology/participants.toml`; turned into a checked `Catalogue` by `makeCatalogue()`.
public struct CatalogueDocument: Codable, Sendable {
    public struct Calendar: Codable, Sendable {
        public var bankHolidays: [String]
        public var christmasPeriodStart: String
        public var christmasPeriodEnd: String
    }

    public struct Hours: Codable, Sendable {
        public var code: String
        public var name: String
        public var monday: [String]?
        public var tuesday: [String]?
        public var wednesday: [String]?
        public var thursday: [String]?
        public var friday: [String]?
        public var saturday: [String]?
        public var sunday: [String]?
        public var bankHolidays: String
        public var christmasPeriod: String
    }

    public struct Question: Codable, Sendable {
        public var code: String
        public var prompt: String
        public var datatype: String
        public var required: Bool
        public var values: [String]?
    }

    public struct Option: Codable, Sendable {
        public var code: String
        public var name: String
        public var description: String
        public var defaultAction: String
        public var question: [Question]?
    }

    public struct OrganisationOption: Codable, Sendable {
        public var code: String
        public var standard: String
        public var hours: String
        public var informationOnly: Bool?
    }

    /// One key of an IVR menu: `[[organisation.accessNumber.menu.choice]]`.
    public struct MenuChoice: Codable, Sendable {
        /// A keypad key as a string: "0" to "9", "*" or "#".
        public var key: String
        public var option: String
        public var label: String
    }

    /// An IVR menu on an access number: `[organisation.accessNumber.menu]` (7.1.4).
    public struct Menu: Codable, Sendable {
        public var prompt: String
        /// The option a caller reaches after `plays` plays without a valid key.
        public var `default`: String
        public var waitSeconds: Int?
        public var plays: Int?
        public var choice: [MenuChoice]?
    }

    public struct Number: Codable, Sendable {
        public var number: String
        public var label: String
        public var option: String?
        public var menu: Menu?
    }

    public struct Organisation: Codable, Sendable {
        public var code: String
        public var name: String
        public var kind: String
        public var referralLimitMinutes: Int?
        public var gazetteer: String?
        public var outOfScopeCategories: [String]?
        public var option: [OrganisationOption]?
        public var accessNumber: [Number]?
    }

    public var catalogueVersion: Int
    public var timeZone: String
    public var calendar: Calendar
    public var outOfScopeCategories: [String]?
    public var hours: [Hours]
    public var serviceOption: [Option]
    public var organisation: [Organisation]

    /// The out-of-scope categories used where an organisation gives none of its own (5.2.3.5).
    public static let defaultOutOfScopeCategories = [
        "Details forwarded to daytime service",
        "Advised to call back in opening hours",
        "Another organisation's responsibility",
        "Outside the organisation's area",
    ]

    /// Checks every reference and value, reporting all problems at once with where they are.
    public func makeCatalogue() throws -> Catalogue {
        var problems: [DomainError] = []
        func attempt<T>(_ place: String, _ make: () throws -> T) -> T? {
            do {
                return try make()
            } catch let error as DomainError {
                problems.append(DomainError(.invalidCatalogue, "\(place): \(error.message)"))
            } catch let errors as DomainErrors {
                problems += errors.errors.map { DomainError(.invalidCatalogue, "\(place): \($0.message)") }
            } catch {
                problems.append(DomainError(.invalidCatalogue, "\(place): \(error)"))
            }
            return nil
        }

        if catalogueVersion != 1 {
            problems.append(
                DomainError(
                    .invalidCatalogue, "catalogueVersion \(catalogueVersion) is not supported: this Nightdesk reads version 1"))
        }
        let calendarValue = attempt("[calendar]") {
            try OperatingCalendar(
                timeZoneIdentifier: timeZone,
                bankHolidays: Set(try calendar.bankHolidays.map(LocalDate.init(parsing:))),
                christmasPeriodStart: try MonthDay(parsing: calendar.christmasPeriodStart),
                christmasPeriodEnd: try MonthDay(parsing: calendar.christmasPeriodEnd))
        }

        var hoursByCode: [String: OperatingHours] = [:]
        // Entries already reported as broken: references to them are not reported again.
        let declaredHours = Set(hours.map(\.code))
        for entry in hours {
            let place = "[[hours]] \(entry.code)"
            if hoursByCode[entry.code] != nil {
                problems.append(DomainError(.invalidCatalogue, "\(place): the code is used twice"))
                continue
            }
            let days: [(Weekday, [String]?)] = [
                (.monday, entry.monday), (.tuesday, entry.tuesday), (.wednesday, entry.wednesday),
                (.thursday, entry.thursday), (.friday, entry.friday), (.saturday, entry.saturday),
                (.sunday, entry.sunday),
            ]
            let made = attempt(place) {
                var weekly: [Weekday: [DailyWindow]] = [:]
                for (day, texts) in days {
                    weekly[day] = try (texts ?? []).map(DailyWindow.init(parsing:))
                }
                guard let bank = BankHolidayRule(rawValue: entry.bankHolidays) else {
                    throw DomainError(
                        .invalidCatalogue,
                        "bankHolidays '\(entry.bankHolidays)' must be one of all-day, as-weekday, closed")
                }
                guard let christmas = ChristmasRule(rawValue: entry.christmasPeriod) else {
                    throw DomainError(
                        .invalidCatalogue, "christmasPeriod '\(entry.christmasPeriod)' must be all-day or as-weekday")
                }
                return OperatingHours(
                    code: entry.code, name: entry.name, weekly: weekly, bankHolidays: bank, christmasPeriod: christmas)
            }
            if let made { hoursByCode[entry.code] = made }
        }

        var optionsByCode: [ServiceOptionCode: (Option, [ScriptQuestion])] = [:]
        for option in serviceOption {
            let place = "[[serviceOption]] \(option.code)"
            guard let code = attempt(place, { try ServiceOptionCode(option.code) }) else { continue }
            if optionsByCode[code] != nil {
                problems.append(DomainError(.invalidCatalogue, "\(place): the code is used twice"))
                continue
            }
            if CallActionKind(rawValue: option.defaultAction) == nil {
                problems.append(
                    DomainError(
                        .invalidCatalogue,
                        "\(place): defaultAction '\(option.defaultAction)' must be one of "
                            + CallActionKind.allCases.map(\.rawValue).joined(separator: ", ")))
            }
            let questionDocs = option.question ?? []
            if questionDocs.count > DomainLimits.questionsPerOptionMax {
                problems.append(
                    DomainError(
                        .invalidCatalogue, "\(place): more than \(DomainLimits.questionsPerOptionMax) questions"))
            }
            var questions: [ScriptQuestion] = []
            for (index, question) in questionDocs.enumerated() {
                let questionPlace = "\(place) question \(question.code)"
                guard let datatype = QuestionDatatype(rawValue: question.datatype) else {
                    problems.append(
                        DomainError(
                            .invalidCatalogue,
                            "\(questionPlace): datatype '\(question.datatype)' must be one of "
                                + QuestionDatatype.allCases.map(\.rawValue).joined(separator: ", ")))
                    continue
                }
                if let made = attempt(
                    questionPlace,
                    {
                        try ScriptQuestion(
                            code: question.code, prompt: question.prompt, datatype: datatype,
                            required: question.required, values: question.values ?? [], order: index + 1)
                    })
                {
                    if questions.contains(where: { $0.code == made.code }) {
                        problems.append(DomainError(.invalidCatalogue, "\(questionPlace): the code is used twice"))
                    } else {
                        questions.append(made)
                    }
                }
            }
            optionsByCode[code] = (option, questions)
        }

        var organisations: [ParticipatingOrganisation] = []
        var numbers: [AccessNumber] = []
        for entry in organisation {
            let place = "[[organisation]] \(entry.code)"
            guard let code = attempt(place, { try OrganisationCode(entry.code) }) else { continue }
            guard let kind = OrganisationKind(rawValue: entry.kind) else {
                problems.append(
                    DomainError(.invalidCatalogue, "\(place): kind '\(entry.kind)' must be council or housing-association"))
                continue
            }
            let limit = entry.referralLimitMinutes ?? DomainLimits.referralLimitMinutesDefault
            if !(1...1440).contains(limit) {
                problems.append(
                    DomainError(.invalidCatalogue, "\(place): referralLimitMinutes \(limit) must be 1 to 1440"))
            }
            var options: [ServiceOption] = []
            for chosen in entry.option ?? [] {
                let optionPlace = "\(place) option \(chosen.code)"
                guard let optionCode = attempt(optionPlace, { try ServiceOptionCode(chosen.code) }) else { continue }
                guard let (definition, questions) = optionsByCode[optionCode] else {
                    problems.append(
                        DomainError(.invalidCatalogue, "\(optionPlace): no [[serviceOption]] has this code"))
                    continue
                }
                guard let standard = ServiceStandard(rawValue: chosen.standard) else {
                    problems.append(
                        DomainError(
                            .invalidCatalogue,
                            "\(optionPlace): standard '\(chosen.standard)' must be platinum, gold, silver or bronze"))
                    continue
                }
                guard let hoursValue = hoursByCode[chosen.hours] else {
                    if declaredHours.contains(chosen.hours) { continue }
                    problems.append(
                        DomainError(.invalidCatalogue, "\(optionPlace): no [[hours]] has the code '\(chosen.hours)'"))
                    continue
                }
                if options.contains(where: { $0.code == optionCode }) {
                    problems.append(DomainError(.invalidCatalogue, "\(optionPlace): listed twice"))
                    continue
                }
                options.append(
                    ServiceOption(
                        code: optionCode, name: definition.name, description: definition.description,
                        defaultAction: CallActionKind(rawValue: definition.defaultAction) ?? .refer,
                        standard: standard, hours: hoursValue, informationOnly: chosen.informationOnly ?? false,
                        questions: questions))
            }
            let categories = entry.outOfScopeCategories ?? outOfScopeCategories ?? Self.defaultOutOfScopeCategories
            organisations.append(
                ParticipatingOrganisation(
                    code: code, name: entry.name, kind: kind, referralLimitMinutes: limit,
                    outOfScopeCategories: categories, options: options))
            for number in entry.accessNumber ?? [] {
                let numberPlace = "\(place) accessNumber \(number.number)"
                if let made = attempt(
                    numberPlace,
                    {
                        AccessNumber(
                            number: try PhoneNumber(parsing: number.number), organisation: code,
                            option: try number.option.map(ServiceOptionCode.init), label: number.label,
                            menu: try number.menu.map(Self.makeMenu))
                    })
                {
                    numbers.append(made)
                }
            }
        }
        // Cross-entry problems are reported with the rest, so one pass shows everything to fix.
        var declared: [OrganisationCode: Set<ServiceOptionCode>] = [:]
        for entry in organisation {
            guard let code = try? OrganisationCode(entry.code) else { continue }
            declared[code, default: []].formUnion((entry.option ?? []).compactMap { try? ServiceOptionCode($0.code) })
        }
        problems += Catalogue.crossCheck(organisations: organisations, accessNumbers: numbers, declared: declared)
        guard problems.isEmpty, let calendarValue else {
            throw DomainErrors(problems)
        }
        return try Catalogue(calendar: calendarValue, organisations: organisations, accessNumbers: numbers)
    }

    /// Checks one menu, reporting every bad key and option together (7.1.4).
    static func makeMenu(_ menu: Menu) throws -> IVRMenu {
        var problems: [DomainError] = []
        var choices: [IVRMenu.Choice] = []
        for choice in menu.choice ?? [] {
            do {
                choices.append(
                    IVRMenu.Choice(
                        key: try IVRKey(choice.key), option: try ServiceOptionCode(choice.option), label: choice.label))
            } catch let error as DomainError {
                problems.append(DomainError(.invalidCatalogue, "menu: \(error.message)"))
            }
        }
        let fallback: ServiceOptionCode?
        do {
            fallback = try ServiceOptionCode(menu.default)
        } catch let error as DomainError {
            problems.append(DomainError(.invalidCatalogue, "menu default: \(error.message)"))
            fallback = nil
        }
        guard problems.isEmpty, let fallback else { throw DomainErrors(problems) }
        do {
            return try IVRMenu(
                prompt: menu.prompt, choices: choices, defaultOption: fallback,
                waitSeconds: menu.waitSeconds ?? DomainLimits.ivrWaitSecondsDefault,
                playsMax: menu.plays ?? DomainLimits.ivrPlaysDefault)
        } catch let errors as DomainErrors {
            throw DomainErrors(errors.errors.map { DomainError(.invalidCatalogue, "menu: \($0.message)") })
        }
    }
}
