import Foundation
import TOMLKit

/// The links of a cluster on 127.0.0.1 run through fault proxies, one per directed link, so that a site's WAN can
/// be cut for real (8.1 c, d) while every node process keeps running.
///
/// The mesh (PROTOCOL.md, Sockets) has each node bind its ROUTER on its own `sync` endpoint and connect one DEALER
/// to each peer's: frames from A to B go only on A's connection to B. So each node gets its own copy of the
/// topology, `cluster-<SITE>.toml`, identical except that each peer's `sync` names the proxy for this node's link
/// to that peer; its own entry keeps the real port it binds. Nothing requires the sites' topology files to be
/// byte-identical: the `hello` carries only the cluster id, and keys are checked per site.
///
/// The proxies' threads run until `stop()`, which the owner calls (and `deinit` does).
public final class ProxiedLinks: @unchecked Sendable {
    /// The sites, in the topology's order.
    public let sites: [String]
    /// The proxy carrying frames from `from` to `to`, per ordered pair; fixed once made.
    private let proxies: [String: FaultProxy]

    /// One proxy for every ordered pair of `sites`, each forwarding to the target's real port in `syncPorts`.
    /// Stops the proxies already made if one cannot be.
    public init(sites: [String], syncPorts: [String: UInt16]) throws {
        let missing = sites.filter { syncPorts[$0] == nil }
        guard missing.isEmpty else {
            throw ClusterError.topology(
                problem: "no sync port for \(missing.joined(separator: ", ")) to proxy links to")
        }
        let reserved = Set(syncPorts.values)
        var made: [String: FaultProxy] = [:]
        do {
            for from in sites {
                for to in sites where to != from {
                    // Never a port a node is about to bind: the nodes have not started, so a probe sees it free.
                    made[Self.key(from, to)] = try FaultProxy(targetPort: syncPorts[to]!, avoiding: reserved)
                }
            }
        } catch {
            for proxy in made.values { proxy.stop() }
            throw error
        }
        self.sites = sites
        self.proxies = made
    }

    deinit { stop() }

    private static func key(_ from: String, _ to: String) -> String { "\(from)>\(to)" }

    /// The name of `site`'s own copy of the topology, next to the cluster's `cluster.toml`.
    public static func topologyFileName(for site: String) -> String { "cluster-\(site).toml" }

    /// The proxy carrying what `from` sends to `to`.
    public func proxy(from: String, to: String) -> FaultProxy? { proxies[Self.key(from, to)] }

    /// `site`'s copy of the cluster's topology text `common`: each peer's `sync` is the proxy of `site`'s link to it.
    public func topology(for site: String, from common: String) throws -> String {
        var ports: [String: UInt16] = [:]
        for peer in sites where peer != site {
            guard let proxy = proxy(from: site, to: peer) else {
                throw ClusterError.topology(problem: "\(site) is not a site of these proxied links")
            }
            ports[peer] = proxy.port
        }
        return try ProxiedTopology.rewrite(common, syncPorts: ports)
    }

    /// Writes every site's copy of the topology at `commonPath` next to it (`cluster-<SITE>.toml`); the paths by
    /// site.
    public func writeTopologies(common commonPath: String) throws -> [String: String] {
        let common = try String(contentsOfFile: commonPath, encoding: .utf8)
        let folder = (commonPath as NSString).deletingLastPathComponent
        var written: [String: String] = [:]
        for site in sites {
            let path = (folder as NSString).appendingPathComponent(Self.topologyFileName(for: site))
            try topology(for: site, from: common).write(toFile: path, atomically: true, encoding: .utf8)
            written[site] = path
        }
        return written
    }

    /// Cuts both directions of every link to and from `site`: it keeps running, alone.
    public func isolate(_ site: String, _ mode: LinkCut = .blackHole) {
        for other in sites where other != site {
            proxy(from: site, to: other)?.cut(mode)
            proxy(from: other, to: site)?.cut(mode)
        }
    }

    /// Restores every link.
    public func healAll() {
        for proxy in proxies.values { proxy.heal() }
    }

    /// Stops every proxy: nothing crosses any link after this.
    public func stop() {
        for proxy in proxies.values { proxy.stop() }
    }
}

