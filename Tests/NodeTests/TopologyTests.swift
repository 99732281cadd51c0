import Domain
import Foundation
import Node
import Sodium
import Testing

/// What every bad-endpoint message ends with.
private let usage = "give tcp://HOST:PORT with a port from 1 to 65535 (e.g. tcp://10.1.2.3:7601), or ipc://PATH"
/// What every bad-cluster-id message ends with.
private let idRule = "give printable ASCII without spaces, 1 to 64 characters, e.g. cluster = \"london-ooh\""
/// A cluster id one character too long.
private let longID = String(repeating: "x", count: 65)

/// Loading a cluster's topology file: the sample, `"*"`, and one test per problem, each with its exact message.
@Suite struct TopologyTests {
    let f: ClusterFixture
    init() throws { f = try ClusterFixture() }

    var path: String { f.topologyPath }

    func problem(_ place: String?, _ message: String) -> TopologyError.Problem {
        TopologyError.Problem(path: path, place: place, message: message)
    }

    // MARK: Good files

    @Test func theSampleClusterLoadsWithItsSitesRolesKeysAndHoldings() throws {
        let sample = try String(
            contentsOf: Repository.root.appendingPathComponent("Topology/sample-cluster.toml"), encoding: .utf8)
        let topology = try f.load(sample)
        #expect(topology.cluster.rawValue == "london-ooh")
        #expect(topology.sites.map(\.code.rawValue) == ["WST", "EST", "NTH", "EAR"])
        #expect(topology.sites.map(\.sync) == (7601...7604).map { "tcp://127.0.0.1:\($0)" })
        #expect(topology.sites.map(\.role) == [.site, .site, .site, .replica])
        #expect(topology.sites.map(\.delivers) == [true, true, true, false])
        let replica = try #require(topology.site(try SiteCode("EAR")))
        #expect(replica.name == "Ealing Council read replica")
        #expect(replica.holds == .only([try OrganisationCode("EAL")]))
        #expect(replica.publicKeysPath == f.publicKeysPath("EAR"))
        #expect(replica.curvePublicKey == f.curveKeys["EAR"]?.publicKey)
        #expect(replica.signingPublicKey == f.signingKeys["EAR"]?.publicKey)
        #expect(topology.site(try SiteCode("STH")) == nil)
    }

    @Test func starMeansEveryOrganisationInTheCatalogueAndAReplicaOnlyWhatItNames() throws {
        let topology = try f.load(f.topology([f.site("WST"), f.site("EAR", role: "replica", holds: "[\"EAL\"]")]))
        let every = f.catalogue.organisations.map(\.code)
        let west = try #require(topology.site(try SiteCode("WST")))
        let ealing = try #require(topology.site(try SiteCode("EAR")))
        #expect(every.count == 11)
        #expect(topology.organisations(heldBy: west, catalogue: f.catalogue) == every)
        #expect(topology.organisations(heldBy: ealing, catalogue: f.catalogue) == [try OrganisationCode("EAL")])
        #expect(topology.sitesHolding(try OrganisationCode("EAL")).map(\.code.rawValue) == ["WST", "EAR"])
        #expect(topology.sitesHolding(try OrganisationCode("HAV")).map(\.code.rawValue) == ["WST"])
        #expect(topology.organisationsHeld(catalogue: f.catalogue) == every)

        let replicasOnly = try f.load(
            f.topology([
                f.site("WST", holds: "[\"HAV\"]"), f.site("EAR", role: "replica", holds: "[\"EAL\", \"HAV\"]"),
            ]))
        #expect(replicasOnly.organisationsHeld(catalogue: f.catalogue).map(\.rawValue) == ["EAL", "HAV"])
    }

    @Test(arguments: ["ipc:///var/run/nightdesk/wst.sock", "tcp://[::1]:7601", "tcp://wst.ooh.example:65535"])
    func endpointsOfEveryAcceptedFormLoad(_ endpoint: String) throws {
        let topology = try f.load(f.topology([f.site("WST", sync: endpoint)]))
        #expect(topology.sites.first?.sync == endpoint)
    }

