import Domain
import Foundation
import Mesh

/// The cluster's time and the live sites, as a node's services read them from the mesh each time they run:
/// heartbeats feed a `ClusterClock`, so a node whose own clock is wrong still judges deadlines by the cluster's.
struct ClusterTime {
    private var clock: ClusterClock

    init(site: SiteCode) throws {
        clock = try ClusterClock(site: site)
    }

    /// Records the view's heartbeat samples; returns the cluster's time now and the sites seen live.
    mutating func read(_ view: ClusterView, local: Date = Date()) -> (now: Date, live: Set<SiteCode>) {
        for sample in view.samples {
            guard let peer = try? SiteCode(sample.site.rawValue) else { continue }
            clock.record(
                HeartbeatSample(peer: peer, peerSentAtMs: sample.peerSentAtMs, receivedAtMs: sample.receivedAtMs))
        }
        return (clock.now(local: local), Set(view.live.compactMap { try? SiteCode($0.rawValue) }))
    }
}
