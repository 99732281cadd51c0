import Foundation

/// A folder of its own under the system's temporary directory, removed when the value is released.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("nightdesk-node-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    var path: String { url.path }

    /// A path inside the folder; nothing is created there.
    func path(_ relative: String) -> String { url.appendingPathComponent(relative).path }

    /// Writes a UTF-8 file inside the folder, creating its parent folders, and returns its path.
    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        return file.path
    }
}

/// Places in the repository the tests read from.
enum Repository {
    /// The package root, found from this file's place in `Tests/NodeTests/`.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var cataloguePath: String { root.appendingPathComponent("Topology/participants.toml").path }
}

/// POSIX permission bits of a file or folder, e.g. `0o700`.
func permissions(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
}
