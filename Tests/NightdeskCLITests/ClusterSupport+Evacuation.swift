import Domain
import Foundation
import Testing

/// What `route --live --json` prints, as far as the failover tests read it.
struct LiveRouteJSON: Decodable {
    struct Site: Decodable {
        let site: String
        let weightPercent: Int
        let reason: String
    }
    struct Answer: Decodable {
        let sites: [Site]
        let pick: String?
    }
    let node: String
    let answer: Answer

    func weight(_ site: String) -> Int { answer.sites.first { $0.site == site }?.weightPercent ?? 0 }
    func reason(_ site: String) -> String { answer.sites.first { $0.site == site }?.reason ?? "" }
}

/// What `site evacuate --json` prints.
struct EvacuationJSON: Decodable {
    struct Phase: Decodable {
        let name: String
        let durationMs: Int64
    }
    let site: String
    let state: String
    let phases: [Phase]
    let totalMs: Int64
    let handedOver: [String]
    let ownHeadSequence: UInt64
    let acknowledged: [String: UInt64]
    let heldBy: [String]
    let rpoZero: Bool
}

extension TestCluster {
    /// The access number of EAL's dangerous-structures line (Gold) behind its menu's key 1.
    static let goldNumber = ["--number", "020 7946 0103", "--digit", "1"]

    /// `route --live --json` at `code` for a call from `caller`, or nil when the command fails.
    func liveRoute(_ code: String, caller: String = "07700 900123") throws -> LiveRouteJSON? {
        let result = try run(
            code,
            ["route", "--live", "--json", "--caller", caller, "--at", "2026-11-21T22:00:00Z"] + Self.goldNumber)
        guard result.status == 0 else { return nil }
        return try? decode(LiveRouteJSON.self, result.stdout)
    }

    /// Logs a call at `code` offered now (so it is in progress there) and returns its reference.
    func logCallNow(_ code: String, caller: String) throws -> String {
        let result = try run(
            code,
            [
                "call", "log", "--po", "EAL", "--option", "dangerous-structures", "--caller-name", caller,
                "--address", "1 High Street", "--answer", "structure_type=Wall", "--answer", "immediate_danger=Yes",
                "--json",
            ])
        try #require(result.status == 0, "\(result)")
        struct Logged: Decodable { let call: Call }
        return try decode(Logged.self, result.stdout).call.reference.description
    }
}
