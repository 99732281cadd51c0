import Domain
import Foundation
import Logging
import Mesh
import Replication
import ServiceLifecycle
import Store

/// What one timer pass did, and how long it took.
public struct TimerPass: Sendable, Equatable {
    /// Lone-worker alerts this node recorded (5.2.3.6).
    public var loneWorkerAlerts: [LoneWorkerDueAction] = []
    /// Referral escalations this node recorded (5.3.2), with what each queued.
    public var referralEscalations: [RecordedTimerEscalation] = []
    /// Timers due that the election left to another site, with why (one reason per organisation).
    public var leftToOthers: [String] = []
    /// Due timers found: acted on, left to others, or found already done when recorded.
    public var dueFound = 0
    public var duration: Duration = .zero
}

/// One evaluation of every replicated deadline at an instant: which are due, and, for those the election gives
/// this node, the change sets that record them. Pure of the network: the cluster's view comes in as arguments.
public struct TimerEvaluator: Sendable {
    let database: AppDatabase
    let site: SiteCode
    let election: TimerElection
    /// Each organisation's preferred sites, in order, when the topology gives them (`TimerElection.decide`).
    let preferred: [OrganisationCode: [SiteCode]]

    public init(
        database: AppDatabase, site: SiteCode, election: TimerElection, preferred: [OrganisationCode: [SiteCode]] = [:]
    ) {
        self.database = database
        self.site = site
        self.election = election
        self.preferred = preferred
    }

    /// One pass at `now` (the cluster's time) with `live` the sites this node sees and `passedOver` those of them
    /// draining or evacuated: records every due lone-worker alert and referral escalation the election gives this
    /// node, each with its messages in the same transaction.
    public func evaluate(now: Date, live: Set<SiteCode>, passedOver: Set<SiteCode> = []) throws -> TimerPass {
        let started = ContinuousClock.now
        var pass = TimerPass()
        var reasons: [String: String] = [:]
        func decide(_ organisation: OrganisationCode) -> Bool {
            switch election.decide(
                node: site, live: live, preferred: preferred[organisation] ?? [], passedOver: passedOver)
            {
            case .act: return true
            case .standDown(let reason):
                reasons[organisation.rawValue] = reason
                return false
            }
        }
        for item in try database.dueLoneWorkerActions(at: now) {
            pass.dueFound += 1
            guard let session = try database.loneWorkerSession(item.session),
                decide(session.start.officer.organisation)
            else { continue }
            let messages = try redEscalation(item)
            guard
                try database.recordLoneWorkerAction(
                    item.action, session: item.session, at: now, messages: { _ in messages })
            else { continue }
            pass.loneWorkerAlerts.append(item)
        }
        for due in try database.dueReferralEscalations(at: now) {
            pass.dueFound += 1
            guard decide(due.organisation) else { continue }
            if let recorded = try database.recordReferralEscalation(due, at: now) {
                pass.referralEscalations.append(recorded)
            }
        }
        pass.leftToOthers = reasons.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        pass.duration = ContinuousClock.now - started
        return pass
    }

}

/// Acts on replicated deadlines: every live node evaluates them, and the one the `TimerElection` picks records
/// what is due (an amber or red lone-worker alert, 5.2.3.6; a referral's escalation to its next step or fallback,
/// 5.3.2) as a change set, so the others see it done.
///
/// Deadlines are judged by the cluster's clock (the median of the heartbeat offsets), so a node whose own clock
/// runs ahead does not fire early for everyone. A node that cannot see a majority of the cluster's sites stands
/// down: in a partition only one side acts, so a healed cluster never holds two escalations of one deadline.
public struct TimerService: Service {
    let sync: SyncService
    let evaluator: TimerEvaluator
    let interval: Duration
    let logger: Logger

    public init(
        sync: SyncService, database: AppDatabase, site: SiteCode, election: TimerElection,
        preferred: [OrganisationCode: [SiteCode]] = [:], interval: Duration = .milliseconds(500), logger: Logger
    ) {
        precondition(interval >= .milliseconds(10), "timers are evaluated at most every 10 ms")
        self.sync = sync
        evaluator = TimerEvaluator(database: database, site: site, election: election, preferred: preferred)
        self.interval = interval
        self.logger = logger
    }

    /// The election for `topology`: its sites in file order, replicas never acting.
    public static func election(for topology: ClusterTopology) throws -> TimerElection {
        try TimerElection(
            ranked: topology.sites.filter { $0.role == .site }.map(\.code),
            replicas: Set(topology.sites.filter { $0.role == .replica }.map(\.code)))
    }

