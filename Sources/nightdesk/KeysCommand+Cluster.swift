import ArgumentParser
import Domain
import Foundation
import Node
import Sodium

extension KeysCommand {
    struct DataKeys: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "data",
            abstract: "Make the cluster's data key and one for every organisation a site holds, where missing.",
            discussion: """
                Writes <dir>/cluster.data.key and <dir>/<PO>.data.key (XChaCha20-Poly1305, mode 0600) for every \
                organisation held by at least one site of the topology. A key that exists is kept, never \
                replaced: replacing one would leave every change set sealed with it unreadable. Existing keys \
                are checked first; if any is unusable nothing is written.
                """)

        @OptionGroup var cluster: TopologyOptions
        @Option(name: .long, help: "Folder of the cluster's key files.") var dir: String = "Topology/keys"
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let (topology, catalogue) = try cluster.load()
                let scopes =
                    [DataKeyScope.cluster]
                    + topology.organisationsHeld(catalogue: catalogue).map { DataKeyScope.organisation($0) }
                let manager = FileManager.default
                var kept: [String] = []
                var missing: [String] = []
                var unusable: [String] = []
                for name in scopes.map(KeyFileName.data) {
                    let path = (dir as NSString).appendingPathComponent(name)
                    guard manager.fileExists(atPath: path) else {
                        missing.append(name)
                        continue
                    }
                    // A kept key must be one a site can use: private, of the right type, readable.
                    do {
                        _ = try DataKey(keyFile: path)
                        kept.append(name)
                    } catch {
                        unusable.append("\(error)")
                    }
                }
                guard unusable.isEmpty else {
                    throw NodeError.invalidFile(path: dir, problems: unusable + ["nothing was written"])
                }
                try manager.createDirectory(
                    atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                var created: [String] = []
                for name in missing {
                    let path = (dir as NSString).appendingPathComponent(name)
                    do {
                        try DataKey.generate().writeKeyFile(to: path, force: false)
                        created.append(name)
                    } catch SodiumError.keyFileExists {
                        kept.append(name)  // made by another run since the check: it stays
                    } catch {
                        throw NodeError.unreadable(path: path, reason: "\(error)")
                    }
                }
                let view = DataKeysView(cluster: topology.cluster.rawValue, dir: dir, created: created, kept: kept)
                if output.json {
                    try printJSON(view)
                    return
                }
                print("Data keys of cluster \(view.cluster) in \(dir) (mode 0600):")
                for name in created { print("  created  \(name)") }
                for name in kept { print("  kept     \(name)") }
                print(
                    "Give each site its keys with `nightdesk keys bundle --topology \(topology.path) --site SITE "
                        + "--from \(dir) --to FOLDER`.")
            }
        }
    }

    struct BundleKeys: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bundle",
            abstract: "Copy into a new folder exactly the keys one site may hold.",
            discussion: """
                The site's own <SITE>.curve.key and <SITE>.signing.key, cluster.data.key, and the data key of \
                each organisation it holds (every one for holds = ["*"]), and nothing else: a council's replica \
                gets its own organisation's key and no other's (7.10). The keys are checked against the topology \
                before anything is written. The folder is created with mode 0700, each file 0600. A folder that \
                is not empty is refused; --force replaces an earlier bundle (a folder of .key files only), \
                removing keys the site no longer holds.
                """)

        @OptionGroup var cluster: TopologyOptions
        @Option(name: .long, help: "The site to bundle keys for, e.g. WST.") var site: String
        @Option(name: .long, help: "Folder of the cluster's key files.") var from: String = "Topology/keys"
        @Option(name: .long, help: "The folder to create for the site's keys.") var to: String
        @Flag(name: .long, help: "Replace an earlier bundle in --to.") var force = false
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let code = try SiteCode(site)
                let (topology, catalogue) = try cluster.load()
                guard let entry = topology.site(code) else {
                    let sites = topology.sites.map(\.code.rawValue).joined(separator: ", ")
                    throw DomainError(
                        .invalidValue, "site \(code) is not in \(topology.path): give one of its sites (\(sites))")
                }
                let scopes =
                    [DataKeyScope.cluster]
                    + topology.organisations(heldBy: entry, catalogue: catalogue).map { DataKeyScope.organisation($0) }
                let names = [KeyFileName.curve(code), KeyFileName.signing(code)] + scopes.map(KeyFileName.data)
                try requireSources(names, site: code, topology: topology)
                // Read and check every key (mode, type, and the site's public halves against the topology), so a
                // bundle never carries a key the site could not use.
                let ring = try SiteKeyRing.load(folder: from, site: code, topology: topology, catalogue: catalogue)
                let stale = try staleFiles(keeping: names)
                let manager = FileManager.default
                let createdFolder = !manager.fileExists(atPath: to)
                do {
                    try manager.createDirectory(
                        atPath: to, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                    try manager.setAttributes([.posixPermissions: 0o700], ofItemAtPath: to)
                    func place(_ name: String) -> String { (to as NSString).appendingPathComponent(name) }
                    try ring.curve.writeKeyFile(to: place(KeyFileName.curve(code)), force: force)
                    try ring.signing.writeKeyFile(to: place(KeyFileName.signing(code)), force: force)
                    for scope in ring.scopes {
                        try ring.dataKey(for: scope)?.writeKeyFile(to: place(KeyFileName.data(scope)), force: force)
                    }
                    for name in stale { try manager.removeItem(atPath: place(name)) }
                } catch {
                    if createdFolder { try? manager.removeItem(atPath: to) }
                    throw NodeError.unreadable(path: to, reason: "the bundle could not be written: \(error)")
                }
                let view = BundleView(
                    site: code.rawValue, role: entry.role.rawValue, to: to, files: names, removed: stale)
                if output.json {
                    try printJSON(view)
                    return
                }
                let holds =
                    entry.holds == .every
                    ? "every organisation" : scopes.dropFirst().map(\.description).joined(separator: ", ")
                print("Keys of site \(code) (\(entry.role.rawValue), holds \(holds)) copied to \(to):")
                for name in names { print("  \(name)") }
                print("(folder mode 0700, files 0600)")
                if !stale.isEmpty { print("Removed, no longer held: \(stale.joined(separator: ", "))") }
                print("The folder holds secret keys: move it to the site over a secure channel, then delete this copy.")
            }
        }

        /// Stops with every missing source file and the command that makes it (exit 66).
        private func requireSources(_ names: [String], site: SiteCode, topology: ClusterTopology) throws {
            var missing: [String] = []
            for name in names {
                let path = (from as NSString).appendingPathComponent(name)
                guard !FileManager.default.fileExists(atPath: path) else { continue }
                if name.hasSuffix(".data.key") {
                    missing.append(
                        "\(path) is missing: make it with `nightdesk keys data --topology \(topology.path) "
                            + "--catalogue \(cluster.catalogue) --dir \(from)`")
                } else {
                    missing.append(
                        "\(path) is missing: make it with `nightdesk keys generate --site \(site) --dir \(from)` "
                            + "(the topology must then name the \(KeyFileName.publicKeys(site)) it writes)")
                }
            }
            guard missing.isEmpty else {
                report(missing + ["nothing was written"])
                throw ExitCode(66)
            }
        }

        /// The files of an earlier bundle in `to` that the site no longer holds; refuses any other non-empty folder.
        private func staleFiles(keeping names: [String]) throws -> [String] {
            let manager = FileManager.default
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: to, isDirectory: &isDirectory) else { return [] }
            guard isDirectory.boolValue else {
                throw DomainError(.invalidValue, "\(to) is a file; give a new or empty folder for the bundle")
            }
            let source = URL(fileURLWithPath: from).resolvingSymlinksInPath().standardizedFileURL.path
            let target = URL(fileURLWithPath: to).resolvingSymlinksInPath().standardizedFileURL.path
            guard source != target else {
                throw DomainError(.invalidValue, "--to \(to) is the --from folder; give a new or empty folder")
            }
            let contents = try manager.contentsOfDirectory(atPath: to).sorted()
            guard !contents.isEmpty else { return [] }
            guard force else {
                throw DomainError(
                    .invalidValue,
                    "\(to) is not empty (it holds \(listed(contents))); give a new or empty folder, or pass --force "
                        + "to replace an earlier bundle there. Nothing was written.")
            }
            let foreign = contents.filter { name in
                let attributes = try? manager.attributesOfItem(atPath: (to as NSString).appendingPathComponent(name))
                return !name.hasSuffix(".key") || attributes?[.type] as? FileAttributeType != .typeRegular
            }
            guard foreign.isEmpty else {
                throw DomainError(
                    .invalidValue,
                    "--force replaces only an earlier bundle (a folder of .key files), but \(to) also holds "
                        + "\(listed(foreign)); give a new or empty folder. Nothing was written.")
            }
            return contents.filter { !names.contains($0) }
        }

        private func listed(_ names: [String]) -> String {
            let shown = names.prefix(5).joined(separator: ", ")
            return names.count > 5 ? "\(shown) and \(names.count - 5) more" : shown
        }
    }
}

/// `keys data --json` output.
struct DataKeysView: Encodable {
    let cluster: String
    let dir: String
    let created: [String]
    let kept: [String]
}

/// `keys bundle --json` output.
struct BundleView: Encodable {
    let site: String
    let role: String
    let to: String
    /// The file names written, the site's own keys first.
    let files: [String]
    /// Files of an earlier bundle removed because the site no longer holds them (only with --force).
    let removed: [String]
}
