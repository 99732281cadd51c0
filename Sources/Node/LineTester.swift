import Domain
import Foundation
import Store
import TOMLKit

/// What a node needs to make line tests (8.13): each organisation's agreed threshold and, optionally, a command that
/// places a real test call through the telephony provider. Read from the `[lineTests]` section of a TOML file:
///
///     [lineTests]
///     enabled = true                        # default true
///     intervalMs = 15000                    # how often the plan is checked; default 15000
///     dialCommand = "dial-test"             # optional: run as `dial-test NUMBER SITE`; exit 0 = answered
///     dialTimeoutMs = 30000                 # optional
///
///     [lineTests.thresholds]                # calls an hour below which a number is tested every half hour
///     EAL = 2
///     ENF = 1
///
/// Without the file every organisation has `LineTestPolicy.standard` and no command: the test call goes through
/// the routing path alone (number → organisation and option → the site the routing answer picks, which must be
/// live and have a handler trained for the organisation).
public struct LineTestConfiguration: Sendable {
    public let enabled: Bool
    public let interval: Duration
    public let thresholds: [OrganisationCode: LineTestPolicy]
    public let dialCommand: String?
    public let dialTimeoutMs: Int

    public static let standard = LineTestConfiguration(
        enabled: true, interval: .milliseconds(NodeLimits.lineTestIntervalMsDefault), thresholds: [:],
        dialCommand: nil, dialTimeoutMs: NodeLimits.lineTestDialTimeoutMsDefault)

    public init(
        enabled: Bool, interval: Duration, thresholds: [OrganisationCode: LineTestPolicy], dialCommand: String?,
        dialTimeoutMs: Int
    ) {
        self.enabled = enabled
        self.interval = interval
        self.thresholds = thresholds
        self.dialCommand = dialCommand
        self.dialTimeoutMs = dialTimeoutMs
    }

    public func policy(_ organisation: OrganisationCode) -> LineTestPolicy {
        thresholds[organisation] ?? .standard
    }

    /// Reads the file, listing every problem at once; relative command paths are taken from the file's folder.
    public static func load(path: String, catalogue: Catalogue) throws -> LineTestConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw NodeError.unreadable(path: path, reason: "it cannot be read (\(error.localizedDescription))")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch {
            throw NodeError.invalidFile(path: path, problems: ["it is not TOML: \(error)"])
        }
        var problems: [String] = []
        for key in table.keys where key != "lineTests" {
            problems.append("unknown section or key '\(key)': the file holds one [lineTests] section")
        }
        guard let section = table["lineTests"]?.table else {
            throw NodeError.invalidFile(path: path, problems: problems + ["it has no [lineTests] section"])
        }
        let known: Set<String> = ["enabled", "intervalMs", "dialCommand", "dialTimeoutMs", "thresholds"]
        for key in section.keys.sorted() where !known.contains(key) {
            problems.append("unknown key lineTests.\(key): use \(known.sorted().joined(separator: ", "))")
        }
        var enabled = true
        if let value = section["enabled"] {
            if let bool = value.bool { enabled = bool } else { problems.append("lineTests.enabled must be true or false") }
        }
        var intervalMs = NodeLimits.lineTestIntervalMsDefault
        if let value = section["intervalMs"] {
            if let int = value.int, NodeLimits.lineTestIntervalMsRange.contains(int) {
                intervalMs = int
            } else {
                problems.append(
                    "lineTests.intervalMs must be a whole number from \(NodeLimits.lineTestIntervalMsRange.lowerBound) "
                        + "to \(NodeLimits.lineTestIntervalMsRange.upperBound)")
            }
        }
        var dialTimeoutMs = NodeLimits.lineTestDialTimeoutMsDefault
        if let value = section["dialTimeoutMs"] {
            if let int = value.int, NodeLimits.lineTestDialTimeoutMsRange.contains(int) {
                dialTimeoutMs = int
            } else {
                problems.append(
                    "lineTests.dialTimeoutMs must be a whole number from "
                        + "\(NodeLimits.lineTestDialTimeoutMsRange.lowerBound) to "
                        + "\(NodeLimits.lineTestDialTimeoutMsRange.upperBound)")
            }
        }
        var dialCommand: String?
        if let value = section["dialCommand"] {
            if let command = value.string, !command.isEmpty {
                let base = (path as NSString).deletingLastPathComponent
                dialCommand = command.hasPrefix("/") || !command.contains("/")
                    ? command : (base as NSString).appendingPathComponent(command)
            } else {
                problems.append("lineTests.dialCommand must be a command name or path")
            }
        }
        var thresholds: [OrganisationCode: LineTestPolicy] = [:]
        if let value = section["thresholds"] {
            if let entries = value.table {
                for key in entries.keys.sorted() {
                    guard let code = try? OrganisationCode(key), catalogue.organisation(code) != nil else {
                        problems.append(
                            "lineTests.thresholds.\(key): not an organisation of the catalogue; use one of "
                                + catalogue.organisations.map(\.code.rawValue).joined(separator: ", "))
                        continue
                    }
                    guard let int = entries[key]?.int else {
                        problems.append("lineTests.thresholds.\(key) must be a whole number of calls an hour")
                        continue
                    }
                    do {
                        thresholds[code] = try LineTestPolicy(thresholdCallsPerHour: int)
                    } catch let error as DomainError {
                        problems.append("lineTests.thresholds.\(key): \(error.message)")
                    }
                }
            } else {
                problems.append("lineTests.thresholds must be a table of organisation = calls an hour")
            }
        }
        guard problems.isEmpty else { throw NodeError.invalidFile(path: path, problems: problems) }
        return LineTestConfiguration(
            enabled: enabled, interval: .milliseconds(intervalMs), thresholds: thresholds, dialCommand: dialCommand,
            dialTimeoutMs: dialTimeoutMs)
    }
}

