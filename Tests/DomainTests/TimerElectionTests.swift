import Domain
import Testing

/// Who acts on a due timer (8.9, DESIGN.md "Failover and traffic").
@Suite struct TimerElectionTests {
    static func site(_ code: String) -> SiteCode { try! SiteCode(code) }
    let west = site("WST")
    let east = site("EST")
    let north = site("NTH")
    let council = site("CNC")
    let council2 = site("HAV")

    func election(_ ranked: [SiteCode], replicas: Set<SiteCode> = [], allowMinority: Bool = false) throws
        -> TimerElection
    {
        try TimerElection(ranked: ranked, replicas: replicas, allowMinority: allowMinority)
    }

    @Test func withEverySiteLiveOnlyTheFirstInRankOrderActs() throws {
        let cluster = try election([west, east, north])
        let live: Set = [west, east, north]
        #expect(cluster.decide(node: west, live: live) == .act)
        #expect(
            cluster.decide(node: east, live: live)
                == .standDown(reason: "WST acts: it is the first live site in the cluster's rank order"))
        #expect(cluster.decide(node: north, live: live) != .act)
    }

    @Test func theOrganisationsPreferenceOrderComesBeforeTheRankOrder() throws {
        let cluster = try election([west, east, north])
        let live: Set = [west, east, north]
        #expect(cluster.decide(node: north, live: live, preferred: [north, east]) == .act)
        #expect(
            cluster.decide(node: west, live: live, preferred: [north, east])
                == .standDown(reason: "NTH acts: it is the first live site in the organisation's preference order"))
    }

    @Test func whenThePreferredSiteIsDownTheNextLiveOneTakesOver() throws {
        let cluster = try election([west, east, north])
        #expect(cluster.decide(node: east, live: [west, east], preferred: [north, east]) == .act)
        #expect(cluster.decide(node: west, live: [west, east], preferred: [north, east]) != .act)
        // None of the preferred sites live: the rank order decides.
        #expect(cluster.decide(node: west, live: [west, east], preferred: [north]) == .act)
        // The first in rank order is down: the next takes over.
        #expect(cluster.decide(node: east, live: [east, north]) == .act)
    }

    @Test func aCutOffNodeStandsDownAndSaysWhy() throws {
        let cluster = try election([west, east, north])
        #expect(cluster.decide(node: west, live: [west]) == .standDown(reason: "cut off: sees 1 of 3 sites"))
        // A node counts itself even when its view leaves it out.
        #expect(cluster.decide(node: west, live: [east]) == .act)
        let five = try election([west, east, north, Self.site("STH"), Self.site("CEN")])
        #expect(five.decide(node: west, live: [west, east]) == .standDown(reason: "cut off: sees 2 of 5 sites"))
        #expect(five.decide(node: west, live: [west, east, north]) == .act)
    }

    @Test func replicasNeverActNorCountTowardsAMajority() throws {
        let cluster = try election([west, east, north], replicas: [council, council2])
        #expect(
            cluster.decide(node: west, live: [west, council, council2])
                == .standDown(reason: "cut off: sees 1 of 3 sites"))
        #expect(cluster.decide(node: council, live: [council]) != .act)
        #expect(cluster.decide(node: council, live: [west, east, north, council]) != .act)
        // A replica in a preference order is passed over.
        #expect(cluster.decide(node: east, live: [council, east, north], preferred: [council, east]) == .act)
        #expect(throws: DomainError.self) {
            try cluster.checkPreference([council], organisation: OrganisationCode("EAL"))
        }
    }

    @Test func aLoneSurvivorOfTwoSitesStandsDownUnlessMinorityIsAllowed() throws {
        let strict = try election([west, east])
        #expect(strict.decide(node: west, live: [west, east]) == .act)
        #expect(strict.decide(node: east, live: [west, east]) != .act)
        guard case .standDown(let reason) = strict.decide(node: east, live: [east]) else {
            Issue.record("a lone survivor of two sites acted")
            return
        }
        #expect(reason.hasPrefix("cut off: sees 1 of 2 sites") && reason.contains("allowMinority"))
        let lenient = try election([west, east], allowMinority: true)
        #expect(lenient.decide(node: east, live: [east]) == .act)
        #expect(lenient.decide(node: east, live: [west, east]) != .act)
        // The accepted risk: in a partition both sides act.
        #expect(lenient.decide(node: west, live: [west]) == .act)
    }

    @Test func aTopologyThatCannotDecideIsRefusedWithTheReason() throws {
        #expect(throws: DomainError.self) { try election([]) }
        #expect(throws: DomainError.self) { try election([west, west]) }
        #expect(throws: DomainError.self) { try election([west, east], replicas: [east]) }
        let three = #expect(throws: DomainError.self) { try election([west, east, north], allowMinority: true) }
        #expect(three?.message.contains("remove the flag") == true)
        #expect(throws: DomainError.self) { try election([west], allowMinority: true) }
        // One site is its own majority.
        #expect(try election([west]).decide(node: west, live: []) == .act)
    }

    @Test func everyNodeSharingAViewAgreesOnExactlyOneActorAndAPartitionNeverHasTwo() throws {
        var random = CallReferenceTests.SplitMix64(state: 8_900)
        let codes = ["AA", "BB", "CC", "DD", "EE", "FF", "GG"].map(Self.site)
        for round in 0..<500 {
            let voting = Array(codes.shuffled(using: &random).prefix(Int.random(in: 1...7, using: &random)))
            let cluster = try election(voting)
            let preferred = Array(voting.shuffled(using: &random).prefix(Int.random(in: 0...3, using: &random)))
            // A partition: each site falls on one side; every node on a side sees exactly that side.
            let sides = Dictionary(grouping: voting) { _ in Bool.random(using: &random) }
            var actors: [SiteCode] = []
            for side in sides.values {
                let live = Set(side)
                let acting = side.filter { cluster.decide(node: $0, live: live, preferred: preferred) == .act }
                let majority = side.count * 2 > voting.count
                #expect(acting.count == (majority ? 1 : 0), "seed=8900 round=\(round) side=\(side)")
                actors += acting
            }
            #expect(actors.count <= 1, "seed=8900 round=\(round): two sides acted")
        }
    }
}

