import Domain
import Foundation
import GRDB
import NightdeskTestSupport
import Replication
import Testing

@testable import Store

/// Lone-worker sessions in the store (5.2.3.6): started with their call, changed only through change sets, and
/// the same board at every site once the same facts are held.
@Suite struct LoneWorkerStoreTests {
    static let started = Fixtures.london("2026-11-23 21:00")
    let handler = try! HandlerID("wst-akhan")

    /// A readable stand-in for Argon2id: `fake$<salt>$<code>`.
    static func verify(_ code: String, _ hash: CredentialHash) -> Bool {
        hash.encoded.split(separator: "$").last.map(String.init) == code.replacingOccurrences(of: " ", with: "_")
    }

    static func officer() throws -> LoneWorkerOfficer {
        var salt = 0
        let credentials = try LoneWorkerCredentials.enrol(code: "Blue Finch", duressCode: "red kite") { code in
            salt += 1
            return try CredentialHash(encoded: "fake$\(salt)$" + code.replacingOccurrences(of: " ", with: "_"))
        }
        return try LoneWorkerOfficer(
            staff: OnCallContactID("eal-jsmith"), organisation: OrganisationCode("EAL"),
            manager: OnCallContactID("eal-mmanager"), name: "Jo Smith",
            callerNumber: PhoneNumber(parsing: "07700 900123"), credentials: credentials)
    }

    func start(_ test: TestDatabase, minutes: Int = 60) throws -> LoneWorkerSession {
        try test.database.startLoneWorkerSession(
            try Fixtures.draft(action: CallAction(kind: .loneWorker)), officer: try Self.officer(),
            location: "12 Acacia Avenue", task: "Inspect a dangerous wall", expectedDuration: .seconds(minutes * 60),
            author: "wst-akhan", at: Self.started)
    }

    func changeCount(_ test: TestDatabase) throws -> Int {
        try test.database.changeSets(missingFrom: VersionVector(), limit: 10_000).count
    }

    @Test func aSessionRoundTripsWithItsCallAndOnlyHashedCodes() throws {
        let test = try TestDatabase()
        let session = try start(test)
        let read = try #require(try test.database.loneWorkerSession(session.start.call))
        #expect(read == session)
        #expect(read.deadline == Self.started.addingTimeInterval(3_600))
        let call = try #require(try test.database.callRecord(session.start.call)).call
        #expect(call.action.kind == .loneWorker && call.status == .open)
        let hashes = try test.database.read { db in
            try Row.fetchOne(db, sql: "SELECT code_hash, duress_hash FROM lone_worker_session")
        }
        #expect(hashes?["code_hash"] == "fake$1$blue_finch")
        #expect(hashes?["duress_hash"] == "fake$2$red_kite")
    }

    @Test func aDuressCheckOutIsRecordedYetRepliesExactlyAsANormalOne() throws {
        let (normal, duress) = (try TestDatabase(), try TestDatabase())
        let first = try start(normal)
        let second = try start(duress)
        #expect(first.start.call == second.start.call)
        let at = Self.started.addingTimeInterval(1_800)
        let calm = try normal.database.checkOut(
            first.start.call, code: "blue  FINCH", verify: Self.verify, by: handler, at: at)
        let forced = try duress.database.checkOut(
            second.start.call, code: "Red Kite", verify: Self.verify, by: handler, at: at)
        #expect(calm == forced)
        #expect(try normal.database.loneWorkerSession(first.start.call)?.state(at: at) == .closed)
        #expect(try duress.database.loneWorkerSession(second.start.call)?.state(at: at) == .red(.duress))
        let due = try duress.database.dueLoneWorkerActions(at: at)
        #expect(due == [LoneWorkerDueAction(session: second.start.call, action: .raiseRed(reason: .duress))])
        #expect(try normal.database.loneWorkerBoard(at: at).isEmpty)
    }

