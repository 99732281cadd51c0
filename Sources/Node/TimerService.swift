import Domain
import Foundation
import Logging
import Replication
import ServiceLifecycle
import Store

/// Acts on replicated deadlines: every live node evaluates them, and the one the `TimerElection` picks records
/// what is due (an amber or red lone-worker alert, 5.2.3.6) as a change set, so the others see it done.
///
/// Deadlines are judged by the cluster's clock (the median of the heartbeat offsets), so a node whose own clock
/// runs ahead does not fire early for everyone. A node that cannot see a majority of the cluster's sites stands
/// down: in a partition only one side acts, so a healed cluster never holds two escalations of one deadline.
public struct TimerService: Service {
    let sync: SyncService
    let database: AppDatabase
    let site: SiteCode
    let election: TimerElection
    let interval: Duration
    let logger: Logger

    public init(
        sync: SyncService, database: AppDatabase, site: SiteCode, election: TimerElection,
        interval: Duration = .milliseconds(500), logger: Logger
    ) {
        precondition(interval >= .milliseconds(10), "timers are evaluated at most every 10 ms")
        self.sync = sync
        self.database = database
        self.site = site
        self.election = election
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
        var clock = try ClusterClock(site: site)
        var lastDecision = ""
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let view = await sync.clusterView()
            for sample in view.samples {
                guard let peer = try? SiteCode(sample.site.rawValue) else { continue }
                clock.record(
                    HeartbeatSample(peer: peer, peerSentAtMs: sample.peerSentAtMs, receivedAtMs: sample.receivedAtMs))
            }
            let now = clock.now(local: Date())
            do {
                let due = try database.dueLoneWorkerActions(at: now)
                if !due.isEmpty {
                    let live = Set(view.live.compactMap { try? SiteCode($0.rawValue) })
                    switch election.decide(node: site, live: live) {
                    case .act:
                        for item in due {
                            let messages = try redEscalation(item)
                            guard
                                try database.recordLoneWorkerAction(
                                    item.action, session: item.session, at: now, messages: { _ in messages })
                            else { continue }
                            logger.warning(
                                "lone-worker alert raised",
                                metadata: ["lone.session": "\(item.session)", "lone.action": "\(item.action)"])
                        }
                    case .standDown(let reason):
                        if reason != lastDecision {
                            logger.info("timers due, left to another site", metadata: ["timer.reason": "\(reason)"])
                        }
                        lastDecision = reason
                    }
                }
            } catch {
                logger.error("evaluating timers failed", metadata: ["error": "\(error)"])
            }
            let interval = interval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// For a red alert, the messages to the officer's manager (SMS to their mobile and an email, 5.2.3.6), queued
    /// in the same transaction as the alert; none for an amber one or a manager without those channels.
    func redEscalation(_ item: LoneWorkerDueAction) throws -> [OutboxDraft] {
        guard case .raiseRed(let reason) = item.action,
            let session = try database.loneWorkerSession(item.session),
            let managerID = session.start.officer.manager,
            let manager = try database.contact(managerID)?.contact
        else { return [] }
        let officer = session.start.officer
        let why = reason == .duress ? "DURESS" : "no check-out"
        var drafts: [OutboxDraft] = []
        if case .sms(let number) = manager.channel(.sms) {
            drafts.append(
                OutboxDraft(
                    organisation: officer.organisation, channel: .sms, recipient: number.e164,
                    body: Self.redSMS(officer: officer.name, phone: officer.callerNumber.description,
                        location: session.start.location, why: why, reference: item.session.description),
                    callReference: item.session))
        }
        if case .email(let address) = manager.channel(.email) {
            drafts.append(
                OutboxDraft(
                    organisation: officer.organisation, channel: .email, recipient: address.rawValue,
                    subject: "RED lone worker alert: \(officer.name) (\(item.session))",
                    body: """
                        Lone worker \(officer.name) has not checked out safely (\(why)).
                        Location: \(session.start.location)
                        Task: \(session.start.task)
                        Deadline: \(session.deadline)
                        Officer's number: \(officer.callerNumber)
                        Reference: \(item.session)
                        """,
                    callReference: item.session))
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
