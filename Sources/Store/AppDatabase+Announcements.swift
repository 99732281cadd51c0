import Domain
import Foundation
import GRDB
import Replication

/// One announcement version (5.1.3) and the sites where it has been live.
public struct AnnouncementRecord: Sendable, Codable, Equatable {
    /// When the version reached one site, and how long after it was deployed.
    public struct LiveAt: Sendable, Codable, Equatable {
        public let site: String
        public let liveAt: Date
        /// From deployment (the deploying site's clock) to live at `site` (that site's clock).
        public let afterMs: Int64
    }

    /// The version's id, `SITE-SEQUENCE` of the change set that deployed it: unique across the cluster.
    public let id: String
    public let organisation: String
    /// The Service Option it is in front of; `nil` for every option of the organisation.
    public let option: String?
    public let text: String
    public let until: Date?
    public let deployedAt: Date
    public let deployedSite: String
    /// A clearing is a version too: it takes the announcement down at every site.
    public let cleared: Bool
    /// Whether this is still the organisation's (and option's) version: a later deployment replaces it.
    public let current: Bool
    public let live: [LiveAt]

    /// Whether callers hear it at `instant`: current, not a clearing, and not past `until`.
    public func isPlaying(at instant: Date) -> Bool {
        current && !cleared && (until.map { instant < $0 } ?? true)
    }
}

extension AppDatabase {
    static let everyOption = "*"

    // MARK: - Announcements (5.1.3)

    /// Deploys (or replaces) the announcement in front of `organisation`'s calls, for one option or all of them, as a
    /// new version; this site records it live in the same change set. Refuses an unknown organisation or option, an
    /// empty or over-long text, and an `until` that is not in the future.
    @discardableResult
    public func setAnnouncement(
        organisation: String, option: String?, text: String, until: Date?, at instant: Date
    ) throws -> AnnouncementRecord {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else {
            throw DomainError(.invalidValue, "--text is empty: give the words callers will hear after the greeting")
        }
        guard text.count <= DomainLimits.announcementTextCharactersMax else {
            throw DomainError(
                .invalidValue,
                "--text is \(text.count) characters, over the limit of \(DomainLimits.announcementTextCharactersMax): "
                    + "shorten it (callers hear it before they reach a handler, 5.1.1)")
        }
        if let until {
            guard until > instant else {
                throw DomainError(
                    .invalidValue, "--until \(Self.iso(until)) is not in the future: give a later time, or leave it out")
            }
            guard until.milliseconds - instant.milliseconds <= DomainLimits.announcementDurationMsMax else {
                throw DomainError(
                    .invalidValue,
                    "--until \(Self.iso(until)) is more than \(DomainLimits.announcementDurationMsMax / 86_400_000) days "
                        + "away: give an earlier time, or leave it out and clear it when the incident is over")
            }
        }
        return try deployAnnouncement(
            organisation: organisation, option: option, text: text, until: until, cleared: false, at: instant)
    }

    /// Takes the announcement down for `organisation` (and `option`, or all options) as a new version, so the
    /// clearing too is seen reaching every site. Refused when no announcement is up there.
    @discardableResult
    public func clearAnnouncement(organisation: String, option: String?, at instant: Date) throws -> AnnouncementRecord {
        try deployAnnouncement(organisation: organisation, option: option, text: "", until: nil, cleared: true, at: instant)
    }

    private func deployAnnouncement(
        organisation: String, option: String?, text: String, until: Date?, cleared: Bool, at instant: Date
    ) throws -> AnnouncementRecord {
        try write { db in
            let (organisationCode, optionCode) = try Self.checkedTarget(db, self, organisation: organisation, option: option)
            let key = "\(organisationCode)/\(optionCode ?? Self.everyOption)"
            if cleared {
                let current = try Row.fetchOne(
                    db, sql: "SELECT cleared, until_ms FROM announcement WHERE announcement_key = ?", arguments: [key])
                let playing =
                    current.map { ($0["cleared"] as Int64) == 0 && (($0["until_ms"] as Int64?).map { $0 > instant.milliseconds } ?? true) }
                    ?? false
                guard playing else {
                    throw DomainError(
                        .lifecycle,
                        "no announcement is up for \(key): nothing to clear (`nightdesk announcement list` shows them)")
                }
            }
            let site = try localSite(db).rawValue
            var version = ""
            try commitLocal(db, at: instant, scope: .organisation(organisationCode)) { context in
                version = "\(context.origin)-\(context.sequence)"
                return [
                    RowOperation(
                        table: ReplicatedTables.announcement.table, key: key,
                        action: .upsert(
                            fields: [
                                "organisation_code": .text(organisationCode),
                                "service_option_code": .text(optionCode ?? Self.everyOption), "version_id": .text(version),
                                "text": .text(text), "until_ms": until.map { .integer($0.milliseconds) } ?? .null,
                                "deployed_at_ms": .integer(instant.milliseconds), "deployed_site": .text(site),
                                "cleared": .integer(cleared ? 1 : 0),
                            ], supersedes: [:])),
                    Self.liveOperation(
                        version: version, key: key, organisation: organisationCode, site: site,
                        deployedAtMs: instant.milliseconds, liveAtMs: instant.milliseconds),
                ]
            }
            return try Self.announcement(db, version: version)!
        }
    }

