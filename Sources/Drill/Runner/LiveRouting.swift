import Domain
import Foundation
import Node

/// Routing as the cluster's own nodes answer it: the `CallRouter` of a running node, built by `RoutingViews` from
/// its heartbeats, its store and its manual split, exactly as `nightdesk route --live` answers (DESIGN.md
/// "Failover and traffic": any node answers where a new call goes).
///
/// The drill asks the first site, in the drill's order, whose node is running and not cut off from the majority:
/// the telephony's question can go to any node, and a cut-off node routes only to itself.
public final class LiveRouting: CallRouting {
    private let sites: [String]
    private let stores: ClusterStores
    private let catalogue: Catalogue

    public init(sites: [String], stores: ClusterStores, catalogue: Catalogue) {
        self.sites = sites
        self.stores = stores
        self.catalogue = catalogue
    }

    public func table(nowMs: Int64) -> RoutingTable {
        let now = Date(timeIntervalSince1970: Double(nowMs) / 1_000)
        var problems: [String] = []
        for site in sites {
            do {
                let router = try RoutingViews.liveRouter(folder: try stores.folder(site), now: now)
                if router.isCutOff {
                    problems.append("\(site) is cut off: cannot see \(router.notSeen.map(\.rawValue).joined(separator: ", "))")
                    continue
                }
                return Self.table(router: router, catalogue: catalogue)
            } catch {
                problems.append("\(site): \(error)")
            }
        }
        return RoutingTable(answers: [:], problem: problems.joined(separator: "; "))
    }

    /// `router`'s split for every organisation of `catalogue` at each Service Standard its options have.
    ///
    /// The weights do not depend on the caller or the option, only on the organisation and the standard, so one
    /// question per pair gives the whole table.
    public static func table(router: CallRouter, catalogue: Catalogue) -> RoutingTable {
        var answers: [RoutingTable.Key: [SiteShare]] = [:]
        for organisation in catalogue.organisations {
            for option in organisation.options {
                let key = RoutingTable.Key(organisation: organisation.code.rawValue, standard: option.standard)
                guard answers[key] == nil else { continue }
                let answer = router.route(
                    RoutedCall(
                        organisation: organisation.code, option: option.code, standard: option.standard,
                        key: RoutingKey(value: 0)))
                answers[key] = answer.sites.map { SiteShare(site: $0.site.rawValue, percent: $0.weightPercent) }
            }
        }
        return RoutingTable(answers: answers, answeredBy: router.node.rawValue)
    }
}