/// Rewriting a cluster's topology text for one site whose links run through proxies.
public enum ProxiedTopology {
    /// `topology` (the text of a `cluster.toml`) with the `sync` endpoint of each site in `syncPorts` pointed at
    /// that port of 127.0.0.1, where its proxy listens. Every other line (other keys, comments, the other sites'
    /// entries) is left exactly as it was; a site named but absent, or without exactly one `sync` line, is an error.
    public static func rewrite(_ topology: String, syncPorts: [String: UInt16]) throws -> String {
        var lines = topology.components(separatedBy: "\n")
        // Each `[[sites]]` entry runs from its header to the next table header.
        var entries: [Range<Int>] = []
        var start: Int?
        for (index, line) in lines.enumerated() where line.trimmingCharacters(in: .whitespaces).hasPrefix("[") {
            if let start { entries.append(start..<index) }
            start = line.trimmingCharacters(in: .whitespaces).hasPrefix("[[sites]]") ? index : nil
        }
        if let start { entries.append(start..<lines.count) }

        var rewritten: Set<String> = []
        for entry in entries {
            let codes = entry.compactMap { quotedValue(of: "code", in: lines[$0]) }
            guard codes.count == 1, let code = codes.first, let port = syncPorts[code] else { continue }
            let syncLines = entry.filter { quotedValue(of: "sync", in: lines[$0]) != nil }
            guard syncLines.count == 1, let index = syncLines.first else {
                throw ClusterError.topology(
                    problem: "site \(code) has \(syncLines.count) sync lines; it needs exactly one "
                        + "(sync = \"tcp://…\")")
            }
            guard rewritten.insert(code).inserted else {
                throw ClusterError.topology(
                    problem: "site \(code) is listed twice; each site needs one [[sites]] entry")
            }
            lines[index] = replacingQuotedValue(of: "sync", in: lines[index], with: "tcp://127.0.0.1:\(port)")
        }
        let absent = syncPorts.keys.filter { !rewritten.contains($0) }.sorted()
        guard absent.isEmpty else {
            throw ClusterError.topology(
                problem: "no [[sites]] entry with code = \"…\" for \(absent.joined(separator: ", ")) "
                    + "to point at a proxy")
        }
        let result = lines.joined(separator: "\n")
        try check(result, against: topology, syncPorts: syncPorts)
        return result
    }

    /// Reads both texts as TOML and asserts that only the named sites' `sync` values differ, and as asked: the
    /// line-wise rewrite cannot have been misled by a multi-line string or an inline table.
    private static func check(_ result: String, against original: String, syncPorts: [String: UInt16]) throws {
        func sites(_ text: String) throws -> [(code: String?, sync: String?)] {
            let table: TOMLTable
            do { table = try TOMLTable(string: text) } catch {
                throw ClusterError.topology(problem: "the topology is not valid TOML: \(error)")
            }
            return (table["sites"]?.array ?? []).map {
                let site = $0.table
                return (site?["code"]?.string, site?["sync"]?.string)
            }
        }
        let before = try sites(original)
        let after = try sites(result)
        guard before.count == after.count else {
            throw ClusterError.topology(problem: "rewriting changed the number of sites; write one key per line")
        }
        for (old, new) in zip(before, after) {
            let expected = old.code.flatMap { syncPorts[$0] }.map { "tcp://127.0.0.1:\($0)" } ?? old.sync
            guard old.code == new.code, new.sync == expected else {
                throw ClusterError.topology(
                    problem: "site \(old.code ?? "?")'s sync could not be rewritten line by line; write it as "
                        + "sync = \"tcp://host:port\" on a line of its own")
            }
        }
    }

    /// The string value of `key` when `line` is `key = "value"` (spaces and a trailing comment allowed).
    private static func quotedValue(of key: String, in line: String) -> String? {
        quotedValueRange(of: key, in: line).map { String(line[$0]) }
    }

    private static func replacingQuotedValue(of key: String, in line: String, with value: String) -> String {
        guard let range = quotedValueRange(of: key, in: line) else { return line }
        return line.replacingCharacters(in: range, with: value)
    }

    private static func quotedValueRange(of key: String, in line: String) -> Range<String.Index>? {
        var rest = line[...].drop { $0 == " " || $0 == "\t" }
        guard rest.hasPrefix(key) else { return nil }
        rest = rest.dropFirst(key.count).drop { $0 == " " || $0 == "\t" }
        guard rest.first == "=" else { return nil }
        rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
        guard rest.first == "\"" else { return nil }
        let valueStart = rest.index(after: rest.startIndex)
        guard let valueEnd = rest[valueStart...].firstIndex(of: "\"") else { return nil }
        return valueStart..<valueEnd
    }
}
