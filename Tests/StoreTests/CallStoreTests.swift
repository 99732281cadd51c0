import Domain
import Foundation
import NightdeskTestSupport
import Testing

@testable import Store

@Suite struct CallStoreTests {
    @Test func aLoggedCallReadsBackWithItsTimeline() throws {
        let test = try TestDatabase()
        var draft = try Fixtures.draft(
            answers: [
                "structure_type": .value("wall"), "people_at_risk": .notKnown, "hazards": .values(["Gas", "water"]),
            ])
        draft.caller = try Caller(name: "Jane Smith", phone: try PhoneNumber(parsing: "07700 900123"))
        draft.incidentAddress = try test.address(2)
        draft.details = "Garden wall leaning over the pavement"
        draft.answeredAt = draft.offeredAt.addingTimeInterval(12)
        draft.accessNumber = try PhoneNumber(parsing: "+442079460001")
        let logged = try test.database.logCall(draft, author: "amy", criteria: try DuplicateCriteria(), at: draft.offeredAt)
        let record = try #require(try test.database.callRecord(logged.call.reference))
        #expect(record.call == logged.call)
        #expect(record.call.answers["structure_type"] == .value("Wall"))
        #expect(record.call.answers["hazards"] == .values(["Gas", "Water"]))
        #expect(record.call.incidentAddress?.verification == .inGazetteer)
        #expect(record.call.incidentAddress?.text == "14 Acacia Avenue, West Ealing, London W13 9AB")
        #expect(record.call.incidentAddress?.ward == "Walpole")
        #expect(record.call.status == .open)
        #expect(record.timeline.map(\.kind) == [.logged])
        #expect(record.timeline[0].author == "amy")
        #expect(record.timeline[0].site == "WST")
    }

    @Test func referencesAreSequentialPerSiteAndDisjointAcrossSites() throws {
        let west = try TestDatabase(site: "WST")
        let east = try TestDatabase(site: "EST")
        var westReferences: [CallReference] = []
        var eastReferences: [CallReference] = []
        for _ in 0..<40 {
            westReferences.append(try west.log().call.reference)
            eastReferences.append(try east.log().call.reference)
        }
        #expect(westReferences.map(\.serial) == Array(0..<40))
        #expect(Set(westReferences.map(\.description)).isDisjoint(with: eastReferences.map(\.description)))
        #expect(westReferences.allSatisfy { $0.description.hasPrefix("WST-") })
    }

