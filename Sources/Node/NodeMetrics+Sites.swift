import Mesh
import Prometheus
import Replication

extension NodeMetrics {
    /// Sets the gauges of one site's announced state and capacity (this site's own or a peer's): labels are the
    /// site code and organisation codes only.
    func site(_ site: SiteID, report: ClusterView.SiteReport?) {
        guard let report else { return }
        func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = []) -> Gauge {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(namespace: "nightdesk", metricName: name, unitName: "", helpText: help),
                labels: [("site", site.rawValue)] + labels)
        }
        gauge("site_state", "The site's announced state: 1 up, 2 draining, 3 evacuated, 4 down.")
            .set(Int64(report.state.rawValue))
        guard let capacity = report.capacity else { return }
        gauge("site_handlers_signed_in", "Call handlers signed in at the site.").set(Int64(capacity.handlersSignedIn))
        gauge("site_calls_in_progress", "Calls opened at the site in the last 30 minutes and not closed.")
            .set(Int64(capacity.callsInProgress))
        let previous = trainedOrganisations.withLock { known in
            defer { known[site] = Set(capacity.trainedByOrganisation.keys) }
            return known[site] ?? []
        }
        for organisation in previous.union(capacity.trainedByOrganisation.keys) {
            gauge(
                "site_handlers_trained", "Signed-in handlers at the site trained for the organisation.",
                [("organisation", organisation)]
            ).set(Int64(capacity.trainedByOrganisation[organisation] ?? 0))
        }
    }
}
