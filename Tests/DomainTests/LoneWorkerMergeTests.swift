import Domain
import Foundation
import Testing

/// Lone-worker facts recorded at several sites converge, whatever order they arrive in (DESIGN.md "Replication").
@Suite struct LoneWorkerMergeTests {
    typealias L = LoneWorkers
    typealias Random = CallReferenceTests.SplitMix64

    @Test func twoSitesRaisingTheSameAmberKeepTheEarlierRaise() throws {
        var west = L.session()
        var east = L.session()
        try west.record(.raiseAmber, at: L.at(45, ms: 400))
        try east.record(.raiseAmber, at: L.at(45, ms: 250))
        west.merge(east.facts)
        east.merge(west.facts)
        #expect(west == east)
        #expect(west.currentAlert?.amberAtMs == L.at(45, ms: 250).timeIntervalSince1970.milliseconds)
        #expect(west.timeline.filter { if case .amberRaised = $0.kind { true } else { false } }.count == 1)
        // Red is due from the earlier raise.
        #expect(west.evaluate(at: L.at(50, ms: 250)) == [.raiseRed(reason: .missedCheckOut)])
    }

    @Test func anAcknowledgementAndARedRaisedConcurrentlyConvergeOnRed() throws {
        var west = L.session()
        try west.record(.raiseAmber, at: L.at(45))
        var east = west
        // West's handler acknowledges just inside the window; east has not heard and raises red at its end.
        try west.acknowledge(at: L.at(50, ms: -1), by: L.handler)
        try east.record(.raiseRed(reason: .missedCheckOut), at: L.at(50))
        west.merge(east.facts)
        east.merge(west.facts)
        #expect(west == east)
        // The escalation has started and cannot be unsent: red stays until a handler resolves it.
        #expect(west.state(at: L.at(51)) == .red(.missedCheckOut))
        #expect(west.evaluate(at: L.at(51)).isEmpty)
    }

    @Test func aResolutionAndADuressRecordedConcurrentlyConvergeOnRedWhenTheDuressCameLater() throws {
        var west = L.session()
        var east = L.session()
        try west.resolve(at: L.at(30), by: L.handler, note: "Manager says the visit is cancelled")
        _ = try east.checkOut(at: L.at(31), code: L.duressCode, verify: L.verify)
        west.merge(east.facts)
        east.merge(west.facts)
        #expect(west == east)
        #expect(west.state(at: L.at(31)) == .red(.duress))
        #expect(west.evaluate(at: L.at(31)) == [.raiseRed(reason: .duress)])
    }

    @Test func factsRebuildTheSameValueInAnyOrderWithRepeats() throws {
        var random = Random(state: 3_141)
        for round in 0..<200 {
            let facts = Self.randomFacts(&random, count: Int.random(in: 0...12, using: &random))
            let value = LoneWorkerFacts(facts)
            #expect(LoneWorkerFacts(value.facts) == value, "seed=3141 round=\(round)")
            let shuffled = (facts + facts.prefix(3)).shuffled(using: &random)
            #expect(LoneWorkerFacts(shuffled) == value, "seed=3141 round=\(round)")
        }
    }

    @Test func mergeIsCommutativeAssociativeAndIdempotent() {
        var random = Random(state: 2_718)
        for round in 0..<300 {
            let (a, b, c) = (
                LoneWorkerFacts(Self.randomFacts(&random, count: 6)),
                LoneWorkerFacts(Self.randomFacts(&random, count: 6)),
                LoneWorkerFacts(Self.randomFacts(&random, count: 6))
            )
            #expect(Self.merged(a, b) == Self.merged(b, a), "seed=2718 round=\(round)")
            #expect(Self.merged(Self.merged(a, b), c) == Self.merged(a, Self.merged(b, c)), "seed=2718 round=\(round)")
            #expect(Self.merged(a, a) == a, "seed=2718 round=\(round)")
        }
    }

