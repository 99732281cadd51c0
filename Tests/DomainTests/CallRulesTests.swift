import Domain
import NightdeskTestSupport
import Foundation
import Testing

@Suite struct CallRulesTests {
    let catalogue: Catalogue
    init() throws { catalogue = try Fixtures.catalogue() }

    func messages(_ body: () throws -> Void) -> [String] {
        do {
            try body()
            return []
        } catch let errors as DomainErrors {
            return errors.errors.map(\.message)
        } catch let error as DomainError {
            return [error.message]
        } catch {
            return ["\(error)"]
        }
    }

    @Test func aCompleteCallInHoursIsAccepted() throws {
        let answers = try CallRules.validate(try Fixtures.draft(), catalogue: catalogue)
        #expect(answers["structure_type"] == .value("Wall"))
    }

    @Test func anOrganisationNotServedIsRefused() throws {
        let found = messages { _ = try CallRules.validate(try Fixtures.draft(organisation: "XYZ"), catalogue: catalogue) }
        #expect(found.count == 1)
        #expect(found[0].contains("XYZ is not a Participating Organisation"))
    }

    @Test func anOptionThePODoesNotOperateIsRefusedNamingWhatItDoesOperate() throws {
        let found = messages {
            _ = try CallRules.validate(
                try Fixtures.draft(organisation: "WAN", option: "dangerous-structures"), catalogue: catalogue)
        }
        #expect(found.count == 1)
        #expect(found[0].contains("does not operate"))
        #expect(found[0].contains("noise-patrol"))
    }

    @Test func aMissingRequiredAnswerIsNamedWithTheWayToRecordNotKnown() throws {
        let found = messages {
            _ = try CallRules.validate(try Fixtures.draft(answers: ["structure_type": .value("Wall")]), catalogue: catalogue)
        }
        #expect(found.count == 1)
        #expect(found[0].contains("people_at_risk"))
        #expect(found[0].contains("--not-known"))
    }

    @Test func aCallerWhoCannotAnswerIsStillHelped() throws {
        // 5.3.3: only essential data; "not known" is recorded and the call goes ahead.
        let answers = try CallRules.validate(
            try Fixtures.draft(answers: ["structure_type": .notKnown, "people_at_risk": .notKnown]), catalogue: catalogue)
        #expect(answers["people_at_risk"] == .notKnown)
    }

    @Test func everyProblemIsReportedTogether() throws {
        let found = messages {
            _ = try CallRules.validate(
                try Fixtures.draft(
                    answers: ["structure_type": .value("Chimney"), "colour": .value("red")],
                    action: CallAction(kind: .outOfScope, detail: "Unknown category")),
                catalogue: catalogue)
        }
        #expect(found.count == 3, "\(found)")
        #expect(found.contains { $0.contains("'Chimney' is not one of: Wall, Roof") })
        #expect(found.contains { $0.contains("'colour' is not a question") })
        #expect(found.contains { $0.contains("not an out-of-scope category") })
    }

    @Test func answersAreCheckedByDatatype() throws {
        let option = catalogue.organisation(try OrganisationCode("EAL"))!.option(try ServiceOptionCode("dangerous-structures"))!
        func check(_ code: String, _ answer: Answer) throws -> Answer? {
            try CallRules.validateAnswers([code: answer], for: option, complete: false)[code]
        }
        #expect(try check("structure_type", .value("roof")) == .value("Roof"))
        #expect(try check("people_at_risk", .value(" 3 ")) == .value("3"))
        #expect(throws: DomainErrors.self) { try check("people_at_risk", .value("three")) }
        #expect(try check("started", .value("2026-11-22T21:30:00Z")) == .value("2026-11-22T21:30:00Z"))
        #expect(throws: DomainErrors.self) { try check("started", .value("last night")) }
        #expect(try check("started", .value("2026-11-22T21:30")) == .value("2026-11-22T21:30"))
        #expect(try check("started", .value("2026-11-22T21:30:15")) == .value("2026-11-22T21:30:15"))
        #expect(throws: DomainErrors.self) { try check("started", .value("2026-13-22T21:30")) }
        #expect(try check("hazards", .value("gas, Water")) == .values(["Gas", "Water"]))
        #expect(throws: DomainErrors.self) { try check("hazards", .values(["Gas", "Fire"])) }
        #expect(throws: DomainErrors.self) { try check("hazards", .values(["Gas", "gas"])) }
        #expect(throws: DomainErrors.self) { try check("structure_type", .values(["Wall"])) }
        #expect(throws: DomainErrors.self) { try check("landmark", .value("two\nlines")) }
        #expect(throws: DomainErrors.self) { try check("landmark", .value("   ")) }
        #expect(try check("description", .value("long\nfree text")) == .value("long\nfree text"))
    }