    public func run() async throws {
        var time = try ClusterTime(site: evaluator.site)
        var lastDecision: [String] = []
        var wasStandingDown = false
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let view = await sync.clusterView()
            let (now, live) = time.read(view)
            // A node that has just regained its peers may not yet hold what they recorded while it was cut off (an
            // alert raised on the majority side): it waits until it does, as the outbox does, so a heal never
            // records a second alert for one deadline.
            guard view.aheadOfThisNode.isEmpty else {
                let interval = interval
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
                continue
            }
            // 8.1: a draining or evacuated site hands its timers to a site that is up (TimerElection rule 3).
            let passedOver = Set(
                view.sites.filter { $0.value.state == .draining || $0.value.state == .evacuated }
                    .compactMap { try? SiteCode($0.key.rawValue) }
            ).intersection(live.union([evaluator.site]))
            let standingDown = passedOver.contains(evaluator.site) && !live.subtracting(passedOver).isEmpty
            if standingDown != wasStandingDown {
                wasStandingDown = standingDown
                if standingDown {
                    logger.notice("this site is draining or evacuated: its timers stand down, a site that is up acts")
                } else {
                    logger.notice("this site is up again: it acts on timers when the election picks it")
                }
            }
            do {
                let pass = try evaluator.evaluate(now: now, live: live, passedOver: passedOver)
                for item in pass.loneWorkerAlerts {
                    logger.warning(
                        "lone-worker alert raised",
                        metadata: ["lone.session": "\(item.session)", "lone.action": "\(item.action)"])
                }
                for recorded in pass.referralEscalations {
                    logger.warning(
                        "referral escalated",
                        metadata: [
                            "referral.call": "\(recorded.reference)", "referral.step": "\(recorded.escalation.step)",
                            "outbox.queued": "\(recorded.messages.count)",
                        ])
                }
                if !pass.leftToOthers.isEmpty, pass.leftToOthers != lastDecision {
                    logger.info(
                        "timers due, left to another site",
                        metadata: ["timer.reason": "\(pass.leftToOthers.joined(separator: "; "))"])
                }
                lastDecision = pass.leftToOthers
            } catch {
                logger.error("evaluating timers failed", metadata: ["error": "\(error)"])
            }
            let interval = interval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}

extension TimerEvaluator {
    /// For a red alert, the messages to the officer's manager and the organisation's escalation contacts (SMS to a
    /// mobile and an email each, 5.2.3.6 "urgent escalation procedures involving the management of the On-Call Duty
    /// Staff member", 8.9), queued in the same transaction as the alert; none for an amber one, or for a person
    /// without those channels (a phone-only escalation line is called by a handler from the board).
    func redEscalation(_ item: LoneWorkerDueAction) throws -> [OutboxDraft] {
        guard case .raiseRed(let reason) = item.action,
            let session = try database.loneWorkerSession(item.session)
        else { return [] }
        let officer = session.start.officer
        var people: [OnCallContact] = []
        if let managerID = officer.manager, let manager = try database.contact(managerID)?.contact {
            people.append(manager)
        }
        for contact in try escalationContacts(of: session) where !people.contains(where: { $0.id == contact.id }) {
            people.append(contact)
        }
        let why = reason == .duress ? "DURESS" : "no check-out"
        return people.flatMap { Self.redDrafts(to: $0, session: session, why: why, reference: item.session) }
    }

    /// The organisation's escalation contacts for a session (5.2.3.6, 8.9): the emergency contacts of its Escalation
    /// Procedure for the session's Service Option (`[whenExhausted] emergencyContacts`), current ones only.
    func escalationContacts(of session: LoneWorkerSession) throws -> [OnCallContact] {
        guard let call = try database.callRecord(session.start.call)?.call,
            let procedure = try database.procedure(organisation: call.organisation, option: call.option)
        else { return [] }
        return try procedure.whenExhausted.emergencyContacts.compactMap { id in
            guard let entry = try database.contact(id), !entry.withdrawn else { return nil }
            return entry.contact
        }
    }

    /// A red alert's SMS (to a mobile) and email for one person; none for a channel they do not have.
    static func redDrafts(to person: OnCallContact, session: LoneWorkerSession, why: String, reference: CallReference)
        -> [OutboxDraft]
    {
        let officer = session.start.officer
        var drafts: [OutboxDraft] = []
        if case .sms(let number) = person.channel(.sms) {
            drafts.append(
                OutboxDraft(
                    organisation: officer.organisation, channel: .sms, recipient: number.e164,
                    body: Self.redSMS(
                        officer: officer.name, phone: officer.callerNumber.description,
                        location: session.start.location, why: why, reference: reference.description),
                    callReference: reference))
        }
        if case .email(let address) = person.channel(.email) {
            drafts.append(
                OutboxDraft(
                    organisation: officer.organisation, channel: .email, recipient: address.rawValue,
                    subject: "RED lone worker alert: \(officer.name) (\(reference))",
                    body: """
                        Lone worker \(officer.name) has not checked out safely (\(why)).
                        Location: \(session.start.location)
                        Task: \(session.start.task)
                        Deadline: \(session.deadline)
                        Officer's number: \(officer.callerNumber)
                        Reference: \(reference)
                        """,
                    callReference: reference))
        }
        return drafts
    }

    /// A red alert's SMS within 160 GSM-7 septets: the location is shortened first, the reference never (5.2.5).
    static func redSMS(officer: String, phone: String, location: String, why: String, reference: String) -> String {
        func text(_ place: String) -> String {
            ReferralMessage.gsm7("RED lone worker (\(why)): \(officer), \(phone), at \(place). Ref \(reference)")
        }
        var place = location
        while ReferralMessage.septets(text(place)) > DomainLimits.smsSeptetsMax, !place.isEmpty {
            place.removeLast()
        }
        return text(place)
    }
}
