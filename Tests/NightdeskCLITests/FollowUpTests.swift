import Domain
import Foundation
import Testing

/// Showing and following up calls: `call show` and `call update`.
@Suite struct FollowUpTests {
    let site: TestSite

    init() throws {
        site = try TestSite("WST", gazetteers: false)
    }

    @Test func showPrintsTheCallWithItsTimeline() throws {
        let logged = try site.logGraffiti(["--caller-name", "Jo Smith", "--details", "Tag on the bus shelter"])
        let result = try site.run(["call", "show", logged.reference])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("\(logged.reference)  EAL graffiti-removal  status open"), "\(result)")
        #expect(result.stdout.contains("offered Sat 21 Nov 2026 22:00"), "\(result)")
        #expect(result.stdout.contains("caller: Jo Smith"), "\(result)")
        #expect(result.stdout.contains("is_offensive: No"), "\(result)")
        #expect(result.stdout.contains("details: Tag on the bus shelter"), "\(result)")
        #expect(result.stdout.contains("Timeline:"), "\(result)")
        #expect(result.stdout.contains("WST  tester: logged: refer"), "\(result)")

        let record = try site.show(logged.reference)
        #expect(record.call.reference == logged.call.reference)
        #expect(record.timeline.map(\.kind) == ["logged"])
        #expect(record.timeline.first?.author == "tester")
        #expect(record.notes.isEmpty)
    }

    @Test func referenceIsFoundHoweverThePersonTypedIt() throws {
        let logged = try site.logGraffiti()
        let typed = logged.reference.lowercased().replacingOccurrences(of: "-", with: " ")
        let result = try site.run(["call", "show", typed, "--json"])
        #expect(result.status == 0, "\(result)")
        #expect(try decode(RecordJSON.self, result.stdout).call.reference == logged.call.reference)
    }

    @Test func referenceWithABadCheckCharacterIsRefused() throws {
        let logged = try site.logGraffiti()
        let text = logged.reference
        // Replace the check character with another symbol of the alphabet.
        let last = text.last!
        let other = ReadAloudAlphabet.symbols.first { $0 != last }!
        let misheard = String(text.dropLast()) + String(other)
        let result = try site.refused(["call", "show", misheard])
        #expect(result.stderr.contains("'\(misheard)' is not a call reference"), "\(result)")
        #expect(result.stderr.contains("check character does not match"), "\(result)")
    }

    @Test func unknownButValidReferenceIsNotFound() throws {
        try site.logGraffiti()
        let unknown = CallReference(site: try SiteCode("WST"), serial: 5_000).description
        let result = try site.refused(["call", "show", unknown], status: 66)
        #expect(result.stderr.contains("no call with reference \(unknown) is held here"), "\(result)")
    }

    @Test func noteIsAddedToTheCallAndItsTimeline() throws {
        let logged = try site.logGraffiti()
        let result = try site.run(["call", "update", logged.reference, "--note", "Caller rang back: now painted over"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("Updated \(logged.reference)"), "\(result)")
        let record = try site.show(logged.reference)
        #expect(record.notes.map(\.text) == ["Caller rang back: now painted over"])
        #expect(record.notes.first?.site == "WST")
        #expect(record.notes.first?.author == "tester")
        #expect(record.timeline.map(\.kind) == ["logged", "note"])
        let text = try site.run(["call", "show", logged.reference])
        #expect(text.stdout.contains("Notes:"), "\(text)")
        #expect(text.stdout.contains("tester: Caller rang back: now painted over"), "\(text)")
    }

    @Test func emptyNoteIsRefused() throws {
        let logged = try site.logGraffiti()
        let before = try site.show(logged.reference)
        let result = try site.refused(["call", "update", logged.reference, "--note", "   "])
        #expect(result.stderr.contains("a note must have"), "\(result)")
        #expect(try site.show(logged.reference).timeline == before.timeline)
    }

    @Test func statusMovesForwardAndIsRecordedOnTheTimeline() throws {
        let logged = try site.logGraffiti()
        let referred = try site.run(["call", "update", logged.reference, "--status", "referred", "--json"])
        #expect(referred.status == 0, "\(referred)")
        #expect(try decode(Call.self, referred.stdout).status == .referred)
        let closed = try site.run(["call", "update", logged.reference, "--status", "closed"])
        #expect(closed.status == 0, "\(closed)")
        let record = try site.show(logged.reference)
        #expect(record.call.status == .closed)
        #expect(record.timeline.map(\.summary).suffix(2) == ["open → referred", "referred → closed"])
    }

    @Test func closedCallCannotGoBackToOpenAndIsLeftUnchanged() throws {
        let logged = try site.logGraffiti()
        #expect(try site.run(["call", "update", logged.reference, "--status", "closed"]).status == 0)
        let before = try site.run(["call", "show", logged.reference, "--json"]).stdout
        let result = try site.refused(["call", "update", logged.reference, "--status", "open", "--note", "Reopening"])
        #expect(result.stderr.contains("is closed and cannot go back to open"), "\(result)")
        #expect(result.stderr.contains("--link-to \(logged.reference)"), "the way forward is given: \(result)")
        #expect(try site.run(["call", "show", logged.reference, "--json"]).stdout == before)
    }

    @Test func updateOfACallNotHeldHereIsNotFound() throws {
        try site.logGraffiti()
        let unknown = CallReference(site: try SiteCode("WST"), serial: 77).description
        let result = try site.refused(["call", "update", unknown, "--note", "Hello"], status: 66)
        #expect(result.stderr.contains("no call with reference \(unknown)"), "\(result)")
    }

    @Test func updateWithNothingToChangeIsRefused() throws {
        let logged = try site.logGraffiti()
        let result = try site.refused(["call", "update", logged.reference])
        #expect(result.stderr.contains("nothing to update"), "\(result)")
    }

    @Test func updateLinksACallToAnEarlierOne() throws {
        let first = try site.logGraffiti()
        let second = try site.logGraffiti(at: "2026-11-21T22:30")
        let result = try site.run(["call", "update", second.reference, "--link-to", first.reference])
        #expect(result.status == 0, "\(result)")
        let record = try site.show(second.reference)
        #expect(record.call.linkedTo == first.call.reference)
        #expect(record.timeline.last?.summary == "linked to earlier call \(first.reference)")
        let selfLink = try site.refused(["call", "update", second.reference, "--link-to", second.reference])
        #expect(selfLink.stderr.contains("cannot be linked to itself"), "\(selfLink)")
    }
}

