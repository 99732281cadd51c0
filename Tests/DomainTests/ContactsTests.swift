import Domain
import Foundation
import NightdeskTestSupport
import Testing

@Suite struct ContactsTests {
    typealias R = Rotas

    func contact(phone: String? = nil, mobile: String? = nil, email: String? = nil, pager: String? = nil) throws
        -> OnCallContact
    {
        try OnCallContact(
            id: OnCallContactID("eal-jsmith"), organisation: R.ealing, name: " Jo Smith ", role: .contractor,
            phone: phone.map(PhoneNumber.init(parsing:)), mobile: mobile.map(PhoneNumber.init(parsing:)),
            email: email.map(EmailAddress.init(parsing:)), pager: pager.map(PhoneNumber.init(parsing:)))
    }

    @Test func smsGoesOnlyToAUKMobile() throws {
        #expect(try contact(mobile: "07700 900123").mobile?.e164 == "+447700900123")
        #expect(try contact(mobile: "+44 7911 123456").channel(.sms) != nil)
        // A landline, a personal number (070) and a pager (076) cannot receive SMS.
        for number in ["020 7946 0001", "070 1234 5678", "07654 123456"] {
            let error = #expect(throws: DomainError.self, "\(number)") { try contact(mobile: number) }
            #expect(error?.message.contains("is not a UK mobile number") == true)
        }
        // The same numbers are fine to call or page.
        #expect(try contact(phone: "020 7946 0001", pager: "07654 123456").channels.map(\.kind) == [.phone, .pager])
    }

    @Test func emailAddressesAreCheckedAndTheirDomainLowerCased() throws {
        #expect(try EmailAddress(parsing: " Duty.Officer@Ealing.GOV.uk ").rawValue == "Duty.Officer@ealing.gov.uk")
        for bad in [
            "no-at-sign", "a@b", "a b@ealing.gov.uk", "a@@ealing.gov.uk", "a@.uk", "x@y.uk,z@y.uk", "@y.uk", "a@-y.uk",
        ] {
            #expect(throws: DomainError.self, "\(bad)") { try EmailAddress(parsing: bad) }
        }
    }

    @Test func aContactNeedsANameAndAWayToBeReached() throws {
        let reached = try contact(phone: "020 7946 0001", mobile: "07700 900123", email: "jo@ealing.gov.uk")
        #expect(reached.name == "Jo Smith")
        #expect(reached.channels.map(\.kind) == [.phone, .sms, .email])
        #expect(reached.channel(.pager) == nil)
        let unreachable = #expect(throws: DomainError.self) { try contact() }
        #expect(unreachable?.message.contains("has no phone, mobile, email or pager") == true)
        #expect(throws: DomainError.self) {
            try OnCallContact(
                id: OnCallContactID("x"), organisation: R.ealing, name: "  ", role: .manager,
                phone: PhoneNumber(parsing: "020 7946 0001"))
        }
        #expect(throws: DomainError.self) {
            try OnCallContact(
                id: OnCallContactID("x"), organisation: R.ealing, name: "X", role: .manager,
                phone: PhoneNumber(parsing: "020 7946 0001"), manager: OnCallContactID("x"))
        }
    }

    @Test func contactsRoundTripThroughJSONAndAreCheckedWhenRead() throws {
        let original = R.contact("Ann Archer", pager: true, manager: "mo-manager")
        let data = try JSONEncoder().encode(original)
        #expect(try JSONDecoder().decode(OnCallContact.self, from: data) == original)
        let landlineAsMobile = Data(
            #"{"id":"x","organisation":"EAL","name":"X","role":"duty-officer","mobile":"020 7946 0001"}"#.utf8)
        #expect(throws: DomainError.self) { try JSONDecoder().decode(OnCallContact.self, from: landlineAsMobile) }
    }

    @Test func identifiersAreLowerCaseSlugs() throws {
        #expect(try OnCallContactID("EAL-JSmith").rawValue == "eal-jsmith")
        for bad in ["", "-x", "x-", "a b", "a_b", String(repeating: "a", count: 65)] {
            #expect(throws: DomainError.self, "\(bad)") { try OnCallContactID(bad) }
        }
    }

    @Test func areasArePostcodeDistrictsOrWards() throws {
        #expect(try RotaArea.postcodeDistrict(ofPostcode: "w5 1ab") == RotaArea.postcodeDistrict("W5"))
        #expect(try RotaArea.postcodeDistrict(ofPostcode: "SW1A 1AA").name == "SW1A")
        #expect(try RotaArea.postcodeDistrict(ofPostcode: "EC1A1BB").name == "EC1A")
        #expect(try RotaArea.postcodeDistrict(ofPostcode: "N10 3QS").name == "N10")
        for bad in ["5W", "W", "ABC1", "W5 1AB"] {
            #expect(throws: DomainError.self, "\(bad)") { try RotaArea.postcodeDistrict(bad) }
        }
        #expect(throws: DomainError.self) { try RotaArea.postcodeDistrict(ofPostcode: "W5") }
        #expect(try RotaArea.ward("Ealing  Broadway") == RotaArea.ward("ealing broadway"))
        #expect(try RotaArea.ward("Ealing Broadway") != RotaArea.postcodeDistrict("W5"))
        #expect(try RotaArea.ward("Ealing  Broadway").description == "ward Ealing Broadway")
    }

    @Test func monthsAndTimesOfDayAreCheckedWhenRead() throws {
        #expect(try LocalMonth(parsing: "2026-12").following == LocalMonth(year: 2027, month: 1))
        #expect(try LocalTimeOfDay(parsing: "17:30").minuteOfDay == 1_050)
        for bad in ["2026-13", "2026-1", "26-01"] {
            #expect(throws: DomainError.self, "\(bad)") { try LocalMonth(parsing: bad) }
        }
    }
}
