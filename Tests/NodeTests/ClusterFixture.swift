import Domain
import Foundation
import Node
import Sodium
import Testing

/// The real catalogue, read once for all the topology tests.
let realCatalogue: Result<Catalogue, any Error> = Result {
    try CatalogueFile(path: Repository.cataloguePath).catalogue
}

/// Thrown when a topology that should have been refused was loaded, ending the test.
struct LoadedWhenItShouldNot: Error {}

/// A cluster in a temporary folder: fresh keys for each site, public-key files in `keys/`, and topology files
/// written by the test, so each test can break exactly one thing.
final class ClusterFixture {
    let folder: TemporaryFolder
    let catalogue: Catalogue
    private(set) var curveKeys: [String: CurveKeyPair] = [:]
    private(set) var signingKeys: [String: SigningKeyPair] = [:]
    private var nextPort = 7601

    /// Makes keys and a public-key file `keys/<CODE>.public.toml` for each code.
    init(sites codes: [String] = ["WST", "EST", "NTH", "EAR"]) throws {
        folder = try TemporaryFolder()
        catalogue = try realCatalogue.get()
        for code in codes { try makeKeys(code) }
    }

    var knownOrganisations: Set<OrganisationCode> { Set(catalogue.organisations.map(\.code)) }
    var topologyPath: String { folder.path("cluster.toml") }
    var keysFolder: String { folder.path("keys") }

    /// A new key pair for `code`, with its public-key file written (replacing any earlier one).
    func makeKeys(_ code: String) throws {
        let curve = CurveKeyPair.generate()
        let signing = SigningKeyPair.generate()
        curveKeys[code] = curve
        signingKeys[code] = signing
        try FileManager.default.createDirectory(atPath: keysFolder, withIntermediateDirectories: true)
        let keys = SitePublicKeys(
            site: try SiteCode(code), curvePublicKey: curve.publicKey, signingPublicKey: signing.publicKey)
        try keys.write(to: publicKeysPath(code), force: true)
    }

    func publicKeysPath(_ code: String) -> String { folder.path("keys/\(code).public.toml") }

    /// One `[[sites]]` table; every field can be replaced, or left out by passing `nil` for it.
    func site(
        _ code: String, name: String? = "Site", role: String? = "site", sync: String? = nil,
        publicKeys: String? = nil, holds: String? = "[\"*\"]", extra: String = ""
    ) -> String {
        let endpoint = sync ?? "tcp://127.0.0.1:\(nextPort)"
        nextPort += 1
        var lines = ["[[sites]]", "code = \"\(code)\""]
        if let name { lines.append("name = \"\(name)\"") }
        if let role { lines.append("role = \"\(role)\"") }
        lines.append("sync = \"\(endpoint)\"")
        lines.append("publicKeys = \"\(publicKeys ?? "keys/\(code).public.toml")\"")
        if let holds { lines.append("holds = \(holds)") }
        if !extra.isEmpty { lines.append(extra) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A whole topology file: the cluster line and the given site tables.
    func topology(cluster: String? = "cluster = \"london-ooh\"", _ sites: [String]) -> String {
        ([cluster].compactMap { $0 } + sites).joined(separator: "\n")
    }

    /// Writes `text` as the topology file and loads it.
    func load(_ text: String) throws -> ClusterTopology {
        try folder.write("cluster.toml", text)
        return try ClusterTopology.load(path: topologyPath, knownOrganisations: knownOrganisations)
    }

    /// Writes `text` as the topology file and returns the error loading it must give.
    func problems(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> TopologyError {
        try folder.write("cluster.toml", text)
        do throws(TopologyError) {
            let topology = try ClusterTopology.load(path: topologyPath, knownOrganisations: knownOrganisations)
            Issue.record("the topology loaded with \(topology.sites.count) sites", sourceLocation: sourceLocation)
        } catch {
            return error
        }
        throw LoadedWhenItShouldNot()
    }

    /// The single problem a topology gives, for tests that break exactly one thing.
    func problem(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> TopologyError.Problem {
        let error = try problems(text, sourceLocation: sourceLocation)
        #expect(error.problems.count == 1, "\(error)", sourceLocation: sourceLocation)
        return try #require(error.problems.first, sourceLocation: sourceLocation)
    }

    /// Writes `code`'s secret keys into `folder` (mode 0600), as `keys generate` would.
    func writeSecretKeys(_ code: String, to folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let site = try SiteCode(code)
        try #require(curveKeys[code]).writeKeyFile(to: "\(folder)/\(KeyFileName.curve(site))")
        try #require(signingKeys[code]).writeKeyFile(to: "\(folder)/\(KeyFileName.signing(site))")
    }
}
