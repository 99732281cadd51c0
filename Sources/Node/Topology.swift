import Domain
import Foundation
import Mesh
import Sodium
import TOMLKit

// The cluster id is the mesh's `ClusterID` (it travels in `hello`): peers that give another id are refused, so
// two clusters' sites never replicate into each other.
extension ClusterID {
    /// What is wrong with `text` as a cluster id, worded for the person who wrote it; `nil` if it is fine.
    public static func problem(with text: String) -> String? {
        if text.isEmpty { return "is empty" }
        if text.count > NodeLimits.clusterIDCharactersMax {
            return "is \(text.count) characters long, more than \(NodeLimits.clusterIDCharactersMax)"
        }
        // Printable ASCII without the space: the id travels in handshakes and logs, where anything else is
        // easily mistyped or invisible.
        if let bad = text.unicodeScalars.first(where: { !(0x21...0x7E).contains($0.value) }) {
            let shown = bad == " " ? "a space" : "'\(bad.escaped(asASCII: true))'"
            return "contains \(shown)"
        }
        return nil
    }
}

/// What a node of the topology is for.
public enum SiteRole: String, Sendable, Hashable, CaseIterable, Codable {
    /// A call centre: answers calls and normally holds every organisation's data.
    case site
    /// A read replica, for example at a council: holds only the organisations it is given keys for (7.10).
    case replica
}

/// The organisations whose data a site holds, and so whose data keys it is given.
public enum OrganisationHoldings: Hashable, Sendable {
    /// Every organisation in the catalogue (`holds = ["*"]`).
    case every
    /// Exactly these organisations.
    case only(Set<OrganisationCode>)

    /// Whether an organisation of the catalogue is held.
    public func includes(_ organisation: OrganisationCode) -> Bool {
        switch self {
        case .every: true
        case .only(let codes): codes.contains(organisation)
        }
    }
}

/// One node of a cluster as the topology file lists it, with its public keys read from its public-key file.
public struct TopologySite: Hashable, Sendable {
    public let code: SiteCode
    public let name: String
    public let role: SiteRole
    /// The ZeroMQ endpoint this site listens on and its peers dial: `tcp://HOST:PORT` or `ipc://PATH`.
    public let sync: String
    /// The site's public-key file, resolved against the topology file's folder.
    public let publicKeysPath: String
    /// The CURVE key its links must prove; a peer presenting any other key is refused.
    public let curvePublicKey: CurvePublicKey
    /// The Ed25519 key its change sets and checkpoints must be signed with.
    public let signingPublicKey: SigningPublicKey
    public let holds: OrganisationHoldings
    /// Whether its node delivers the replicated outbox (`delivers = true`): its node configuration must then name
    /// a transports file, and only such sites are elected to send (`DeliveryElection`).
    public let delivers: Bool

    public init(
        code: SiteCode, name: String, role: SiteRole, sync: String, publicKeysPath: String,
        curvePublicKey: CurvePublicKey, signingPublicKey: SigningPublicKey, holds: OrganisationHoldings,
        delivers: Bool = false
    ) {
        self.code = code
        self.name = name
        self.role = role
        self.sync = sync
        self.publicKeysPath = publicKeysPath
        self.curvePublicKey = curvePublicKey
        self.signingPublicKey = signingPublicKey
        self.holds = holds
        self.delivers = delivers
    }
}

/// A cluster's topology file: its id and its sites, each with endpoint, public keys and the organisations it holds.
///
/// Loading checks the whole file and every public-key file it names, and reports every problem at once
/// (`TopologyError`); a value of this type is always a topology that passed those checks.
public struct ClusterTopology: Sendable {
    /// The file it was read from.
    public let path: String
    public let cluster: ClusterID
    /// The sites in the order the file lists them.
    public let sites: [TopologySite]

