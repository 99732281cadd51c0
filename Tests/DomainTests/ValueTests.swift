import Domain
import NightdeskTestSupport
import Foundation
import Testing

@Suite struct ValueTests {
    @Test(arguments: [
        ("020 7946 0001", "+442079460001"), ("+44 20 7946 0001", "+442079460001"), ("07700 900123", "+447700900123"),
        ("(020) 7946-0001", "+442079460001"), ("+44 (0)20 7946 0001", "+442079460001"),
        ("0044 20 7946 0001", "+442079460001"), ("442079460001", "+442079460001"), ("0113 496 0000", "+441134960000"),
    ])
    func ukPhoneNumbersAreKeptInE164(input: String, expected: String) throws {
        #expect(try PhoneNumber(parsing: input).e164 == expected)
    }

    @Test(arguments: ["12345", "+33 1 23 45 67 89", "020 7946 000a", "00 20 7946 0001", "", "0207946000123", "+44 020 7946 0001"])
    func malformedPhoneNumbersAreRefused(input: String) {
        #expect(throws: DomainError.self) { try PhoneNumber(parsing: input) }
    }

    @Test func uprnsAreOneToTwelveDigits() throws {
        #expect(try UPRN(parsing: "100021234567").rawValue == 100_021_234_567)
        #expect(try UPRN(parsing: " 5 ").rawValue == 5)
        for bad in ["", "0", "12ab", "1234567890123", "-5", "1.5"] {
            #expect(throws: DomainError.self, "\(bad)") { try UPRN(parsing: bad) }
        }
    }

    @Test func organisationAndOptionCodesAreNormalisedAndChecked() throws {
        #expect(try OrganisationCode("eal").rawValue == "EAL")
        #expect(throws: DomainError.self) { try OrganisationCode("EALING") }
        #expect(throws: DomainError.self) { try OrganisationCode("E1L") }
        #expect(try ServiceOptionCode("Noise-Patrol").rawValue == "noise-patrol")
        #expect(throws: DomainError.self) { try ServiceOptionCode("noise patrol") }
        #expect(throws: DomainError.self) { try ServiceOptionCode("-noise") }
    }

    @Test func serviceStandardsCarryTheSpecificationsThresholds() {
        // 6.2: Gold 80% within 20 s, under 5% abandoned; 6.3: Silver 80% within 60 s, under 10%.
        #expect(ServiceStandard.gold.thresholds.answeredWithinSeconds == 20)
        #expect(ServiceStandard.gold.thresholds.remainderAnsweredWithinSeconds == 30)
        #expect(ServiceStandard.gold.thresholds.abandonedPercentBelow == 5)
        #expect(ServiceStandard.silver.thresholds.answeredWithinSeconds == 60)
        #expect(ServiceStandard.silver.thresholds.abandonedPercentBelow == 10)
        #expect(ServiceStandard.bronze.thresholds.remainderAnsweredWithinSeconds == 80)
        #expect(ServiceStandard.platinum.thresholds.teamLeaderDirectLine)
        #expect(ServiceStandard.allCases.sorted() == [.platinum, .gold, .silver, .bronze])
    }

    @Test func gazetteerAddressesReadAsBS7666() throws {
        let numbered = try GazetteerAddress(
            uprn: UPRN(1), eastingMetres: 517_000, northingMetres: 180_500, latitude: 51.51, longitude: -0.30,
            saon: "Flat 3", paon: "12", street: "Acacia Avenue", locality: "West Ealing", town: "London",
            postcode: "W13 9AB", ward: "Walpole")
        #expect(numbered.singleLine == "Flat 3, 12 Acacia Avenue, West Ealing, London W13 9AB")
        let named = try GazetteerAddress(
            uprn: UPRN(2), eastingMetres: 517_000, northingMetres: 180_500, latitude: 51.51, longitude: -0.30,
            saon: "", paon: "Northfield Library", street: "Heron Walk", locality: "", town: "London",
            postcode: "W13 9XG", ward: "Northfield")
        #expect(named.singleLine == "Northfield Library, Heron Walk, London W13 9XG")
        #expect(throws: DomainError.self) {
            try GazetteerAddress(
                uprn: UPRN(3), eastingMetres: 900_000, northingMetres: 180_500, latitude: 51.51, longitude: -0.30,
                saon: "", paon: "1", street: "High Street", locality: "", town: "", postcode: "", ward: "")
        }
    }

    @Test func possibleDuplicatesMatchOnUPRNOrWithinTheRadius() throws {
        let criteria = try DuplicateCriteria()
        let here = IncidentAddress(
            text: "1 High St", uprn: try UPRN(10), point: GridPoint(eastingMetres: 517_000, northingMetres: 180_000),
            ward: nil, verification: .inGazetteer)
        let sameProperty = IncidentAddress(text: "1 High Street", uprn: try UPRN(10), point: nil, ward: nil, verification: .inGazetteer)
        let near = IncidentAddress(
            text: "9 High St", uprn: try UPRN(11), point: GridPoint(eastingMetres: 517_150, northingMetres: 180_200),
            ward: nil, verification: .inGazetteer)
        let far = IncidentAddress(
            text: "Far Rd", uprn: try UPRN(12), point: GridPoint(eastingMetres: 517_200, northingMetres: 180_200),
            ward: nil, verification: .inGazetteer)
        let textOnly = IncidentAddress(text: "1 High St", uprn: nil, point: nil, ward: nil, verification: .unverified)
        #expect(criteria.matches(earlier: sameProperty, new: here))
        #expect(criteria.matches(earlier: near, new: here))  // 250 m exactly
        #expect(!criteria.matches(earlier: far, new: here))  // 283 m
        #expect(!criteria.matches(earlier: textOnly, new: here))
        #expect(try DuplicateCriteria(radiusMetres: 300).matches(earlier: far, new: here))
        #expect(throws: DomainError.self) { try DuplicateCriteria(radiusMetres: -1) }
        #expect(throws: DomainError.self) { try DuplicateCriteria(windowSeconds: 0) }
    }
}
