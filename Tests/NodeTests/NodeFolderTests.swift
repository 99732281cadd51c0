import Domain
import Foundation
import Node
import Store
import Testing

@Suite struct NodeFolderTests {
    static let instant = Date(timeIntervalSince1970: 1_795_000_000)

    let scratch: TemporaryFolder
    let catalogue: CatalogueFile

    init() throws {
        scratch = try TemporaryFolder()
        catalogue = try CatalogueFile(path: Repository.cataloguePath)
    }

    func initialise(
        _ path: String, site: String = "WST", siteName: String? = nil, catalogue: CatalogueFile? = nil,
        gazetteers: Bool = false
    ) throws -> NodeFolder.InitReport {
        try NodeFolder.initialise(
            path: path, site: try SiteCode(site), siteName: siteName, catalogueFile: catalogue ?? self.catalogue,
            loadGazetteers: gazetteers, at: Self.instant
        ).1
    }

    /// Every file under `path` with its contents, to show that nothing changed.
    func snapshot(_ path: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: path) {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: path).appendingPathComponent(name))
        }
        return files
    }

    @Test func initialiseCreatesAPrivateFolderAndConfigForTheSite() throws {
        let path = scratch.path("sites/west")
        let report = try initialise(path, siteName: "West London", gazetteers: true)
        #expect(report.created)
        #expect(report.site == "WST")
        #expect(report.catalogue.organisations == 11)
        #expect(report.gazetteerAddresses.count == 11)
        #expect(report.gazetteerAddresses["EAL"] == 235)
        #expect(try permissions(path) == 0o700)
        let config = (path as NSString).appendingPathComponent(NodeFolder.configFileName)
        #expect(try permissions(config) == 0o600)
        let text = try String(contentsOfFile: config, encoding: .utf8)
        #expect(text.contains(/site = ["']WST["']/), "\(text)")
        #expect(text.contains(/siteName = ["']West London["']/), "\(text)")
        let opened = try NodeFolder.open(path: path, expectedSite: try SiteCode("WST"))
        #expect(opened.site.rawValue == "WST")
        #expect(opened.siteName == "West London")
        #expect(try opened.database.catalogue().organisations.count == 11)
    }

    @Test func initialiseIntoAnExistingEmptyFolderMakesItPrivate() throws {
        // A folder made beforehand with the usual umask is readable by everyone; the store holds callers' details.
        let path = scratch.path("made-by-hand")
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        let report = try initialise(path)
        #expect(report.created)
        #expect(try permissions(path) == 0o700)
        #expect(try permissions((path as NSString).appendingPathComponent(NodeFolder.configFileName)) == 0o600)
    }

    @Test func reinitialisingWithTheSameSiteReloadsTheCatalogueAndKeepsTheFolder() throws {
        let path = scratch.path("node")
        _ = try initialise(path, siteName: "West London")
        let before = try NodeFolder.open(path: path, expectedSite: nil)
        let serial = try before.database.callCounts().total
        #expect(serial == 0)

        // A catalogue that lists only the test borough withdraws the eleven real organisations and their options.
        let smaller = try CatalogueFile(
            path: try scratch.write("smaller/participants.toml", BrokenCatalogueTests.valid))
        let first = try initialise(path, catalogue: smaller)
        #expect(!first.created)
        #expect(first.catalogue.organisations == 1)
        #expect(first.catalogue.withdrawnOptions.contains("EAL"))
        #expect(first.catalogue.withdrawnOptions.contains("EAL noise-patrol"))

        let reopened = try NodeFolder.open(path: path, expectedSite: try SiteCode("WST"))
        #expect(reopened.siteName == "West London", "the site's name from the first init is kept")
        let loaded = try reopened.database.catalogue()
        #expect(loaded.organisation(try OrganisationCode("EAL")) == nil, "withdrawn organisations are not offered")
        #expect(loaded.organisation(try OrganisationCode("TST")) != nil)

        let again = try initialise(path)
        #expect(!again.created)
        #expect(
            again.catalogue.withdrawnOptions == ["TST", "TST noise-patrol", "TST trees"],
            "reloading the full catalogue brings Ealing back and withdraws the test borough")
        let restored = try NodeFolder.open(path: path, expectedSite: nil).database.catalogue()
        let restoredEaling = restored.organisation(try OrganisationCode("EAL"))
        #expect(restoredEaling?.option(try ServiceOptionCode("noise-patrol")) != nil)
    }

    @Test func initialisingAFolderOfAnotherSiteIsRefusedAndChangesNothing() throws {
        let path = scratch.path("west")
        _ = try initialise(path, gazetteers: true)
        let before = try snapshot(path)
        #expect {
            _ = try initialise(path, site: "EST", gazetteers: true)
        } throws: { error in
            error as? NodeError == .dataFolderOfAnotherSite(path: path, expected: "EST", found: "WST")
        }
        #expect(try snapshot(path) == before)
        #expect(try NodeFolder.open(path: path, expectedSite: nil).site.rawValue == "WST")
    }

    @Test func openingWithAnotherExpectedSiteIsRefused() throws {
        let path = scratch.path("west")
        _ = try initialise(path)
        #expect {
            _ = try NodeFolder.open(path: path, expectedSite: try SiteCode("EST"))
        } throws: { error in
            error as? NodeError == .dataFolderOfAnotherSite(path: path, expected: "EST", found: "WST")
        }
        #expect(try NodeFolder.open(path: path, expectedSite: try SiteCode("wst")).site.rawValue == "WST")
    }

    @Test func openingAFolderWithoutNodeConfigIsRefused() throws {
        let path = scratch.path("nothing-here")
        #expect {
            _ = try NodeFolder.open(path: path, expectedSite: nil)
        } throws: { error in
            error as? NodeError == .notADataFolder(path: path)
        }
        #expect(!FileManager.default.fileExists(atPath: path), "opening never creates a folder")
    }

    @Test func aBadGazetteerLeavesNoFolderBehind() throws {
        let text = BrokenCatalogueTests.valid.replacingOccurrences(
            of: "kind = \"council\"\n", with: "kind = \"council\"\ngazetteer = \"gazetteers/TST.csv\"\n")
        let cataloguePath = try scratch.write("topology/participants.toml", text)
        try scratch.write(
            "topology/gazetteers/TST.csv",
            GazetteerCSVTests.file([
                GazetteerCSVTests.header, GazetteerCSVTests.row("1"), GazetteerCSVTests.row("12ab"),
            ]))
        let file = try CatalogueFile(path: cataloguePath)
        let path = scratch.path("new-node")
        #expect(throws: NodeError.self) { _ = try initialise(path, catalogue: file, gazetteers: true) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func aMissingGazetteerLeavesNoFolderBehind() throws {
        let text = BrokenCatalogueTests.valid.replacingOccurrences(
            of: "kind = \"council\"\n", with: "kind = \"council\"\ngazetteer = \"gazetteers/TST.csv\"\n")
        let file = try CatalogueFile(path: try scratch.write("topology/participants.toml", text))
        let path = scratch.path("new-node")
        #expect(throws: NodeError.self) { _ = try initialise(path, catalogue: file, gazetteers: true) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func aNonEmptyFolderThatIsNotANodeIsRefusedAndLeftAlone() throws {
        let path = scratch.path("documents")
        try scratch.write("documents/notes.txt", "keep me")
        #expect {
            _ = try initialise(path)
        } throws: { error in
            guard case NodeError.unreadable(let reported, let reason) = error else { return false }
            return reported == path && reason.contains("not empty")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: path) == ["notes.txt"])
    }

    @Test func aFileWhereTheFolderShouldBeIsRefused() throws {
        let path = try scratch.write("node", "not a folder")
        #expect(throws: NodeError.self) { _ = try initialise(path) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "not a folder")
    }
}

extension NodeFolderTests {
    @Test func theClockSkewBoundComesFromNodeConfigAndIsChecked() throws {
        let path = scratch.path("skew")
        _ = try initialise(path)
        let configPath = (path as NSString).appendingPathComponent(NodeFolder.configFileName)
        let original = try String(contentsOfFile: configPath, encoding: .utf8)
        try (original + "clockSkewBoundMs = 5000\n").write(toFile: configPath, atomically: true, encoding: .utf8)
        #expect(try NodeFolder.open(path: path, expectedSite: nil).database.clockSkewBoundMs == 5_000)
        try (original + "clockSkewBoundMs = 5\n").write(toFile: configPath, atomically: true, encoding: .utf8)
        #expect {
            _ = try NodeFolder.open(path: path, expectedSite: nil)
        } throws: { error in
            "\(error)".contains("clockSkewBoundMs 5 must be from 1000")
        }
    }
}