    @Test func refusalsWriteNothing() throws {
        let test = try TestDatabase()
        let session = try start(test)
        let before = try changeCount(test)
        let reference = session.start.call
        let early = Self.started.addingTimeInterval(60)
        #expect(throws: DomainError.self) {
            try test.database.checkOut(reference, code: "green finch", verify: Self.verify, by: handler, at: early)
        }
        #expect(throws: DomainError.self) { try test.database.acknowledge(reference, by: handler, at: early) }
        #expect(throws: DomainError.self) {
            try test.database.checkIn(reference, extendBy: .seconds(30), by: handler, at: early)
        }
        #expect(throws: DomainError.self) { try test.database.resolve(reference, note: " ", by: handler, at: early) }
        #expect(throws: DomainError.self) {
            try test.database.recordLoneWorkerAction(.raiseAmber, session: reference, at: early)
        }
        let unknown = CallReference(site: try SiteCode("WST"), serial: 999)
        #expect(throws: DomainError.self) { try test.database.acknowledge(unknown, by: handler, at: early) }
        // A draft that is not a lone-worker call is refused before anything is written.
        #expect(throws: DomainError.self) {
            try test.database.startLoneWorkerSession(
                try Fixtures.draft(), officer: try Self.officer(), location: "x", task: "y",
                expectedDuration: .seconds(3_600), author: "wst-akhan", at: Self.started)
        }
        #expect(try changeCount(test) == before)
    }

    @Test func recordingAnAlertIsIdempotentAndTheBoardFollowsTheWindow() throws {
        let test = try TestDatabase()
        let reference = try start(test, minutes: 30).start.call
        let overdue = Self.started.addingTimeInterval(31 * 60)
        #expect(try test.database.loneWorkerBoard(at: overdue).map(\.state) == [.overdue])
        #expect(try test.database.dueLoneWorkerActions(at: overdue).map(\.action) == [.raiseAmber])
        #expect(try test.database.recordLoneWorkerAction(.raiseAmber, session: reference, at: overdue))
        let count = try changeCount(test)
        #expect(try !test.database.recordLoneWorkerAction(.raiseAmber, session: reference, at: overdue))
        #expect(try changeCount(test) == count)
        #expect(try test.database.dueLoneWorkerActions(at: overdue).isEmpty)
        // Five minutes' window with no acknowledgement: red.
        let late = overdue.addingTimeInterval(5 * 60)
        #expect(try test.database.loneWorkerBoard(at: late).first?.state == .red(.missedCheckOut))
        #expect(try test.database.recordLoneWorkerAction(.raiseRed(reason: .missedCheckOut), session: reference, at: late))
        try test.database.resolve(reference, note: "found safe by manager", by: handler, at: late)
        #expect(try test.database.loneWorkerBoard(at: late).isEmpty)
    }

    @Test func factsRecordedAtTwoSitesMergeToTheSameBoard() throws {
        let west = try TestDatabase(site: "WST")
        let east = try TestDatabase(site: "EST")
        let reference = try start(west, minutes: 30).start.call
        try sync(west, to: east)
        let overdue = Self.started.addingTimeInterval(31 * 60)
        // Both sites' timers raise amber, and handlers at both acknowledge, before either hears of the other.
        #expect(try west.database.recordLoneWorkerAction(.raiseAmber, session: reference, at: overdue))
        #expect(try east.database.recordLoneWorkerAction(.raiseAmber, session: reference, at: overdue.addingTimeInterval(1)))
        try west.database.acknowledge(reference, by: handler, at: overdue.addingTimeInterval(60))
        try east.database.acknowledge(reference, by: try HandlerID("est-bjones"), at: overdue.addingTimeInterval(30))
        try sync(west, to: east)
        try sync(east, to: west)
        let later = overdue.addingTimeInterval(20 * 60)
        let boards = try [west, east].map { try $0.database.loneWorkerBoard(at: later) }
        #expect(boards[0] == boards[1])
        #expect(boards[0].first?.state == .overdue)
        // The earliest acknowledgement wins at both sites.
        #expect(boards[0].first?.session.currentAlert?.acknowledgement?.by.rawValue == "est-bjones")
        #expect(try west.database.stateDigest() == east.database.stateDigest())
    }

    func sync(_ from: TestDatabase, to: TestDatabase) throws {
        let missing = try from.database.changeSets(missingFrom: try to.database.heldVector(), limit: 10_000)
        try to.database.receive(missing, at: Self.started.addingTimeInterval(3_600))
    }
}
