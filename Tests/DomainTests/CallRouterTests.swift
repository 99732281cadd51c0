import Domain
import Foundation
import Testing

/// Routing new calls between sites: one test per rule (7.1.7, 7.1.10, 6.2, 6.3, DESIGN.md "Failover and traffic").
@Suite struct CallRouterTests {
    static func site(_ code: String) -> SiteCode { try! SiteCode(code) }
    static func org(_ code: String) -> OrganisationCode { try! OrganisationCode(code) }
    let west = site("WST")
    let east = site("EST")
    let north = site("NTH")
    let eal = org("EAL")
    let enf = org("ENF")

    func view(
        _ site: SiteCode, _ state: SiteState = .up, handlers: [(Int, [OrganisationCode])],
        calls: [(OrganisationCode, Int, Int)] = []
    ) throws -> SiteView {
        try SiteView(
            site: site, state: state, handlers: handlers.map { HandlerGroup(count: $0.0, trainedFor: $0.1) },
            calls: calls.map { OrganisationCalls(organisation: $0.0, inProgress: $0.1, queued: $0.2) })
    }

    func router(
        node: SiteCode? = nil, seen: [SiteCode]? = nil, _ views: [SiteView], split: [(SiteCode, Int)]? = nil
    ) throws -> CallRouter {
        try CallRouter(
            RoutingSnapshot(
                node: node ?? west, votingSites: [west, east, north], seen: seen ?? [west, east, north], views: views,
                split: try split.map { try ManualSplit($0.map { ManualSplit.Share(site: $0.0, percent: $0.1) }) }))
    }

    func call(
        _ organisation: OrganisationCode, _ standard: ServiceStandard = .silver, percentile: UInt64 = 0
    ) -> RoutedCall {
        RoutedCall(
            organisation: organisation, option: try! ServiceOptionCode("noise-patrol"), standard: standard,
            key: RoutingKey(value: percentile))
    }

    @Test func onlyUpSitesTakeNewCalls() throws {
        for state in [SiteState.draining, .evacuated, .down] {
            let answer = try router([
                view(west, handlers: [(4, [eal])]), view(east, state, handlers: [(40, [eal])]),
                view(north, .down, handlers: [(40, [eal])]),
            ]).route(call(eal))
            #expect(answer.weight(of: west) == 100)
            #expect(answer.weight(of: east) == 0)
            #expect(answer.sites.first { $0.site == east }?.reason.hasPrefix(state.rawValue) == true, "\(answer)")
            #expect(answer.pick == west)
        }
    }

    @Test func weightsFollowTheRoomEachSiteHasForTheOrganisation() throws {
        // WST: 10 handlers trained for EAL, 2 busy → room 8, less 1 held back for Gold → 7 for Silver.
        // EST: 5 trained, none busy → room 5, less 1 → 4. NTH: handlers, but none trained for EAL.
        let answer = try router([
            view(west, handlers: [(10, [eal])], calls: [(eal, 2, 0)]), view(east, handlers: [(5, [eal])]),
            view(north, handlers: [(8, [enf])]),
        ]).route(call(eal))
        #expect(answer.weight(of: west) == 64 && answer.weight(of: east) == 36, "7:4 → 63.6 : 36.4")
        #expect(answer.weight(of: north) == 0)
        #expect(answer.sites.first { $0.site == north }?.reason.contains("no handler signed in is trained for EAL") == true)
        #expect(answer.sites.map(\.site) == [west, east, north], "largest weight first")
        #expect(answer.disposition == .answer)
    }

    @Test func theKeyPicksBySiteAlongTheCumulativeWeights() throws {
        let routing = try router([view(west, handlers: [(6, [eal])]), view(east, handlers: [(4, [eal])])])
        // Gold uses the whole room: 6 and 4 → 60% and 40%.
        #expect(routing.route(call(eal, .gold, percentile: 59)).pick == west)
        #expect(routing.route(call(eal, .gold, percentile: 60)).pick == east)
        #expect(routing.route(call(eal, .gold, percentile: 199)).pick == east, "199 % 100 = 99")
    }

