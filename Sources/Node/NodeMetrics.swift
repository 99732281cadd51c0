import Foundation
import Hummingbird
import Logging
import Mesh
import Prometheus
import Replication
import ServiceLifecycle
import Synchronization

/// The node's Prometheus metrics: what the sync service counts and measures, rendered at `GET /metrics`.
///
/// Names follow Prometheus conventions (`_total` for counters, base units in the name); labels are site
/// codes and fixed reasons only, never data, so nothing personal reaches a metrics scraper.
public final class NodeMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    let framesReceived: Counter
    let changeSetsSent: Counter
    let changeSetsStored: Counter
    let changeSetsDuplicate: Counter
    let changeSetsSealed: Counter
    let changeSetsApplied: Counter
    /// Organisations each site's trained-handler gauge has been set for, so one that drops out is set to 0.
    let trainedOrganisations = Mutex<[SiteID: Set<String>]>([:])
    let outboxSent: Counter
    let outboxFailed: Counter
    let outboxTakenOver: Counter

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: Self.metric(name, "total", help))
        }
        framesReceived = counter("mesh_frames_received", "Frames received from admitted peers.")
        changeSetsSent = counter("mesh_change_sets_sent", "Sealed change sets sent to peers.")
        changeSetsStored = counter("mesh_change_sets_stored", "Sealed change sets from peers, verified and stored.")
        changeSetsDuplicate = counter("mesh_change_sets_duplicate", "Sealed change sets received that were held.")
        changeSetsSealed = counter("mesh_change_sets_sealed", "This site's change sets sealed and chained.")
        changeSetsApplied = counter("change_sets_applied", "Change sets from peers applied to the store.")
        outboxSent = counter("outbox_messages_sent", "Outbox messages this node sent (or found sent by reference).")
        outboxFailed = counter(
            "outbox_messages_failed", "Outbox messages this node gave up on (rejected, or out of attempts).")
        outboxTakenOver = counter(
            "outbox_messages_taken_over", "Outbox messages another site queued that this node sent for it.")
    }

    /// Counts what one outbox run did: messages sent, given up, and sent for another site.
    func outbox(_ entries: [OutboxDelivery.Entry]) {
        for entry in entries {
            if entry.result == .sent || entry.result == .foundSent {
                outboxSent.increment()
                if entry.takenOverFrom != nil { outboxTakenOver.increment() }
            }
            if entry.givenUp { outboxFailed.increment() }
        }
    }

    /// Counts change sets refused, by why: `signature` (forged checkpoint or origin), `chain` (tampered,
    /// reordered or replayed), `open` (sealed box does not open), `malformed`, `unknown_origin`, `gap`.
    func changeSetsRejected(_ reason: String, count: Int) {
        registry.makeCounter(
            descriptor: Self.metric(
                "mesh_change_sets_rejected", "total", "Change sets refused and never applied, by reason."),
            labels: [("reason", reason)]
        ).increment(by: Int64(count))
    }

    /// Counts peers refused at hello (`cluster`, `restored`: stale epoch or lost log) or frames refused before one (`unadmitted`).
    func peerRefused(_ reason: String) {
        registry.makeCounter(
            descriptor: Self.metric(
                "mesh_peer_refusals", "total",
                "Hellos refused (another cluster, stale epoch) and frames ignored from unadmitted peers."),
            labels: [("reason", reason)]
        ).increment()
    }

    func peer(_ site: SiteID, up: Bool, lagChangeSets: UInt64, lagSeconds: Double) {
        gauge("mesh_peer_up", "", "1 while the peer is in contact.", peer: site).set(Int64(up ? 1 : 0))
        gauge(
            "mesh_peer_lag", "change_sets", "Change sets this node holds that the peer has not acknowledged.",
            peer: site
        ).set(Int64(lagChangeSets))
        gauge("mesh_peer_lag", "seconds", "How long the peer has been behind this node, 0 when it holds everything.",
            peer: site
        ).set(lagSeconds)
    }

    func unsealed(_ count: Int) {
        gauge("mesh_unsealed", "change_sets", "This site's change sets waiting to be sealed.").set(Int64(count))
    }

    func mesh(_ statistics: MeshStatistics) {
        gauge("mesh_frames_rejected", "", "Frames the transport rejected (malformed or mislabelled).")
            .set(Int64(statistics.framesRejected))
        gauge("mesh_clients_refused", "", "Connections refused because their key is not in the topology.")
            .set(Int64(statistics.clientsRefused))
    }

    private func gauge(_ name: String, _ unit: String, _ help: String, peer: SiteID? = nil) -> Gauge {
        let descriptor = Self.metric(name, unit, help)
        guard let peer else { return registry.makeGauge(descriptor: descriptor) }
        return registry.makeGauge(descriptor: descriptor, labels: [("peer", peer.rawValue)])
    }

    private static func metric(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "nightdesk", metricName: name, unitName: unit, helpText: help)
    }

    /// The metrics in Prometheus' text format.
    public func render() -> String { registry.emitToString() }

    /// An HTTP service answering `GET /metrics` on `host:port` (bind to 127.0.0.1 unless a scraper elsewhere
    /// needs it: the figures are operational, not personal, but there is no sign-in on this port).
    public func httpService(host: String, port: Int, logger: Logger) -> some Service {
        let router = Router()
        let metrics = self
        router.get("metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "nightdesk"),
            logger: logger)
    }
}