/// A data folder is only ever used by the site it belongs to.
@Suite struct SiteFolderTests {
    @Test func commandsAgainstTheDataFolderOfAnotherSiteAreRefused() throws {
        let site = try TestSite("WST", gazetteers: false)
        try site.logGraffiti()
        let logged = try site.refused(
            [
                "call", "log", "--site", "EST", "--po", "EAL", "--option", "graffiti-removal", "--answer",
                "is_offensive=No", "--offered-at", Times.saturdayNight,
            ], status: 78)
        #expect(logged.stderr.contains("belongs to site WST, not EST"), "\(logged)")
        let searched = try site.run(["call", "search", "--site", "EST"])
        #expect(searched.status == 78, "\(searched)")
        #expect(searched.stderr.contains("belongs to site WST, not EST"), "\(searched)")
        #expect(try site.run(["call", "search", "--site", "wst"]).status == 0, "the site code is case-insensitive")
    }

    @Test func initForAnotherSiteOnAnExistingFolderIsRefusedAndChangesNothing() throws {
        let site = try TestSite("WST", gazetteers: false)
        try site.logGraffiti()
        func snapshot() throws -> [String: Data] {
            var files: [String: Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: site.data) {
                files[name] = try Data(contentsOf: URL(fileURLWithPath: site.data).appendingPathComponent(name))
            }
            return files
        }
        let before = try snapshot()
        let result = try NightdeskBinary.run([
            "init", "--data", site.data, "--site", "EST", "--catalogue", Repository.cataloguePath, "--no-gazetteers",
        ])
        #expect(result.status == 78, "\(result)")
        #expect(result.stderr.contains("belongs to site WST, not EST"), "\(result)")
        #expect(try snapshot() == before)
    }

    @Test func initAgainForTheSameSiteKeepsTheCalls() throws {
        let site = try TestSite("WST", gazetteers: false)
        let logged = try site.logGraffiti()
        let again = try NightdeskBinary.run([
            "init", "--data", site.data, "--site", "WST", "--catalogue", Repository.cataloguePath, "--no-gazetteers",
        ])
        #expect(again.status == 0, "\(again)")
        #expect(again.stdout.hasPrefix("Updated data folder"), "\(again)")
        #expect(try site.calls().map(\.reference) == [logged.call.reference])
        let next = try site.logGraffiti()
        #expect(next.call.reference.serial == logged.call.reference.serial + 1, "serials carry on after a reload")
    }

    @Test func folderThatIsNotADataFolderIsRefused() throws {
        let site = try TestSite("WST", gazetteers: false)
        let elsewhere = site.root.appendingPathComponent("elsewhere").path
        let result = try NightdeskBinary.run(["call", "search", "--data", elsewhere])
        #expect(result.status == 78, "\(result)")
        #expect(result.stderr.contains("is not a Nightdesk data folder"), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: elsewhere), "nothing is created")
    }

    @Test func initWithABrokenCatalogueLeavesNoFolderBehind() throws {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("nightdesk-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let text = try String(contentsOfFile: Repository.cataloguePath, encoding: .utf8)
            .replacingOccurrences(of: "standard = \"gold\"", with: "standard = \"golden\"")
        let catalogue = scratch.appendingPathComponent("participants.toml")
        try Data(text.utf8).write(to: catalogue)
        let data = scratch.appendingPathComponent("data").path
        let result = try NightdeskBinary.run([
            "init", "--data", data, "--site", "WST", "--catalogue", catalogue.path, "--no-gazetteers",
        ])
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("standard 'golden' must be platinum, gold, silver or bronze"), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: data))
    }
}
