import Foundation
import Testing

@testable import Sodium

@Suite struct GenericHashTests {
    @Test func theEmptyInputHashesToTheKnownBLAKE2b256Digest() {
        #expect(
            GenericHash.hash(Data()).description
                == "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8")
    }

    @Test func incrementalHashingMatchesOneShotHashingOfTheConcatenation() {
        let parts = [Data("nightdesk".utf8), Data(), Data(repeating: 7, count: 1_000), Data("-chain".utf8)]
        var hash = GenericHash()
        for part in parts { hash.update(part) }
        #expect(hash.finalize() == GenericHash.hash(parts.reduce(Data(), +)))
    }

    @Test func differentInputsGiveDifferentDigests() {
        #expect(GenericHash.hash(Data("a".utf8)) != GenericHash.hash(Data("b".utf8)))
        #expect(GenericHash.hash(Data("a".utf8)).bytes.count == SodiumLimits.hashBytes)
    }

    @Test func aDigestRoundTripsThroughJSONAndRefusesTheWrongLength() throws {
        let digest = GenericHash.hash(Data("x".utf8))
        #expect(try JSONDecoder().decode(GenericHash.Digest.self, from: JSONEncoder().encode(digest)) == digest)
        #expect(throws: SodiumError.self) { try GenericHash.Digest(bytes: Data(count: 31)) }
    }
}
