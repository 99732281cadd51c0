import Foundation

/// One key of a telephone keypad: a digit 0–9, `*` or `#` (7.1.4).
public struct IVRKey: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// The keys of a keypad, in the order a menu lists them.
    public static let keypad = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#"]

    public init(_ text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard Self.keypad.contains(trimmed) else {
            throw DomainError(
                .invalidValue, "key '\(text)' is not on a telephone keypad: use one digit 0 to 9, * or #")
        }
        rawValue = trimmed
    }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    /// Keypad order: 1 to 9, then 0, `*`, `#`.
    public static func < (a: Self, b: Self) -> Bool {
        (keypad.firstIndex(of: a.rawValue) ?? 0) < (keypad.firstIndex(of: b.rawValue) ?? 0)
    }
}

/// What a caller did while one play of a menu listened for a key.
public enum IVRPress: Hashable, Sendable {
    case key(IVRKey)
    /// The wait ran out with no key pressed.
    case noKey
}

/// Where a caller is in a menu after some presses.
public enum IVROutcome: Hashable, Sendable {
    /// The caller chose an option with a key on the given play (1 is the first).
    case chosen(ServiceOptionCode, key: IVRKey, play: Int)
    /// Every play passed without a valid choice: the call goes to the menu's default option.
    case defaulted(ServiceOptionCode, plays: Int)
    /// The menu is playing (or replaying) and listening for a key.
    case listening(play: Int)

    /// The Service Option the call has reached, `nil` while the caller is still choosing.
    public var option: ServiceOptionCode? {
        switch self {
        case .chosen(let option, _, _), .defaulted(let option, _): option
        case .listening: nil
        }
    }
}

/// An Automated Attendant menu on an access number that serves several Service Options (7.1.4, 2.1.2 a).
///
/// The rule a caller meets: the prompt is played and the menu listens `waitSeconds` for a key. A key the menu
/// lists sends the call to that option. A key it does not list, or no key before the wait runs out, plays the menu
/// again; after `playsMax` plays without a choice the call goes to `defaultOption`, so no caller is ever cut off by
/// the menu (a caller who cannot use a keypad still reaches a handler).
public struct IVRMenu: Hashable, Codable, Sendable {
    /// One entry of the menu: press `key` for `option`.
    public struct Choice: Hashable, Codable, Sendable {
        public let key: IVRKey
        public let option: ServiceOptionCode
        /// What the recording says for this key, e.g. "for noise nuisance".
        public let label: String

        public init(key: IVRKey, option: ServiceOptionCode, label: String) {
            self.key = key
            self.option = option
            self.label = label
        }
    }

    public let prompt: String
    /// The choices in keypad order.
    public let choices: [Choice]
    public let defaultOption: ServiceOptionCode
    /// How long each play of the menu listens for a key.
    public let waitSeconds: Int
    /// How many times the menu is played before the call goes to the default option.
    public let playsMax: Int