    @Test func aSurgeForOneOrganisationCannotTakeTheHandlersReservedForAnother() throws {
        // 10 handlers trained for both; 20% reserved = 2, split 1 EAL, 1 ENF. EAL is capped at 10 − 1 = 9 calls.
        let surging = try router(
            [view(west, handlers: [(10, [eal, enf])], calls: [(eal, 9, 0)])], split: nil)
        let ealAnswer = surging.route(call(eal, .gold))
        #expect(ealAnswer.disposition == .queue, "EAL is at its cap: its next call waits")
        #expect(ealAnswer.sites.first?.reason.contains("isolation cap") == true, "\(ealAnswer)")
        let enfAnswer = surging.route(call(enf, .gold))
        #expect(enfAnswer.pick == west && enfAnswer.disposition == .answer, "ENF still gets its reserved handler")

        let capacity = surging.capacity(of: surging.views[west]!, for: eal)
        #expect(capacity.cap == 9 && capacity.reserves == [eal: 1, enf: 1])
    }

    @Test func whenCapacityIsShortSilverOverflowsWhileGoldUsesTheLastHandler() throws {
        // WST has one free handler, which Silver leaves for Gold; EST has 3 free.
        let views = [
            try view(west, handlers: [(10, [eal])], calls: [(eal, 9, 0)]),
            try view(east, handlers: [(4, [eal])], calls: [(eal, 1, 0)]),
        ]
        let silver = try router(views).route(call(eal, .silver))
        #expect(silver.weight(of: west) == 0 && silver.weight(of: east) == 100)
        #expect(silver.sites.first { $0.site == west }?.reason.contains("left free for Platinum and Gold") == true)
        #expect(silver.notes.contains { $0.contains("overflow") })
        let gold = try router(views).route(call(eal, .gold))
        #expect(gold.weight(of: west) == 25 && gold.weight(of: east) == 75, "room 1 and 3")
    }

    @Test func withNoRoomAnywhereGoldIsOfferedWholeToTheBestSiteAndSilverQueues() throws {
        let views = [
            try view(west, handlers: [(10, [eal])], calls: [(eal, 10, 3)]),
            try view(east, handlers: [(6, [eal])], calls: [(eal, 6, 0)]),
        ]
        let gold = try router(views).route(call(eal, .gold, percentile: 99))
        #expect(gold.pick == east && gold.weight(of: east) == 100, "EST: 6 trained less 6 calls beats 10 less 13")
        #expect(gold.disposition == .queue)
        #expect(gold.sites.first?.reason.contains("queues here ahead of Silver and Bronze") == true)
        let silver = try router(views).route(call(eal, .bronze))
        #expect(silver.weight(of: west) == 62 && silver.weight(of: east) == 38, "10:6 trained; the tied point to EST")
        #expect(silver.disposition == .queue)
    }

    @Test func aManualSplitOverridesTheWeightsAmongLiveSites() throws {
        let answer = try router(
            [view(west, handlers: [(2, [eal])]), view(east, handlers: [(20, [eal])]), view(north, handlers: [(5, [eal])])],
            split: [(west, 70), (east, 30)]
        ).route(call(eal))
        #expect(answer.weight(of: west) == 70 && answer.weight(of: east) == 30 && answer.weight(of: north) == 0)
        #expect(answer.sites.first { $0.site == north }?.reason.hasPrefix("not in the operator's manual split") == true)
    }

    @Test func aSplitSiteThatIsDownGetsNothingAndItsShareIsSpreadOverTheOthers() throws {
        let answer = try router(
            [view(west, handlers: [(5, [eal])]), view(east, .down, handlers: [(5, [eal])]), view(north, handlers: [(5, [eal])])],
            split: [(west, 20), (east, 50), (north, 30)]
        ).route(call(eal))
        #expect(answer.weight(of: west) == 40 && answer.weight(of: north) == 60 && answer.weight(of: east) == 0)
        let reason = try #require(answer.sites.first { $0.site == east }?.reason)
        #expect(reason == "down: takes no calls; its 50% of the manual split is spread over NTH, WST", "\(reason)")
    }

    @Test func aSplitWithNoLiveSiteIsSetAsideForCapacity() throws {
        let answer = try router(
            [view(west, handlers: [(5, [eal])]), view(east, .evacuated, handlers: [(5, [eal])])], split: [(east, 100)]
        ).route(call(eal))
        #expect(answer.weight(of: west) == 100)
        #expect(answer.notes.contains { $0.contains("routing by capacity instead") })
    }

