import Domain
import Foundation
import Mesh
import Sodium
import TOMLKit

/// Turns a parsed topology file into sites, noting every problem on the way instead of stopping at the first.
///
/// The checks are the ones `ClusterTopology.load` promises. A site is read as far as it can be, so that the
/// cross-checks (duplicate codes, endpoints and keys) still run when some other field of it is wrong.
struct TopologyReader {
    static let fileKeys = ["cluster", "sites"]
    static let siteKeys = ["code", "name", "role", "sync", "publicKeys", "holds", "delivers"]
    static let holdsExample = "e.g. holds = [\"*\"] for every organisation in the catalogue, or holds = [\"EAL\"]"

    let path: String
    /// The topology file's folder, against which relative paths in it are resolved.
    let folder: String
    let knownOrganisations: Set<OrganisationCode>
    private(set) var problems: [TopologyError.Problem] = []

    init(path: String, knownOrganisations: Set<OrganisationCode>) {
        self.path = path
        self.folder = (path as NSString).deletingLastPathComponent
        self.knownOrganisations = knownOrganisations
    }

    /// One `[[sites]]` entry as far as it could be read.
    struct Draft {
        let entry: Int
        var place: String
        var code: SiteCode?
        var name: String?
        var role: SiteRole?
        var sync: String?
        var publicKeysPath: String?
        var keys: SitePublicKeys?
        var holds: OrganisationHoldings?
        var delivers = false

        var site: TopologySite? {
            guard let code, let name, let role, let sync, let publicKeysPath, let keys, let holds else { return nil }
            return TopologySite(
                code: code, name: name, role: role, sync: sync, publicKeysPath: publicKeysPath,
                curvePublicKey: keys.curvePublicKey, signingPublicKey: keys.signingPublicKey, holds: holds,
                delivers: delivers)
        }
    }

    private mutating func note(_ place: String?, _ message: String, file: String? = nil) {
        problems.append(TopologyError.Problem(path: file ?? path, place: place, message: message))
    }

    mutating func read(_ root: TOMLTable) -> (cluster: ClusterID?, sites: [TopologySite]) {
        for key in root.keys.sorted() where !Self.fileKeys.contains(key) {
            note(nil, unknownKeyMessage(key, allowed: Self.fileKeys, of: "a topology file"))
        }
        let cluster = readCluster(root)
        var drafts: [Draft] = []
        if let value = root["sites"] {
            if let entries = value.array {
                if entries.isEmpty {
                    note(nil, "there are no sites: add a [[sites]] table for each site of the cluster")
                }
                if entries.count > NodeLimits.topologySitesMax {
                    note(
                        nil,
                        "there are \(entries.count) sites, more than the \(NodeLimits.topologySitesMax) a cluster can "
                            + "have (each site is an entry in every version vector); split it into clusters")
                }
                for (index, entry) in entries.enumerated() {
                    drafts.append(readSite(entry, entry: index + 1))
                }
            } else {
                note(nil, "sites must be a list of [[sites]] tables, not a TOML \(value.type)")
            }
        } else {
            note(nil, "there are no sites: add a [[sites]] table for each site of the cluster")
        }
        crossCheck(drafts)
        return (cluster, drafts.compactMap(\.site))
    }

    private mutating func readCluster(_ root: TOMLTable) -> ClusterID? {
        let rule =
            "give printable ASCII without spaces, 1 to \(NodeLimits.clusterIDCharactersMax) characters, "
            + "e.g. cluster = \"london-ooh\""
        guard let value = root["cluster"] else {
            note(
                nil,
                "cluster is missing: add the cluster's id at the top of the file, e.g. cluster = \"london-ooh\" "
                    + "(peers from another cluster are refused)")
            return nil
        }
        guard let text = value.string else {
            note(nil, "cluster must be a string in quotes, not a TOML \(value.type): \(rule)")
            return nil
        }
        if let problem = ClusterID.problem(with: text) {
            note(nil, "cluster '\(text)' \(problem): \(rule)")
            return nil
        }
        return ClusterID(text)
    }

    /// The string at `key`, or `nil` with a problem noted when it is missing or not a string.
    private mutating func string(_ table: TOMLTable, _ key: String, place: String, missing: String) -> String? {
        guard let value = table[key] else {
            note(place, "\(key) is missing: \(missing)")
            return nil
        }
        guard let text = value.string else {
            note(place, "\(key) must be a string in quotes, not a TOML \(value.type): \(missing)")
            return nil
        }
        return text
    }

