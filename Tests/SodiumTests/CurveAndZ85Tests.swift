import Foundation
import Testing

@testable import Sodium

@Suite struct Z85Tests {
    @Test func theRFC32TestVectorEncodesToHelloWorld() throws {
        let bytes = Data([0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B])
        #expect(try Z85.encode(bytes) == "HelloWorld")
        #expect(try Z85.decode("HelloWorld") == bytes)
    }

    @Test func randomKeysRoundTripThroughZ85() throws {
        for _ in 0..<200 {
            let key = Data((0..<32).map { _ in UInt8.random(in: .min ... .max) })
            let text = try Z85.encode(key)
            #expect(text.count == SodiumLimits.curveKeyZ85Characters)
            #expect(try Z85.decode(text) == key)
        }
    }

    @Test func extremeBytesRoundTrip() throws {
        for byte in [0x00, 0xFF] as [UInt8] {
            let key = Data(repeating: byte, count: 32)
            #expect(try Z85.decode(Z85.encode(key)) == key)
        }
        #expect(try Z85.encode(Data(repeating: 0, count: 4)) == "00000")
        #expect(try Z85.encode(Data(repeating: 0xFF, count: 4)) == "%nSc0")
    }

    @Test func badZ85TextIsRefused() {
        // Wrong length.
        #expect(throws: SodiumError.invalidZ85(reason: "9 characters is not a multiple of 5")) {
            try Z85.decode("HelloWorl")
        }
        // A character outside the alphabet: named by position, never echoed (it may be part of a secret).
        #expect(throws: SodiumError.invalidZ85(reason: "character 6 is not in the Z85 alphabet")) {
            try Z85.decode("Hello~orld")
        }
        #expect(throws: SodiumError.self) { try Z85.decode("Hello World".replacingOccurrences(of: "W", with: "")) }
        #expect(throws: SodiumError.self) { try Z85.decode("Hell\u{E9}") }
        // A group above 2^32 - 1 ("%nSc0" is the largest).
        #expect(throws: SodiumError.invalidZ85(reason: "characters 1 to 5 do not encode 4 bytes")) {
            try Z85.decode("%nSc1")
        }
        #expect(throws: SodiumError.self) { try Z85.decode("#####") }
        // Bytes that are not whole groups of 4 cannot be encoded.
        #expect(throws: SodiumError.self) { try Z85.encode(Data(count: 31)) }
    }
}

@Suite struct CurveKeyTests {
    @Test func aGeneratedPairsKeysRoundTripThroughZ85() throws {
        let pair = CurveKeyPair.generate()
        #expect(pair.publicKey.z85.count == 40)
        #expect(pair.secretKey.z85().count == 40)
        #expect(try CurvePublicKey(z85: pair.publicKey.z85) == pair.publicKey)
        #expect(try CurveSecretKey(z85: pair.secretKey.z85()) == pair.secretKey)
    }

    @Test func thePublicKeyIsDerivedFromTheSecretKey() throws {
        let pair = CurveKeyPair.generate()
        let derived = try CurveKeyPair(secretKey: CurveSecretKey(z85: pair.secretKey.z85()))
        #expect(derived == pair)
        #expect(derived.publicKey == pair.publicKey)
        #expect(CurveKeyPair.generate().publicKey != pair.publicKey)
    }

    @Test func keysOfTheWrongLengthAreRefused() {
        #expect(throws: SodiumError.self) { try CurvePublicKey(bytes: Data(count: 31)) }
        #expect(throws: SodiumError.self) { try CurveSecretKey(bytes: Data(count: 33)) }
        #expect(throws: SodiumError.invalidLength(what: "a CURVE secret key", expectedBytes: 32, foundBytes: 8)) {
            try CurveSecretKey(z85: "HelloWorld")
        }
        #expect(throws: SodiumError.self) { try CurvePublicKey(z85: "HelloWorld") }
    }

    @Test func printingACurvePairShowsNoSecret() {
        let pair = CurveKeyPair.generate()
        let secret = pair.secretKey.z85()
        for text in ["\(pair)", String(reflecting: pair), "\(pair.secretKey)", dumped(pair), dumped(pair.secretKey)] {
            #expect(!text.contains(secret), "\(text)")
        }
        #expect("\(pair)" == "CurveKeyPair(\(pair.publicKey.fingerprint))")
        #expect(!"\(pair.publicKey)".contains(pair.publicKey.z85))
    }
}