    // MARK: The file itself

    @Test func aMissingFileIsNamed() throws {
        let missing = f.folder.path("nowhere.toml")
        #expect(
            throws: TopologyError(
                subject: "the topology file \(missing)",
                problems: [.init(path: missing, place: nil, message: "the file does not exist; check the path")])
        ) {
            try ClusterTopology.load(path: missing, knownOrganisations: f.knownOrganisations)
        }
    }

    @Test func invalidTOMLIsReportedWithItsLine() throws {
        let found = try f.problem("cluster = \"london-ooh\"\n[[sites]\ncode = \"WST\"\n")
        #expect(found.path == path && found.place == nil)
        #expect(found.message.hasPrefix("line 2, column "), "\(found)")
        #expect(found.message.hasSuffix("; fix the TOML syntax"), "\(found)")
    }

    @Test func unknownKeysAreTyposToFix() throws {
        let error = try f.problems(
            f.topology(
                cluster: "cluster = \"london-ooh\"\nclusterName = \"London\"",
                [f.site("WST", extra: "hold = [\"EAL\"]")]))
        #expect(
            error.problems == [
                problem(nil, "unknown key 'clusterName': the keys of a topology file are cluster, sites"),
                problem(
                    "site WST",
                    "unknown key 'hold': did you mean 'holds'? the keys of a site are code, name, role, sync, "
                        + "publicKeys, holds, delivers"),
            ])
    }

    // MARK: The cluster id

    @Test func aMissingClusterIdIsReported() throws {
        #expect(
            try f.problem(f.topology(cluster: nil, [f.site("WST")]))
                == problem(
                    nil,
                    "cluster is missing: add the cluster's id at the top of the file, e.g. cluster = \"london-ooh\" "
                        + "(peers from another cluster are refused)"))
    }

    @Test(arguments: [
        ("", "cluster '' is empty"),
        ("london ooh", "cluster 'london ooh' contains a space"),
        (longID, "cluster '\(longID)' is 65 characters long, more than 64"),
    ])
    func aBadClusterIdIsReported(_ id: String, _ expected: String) throws {
        #expect(
            try f.problem(f.topology(cluster: "cluster = \"\(id)\"", [f.site("WST")]))
                == problem(nil, "\(expected): \(idRule)"))
    }

    // MARK: Sites

    @Test func noSitesIsReported() throws {
        let expected = problem(nil, "there are no sites: add a [[sites]] table for each site of the cluster")
        #expect(try f.problem(f.topology([])) == expected)
        #expect(try f.problem(f.topology(["sites = []"])) == expected)
    }

    @Test func moreThanSixtyFourSitesIsReported() throws {
        let symbols = Array("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
        let codes = (0..<65).map { String([symbols[$0 / symbols.count], symbols[$0 % symbols.count]]) }
        for code in codes { try f.makeKeys(code) }
        let error = try f.problems(f.topology(codes.map { f.site($0) }))
        #expect(
            error.problems == [
                problem(
                    nil,
                    "there are 65 sites, more than the 64 a cluster can have (each site is an entry in every "
                        + "version vector); split it into clusters")
            ])
    }

    @Test func anInvalidSiteCodeIsReportedByItsEntry() throws {
        #expect(
            try f.problem(f.topology([f.site("EALR", publicKeys: "keys/EAR.public.toml")]))
                == problem(
                    "[[sites]] entry 1",
                    "site code 'EALR' contains 'L', which is easily misread aloud: use only "
                        + "23456789ABCDEFGHJKMNPQRSTUVWXYZ, e.g. WST"))
    }

    @Test func aDuplicateSiteCodeIsReported() throws {
        let error = try f.problems(f.topology([f.site("WST"), f.site("EST"), f.site("WST")]))
        #expect(
            error.problems.first
                == problem(
                    "site WST", "site WST is listed twice ([[sites]] entries 1 and 3): give each site its own code"))
        // The same public-key file twice is also two sites with one key pair.
        #expect(error.problems.count == 3)
    }

    @Test func aDuplicateSyncEndpointIsReported() throws {
        let sync = "tcp://10.1.2.3:7601"
        #expect(
            try f.problem(f.topology([f.site("WST", sync: sync), f.site("EST", sync: sync)]))
                == problem(
                    "site EST",
                    "sync tcp://10.1.2.3:7601 is also the endpoint of site WST ([[sites]] entry 1): give each site "
                        + "its own endpoint"))
    }

    @Test(arguments: [
        ("http://10.1.2.3:7601", "is neither tcp://HOST:PORT nor ipc://PATH: \(usage)"),
        ("tcp://:7601", "has no host: \(usage)"),
        ("tcp://10.1.2.3", "has no port: \(usage)"),
        ("tcp://10.1.2.3:0", "has port '0', not a number from 1 to 65535: \(usage)"),
        ("tcp://10.1.2.3:65536", "has port '65536', not a number from 1 to 65535: \(usage)"),
        ("tcp://10.1.2.3:sync", "has port 'sync', not a number from 1 to 65535: \(usage)"),
        ("tcp://*:7601", "has host *, which peers cannot dial: give this site's address, e.g. tcp://10.1.2.3:7601"),
        ("tcp://::1:7601", "has an IPv6 address without brackets: write tcp://[ADDRESS]:PORT"),
        ("ipc://", "has no path: \(usage)"),
    ])
    func aBadEndpointIsReported(_ endpoint: String, _ expected: String) throws {
        #expect(
            try f.problem(f.topology([f.site("WST", sync: endpoint)]))
                == problem("site WST", "sync '\(endpoint)' \(expected)"))
    }

    @Test func anUnknownRoleIsReported() throws {
        #expect(
            try f.problem(f.topology([f.site("WST", role: "primary")]))
                == problem(
                    "site WST",
                    "role 'primary' is not known: give \"site\" (a call centre) or \"replica\" (a read replica "
                        + "holding only what it names)"))
    }

    // MARK: Holdings (7.10: a council's replica holds its own organisation's data only)

    @Test func aReplicaMayNotHoldEveryOrganisation() throws {
        #expect(
            try f.problem(f.topology([f.site("EAR", role: "replica", holds: "[\"*\"]")]))
                == problem(
                    "site EAR",
                    "a replica must name the organisations it is given, not \"*\": list them, e.g. holds = [\"EAL\"] "
                        + "(a council's replica holds only its own organisation's data)"))
    }

    // MARK: Who delivers the outbox

    @Test func aSiteDeliversOnlyWhenMarkedAndAReplicaNeverDoes() throws {
        let topology = try f.load(f.topology([f.site("WST", extra: "delivers = true"), f.site("EST")]))
        #expect(topology.sites.map(\.delivers) == [true, false])
        #expect(
            try f.problem(
                f.topology([f.site("EAR", role: "replica", holds: "[\"EAL\"]", extra: "delivers = true")]))
                == problem("site EAR", "delivers = true on a replica: replicas never send the outbox; remove the key"))
        #expect(
            try f.problem(f.topology([f.site("WST", extra: "delivers = \"yes\"")]))
                == problem(
                    "site WST",
                    "delivers must be true or false, not a TOML string: true when this site's node sends the "
                        + "outbox's messages (its node configuration then names a transports file)"))
    }

    @Test func aReplicaMustNameWhatItHolds() throws {
        #expect(
            try f.problem(f.topology([f.site("EAR", role: "replica", holds: "[]")]))
                == problem(
                    "site EAR",
                    "holds is empty: a replica must name the organisations it is given, e.g. holds = [\"EAL\"]"))
    }

    @Test func anOrganisationNotInTheCatalogueIsReported() throws {
        #expect(
            try f.problem(f.topology([f.site("EAR", role: "replica", holds: "[\"EAL\", \"XYZ\"]")]))
                == problem(
                    "site EAR",
                    "holds XYZ, which is not in the catalogue: use one of BAR, EAL, ENF, HAV, HFH, HGY, PEA, RBK, "
                        + "TWH, WAN, WFO"))
    }

    @Test func anOrganisationHeldTwiceIsReported() throws {
        #expect(
            try f.problem(f.topology([f.site("EAR", role: "replica", holds: "[\"EAL\", \"eal\"]")]))
                == problem("site EAR", "holds EAL twice: list each organisation once"))
    }

    // MARK: Public keys

    @Test func aMissingPublicKeyFileSaysHowToMakeIt() throws {
        try FileManager.default.removeItem(atPath: f.publicKeysPath("NTH"))
        #expect(
            try f.problem(f.topology([f.site("NTH")]))
                == problem(
                    "site NTH",
                    "the public-key file \(f.publicKeysPath("NTH")) does not exist: run `nightdesk keys generate "
                        + "--site NTH --dir \(f.keysFolder)`, which writes it"))
    }

    @Test func aMalformedPublicKeyFileIsReportedInThatFile() throws {
        let keysPath = f.publicKeysPath("WST")
        try f.folder.write("keys/WST.public.toml", "site = \"WST\"\ncurvePublicKey = \"short\"\nsigningKey = \"x\"\n")
        let z85Error: SodiumError
        do throws(SodiumError) {
            _ = try CurvePublicKey(z85: "short")
            Issue.record("'short' was taken as a CURVE key")
            return
        } catch {
            z85Error = error
        }
        let error = try f.problems(f.topology([f.site("WST")]))
        #expect(
            error.problems == [
                .init(
                    path: keysPath, place: "site WST",
                    message: "unknown key 'signingKey': the keys of a public-key file are site, curvePublicKey, "
                        + "signingPublicKey"),
                .init(path: keysPath, place: "site WST", message: "curvePublicKey: \(z85Error)"),
                .init(
                    path: keysPath, place: "site WST",
                    message: "signingPublicKey is missing; write the file again with `nightdesk keys generate`"),
            ])
    }

    @Test func anotherSitesPublicKeyFileIsRefused() throws {
        #expect(
            try f.problem(f.topology([f.site("WST", publicKeys: "keys/EST.public.toml")]))
                == .init(
                    path: f.publicKeysPath("EST"), place: "site WST",
                    message: "it holds the keys of site EST, not WST; point publicKeys at WST's own file "
                        + "(WST.public.toml)"))
    }

    @Test func twoSitesWithOneKeyAreRefused() throws {
        let west = try #require(f.curveKeys["WST"]?.publicKey)
        let westSigning = try #require(f.signingKeys["WST"]?.publicKey)
        let copy = SitePublicKeys(site: try SiteCode("EST"), curvePublicKey: west, signingPublicKey: westSigning)
        try copy.write(to: f.publicKeysPath("EST"), force: true)
        let remedy =
            "each site needs keys of its own; run `nightdesk keys generate --site EST --dir \(f.keysFolder)` and "
            + "point publicKeys at the file it writes"
        #expect(
            try f.problems(f.topology([f.site("WST"), f.site("EST")])).problems == [
                problem(
                    "site EST",
                    "its curvePublicKey (\(west.fingerprint)) is the same as site WST ([[sites]] entry 1)'s: "
                        + remedy),
                problem(
                    "site EST",
                    "its signingPublicKey (\(westSigning.fingerprint)) is the same as site WST ([[sites]] entry 1)'s: "
                        + remedy),
            ])
    }

    // MARK: Reporting

    @Test func everyProblemIsListedOnItsOwnLineWithItsFileAndSite() throws {
        let error = try f.problems(
            f.topology(
                cluster: "cluster = \"london ooh\"",
                [f.site("WST", sync: "tcp://10.1.2.3"), f.site("EAR", role: "replica", holds: "[\"*\"]")]))
        #expect(error.problems.count == 3)
        let lines = error.description.split(separator: "\n").map(String.init)
        #expect(lines.first == "the topology file \(path) has 3 problems:")
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("  - \(path): ") }, "\(error)")
        #expect(lines[2].hasPrefix("  - \(path): site WST: sync 'tcp://10.1.2.3' has no port"))
        #expect(lines[3].hasPrefix("  - \(path): site EAR: a replica must name"))
    }
}