    @Test func aRefusedCallWritesNothingAndUsesNoReference() throws {
        let test = try TestDatabase()
        try test.log()
        let before = try (test.count("call"), test.count("call_event"), test.count("call_fts"))
        #expect(throws: DomainErrors.self) {
            try test.log(option: "dangerous-structures", at: "2026-11-23 12:00")  // out of hours
        }
        #expect(throws: DomainError.self) {
            var draft = try Fixtures.draft(organisation: "WAN")
            draft.caller = try Caller(name: "X", phone: nil)
            _ = try test.database.logCall(draft, author: "t", criteria: try DuplicateCriteria(), at: Date())
        }
        let after = try (test.count("call"), test.count("call_event"), test.count("call_fts"))
        #expect(before == after)
        #expect(try test.log().call.reference.serial == 1)
    }

    @Test func aLinkToAnUnknownCallIsRefused() throws {
        let test = try TestDatabase()
        let ghost = CallReference(site: try SiteCode("EST"), serial: 99)
        #expect(throws: StoreError.callNotFound(reference: ghost.description)) { try test.log(linkTo: ghost) }
        let first = try test.log()
        let second = try test.log(linkTo: first.call.reference)
        #expect(second.call.linkedTo == first.call.reference)
        #expect(try test.database.callRecord(second.call.reference)?.timeline.map(\.kind) == [.logged, .linked])
    }

    @Test func followingUpAddsNotesAndStatusChangesToTheTimeline() throws {
        let test = try TestDatabase()
        let call = try test.log().call
        let later = Fixtures.london("2026-11-23 21:10")
        try test.database.updateCall(
            call.reference, CallUpdate(status: .referred, note: "Building control on their way"), author: "amy", at: later)
        let record = try #require(try test.database.callRecord(call.reference))
        #expect(record.call.status == .referred)
        #expect(record.notes.map(\.text) == ["Building control on their way"])
        #expect(record.timeline.map(\.kind) == [.logged, .statusChanged, .note])
        #expect(record.timeline[1].summary == "open → referred")
    }

    @Test func aClosedCallCannotBeReopenedAndStaysAsItWas() throws {
        let test = try TestDatabase()
        let call = try test.log().call
        try test.database.updateCall(call.reference, CallUpdate(status: .closed), author: "amy", at: Date())
        let before = try #require(try test.database.callRecord(call.reference))
        #expect(throws: DomainErrors.self) {
            try test.database.updateCall(
                call.reference, CallUpdate(status: .open, note: "reopen please"), author: "amy", at: Date())
        }
        let after = try #require(try test.database.callRecord(call.reference))
        #expect(after.call == before.call)
        #expect(after.timeline == before.timeline)
        #expect(after.notes.isEmpty)
    }

    @Test func updatingAnUnknownCallSaysSo() throws {
        let test = try TestDatabase()
        let ghost = CallReference(site: try SiteCode("WST"), serial: 5)
        #expect(throws: StoreError.callNotFound(reference: ghost.description)) {
            try test.database.updateCall(ghost, CallUpdate(note: "hello"), author: "amy", at: Date())
        }
    }

    @Test func possibleDuplicatesAreEarlierOpenCallsForTheSameOptionNearby() throws {
        let test = try TestDatabase()
        let first = try test.log(uprn: 1, at: "2026-11-23 20:00").call
        let neighbour = try test.log(uprn: 2, at: "2026-11-23 20:10").call  // 100 m away
        try test.log(uprn: 4, at: "2026-11-23 20:20")  // 2 km away
        try test.log(uprn: 1, option: "noise-patrol", at: "2026-11-28 20:30")  // another option
        let closed = try test.log(uprn: 1, at: "2026-11-23 20:40").call
        try test.database.updateCall(closed.reference, CallUpdate(status: .closed), author: "t", at: Date())
        try test.log(uprn: 1, at: "2026-11-16 20:00")  // a week earlier: outside the 72 h window

        let logged = try test.log(uprn: 1, at: "2026-11-23 21:00")
        #expect(Set(logged.possibleDuplicates.map(\.reference)) == [first.reference, neighbour.reference])
        #expect(logged.possibleDuplicates.first?.reference == neighbour.reference)  // newest first

        let unverified = try test.database.possibleDuplicates(
            organisation: try OrganisationCode("EAL"), option: try ServiceOptionCode("dangerous-structures"),
            address: IncidentAddress(text: "somewhere", uprn: nil, point: nil, ward: nil, verification: .unverified),
            before: Fixtures.london("2026-11-23 22:00"), criteria: try DuplicateCriteria())
        #expect(unverified.isEmpty)
    }

    @Test func addressesOutsideTheOrganisationsGazetteerAreFlagged() throws {
        let test = try TestDatabase()
        let own = try #require(try test.address(1))
        #expect(own.verification == .inGazetteer)
        let wandleProperty = try #require(try test.address(900, organisation: "EAL"))
        #expect(wandleProperty.verification == .outsideBoundary)
        #expect(wandleProperty.text.contains("Garratt Lane"))
        #expect(throws: StoreError.addressNotFound(uprn: 77, organisation: "EAL")) {
            try test.address(77)
        }
        let typed = try test.database.resolveIncidentAddress(
            organisation: try OrganisationCode("EAL"), uprn: try UPRN(77), text: "Unknown Cottage")
        #expect(typed?.verification == .outsideBoundary)
        let textOnly = try test.database.resolveIncidentAddress(
            organisation: try OrganisationCode("EAL"), uprn: nil, text: " 3 Somewhere Road ")
        #expect(textOnly == IncidentAddress(text: "3 Somewhere Road", uprn: nil, point: nil, ward: nil, verification: .unverified))
    }

    @Test func reloadingTheCatalogueWithdrawsOptionsButKeepsTheirCalls() throws {
        let test = try TestDatabase()
        let call = try test.log(option: "noise-patrol", at: "2026-11-28 20:30").call
        let reduced = try Fixtures.document { object in
            var organisations = object["organisation"] as! [[String: Any]]
            organisations[0]["option"] = (organisations[0]["option"] as! [[String: Any]]).filter {
                $0["code"] as? String != "noise-patrol"
            }
            organisations[0]["accessNumber"] = [["number": "+442079460001", "label": "Main"]]
            object["organisation"] = organisations
        }.makeCatalogue()
        let summary = try test.database.loadCatalogue(reduced, at: Fixtures.london("2026-11-02 12:00"))
        #expect(summary.withdrawnOptions == ["EAL noise-patrol"])
        #expect(try test.database.catalogue().organisation(try OrganisationCode("EAL"))?.option(try ServiceOptionCode("noise-patrol")) == nil)
        #expect(try test.database.callRecord(call.reference)?.call.option.rawValue == "noise-patrol")
        #expect(throws: DomainError.self) { try test.log(option: "noise-patrol", at: "2026-11-28 20:40") }
    }

    @Test func gazetteerImportReplacesTheOrganisationsAddressesOnly() throws {
        let test = try TestDatabase()
        try test.database.importGazetteer(organisation: try OrganisationCode("EAL"), addresses: Array(try TestDatabase.ealing().prefix(2)))
        let sizes = try test.database.gazetteerSizes()
        #expect(sizes[try OrganisationCode("EAL")] == 2)
        #expect(sizes[try OrganisationCode("WAN")] == 1)
        #expect(throws: DomainError.self) {
            try test.database.importGazetteer(organisation: try OrganisationCode("XYZ"), addresses: [])
        }
        let found = try test.database.findAddresses(organisation: try OrganisationCode("EAL"), text: "14 acac")
        #expect(found.map(\.uprn.rawValue) == [2])
        #expect(try test.database.findAddresses(organisation: try OrganisationCode("EAL"), text: "Garratt").isEmpty)
        #expect(try test.database.findAddresses(organisation: try OrganisationCode("EAL"), text: "\"*)( OR").isEmpty)
    }
}
