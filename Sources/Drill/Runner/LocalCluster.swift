import Domain
import Foundation
import Node
import TOMLKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A cluster problem, worded for the tester.
public enum ClusterError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A command that sets the cluster up failed.
    case commandFailed(arguments: [String], status: Int32, output: String)
    /// The attached cluster's folder lacks what the drill needs.
    case notACluster(path: String, problem: String)
    /// A node did not start, stop or answer in time.
    case node(site: String, problem: String)
    /// A topology file cannot be rewritten for proxied links.
    case topology(problem: String)
    /// A real WAN cut was asked of a cluster whose links do not run through fault proxies.
    case linksNotProxied(path: String, attached: Bool)

    public var description: String {
        switch self {
        case .commandFailed(let arguments, let status, let output):
            "`nightdesk \(arguments.joined(separator: " "))` failed with status \(status): \(output)"
        case .notACluster(let path, let problem): "\(path): \(problem)"
        case .node(let site, let problem): "site \(site): \(problem)"
        case .topology(let problem): "topology: \(problem)"
        case .linksNotProxied(let path, let attached):
            attached
                ? "\(path) is an attached cluster, whose links do not run through the runner's fault proxies: a real "
                    + "WAN cut needs a cluster the runner made; run the drill without --cluster"
                : "the cluster in \(path) was made without proxied links: a real WAN cut needs a cluster the runner "
                    + "made with proxiedLinks (not an attached one)"
        }
    }
}

/// The nodes a drill runs against: a cluster of local sites the runner starts in a work folder, or a running
/// cluster it attaches to (`--cluster DIR`, e.g. the demo's `demo-data`).
///
/// Each site is a real `nightdesk node run --config` process on 127.0.0.1 with its own data folder. The runner
/// finds a node it did not start by the `node.pid` file `node run` writes in its data folder. A cluster the runner
/// makes with `proxiedLinks` carries every link between sites through a `FaultProxy` it owns, so a drill can cut a
/// site's WAN for real (8.1 c, d) with every process still running.
public final class LocalCluster: @unchecked Sendable {
    public struct Site: Sendable {
        public let code: String
        /// The node's configuration file (`node run --config`).
        public let configPath: String
        public let dataPath: String
        public let logPath: String
    }

    /// The folder holding the topology, configurations, data folders and logs.
    public let root: String
    public let sites: [Site]
    /// Whether the runner made this cluster (and so stops its nodes at the end).
    public let owned: Bool
    let binary: URL
    private var processes: [String: Process] = [:]
    private var attachedPIDs: [String: pid_t] = [:]
    /// The proxies every link between sites runs through, when the cluster was made with `proxiedLinks`.
    private let links: ProxiedLinks?

    public static let pidFileName = "node.pid"

    private init(root: String, sites: [Site], owned: Bool, binary: URL, links: ProxiedLinks? = nil) {
        self.root = root
        self.sites = sites
        self.owned = owned
        self.binary = binary
        self.links = links
    }

    public func site(_ code: String) -> Site? { sites.first { $0.code == code } }

