import Domain
import Foundation
import Sodium

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whose data a data key seals: one organisation's, or the cluster's own (state and membership every site reads).
public enum DataKeyScope: Hashable, Comparable, Sendable, CustomStringConvertible {
    case cluster
    case organisation(OrganisationCode)

    public var description: String {
        switch self {
        case .cluster: "cluster"
        case .organisation(let code): code.rawValue
        }
    }
}

/// The names of a cluster's key files in a key folder; the one place they are spelled.
public enum KeyFileName {
    /// A site's CURVE secret key, for its links: `WST.curve.key`.
    public static func curve(_ site: SiteCode) -> String { "\(site).curve.key" }
    /// A site's Ed25519 seed, for signing its change sets: `WST.signing.key`.
    public static func signing(_ site: SiteCode) -> String { "\(site).signing.key" }
    /// A site's public keys, for the topology file: `WST.public.toml`.
    public static func publicKeys(_ site: SiteCode) -> String { "\(site).public.toml" }
    /// A data key: `cluster.data.key` or `EAL.data.key`. Organisation codes are three letters, so never `cluster`.
    public static func data(_ scope: DataKeyScope) -> String { "\(scope).data.key" }
}

/// Everything secret one site needs, read from its key folder and checked against the topology.
///
/// Its CURVE key pair (links), signing key pair (change sets), the cluster's data key and the data keys of
/// exactly the organisations the site holds. Printing a key ring shows fingerprints only: the Sodium key
/// types redact themselves, and this type lists nothing else.
public struct SiteKeyRing: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let site: SiteCode
    public let curve: CurveKeyPair
    public let signing: SigningKeyPair
    let dataKeys: [DataKeyScope: DataKey]

    /// The data key for `scope`, or `nil` when this site does not hold that organisation.
    public func dataKey(for scope: DataKeyScope) -> DataKey? { dataKeys[scope] }

    /// The scopes this ring holds a data key for, the cluster first.
    public var scopes: [DataKeyScope] { dataKeys.keys.sorted() }

    /// Reads `site`'s keys from `folder`: its own key pairs, the cluster key and the data keys of what it holds.
    ///
    /// Every missing, unreadable or unsafe file, and every key whose public half is not the one the topology
    /// lists, is reported in one `TopologyError`.
    public static func load(folder: String, site code: SiteCode, topology: ClusterTopology, catalogue: Catalogue)
        throws(TopologyError) -> SiteKeyRing
    {
        let subject = "the key folder \(folder) of site \(code)"
        let place = "site \(code)"
        guard let site = topology.site(code) else {
            let sites = topology.sites.map(\.code.rawValue).joined(separator: ", ")
            throw TopologyError(
                subject: subject,
                problems: [
                    .init(
                        path: topology.path, place: place,
                        message: "it is not in the topology: its sites are \(sites); give one of them")
                ])
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TopologyError(
                subject: subject,
                problems: [
                    .init(
                        path: folder, place: place,
                        message: "the key folder does not exist: give this site its keys with "
                            + "`nightdesk keys bundle --topology \(topology.path) --site \(code) --to \(folder)`")
                ])
        }
        var problems: [TopologyError.Problem] = []
        let bundle = "`nightdesk keys bundle --topology \(topology.path) --site \(code) --to \(folder)`"

        /// Loads one key file, noting a problem (with what makes the file, when it is missing) on failure.
        func readKey<Key>(_ name: String, makeWith: String, _ read: (String) throws(SodiumError) -> Key) -> Key? {
            let path = (folder as NSString).appendingPathComponent(name)
            do throws(SodiumError) {
                return try read(path)
            } catch .keyFileSystemCall(_, _, let number) where number == ENOENT {
                problems.append(.init(path: path, place: place, message: "\(name) is missing: \(makeWith)"))
            } catch {
                problems.append(.init(path: path, place: place, message: "\(error)"))
            }
            return nil
        }

        let ownKeys = "copy this site's keys here with \(bundle)"
        let curve = readKey(KeyFileName.curve(code), makeWith: ownKeys) { (path) throws(SodiumError) in
            try CurveKeyPair(keyFile: path)
        }
        if let curve, curve.publicKey != site.curvePublicKey {
            problems.append(
                mismatch(
                    KeyFileName.curve(code), folder: folder, place: place, field: "curvePublicKey", site: site,
                    found: curve.publicKey.fingerprint, listed: site.curvePublicKey.fingerprint))
        }
        let signing = readKey(KeyFileName.signing(code), makeWith: ownKeys) { (path) throws(SodiumError) in
            try SigningKeyPair(keyFile: path)
        }
        if let signing, signing.publicKey != site.signingPublicKey {
            problems.append(
                mismatch(
                    KeyFileName.signing(code), folder: folder, place: place, field: "signingPublicKey", site: site,
                    found: signing.publicKey.fingerprint, listed: site.signingPublicKey.fingerprint))
        }
        let scopes =
            [DataKeyScope.cluster]
            + topology.organisations(heldBy: site, catalogue: catalogue).map {
                DataKeyScope.organisation($0)
            }
        var dataKeys: [DataKeyScope: DataKey] = [:]
        for scope in scopes {
            let why = scope == .cluster ? "every site needs the cluster's data key" : "site \(code) holds \(scope)"
            let makeWith =
                "\(why); make missing data keys with `nightdesk keys data --topology \(topology.path)` and "
                + "copy this site's here with \(bundle)"
            dataKeys[scope] = readKey(KeyFileName.data(scope), makeWith: makeWith) { (path) throws(SodiumError) in
                try DataKey(keyFile: path)
            }
        }
        guard problems.isEmpty, let curve, let signing else {
            throw TopologyError(subject: subject, problems: problems)
        }
        return SiteKeyRing(site: code, curve: curve, signing: signing, dataKeys: dataKeys)
    }

    private static func mismatch(
        _ name: String, folder: String, place: String, field: String, site: TopologySite, found: String,
        listed: String
    ) -> TopologyError.Problem {
        .init(
            path: (folder as NSString).appendingPathComponent(name), place: place,
            message: "\(name) does not match the \(field) in \(site.publicKeysPath) (the key file's is \(found), "
                + "the topology's \(listed)): regenerate the site's keys with `nightdesk keys generate --site "
                + "\(site.code) --dir \((site.publicKeysPath as NSString).deletingLastPathComponent) --force` or fix "
                + "the topology")
    }

    public var description: String {
        "SiteKeyRing(\(site): \(curve.publicKey.fingerprint), \(signing.publicKey.fingerprint), data keys for "
            + scopes.map(\.description).joined(separator: ", ") + ")"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["site": site]) }
}
