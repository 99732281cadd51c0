/// Problems with a node's files and folders, worded for the operator who must fix them.
public enum NodeError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case invalidFile(path: String, problems: [String])
    case notADataFolder(path: String)
    case dataFolderOfAnotherSite(path: String, expected: String, found: String)
    case unsafePermissions(path: String, mode: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            "\(path): \(reason)"
        case .invalidFile(let path, let problems):
            "\(path) has \(problems.count == 1 ? "a problem" : "\(problems.count) problems"):\n"
                + problems.map { "  - \($0)" }.joined(separator: "\n")
        case .notADataFolder(let path):
            "\(path) is not a Nightdesk data folder (no node.toml); create one with `nightdesk init --data \(path) --site CODE`"
        case .dataFolderOfAnotherSite(let path, let expected, let found):
            "the data folder \(path) belongs to site \(found), not \(expected); give that site's own folder with --data"
        case .unsafePermissions(let path, let mode):
            "\(path) has mode \(mode) and may be read by other users; run `chmod 600 \(path)`"
        }
    }
}