/// 8.1: a draining or evacuated site has no people to act on timers.
@Suite struct TimerElectionEvacuationTests {
    let west = TimerElectionTests.site("WST")
    let east = TimerElectionTests.site("EST")
    let north = TimerElectionTests.site("NTH")

    @Test func anEvacuatedSiteIsPassedOverButStillCountsTowardsTheMajority() throws {
        let cluster = try TimerElection(ranked: [west, east, north])
        let live: Set = [west, east, north]
        #expect(
            cluster.decide(node: west, live: live, passedOver: [west])
                == .standDown(
                    reason: "WST is draining or evacuated (8.1): EST acts, the first live site that is up in the "
                        + "cluster's rank order"))
        #expect(cluster.decide(node: east, live: live, passedOver: [west]) == .act)
        // With North lost, West (evacuated) and East still make a majority, and East acts.
        #expect(cluster.decide(node: east, live: [west, east], passedOver: [west]) == .act)
        // A preferred site that is evacuated is passed over for the next preferred one that is up.
        #expect(cluster.decide(node: north, live: live, preferred: [west, north], passedOver: [west]) == .act)
    }

    @Test func whenEveryLiveSiteIsPassedOverTheFirstStillActsSoEscalationsGo() throws {
        let cluster = try TimerElection(ranked: [west, east, north])
        #expect(cluster.decide(node: west, live: [west, east], passedOver: [west, east]) == .act)
        #expect(cluster.decide(node: east, live: [west, east], passedOver: [west, east]) != .act)
    }
}
