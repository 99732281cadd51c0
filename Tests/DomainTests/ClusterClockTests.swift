import Domain
import Foundation
import Testing

/// Cluster time from heartbeats, robust to one wrong clock.
@Suite struct ClusterClockTests {
    static func site(_ code: String) -> SiteCode { try! SiteCode(code) }
    let west = site("WST")
    let east = site("EST")
    let north = site("NTH")
    let base: Int64 = 1_795_000_000_000

    func clock(_ site: SiteCode, boundMs: Int = 500, windowMs: Int = 60_000) throws -> ClusterClock {
        try ClusterClock(site: site, oneWayDelayMsMax: boundMs, sampleWindowMs: windowMs)
    }

    /// A heartbeat sent at true time `sentMs` by a peer whose clock is `offsetMs` ahead of ours, taking `delayMs`.
    func sample(_ peer: SiteCode, sentMs: Int64, offsetMs: Int64, delayMs: Int64) -> HeartbeatSample {
        HeartbeatSample(peer: peer, peerSentAtMs: base + sentMs + offsetMs, receivedAtMs: base + sentMs + delayMs)
    }

    @Test func withNoPeersClusterTimeIsLocalTime() throws {
        let clock = try clock(west)
        #expect(clock.nowMs(localNowMs: base) == base)
        #expect(
            clock.now(local: Date(timeIntervalSince1970: 1_795_000_000)) == Date(timeIntervalSince1970: 1_795_000_000))
    }

    @Test func aPeersOffsetComesFromItsLeastDelayedHeartbeat() throws {
        var clock = try clock(west)
        for (second, delay) in [(0, 50), (1, 5), (2, 30)] as [(Int64, Int64)] {
            clock.record(sample(east, sentMs: second * 1_000, offsetMs: 1_000, delayMs: delay))
        }
        // Late by the fastest heartbeat's 5 ms: never ahead of the peer's clock.
        #expect(clock.offsetsMs(localNowMs: base + 3_000) == [east: 995])
    }

    @Test func clusterTimeIsLocalTimePlusTheMedianOfTheOffsetsCountingZeroForItself() throws {
        var clock = try clock(west)
        let peers = ["AA", "BB", "CC", "DD"].map(Self.site)
        for (peer, offset) in zip(peers, [100, 200, -50, 10_000] as [Int64]) {
            clock.record(sample(peer, sentMs: 0, offsetMs: offset, delayMs: 0))
        }
        // Offsets -50, 0 (itself), 100, 200, 10 000: the median is 100, and the wild clock moves nothing.
        #expect(clock.correctionMs(localNowMs: base + 10) == 100)
        #expect(clock.nowMs(localNowMs: base + 10) == base + 110)
    }

    @Test func twoSitesMeetAtTheMidpointOfTheirClocks() throws {
        var westClock = try clock(west)
        var eastClock = try clock(east)
        // East's clock is 600 ms ahead of west's.
        westClock.record(sample(east, sentMs: 0, offsetMs: 600, delayMs: 0))
        eastClock.record(HeartbeatSample(peer: west, peerSentAtMs: base, receivedAtMs: base + 600))
        #expect(westClock.nowMs(localNowMs: base + 1_000) == base + 1_300)
        #expect(eastClock.nowMs(localNowMs: base + 1_600) == base + 1_300)
    }

    @Test func samplesOlderThanTheWindowAreDropped() throws {
        var clock = try clock(west, windowMs: 10_000)
        clock.record(sample(east, sentMs: 0, offsetMs: 5_000, delayMs: 0))
        #expect(clock.offsetsMs(localNowMs: base + 10_000) == [east: 5_000])
        #expect(clock.offsetsMs(localNowMs: base + 10_001).isEmpty)
        #expect(clock.nowMs(localNowMs: base + 10_001) == base + 10_001)
        // A newer heartbeat prunes the stale one from the store too.
        clock.record(sample(east, sentMs: 20_000, offsetMs: 7_000, delayMs: 0))
        #expect(clock.samples[east]?.count == 1)
    }

    @Test func aPeersSteppedClockIsFollowedFromItsNewestHeartbeat() throws {
        var clock = try clock(west)
        for second in Int64(0)..<10 {
            clock.record(sample(east, sentMs: second * 1_000, offsetMs: 30_000, delayMs: 20))
        }
        // East's operator fixes its clock; its older heartbeats no longer fit and are not used.
        clock.record(sample(east, sentMs: 10_000, offsetMs: 0, delayMs: 20))
        #expect(clock.offsetsMs(localNowMs: base + 10_100) == [east: -20])
    }

    @Test func ownImplausibleAndExcessSamplesAreIgnoredAndEachPeerKeepsABoundedNumber() throws {
        var clock = try clock(west)
        let ignored = [
            sample(west, sentMs: 0, offsetMs: 0, delayMs: 0),
            HeartbeatSample(peer: east, peerSentAtMs: .max, receivedAtMs: base),
            HeartbeatSample(peer: east, peerSentAtMs: -1, receivedAtMs: base),
        ]
        for sample in ignored {
            let kept = clock.record(sample)
            #expect(!kept, "\(sample)")
        }
        #expect(clock.samples.isEmpty)
        for second in Int64(0)..<100 { clock.record(sample(east, sentMs: second * 100, offsetMs: 0, delayMs: 1)) }
        #expect(clock.samples[east]?.count == DomainLimits.clockSamplesPerPeerMax)
        // Out of order: kept in receive order.
        clock.record(sample(north, sentMs: 2_000, offsetMs: 0, delayMs: 1))
        clock.record(sample(north, sentMs: 1_000, offsetMs: 0, delayMs: 1))
        #expect(clock.samples[north]?.map(\.receivedAtMs) == [base + 1_001, base + 2_001])
        #expect(throws: DomainError.self) { try self.clock(west, boundMs: 0) }
        #expect(throws: DomainError.self) { try self.clock(west, windowMs: 24 * 3_600_000) }
    }

    /// The case the cluster clock exists for: three sites, one clock 30 s fast. Heartbeats every second with random
    /// delays; at every quarter second each site judges a lone-worker deadline by its cluster time.
    @Test func aNodeThirtySecondsAheadAgreesWithinASecondAndNoneFiresADeadlineEarly() throws {
        var random = CallReferenceTests.SplitMix64(state: 30_000)
        let session = LoneWorkers.session()
        let deadlineMs = Int64((session.deadline.timeIntervalSince1970 * 1_000).rounded())
        let skewMs: [SiteCode: Int64] = [west: 0, east: 40, north: 30_000]
        let sites = [west, east, north]
        var clocks = try Dictionary(uniqueKeysWithValues: sites.map { ($0, try clock($0)) })
        // Deliveries: (true arrival ms, receiver, sample).
        var deliveries: [(Int64, SiteCode, HeartbeatSample)] = []
        let startMs = deadlineMs - 30_000
        for sentMs in stride(from: startMs, to: deadlineMs + 30_000, by: 1_000) {
            for sender in sites {
                for receiver in sites where receiver != sender {
                    let delayMs = Int64.random(in: 1...80, using: &random)
                    let sample = HeartbeatSample(
                        peer: sender, peerSentAtMs: sentMs + skewMs[sender]!,
                        receivedAtMs: sentMs + delayMs + skewMs[receiver]!)
                    deliveries.append((sentMs + delayMs, receiver, sample))
                }
            }
        }
        deliveries.sort { $0.0 < $1.0 }
        var next = 0
        var firedAt: [SiteCode: Int64] = [:]
        for trueMs in stride(from: startMs + 5_000, to: deadlineMs + 30_000, by: 250) {
            while next < deliveries.count, deliveries[next].0 <= trueMs {
                clocks[deliveries[next].1]!.record(deliveries[next].2)
                next += 1
            }
            for site in sites {
                let localMs = trueMs + skewMs[site]!
                let clusterMs = clocks[site]!.nowMs(localNowMs: localMs)
                #expect(abs(clusterMs - trueMs) < 1_000, "seed=30000 \(site) at \(trueMs - deadlineMs) ms")
                let due = session.evaluate(at: Date(timeIntervalSince1970: Double(clusterMs) / 1_000))
                if due == [.raiseAmber], firedAt[site] == nil { firedAt[site] = trueMs }
                // Judged by its own clock, the fast site would have raised the amber 30 s early.
                if site == north, trueMs >= deadlineMs - 30_000 + 5_000, trueMs < deadlineMs {
                    #expect(session.evaluate(at: Date(timeIntervalSince1970: Double(localMs) / 1_000)) == [.raiseAmber])
                }
            }
        }
        for site in sites {
            let fired = try #require(firedAt[site], "\(site) never raised the amber")
            #expect(
                fired >= deadlineMs - 100 && fired <= deadlineMs + 1_000, "\(site) fired at \(fired - deadlineMs) ms")
        }
    }
}