/// Makes the test calls a node owes (8.13), each through the path a real call takes, and records them.
///
/// For each access number the plan (`LineTestPlan`) says which tests are owed; the `TimerElection` picks the one
/// site that makes them (the organisation's preferred live site, else the first live site by rank), so a slot is
/// tested once however many sites are up, and by another when that site is lost. A test call:
/// 1. resolves the number in the catalogue to its organisation and option — a menu by pressing its first key, a
///    general number taking the organisation's highest-standard option;
/// 2. asks the routing (`route`) where a new call to it would go, exactly as for a real call: it fails when no
///    site can take it, or the site picked has no handler trained for the organisation;
/// 3. with a `dialCommand`, places a real call: `COMMAND NUMBER SITE`, exit 0 within the time limit = answered.
/// A failure newly identified queues SMS and email to the organisation's escalation contacts (the emergency contacts
/// of its procedure for that option) in the transaction that records the test (8.13: "the relevant Escalation
/// Procedure will be triggered").
public struct LineTester: Sendable {
    public typealias Route = @Sendable (RoutedCall) async throws -> RoutingAnswer

    let database: AppDatabase
    let site: SiteCode
    let election: TimerElection
    let preferred: [OrganisationCode: [SiteCode]]
    let configuration: LineTestConfiguration
    let route: Route

    public init(
        database: AppDatabase, site: SiteCode, election: TimerElection,
        preferred: [OrganisationCode: [SiteCode]] = [:], configuration: LineTestConfiguration, route: @escaping Route
    ) {
        self.database = database
        self.site = site
        self.election = election
        self.preferred = preferred
        self.configuration = configuration
        self.route = route
    }

    /// Every test owed at `now` (the cluster's time) that the election gives this node, made and recorded.
    /// Returns the records written; a slot found recorded meanwhile (by another site) is skipped.
    public func evaluate(now: Date, live: Set<SiteCode>) async throws -> [LineTestRecord] {
        let catalogue = try database.catalogue()
        var made: [LineTestRecord] = []
        let nowMinute = Int64((now.timeIntervalSince1970 / 60).rounded(.down))
        for access in catalogue.accessNumbers {
            guard let organisation = catalogue.organisation(access.organisation) else { continue }
            let hours = Self.options(of: access, in: organisation).map(\.hours)
            guard !hours.isEmpty else { continue }
            let plan = LineTestPlan(
                number: access.number, hours: hours, calendar: catalogue.calendar,
                policy: configuration.policy(organisation.code))
            let owed = plan.due(
                at: now,
                callsPastHour: try database.callCount(
                    accessNumber: access.number, from: now.addingTimeInterval(-3_600), to: now),
                recorded: try database.recordedLineTestSlots(
                    number: access.number, sinceMinute: nowMinute - Int64(LineTestPlan.periodStartGraceMinutes) - 60))
            guard !owed.isEmpty,
                election.decide(node: site, live: live, preferred: preferred[organisation.code] ?? []) == .act
            else { continue }
            for slot in owed {
                let started = ContinuousClock.now
                let (outcome, routeSite, option) = await call(access, catalogue: catalogue, slot: slot)
                let elapsed = ContinuousClock.now - started
                let record = try database.recordLineTest(
                    slot, organisation: organisation.code, outcome: outcome, routeSite: routeSite?.rawValue,
                    testedAt: now, durationMs: elapsed.milliseconds
                ) {
                    try failureMessages(access, organisation: organisation, option: option, outcome: outcome)
                }
                if let record { made.append(record) }
            }
        }
        return made
    }

