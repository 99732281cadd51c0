import Domain
import Foundation
import Replication
#if canImport(Glibc)
import Glibc
#endif
import Store
import TOMLKit

/// A node's data folder: `node.toml` (which site it is) and `nightdesk.sqlite` (its store).
public struct NodeFolder: Sendable {
    public static let configFileName = "node.toml"
    public static let databaseFileName = "nightdesk.sqlite"

    public let path: String
    public let site: SiteCode
    public let siteName: String
    public let database: AppDatabase

    struct Config: Codable {
        var site: String
        var siteName: String
        /// How far ahead of this site's clock a remote clock may be before its change sets are quarantined.
        var clockSkewBoundMs: Int64?
    }

    /// What `init` did.
    public struct InitReport: Sendable, Codable {
        public let site: String
        public let dataFolder: String
        public let created: Bool
        public let catalogue: AppDatabase.CatalogueLoadSummary
        public let gazetteerAddresses: [String: Int]
    }

    /// Creates a data folder for `site`, or refreshes the catalogue of an existing one for the same site.
    ///
    /// Everything is read and checked before anything is written, so bad input leaves no folder behind.
    public static func initialise(
        path: String, site: SiteCode, siteName: String?, catalogueFile: CatalogueFile, loadGazetteers: Bool,
        at instant: Date
    ) throws -> (NodeFolder, InitReport) {
        let gazetteers = loadGazetteers ? try catalogueFile.loadGazetteers() : [:]
        let manager = FileManager.default
        let configPath = (path as NSString).appendingPathComponent(configFileName)
        var created = false
        if manager.fileExists(atPath: configPath) {
            let existing = try readConfig(configPath)
            guard existing.site == site.rawValue else {
                throw NodeError.dataFolderOfAnotherSite(path: path, expected: site.rawValue, found: existing.site)
            }
        } else {
            var isDirectory: ObjCBool = false
            if manager.fileExists(atPath: path, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else {
                    throw NodeError.unreadable(path: path, reason: "it is a file; give a folder for the node's data")
                }
                let contents = (try? manager.contentsOfDirectory(atPath: path)) ?? []
                guard contents.isEmpty else {
                    throw NodeError.unreadable(
                        path: path, reason: "the folder is not empty and has no node.toml; give an empty or new folder")
                }
            }
            try manager.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            // createDirectory leaves an existing empty folder's mode as it was (often 0755); the store will hold
            // callers' names and numbers, so the folder is made private either way.
            try manager.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
            created = true
        }
        do {
            let database = try AppDatabase(path: (path as NSString).appendingPathComponent(databaseFileName))
            try database.initialise(site: site, at: instant)
            let summary = try database.loadCatalogue(catalogueFile.catalogue, at: instant)
            var counts: [String: Int] = [:]
            for (organisation, addresses) in gazetteers {
                counts[organisation.rawValue] = try database.importGazetteer(
                    organisation: organisation, addresses: addresses)
            }
            var name = siteName ?? site.rawValue
            if created {
                let config = Config(site: site.rawValue, siteName: name)
                let text =
                    "# Nightdesk node: which site this data folder belongs to. Written by `nightdesk init`.\n"
                    + (try TOMLEncoder().encode(config)) + "\n"
                try writePrivate(text, to: configPath)
            } else {
                name = try readConfig(configPath).siteName
            }
            let folder = NodeFolder(path: path, site: site, siteName: name, database: database)
            return (
                folder,
                InitReport(
                    site: site.rawValue, dataFolder: path, created: created, catalogue: summary,
                    gazetteerAddresses: counts)
            )
        } catch {
            if created { try? manager.removeItem(atPath: path) }
            throw error
        }
    }

    /// Opens an existing data folder; with `expectedSite`, refuses a folder of another site.
    public static func open(path: String, expectedSite: SiteCode?) throws -> NodeFolder {
        let configPath = (path as NSString).appendingPathComponent(configFileName)
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw NodeError.notADataFolder(path: path)
        }
        let config = try readConfig(configPath)
        let site: SiteCode
        do {
            site = try SiteCode(config.site)
        } catch let error as DomainError {
            throw NodeError.invalidFile(path: configPath, problems: [error.message])
        }
        if let expectedSite, expectedSite != site {
            throw NodeError.dataFolderOfAnotherSite(path: path, expected: expectedSite.rawValue, found: site.rawValue)
        }
        let databasePath = (path as NSString).appendingPathComponent(databaseFileName)
        // A folder whose database is gone must not get a new, empty one: the site would issue call references
        // it has already given out.
        guard FileManager.default.fileExists(atPath: databasePath) else {
            throw NodeError.unreadable(
                path: databasePath,
                reason: "the data folder has node.toml but no database; restore nightdesk.sqlite from backup "
                    + "(re-initialising would re-issue call references this site has already given out)")
        }
        let skewBound = config.clockSkewBoundMs ?? ReplicationLimits.clockSkewMsMaxDefault
        guard (1_000...3_600_000).contains(skewBound) else {
            throw NodeError.invalidFile(
                path: configPath, problems: ["clockSkewBoundMs \(skewBound) must be from 1000 to 3600000 (default 60000)"])
        }
        let database = try AppDatabase(path: databasePath, clockSkewBoundMs: skewBound)
        let storedSite = try database.site()
        guard storedSite == site else {
            throw NodeError.dataFolderOfAnotherSite(path: path, expected: site.rawValue, found: storedSite.rawValue)
        }
        return NodeFolder(path: path, site: site, siteName: config.siteName, database: database)
    }

    static func readConfig(_ path: String) throws -> Config {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw NodeError.unreadable(path: path, reason: "it cannot be read (\(error.localizedDescription))")
        }
        do {
            return try TOMLDecoder().decode(Config.self, from: text)
        } catch {
            throw NodeError.invalidFile(path: path, problems: ["expected `site = \"CODE\"` and `siteName = \"…\"`"])
        }
    }

    /// Writes a file readable by its owner only, atomically.
    static func writePrivate(_ text: String, to path: String) throws {
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(
            atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw NodeError.unreadable(path: path, reason: "it cannot be written")
        }
        guard rename(temporary, path) == 0 else {
            throw NodeError.unreadable(path: path, reason: "it cannot be written (rename failed, errno \(errno))")
        }
    }
}