    /// Makes a new cluster of `codes` in `root` with the operator's commands (keys generate, keys data, keys
    /// bundle, init), each site listening on a free port of 127.0.0.1. Starts no node. With `proxiedLinks`, every
    /// directed link between sites runs through a fault proxy of this cluster, and each site's configuration names
    /// its own copy of the topology (`cluster-<SITE>.toml`), identical but for the peers' sync ports.
    public static func create(
        root: String, codes: [String], catalogue: String, binary: URL, proxiedLinks: Bool = false
    ) throws -> LocalCluster {
        let fileManager = FileManager.default
        try fileManager.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        func path(_ relative: String) -> String { (root as NSString).appendingPathComponent(relative) }
        func succeed(_ arguments: [String]) throws {
            let (status, output) = try runCommand(binary, arguments)
            guard status == 0 else { throw ClusterError.commandFailed(arguments: arguments, status: status, output: output) }
        }
        var topology = "# A local drill cluster on 127.0.0.1, made by `nightdesk drill run`.\ncluster = \"drill\"\n"
        var syncPorts: [String: UInt16] = [:]
        for code in codes {
            try succeed(["keys", "generate", "--site", code, "--dir", path("keys")])
            var port = try freePort()
            while syncPorts.values.contains(port) { port = try freePort() }
            syncPorts[code] = port
            topology += """

                [[sites]]
                code = "\(code)"
                name = "Drill site \(code)"
                role = "site"
                sync = "tcp://127.0.0.1:\(port)"
                publicKeys = "keys/\(code).public.toml"
                holds = ["*"]

                """
        }
        try topology.write(toFile: path("cluster.toml"), atomically: true, encoding: .utf8)
        let common = ["--topology", path("cluster.toml"), "--catalogue", catalogue]
        try succeed(["keys", "data"] + common + ["--dir", path("keys")])
        // Released (and so stopped) if anything below fails.
        let links = proxiedLinks ? try ProxiedLinks(sites: codes, syncPorts: syncPorts) : nil
        _ = try links?.writeTopologies(common: path("cluster.toml"))
        var sites: [Site] = []
        for code in codes {
            try succeed(["keys", "bundle"] + common + ["--site", code, "--from", path("keys"), "--to", path("bundles/\(code)")])
            try succeed(["init", "--data", path(code), "--site", code, "--catalogue", catalogue, "--no-gazetteers"])
            try """
                # Node configuration for drill site \(code) (nightdesk node run --config \(code).toml)
                data = "\(code)"
                topology = "\(links == nil ? "cluster.toml" : ProxiedLinks.topologyFileName(for: code))"
                keys = "bundles/\(code)"
                statusIntervalMs = 60000

                """.write(toFile: path("\(code).toml"), atomically: true, encoding: .utf8)
            sites.append(Site(code: code, configPath: path("\(code).toml"), dataPath: path(code), logPath: path("\(code).log")))
        }
        return LocalCluster(root: root, sites: sites, owned: true, binary: binary, links: links)
    }

    /// Attaches to the running cluster in `root`: each of `codes` needs `<code>.toml` there, naming its data
    /// folder, and a live node whose pid is in that folder's `node.pid`. Changes nothing.
    public static func attach(root: String, codes: [String], binary: URL) throws -> LocalCluster {
        var sites: [Site] = []
        var pids: [String: pid_t] = [:]
        var problems: [String] = []
        for code in codes {
            let config = (root as NSString).appendingPathComponent("\(code).toml")
            guard let text = try? String(contentsOfFile: config, encoding: .utf8) else {
                problems.append("no node configuration \(config) for site \(code): is \(code) a site of this cluster?")
                continue
            }
            guard let data = (try? TOMLTable(string: text))?["data"]?.string else {
                problems.append("\(config) names no data folder (data = \"...\")")
                continue
            }
            let dataPath = data.hasPrefix("/") ? data : (root as NSString).appendingPathComponent(data)
            let pidPath = (dataPath as NSString).appendingPathComponent(pidFileName)
            guard let pidText = try? String(contentsOfFile: pidPath, encoding: .utf8),
                let pid = pid_t(pidText.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0, kill(pid, 0) == 0
            else {
                problems.append("site \(code)'s node is not running (no live pid in \(pidPath)); start the cluster first")
                continue
            }
            pids[code] = pid
            sites.append(
                Site(code: code, configPath: config, dataPath: dataPath, logPath: (root as NSString).appendingPathComponent("\(code).log")))
        }
        guard problems.isEmpty else { throw ClusterError.notACluster(path: root, problem: problems.joined(separator: "; ")) }
        let cluster = LocalCluster(root: root, sites: sites, owned: false, binary: binary)
        cluster.attachedPIDs = pids
        return cluster
    }

    /// Starts `code`'s node, its log appended to `<code>.log`.
    public func start(_ code: String) throws {
        guard let site = site(code) else { throw ClusterError.node(site: code, problem: "not a site of this drill") }
        if !FileManager.default.fileExists(atPath: site.logPath) {
            guard FileManager.default.createFile(atPath: site.logPath, contents: nil, attributes: [.posixPermissions: 0o600])
            else { throw ClusterError.node(site: code, problem: "cannot create its log \(site.logPath)") }
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: site.logPath))
        log.seekToEndOfFile()
        let process = Process()
        process.executableURL = binary
        process.arguments = ["node", "run", "--config", site.configPath]
        var environment = ProcessInfo.processInfo.environment
        environment["NIGHTDESK_DATA"] = nil
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = log
        try process.run()
        try log.close()
        processes[code] = process
        attachedPIDs[code] = nil
    }