    /// Reads, resolves and checks the topology file at `path` against the organisations of the catalogue.
    ///
    /// Paths in the file (`publicKeys`) are relative to the file's own folder unless absolute.
    public static func load(path: String, knownOrganisations: Set<OrganisationCode>) throws(TopologyError)
        -> ClusterTopology
    {
        let subject = "the topology file \(path)"
        func failure(_ message: String) -> TopologyError {
            TopologyError(subject: subject, problems: [.init(path: path, place: nil, message: message)])
        }
        let text: String
        switch readSmallTextFile(path, bytesMax: NodeLimits.topologyFileBytesMax) {
        case .success(let read): text = read
        case .failure(let failed): throw failure(failed.reason)
        }
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw failure(
                "line \(error.source.begin.line), column \(error.source.begin.column): \(error.description); "
                    + "fix the TOML syntax")
        } catch {
            throw failure("it is not TOML (\(error)); fix the TOML syntax")
        }
        var reader = TopologyReader(path: path, knownOrganisations: knownOrganisations)
        let read = reader.read(root)
        guard reader.problems.isEmpty, let cluster = read.cluster else {
            throw TopologyError(subject: subject, problems: reader.problems)
        }
        return ClusterTopology(path: path, cluster: cluster, sites: read.sites)
    }

    /// Only `load` makes one, so that every value has passed its checks.
    init(path: String, cluster: ClusterID, sites: [TopologySite]) {
        self.path = path
        self.cluster = cluster
        self.sites = sites
    }

    /// The site with `code`, if the topology lists it.
    public func site(_ code: SiteCode) -> TopologySite? {
        sites.first { $0.code == code }
    }

    /// The organisations `site` holds, in code order, with `"*"` resolved to every organisation of `catalogue`.
    public func organisations(heldBy site: TopologySite, catalogue: Catalogue) -> [OrganisationCode] {
        switch site.holds {
        case .every: catalogue.organisations.map(\.code).sorted()
        case .only(let codes): codes.sorted()
        }
    }

    /// The sites that hold `organisation`'s data (those with `"*"` and those that name it), in file order.
    public func sitesHolding(_ organisation: OrganisationCode) -> [TopologySite] {
        sites.filter { $0.holds.includes(organisation) }
    }

    /// Every organisation at least one site holds, in code order: the data keys the cluster needs.
    public func organisationsHeld(catalogue: Catalogue) -> [OrganisationCode] {
        Set(sites.flatMap { organisations(heldBy: $0, catalogue: catalogue) }).sorted()
    }
}

/// The text of a small UTF-8 file, or why it cannot be used, worded for the operator.
func readSmallTextFile(_ path: String, bytesMax: Int) -> Result<String, ReadFailure> {
    let manager = FileManager.default
    var isDirectory: ObjCBool = false
    guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
        return .failure(ReadFailure(reason: "the file does not exist; check the path", missing: true))
    }
    guard !isDirectory.boolValue else {
        return .failure(ReadFailure(reason: "it is a folder, not a file; give the file's path", missing: false))
    }
    // The size is checked before reading, so a wrong path to a large file costs nothing.
    if let size = (try? manager.attributesOfItem(atPath: path))?[.size] as? NSNumber, size.intValue > bytesMax {
        return .failure(
            ReadFailure(
                reason: "it is \(size.intValue) bytes, more than the \(bytesMax) allowed; is it the right file?",
                missing: false))
    }
    let data: Data
    do {
        data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
        return .failure(ReadFailure(reason: "it cannot be read (\(error.localizedDescription))", missing: false))
    }
    // Checked again on what was read, in case the file grew in between.
    guard data.count <= bytesMax else {
        return .failure(
            ReadFailure(
                reason: "it is \(data.count) bytes, more than the \(bytesMax) allowed; is it the right file?",
                missing: false))
    }
    guard let text = String(data: data, encoding: .utf8) else {
        return .failure(ReadFailure(reason: "it is not UTF-8 text; is it the right file?", missing: false))
    }
    return .success(text)
}

/// Why a file could not be read; `missing` when it does not exist, so callers can say how to make it.
struct ReadFailure: Error, CustomStringConvertible {
    let reason: String
    let missing: Bool
    var description: String { reason }
}
