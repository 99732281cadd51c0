import Foundation

/// The rules a call must meet before it is logged or changed; pure, so every rule is unit-tested.
public enum CallRules {
    /// Checks a draft against the organisation's catalogue entry at the moment it is logged.
    ///
    /// Returns the answers in canonical form. Throws every problem found, so a handler fixes them in one go.
    public static func validate(_ draft: CallDraft, catalogue: Catalogue) throws -> [String: Answer] {
        guard let organisation = catalogue.organisation(draft.organisation) else {
            let known = catalogue.organisations.map(\.code.rawValue).joined(separator: ", ")
            throw DomainError(
                .unknownOrganisation,
                "organisation \(draft.organisation) is not a Participating Organisation here; known: \(known)")
        }
        guard let option = organisation.option(draft.option) else {
            let known = organisation.options.map(\.code.rawValue).joined(separator: ", ")
            throw DomainError(
                .optionNotOperated,
                "\(organisation.name) (\(organisation.code)) does not operate the Service Option '\(draft.option)'; "
                    + "it operates: \(known)")
        }
        var problems: [DomainError] = []
        if let number = draft.accessNumber, let access = catalogue.accessNumber(number) {
            if access.organisation != organisation.code {
                problems.append(
                    DomainError(
                        .invalidValue,
                        "access number \(number) belongs to \(access.organisation), not \(organisation.code)"))
            }
        }
        // 2.1.5, 5.4.2: each option has its own hours. Outside them the handler can still signpost the caller
        // or record the call as out of scope (5.2.3.5), but not refer it as if the service were running.
        let inHours = option.hours.isOpen(at: draft.offeredAt, calendar: catalogue.calendar)
        if !inHours, ![.signpost, .outOfScope, .transfer].contains(draft.action.kind) {
            let local = catalogue.calendar.localTime(of: draft.offeredAt)
            let today = option.hours.windows(on: local.date, weekday: local.weekday, calendar: catalogue.calendar)
            let listed = today.isEmpty ? "closed all day" : today.map(\.description).joined(separator: ", ")
            problems.append(
                DomainError(
                    .outOfHours,
                    "\(option.name) for \(organisation.code) is not in service at "
                        + "\(String(format: "%02d:%02d", local.minuteOfDay / 60, local.minuteOfDay % 60)) on \(local.date) "
                        + "(\(local.weekday.rawValue): \(listed)); log it with --action signpost or out-of-scope"))
        }
        problems += actionProblems(draft.action, organisation: organisation)
        if draft.details.count > DomainLimits.callDetailsCharactersMax {
            problems.append(
                DomainError(.invalidValue, "details are longer than \(DomainLimits.callDetailsCharactersMax) characters"))
        }
        if let address = draft.incidentAddress, address.text.count > DomainLimits.addressCharactersMax {
            problems.append(
                DomainError(.invalidValue, "address is longer than \(DomainLimits.addressCharactersMax) characters"))
        }
        problems += timeProblems(offered: draft.offeredAt, answered: draft.answeredAt, ended: draft.endedAt)
        var canonical: [String: Answer] = [:]
        do {
            // 5.3.3: the script's essential data is needed where the organisation acts on the call; a caller
            // who is only signposted, transferred or told the call is out of scope is not held to it.
            let acted: Set<CallActionKind> = [.refer, .resolve, .loneWorker]
            canonical = try validateAnswers(
                draft.answers, for: option, complete: !option.informationOnly && acted.contains(draft.action.kind))
        } catch let errors as DomainErrors {
            problems += errors.errors
        }
        guard problems.isEmpty else { throw DomainErrors(problems) }
        return canonical
    }

    /// Checks answers against a script. With `complete`, every required question needs an answer or `notKnown`.
    public static func validateAnswers(_ answers: [String: Answer], for option: ServiceOption, complete: Bool) throws
        -> [String: Answer]
    {
        var problems: [DomainError] = []
        var canonical: [String: Answer] = [:]
        for (code, answer) in answers.sorted(by: { $0.key < $1.key }) {
            guard let question = option.questions.first(where: { $0.code == code }) else {
                let known = option.questions.map(\.code).joined(separator: ", ")
                problems.append(
                    DomainError(
                        .unknownQuestion,
                        "'\(code)' is not a question of \(option.name); its questions are: \(known.isEmpty ? "none" : known)"))
                continue
            }
            do {
                canonical[code] = try question.validate(answer)
            } catch let error as DomainError {
                problems.append(error)
            }
        }
        if complete {
            for question in option.questions where question.required && answers[question.code] == nil {
                problems.append(
                    DomainError(
                        .missingRequiredAnswer,
                        "required field '\(question.code)' (\(question.prompt)) has no answer; "
                            + "give --answer \(question.code)=… or, if the caller cannot say, --not-known \(question.code)"))
            }
        }
        guard problems.isEmpty else { throw DomainErrors(problems) }
        return canonical
    }

