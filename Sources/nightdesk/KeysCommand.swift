import ArgumentParser
import Domain
import Foundation
import Node
import Sodium

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "A site's long-term keys, the cluster's data keys, and the bundle of keys each site is given.",
        discussion: """
            Making keys for a cluster: `keys generate` once per site (its secret keys and its public-key file, \
            which the topology names), then `keys data` once (a data key per organisation held, and the \
            cluster's), then `keys bundle` per site (exactly the keys that site may hold, for moving to it).
            """,
        subcommands: [Generate.self, DataKeys.self, BundleKeys.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a site's CURVE key pair (its links) and Ed25519 signing key (its change sets).",
            discussion: """
                Secret keys are written with mode 0600 as <dir>/<SITE>.curve.key and <dir>/<SITE>.signing.key, \
                and are never committed. The public keys go to <dir>/<SITE>.public.toml (mode 0644), the file \
                the cluster's topology names in the site's publicKeys. Existing files are refused unless --force \
                is given; nothing is written when any of the three is refused.
                """)

        @Option(name: .long, help: "The site's code, e.g. WST.") var site: String
        @Option(name: .long, help: "Folder for the key files.") var dir: String = "Topology/keys"
        @Flag(name: .long, help: "Replace existing key files (the site's peers must then be given the new public keys).")
        var force = false
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let code = try SiteCode(site)
                let curvePath = (dir as NSString).appendingPathComponent(KeyFileName.curve(code))
                let signingPath = (dir as NSString).appendingPathComponent(KeyFileName.signing(code))
                let publicPath = (dir as NSString).appendingPathComponent(KeyFileName.publicKeys(code))
                if !force {
                    for path in [curvePath, signingPath, publicPath]
                    where FileManager.default.fileExists(atPath: path) {
                        throw DomainError(
                            .invalidValue,
                            "\(path) already exists; pass --force to replace the site's keys (its peers must then "
                                + "be given the new public keys)")
                    }
                }
                try FileManager.default.createDirectory(
                    atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                let curve = CurveKeyPair.generate()
                let signing = SigningKeyPair.generate()
                do {
                    try curve.writeKeyFile(to: curvePath, force: force)
                    try signing.writeKeyFile(to: signingPath, force: force)
                } catch {
                    throw DomainError(.invalidValue, "\(error)")
                }
                let publicKeys = SitePublicKeys(
                    site: code, curvePublicKey: curve.publicKey, signingPublicKey: signing.publicKey)
                try publicKeys.write(to: publicPath, force: force)
                let view = KeysView(
                    site: code.rawValue, curvePublicKey: curve.publicKey.z85, signingPublicKey: signing.publicKey.base64,
                    curveKeyFile: curvePath, signingKeyFile: signingPath, publicKeysFile: publicPath)
                if output.json {
                    try printJSON(view)
                    return
                }
                print("Keys for site \(code) written (mode 0600):")
                print("  \(curvePath)\n  \(signingPath)")
                print("Public keys (mode 0644), for the site's publicKeys in the topology file:")
                print("  \(publicPath)")
                print("  curvePublicKey = \"\(view.curvePublicKey)\"")
                print("  signingPublicKey = \"\(view.signingPublicKey)\"")
            }
        }
    }
}

struct KeysView: Encodable {
    let site: String
    let curvePublicKey: String
    let signingPublicKey: String
    let curveKeyFile: String
    let signingKeyFile: String
    let publicKeysFile: String
}
