import Domain
import Testing

/// Which live node sends an outbox message (6.4b, 8.9): the queueing site while it is live, else the next
/// delivering site by rank; nobody when cut off; never a site that does not deliver.
@Suite struct DeliveryElectionTests {
    static func site(_ code: String) -> SiteCode { try! SiteCode(code) }
    let west = site("WST")
    let east = site("EST")
    let north = site("NTH")
    let council = site("EAR")

    func election(delivering: Set<SiteCode>? = nil) throws -> DeliveryElection {
        try DeliveryElection(
            timers: try TimerElection(ranked: [west, east, north], replicas: [council]),
            delivering: delivering ?? [west, east, north])
    }

    /// The sites that act on a message queued by `queuer`, each judging from the same view.
    func senders(_ election: DeliveryElection, live: Set<SiteCode>, queuedBy queuer: SiteCode?) -> [SiteCode] {
        ([west, east, north, council]).filter { live.contains($0) }
            .filter { election.decide(node: $0, live: live, queuedBy: queuer) == .act }
    }

    @Test func theQueueingSiteSendsItsOwnMessagesWhileItIsLive() throws {
        let cluster = try election()
        let everyone: Set = [west, east, north, council]
        #expect(senders(cluster, live: everyone, queuedBy: west) == [west])
        #expect(senders(cluster, live: everyone, queuedBy: east) == [east])
        #expect(senders(cluster, live: everyone, queuedBy: north) == [north])
        #expect(cluster.sends(node: east, live: everyone, queuers: [west, east, north, council]) == [east])
    }

    @Test func whenTheQueueingSiteIsDownTheNextLiveSiteByRankTakesOverAlone() throws {
        let cluster = try election()
        #expect(senders(cluster, live: [east, north], queuedBy: west) == [east])
        #expect(senders(cluster, live: [west, north], queuedBy: east) == [west])
        // East takes West's messages and keeps its own; North keeps only its own.
        #expect(cluster.sends(node: east, live: [east, north], queuers: [west, east, north]) == [west, east])
        #expect(cluster.sends(node: north, live: [east, north], queuers: [west, east, north]) == [north])
    }

    @Test func aCutOffNodeSendsNothingNotEvenItsOwn() throws {
        let cluster = try election()
        // West alone (East and North cut away) may not send even what it queued: the other side sends it.
        #expect(cluster.decide(node: west, live: [west], queuedBy: west) != .act)
        #expect(cluster.sends(node: west, live: [west, council], queuers: [west, east, north]).isEmpty)
        #expect(senders(cluster, live: [east, north], queuedBy: west) == [east])
    }

    @Test func aSiteThatDoesNotDeliverIsPassedOverEvenForItsOwnMessages() throws {
        let cluster = try election(delivering: [east, north])
        let everyone: Set = [west, east, north]
        #expect(cluster.delivering == [east, north])
        #expect(senders(cluster, live: everyone, queuedBy: west) == [east])
        #expect(senders(cluster, live: everyone, queuedBy: north) == [north])
        if case .standDown(let reason) = cluster.decide(node: west, live: everyone, queuedBy: west) {
            #expect(reason.contains("does not deliver"))
        } else {
            Issue.record("a site that does not deliver was elected")
        }
        // It still votes: with North down, East sees West and itself, a majority, and sends.
        #expect(senders(cluster, live: [west, east], queuedBy: north) == [east])
        // A message of a site no longer in the topology goes by rank among the delivering sites.
        #expect(senders(cluster, live: everyone, queuedBy: nil) == [east])
    }

    @Test func replicasAndUnknownSitesCannotBeMadeToDeliver() throws {
        #expect(throws: DomainError.self) { try election(delivering: [west, council]) }
        #expect(throws: DomainError.self) { try election(delivering: [west, Self.site("ZZZ")]) }
        let cluster = try election()
        #expect(senders(cluster, live: [west, east, north, council], queuedBy: council) == [west])
    }
}
