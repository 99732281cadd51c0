import Domain
import Foundation
import NightdeskTestSupport
import Store
import Testing

@testable import Node

@Suite struct TimerServiceTests {
    @Test func aRedAlertSMSFitsOneMessageShorteningTheLocationAndKeepingTheReference() {
        let short = TimerEvaluator.redSMS(
            officer: "Jo Smith", phone: "07700 900123", location: "12 Heron Walk", why: "DURESS",
            reference: "WST-222-223Z")
        #expect(short == "RED lone worker (DURESS): Jo Smith, 07700 900123, at 12 Heron Walk. Ref WST-222-223Z")
        let long = TimerEvaluator.redSMS(
            officer: "Jo Smith", phone: "07700 900123", location: String(repeating: "Flat 3, Long Terrace ", count: 12),
            why: "no check-out", reference: "WST-222-223Z")
        #expect(ReferralMessage.septets(long) <= DomainLimits.smsSeptetsMax)
        #expect(long.hasSuffix("Ref WST-222-223Z") && long.contains("Jo Smith, 07700 900123, at Flat 3"))
    }
}

/// One timer pass against a real store (5.2.3.6, 5.3.2): who it messages, and that only the elected site acts.
@Suite struct TimerEvaluatorTests {
    static let started = Fixtures.london("2026-11-23 21:00")

    static func contact(_ id: String, _ name: String, number: Int, email: Bool = true) throws -> OnCallContact {
        try OnCallContact(
            id: OnCallContactID(id), organisation: OrganisationCode("EAL"), name: name, role: .manager,
            phone: PhoneNumber(parsing: "020 7946 0\(number)"), mobile: PhoneNumber(parsing: "07700 900\(number)"),
            email: email ? EmailAddress(parsing: "\(id)@example.org") : nil, pager: nil, manager: nil)
    }

    /// A store with Jo Smith's session (manager Mo) started at 21:00 for 30 minutes, and Ealing's procedure for
    /// dangerous structures naming Emergency Planning as its emergency contact.
    static func store() throws -> (OutboxTestStore, CallReference) {
        let store = try OutboxTestStore()
        try store.database.saveContacts(
            [
                try contact("eal-mo", "Mo Manager", number: 801),
                try contact("eal-jsmith", "Jo Smith", number: 802),
                try contact("eal-emergency", "Emergency Planning", number: 803),
            ], at: started)
        try store.database.setProcedure(
            try EscalationProcedure(
                organisation: OrganisationCode("EAL"), option: ServiceOptionCode("dangerous-structures"),
                steps: [try EscalationStep(.stage(1), channels: [.phone], acknowledgementWaitMs: 60_000)],
                whenExhausted: EscalationFallback(emergencyContacts: [try OnCallContactID("eal-emergency")])),
            at: started)
        let credentials = try LoneWorkerCredentials.enrol(code: "Blue Finch", duressCode: "red kite") { code in
            try CredentialHash(encoded: "fake$1$" + code.replacingOccurrences(of: " ", with: "_"))
        }
        let officer = try LoneWorkerOfficer(
            staff: OnCallContactID("eal-jsmith"), organisation: OrganisationCode("EAL"),
            manager: OnCallContactID("eal-mo"), name: "Jo Smith", callerNumber: PhoneNumber(parsing: "07700 900802"),
            credentials: credentials)
        let session = try store.database.startLoneWorkerSession(
            try Fixtures.draft(action: CallAction(kind: .loneWorker)),
            officer: officer, location: "12 Acacia Avenue", task: "Inspect a wall", expectedDuration: .seconds(1_800),
            acknowledgementWindow: .seconds(300), author: "wst-akhan", at: started)
        return (store, session.start.call)
    }

    @Test func aRedAlertMessagesTheManagerAndTheOrganisationsEscalationContacts() throws {
        let (store, reference) = try Self.store()
        let sites = try ["WST", "EST", "NTH"].map(SiteCode.init)
        let evaluator = TimerEvaluator(
            database: store.database, site: sites[0], election: try TimerElection(ranked: sites))
        // Amber at the deadline, red when nobody takes it within the window.
        let amber = try evaluator.evaluate(now: Self.started + 1_800, live: Set(sites))
        #expect(amber.loneWorkerAlerts.map(\.action) == [.raiseAmber])
        #expect(try store.database.outbox().isEmpty)
        let red = try evaluator.evaluate(now: Self.started + 2_100, live: Set(sites))
        #expect(red.loneWorkerAlerts.count == 1)
        let recipients = try store.database.outbox().filter { $0.callReference == reference.description }
            .map { "\($0.channel.rawValue) \($0.recipient)" }.sorted()
        #expect(
            recipients == [
                "email eal-emergency@example.org", "email eal-mo@example.org", "sms +447700900801",
                "sms +447700900803",
            ])
        #expect(try evaluator.evaluate(now: Self.started + 2_200, live: Set(sites)).loneWorkerAlerts.isEmpty)
    }

    @Test func aSiteTheElectionDoesNotPickRecordsNothingAndSaysWhy() throws {
        let (store, _) = try Self.store()
        let sites = try ["WST", "EST", "NTH"].map(SiteCode.init)
        let east = TimerEvaluator(database: store.database, site: sites[1], election: try TimerElection(ranked: sites))
        let pass = try east.evaluate(now: Self.started + 1_800, live: Set(sites))
        #expect(pass.loneWorkerAlerts.isEmpty && pass.dueFound == 1)
        #expect(pass.leftToOthers == ["EAL: WST acts: it is the first live site in the cluster's rank order"])
        // With WST gone, EST acts; an organisation preferring NTH has NTH act instead.
        let preferring = TimerEvaluator(
            database: store.database, site: sites[1], election: try TimerElection(ranked: sites),
            preferred: [try OrganisationCode("EAL"): [sites[2]]])
        #expect(try preferring.evaluate(now: Self.started + 1_800, live: Set(sites)).loneWorkerAlerts.isEmpty)
        #expect(try east.evaluate(now: Self.started + 1_800, live: [sites[1], sites[2]]).loneWorkerAlerts.count == 1)
    }

    @Test func anEvacuatedSiteRecordsNothingAndAnUpSiteActsInstead() throws {
        let (store, _) = try Self.store()
        let sites = try ["WST", "EST", "NTH"].map(SiteCode.init)
        let election = try TimerElection(ranked: sites)
        let west = TimerEvaluator(database: store.database, site: sites[0], election: election)
        let pass = try west.evaluate(now: Self.started + 1_800, live: Set(sites), passedOver: [sites[0]])
        #expect(pass.loneWorkerAlerts.isEmpty && pass.dueFound == 1)
        #expect(pass.leftToOthers.first?.contains("WST is draining or evacuated (8.1): EST acts") == true)
        let east = TimerEvaluator(database: store.database, site: sites[1], election: election)
        #expect(
            try east.evaluate(now: Self.started + 1_800, live: Set(sites), passedOver: [sites[0]]).loneWorkerAlerts.count
                == 1)
    }
}
