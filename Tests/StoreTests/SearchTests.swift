import Domain
import Foundation
import NightdeskTestSupport
import Replication
import Testing

@testable import Store

@Suite struct SearchTests {
    let test: TestDatabase
    let ealing: OrganisationCode

    init() throws {
        test = try TestDatabase()
        ealing = try OrganisationCode("EAL")
        try test.log(name: "Jane Smith", uprn: 1, at: "2026-11-21 20:00")
        try test.log(name: "John Smithson", uprn: 2, at: "2026-11-22 20:00")
        try test.log(name: "Ana Müller", uprn: 3, at: "2026-11-23 20:00")
        try test.log(name: "Jane Smith", uprn: 4, option: "noise-patrol", at: "2026-11-27 20:00")
        try test.log(name: "Bob Jones", uprn: nil, at: "2026-11-28 20:00")
    }

    func names(_ search: CallSearch) throws -> [String] {
        try test.database.searchCalls(search).map { $0.caller.name ?? "" }
    }

    @Test func namesMatchFromTheStartOfAWordNewestFirst() throws {
        #expect(try names(CallSearch(callerName: "smi")) == ["Jane Smith", "John Smithson", "Jane Smith"])
        #expect(try names(CallSearch(callerName: "jane smith")) == ["Jane Smith", "Jane Smith"])
        #expect(try names(CallSearch(callerName: "mith")).isEmpty)
    }

    @Test func accentsDoNotMatter() throws {
        #expect(try names(CallSearch(callerName: "muller")) == ["Ana Müller"])
    }

    @Test func addressOptionAndTimeNarrowTheSearch() throws {
        #expect(try names(CallSearch(address: "acacia 16")) == ["Ana Müller"])
        #expect(try names(CallSearch(option: try ServiceOptionCode("noise-patrol"))) == ["Jane Smith"])
        #expect(
            try names(CallSearch(option: try ServiceOptionCode("dangerous-structures"), callerName: "smith"))
                == ["John Smithson", "Jane Smith"])
        #expect(
            try names(
                CallSearch(
                    organisation: ealing, from: Fixtures.london("2026-11-22 00:00"), to: Fixtures.london("2026-11-23 23:59")))
                == ["Ana Müller", "John Smithson"])
        #expect(try names(CallSearch(callerName: "smith", from: Fixtures.london("2026-11-22 00:00"), to: Fixtures.london("2026-11-23 00:00"))) == ["John Smithson"])
        #expect(try names(CallSearch(uprn: try UPRN(1))) == ["Jane Smith"])
        #expect(try names(CallSearch(status: .closed)).isEmpty)
        #expect(try names(CallSearch(organisation: try OrganisationCode("WAN"))).isEmpty)
    }

    @Test func searchTextCannotInjectQuerySyntax() throws {
        for hostile in ["\"", "smith OR jones", "NEAR(", "*", "caller_name:smith", "') --"] {
            #expect(throws: Never.self) { _ = try test.database.searchCalls(CallSearch(callerName: hostile)) }
        }
        #expect(try names(CallSearch(callerName: "smith OR jones")).isEmpty)  // words, not operators
    }

    @Test func theIndexFollowsARemoteChangeInTheSameTransaction() throws {
        let reference = try test.database.searchCalls(CallSearch(callerName: "jones"))[0].reference
        // Another site corrects the caller's name; its change set is applied here.
        let correction = ChangeSet(
            origin: SiteID("EST"), sequence: OriginSequence(1),
            timestamp: HybridTimestamp(physicalMs: Fixtures.london("2026-11-28 21:00").milliseconds, logical: 0, site: SiteID("EST")),
            dependencies: try test.database.appliedVector(), scope: .organisation("EAL"),
            operations: [
                RowOperation(
                    table: "call", key: reference.description,
                    action: .upsert(fields: ["caller_name": .text("Robert Jones-Okafor")], supersedes: [:]))
            ])
        let report = try test.database.receive([correction], at: Fixtures.london("2026-11-28 21:00"))
        #expect(report.applied == 1)
        #expect(try names(CallSearch(callerName: "okafor")) == ["Robert Jones-Okafor"])
        #expect(try names(CallSearch(callerName: "bob")).isEmpty)
        // With rank 1, FTS5 checks the index against the call table's contents and throws on any difference.
        try test.database.write { db in
            try db.execute(sql: "INSERT INTO call_fts(call_fts, rank) VALUES ('integrity-check', 1)")
        }
    }

    @Test func limitsAreHonoured() throws {
        #expect(try test.database.searchCalls(CallSearch(limit: 2)).count == 2)
        #expect(try test.database.searchCalls(CallSearch(limit: 10_000)).count == 5)
    }
}

extension SearchTests {
    @Test func searchWordsWithNoLettersOrDigitsMatchNothing() throws {
        #expect(try names(CallSearch(callerName: "!!!")).isEmpty)
        #expect(try names(CallSearch(address: "--")).isEmpty)
    }
}

extension SearchTests {
    @Test func aNarrowWindowOnOneOptionFindsTheSameCallsAsAWideSearch() throws {
        let option = try ServiceOptionCode("dangerous-structures")
        let from = Fixtures.london("2026-11-21 00:00")
        let to = Fixtures.london("2026-11-24 00:00")
        // Narrow: organisation, option and a window of days, searched through the option's time index.
        let narrow = try names(CallSearch(organisation: ealing, option: option, callerName: "smith", from: from, to: to))
        #expect(narrow == ["John Smithson", "Jane Smith"])
        // The same calls found without the window's shortcut.
        let wide = try test.database.searchCalls(CallSearch(option: option, callerName: "smith")).filter {
            $0.offeredAt >= from && $0.offeredAt <= to
        }.map { $0.caller.name ?? "" }
        #expect(narrow == wide)
        #expect(try names(CallSearch(organisation: ealing, option: option, callerName: "!!", from: from, to: to)).isEmpty)
    }

    @Test func callsAtOnePropertyComeNewestFirst() throws {
        try test.log(name: "Later Caller", uprn: 1, at: "2026-11-28 21:00")
        #expect(try names(CallSearch(uprn: try UPRN(1))) == ["Later Caller", "Jane Smith"])
    }
}
