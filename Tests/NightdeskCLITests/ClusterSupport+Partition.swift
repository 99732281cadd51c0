import Drill
import Foundation
import GRDB
import NightdeskTestSupport
import Testing

/// A `TestCluster` whose every link between sites runs through a `FaultProxy`, so a test can cut the network
/// between live node processes (8.1: loss of the WAN) and heal it, with every process still running.
///
/// The proxies and each node's own copy of the topology (`cluster-<SITE>.toml`, identical but for the peers'
/// `sync` ports) are made by the drill runner's `ProxiedLinks`, as for a drill's `LocalCluster`; this only points
/// each node's configuration at its copy.
final class PartitionedCluster: @unchecked Sendable {
    let cluster: TestCluster
    let links: ProxiedLinks
    var sites: [String] { links.sites }

    init(_ sites: [String]) throws {
        cluster = try TestCluster(sites)
        links = try ProxiedLinks(sites: sites, syncPorts: cluster.ports)
        do {
            let topologies = try links.writeTopologies(common: cluster.path("cluster.toml"))
            for site in sites {
                let own = try #require(topologies[site])
                let configuration = cluster.path("\(site).toml")
                let text = try String(contentsOfFile: configuration, encoding: .utf8)
                try #require(text.contains("topology = \"cluster.toml\""))
                try text.replacingOccurrences(
                    of: "topology = \"cluster.toml\"",
                    with: "topology = \"\((own as NSString).lastPathComponent)\""
                ).write(toFile: configuration, atomically: true, encoding: .utf8)
            }
        } catch {
            links.stop()
            throw error
        }
    }

    deinit { links.stop() }

    func proxy(from: String, to: String) -> FaultProxy? { links.proxy(from: from, to: to) }

    /// Cuts every link to and from `site`, both directions: it keeps running, alone.
    func isolate(_ site: String, _ mode: LinkCut = .blackHole) { links.isolate(site, mode) }

    /// Restores every link.
    func healAll() { links.healAll() }

    /// Whether `site`'s `node status` shows each of `peers` with `health`.
    func sees(_ site: String, _ peers: [String], as health: String) throws -> Bool {
        guard let status = try cluster.status(site) else { return false }
        return peers.allSatisfy { status.peer($0)?.health == health }
    }
}

/// One lone-worker fact as a site's store holds it: its kind and the site that recorded it.
struct LoneFactRow: Equatable {
    let kind: String
    let site: String
    let atMs: Int64
}

extension TestCluster {
    /// The lone-worker facts `site`'s store holds for `session`, read from its SQLite file directly (read-only),
    /// oldest first: what was recorded where, which no command shows.
    func loneFacts(_ site: String, session: String) throws -> [LoneFactRow] {
        try readStore(site) { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT kind, site_code, at_ms FROM lone_worker_fact WHERE call_reference = ?
                    ORDER BY at_ms, uid
                    """,
                arguments: [session]
            ).map { LoneFactRow(kind: $0["kind"], site: $0["site_code"], atMs: $0["at_ms"]) }
        }
    }

    /// The alerts (amber and red) among `site`'s facts for `session`.
    func loneAlerts(_ site: String, session: String) throws -> [LoneFactRow] {
        try loneFacts(site, session: session).filter {
            ["amber-raised", "missed-check-out-red-raised", "duress-red-raised"].contains($0.kind)
        }
    }

    /// Lines of `site`'s log that say it raised an alert for `session`.
    func raisedLines(_ site: String, session: String) -> Int {
        log(site).split(separator: "\n").filter {
            $0.contains("lone-worker alert raised") && $0.contains(session)
        }.count
    }

    /// The outbox messages `site` holds for `session`, by channel.
    func queuedChannels(_ site: String, session: String) throws -> [String] {
        struct Queued: Decodable {
            let channel: String
            let callReference: String?
        }
        let result = try run(site, ["outbox", "list", "--json"])
        try #require(result.status == 0, "\(result)")
        return try decode([Queued].self, result.stdout).filter { $0.callReference == session }.map(\.channel).sorted()
    }
}

extension TestCluster {
    /// How far `site`'s node clock is ahead of this process's: the instant the node stamped on its last
    /// `mesh-status.json` (from its own `Date()`) minus now, so the true skew less up to one status interval.
    func statusClockLeadMs(_ site: String) throws -> Int64 {
        struct Written: Decodable { let writtenAtMs: Int64 }
        let data = try Data(contentsOf: URL(fileURLWithPath: path("\(site)/mesh-status.json")))
        let written = try JSONDecoder().decode(Written.self, from: data)
        return written.writtenAtMs - Int64((Date().timeIntervalSince1970 * 1_000).rounded())
    }

    /// Change sets `site` holds back because their clock was too far ahead of its own (DESIGN.md, Clock).
    func quarantinedCount(_ site: String) throws -> Int {
        try readStore(site) { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM quarantine") ?? 0 }
    }

    private func readStore<T>(_ site: String, _ body: (Database) throws -> T) throws -> T {
        var configuration = Configuration()
        configuration.readonly = true
        let database = try DatabaseQueue(path: path("\(site)/nightdesk.sqlite"), configuration: configuration)
        defer { try? database.close() }
        return try database.read(body)
    }
}
