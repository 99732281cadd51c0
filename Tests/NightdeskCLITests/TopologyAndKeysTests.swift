import Foundation
import Testing

/// The sample cluster in a temporary folder, with every site's keys made by `nightdesk keys generate`.
final class SampleCluster {
    static let sites = ["WST", "EST", "NTH", "EAR"]
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("nightdesk-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        // The copy sits beside its own keys/ folder, which its publicKeys paths are relative to.
        try FileManager.default.copyItem(
            at: Repository.root.appendingPathComponent("Topology/sample-cluster.toml"),
            to: root.appendingPathComponent("cluster.toml"))
        for site in Self.sites {
            let result = try NightdeskBinary.run(["keys", "generate", "--site", site, "--dir", keys])
            try #require(result.status == 0, "\(result)")
        }
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    var topology: String { path("cluster.toml") }
    var keys: String { path("keys") }
    func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// Runs a `keys` or `topology` subcommand against this cluster's topology and the real catalogue.
    func run(_ command: [String], _ arguments: [String] = []) throws -> RunResult {
        try NightdeskBinary.run(
            command + ["--topology", topology, "--catalogue", Repository.cataloguePath] + arguments)
    }

    /// Runs `keys data` into the cluster's key folder, which must succeed.
    @discardableResult
    func makeDataKeys() throws -> DataKeysJSON {
        let result = try run(["keys", "data"], ["--dir", keys, "--json"])
        try #require(result.status == 0, "\(result)")
        return try decode(DataKeysJSON.self, result.stdout)
    }

    func bundle(_ site: String, to folder: String, _ extra: [String] = []) throws -> RunResult {
        try run(["keys", "bundle"], ["--site", site, "--from", keys, "--to", folder] + extra)
    }
}

struct DataKeysJSON: Decodable {
    let cluster: String
    let dir: String
    let created: [String]
    let kept: [String]
}

struct BundleJSON: Decodable {
    let site: String
    let role: String
    let to: String
    let files: [String]
    let removed: [String]
}

struct TopologyJSON: Decodable {
    struct Site: Decodable {
        let code: String
        let role: String
        let sync: String
        let holdsEvery: Bool
        let organisations: [String]
        let curveFingerprint: String
        let signingFingerprint: String
    }
    let cluster: String
    let sites: [Site]
}

@Suite struct TopologyAndKeysTests {
    let cluster: SampleCluster
    init() throws { cluster = try SampleCluster() }

