import Testing

@testable import Replication

@Suite struct MergeTests {
    let sites = [SiteID("WST"), SiteID("EST"), SiteID("NTH")]

    /// Random writes with distinct clocks: a clock value is issued once, so it never carries two values.
    func randomWrites(_ random: inout SplitMix64, count: Int, values: [String]) -> [FieldState] {
        var seen = Set<HybridTimestamp>()
        return (0..<count).map { _ in
            FieldState(
                value: .text(values.randomElement(using: &random)!),
                clock: HybridTimestamp(
                    physicalMs: Int64.random(in: 0...20, using: &random), logical: UInt32.random(in: 0...2, using: &random),
                    site: sites.randomElement(using: &random)!))
        }.filter { seen.insert($0.clock).inserted }
    }

    func fold(_ rule: FieldRule, _ writes: [FieldState]) -> FieldState? {
        var state: FieldState? = nil
        for write in writes {
            if let next = Merge.register(rule, current: state, incoming: write) { state = next }
        }
        return state
    }

    @Test(arguments: [
        FieldRule.lastWriterWins, .furthestState(order: ["open", "referred", "closed"]), .concurrentValues, .immutable,
    ])
    func registersConvergeWhateverTheOrderAndDuplication(rule: FieldRule) {
        for seed in 1...200 as ClosedRange<UInt64> {
            var random = SplitMix64(seed: seed)
            let writes = randomWrites(&random, count: Int.random(in: 1...12, using: &random), values: ["open", "referred", "closed"])
            let reference = fold(rule, writes)
            for _ in 0..<10 {
                var delivered = writes.shuffled(using: &random)
                // Duplicate some deliveries, as a network may.
                delivered += writes.filter { _ in Bool.random(using: &random) }
                delivered.shuffle(using: &random)
                #expect(fold(rule, delivered) == reference, "seed=\(seed) rule=\(rule)")
            }
        }
    }

    @Test func lastWriterWinsByClockNotByValue() {
        let early = FieldState(value: .text("zzz"), clock: HybridTimestamp(physicalMs: 1, logical: 0, site: sites[0]))
        let late = FieldState(value: .text("aaa"), clock: HybridTimestamp(physicalMs: 2, logical: 0, site: sites[1]))
        #expect(fold(.lastWriterWins, [late, early]) == late)
        #expect(fold(.lastWriterWins, [early, late]) == late)
    }

    @Test func aClosedCallIsNeverReopenedByALateReferral() {
        let order = ["open", "referred", "closed"]
        let closed = FieldState(value: .text("closed"), clock: HybridTimestamp(physicalMs: 1, logical: 0, site: sites[0]))
        let referredLater = FieldState(value: .text("referred"), clock: HybridTimestamp(physicalMs: 9, logical: 0, site: sites[1]))
        #expect(fold(.furthestState(order: order), [closed, referredLater])?.value == .text("closed"))
        #expect(fold(.furthestState(order: order), [referredLater, closed])?.value == .text("closed"))
    }

    @Test func immutableFieldsKeepTheirFirstValue() {
        let first = FieldState(value: .text("EAL"), clock: HybridTimestamp(physicalMs: 1, logical: 0, site: sites[0]))
        let second = FieldState(value: .text("WAN"), clock: HybridTimestamp(physicalMs: 2, logical: 0, site: sites[0]))
        #expect(Merge.register(.immutable, current: first, incoming: second) == nil)
        // Two creations of one row at two sites: the earlier one stands, in whichever order they arrive.
        let elsewhere = FieldState(value: .text("EST"), clock: HybridTimestamp(physicalMs: 1, logical: 0, site: sites[1]))
        #expect(fold(.immutable, [first, elsewhere]) == elsewhere)
        #expect(fold(.immutable, [elsewhere, first]) == elsewhere)
    }

    @Test func concurrentValuesAreAllKeptUntilAWriteSupersedesThem() {
        let a = FieldState(value: .text("Officer A"), clock: HybridTimestamp(physicalMs: 5, logical: 0, site: sites[0]))
        let b = FieldState(value: .text("Officer B"), clock: HybridTimestamp(physicalMs: 6, logical: 0, site: sites[1]))
        let both = Merge.concurrent(Merge.concurrent([], adding: a, superseding: []), adding: b, superseding: [])
        #expect(both == [a, b])
        let otherOrder = Merge.concurrent(Merge.concurrent([], adding: b, superseding: []), adding: a, superseding: [])
        #expect(otherOrder == both)
        // A person resolves the conflict: the new value supersedes both it saw.
        let resolved = FieldState(value: .text("Officer A"), clock: HybridTimestamp(physicalMs: 7, logical: 0, site: sites[2]))
        #expect(Merge.concurrent(both, adding: resolved, superseding: [a.clock, b.clock]) == [resolved])
        // Re-delivering the same write changes nothing.
        #expect(Merge.concurrent(both, adding: b, superseding: []) == both)
    }
}

@Suite struct VersionVectorTests {
    let west = SiteID("WST")
    let east = SiteID("EST")

    @Test func onlyTheNextSequenceAdvancesTheVector() {
        var vector = VersionVector()
        let gap = vector.advance(west, to: OriginSequence(2))
        let first = vector.advance(west, to: OriginSequence(1))
        let second = vector.advance(west, to: OriginSequence(2))
        let duplicate = vector.advance(west, to: OriginSequence(2))
        #expect(!gap && first && second && !duplicate)
        #expect(vector[west] == OriginSequence(2))
    }

    @Test func whatAPeerLacksIsExactlyTheRangesBeyondItsVector() {
        let mine = VersionVector([west: OriginSequence(10), east: OriginSequence(4)])
        let theirs = VersionVector([west: OriginSequence(7), east: OriginSequence(4)])
        let missing = mine.missing(from: theirs)
        #expect(missing.count == 1)
        #expect(missing[0].origin == west && missing[0].range == 8...10)
        #expect(theirs.missing(from: mine).isEmpty)
        #expect(mine.covers(theirs) && !theirs.covers(mine))
    }

    @Test func commonIsWhatEverySiteHolds() {
        let a = VersionVector([west: OriginSequence(10), east: OriginSequence(4)])
        let b = VersionVector([west: OriginSequence(6)])
        let common = VersionVector.common([a, b], sites: [west, east])
        #expect(common[west] == OriginSequence(6))
        #expect(common[east] == .zero)
    }

    @Test func aChangeSetWaitsForItsDependencies() {
        let set = ChangeSet(
            origin: east, sequence: OriginSequence(1), timestamp: HybridTimestamp(physicalMs: 1, logical: 0, site: east),
            dependencies: VersionVector([west: OriginSequence(3)]), scope: .cluster, operations: [])
        #expect(!set.isApplicable(after: VersionVector([west: OriginSequence(2)])))
        #expect(set.isApplicable(after: VersionVector([west: OriginSequence(3)])))
        #expect(!set.isApplicable(after: VersionVector([west: OriginSequence(3), east: OriginSequence(1)])))
    }
}