    /// The options a number leads to: its own, its menu's, or for a general number all the organisation's.
    static func options(of access: AccessNumber, in organisation: ParticipatingOrganisation) -> [ServiceOption] {
        if let menu = access.menu { return menu.options.compactMap(organisation.option) }
        if let option = access.option { return organisation.option(option).map { [$0] } ?? [] }
        return organisation.options
    }

    /// One test call through the routing path; the outcome, the site routed to, and the option reached.
    func call(_ access: AccessNumber, catalogue: Catalogue, slot: LineTestSlot) async -> (
        LineTestOutcome, SiteCode?, ServiceOption?
    ) {
        let resolution: AccessResolution
        do {
            resolution = try catalogue.resolve(access.number)
        } catch {
            return (.failed(reason: "the number does not resolve: \(error)"), nil, nil)
        }
        let option: ServiceOption
        switch resolution.route {
        case .menu(let menu):
            guard let first = menu.choices.first,
                let reached = resolution.option(after: [.key(first.key)])?.option
            else { return (.failed(reason: "its menu leads to no option"), nil, nil) }
            option = reached
        case .dedicated, .general:
            guard
                let reached = resolution.option(after: [])?.option
                    ?? resolution.organisation.options.min(by: { $0.standard < $1.standard })
            else { return (.failed(reason: "\(resolution.organisation.code) operates no Service Option"), nil, nil) }
            option = reached
        }
        let answer: RoutingAnswer
        do {
            answer = try await route(
                RoutedCall(
                    organisation: resolution.organisation.code, option: option.code, standard: option.standard,
                    key: RoutingKey(text: "line-test|\(slot)")))
        } catch {
            return (.failed(reason: "routing could not answer: \(error)"), nil, option)
        }
        guard let pick = answer.pick else {
            let why = answer.sites.map { "\($0.site): \($0.reason)" }.joined(separator: "; ")
            return (
                .failed(reason: "no site can take \(resolution.organisation.code)'s calls" + (why.isEmpty ? "" : " (\(why))")),
                nil, option
            )
        }
        if let command = configuration.dialCommand {
            do {
                let outcome = try await ProcessRunner.run(
                    path: command, arguments: [access.number.e164, pick.rawValue], input: Data(),
                    timeoutMs: configuration.dialTimeoutMs)
                if outcome.timedOut {
                    return (.failed(reason: "the test call was not answered within \(configuration.dialTimeoutMs) ms"), pick, option)
                }
                guard outcome.status == 0 else {
                    let detail = outcome.standardError.split(separator: "\n").first.map { ": \($0)" } ?? ""
                    return (.failed(reason: "the test call failed (dial command exit \(outcome.status))\(detail)"), pick, option)
                }
            } catch {
                return (.failed(reason: "the dial command could not run: \(error)"), pick, option)
            }
        }
        return (.passed, pick, option)
    }

    /// For a failure, SMS and email to the organisation's escalation contacts for the option reached (8.13, 8.9).
    func failureMessages(
        _ access: AccessNumber, organisation: ParticipatingOrganisation, option: ServiceOption?, outcome: LineTestOutcome
    ) throws -> [OutboxDraft] {
        guard case .failed(let reason) = outcome else { return [] }
        let options = option.map { [$0] } ?? organisation.options
        var people: [OnCallContact] = []
        for option in options {
            guard let procedure = try database.procedure(organisation: organisation.code, option: option.code) else {
                continue
            }
            for id in procedure.whenExhausted.emergencyContacts where !people.contains(where: { $0.id == id }) {
                if let entry = try database.contact(id), !entry.withdrawn { people.append(entry.contact) }
            }
        }
        let line = "\(access.number) (\(access.label))"
        return people.flatMap { person -> [OutboxDraft] in
            var drafts: [OutboxDraft] = []
            if case .sms(let number) = person.channel(.sms) {
                var text = ReferralMessage.gsm7("LINE TEST FAILED \(organisation.code) \(line): \(reason)")
                while ReferralMessage.septets(text) > DomainLimits.smsSeptetsMax { text.removeLast() }
                drafts.append(
                    OutboxDraft(organisation: organisation.code, channel: .sms, recipient: number.e164, body: text))
            }
            if case .email(let address) = person.channel(.email) {
                drafts.append(
                    OutboxDraft(
                        organisation: organisation.code, channel: .email, recipient: address.rawValue,
                        subject: "Line test failed: \(organisation.code) \(access.number)",
                        body: """
                            An automated test call to \(line) for \(organisation.name) failed (8.13).
                            Reason: \(reason)
                            Callers to this number may not be reaching the out-of-hours service. Please check the
                            number's diversion and the telephony; the service's escalation procedure has started.
                            """))
            }
            return drafts
        }
    }
}
