import Domain
import Foundation
import Mesh
import Replication
import Sodium
import Store
import TOMLKit

/// The file `nightdesk node run --config` reads: which data folder, topology and key folder make this node.
///
///     data = "WST"                                  # the data folder (relative paths: from this file's folder)
///     topology = "../Topology/sample-cluster.toml"
///     keys = "keys/WST"                             # this site's key bundle (`nightdesk keys bundle`)
///     metrics = "127.0.0.1:9601"                    # optional: Prometheus endpoint, GET /metrics
///     statusIntervalMs = 60000                      # optional: how often the node logs its status
///     transports = "transports.toml"                # the outbox's transports; needed when the topology
///                                                   # marks this site delivers = true, refused otherwise
///     outboxRetryDelayMs = 60000                    # optional: wait after a first failed send (doubles after each)
///     outboxInterruptedAfterMs = 120000             # optional: an attempt with no result this long was interrupted
///     peerDownAfterMs = 3000                        # optional: a peer unheard for this long is down (failover)
///
/// Everything is read and checked before the node starts: a bad file, an unknown site, a missing key or a
/// topology problem stops it with every problem listed (exit 78), and nothing is bound or written.
///
/// Who delivers the outbox is the topology's to say, so that every node elects senders from the same facts
/// (`DeliveryElection`): a site marked `delivers = true` must be started with `transports`, and a site not so
/// marked must not be given one (its node would never be elected to send, and would say so only by silence).
public struct NodeRunConfiguration: Sendable {
    public let path: String
    public let folder: NodeFolder
    public let topology: ClusterTopology
    public let sync: SyncConfiguration
    /// Where to serve metrics, if anywhere.
    public let metrics: (host: String, port: Int)?
    public let statusIntervalMs: Int
    /// How this node delivers the outbox; `nil` when its site does not deliver (the topology says which do).
    public let outbox: OutboxSettings?
    /// The line tests this node makes (8.13); `nil` when the configuration names no `lineTests` file.
    public let lineTests: LineTestConfiguration?

    /// The outbox's part of the configuration.
    public struct OutboxSettings: Sendable {
        public let transports: TransportsConfiguration
        public let policy: OutboxRetryPolicy
    }

    /// How long a peer may go unheard (no heartbeat, no frame) before this node marks it down, stops routing calls
    /// to it and lets the timers pass to another site (DESIGN.md "Failover and traffic"; 8.1). Heartbeats go every
    /// second, so the default allows two to be lost; with the status file rewritten every second a dead site's
    /// traffic has moved within about 4 s (goal: under 5 s, BENCHMARKS.md "Failover").
    public static let peerDownAfterMsDefault: Int64 = 3_000
    /// Below this a peer could be marked down between two heartbeats on a busy machine.
    public static let peerDownAfterMsRange: ClosedRange<Int64> = 1_500...600_000

    /// The file `mesh-status.json` in the data folder: what `node status` reads.
    public static let statusFileName = "mesh-status.json"

    struct File: Codable {
        var data: String
        var topology: String
        var keys: String
        var metrics: String?
        var statusIntervalMs: Int?
        var transports: String?
        var outboxRetryDelayMs: Int64?
        var outboxInterruptedAfterMs: Int64?
        var lineTests: String?
        var peerDownAfterMs: Int64?
    }

