import Domain
import Foundation
import Mesh
import Store

/// The running node is not there to ask: no status file, or none written lately (exit 69 at the command line).
public struct NodeNotRunning: Error, Equatable, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String

    public var description: String {
        "\(reason): the node is not running (start it with `nightdesk node run --config FILE`; status file \(path))"
    }
}

/// A running node's mesh status, read from the file it rewrites every second, refused when stale.
public enum LiveStatus {
    /// A status older than this means the node has stopped (the same bound as `node status`).
    public static let staleAfterMs: Int64 = 10_000

    public static func path(folder: String) -> String {
        (folder as NSString).appendingPathComponent(NodeRunConfiguration.statusFileName)
    }

    /// The status written by the node of the data folder at `folder`, no older than `staleAfterMs` at `now`.
    public static func read(folder: String, now: Date) throws -> MeshStatus {
        let path = path(folder: folder)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NodeNotRunning(path: path, reason: "no status file")
        }
        let status: MeshStatus
        do {
            status = try JSONDecoder().decode(MeshStatus.self, from: data)
        } catch {
            throw NodeError.invalidFile(path: path, problems: ["it is not a node status file: \(error)"])
        }
        let ageMs = now.milliseconds - status.writtenAtMs
        guard ageMs <= staleAfterMs else {
            throw NodeNotRunning(path: path, reason: "the status was last written \(ageMs / 1000) s ago")
        }
        return status
    }
}

/// The one place a node's routing inputs are put together: the `RoutingSnapshot` it routes new calls by, from its
/// mesh status (who is seen, each peer's announced state) and its store (replicated handlers and calls).
///
/// - Voting sites: the topology's call-centre sites (carried in the status file).
/// - Seen: this node, and every peer whose health is `connected` or `lagging`: both are heard within
///   `peerDownAfterMs`; a lagging peer is behind on data, not gone, and still answers calls.
/// - State: this site's own from its store (`site state`, `site evacuate`); a seen peer's from its last heartbeat;
///   a peer not seen is `down`, so a site that stops sending heartbeats loses its share as soon as it is marked
///   down (DESIGN.md "Failover and traffic").
/// - Handlers: the replicated handler table, signed in at each site, grouped by the set of organisations they are
///   trained for (the heartbeat's per-organisation counts cannot give groups, and rule 3 of `CallRouter` needs them).
/// - Calls: the replicated calls, open, opened at each site, offered within `SiteCapacity.callsInProgressWindowMs`
///   (the heartbeat's rule); none are counted as queued, since queues live in the telephony, not the store.
/// - Split: the operator's manual split in this data folder (`route split`), local to this node.
public enum RoutingViews {
    /// The manual split's file in the data folder.
    public static let splitFileName = "routing-split.json"

    /// The snapshot `status`'s node routes by at `now`, with its store `database`.
    public static func snapshot(status: MeshStatus, database: AppDatabase, now: Date, split: ManualSplit?) throws
        -> RoutingSnapshot
    {
        let node = try SiteCode(status.site)
        guard let votingNames = status.votingSites, !votingNames.isEmpty else {
            throw NodeError.invalidFile(
                path: NodeRunConfiguration.statusFileName,
                problems: ["the status lists no voting sites: the node predates live routing; restart it"])
        }
        let voting = try votingNames.map(SiteCode.init)
        var seen: [SiteCode] = [node]
        var peerStates: [SiteCode: Domain.SiteState] = [:]
        for peer in status.peers {
            guard let code = try? SiteCode(peer.site), voting.contains(code) else { continue }
            guard peer.health == "connected" || peer.health == "lagging" else { continue }
            seen.append(code)
            peerStates[code] = peer.siteState.flatMap(Domain.SiteState.init(rawValue:)) ?? .up
        }
        let ownState = Domain.SiteState(rawValue: try database.siteState().rawValue) ?? .up
        let calls = try database.callsInProgressBySite(at: now, windowMs: SiteCapacity.callsInProgressWindowMs)
        var views: [SiteView] = []
        for site in voting {
            let state: Domain.SiteState = site == node ? ownState : (peerStates[site] ?? .down)
            let signedIn = try database.handlers(site: site.rawValue).filter { $0.signedIn && $0.site == site.rawValue }
            views.append(try view(site: site, state: state, trained: signedIn.map(\.trained), calls: calls[site.rawValue] ?? [:]))
        }
        return RoutingSnapshot(node: node, votingSites: voting, seen: seen, views: views, split: split)
    }

