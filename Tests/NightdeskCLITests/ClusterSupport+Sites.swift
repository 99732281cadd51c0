import Foundation
import NightdeskTestSupport
import Testing

/// `node status --json` with what heartbeats announce: each site's state and capacity.
struct SiteStatusJSON: Decodable {
    struct Capacity: Decodable, Equatable {
        let handlersSignedIn: Int
        let trainedByOrganisation: [String: Int]
        let callsInProgress: Int
    }
    struct Peer: Decodable {
        let site: String
        let siteState: String?
        let capacity: Capacity?
    }
    let site: String
    let siteState: String?
    let capacity: Capacity?
    let peers: [Peer]

    func peer(_ site: String) -> Peer? { peers.first { $0.site == site } }
}

/// `announcement show --json` as the tests read it.
struct AnnouncementJSON: Decodable {
    struct Live: Decodable {
        let site: String
        let afterMs: Int64
    }
    let id: String
    let current: Bool
    let live: [Live]
}

extension TestCluster {
    /// `node status --json` of `code` with sites' state and capacity, or nil while the node has written none.
    func siteStatus(_ code: String) throws -> SiteStatusJSON? {
        let result = try run(code, ["node", "status", "--json"])
        guard result.status == 0 || result.status == 69, !result.stdout.isEmpty else { return nil }
        return try? decode(SiteStatusJSON.self, result.stdout)
    }

    /// Runs `arguments` at `code`, which must succeed.
    @discardableResult
    func succeed(_ code: String, _ arguments: [String]) throws -> RunResult {
        let result = try run(code, arguments)
        try #require(result.status == 0, "\(result)")
        return result
    }
}