    /// The pid of `code`'s node, if it is running.
    public func pid(_ code: String) -> pid_t? {
        if let process = processes[code] { return process.isRunning ? process.processIdentifier : nil }
        if let pid = attachedPIDs[code], kill(pid, 0) == 0 { return pid }
        return nil
    }

    /// Sends `signal` to `code`'s node.
    public func signal(_ code: String, _ signal: Int32) throws {
        guard let pid = pid(code) else { throw ClusterError.node(site: code, problem: "its node is not running") }
        kill(pid, signal)
    }

    /// Waits until `code`'s node has exited; false if it is still running after `seconds`.
    public func waitForExit(_ code: String, seconds: Double = RunnerLimits.nodeWaitSecondsMax) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while pid(code) != nil, Date() < deadline { usleep(50_000) }
        if let process = processes[code], !process.isRunning { process.waitUntilExit() }
        return pid(code) == nil
    }

    /// Stops every node the runner started: SIGCONT (a frozen node cannot act on SIGTERM), SIGTERM, then SIGKILL
    /// for any still running after the wait; then the link proxies, once no node needs them.
    public func stopStarted() {
        for (code, process) in processes where process.isRunning {
            kill(process.processIdentifier, SIGCONT)
            kill(process.processIdentifier, SIGTERM)
            if !waitForExit(code) { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        links?.stop()
    }

    deinit {
        for process in processes.values where process.isRunning && owned {
            kill(process.processIdentifier, SIGCONT)
            kill(process.processIdentifier, SIGKILL)
        }
        links?.stop()
    }

    // MARK: - WAN links (8.1 c, d)

    /// Whether every link between sites runs through a fault proxy of this cluster, so a WAN cut can be real.
    public var hasProxiedLinks: Bool { links != nil }

    /// Cuts both directions of every link to and from `site`, as a black hole (what a cut circuit looks like:
    /// nothing crosses and each end notices only by its own timeouts); every node keeps running. Takes effect
    /// within `FaultProxyLimits.pollIntervalMs`.
    public func cutLinks(of site: String) throws {
        guard let links else { throw ClusterError.linksNotProxied(path: root, attached: !owned) }
        guard self.site(site) != nil else { throw ClusterError.node(site: site, problem: "not a site of this drill") }
        links.isolate(site, .blackHole)
    }

    /// Restores every link: what waited in the senders' buffers crosses, and the nodes reconnect.
    public func healLinks() throws {
        guard let links else { throw ClusterError.linksNotProxied(path: root, attached: !owned) }
        links.healAll()
    }

    /// Bytes the proxy of the link from `from` to `to` has carried (both ways on the connections `from` made),
    /// or nil when the cluster has no such proxied link.
    public func bytesCarried(from: String, to: String) -> Int? {
        links?.proxy(from: from, to: to)?.bytesForwarded
    }

    /// A TCP port of 127.0.0.1 that was free a moment ago, below the range the system hands out for outgoing
    /// connections (the runner's own copy of the test support's `freeLoopbackPort()`; the fault proxies use it too).
    static func freePort() throws -> UInt16 {
        for _ in 0..<500 {
            let port = UInt16.random(in: 20_000...32_000)
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { break }
            defer { close(descriptor) }
            var address = FaultProxy.loopback(port)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if bound == 0 { return port }
        }
        throw ClusterError.node(site: "-", problem: "no free TCP port on 127.0.0.1")
    }
}

/// Runs `binary arguments` to completion; its status and combined output.
func runCommand(_ binary: URL, _ arguments: [String]) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["NIGHTDESK_DATA"] = nil
    process.environment = environment
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}