    @Test func referringOutsideTheOptionsHoursIsRefusedButSignpostingIsNot() throws {
        // Monday noon: outside the 2.1.5 hours of dangerous structures.
        let found = messages { _ = try CallRules.validate(try Fixtures.draft(at: "2026-11-23 12:00"), catalogue: catalogue) }
        #expect(found.count == 1)
        #expect(found[0].contains("not in service"))
        #expect(found[0].contains("00:00-08:00, 17:00-24:00"))
        let signposted = try Fixtures.draft(
            answers: [:], action: CallAction(kind: .signpost, detail: "Daytime building control"), at: "2026-11-23 12:00")
        #expect(throws: Never.self) { _ = try CallRules.validate(signposted, catalogue: catalogue) }
    }

    @Test func informationOnlyOptionsNeedNoScriptAnswers() throws {
        let draft = try Fixtures.draft(option: "general-information", answers: [:], action: CallAction(kind: .resolve))
        #expect(throws: Never.self) { _ = try CallRules.validate(draft, catalogue: catalogue) }
    }

    @Test func outOfScopeNeedsOneOfTheOrganisationsCategories() throws {
        let missing = messages {
            _ = try CallRules.validate(
                try Fixtures.draft(answers: [:], action: CallAction(kind: .outOfScope)), catalogue: catalogue)
        }
        #expect(missing.count == 1 && missing[0].contains("needs a category"))
        let accepted = try Fixtures.draft(
            answers: [:], action: CallAction(kind: .outOfScope, detail: "advised to call back in opening hours"))
        #expect(throws: Never.self) { _ = try CallRules.validate(accepted, catalogue: catalogue) }
        // Wandle has its own list (11.7.3 f: categories are provided by each organisation).
        let wandle = try Fixtures.draft(
            organisation: "WAN", option: "noise-patrol", answers: [:],
            action: CallAction(kind: .outOfScope, detail: "Advised to call back in opening hours"))
        #expect(messages { _ = try CallRules.validate(wandle, catalogue: catalogue) }.count == 1)
    }

    @Test func aTransferNamesWhereTheCallWent() throws {
        let found = messages {
            _ = try CallRules.validate(try Fixtures.draft(action: CallAction(kind: .transfer)), catalogue: catalogue)
        }
        #expect(found.count == 1 && found[0].contains("--action-detail"))
    }

    @Test func aCallCannotEndBeforeItWasAnswered() throws {
        var draft = try Fixtures.draft()
        draft.answeredAt = draft.offeredAt.addingTimeInterval(20)
        draft.endedAt = draft.offeredAt.addingTimeInterval(10)
        #expect(messages { _ = try CallRules.validate(draft, catalogue: catalogue) }.count == 1)
    }

    func loggedCall(status: CallStatus) throws -> Call {
        let draft = try Fixtures.draft()
        return Call(
            reference: CallReference(site: try SiteCode("WST"), serial: 1), organisation: draft.organisation,
            option: draft.option, accessNumber: nil, caller: draft.caller, incidentAddress: nil,
            answers: ["structure_type": .value("Wall")], details: "", action: draft.action, status: status,
            offeredAt: draft.offeredAt, answeredAt: nil, endedAt: nil, linkedTo: nil)
    }

    @Test func aClosedCallIsNeverReopened() throws {
        let closed = try loggedCall(status: .closed)
        let found = messages { _ = try CallRules.apply(CallUpdate(status: .open), to: closed, catalogue: catalogue) }
        #expect(found.count == 1 && found[0].contains("cannot go back"))
        let referred = try CallRules.apply(CallUpdate(status: .referred), to: try loggedCall(status: .open), catalogue: catalogue)
        #expect(referred.status == .referred)
    }

    @Test func updatesMergeAnswersAndRefuseEmptyChanges() throws {
        let call = try loggedCall(status: .open)
        let updated = try CallRules.apply(
            CallUpdate(answers: ["people_at_risk": .value("4")], note: "Caller rang back"), to: call, catalogue: catalogue)
        #expect(updated.answers["structure_type"] == .value("Wall"))
        #expect(updated.answers["people_at_risk"] == .value("4"))
        #expect(throws: DomainError.self) { try CallRules.apply(CallUpdate(), to: call, catalogue: catalogue) }
        #expect(throws: DomainErrors.self) {
            try CallRules.apply(CallUpdate(linkTo: call.reference), to: call, catalogue: catalogue)
        }
        #expect(throws: DomainErrors.self) { try CallRules.apply(CallUpdate(note: "  "), to: call, catalogue: catalogue) }
    }

    @Test func newCallsStartOpenOnlyWhenSomethingIsStillToDo() {
        #expect(CallStatus.initial(for: .refer) == .open)
        #expect(CallStatus.initial(for: .loneWorker) == .open)
        #expect(CallStatus.initial(for: .signpost) == .closed)
        #expect(CallStatus.initial(for: .resolve) == .closed)
    }
}
