import Foundation

/// One heartbeat from a peer as this node received it.
public struct HeartbeatSample: Hashable, Sendable {
    public let peer: SiteCode
    /// The peer's clock when it sent the heartbeat.
    public let peerSentAtMs: Int64
    /// This node's clock when the heartbeat arrived.
    public let receivedAtMs: Int64

    public init(peer: SiteCode, peerSentAtMs: Int64, receivedAtMs: Int64) {
        self.peer = peer
        self.peerSentAtMs = peerSentAtMs
        self.receivedAtMs = receivedAtMs
    }

    /// The peer's clock minus ours, assuming the heartbeat took no time: the least the offset can be.
    var offsetFloorMs: Int64 { peerSentAtMs - receivedAtMs }
}

/// An estimate of the cluster's time that one node's wrong clock cannot move far: the time a deadline is judged
/// by, so a lone-worker alert (5.2.3.6) or an escalation step (8.9) is not raised early because one site's clock
/// runs fast, nor late because one runs slow.
///
/// From heartbeats, each peer's clock offset is estimated; cluster time is local time plus the median of the
/// offsets, counting 0 for this node. With three or more sites the median ignores one clock however wrong it is,
/// including this node's own: a node 30 s fast finds both peers 30 s behind it and corrects itself. With two
/// sites the median is the midpoint, the same instant on both.
///
/// A heartbeat says only that the peer's clock read `sent` at most `oneWayDelayMsMax` before it arrived, so it
/// bounds the offset to `[sent − received, sent − received + bound]`. A peer's offset is taken as the largest lower
/// bound among its consistent recent samples (the least-delayed heartbeat): it errs late by that heartbeat's
/// delay, usually milliseconds and at most the bound, and never early through network delay. Samples whose
/// ranges do not overlap the newest sample's are from before the peer's clock was stepped, and are ignored.
/// Samples older than `sampleWindowMs` are dropped; with no fresh samples, cluster time is local time.
public struct ClusterClock: Hashable, Sendable {
    public let site: SiteCode
    public let oneWayDelayMsMax: Int64
    public let sampleWindowMs: Int64
    /// Per peer, oldest first, at most `DomainLimits.clockSamplesPerPeerMax`.
    public private(set) var samples: [SiteCode: [HeartbeatSample]] = [:]

    public init(
        site: SiteCode, oneWayDelayMsMax: Int = DomainLimits.oneWayDelayMsMaxDefault,
        sampleWindowMs: Int = DomainLimits.clockSampleWindowMsDefault
    ) throws {
        guard (1...DomainLimits.oneWayDelayMsMaxLimit).contains(oneWayDelayMsMax) else {
            throw DomainError(
                .invalidValue,
                "a one-way delay bound of \(oneWayDelayMsMax) ms is not allowed: give 1 to "
                    + "\(DomainLimits.oneWayDelayMsMaxLimit) ms, more than the slowest link between sites takes")
        }
        guard (1...DomainLimits.clockSampleWindowMsMax).contains(sampleWindowMs) else {
            throw DomainError(
                .invalidValue,
                "a clock sample window of \(sampleWindowMs) ms is not allowed: give 1 to "
                    + "\(DomainLimits.clockSampleWindowMsMax) ms, several heartbeat intervals")
        }
        self.site = site
        self.oneWayDelayMsMax = Int64(oneWayDelayMsMax)
        self.sampleWindowMs = Int64(sampleWindowMs)
    }

    /// Instants a heartbeat may carry: 1970 to the end of 9999, so no arithmetic on them can overflow.
    static let plausibleMs: ClosedRange<Int64> = 0...253_402_300_799_999

    /// Keeps a heartbeat sample; returns `false` when it is ignored: from this node itself, with an instant outside
    /// 1970–9999 (a peer's fault, not ours to trap on), or from a new peer beyond the most sites a cluster may have.
    @discardableResult
    public mutating func record(_ sample: HeartbeatSample) -> Bool {
        guard sample.peer != site else { return false }
        guard Self.plausibleMs.contains(sample.peerSentAtMs), Self.plausibleMs.contains(sample.receivedAtMs) else {
            return false
        }
        guard samples[sample.peer] != nil || samples.count < DomainLimits.clusterSitesMax else { return false }
        var list = samples[sample.peer, default: []]
        // Heartbeats may arrive out of order; keep the list in local receive order.
        let index = list.lastIndex { $0.receivedAtMs <= sample.receivedAtMs }.map { $0 + 1 } ?? 0
        list.insert(sample, at: index)
        let newestMs = list.last!.receivedAtMs
        list.removeAll { newestMs - $0.receivedAtMs > sampleWindowMs }
        if list.count > DomainLimits.clockSamplesPerPeerMax {
            list.removeFirst(list.count - DomainLimits.clockSamplesPerPeerMax)
        }
        samples[sample.peer] = list
        return true
    }

    /// Each peer's estimated offset (its clock minus ours) from the samples fresh at `localNowMs`.
    public func offsetsMs(localNowMs: Int64) -> [SiteCode: Int64] {
        var offsets: [SiteCode: Int64] = [:]
        for (peer, list) in samples {
            let fresh = list.filter { (0...sampleWindowMs).contains(localNowMs - $0.receivedAtMs) }
            if let offset = Self.offsetMs(fresh, boundMs: oneWayDelayMsMax) { offsets[peer] = offset }
        }
        return offsets
    }

    /// What to add to local time to get cluster time: the median of the peers' offsets and 0 for this node.
    public func correctionMs(localNowMs: Int64) -> Int64 {
        let offsets = ([0] + offsetsMs(localNowMs: localNowMs).values).sorted()
        let middle = offsets.count / 2
        if offsets.count % 2 == 1 { return offsets[middle] }
        let (low, high) = (offsets[middle - 1], offsets[middle])
        return low + (high - low) / 2
    }

    /// Cluster time, given this node's clock.
    public func nowMs(localNowMs: Int64) -> Int64 {
        localNowMs + correctionMs(localNowMs: localNowMs)
    }

    /// Cluster time, given this node's clock.
    public func now(local: Date) -> Date {
        Date(epochMs: nowMs(localNowMs: local.epochMs))
    }

    /// One peer's offset from its samples, oldest first: newest first, narrowing the range each sample allows and
    /// stopping at the first that does not fit (the peer's clock was stepped before it).
    static func offsetMs(_ list: [HeartbeatSample], boundMs: Int64) -> Int64? {
        guard let newest = list.last else { return nil }
        var low = newest.offsetFloorMs
        var high = low + boundMs
        for sample in list.dropLast().reversed() {
            let floor = sample.offsetFloorMs
            guard floor <= high, floor + boundMs >= low else { break }
            low = max(low, floor)
            high = min(high, floor + boundMs)
        }
        return low
    }
}
