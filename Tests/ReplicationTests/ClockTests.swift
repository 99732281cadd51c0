import Testing

@testable import Replication

@Suite struct ClockTests {
    let west = SiteID("WST")
    let east = SiteID("EST")

    @Test func localTicksAlwaysMoveForwardEvenWhenTheWallClockStepsBack() {
        var clock = HybridLogicalClock(site: west)
        var previous = clock.tick(nowMs: 1_000)
        for now in [1_000, 999, 500, 1_001, 1_001, 0, 2_000] as [Int64] {
            let next = clock.tick(nowMs: now)
            #expect(next > previous, "\(next) after \(previous) at \(now)")
            previous = next
        }
        #expect(previous.physicalMs == 2_000)
    }

    @Test func aRestartedClockResumesAfterItsPersistedValue() {
        var before = HybridLogicalClock(site: west)
        _ = before.tick(nowMs: 5_000)
        let persisted = before.tick(nowMs: 5_000)
        // The machine restarts with its wall clock an hour behind.
        var after = HybridLogicalClock(site: west, last: HybridTimestamp(text: persisted.description))
        let first = after.tick(nowMs: 5_000 - 3_600_000)
        #expect(first > persisted)
    }

    @Test func receivingMovesPastTheRemoteClock() throws {
        var clock = HybridLogicalClock(site: west)
        _ = clock.tick(nowMs: 1_000)
        let remote = HybridTimestamp(physicalMs: 1_500, logical: 7, site: east)
        try clock.receive(remote, nowMs: 1_200)
        let next = clock.tick(nowMs: 1_200)
        #expect(next > remote)
        #expect(next.physicalMs == 1_500)
    }

    @Test func aRemoteClockTooFarAheadIsRefused() {
        var clock = HybridLogicalClock(site: west, skewBoundMs: 60_000)
        let before = clock
        let remote = HybridTimestamp(physicalMs: 1_000 + 60_001, logical: 0, site: east)
        #expect(throws: ClockSkewExceeded.self) { try clock.receive(remote, nowMs: 1_000) }
        #expect(clock == before)  // a refused clock leaves ours untouched
        #expect(throws: Never.self) {
            try clock.receive(HybridTimestamp(physicalMs: 61_000, logical: 0, site: east), nowMs: 1_000)
        }
    }

    @Test func textFormSortsLikeTheClock() {
        var random = SplitMix64(seed: 99)
        let sites = [SiteID("WS"), SiteID("WST"), SiteID("EST"), SiteID("A2")]
        var stamps: [HybridTimestamp] = []
        for _ in 0..<500 {
            stamps.append(
                HybridTimestamp(
                    physicalMs: Int64.random(in: 0...3, using: &random) * 1_000_000_000_000
                        + Int64.random(in: 0...5, using: &random),
                    logical: UInt32.random(in: 0...3, using: &random) * 1_000_000, site: sites.randomElement(using: &random)!))
        }
        let byValue = stamps.sorted()
        let byText = stamps.sorted { $0.description < $1.description }
        #expect(byValue == byText)
        for stamp in stamps { #expect(HybridTimestamp(text: stamp.description) == stamp) }
    }
}

/// A seeded generator so any failure reproduces from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
