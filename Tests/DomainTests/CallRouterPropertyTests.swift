import Domain
import Testing

/// Properties of routing over seeded random clusters: hundreds of cases each; a failure names its seed.
@Suite struct CallRouterPropertyTests {
    typealias Random = CallReferenceTests.SplitMix64
    static let sitePool = ["WST", "EST", "NTH", "STH", "MDX"].map { try! SiteCode($0) }
    static let organisations = ["EAL", "ENF", "PEA", "HAV"].map { try! OrganisationCode($0) }
    static let cases = 400

    struct Case {
        let snapshot: RoutingSnapshot
        let call: RoutedCall
    }

    static func randomCase(_ random: inout Random, splits: Bool = true) -> Case {
        let voting = Array(sitePool.shuffled(using: &random).prefix(Int.random(in: 1...5, using: &random)))
        let node = voting.randomElement(using: &random)!
        let seen = voting.filter { _ in Int.random(in: 0..<4, using: &random) > 0 }
        var views: [SiteView] = []
        for site in voting where Int.random(in: 0..<8, using: &random) > 0 {
            // Half the sites up, the rest spread over the other states.
            let state = Bool.random(using: &random) ? .up : SiteState.allCases.randomElement(using: &random)!
            let handlers = (0..<Int.random(in: 0...4, using: &random)).map { _ in
                HandlerGroup(
                    count: Int.random(in: 0...12, using: &random),
                    trainedFor: organisations.filter { _ in Bool.random(using: &random) })
            }
            let calls = organisations.filter { _ in Bool.random(using: &random) }.map {
                OrganisationCalls(
                    organisation: $0, inProgress: Int.random(in: 0...12, using: &random),
                    queued: Int.random(in: 0...3, using: &random))
            }
            views.append(try! SiteView(site: site, state: state, handlers: handlers, calls: calls))
        }
        var split: ManualSplit?
        if splits && Int.random(in: 0..<3, using: &random) == 0 {
            // Ten steps of 10% dealt among a random subset of the voting sites.
            let chosen = Array(voting.shuffled(using: &random).prefix(Int.random(in: 1...voting.count, using: &random)))
            var tens = [Int](repeating: 0, count: chosen.count)
            for _ in 0..<10 { tens[Int.random(in: 0..<chosen.count, using: &random)] += 1 }
            split = try! ManualSplit(zip(chosen, tens).map { ManualSplit.Share(site: $0.0, percent: $0.1 * 10) })
        }
        let call = RoutedCall(
            organisation: organisations.randomElement(using: &random)!, option: try! ServiceOptionCode("trees"),
            standard: ServiceStandard.allCases.randomElement(using: &random)!, key: RoutingKey(value: random.next()))
        return Case(
            snapshot: RoutingSnapshot(node: node, votingSites: voting, seen: seen, views: views, split: split), call: call)
    }

    /// The same snapshot with every list in another order.
    static func shuffled(_ snapshot: RoutingSnapshot, _ random: inout Random) -> RoutingSnapshot {
        RoutingSnapshot(
            node: snapshot.node, votingSites: snapshot.votingSites.shuffled(using: &random),
            seen: (snapshot.seen + snapshot.seen.filter { _ in Bool.random(using: &random) }).shuffled(using: &random),
            views: snapshot.views.shuffled(using: &random).map {
                try! SiteView(
                    site: $0.site, state: $0.state,
                    handlers: $0.handlers.shuffled(using: &random).map {
                        HandlerGroup(count: $0.count, trainedFor: $0.trainedFor.shuffled(using: &random))
                    },
                    calls: $0.calls.shuffled(using: &random))
            },
            split: snapshot.split.map { try! ManualSplit($0.shares.shuffled(using: &random)) })
    }

