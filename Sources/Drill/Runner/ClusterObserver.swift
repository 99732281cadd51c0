import Domain
import Foundation
import Node
import Store

/// Where new calls go now, as routing sees the cluster.
public protocol CallRouting: AnyObject {
    /// Routing's split of new calls over `sites` at `nowMs`.
    func table(among sites: [String], nowMs: Int64) -> RoutingTable
    /// The site is declared out of service by its operators (an evacuation, a telephony failure), or back in.
    func declare(_ site: String, outOfService: Bool)
}

/// Reads each site's `mesh-status.json`, the file `node run --config` rewrites every second.
public struct ClusterObserver: Sendable {
    /// A status older than this is not the view of a running node.
    public static let freshForMs: Int64 = 3_000

    public let dataPaths: [String: String]

    public init(dataPaths: [String: String]) { self.dataPaths = dataPaths }

    /// `site`'s status if its node wrote one in the last `freshForMs`.
    public func freshStatus(_ site: String, nowMs: Int64) -> MeshStatus? {
        guard let path = dataPaths[site].map({ ($0 as NSString).appendingPathComponent(NodeRunConfiguration.statusFileName) }),
            let data = FileManager.default.contents(atPath: path),
            let status = try? JSONDecoder().decode(MeshStatus.self, from: data),
            nowMs - status.writtenAtMs <= Self.freshForMs
        else { return nil }
        return status
    }

    /// How `observer` sees `site`'s health ("connected", "lagging", "down", "refused"), from a fresh status.
    public func health(of site: String, seenBy observer: String, nowMs: Int64) -> String? {
        freshStatus(observer, nowMs: nowMs)?.peers.first { $0.site == site }?.health
    }

    /// Whether every one of `survivors` has a fresh status showing `site` down.
    public func everySurvivorSeesDown(_ site: String, survivors: [String], nowMs: Int64) -> Bool {
        survivors.allSatisfy { health(of: site, seenBy: $0, nowMs: nowMs) == "down" }
    }

    /// Whether every one of `survivors` has a fresh status showing `site` connected again.
    public func everySurvivorSeesUp(_ site: String, survivors: [String], nowMs: Int64) -> Bool {
        survivors.allSatisfy { health(of: site, seenBy: $0, nowMs: nowMs) == "connected" }
    }
}

/// The runner's stand-in for call routing: a site takes new calls unless its operators declared it out of
/// service or most of the running nodes that report on it (fresh status files) see it down. A majority, not one
/// report: a node just restarted sees every peer down until its links connect, and must not empty the routing.
public final class MeshStatusRouting: CallRouting {
    private let observer: ClusterObserver
    private var declaredOut: Set<String> = []

    public init(observer: ClusterObserver) { self.observer = observer }

    public func declare(_ site: String, outOfService: Bool) {
        if outOfService { declaredOut.insert(site) } else { declaredOut.remove(site) }
    }

    public func table(among sites: [String], nowMs: Int64) -> RoutingTable {
        .even(routableSites(among: sites, nowMs: nowMs))
    }

    func routableSites(among sites: [String], nowMs: Int64) -> [String] {
        sites.filter { site in
            guard !declaredOut.contains(site) else { return false }
            let views = sites.filter { $0 != site }.compactMap { observer.health(of: site, seenBy: $0, nowMs: nowMs) }
            let down = views.filter { $0 == "down" }.count
            return !(down > 0 && down * 2 > views.count)
        }
    }
}

/// Writes answered dummy calls to the store of the site that answered them, through the same write path
/// `nightdesk call log` uses, and keeps every reference the store acknowledged for the RPO check.
public final class DummyCallWriter {
    public struct Acknowledged: Sendable, Equatable, Codable {
        public let reference: String
        public let site: String
        /// Wall-clock seconds from the start of the drill.
        public let atWallSeconds: Double
    }

    private var folders: [String: NodeFolder] = [:]
    private let dataPaths: [String: String]
    public private(set) var acknowledged: [Acknowledged] = []
    public private(set) var failures: [String] = []

    public init(dataPaths: [String: String]) { self.dataPaths = dataPaths }

    private func folder(_ site: String) throws -> NodeFolder {
        if let folder = folders[site] { return folder }
        guard let path = dataPaths[site] else { throw ClusterError.node(site: site, problem: "no data folder") }
        let folder = try NodeFolder.open(path: path, expectedSite: try SiteCode(site))
        folders[site] = folder
        return folder
    }

    /// Logs `call` at its site as a signposted drill call (8.6 c): no caller details, no referral sent.
    public func log(_ call: DummyCall, answeredAt: Date, waitWallSeconds: Double, wallSeconds: Double) {
        guard let site = call.site else { return }
        do {
            let draft = CallDraft(
                organisation: try OrganisationCode(call.organisation), option: try ServiceOptionCode(call.option),
                caller: try Caller(name: "Drill dummy caller", phone: nil),
                details: "Business-continuity drill dummy call \(call.id) (8.6 c)",
                action: CallAction(kind: .signpost, detail: "business-continuity drill"),
                offeredAt: answeredAt.addingTimeInterval(-waitWallSeconds), answeredAt: answeredAt)
            let logged = try folder(site).database.logCall(
                draft, author: "drill", criteria: try DuplicateCriteria(radiusMetres: 0, windowSeconds: 1), at: answeredAt)
            acknowledged.append(Acknowledged(reference: logged.call.reference.description, site: site, atWallSeconds: wallSeconds))
        } catch {
            failures.append("dummy call \(call.id) for \(call.organisation) \(call.option) could not be logged at \(site): \(error)")
        }
    }

    /// The acknowledged references `site` does not hold.
    public func missing(at site: String) -> [String] {
        guard let database = try? folder(site).database else { return acknowledged.map(\.reference) }
        return acknowledged.filter { entry in
            guard let reference = try? CallReference(parsing: entry.reference) else { return true }
            return ((try? database.callRecord(reference)) ?? nil) == nil
        }.map(\.reference)
    }
}