    private mutating func readSite(_ value: any TOMLValueConvertible, entry: Int) -> Draft {
        var draft = Draft(entry: entry, place: "[[sites]] entry \(entry)")
        guard let table = value.table else {
            note(draft.place, "it is a TOML \(value.type), not a table: write each site as a [[sites]] table")
            return draft
        }
        // The code first, so that every later problem names the site it is about.
        if let text = string(table, "code", place: draft.place, missing: "give the site's code, e.g. code = \"WST\"") {
            do {
                let code = try SiteCode(text)
                draft.code = code
                draft.place = "site \(code)"
            } catch {
                note(draft.place, "\(error)")
            }
        }
        let place = draft.place
        for key in table.keys.sorted() where !Self.siteKeys.contains(key) {
            note(place, unknownKeyMessage(key, allowed: Self.siteKeys, of: "a site"))
        }
        if let name = string(table, "name", place: place, missing: "give the name people know the site by") {
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty {
                note(place, "name is empty: give the name people know the site by, e.g. \"West London call centre\"")
            } else if trimmed.count > NodeLimits.siteNameCharactersMax {
                note(place, "name is \(trimmed.count) characters, more than \(NodeLimits.siteNameCharactersMax)")
            } else {
                draft.name = trimmed
            }
        }
        let roles = "give \"site\" (a call centre) or \"replica\" (a read replica holding only what it names)"
        if let role = string(table, "role", place: place, missing: roles) {
            if let known = SiteRole(rawValue: role) {
                draft.role = known
            } else {
                note(place, "role '\(role)' is not known: \(roles)")
            }
        }
        let endpoints = "give the endpoint this site listens on and its peers dial, e.g. sync = \"tcp://10.1.2.3:7601\""
        if let sync = string(table, "sync", place: place, missing: endpoints) {
            if let problem = Self.endpointProblem(sync) {
                note(place, "sync '\(sync)' \(problem)")
            } else {
                draft.sync = sync
            }
        }
        let example = "keys/\(draft.code?.rawValue ?? "WST").public.toml"
        let keysExample = "give the file `nightdesk keys generate` wrote, e.g. publicKeys = \"\(example)\""
        if let given = string(table, "publicKeys", place: place, missing: keysExample) {
            let resolved = given.hasPrefix("/") ? given : (folder as NSString).appendingPathComponent(given)
            draft.publicKeysPath = resolved
            draft.keys = readPublicKeys(resolved, code: draft.code, place: place)
        }
        draft.holds = readHolds(table, role: draft.role, place: place)
        if let value = table["delivers"] {
            if let flag = value.bool {
                // Replicas never act on timers or messages (`TimerElection`): they have no one to take an alert.
                if flag, draft.role == .replica {
                    note(place, "delivers = true on a replica: replicas never send the outbox; remove the key")
                } else {
                    draft.delivers = flag
                }
            } else {
                note(
                    place,
                    "delivers must be true or false, not a TOML \(value.type): true when this site's node sends the "
                        + "outbox's messages (its node configuration then names a transports file)")
            }
        }
        return draft
    }

    private mutating func readPublicKeys(_ path: String, code: SiteCode?, place: String) -> SitePublicKeys? {
        switch SitePublicKeys.read(path: path, expectedSite: code) {
        case .keys(let keys):
            return keys
        case .missing:
            let directory = (path as NSString).deletingLastPathComponent
            let site = code?.rawValue ?? "CODE"
            let generate = "nightdesk keys generate --site \(site) --dir \(directory.isEmpty ? "." : directory)"
            let written = code.map { "\($0).public.toml" } ?? "CODE.public.toml"
            let tail =
                (path as NSString).lastPathComponent == written
                ? ", which writes it" : " and point publicKeys at the \(written) it writes"
            note(place, "the public-key file \(path) does not exist: run `\(generate)`\(tail)")
        case .problems(let found):
            for problem in found { note(place, problem, file: path) }
        }
        return nil
    }

    private mutating func readHolds(_ table: TOMLTable, role: SiteRole?, place: String) -> OrganisationHoldings? {
        guard let value = table["holds"] else {
            note(place, "holds is missing: give the organisations this site holds, \(Self.holdsExample)")
            return nil
        }
        guard let entries = value.array else {
            note(place, "holds must be a list in brackets, not a TOML \(value.type): \(Self.holdsExample)")
            return nil
        }
        var texts: [String] = []
        for entry in entries {
            guard let text = entry.string else {
                note(place, "holds must list codes in quotes, not a TOML \(entry.type): \(Self.holdsExample)")
                return nil
            }
            texts.append(text)
        }
        // 7.10 and 7.14.3: an organisation's data goes only where it is to be seen, so a replica is given
        // exactly the organisations it names, never "every organisation" by default.
        guard !texts.isEmpty else {
            note(
                place,
                role == .replica
                    ? "holds is empty: a replica must name the organisations it is given, e.g. holds = [\"EAL\"]"
                    : "holds is empty: \(Self.holdsExample)")
            return nil
        }
        if texts.contains("*") {
            var usable = true
            if texts.count > 1 {
                note(
                    place,
                    "holds lists \"*\" with other entries: give [\"*\"] alone for every organisation, or only codes")
                usable = false
            }
            if role == .replica {
                note(
                    place,
                    "a replica must name the organisations it is given, not \"*\": list them, e.g. holds = [\"EAL\"] "
                        + "(a council's replica holds only its own organisation's data)")
                usable = false
            }
            return usable ? .every : nil
        }
        var codes = Set<OrganisationCode>()
        var usable = true
        for text in texts {
            let code: OrganisationCode
            do {
                code = try OrganisationCode(text)
            } catch {
                note(place, "holds: \(error)")
                usable = false
                continue
            }
            guard knownOrganisations.contains(code) else {
                let known = knownOrganisations.sorted().map(\.rawValue).joined(separator: ", ")
                note(place, "holds \(code), which is not in the catalogue: use one of \(known)")
                usable = false
                continue
            }
            if !codes.insert(code).inserted {
                note(place, "holds \(code) twice: list each organisation once")
                usable = false
            }
        }
        return usable ? .only(codes) : nil
    }