    /// Sites that may take the call, worked out here from the rules rather than by the router.
    static func eligible(_ snapshot: RoutingSnapshot, _ organisation: OrganisationCode) -> Set<SiteCode> {
        let seen = Set(snapshot.seen).union([snapshot.node])
        let cutOff = seen.count < snapshot.votingSites.count / 2 + 1
        return Set(
            snapshot.views.filter { view in
                view.state == .up && seen.contains(view.site) && (!cutOff || view.site == snapshot.node)
                    && view.trained(for: organisation) > 0
            }.map(\.site))
    }

    @Test func theAnswerIsDeterministicAndIndependentOfInputOrder() throws {
        let seed: UInt64 = 71_007
        var random = Random(state: seed)
        for index in 0..<Self.cases {
            let example = Self.randomCase(&random)
            let first = try CallRouter(example.snapshot).route(example.call)
            let again = try CallRouter(example.snapshot).route(example.call)
            let reordered = try CallRouter(Self.shuffled(example.snapshot, &random)).route(example.call)
            #expect(first == again, "seed=\(seed) case=\(index)")
            #expect(first == reordered, "seed=\(seed) case=\(index)")
        }
    }

    @Test func neverRoutesToASiteThatIsNotUpOrNotSeen() throws {
        let seed: UInt64 = 71_017
        var random = Random(state: seed)
        for index in 0..<Self.cases {
            let example = Self.randomCase(&random)
            let answer = try CallRouter(example.snapshot).route(example.call)
            let allowed = Self.eligible(example.snapshot, example.call.organisation)
            for site in answer.sites where site.weightPercent > 0 {
                #expect(allowed.contains(site.site), "seed=\(seed) case=\(index) \(site)")
            }
            if let pick = answer.pick { #expect(allowed.contains(pick), "seed=\(seed) case=\(index)") }
            let seen = Set(example.snapshot.seen).union([example.snapshot.node])
            if seen.count < example.snapshot.votingSites.count / 2 + 1 {
                #expect(answer.cutOff != nil, "seed=\(seed) case=\(index)")
                #expect(answer.sites.allSatisfy { $0.weightPercent == 0 || $0.site == example.snapshot.node })
            } else {
                #expect(answer.cutOff == nil, "seed=\(seed) case=\(index)")
            }
        }
    }

    @Test func weightsAddUpTo100WheneverAnySiteCanTakeTheCall() throws {
        let seed: UInt64 = 71_027
        var random = Random(state: seed)
        var routed = 0
        for index in 0..<Self.cases {
            let example = Self.randomCase(&random)
            let answer = try CallRouter(example.snapshot).route(example.call)
            let total = answer.sites.reduce(0) { $0 + $1.weightPercent }
            if Self.eligible(example.snapshot, example.call.organisation).isEmpty {
                #expect(total == 0 && answer.pick == nil, "seed=\(seed) case=\(index)")
            } else {
                routed += 1
                #expect(total == 100, "seed=\(seed) case=\(index)")
                #expect(answer.pick != nil && answer.disposition != .none, "seed=\(seed) case=\(index)")
            }
            #expect(answer.sites.count == Set(example.snapshot.votingSites).count, "every voting site has a reason")
        }
        #expect(routed > Self.cases / 5, "the generator must give routable cases too (\(routed))")
    }

    /// 7.1.7: one organisation surges at a site until the router queues its calls there; each other organisation
    /// the site serves still keeps its reserve, and a call for it is still answered.
    @Test func aSurgingOrganisationNeverTakesAnotherOrganisationsReserve() throws {
        let seed: UInt64 = 71_037
        var random = Random(state: seed)
        let site = Self.sitePool[0]
        var checked = 0
        for index in 0..<Self.cases {
            let handlers = (0..<Int.random(in: 1...4, using: &random)).map { _ in
                HandlerGroup(
                    count: Int.random(in: 1...15, using: &random),
                    trainedFor: Array(Self.organisations.shuffled(using: &random).prefix(Int.random(in: 1...4, using: &random))))
            }
            let surging = Self.organisations.randomElement(using: &random)!
            var inProgress = 0
            var view = try SiteView(site: site, state: .up, handlers: handlers, calls: [])
            func snapshot(_ view: SiteView) -> RoutingSnapshot {
                RoutingSnapshot(node: site, votingSites: [site], seen: [site], views: [view])
            }
            while inProgress <= DomainLimits.routingHandlersPerSiteMax {
                let answer = try CallRouter(snapshot(view)).route(
                    RoutedCall(
                        organisation: surging, option: try ServiceOptionCode("trees"), standard: .platinum,
                        key: RoutingKey(value: random.next())))
                guard answer.disposition == .answer else { break }
                inProgress += 1
                view = try SiteView(
                    site: site, state: .up, handlers: handlers,
                    calls: [OrganisationCalls(organisation: surging, inProgress: inProgress, queued: 0)])
            }
            // Reserves worked out here: 20% of the handlers (rounded down), shared in proportion to training.
            let total = handlers.reduce(0) { $0 + $1.count }
            let trained = Dictionary(
                uniqueKeysWithValues: Self.organisations.map { organisation in
                    (organisation, handlers.filter { $0.trainedFor.contains(organisation) }.reduce(0) { $0 + $1.count })
                })
            let trainedTotal = trained.values.reduce(0, +)
            let reserved = total * DomainLimits.routingReservePercent / 100
            let reserve = trained.mapValues { reserved * $0 / trainedTotal }
            // Rounding may add a unit to an organisation's floor, never more, and shares out the whole reserve.
            let given = CallRouter.apportion(reserved, by: trained)
            #expect(given.values.reduce(0, +) == (trainedTotal > 0 ? reserved : 0), "seed=\(seed) case=\(index)")
            for (organisation, floor) in reserve {
                #expect((floor...floor + 1).contains(given[organisation] ?? 0), "seed=\(seed) case=\(index)")
            }
            let othersGiven = given.filter { $0.key != surging }.values.reduce(0, +)
            #expect(total - inProgress >= othersGiven, "seed=\(seed) case=\(index): the surge ate a reserve")
            #expect(inProgress <= trained[surging]!, "seed=\(seed) case=\(index)")
            for other in Self.organisations where other != surging && (given[other] ?? 0) > 0 {
                let answer = try CallRouter(snapshot(view)).route(
                    RoutedCall(
                        organisation: other, option: try ServiceOptionCode("trees"), standard: .gold,
                        key: RoutingKey(value: random.next())))
                #expect(answer.disposition == .answer, "seed=\(seed) case=\(index): \(other) starved by \(surging)")
                checked += 1
            }
        }
        #expect(checked > Self.cases / 2, "reserves were exercised (\(checked))")
    }

    @Test func manualSplitsAreAcceptedOnlyInStepsOfTenAddingUpTo100() throws {
        let seed: UInt64 = 71_047
        var random = Random(state: seed)
        for index in 0..<Self.cases {
            let sites = Array(Self.sitePool.shuffled(using: &random).prefix(Int.random(in: 1...5, using: &random)))
            let percents = sites.map { _ in
                Bool.random(using: &random)
                    ? Int.random(in: 0...10, using: &random) * 10 : Int.random(in: -10...110, using: &random)
            }
            let valid = percents.allSatisfy { (0...100).contains($0) && $0 % 10 == 0 } && percents.reduce(0, +) == 100
            let made = try? ManualSplit(zip(sites, percents).map { ManualSplit.Share(site: $0.0, percent: $0.1) })
            #expect((made != nil) == valid, "seed=\(seed) case=\(index) \(percents)")
        }
        // A valid split whose sites can all take the call is followed exactly.
        for index in 0..<Self.cases {
            let example = Self.randomCase(&random)
            guard let split = example.snapshot.split else { continue }
            let allowed = Self.eligible(example.snapshot, example.call.organisation)
            guard split.shares.allSatisfy({ $0.percent == 0 || allowed.contains($0.site) }) else { continue }
            let answer = try CallRouter(example.snapshot).route(example.call)
            for share in split.shares {
                #expect(answer.weight(of: share.site) == share.percent, "seed=71047 split case=\(index)")
            }
        }
    }
}
