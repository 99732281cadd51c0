import ArgumentParser
import Domain
import Foundation
import Sodium

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "A site's long-term keys.",
        subcommands: [Generate.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a site's CURVE key pair (its links) and Ed25519 signing key (its change sets).",
            discussion: """
                Files are written with mode 0600 as <dir>/<SITE>.curve.key and <dir>/<SITE>.signing.key, and are \
                never committed. The public keys printed go into the site topology file. Existing key files are \
                refused unless --force is given; nothing is written when either is refused.
                """)

        @Option(name: .long, help: "The site's code, e.g. WST.") var site: String
        @Option(name: .long, help: "Folder for the key files.") var dir: String = "Topology/keys"
        @Flag(name: .long, help: "Replace existing key files (the site's peers must then be given the new public keys).")
        var force = false
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let code = try SiteCode(site)
                let curvePath = (dir as NSString).appendingPathComponent("\(code).curve.key")
                let signingPath = (dir as NSString).appendingPathComponent("\(code).signing.key")
                if !force {
                    for path in [curvePath, signingPath] where FileManager.default.fileExists(atPath: path) {
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
                let view = KeysView(
                    site: code.rawValue, curvePublicKey: curve.publicKey.z85, signingPublicKey: signing.publicKey.base64,
                    curveKeyFile: curvePath, signingKeyFile: signingPath)
                if output.json {
                    try printJSON(view)
                    return
                }
                print("Keys for site \(code) written (mode 0600):")
                print("  \(curvePath)\n  \(signingPath)")
                print("Public keys for the topology file:")
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
}
