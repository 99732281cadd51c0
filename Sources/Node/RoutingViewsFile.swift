import Domain
import Foundation

/// A JSON file of site views for the `route` command: the same `RoutingSnapshot` the node builds from heartbeats.
///
/// ```json
/// { "node": "WST", "votingSites": ["WST", "EST", "NTH"], "seen": ["WST", "EST"],
///   "views": [ { "site": "WST", "state": "up",
///                "handlers": [ { "count": 4, "trainedFor": ["EAL", "ENF"] } ],
///                "calls": [ { "organisation": "EAL", "inProgress": 1, "queued": 0 } ] } ],
///   "split": [ { "site": "WST", "percent": 70 }, { "site": "EST", "percent": 30 } ] }
/// ```
public enum RoutingViewsFile {
    /// Largest views file read: far above 32 sites of 500 handler groups.
    public static let bytesMax = 8 * 1024 * 1024

    /// Reads and checks the file; every problem is reported with the file's path.
    public static func read(path: String) throws -> CallRouter {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw NodeError.unreadable(
                path: path,
                reason: "it cannot be read (\(error.localizedDescription)); give the site views with --views FILE.json")
        }
        guard data.count <= bytesMax else {
            throw NodeError.invalidFile(
                path: path, problems: ["it is \(data.count) bytes; a views file is at most \(bytesMax)"])
        }
        do {
            return try CallRouter(try JSONDecoder().decode(RoutingSnapshot.self, from: data))
        } catch let error as DecodingError {
            // A DomainError thrown while decoding a value arrives wrapped; show its own message.
            if case .dataCorrupted(let context) = error, let underlying = context.underlyingError {
                throw NodeError.invalidFile(path: path, problems: messages(underlying))
            }
            throw NodeError.invalidFile(path: path, problems: [CatalogueFile.explain(error)])
        } catch {
            throw NodeError.invalidFile(path: path, problems: messages(error))
        }
    }

    static func messages(_ error: any Error) -> [String] {
        switch error {
        case let errors as DomainErrors: errors.errors.map(\.message)
        case let error as DomainError: [error.message]
        default: ["\(error)"]
        }
    }
}