    /// Announcements, newest first: those callers hear at `instant`, or every current version (cleared and
    /// expired ones too) with `includeInactive`.
    public func announcements(at instant: Date, includeInactive: Bool = false) throws -> [AnnouncementRecord] {
        try read { db in
            let versions = try String.fetchAll(
                db, sql: "SELECT version_id FROM announcement ORDER BY deployed_at_ms DESC, announcement_key LIMIT ?",
                arguments: [DomainLimits.announcementsListedMax])
            return try versions.compactMap { try Self.announcement(db, version: $0) }
                .filter { includeInactive || $0.isPlaying(at: instant) }
        }
    }

    /// One announcement version with the sites where it has been live; throws when no site has recorded it.
    public func announcement(id: String) throws -> AnnouncementRecord {
        try read { db in
            guard let record = try Self.announcement(db, version: id) else {
                throw DomainError(
                    .notFound,
                    "no announcement version \(id) is held here: `nightdesk announcement list --all` shows the ids")
            }
            return record
        }
    }

    /// Records, for every announcement version in this store that has no "live here" fact yet, that it is live at
    /// this site now: one change set per organisation, so each replicates under that organisation's key. Returns
    /// how many versions it recorded. A node calls this whenever change sets from peers have been applied.
    @discardableResult
    public func recordAnnouncementsLive(at instant: Date) throws -> Int {
        try write { db in
            let site = try localSite(db).rawValue
            let pending = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT a.announcement_key, a.organisation_code, a.version_id, a.deployed_at_ms FROM announcement a
                        WHERE NOT EXISTS (SELECT 1 FROM announcement_live l WHERE l.live_key = a.version_id || '@' || ?)
                        ORDER BY a.organisation_code, a.announcement_key
                        """),
                arguments: [site])
            guard !pending.isEmpty else { return 0 }
            var recorded = 0
            for (organisation, rows) in Dictionary(grouping: pending, by: { $0["organisation_code"] as String }) {
                do {
                    try commitLocal(db, at: instant, scope: .organisation(organisation)) { _ in
                        rows.map { row in
                            Self.liveOperation(
                                version: row["version_id"], key: row["announcement_key"], organisation: organisation,
                                site: site, deployedAtMs: row["deployed_at_ms"], liveAtMs: instant.milliseconds)
                        }
                    }
                    recorded += rows.count
                } catch StoreError.scopeNotHeld {
                    continue  // a replica that holds rows of an organisation it may not write: it plays nothing
                }
            }
            return recorded
        }
    }

    static func liveOperation(
        version: String, key: String, organisation: String, site: String, deployedAtMs: Int64, liveAtMs: Int64
    ) -> RowOperation {
        RowOperation(
            table: ReplicatedTables.announcementLive.table, key: "\(version)@\(site)",
            action: .add(fields: [
                "version_id": .text(version), "announcement_key": .text(key), "organisation_code": .text(organisation),
                "site_code": .text(site), "deployed_at_ms": .integer(deployedAtMs), "live_at_ms": .integer(liveAtMs),
            ]))
    }

    /// The organisation and option codes an announcement names, checked against the catalogue.
    static func checkedTarget(
        _ db: Database, _ database: AppDatabase, organisation: String, option: String?
    ) throws -> (String, String?) {
        let catalogue = try database.catalogue(db)
        guard let code = try? OrganisationCode(organisation), let found = catalogue.organisation(code) else {
            throw DomainError(
                .unknownOrganisation,
                "--organisation '\(organisation)' is not an organisation in the catalogue; known: "
                    + catalogue.organisations.map(\.code.rawValue).joined(separator: ", "))
        }
        guard let option else { return (found.code.rawValue, nil) }
        guard let optionCode = try? ServiceOptionCode(option), let operated = found.option(optionCode) else {
            throw DomainError(
                .optionNotOperated,
                "\(found.code) operates no Service Option '\(option)'; its options: "
                    + found.options.map(\.code.rawValue).joined(separator: ", "))
        }
        return (found.code.rawValue, operated.code.rawValue)
    }

    /// A version from the register if it is current, else from its live facts (a replaced version keeps those).
    static func announcement(_ db: Database, version: String) throws -> AnnouncementRecord? {
        let facts = try Row.fetchAll(
            db, sql: "SELECT * FROM announcement_live WHERE version_id = ? ORDER BY live_at_ms, site_code",
            arguments: [version])
        let live = facts.map { row in
            AnnouncementRecord.LiveAt(
                site: row["site_code"], liveAt: Date(milliseconds: row["live_at_ms"]),
                afterMs: (row["live_at_ms"] as Int64) - (row["deployed_at_ms"] as Int64))
        }
        if let row = try Row.fetchOne(db, sql: "SELECT * FROM announcement WHERE version_id = ?", arguments: [version]) {
            let option = row["service_option_code"] as String
            return AnnouncementRecord(
                id: version, organisation: row["organisation_code"], option: option == everyOption ? nil : option,
                text: row["text"], until: (row["until_ms"] as Int64?).map(Date.init(milliseconds:)),
                deployedAt: Date(milliseconds: row["deployed_at_ms"]), deployedSite: row["deployed_site"],
                cleared: (row["cleared"] as Int64) == 1, current: true, live: live)
        }
        // Replaced: its text is gone with the register's old value, but where and when it went live is kept.
        guard let first = facts.first else { return nil }
        let key = (first["announcement_key"] as String).split(separator: "/", maxSplits: 1).map(String.init)
        return AnnouncementRecord(
            id: version, organisation: first["organisation_code"],
            option: key.count == 2 && key[1] != everyOption ? key[1] : nil, text: "", until: nil,
            deployedAt: Date(milliseconds: first["deployed_at_ms"]), deployedSite: String(version.split(separator: "-").first ?? ""),
            cleared: false, current: false, live: live)
    }
}
