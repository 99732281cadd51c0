import Domain
import Foundation
import GRDB
import Replication

/// A call still in progress at a site: what an evacuation hands over (8.1).
public struct CallInProgress: Sendable, Equatable, Codable {
    public let reference: String
    public let organisation: String
    public let offeredAt: Date
}

extension AppDatabase {
    // MARK: - Routing and evacuation (DESIGN.md "Failover and traffic", "Durability")

    /// Per site, per organisation code, the calls in progress there: opened at that site, not closed, offered
    /// within `windowMs` of `instant` (the same rule as `siteCapacity`, applied to the replicated calls of every site).
    public func callsInProgressBySite(at instant: Date, windowMs: Int64) throws -> [String: [String: Int]] {
        try read { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT site_code, organisation_code, count(*) AS calls FROM call
                        WHERE offered_at_ms >= ? AND offered_at_ms <= ? AND status <> 'closed'
                        GROUP BY site_code, organisation_code
                        """),
                arguments: [instant.milliseconds - windowMs, instant.milliseconds])
            var result: [String: [String: Int]] = [:]
            for row in rows {
                result[row["site_code"] as String, default: [:]][row["organisation_code"] as String] = row["calls"] as Int
            }
            return result
        }
    }

    /// This site's calls in progress, oldest first, at most `limit`: what an evacuation waits for or hands over.
    public func callsInProgressHere(at instant: Date, windowMs: Int64, limit: Int) throws -> [CallInProgress] {
        precondition(limit > 0, "limit must be positive")
        return try read { db in
            let site = try localSite(db).rawValue
            return try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT reference, organisation_code, offered_at_ms FROM call
                        WHERE offered_at_ms >= ? AND offered_at_ms <= ? AND site_code = ? AND status <> 'closed'
                        ORDER BY offered_at_ms, reference LIMIT ?
                        """),
                arguments: [instant.milliseconds - windowMs, instant.milliseconds, site, limit]
            ).map {
                CallInProgress(
                    reference: $0["reference"], organisation: $0["organisation_code"],
                    offeredAt: Date(milliseconds: $0["offered_at_ms"]))
            }
        }
    }

    /// The highest sequence of this site's own change sets committed here (sealed or not); 0 before the first.
    public func ownChangeSetHead() throws -> UInt64 {
        try read { db in
            let site = try localSite(db).rawValue
            return try UInt64.fetchOne(
                db.cachedStatement(sql: "SELECT max(sequence) FROM change_log WHERE origin = ?"), arguments: [site]) ?? 0
        }
    }
}