    static func actionProblems(_ action: CallAction, organisation: ParticipatingOrganisation) -> [DomainError] {
        switch action.kind {
        case .outOfScope:
            guard let category = action.detail else {
                return [
                    DomainError(
                        .invalidValue,
                        "an out-of-scope call needs a category (11.7.3 f): one of "
                            + organisation.outOfScopeCategories.joined(separator: "; "))
                ]
            }
            if !organisation.outOfScopeCategories.contains(where: {
                $0.caseInsensitiveCompare(category) == .orderedSame
            }) {
                return [
                    DomainError(
                        .invalidValue,
                        "'\(category)' is not an out-of-scope category of \(organisation.code): one of "
                            + organisation.outOfScopeCategories.joined(separator: "; "))
                ]
            }
        case .transfer:
            if action.detail == nil {
                return [DomainError(.invalidValue, "a transferred call needs --action-detail naming who it went to")]
            }
        case .signpost, .refer, .resolve, .loneWorker:
            break
        }
        return []
    }

    static func timeProblems(offered: Date, answered: Date?, ended: Date?) -> [DomainError] {
        var problems: [DomainError] = []
        if let answered, answered < offered {
            problems.append(DomainError(.invalidValue, "the call cannot be answered before it was offered"))
        }
        if let ended, ended < (answered ?? offered) {
            problems.append(DomainError(.invalidValue, "the call cannot end before it was answered"))
        }
        return problems
    }

    /// Applies an update to a call, enforcing that its lifecycle only moves forward.
    public static func apply(_ update: CallUpdate, to call: Call, catalogue: Catalogue) throws -> Call {
        guard !update.isEmpty else {
            throw DomainError(.invalidValue, "nothing to update: give at least one change, e.g. --note or --status")
        }
        guard let organisation = catalogue.organisation(call.organisation),
            let option = organisation.option(call.option)
        else {
            throw DomainError(
                .optionNotOperated, "\(call.organisation) no longer operates \(call.option); the call cannot be changed")
        }
        var problems: [DomainError] = []
        var next = call
        if let action = update.action {
            problems += actionProblems(action, organisation: organisation)
            next.action = action
        }
        if let status = update.status {
            if status < call.status {
                problems.append(
                    DomainError(
                        .lifecycle,
                        "call \(call.reference) is \(call.status.rawValue) and cannot go back to \(status.rawValue); "
                            + "log a new call linked to it with --link-to \(call.reference)"))
            }
            next.status = max(status, call.status)
        }
        if !update.answers.isEmpty {
            do {
                let canonical = try validateAnswers(update.answers, for: option, complete: false)
                next.answers.merge(canonical) { _, new in new }
            } catch let errors as DomainErrors {
                problems += errors.errors
            }
        }
        if let details = update.details {
            if details.count > DomainLimits.callDetailsCharactersMax {
                problems.append(
                    DomainError(
                        .invalidValue, "details are longer than \(DomainLimits.callDetailsCharactersMax) characters"))
            }
            next.details = details
        }
        if let answered = update.answeredAt { next.answeredAt = answered }
        if let ended = update.endedAt { next.endedAt = ended }
        problems += timeProblems(offered: next.offeredAt, answered: next.answeredAt, ended: next.endedAt)
        if let link = update.linkTo {
            if link == call.reference {
                problems.append(DomainError(.invalidValue, "a call cannot be linked to itself"))
            }
            next.linkedTo = link
        }
        if let person = update.assignTo {
            let trimmed = person.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.count > DomainLimits.callerNameCharactersMax {
                problems.append(
                    DomainError(
                        .invalidValue, "--assign needs a name of 1 to \(DomainLimits.callerNameCharactersMax) characters"))
            }
            next.assignedTo = [trimmed]
        }
        if let note = update.note {
            let trimmed = note.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.count > DomainLimits.noteCharactersMax {
                problems.append(
                    DomainError(.invalidValue, "a note must have 1 to \(DomainLimits.noteCharactersMax) characters"))
            }
        }
        guard problems.isEmpty else { throw DomainErrors(problems) }
        return next
    }
}
