import Domain
import Foundation
import Node
import Sodium
import Testing

/// A site's key ring: read from its key folder, checked against the topology, and holding only what the site holds.
extension TopologyTests {
    /// The sample topology's shape: three call centres holding every organisation, Ealing's replica holding EAL.
    func sampleShape() throws -> ClusterTopology {
        try f.load(
            f.topology([
                f.site("WST"), f.site("EST"), f.site("NTH"), f.site("EAR", role: "replica", holds: "[\"EAL\"]"),
            ]))
    }

    /// Writes data keys for `scopes` into `folder` and returns them.
    func writeDataKeys(_ scopes: [DataKeyScope], to folder: String) throws -> [DataKeyScope: DataKey] {
        var keys: [DataKeyScope: DataKey] = [:]
        for scope in scopes {
            let key = DataKey.generate()
            try key.writeKeyFile(to: "\(folder)/\(KeyFileName.data(scope))")
            keys[scope] = key
        }
        return keys
    }

    @Test func aKeyRingHoldsTheClusterKeyAndOnlyTheOrganisationsTheSiteHolds() throws {
        let topology = try sampleShape()
        let folder = f.folder.path("EAR-keys")
        try f.writeSecretKeys("EAR", to: folder)
        let eal = DataKeyScope.organisation(try OrganisationCode("EAL"))
        let hav = DataKeyScope.organisation(try OrganisationCode("HAV"))
        // HAV's key is in the folder by mistake: the ring must not take it, as EAR does not hold HAV.
        let written = try writeDataKeys([.cluster, eal, hav], to: folder)

        let ring = try SiteKeyRing.load(
            folder: folder, site: try SiteCode("EAR"), topology: topology, catalogue: f.catalogue)
        #expect(ring.scopes == [.cluster, eal])
        #expect(ring.dataKey(for: .cluster) == written[.cluster])
        #expect(ring.dataKey(for: eal) == written[eal])
        #expect(ring.dataKey(for: hav) == nil)
        #expect(ring.curve.publicKey == f.curveKeys["EAR"]?.publicKey)
        #expect(ring.signing.publicKey == f.signingKeys["EAR"]?.publicKey)

        // Printing the ring, however it is printed, shows no key material.
        let secretLine = try String(contentsOfFile: "\(folder)/\(KeyFileName.data(eal))", encoding: .utf8)
            .split(separator: "\n").last.map(String.init)
        let secret = try #require(secretLine?.replacingOccurrences(of: "key: ", with: ""))
        var dumped = ""
        dump(ring, to: &dumped)
        for shown in ["\(ring)", String(reflecting: ring), dumped] {
            #expect(!shown.contains(secret))
            #expect(!shown.contains(String(secret.prefix(12))))
        }
    }

    @Test func aSiteHoldingEveryOrganisationGetsEveryDataKey() throws {
        let topology = try sampleShape()
        let folder = f.folder.path("WST-keys")
        try f.writeSecretKeys("WST", to: folder)
        let scopes = [DataKeyScope.cluster] + f.catalogue.organisations.map { DataKeyScope.organisation($0.code) }
        _ = try writeDataKeys(scopes, to: folder)
        let ring = try SiteKeyRing.load(
            folder: folder, site: try SiteCode("WST"), topology: topology, catalogue: f.catalogue)
        #expect(ring.scopes == scopes)
    }

    @Test func aKeyThatDoesNotMatchTheTopologyIsRefused() throws {
        let topology = try sampleShape()
        let folder = f.folder.path("EAR-keys")
        try f.writeSecretKeys("EAR", to: folder)
        _ = try writeDataKeys([.cluster, .organisation(try OrganisationCode("EAL"))], to: folder)
        // West's CURVE key where Ealing's should be: a copy made from the wrong file.
        let west = try #require(f.curveKeys["WST"])
        try west.writeKeyFile(to: "\(folder)/EAR.curve.key", force: true)
        let listed = try #require(f.curveKeys["EAR"]).publicKey

        #expect(
            throws: TopologyError(
                subject: "the key folder \(folder) of site EAR",
                problems: [
                    .init(
                        path: "\(folder)/EAR.curve.key", place: "site EAR",
                        message: "EAR.curve.key does not match the curvePublicKey in \(f.publicKeysPath("EAR")) "
                            + "(the key file's is \(west.publicKey.fingerprint), the topology's "
                            + "\(listed.fingerprint)): regenerate the site's keys with `nightdesk keys generate "
                            + "--site EAR --dir \(f.keysFolder) --force` or fix the topology")
                ])
        ) {
            try SiteKeyRing.load(folder: folder, site: try SiteCode("EAR"), topology: topology, catalogue: f.catalogue)
        }
    }

    @Test func eachMissingKeyFileIsNamedWithWhatMakesIt() throws {
        let topology = try sampleShape()
        let folder = f.folder.path("EAR-keys")
        try f.writeSecretKeys("EAR", to: folder)
        _ = try writeDataKeys([.cluster], to: folder)
        let bundle = "`nightdesk keys bundle --topology \(path) --site EAR --to \(folder)`"
        #expect(
            throws: TopologyError(
                subject: "the key folder \(folder) of site EAR",
                problems: [
                    .init(
                        path: "\(folder)/EAL.data.key", place: "site EAR",
                        message: "EAL.data.key is missing: site EAR holds EAL; make missing data keys with "
                            + "`nightdesk keys data --topology \(path)` and copy this site's here with \(bundle)")
                ])
        ) {
            try SiteKeyRing.load(folder: folder, site: try SiteCode("EAR"), topology: topology, catalogue: f.catalogue)
        }
    }

    @Test func aSiteNotInTheTopologyHasNoKeyRing() throws {
        let topology = try sampleShape()
        let error = try #require(throws: TopologyError.self) {
            try SiteKeyRing.load(
                folder: f.keysFolder, site: try SiteCode("STH"), topology: topology, catalogue: f.catalogue)
        }
        #expect(
            error.problems == [
                problem("site STH", "it is not in the topology: its sites are WST, EST, NTH, EAR; give one of them")
            ])
    }
}
