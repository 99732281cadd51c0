import Domain
import Foundation
import Sodium
import TOMLKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A site's public keys as `nightdesk keys generate` writes them, for the topology file to name.
///
/// The file is public (mode 0644): it is what every other site needs to let this site's links in and to
/// check its signatures. It is TOML, with exactly these keys:
/// ```toml
/// site = "WST"
/// curvePublicKey = "<40 characters of Z85>"
/// signingPublicKey = "<base64 of 32 bytes>"
/// ```
public struct SitePublicKeys: Equatable, Sendable {
    public let site: SiteCode
    public let curvePublicKey: CurvePublicKey
    public let signingPublicKey: SigningPublicKey

    static let keys = ["site", "curvePublicKey", "signingPublicKey"]

    public init(site: SiteCode, curvePublicKey: CurvePublicKey, signingPublicKey: SigningPublicKey) {
        self.site = site
        self.curvePublicKey = curvePublicKey
        self.signingPublicKey = signingPublicKey
    }

    /// The file's text. Z85 and base64 have no quote or backslash, so the values need no escaping.
    public var fileText: String {
        """
        # Public keys of site \(site), written by `nightdesk keys generate`.
        # Not secret: name this file in the cluster's topology file (publicKeys = "keys/\(site).public.toml").
        site = "\(site)"
        curvePublicKey = "\(curvePublicKey.z85)"
        signingPublicKey = "\(signingPublicKey.base64)"

        """
    }

    /// Writes the file at `path` with mode 0644, refusing to replace an existing file unless `force`.
    ///
    /// The text goes to a temporary file first and is put in place with `link` (which fails if the target
    /// exists) or, with `force`, `rename`, so a reader never sees half a file.
    public func write(to path: String, force: Bool) throws(NodeError) {
        let temporary = path + ".\(UInt32.random(in: .min ... .max)).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(fileText.utf8)) else {
            throw .unreadable(path: path, reason: "it cannot be written (check the folder exists and is writable)")
        }
        defer { unlink(temporary) }
        // Set outright rather than trusting the umask: the file is meant to be readable by everyone.
        guard chmod(temporary, 0o644) == 0 else {
            throw .unreadable(path: path, reason: "its mode cannot be set to 644 (errno \(errno))")
        }
        if force {
            guard rename(temporary, path) == 0 else {
                throw .unreadable(path: path, reason: "it cannot be replaced (errno \(errno))")
            }
        } else {
            guard link(temporary, path) == 0 else {
                if errno == EEXIST {
                    throw .unreadable(path: path, reason: "it already exists; pass --force to replace it")
                }
                throw .unreadable(path: path, reason: "it cannot be written (errno \(errno))")
            }
        }
    }

    /// What reading a public-key file found.
    enum ReadOutcome {
        case keys(SitePublicKeys)
        case missing
        /// Each problem is worded for the file, without its path.
        case problems([String])
    }

    /// Reads and checks the file at `path`; with `expectedSite`, a file of another site is a problem.
    static func read(path: String, expectedSite: SiteCode?) -> ReadOutcome {
        let text: String
        switch readSmallTextFile(path, bytesMax: NodeLimits.publicKeysFileBytesMax) {
        case .success(let read): text = read
        case .failure(let failed): return failed.missing ? .missing : .problems([failed.reason])
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            return .problems([
                "line \(error.source.begin.line), column \(error.source.begin.column): \(error.description); "
                    + "it is not a public-key file as `nightdesk keys generate` writes it"
            ])
        } catch {
            return .problems(["it is not TOML (\(error))"])
        }
        var problems: [String] = []
        for key in table.keys.sorted() where !keys.contains(key) {
            problems.append(unknownKeyMessage(key, allowed: keys, of: "a public-key file"))
        }
        func field(_ key: String) -> String? {
            guard let value = table[key] else {
                problems.append("\(key) is missing; write the file again with `nightdesk keys generate`")
                return nil
            }
            guard let string = value.string else {
                problems.append("\(key) must be a string in quotes, not a TOML \(value.type)")
                return nil
            }
            return string
        }
        var site: SiteCode?
        if let given = field("site") {
            do {
                site = try SiteCode(given)
            } catch {
                problems.append("site: \(error)")
            }
        }
        if let site, let expectedSite, site != expectedSite {
            problems.append(
                "it holds the keys of site \(site), not \(expectedSite); point publicKeys at \(expectedSite)'s own "
                    + "file (\(expectedSite).public.toml)")
        }
        var curve: CurvePublicKey?
        if let given = field("curvePublicKey") {
            do throws(SodiumError) {
                curve = try CurvePublicKey(z85: given)
            } catch {
                problems.append("curvePublicKey: \(error)")
            }
        }
        var signing: SigningPublicKey?
        if let given = field("signingPublicKey") {
            do throws(SodiumError) {
                signing = try SigningPublicKey(base64: given)
            } catch {
                problems.append("signingPublicKey: \(error)")
            }
        }
        guard problems.isEmpty, let site, let curve, let signing else { return .problems(problems) }
        return .keys(SitePublicKeys(site: site, curvePublicKey: curve, signingPublicKey: signing))
    }
}

/// The message for a key a file does not have, naming the nearest allowed key when it looks like a typo.
func unknownKeyMessage(_ key: String, allowed: [String], of what: String) -> String {
    let nearest = allowed.map { ($0, editDistance($0.lowercased(), key.lowercased())) }.min { $0.1 < $1.1 }
    let hint = nearest.flatMap { $0.1 <= 2 ? "did you mean '\($0.0)'? " : nil } ?? ""
    return "unknown key '\(key)': \(hint)the keys of \(what) are \(allowed.joined(separator: ", "))"
}

/// Levenshtein distance between two short strings, for suggesting the key a typo meant.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
