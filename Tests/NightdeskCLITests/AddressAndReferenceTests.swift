import Domain
import Foundation
import Testing

/// `address find` and `address import`.
@Suite struct AddressCommandTests {
    let site: TestSite

    init() throws {
        site = try TestSite("WST")
    }

    func find(_ words: [String]) throws -> [String] {
        let result = try site.run(["address", "find", "--po", "EAL", "--json"] + words)
        try #require(result.status == 0, "\(result)")
        struct Found: Decodable { let uprn: Int64 }
        return try decode([Found].self, result.stdout).map { String($0.uprn) }
    }

    func writeCSV(_ name: String, _ lines: [String]) throws -> String {
        let url = site.root.appendingPathComponent(name)
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
        return url.path
    }

    static let header = "UPRN,X_COORDINATE,Y_COORDINATE,LATITUDE,LONGITUDE,SAON,PAON,STREET,LOCALITY,TOWN,POSTCODE,WARD"

    @Test func findMatchesTheWordsACallerGives() throws {
        let result = try site.run(["address", "find", "--po", "EAL", "heron", "walk"])
        #expect(result.status == 0, "\(result)")
        let line = "100021000001  Northfield Library, Heron Walk, West Ealing, London W13 9XG  (Northfield)"
        #expect(result.stdout.contains(line), "\(result)")
        #expect(try find(["5", "laburnum"]).contains("100021000058"))
        let none = try site.run(["address", "find", "--po", "EAL", "nowhere", "street"])
        #expect(none.status == 0, "\(none)")
        #expect(none.stdout.contains("No address in EAL's gazetteer matches"), "\(none)")
    }

    @Test func findLooksOnlyInTheOrganisationsOwnGazetteer() throws {
        let ealing = try find(["heron"])
        #expect(!ealing.isEmpty)
        let result = try site.run(["address", "find", "--po", "PEA", "--json", "heron", "walk", "northfield"])
        #expect(result.status == 0, "\(result)")
        #expect(!result.stdout.contains("100021000001"), "\(result)")
    }

    @Test func findForAnOrganisationNotServedHereSaysSo() throws {
        let result = try site.run(["address", "find", "--po", "XYZ", "heron"])
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("organisation XYZ is not served here"), "\(result)")
        #expect(!result.stdout.contains("log the address as text"), "\(result)")
    }

    @Test func importOfABadFileExitsNonZeroAndLeavesTheOldGazetteerIntact() throws {
        let before = try find(["heron"])
        #expect(before == ["100021000001"])
        let sizes = try site.run(["participants", "list"]).stdout
        let bad = try writeCSV("bad.csv", [
            Self.header,
            "7,516724.82,179900.22,51.505989,-0.319562,,1,New Road,,London,W13 9XG,Northfield",
            "12ab,516724.82,179900.22,51.505989,-0.319562,,2,New Road,,London,W13 9XG,Northfield",
        ])
        let result = try site.run(["address", "import", "--po", "EAL", bad])
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("bad.csv line 3: UPRN '12ab' is not valid"), "\(result)")
        #expect(try find(["heron"]) == before)
        #expect(try find(["new", "road"]).isEmpty)
        #expect(try site.run(["participants", "list"]).stdout == sizes)
    }

    @Test func importOfAMissingFileIsAFileError() throws {
        let missing = site.root.appendingPathComponent("none.csv").path
        let result = try site.run(["address", "import", "--po", "EAL", missing])
        #expect(result.status == 74, "\(result)")
        #expect(result.stderr.contains("none.csv"), "\(result)")
        #expect(try find(["heron"]) == ["100021000001"])
    }

    @Test func importOfAGoodFileReplacesTheGazetteer() throws {
        let good = try writeCSV("good.csv", [
            Self.header,
            "7,516724.82,179900.22,51.505989,-0.319562,,1,New Road,,London,W13 9XG,Northfield",
            #"8,516730.00,179905.00,51.506000,-0.319500,"Flat 2, Rear",3,New Road,,London,W13 9XG,Northfield"#,
        ])
        let result = try site.run(["address", "import", "--po", "EAL", good])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("Imported 2 addresses for EAL"), "\(result)")
        let json = try site.run(["address", "import", "--po", "EAL", "--json", good])
        struct Imported: Decodable { let organisation: String; let addresses: Int }
        let imported = try decode(Imported.self, json.stdout)
        #expect(imported.organisation == "EAL")
        #expect(imported.addresses == 2, "the count is a JSON number")
        #expect(try find(["new", "road"]) == ["7", "8"])
        #expect(try find(["heron"]).isEmpty, "the old addresses are gone")
        let peabody = try site.run(["address", "find", "--po", "PEA", "--json", "road"])
        #expect(peabody.stdout.contains("\"uprn\""), "other gazetteers are untouched: \(peabody)")
    }

    @Test func importForAnOrganisationNotInTheCatalogueIsRefused() throws {
        let good = try writeCSV("good.csv", [
            Self.header, "7,516724.82,179900.22,51.505989,-0.319562,,1,New Road,,London,W13 9XG,Northfield",
        ])
        let result = try site.run(["address", "import", "--po", "XYZ", good])
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("organisation XYZ is not in the catalogue"), "\(result)")
    }
}

/// References are unique across sites without coordination (5.2.2).
@Suite struct ReferenceTests {
    @Test func referencesIssuedAtTwoSitesNeverCollideAndCarryTheirSiteCode() async throws {
        let callsPerSite = 20
        async let west = Self.logCalls(site: "WST", count: callsPerSite)
        async let east = Self.logCalls(site: "EST", count: callsPerSite)
        let (westReferences, eastReferences) = try await (west, east)
        #expect(westReferences.count == callsPerSite)
        #expect(eastReferences.count == callsPerSite)
        #expect(Set(westReferences).count == callsPerSite, "a site never repeats a reference")
        #expect(Set(eastReferences).count == callsPerSite)
        #expect(Set(westReferences).isDisjoint(with: eastReferences))
        for reference in westReferences {
            #expect(reference.hasPrefix("WST-"), "\(reference)")
            #expect(try CallReference(parsing: reference).site.rawValue == "WST")
        }
        for reference in eastReferences {
            #expect(reference.hasPrefix("EST-"), "\(reference)")
            #expect(try CallReference(parsing: reference).site.rawValue == "EST")
        }
    }

    /// Logs `count` calls at a new site, alternating the ways a call can be logged, and returns their references.
    static func logCalls(site code: String, count: Int) async throws -> [String] {
        let site = try TestSite(code, gazetteers: false)
        var references: [String] = []
        for index in 0..<count {
            let logged: LoggedJSON
            if index.isMultiple(of: 2) {
                logged = try site.logGraffiti(["--caller-name", "Caller \(index)"])
            } else {
                logged = try site.log([
                    "--access-number", "020 7946 0102", "--answer", "noise_source=Other", "--not-known", "ongoing_now",
                    "--offered-at", Times.fridayLate,
                ])
            }
            references.append(logged.reference)
        }
        #expect(try site.calls().count == count)
        return references
    }
}
