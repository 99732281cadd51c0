import Domain
import Foundation
import GRDB
import NightdeskTestSupport
@testable import Store

/// A fresh database file in its own temporary folder, removed when the value is released.
final class TestDatabase {
    let folder: URL
    let database: AppDatabase

    init(site: String = "WST", gazetteer: Bool = true) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("nightdesk-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        database = try AppDatabase(path: folder.appendingPathComponent("nightdesk.sqlite").path)
        try database.initialise(site: try SiteCode(site), at: Fixtures.london("2026-11-01 12:00"))
        _ = try database.loadCatalogue(try Fixtures.catalogue(), at: Fixtures.london("2026-11-01 12:00"))
        if gazetteer {
            try database.importGazetteer(organisation: try OrganisationCode("EAL"), addresses: try Self.ealing())
            try database.importGazetteer(organisation: try OrganisationCode("WAN"), addresses: try Self.wandle())
        }
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// Three houses on Acacia Avenue 100 m apart, and one 2 km away.
    static func ealing() throws -> [GazetteerAddress] {
        try [
            (1, "12", "Acacia Avenue", 517_000.0, 180_000.0),
            (2, "14", "Acacia Avenue", 517_100.0, 180_000.0),
            (3, "16", "Acacia Avenue", 517_200.0, 180_000.0),
            (4, "1", "Far Lane", 519_000.0, 180_000.0),
        ].map { uprn, number, street, east, north in
            try GazetteerAddress(
                uprn: UPRN(Int64(uprn)), eastingMetres: east, northingMetres: north, latitude: 51.51, longitude: -0.30,
                saon: "", paon: number, street: street, locality: "West Ealing", town: "London", postcode: "W13 9AB",
                ward: "Walpole")
        }
    }

    static func wandle() throws -> [GazetteerAddress] {
        [
            try GazetteerAddress(
                uprn: UPRN(900), eastingMetres: 526_000, northingMetres: 174_000, latitude: 51.45, longitude: -0.19,
                saon: "Flat 1", paon: "Wandle House", street: "Garratt Lane", locality: "", town: "London",
                postcode: "SW18 4AA", ward: "Earlsfield")
        ]
    }

    func address(_ uprn: Int64, organisation: String = "EAL") throws -> IncidentAddress? {
        try database.resolveIncidentAddress(organisation: try OrganisationCode(organisation), uprn: try UPRN(uprn), text: nil)
    }

    @discardableResult
    func log(
        name: String = "Jane Smith", uprn: Int64? = 1, option: String = "dangerous-structures",
        at: String = "2026-11-23 21:00", action: CallAction = CallAction(kind: .refer), linkTo: CallReference? = nil
    ) throws -> LoggedCall {
        var draft = try Fixtures.draft(option: option, action: action, at: at)
        if option == "noise-patrol" { draft.answers = ["source": .value("Music")] }
        draft.caller = try Caller(name: name, phone: nil)
        draft.incidentAddress = try uprn.flatMap { try address($0) }
        draft.linkedTo = linkTo
        return try database.logCall(draft, author: "tester", criteria: try DuplicateCriteria(), at: draft.offeredAt)
    }

    func count(_ table: String) throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
    }
}
