import Domain
import Foundation
import NightdeskTestSupport
import Testing

@Suite struct ReferralMessageTests {
    typealias Field = ReferralMessage.Field

    let reference = CallReference(site: try! SiteCode("WST"), serial: 12_345)
    let phone = try! PhoneNumber(parsing: "07700 900123")

    @Test func aShortReferralHasEveryFieldOneALineInPriorityOrder() {
        let sms = ReferralMessage.sms(
            name: "Jane Smith", address: "12 Acacia Avenue, Ealing, London W5 1AB", phone: phone,
            details: "Garden wall\nbulging onto the pavement", reference: reference)
        #expect(
            sms.text == """
                Jane Smith
                12 Acacia Avenue, Ealing, London W5 1AB
                Tel 07700900123
                Garden wall bulging onto the pavement
                Ref \(reference)
                """)
        #expect(sms.septets == sms.text.count)
        #expect(sms.shortened.isEmpty && sms.dropped.isEmpty)
    }

    @Test func gsmExtensionCharactersCountTwoAndOthersAreReplacedOrDropped() {
        #expect(ReferralMessage.septets("€") == 2)
        #expect(ReferralMessage.septets("[a]") == 5)
        #expect(ReferralMessage.septets("{}\\^~|") == 12)
        #expect(ReferralMessage.septets("£é@Ñ") == 4)
        #expect(ReferralMessage.gsm7("Café “Noir” – 2nd floor…") == "Café \"Noir\" - 2nd floor...")
        #expect(ReferralMessage.gsm7("Zoë’s façade 🔥 漢") == "Zoe's faÇade  ")
        #expect(ReferralMessage.gsm7("São Tomé") == "Sao Tomé")
    }

    @Test func longDetailsAreCutShortFirstAndTheReferenceIsAlwaysKept() {
        let details = String(repeating: "Water pouring through the ceiling of the flat below. ", count: 8)
        let sms = ReferralMessage.sms(
            name: "Jane Smith", address: "12 Acacia Avenue, W5 1AB", phone: phone, details: details,
            reference: reference)
        #expect(sms.septets == 160)
        #expect(sms.shortened == [.details] && sms.dropped.isEmpty)
        let lines = sms.text.split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines[3].hasSuffix("..."))
        #expect(lines[4] == "Ref \(reference)")
    }

    @Test func extensionCharactersAtTheCutStillFitTheLimit() {
        let sms = ReferralMessage.sms(
            name: "J", address: "1 A St", phone: nil, details: String(repeating: "€", count: 200),
            reference: reference)
        #expect(sms.septets <= 160 && sms.septets >= 159)
        #expect(sms.text.hasSuffix("...\nRef \(reference)"))
    }

    @Test func whenDetailsAreNotEnoughThePhoneThenAddressThenNameGiveWay() {
        let name = "The Occupier of the Ground Floor Flat, care of the Managing Agent, Acacia Property Management"
        let address = String(repeating: "Block C, Acacia Estate, ", count: 6) + "Ealing, London W5 1AB"
        let sms = ReferralMessage.sms(
            name: name, address: address, phone: phone, details: "Lift stuck", reference: reference)
        #expect(sms.dropped == [.details, .phone])
        #expect(sms.shortened == [.address])
        #expect(sms.septets <= 160)
        #expect(sms.text.hasPrefix(name + "\nBlock C"))
        #expect(sms.text.hasSuffix("...\nRef \(reference)"))
        let enormous = ReferralMessage.sms(
            name: String(repeating: "Name ", count: 60), address: address, phone: phone, details: "x",
            reference: reference)
        #expect(enormous.dropped == [.details, .phone, .address])
        #expect(enormous.shortened == [.name])
        #expect(enormous.septets <= 160 && enormous.text.hasSuffix("...\nRef \(reference)"))
    }

    @Test func randomFieldsAlwaysFitAndGiveWayLowestPriorityFirst() {
        var random = CallReferenceTests.SplitMix64(state: 5_252)
        let alphabet = Array("abcdefghij KLMNOP 0123 ,.-€[]~é’…😀\n")
        func text(_ maximum: Int) -> String {
            String(
                (0..<Int.random(in: 0...maximum, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
        }
        let order: [Field] = [.details, .phone, .address, .name]
        for round in 0..<2_000 {
            let fields = (name: text(80), address: text(120), details: text(200))
            let withPhone = Bool.random(using: &random)
            let sms = ReferralMessage.sms(
                name: fields.name, address: fields.address, phone: withPhone ? phone : nil,
                details: fields.details, reference: reference)
            #expect(sms.septets <= 160 && sms.septets == ReferralMessage.septets(sms.text), "seed=5252 round=\(round)")
            #expect(sms.text.hasSuffix("Ref \(reference)"), "seed=5252 round=\(round)")
            // A field gives way only once every lower-priority field present has been left out.
            func present(_ text: String) -> Bool {
                !ReferralMessage.gsm7(text).split(whereSeparator: { $0.isWhitespace || $0.isNewline }).isEmpty
            }
            let given: [Field: Bool] = [
                .details: present(fields.details), .phone: withPhone, .address: present(fields.address),
                .name: present(fields.name),
            ]
            for field in sms.dropped + sms.shortened {
                for lower in order.prefix(while: { $0 != field }) where given[lower]! {
                    #expect(sms.dropped.contains(lower), "seed=5252 round=\(round): \(field) gave way before \(lower)")
                }
            }
            #expect(sms.shortened.count <= 1, "seed=5252 round=\(round): only the last field to give way is cut short")
        }
    }

    @Test func theEmailCarriesTheFullDetailsWithAnswersInScriptOrder() throws {
        let catalogue = try Fixtures.catalogue()
        let ealing = try #require(catalogue.organisation(try OrganisationCode("EAL")))
        let call = Call(
            reference: reference, organisation: ealing.code, option: try ServiceOptionCode("dangerous-structures"),
            accessNumber: nil, caller: try Caller(name: "Jane Smith", phone: phone),
            incidentAddress: IncidentAddress(
                text: "12 Acacia Avenue, Ealing, London W5 1AB", uprn: try UPRN(100_021_234_567), point: nil,
                ward: "Ealing Broadway", verification: .inGazetteer),
            answers: ["people_at_risk": .value("2"), "structure_type": .value("Wall"), "hazards": .notKnown],
            details: "Garden wall bulging onto the pavement.\nCordoned off by caller.",
            action: CallAction(kind: .refer),
            status: .open, offeredAt: Fixtures.london("2026-06-15 21:04"), answeredAt: nil, endedAt: nil, linkedTo: nil)
        let email = ReferralMessage.email(for: call, organisation: ealing, calendar: catalogue.calendar)
        #expect(
            email.subject
                == "Referral \(reference): Dangerous structures (EAL) - 12 Acacia Avenue, Ealing, London W5 1AB")
        #expect(email.body.contains("Call logged: 2026-06-15 21:04 (UK time)"))
        #expect(email.body.contains("Caller phone: 07700900123"))
        #expect(email.body.contains("UPRN: 100021234567\nWard: Ealing Broadway"))
        #expect(email.body.contains("Garden wall bulging onto the pavement.\nCordoned off by caller."))
        #expect(
            email.body.contains(
                "What is damaged? Wall\nHow many people are at risk? 2\nWhich hazards? (caller could not say)"))
        let sms = ReferralMessage.sms(for: call)
        #expect(sms.text.hasPrefix("Jane Smith\n12 Acacia Avenue"))
    }
}
