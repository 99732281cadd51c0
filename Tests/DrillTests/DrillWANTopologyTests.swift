import Foundation
import Testing

@testable import Drill

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The per-site topologies and proxies behind a drill's real WAN cut (8.1 c, d), without node processes.
@Suite struct DrillWANTopologyTests {
    /// A cluster topology written the way people write them: comments, keys in either order, a trailing comment.
    static let topology = """
        # The drill cluster.
        cluster = "drill"

        [[sites]]
        code = "WST"
        name = "West"
        role = "site"
        sync = "tcp://127.0.0.1:21001"
        publicKeys = "keys/WST.public.toml"
        holds = ["*"]

        [[sites]]
        name = "East"
        sync = "tcp://127.0.0.1:21002"   # the East call centre's port
        code = "EST"
        role = "site"
        publicKeys = "keys/EST.public.toml"
        holds = ["*"]

        [[sites]]
        code = "NTH"
        name = "North"
        role = "site"
          sync="tcp://127.0.0.1:21003"
        publicKeys = "keys/NTH.public.toml"
        holds = ["EAL", "ENF"]

        """

    @Test func theRewriteChangesOnlyThePeersSyncLines() throws {
        let rewritten = try ProxiedTopology.rewrite(Self.topology, syncPorts: ["EST": 30002, "NTH": 30003])
        let before = Self.topology.components(separatedBy: "\n")
        let after = rewritten.components(separatedBy: "\n")
        #expect(after.count == before.count)
        let changed = zip(before, after).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        #expect(changed.map { before[$0] } == [
            "sync = \"tcp://127.0.0.1:21002\"   # the East call centre's port",
            "  sync=\"tcp://127.0.0.1:21003\"",
        ])
        #expect(changed.map { after[$0] } == [
            "sync = \"tcp://127.0.0.1:30002\"   # the East call centre's port",
            "  sync=\"tcp://127.0.0.1:30003\"",
        ])
        #expect(rewritten.contains("sync = \"tcp://127.0.0.1:21001\""), "a site's own entry keeps the port it binds")
    }

    @Test func aSiteTheTopologyDoesNotListIsRefusedByName() {
        #expect {
            try ProxiedTopology.rewrite(Self.topology, syncPorts: ["EST": 30002, "XYZ": 30009])
        } throws: { error in
            "\(error)".contains("no [[sites]] entry") && "\(error)".contains("XYZ")
        }
    }

    @Test func aSiteWithoutExactlyOneSyncLineIsRefused() {
        let doubled = Self.topology.replacingOccurrences(
            of: "code = \"NTH\"", with: "code = \"NTH\"\nsync = \"tcp://127.0.0.1:21004\"")
        #expect {
            try ProxiedTopology.rewrite(doubled, syncPorts: ["NTH": 30003])
        } throws: { error in
            "\(error)".contains("site NTH has 2 sync lines")
        }
        let inline = "cluster = \"drill\"\nsites = [{ code = \"NTH\", sync = \"tcp://127.0.0.1:21003\" }]\n"
        #expect(throws: ClusterError.self) { try ProxiedTopology.rewrite(inline, syncPorts: ["NTH": 30003]) }
    }

    @Test func everyDirectedLinkHasItsOwnProxyAndEachSiteItsOwnTopologyFile() throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("nightdesk-links-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let common = folder.appendingPathComponent("cluster.toml").path
        try Self.topology.write(toFile: common, atomically: true, encoding: .utf8)
        let real: [String: UInt16] = ["WST": 21001, "EST": 21002, "NTH": 21003]
        let links = try ProxiedLinks(sites: ["WST", "EST", "NTH"], syncPorts: real)
        defer { links.stop() }

        let files = try links.writeTopologies(common: common)
        #expect(files["EST"] == folder.appendingPathComponent("cluster-EST.toml").path)
        var proxyPorts: Set<UInt16> = []
        for site in links.sites {
            let text = try String(contentsOfFile: try #require(files[site]), encoding: .utf8)
            for peer in links.sites {
                guard peer != site else {
                    #expect(text.contains("tcp://127.0.0.1:\(real[site]!)\""), "\(site) binds its own port")
                    continue
                }
                let proxy = try #require(links.proxy(from: site, to: peer))
                #expect(proxy.targetPort == real[peer])
                #expect(text.contains("tcp://127.0.0.1:\(proxy.port)\""), "\(site) dials \(peer) through its proxy")
                #expect(!text.contains("tcp://127.0.0.1:\(real[peer]!)\""), "\(site) never dials \(peer) directly")
                proxyPorts.insert(proxy.port)
            }
        }
        #expect(proxyPorts.count == 6, "one proxy per directed link")
        #expect(proxyPorts.isDisjoint(with: real.values), "no proxy takes a port a node is to bind")

        links.isolate("NTH")
        for site in links.sites {
            for peer in links.sites where peer != site {
                let expected: LinkCut? = site == "NTH" || peer == "NTH" ? .blackHole : nil
                #expect(links.proxy(from: site, to: peer)?.cut == expected, "\(site) → \(peer)")
            }
        }
        links.healAll()
        for site in links.sites {
            for peer in links.sites where peer != site { #expect(links.proxy(from: site, to: peer)?.cut == nil) }
        }
    }

    @Test func aWANCutOnAnAttachedClusterIsRefusedWithWhatToDo() throws {
        // An attached cluster as `attach` finds one: a node configuration and a live pid (this process's).
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("nightdesk-attach-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("WST"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "data = \"WST\"\n".write(to: folder.appendingPathComponent("WST.toml"), atomically: true, encoding: .utf8)
        try "\(getpid())\n".write(
            to: folder.appendingPathComponent("WST/\(LocalCluster.pidFileName)"), atomically: true, encoding: .utf8)
        let cluster = try LocalCluster.attach(
            root: folder.path, codes: ["WST"], binary: URL(fileURLWithPath: "/nonexistent/nightdesk"))

        #expect(!cluster.hasProxiedLinks)
        #expect(cluster.bytesCarried(from: "WST", to: "EST") == nil)
        #expect {
            try cluster.cutLinks(of: "WST")
        } throws: { error in
            guard case ClusterError.linksNotProxied(_, attached: true) = error else { return false }
            return "\(error)".contains("a real WAN cut needs a cluster the runner made")
                && "\(error)".contains("without --cluster")
        }
        #expect(throws: ClusterError.linksNotProxied(path: folder.path, attached: true)) { try cluster.healLinks() }
    }
}