    public static func load(path: String) throws -> NodeRunConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw NodeError.unreadable(path: path, reason: "cannot read the node configuration file: \(error.localizedDescription)")
        }
        let file: File
        do {
            let table = try TOMLTable(string: text)
            let known: Set<String> = [
                "data", "topology", "keys", "metrics", "statusIntervalMs", "transports", "outboxRetryDelayMs",
                "outboxInterruptedAfterMs", "lineTests", "peerDownAfterMs",
            ]
            let unknown = table.keys.filter { !known.contains($0) }.sorted()
            guard unknown.isEmpty else {
                throw NodeError.invalidFile(
                    path: path, problems: unknown.map { "unknown key '\($0)'; the keys are \(known.sorted().joined(separator: ", "))" })
            }
            file = try TOMLDecoder().decode(File.self, from: table)
        } catch let error as NodeError {
            throw error
        } catch {
            throw NodeError.invalidFile(path: path, problems: ["\(error)"])
        }
        let base = (path as NSString).deletingLastPathComponent
        func resolve(_ relative: String) -> String {
            relative.hasPrefix("/") ? relative : ((base.isEmpty ? "." : base) as NSString).appendingPathComponent(relative)
        }
        var problems: [String] = []
        var metrics: (String, Int)?
        if let text = file.metrics {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count == 2, !parts[0].isEmpty, let port = Int(parts[1]), (1...65_535).contains(port) {
                metrics = (String(parts[0]), port)
            } else {
                problems.append("metrics '\(text)' must be HOST:PORT, e.g. 127.0.0.1:9601")
            }
        }
        let interval = file.statusIntervalMs ?? 60_000
        if !(100...86_400_000).contains(interval) { problems.append("statusIntervalMs must be from 100 to 86400000") }
        let retryDelayMs = file.outboxRetryDelayMs ?? OutboxLimits.retryDelayMsDefault
        if !(0...OutboxLimits.retryDelayMsMax).contains(retryDelayMs) {
            problems.append("outboxRetryDelayMs must be from 0 to \(OutboxLimits.retryDelayMsMax)")
        }
        let interruptedAfterMs = file.outboxInterruptedAfterMs ?? OutboxLimits.interruptedAfterMsDefault
        if !(1...86_400_000).contains(interruptedAfterMs) {
            problems.append("outboxInterruptedAfterMs must be from 1 to 86400000")
        }
        if file.transports == nil, file.outboxRetryDelayMs != nil || file.outboxInterruptedAfterMs != nil {
            problems.append(
                "outboxRetryDelayMs and outboxInterruptedAfterMs apply only to a node that delivers: add transports "
                    + "= \"FILE\" or remove them")
        }
        let downAfterMs = file.peerDownAfterMs ?? peerDownAfterMsDefault
        if !peerDownAfterMsRange.contains(downAfterMs) {
            problems.append(
                "peerDownAfterMs \(downAfterMs) must be from \(peerDownAfterMsRange.lowerBound) to "
                    + "\(peerDownAfterMsRange.upperBound): heartbeats go every 1000 ms, so allow at least one to be late")
        }
        guard problems.isEmpty else { throw NodeError.invalidFile(path: path, problems: problems) }

        let folder = try NodeFolder.open(path: resolve(file.data), expectedSite: nil)
        let catalogue = try folder.database.catalogue()
        let topology = try ClusterTopology.load(
            path: resolve(file.topology), knownOrganisations: Set(catalogue.organisations.map(\.code)))
        guard let me = topology.site(folder.site) else {
            throw NodeError.invalidFile(
                path: resolve(file.topology),
                problems: ["site \(folder.site) (of data folder \(folder.path)) is not in this topology; add it or use its cluster's topology"])
        }
        let outbox = try loadOutbox(
            file, me: me, topologyPath: resolve(file.topology), configurationPath: path, resolve: resolve,
            policy: OutboxRetryPolicy(retryDelayMs: retryDelayMs, interruptedAfterMs: interruptedAfterMs))
        let ring = try SiteKeyRing.load(folder: resolve(file.keys), site: folder.site, topology: topology, catalogue: catalogue)
        var sync = try makeSyncConfiguration(
            topology: topology, me: me, ring: ring, statusPath: (folder.path as NSString).appendingPathComponent(statusFileName))
        sync.session.downAfterMs = downAfterMs
        let lineTests = try file.lineTests.map { try LineTestConfiguration.load(path: resolve($0), catalogue: catalogue) }
        return NodeRunConfiguration(
            path: path, folder: folder, topology: topology, sync: sync, metrics: metrics, statusIntervalMs: interval,
            outbox: outbox, lineTests: lineTests)
    }

    /// The transports file and retry policy, checked against what the topology says of this site.
    static func loadOutbox(
        _ file: File, me: TopologySite, topologyPath: String, configurationPath: String,
        resolve: (String) -> String, policy: OutboxRetryPolicy
    ) throws -> OutboxSettings? {
        guard let given = file.transports else {
            guard !me.delivers else {
                throw NodeError.invalidFile(
                    path: configurationPath,
                    problems: [
                        "site \(me.code) delivers the outbox (delivers = true in \(topologyPath)) but this file names "
                            + "no transports: add transports = \"transports.toml\" (see README, \"Messages: the "
                            + "outbox\"), or set delivers = false for \(me.code) in the topology on every site"
                    ])
            }
            return nil
        }
        guard me.delivers else {
            throw NodeError.invalidFile(
                path: configurationPath,
                problems: [
                    "transports = \"\(given)\" is given, but site \(me.code) does not deliver the outbox (no delivers "
                        + "= true in \(topologyPath)), so it would never be elected to send: add delivers = true to "
                        + "\(me.code)'s entry in the topology on every site, or remove transports"
                ])
        }
        let transports = try TransportsConfiguration.load(path: resolve(given))
        // An attempt must not be taken for interrupted while its transport may still be at work (README, "the
        // delivery rule"): the bound is above every time limit of this node's transports.
        let limits = transports.byChannel.values.compactMap { transport -> (String, Int)? in
            switch transport {
            case let sendmail as SendmailTransport: (sendmail.name, sendmail.timeoutMs)
            case let notify as NotifyTransport: (notify.name, notify.timeoutMs)
            default: nil
            }
        }
        if let longest = limits.max(by: { $0.1 < $1.1 }), Int64(longest.1) >= policy.interruptedAfterMs {
            throw NodeError.invalidFile(
                path: configurationPath,
                problems: [
                    "outboxInterruptedAfterMs (\(policy.interruptedAfterMs)) must be longer than the \(longest.0) "
                        + "transport's timeoutMs (\(longest.1)), or an attempt still under way could be taken for an "
                        + "interrupted one and the message sent twice"
                ])
        }
        return OutboxSettings(transports: transports, policy: policy)
    }

    /// The sync service's configuration for site `me` of `topology`, with the keys of `ring`.
    static func makeSyncConfiguration(topology: ClusterTopology, me: TopologySite, ring: SiteKeyRing, statusPath: String)
        throws -> SyncConfiguration
    {
        let others = topology.sites.filter { $0.code != me.code }
        guard let (host, port) = tcpHostAndPort(me.sync) else {
            throw NodeError.invalidFile(
                path: topology.path, problems: ["site \(me.code): sync '\(me.sync)' must be tcp://HOST:PORT for the site to listen on"])
        }
        var mesh = MeshConfiguration(
            site: SiteID(me.code.rawValue), keyPair: ring.curve,
            peers: others.map { MeshPeer(site: SiteID($0.code.rawValue), endpoint: $0.sync, publicKey: $0.curvePublicKey) },
            allowedClients: Dictionary(uniqueKeysWithValues: others.map { (SiteID($0.code.rawValue), $0.curvePublicKey) }))
        mesh.listenHost = host
        mesh.listenPort = port
        // A site back from an outage is streamed to once its peers' links reconnect: retry within a second.
        mesh.reconnectIntervalMax = .seconds(1)
        var dataKeys: [ChangeScope: DataKey] = [:]
        for scope in ring.scopes {
            guard let key = ring.dataKey(for: scope) else { continue }
            switch scope {
            case .cluster: dataKeys[.cluster] = key
            case .organisation(let code): dataKeys[.organisation(code.rawValue)] = key
            }
        }
        var configuration = SyncConfiguration(
            site: SiteID(me.code.rawValue), cluster: topology.cluster.rawValue, mesh: mesh,
            signers: Dictionary(uniqueKeysWithValues: topology.sites.map { (SiteID($0.code.rawValue), $0.signingPublicKey) }),
            signingKeyPair: ring.signing, dataKeys: dataKeys)
        configuration.statusPath = statusPath
        configuration.votingSites = topology.sites.filter { $0.role == .site }.map { SiteID($0.code.rawValue) }
        if case .every = me.holds {} else { configuration.holdsEveryOrganisation = false }
        return configuration
    }

    static func tcpHostAndPort(_ endpoint: String) -> (String, UInt16)? {
        guard endpoint.hasPrefix("tcp://") else { return nil }
        let rest = endpoint.dropFirst("tcp://".count)
        guard let colon = rest.lastIndex(of: ":"), let port = UInt16(rest[rest.index(after: colon)...]), port > 0 else {
            return nil
        }
        let host = String(rest[..<colon])
        return host.isEmpty ? nil : (host, port)
    }
}