    /// Three sites take commands for one session at random, each on its own copy, and exchange facts at random;
    /// then every site receives everything in its own random order. All must end with the same facts, state,
    /// due actions and timeline, and the safety rules must hold on the merged result.
    @Test func concurrentCommandsAtThreeSitesConvergeWhateverTheInterleaving() throws {
        var ends: [String: Int] = [:]
        for seed in UInt64(1)...250 {
            var random = Random(state: seed)
            var sites = Array(repeating: L.session(), count: 3)
            var everything: [LoneWorkerFact] = []
            var minutes = 0.0
            var duressGiven = false
            for _ in 0..<Int.random(in: 5...50, using: &random) {
                minutes += Double(Int.random(in: 0...6, using: &random))
                let now = L.at(minutes, ms: Double(Int.random(in: 0...999, using: &random)))
                let site = Int.random(in: 0..<3, using: &random)
                // Weighted so that every end is common: closed, resolved, red for either reason, still amber.
                switch Int.random(in: 0..<40, using: &random) {
                case 0...2:
                    let extraMinutes = Int64.random(in: 5...40, using: &random)
                    _ = try? sites[site].checkIn(at: now, extendBy: .seconds(60 * extraMinutes))
                case 3:
                    let code = [L.normalCode, L.duressCode, "wrong code"].randomElement(using: &random)!
                    if (try? sites[site].checkOut(at: now, code: code, verify: L.verify)) != nil, code == L.duressCode {
                        duressGiven = true
                    }
                case 4...7:
                    try? sites[site].acknowledge(
                        at: now, by: [L.handler, L.otherHandler].randomElement(using: &random)!)
                case 8: try? sites[site].resolve(at: now, by: L.handler, note: "Officer safe")
                case 9...24:
                    for action in sites[site].evaluate(at: now) { try sites[site].record(action, at: now) }
                default:
                    sites[site].merge(sites[Int.random(in: 0..<3, using: &random)].facts)
                }
                everything += sites[site].facts.facts
            }
            ends["\(Self.fullyMerged(sites).state(at: L.at(minutes + 1)))", default: 0] += 1
            // Every site receives every fact, in its own order.
            var finals: [LoneWorkerSession] = []
            for index in sites.indices {
                var session = sites[index]
                for fact in everything.shuffled(using: &random) { session.merge(LoneWorkerFacts([fact])) }
                finals.append(session)
            }
            let reference = finals[0]
            let later = L.at(minutes + 1)
            for session in finals.dropFirst() {
                #expect(session.facts == reference.facts, "seed=\(seed)")
                #expect(session.state(at: later) == reference.state(at: later), "seed=\(seed)")
                #expect(session.evaluate(at: later) == reference.evaluate(at: later), "seed=\(seed)")
                #expect(session.timeline == reference.timeline, "seed=\(seed)")
            }
            #expect(reference.timeline.map(\.at) == reference.timeline.map(\.at).sorted(), "seed=\(seed)")
            // A duress code is never lost in a merge: red now, or resolved by a handler after it.
            if duressGiven {
                let latestDuress = reference.facts.duressGivenAtMs.max()!
                let resolvedAfter = reference.facts.resolutions.contains { $0.atMs >= latestDuress }
                #expect(
                    reference.state(at: later) == (resolvedAfter ? .resolved : .red(.duress)), "seed=\(seed)")
            }
            // Recording what is due leaves nothing due: the actions are idempotent on the merged facts.
            var settled = reference
            for action in settled.evaluate(at: later) { try settled.record(action, at: later) }
            #expect(settled.evaluate(at: later).isEmpty, "seed=\(seed)")
        }
        // The interleavings reach every kind of end, so the checks above were made on each.
        for end in ["active", "overdue (amber)", "red (missed-check-out)", "red (duress)", "closed", "resolved"] {
            #expect(ends[end, default: 0] >= 5, "only \(ends[end, default: 0]) runs ended \(end): \(ends)")
        }
    }

    static func fullyMerged(_ sites: [LoneWorkerSession]) -> LoneWorkerSession {
        var session = sites[0]
        for other in sites.dropFirst() { session.merge(other.facts) }
        return session
    }

    static func merged(_ a: LoneWorkerFacts, _ b: LoneWorkerFacts) -> LoneWorkerFacts {
        var result = a
        result.merge(b)
        return result
    }

    /// Facts drawn from a small set of instants, so that collisions (same deadline, same millisecond) are common.
    static func randomFacts(_ random: inout Random, count: Int) -> [LoneWorkerFact] {
        func instant() -> Int64 { 1_795_000_000_000 + 1_000 * Int64.random(in: 0...20, using: &random) }
        let handlers = [L.handler, L.otherHandler]
        return (0..<count).map { _ in
            switch Int.random(in: 0..<8, using: &random) {
            case 0: .checkedIn(LoneWorkerCheckIn(atMs: instant(), deadlineMs: instant()))
            case 1: .amberRaised(deadlineMs: instant(), atMs: instant())
            case 2:
                .acknowledged(
                    deadlineMs: instant(),
                    LoneWorkerAcknowledgement(atMs: instant(), by: handlers.randomElement(using: &random)!))
            case 3: .missedCheckOutRedRaised(deadlineMs: instant(), atMs: instant())
            case 4: .checkedOut(atMs: instant())
            case 5: .duressGiven(atMs: instant())
            case 6: .duressRedRaised(duressAtMs: instant(), atMs: instant())
            default:
                .resolved(
                    LoneWorkerResolution(
                        atMs: instant(), by: handlers.randomElement(using: &random)!,
                        note: ["safe", "found"].randomElement(using: &random)!))
            }
        }
    }
}

extension TimeInterval {
    var milliseconds: Int64 { Int64((self * 1000).rounded()) }
}