    /// One site's view from what each handler signed in there is trained for (organisation codes) and its calls in
    /// progress per organisation code.
    static func view(site: SiteCode, state: Domain.SiteState, trained lists: [[String]], calls: [String: Int]) throws
        -> SiteView
    {
        var groups: [[OrganisationCode]: Int] = [:]
        for list in lists {
            let trained = Set(list.compactMap { try? OrganisationCode($0) }).sorted()
            guard !trained.isEmpty else { continue }
            groups[trained, default: 0] += 1
        }
        let handlerGroups = groups.map { HandlerGroup(count: $0.value, trainedFor: $0.key) }
            .sorted { ($0.trainedFor.map(\.rawValue).joined(separator: ","), $0.count) < ($1.trainedFor.map(\.rawValue).joined(separator: ","), $1.count) }
        let organisationCalls = calls.compactMap { code, count -> OrganisationCalls? in
            guard let organisation = try? OrganisationCode(code), count > 0 else { return nil }
            return OrganisationCalls(
                organisation: organisation, inProgress: min(count, DomainLimits.routingCallsPerOrganisationMax), queued: 0)
        }.sorted { $0.organisation < $1.organisation }
        return try SiteView(site: site, state: state, handlers: handlerGroups, calls: organisationCalls)
    }

    /// The router of the running node of `folder` at `now`: its fresh status, its store and its split.
    public static func liveRouter(folder: NodeFolder, now: Date) throws -> CallRouter {
        let status = try LiveStatus.read(folder: folder.path, now: now)
        guard status.site == folder.site.rawValue else {
            throw NodeError.dataFolderOfAnotherSite(path: folder.path, expected: folder.site.rawValue, found: status.site)
        }
        return try CallRouter(
            try snapshot(status: status, database: folder.database, now: now, split: try readSplit(folder: folder.path)))
    }

    // MARK: - Manual split (local to this node)

    public static func splitPath(folder: String) -> String {
        (folder as NSString).appendingPathComponent(splitFileName)
    }

    /// The manual split set at this node, if any.
    public static func readSplit(folder: String) throws -> ManualSplit? {
        let path = splitPath(folder: folder)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(ManualSplit.self, from: data)
        } catch {
            throw NodeError.invalidFile(
                path: path, problems: RoutingViewsFile.messages(error) + ["set it again with `nightdesk route split --set`"])
        }
    }

    /// Sets (or with nil clears) the manual split at this node; the file is replaced whole.
    public static func writeSplit(_ split: ManualSplit?, folder: String) throws {
        let path = splitPath(folder: folder)
        guard let split else {
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            return
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try encoder.encode(split).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Parses `WST=70,EST=30`: shares in steps of `DomainLimits.routingSplitStepPercent` adding up to 100.
    public static func parseSplit(_ text: String, votingSites: [SiteCode]?) throws -> ManualSplit {
        var shares: [ManualSplit.Share] = []
        var problems: [DomainError] = []
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: "=", omittingEmptySubsequences: false)
            guard pieces.count == 2, let percent = Int(pieces[1].trimmingCharacters(in: .whitespaces)) else {
                problems.append(DomainError(.invalidValue, "'\(part)' is not SITE=PERCENT, e.g. WST=70,EST=30"))
                continue
            }
            guard let site = try? SiteCode(pieces[0].trimmingCharacters(in: .whitespaces).uppercased()) else {
                problems.append(DomainError(.invalidValue, "'\(pieces[0])' is not a site code"))
                continue
            }
            if let votingSites, !votingSites.contains(site) {
                problems.append(
                    DomainError(
                        .invalidValue,
                        "\(site) is not a call-centre site of this cluster: use "
                            + votingSites.map(\.rawValue).joined(separator: ", ")))
            }
            shares.append(ManualSplit.Share(site: site, percent: percent))
        }
        if shares.isEmpty && problems.isEmpty {
            problems.append(DomainError(.invalidValue, "--set lists no share: give SITE=PERCENT pairs, e.g. WST=70,EST=30"))
        }
        guard problems.isEmpty else { throw DomainErrors(problems) }
        return try ManualSplit(shares)
    }
}