    public init(
        prompt: String, choices: [Choice], defaultOption: ServiceOptionCode,
        waitSeconds: Int = DomainLimits.ivrWaitSecondsDefault, playsMax: Int = DomainLimits.ivrPlaysDefault
    ) throws {
        var problems: [DomainError] = []
        if prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            problems.append(DomainError(.invalidValue, "the menu has no prompt: give the words callers hear"))
        }
        if prompt.count > DomainLimits.ivrPromptCharactersMax {
            problems.append(
                DomainError(
                    .invalidValue,
                    "the prompt is \(prompt.count) characters; at most "
                        + "\(DomainLimits.ivrPromptCharactersMax) are allowed"))
        }
        if choices.isEmpty {
            problems.append(DomainError(.invalidValue, "the menu has no choices: add at least one [[…menu.choice]]"))
        }
        if choices.count > DomainLimits.ivrChoicesMax {
            problems.append(
                DomainError(
                    .invalidValue,
                    "the menu has \(choices.count) choices; a keypad has only \(DomainLimits.ivrChoicesMax) keys"))
        }
        var seen = Set<IVRKey>()
        for choice in choices where !seen.insert(choice.key).inserted {
            problems.append(
                DomainError(.invalidValue, "key \(choice.key) is used twice: give each choice its own key"))
        }
        if !(DomainLimits.ivrWaitSecondsMin...DomainLimits.ivrWaitSecondsMax).contains(waitSeconds) {
            problems.append(
                DomainError(
                    .invalidValue,
                    "waitSeconds \(waitSeconds) must be \(DomainLimits.ivrWaitSecondsMin) to "
                        + "\(DomainLimits.ivrWaitSecondsMax)"))
        }
        if !(DomainLimits.ivrPlaysMin...DomainLimits.ivrPlaysMax).contains(playsMax) {
            problems.append(
                DomainError(
                    .invalidValue,
                    "plays \(playsMax) must be \(DomainLimits.ivrPlaysMin) to \(DomainLimits.ivrPlaysMax)"))
        }
        guard problems.isEmpty else { throw DomainErrors(problems) }
        self.prompt = prompt
        self.choices = choices.sorted { $0.key < $1.key }
        self.defaultOption = defaultOption
        self.waitSeconds = waitSeconds
        self.playsMax = playsMax
    }

    public func choice(_ key: IVRKey) -> Choice? {
        choices.first { $0.key == key }
    }

    /// Every option the menu can lead to, its default included.
    public var options: [ServiceOptionCode] {
        Array(Set(choices.map(\.option) + [defaultOption])).sorted()
    }

    /// Longest a caller can spend in the menu before reaching the default option.
    public var secondsToDefaultMax: Int { waitSeconds * playsMax }

    /// Where a caller ends up after these presses, one per play (a press after the call has left the menu is
    /// ignored).
    public func outcome(of presses: [IVRPress]) -> IVROutcome {
        var play = 1
        for press in presses {
            if case .key(let key) = press, let choice = choice(key) {
                return .chosen(choice.option, key: key, play: play)
            }
            if play == playsMax { return .defaulted(defaultOption, plays: playsMax) }
            play += 1
        }
        return .listening(play: play)
    }
}

/// What a dialled number leads to (7.1.2, 7.1.3).
public enum AccessRoute: Hashable, Sendable {
    /// A dedicated number: the Service Option is known from the number alone.
    case dedicated(ServiceOptionCode)
    /// A number with an IVR menu: the caller's key picks the option (7.1.4).
    case menu(IVRMenu)
    /// A general number with no menu: the handler picks the option from the caller's answers.
    case general
}

/// A dialled number resolved to its organisation and route.
public struct AccessResolution: Hashable, Sendable {
    public let access: AccessNumber
    public let organisation: ParticipatingOrganisation
    public let route: AccessRoute

    /// The option the call reaches after the caller's presses; `nil` on a general number, or while a menu still
    /// listens.
    public func option(after presses: [IVRPress]) -> (option: ServiceOption, how: String)? {
        let code: ServiceOptionCode
        let how: String
        switch route {
        case .general:
            return nil
        case .dedicated(let dedicated):
            code = dedicated
            how = "dedicated number"
        case .menu(let menu):
            switch menu.outcome(of: presses) {
            case .chosen(let chosen, let key, let play):
                code = chosen
                how = "key \(key) on play \(play) of the menu"
            case .defaulted(let fallback, let plays):
                code = fallback
                how = "no choice after \(plays) plays of \(menu.waitSeconds) s: the menu's default"
            case .listening:
                return nil
            }
        }
        // The catalogue's cross-check makes this lookup succeed for a resolution it made.
        guard let option = organisation.option(code) else { return nil }
        return (option, how)
    }
}

extension Catalogue {
    /// Resolves a dialled number to its organisation and route (7.1.2); an unknown number is an error to act on.
    public func resolve(_ number: PhoneNumber) throws -> AccessResolution {
        guard let access = accessNumber(number) else {
            throw DomainError(
                .notFound,
                "access number \(number) is not in the catalogue; `nightdesk participants show CODE` lists each "
                    + "organisation's numbers")
        }
        guard let organisation = organisation(access.organisation) else {
            throw DomainError(
                .notFound, "access number \(number) names organisation \(access.organisation), which is withdrawn")
        }
        let route: AccessRoute =
            if let menu = access.menu {
                .menu(menu)
            } else if let option = access.option {
                .dedicated(option)
            } else {
                .general
            }
        return AccessResolution(access: access, organisation: organisation, route: route)
    }
}