    static let organisations = ["BAR", "EAL", "ENF", "HAV", "HFH", "HGY", "PEA", "RBK", "TWH", "WAN", "WFO"]
    static let allDataKeys = ["cluster.data.key"] + organisations.map { "\($0).data.key" }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    func contents(_ folder: String) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: folder))
    }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    // MARK: topology check

    @Test func topologyCheckSummarisesTheSampleCluster() throws {
        let result = try cluster.run(["topology", "check"], ["--json"])
        try #require(result.status == 0, "\(result)")
        let view = try decode(TopologyJSON.self, result.stdout)
        #expect(view.cluster == "london-ooh")
        #expect(view.sites.map(\.code) == SampleCluster.sites)
        #expect(view.sites.map(\.role) == ["site", "site", "site", "replica"])
        #expect(view.sites.map(\.sync) == (7601...7604).map { "tcp://127.0.0.1:\($0)" })
        #expect(view.sites.prefix(3).allSatisfy { $0.holdsEvery && $0.organisations == Self.organisations })
        #expect(view.sites.last?.holdsEvery == false)
        #expect(view.sites.last?.organisations == ["EAL"])
        #expect(view.sites.allSatisfy { $0.curveFingerprint.hasPrefix("x25519:") })
        #expect(view.sites.allSatisfy { $0.signingFingerprint.hasPrefix("ed25519:") })

        let text = try cluster.run(["topology", "check"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("Cluster london-ooh"), "\(text)")
        #expect(text.stdout.contains("role replica, sync tcp://127.0.0.1:7604"), "\(text)")
    }

    @Test func topologyCheckListsEveryProblemAndExits78() throws {
        var text = try String(contentsOfFile: cluster.topology, encoding: .utf8)
        text = text.replacingOccurrences(of: "holds = [\"EAL\"]", with: "holds = [\"*\"]")
        text = text.replacingOccurrences(of: "tcp://127.0.0.1:7603", with: "tcp://127.0.0.1:70000")
        try text.write(toFile: cluster.topology, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: cluster.path("keys/NTH.public.toml"))

        let result = try cluster.run(["topology", "check"])
        #expect(result.status == 78, "\(result)")
        #expect(result.stdout.isEmpty)
        let topology = cluster.topology
        for line in [
            "the topology file \(topology) has 3 problems:",
            "  - \(topology): site NTH: sync 'tcp://127.0.0.1:70000' has port '70000', not a number from 1 to 65535",
            "  - \(topology): site NTH: the public-key file \(cluster.keys)/NTH.public.toml does not exist: run "
                + "`nightdesk keys generate --site NTH --dir \(cluster.keys)`, which writes it",
            "  - \(topology): site EAR: a replica must name the organisations it is given, not \"*\"",
        ] {
            #expect(result.stderr.contains(line), "missing \(line) in \(result)")
        }
    }

    // MARK: keys data

    @Test func keysDataCreatesEachMissingKeyOnceAndKeepsTheRest() throws {
        let first = try cluster.makeDataKeys()
        #expect(first.cluster == "london-ooh")
        #expect(first.created == Self.allDataKeys)
        #expect(first.kept.isEmpty)
        var before: [String: Data] = [:]
        for name in Self.allDataKeys {
            let path = "\(cluster.keys)/\(name)"
            #expect(try mode(path) == 0o600, "\(name)")
            #expect(try String(contentsOfFile: path, encoding: .utf8).contains("type: xchacha20poly1305-data-key"))
            before[name] = try bytes(path)
        }

        try FileManager.default.removeItem(atPath: "\(cluster.keys)/EAL.data.key")
        let second = try cluster.makeDataKeys()
        #expect(second.created == ["EAL.data.key"])
        #expect(second.kept == Self.allDataKeys.filter { $0 != "EAL.data.key" })
        for name in second.kept {
            #expect(try bytes("\(cluster.keys)/\(name)") == before[name], "\(name) was replaced")
        }
        #expect(try bytes("\(cluster.keys)/EAL.data.key") != before["EAL.data.key"])
        #expect(try mode("\(cluster.keys)/EAL.data.key") == 0o600)
    }

    @Test func keysDataRefusesAnUnusableExistingKeyAndWritesNothing() throws {
        try cluster.makeDataKeys()
        try FileManager.default.removeItem(atPath: "\(cluster.keys)/HAV.data.key")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: "\(cluster.keys)/EAL.data.key")
        let result = try cluster.run(["keys", "data"], ["--dir", cluster.keys])
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("run `chmod 600 \(cluster.keys)/EAL.data.key`"), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: "\(cluster.keys)/HAV.data.key"))
    }

    // MARK: keys bundle

    @Test func keysBundleGivesTheReplicaOnlyItsOwnOrganisationsKey() throws {
        try cluster.makeDataKeys()
        let target = cluster.path("EAR-bundle")
        let result = try cluster.bundle("EAR", to: target, ["--json"])
        try #require(result.status == 0, "\(result)")
        let view = try decode(BundleJSON.self, result.stdout)
        let expected = ["EAR.curve.key", "EAR.signing.key", "cluster.data.key", "EAL.data.key"]
        #expect(view.site == "EAR" && view.role == "replica")
        #expect(view.files == expected)
        #expect(view.removed.isEmpty)
        #expect(try contents(target) == Set(expected))
        #expect(try mode(target) == 0o700)
        for name in expected {
            #expect(try mode("\(target)/\(name)") == 0o600, "\(name)")
            #expect(try bytes("\(target)/\(name)") == bytes("\(cluster.keys)/\(name)"), "\(name) differs")
        }

        let west = cluster.path("WST-bundle")
        let whole = try cluster.bundle("WST", to: west)
        try #require(whole.status == 0, "\(whole)")
        #expect(try contents(west) == Set(["WST.curve.key", "WST.signing.key"] + Self.allDataKeys))
    }

    @Test func keysBundleRefusesANonEmptyFolderAndWritesNothing() throws {
        try cluster.makeDataKeys()
        let target = cluster.path("occupied")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        try Data("not a key".utf8).write(to: URL(fileURLWithPath: "\(target)/notes.txt"))

        let refused = try cluster.bundle("EAR", to: target)
        #expect(refused.status == 65, "\(refused)")
        #expect(refused.stdout.isEmpty)
        #expect(refused.stderr.contains("\(target) is not empty (it holds notes.txt)"), "\(refused)")
        #expect(try contents(target) == ["notes.txt"])

        // --force replaces only an earlier bundle, never a folder holding anything else.
        let forced = try cluster.bundle("EAR", to: target, ["--force"])
        #expect(forced.status == 65, "\(forced)")
        #expect(forced.stderr.contains("also holds notes.txt"), "\(forced)")
        #expect(try contents(target) == ["notes.txt"])
    }

    @Test func keysBundleWithForceReplacesAnEarlierBundleAndDropsKeysNoLongerHeld() throws {
        try cluster.makeDataKeys()
        let target = cluster.path("bundle")
        try #require(try cluster.bundle("WST", to: target).status == 0)
        let result = try cluster.bundle("EAR", to: target, ["--force", "--json"])
        try #require(result.status == 0, "\(result)")
        let view = try decode(BundleJSON.self, result.stdout)
        #expect(try contents(target) == ["EAR.curve.key", "EAR.signing.key", "cluster.data.key", "EAL.data.key"])
        let others = Self.organisations.filter { $0 != "EAL" }.map { "\($0).data.key" }
        #expect(Set(view.removed) == Set(["WST.curve.key", "WST.signing.key"] + others))
    }

    @Test func keysBundleNamesEachMissingKeyFileAndTheCommandThatMakesIt() throws {
        let target = cluster.path("EAR-bundle")
        let result = try cluster.bundle("EAR", to: target)
        #expect(result.status == 66, "\(result)")
        let makeData =
            "make it with `nightdesk keys data --topology \(cluster.topology) --catalogue \(Repository.cataloguePath) "
            + "--dir \(cluster.keys)`"
        #expect(result.stderr.contains("\(cluster.keys)/cluster.data.key is missing: \(makeData)"), "\(result)")
        #expect(result.stderr.contains("\(cluster.keys)/EAL.data.key is missing: \(makeData)"), "\(result)")
        #expect(!result.stderr.contains("HAV.data.key"), "a replica's bundle never asks for another organisation's key")
        #expect(!FileManager.default.fileExists(atPath: target))

        try FileManager.default.removeItem(atPath: "\(cluster.keys)/EAR.signing.key")
        try cluster.makeDataKeys()
        let again = try cluster.bundle("EAR", to: target)
        #expect(again.status == 66, "\(again)")
        #expect(
            again.stderr.contains(
                "\(cluster.keys)/EAR.signing.key is missing: make it with `nightdesk keys generate --site EAR --dir "
                    + "\(cluster.keys)`"),
            "\(again)")
        #expect(!FileManager.default.fileExists(atPath: target))
    }
}