    /// Codes, endpoints and keys must each belong to one site only.
    private mutating func crossCheck(_ drafts: [Draft]) {
        var entryByCode: [SiteCode: Int] = [:]
        var placeBySync: [String: String] = [:]
        var placeByCurveKey: [CurvePublicKey: String] = [:]
        var placeBySigningKey: [SigningPublicKey: String] = [:]
        for draft in drafts {
            // Two entries may share a code, so the other one is named by its entry too.
            let label = draft.code == nil ? draft.place : "\(draft.place) ([[sites]] entry \(draft.entry))"
            if let code = draft.code {
                if let first = entryByCode[code] {
                    note(
                        draft.place,
                        "site \(code) is listed twice ([[sites]] entries \(first) and \(draft.entry)): give each site "
                            + "its own code")
                } else {
                    entryByCode[code] = draft.entry
                }
            }
            if let sync = draft.sync {
                if let other = placeBySync[sync] {
                    note(draft.place, "sync \(sync) is also the endpoint of \(other): give each site its own endpoint")
                } else {
                    placeBySync[sync] = label
                }
            }
            guard let keys = draft.keys else { continue }
            let directory = draft.publicKeysPath.map { ($0 as NSString).deletingLastPathComponent } ?? ""
            let remedy =
                "each site needs keys of its own; run `nightdesk keys generate --site \(keys.site) --dir "
                + "\(directory.isEmpty ? "." : directory)` and point publicKeys at the file it writes"
            if let other = placeByCurveKey[keys.curvePublicKey] {
                note(
                    draft.place,
                    "its curvePublicKey (\(keys.curvePublicKey.fingerprint)) is the same as \(other)'s: \(remedy)")
            } else {
                placeByCurveKey[keys.curvePublicKey] = label
            }
            if let other = placeBySigningKey[keys.signingPublicKey] {
                note(
                    draft.place,
                    "its signingPublicKey (\(keys.signingPublicKey.fingerprint)) is the same as \(other)'s: \(remedy)")
            } else {
                placeBySigningKey[keys.signingPublicKey] = label
            }
        }
    }

    /// What is wrong with `endpoint` as a site's sync endpoint, worded to follow "sync '…'"; `nil` if it is fine.
    static func endpointProblem(_ endpoint: String) -> String? {
        let usage = "give tcp://HOST:PORT with a port from 1 to 65535 (e.g. tcp://10.1.2.3:7601), or ipc://PATH"
        guard endpoint.count <= NodeLimits.endpointCharactersMax else {
            return "is longer than \(NodeLimits.endpointCharactersMax) characters"
        }
        if endpoint.hasPrefix("ipc://") {
            return endpoint.count > "ipc://".count ? nil : "has no path: \(usage)"
        }
        guard endpoint.hasPrefix("tcp://") else {
            return "is neither tcp://HOST:PORT nor ipc://PATH: \(usage)"
        }
        let address = endpoint.dropFirst("tcp://".count)
        guard let colon = address.lastIndex(of: ":") else { return "has no port: \(usage)" }
        let host = address[..<colon]
        let port = address[address.index(after: colon)...]
        if host.isEmpty { return "has no host: \(usage)" }
        // Peers dial this endpoint, and `*` means "every interface" only to a listener.
        if host == "*" {
            return "has host *, which peers cannot dial: give this site's address, e.g. tcp://10.1.2.3:7601"
        }
        if host.contains(where: { $0.isWhitespace || $0 == "/" }) {
            return "has a space or slash in its host: \(usage)"
        }
        if host.contains(":"), !(host.hasPrefix("[") && host.hasSuffix("]")) {
            return "has an IPv6 address without brackets: write tcp://[ADDRESS]:PORT"
        }
        guard (1...5).contains(port.count), port.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(port),
            (1...65_535).contains(number)
        else { return "has port '\(port)', not a number from 1 to 65535: \(usage)" }
        return nil
    }
}
