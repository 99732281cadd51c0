import Domain
import Foundation
import Node
import Store

/// Where new calls go now, as routing sees the cluster.
public protocol CallRouting: AnyObject {
    /// Routing's split of new calls at `nowMs`.
    func table(nowMs: Int64) -> RoutingTable
}

/// The data folders of the drill's sites, each opened once (GRDB: connect to a database file only once).
public final class ClusterStores {
    public let dataPaths: [String: String]
    private var folders: [String: NodeFolder] = [:]

    public init(dataPaths: [String: String]) { self.dataPaths = dataPaths }

    public func folder(_ site: String) throws -> NodeFolder {
        if let folder = folders[site] { return folder }
        guard let path = dataPaths[site] else { throw ClusterError.node(site: site, problem: "no data folder") }
        let folder = try NodeFolder.open(path: path, expectedSite: try SiteCode(site))
        folders[site] = folder
        return folder
    }
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

    /// The site state ("up", "draining", "evacuated") `observer` last heard in `site`'s heartbeats.
    public func state(of site: String, seenBy observer: String, nowMs: Int64) -> String? {
        freshStatus(observer, nowMs: nowMs)?.peers.first { $0.site == site }?.siteState
    }

    /// Whether every one of `survivors` has a fresh status showing `site` connected with a state in `states`.
    public func everySurvivorSees(_ site: String, inState states: Set<String>, survivors: [String], nowMs: Int64) -> Bool {
        survivors.allSatisfy {
            health(of: site, seenBy: $0, nowMs: nowMs) == "connected"
                && states.contains(state(of: site, seenBy: $0, nowMs: nowMs) ?? "up")
        }
    }
}

/// Writes what the drill's simulated handlers do at each site, through the store's own write path (the one
/// `nightdesk handler signin` and `nightdesk call log` use): signing in and out, so the capacity each site's
/// heartbeats publish follows the traffic model's staffing, and logging each answered dummy call. Keeps every
/// reference a store acknowledged, for the RPO check.
public final class DrillWriter {
    public struct Acknowledged: Sendable, Equatable, Codable {
        public let reference: String
        public let site: String
        /// Wall-clock seconds from the start of the drill.
        public let atWallSeconds: Double
    }

    /// Drill handlers are named `drill-<site>-<n>`, so the runner signs out only its own.
    public static func handlerID(site: String, number: Int) throws -> HandlerID {
        try HandlerID("drill-\(site.lowercased())-\(number)")
    }

    private let stores: ClusterStores
    /// Organisation codes every drill handler is trained for.
    private let trained: [String]
    /// Drill handlers signed in per site, as this writer signed them.
    public private(set) var signedIn: [String: Int] = [:]
    public private(set) var acknowledged: [Acknowledged] = []
    public private(set) var failures: [String] = []

    public init(stores: ClusterStores, trained: [String]) {
        self.stores = stores
        self.trained = trained
    }

    /// Signs drill handlers in or out at `site` until `count` are signed in there.
    public func staff(_ site: String, count: Int, at instant: Date) {
        do {
            let database = try stores.folder(site).database
            var current = signedIn[site] ?? 0
            while current < count {
                current += 1
                _ = try database.signIn(
                    handler: try Self.handlerID(site: site, number: current), name: "Drill handler \(current) at \(site)",
                    trained: trained, at: instant)
                signedIn[site] = current
            }
            while current > count {
                _ = try database.signOut(handler: try Self.handlerID(site: site, number: current), at: instant)
                current -= 1
                signedIn[site] = current
            }
        } catch {
            failures.append("drill handlers at \(site) could not be signed in or out: \(error)")
        }
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
            let logged = try stores.folder(site).database.logCall(
                draft, author: "drill", criteria: try DuplicateCriteria(radiusMetres: 0, windowSeconds: 1), at: answeredAt)
            acknowledged.append(Acknowledged(reference: logged.call.reference.description, site: site, atWallSeconds: wallSeconds))
        } catch {
            failures.append("dummy call \(call.id) for \(call.organisation) \(call.option) could not be logged at \(site): \(error)")
        }
    }

    /// The acknowledged references `site` does not hold.
    public func missing(at site: String) -> [String] {
        guard let database = try? stores.folder(site).database else { return acknowledged.map(\.reference) }
        return acknowledged.filter { entry in
            guard let reference = try? CallReference(parsing: entry.reference) else { return true }
            return ((try? database.callRecord(reference)) ?? nil) == nil
        }.map(\.reference)
    }
}