    @Test func aCutOffNodeRoutesOnlyToItselfAndSaysWhatItCannotSee() throws {
        let views = [
            try view(west, handlers: [(3, [eal])]), try view(east, handlers: [(30, [eal])]),
            try view(north, handlers: [(30, [eal])]),
        ]
        let answer = try router(seen: [west], views).route(call(eal))
        #expect(answer.cutOff == "cut off: cannot see EST, NTH")
        #expect(answer.pick == west && answer.weight(of: west) == 100)
        #expect(answer.notes.first?.contains("routes only to itself") == true)
        // Cut off with no capacity of its own: nowhere, rather than a site it cannot see.
        let empty = try router(seen: [west], [try view(west, handlers: []), views[1], views[2]]).route(call(eal))
        #expect(empty.pick == nil && empty.sites.allSatisfy { $0.weightPercent == 0 })
    }

    @Test func aSiteTheNodeCannotSeeIsNeverRoutedTo() throws {
        let answer = try router(seen: [west, east], [
            view(west, handlers: [(3, [eal])]), view(east, handlers: [(3, [eal])]),
            view(north, handlers: [(300, [eal])]),
        ]).route(call(eal))
        #expect(answer.cutOff == nil)
        #expect(answer.weight(of: north) == 0)
        #expect(answer.sites.first { $0.site == north }?.reason.hasPrefix("not seen from WST") == true)
    }

    @Test func weightsAreWholePercentagesThatAddUpTo100() throws {
        let answer = try router([
            view(west, handlers: [(2, [eal])]), view(east, handlers: [(2, [eal])]), view(north, handlers: [(2, [eal])]),
        ]).route(call(eal, .gold))
        #expect(answer.sites.map(\.weightPercent) == [34, 33, 33])
        #expect(answer.sites.map(\.site) == [east, north, west], "the leftover point goes to the first code")
    }

    @Test func aBadSnapshotIsRefusedWithEveryProblem() throws {
        do {
            _ = try CallRouter(
                RoutingSnapshot(
                    node: Self.site("SXX"), votingSites: [west, east, west], seen: [Self.site("RPQ")],
                    views: [try view(west, handlers: []), try view(west, handlers: []), try view(north, handlers: [])]))
            Issue.record("accepted")
        } catch let errors as DomainErrors {
            let text = errors.description
            #expect(text.contains("votingSites lists a site twice"))
            #expect(text.contains("node SXX is not one of the voting sites"))
            #expect(text.contains("seen lists RPQ, which is not a voting site"))
            #expect(text.contains("views has site WST twice"))
            #expect(text.contains("views has site NTH, which is not a voting site"))
        }
        #expect(throws: DomainErrors.self) {
            try SiteView(site: west, state: .up, handlers: [HandlerGroup(count: -1, trainedFor: [])], calls: [])
        }
    }

    @Test func splitsMoveInStepsOfTenAndAddUpTo100() throws {
        #expect(throws: DomainErrors.self) { try ManualSplit([.init(site: west, percent: 65), .init(site: east, percent: 35)]) }
        #expect(throws: DomainErrors.self) { try ManualSplit([.init(site: west, percent: 60), .init(site: east, percent: 30)]) }
        #expect(throws: DomainErrors.self) { try ManualSplit([.init(site: west, percent: 50), .init(site: west, percent: 50)]) }
        #expect(throws: DomainErrors.self) { try ManualSplit([]) }
        let split = try ManualSplit([.init(site: west, percent: 60), .init(site: east, percent: 40)])
        #expect(split.shares.map(\.site) == [east, west])
    }

    @Test func theRoutingKeyIsTheSameOnEveryNodeAndStableWithinItsBucket() {
        #expect(RoutingKey(text: "").value == 0xcbf2_9ce4_8422_2325, "FNV-1a offset basis")
        #expect(RoutingKey(text: "a").value == 0xaf63_dc4c_8601_ec8c, "FNV-1a 64 of \"a\"")
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let key = RoutingKey(caller: "+447700900123", at: start)
        #expect(RoutingKey(caller: "+447700900123", at: start.addingTimeInterval(59)) == key)
        #expect(RoutingKey(caller: "+447700900123", at: start.addingTimeInterval(60)) != key)
        #expect(RoutingKey(caller: "+447700900124", at: start) != key)
    }
}
