import Foundation
import Testing

@testable import Sodium

@Suite struct SigningTests {
    let message = Data("call WST-000123 closed".utf8)

    @Test func aSignatureVerifiesWithTheSignersPublicKey() {
        let pair = SigningKeyPair.generate()
        let signature = pair.sign(message)
        #expect(signature.bytes.count == SodiumLimits.signatureBytes)
        #expect(pair.publicKey.verify(signature, message: message))
    }

    @Test func aSignatureDoesNotVerifyATamperedMessage() {
        let pair = SigningKeyPair.generate()
        let signature = pair.sign(message)
        var tampered = message
        tampered[tampered.startIndex] ^= 0x01
        #expect(!pair.publicKey.verify(signature, message: tampered))
        #expect(!pair.publicKey.verify(signature, message: message + Data([0])))
        #expect(!pair.publicKey.verify(signature, message: message.dropLast()))
    }

    @Test func aTamperedSignatureDoesNotVerify() throws {
        let pair = SigningKeyPair.generate()
        let signature = pair.sign(message)
        for index in [0, 31, 32, 63] {
            var bytes = signature.bytes
            bytes[bytes.startIndex + index] ^= 0x80
            #expect(!pair.publicKey.verify(try Signature(bytes: bytes), message: message), "byte \(index)")
        }
    }

    @Test func anotherKeysSignatureDoesNotVerify() {
        let signer = SigningKeyPair.generate()
        let other = SigningKeyPair.generate()
        #expect(!other.publicKey.verify(signer.sign(message), message: message))
    }

    @Test func theSameSeedGivesTheSamePairAndSignatures() throws {
        let seed = Data((0..<32).map { UInt8($0) })
        let a = try SigningKeyPair(seed: seed)
        let b = try SigningKeyPair(seed: seed)
        #expect(a == b)
        #expect(a.publicKey == b.publicKey)
        #expect(a.sign(message) == b.sign(message))  // Ed25519 signatures are deterministic
        #expect(a != SigningKeyPair.generate())
    }

    @Test func seedsPublicKeysAndSignaturesOfTheWrongLengthAreRefused() {
        #expect(throws: SodiumError.invalidLength(what: "an Ed25519 seed", expectedBytes: 32, foundBytes: 31)) {
            try SigningKeyPair(seed: Data(count: 31))
        }
        #expect(throws: SodiumError.self) { try SigningPublicKey(bytes: Data(count: 33)) }
        #expect(throws: SodiumError.self) { try Signature(bytes: Data(count: 63)) }
        #expect(throws: SodiumError.invalidBase64(what: "the Ed25519 public key")) {
            try SigningPublicKey(base64: "not base64!")
        }
    }

    @Test func aPublicKeyRoundTripsThroughBase64() throws {
        let key = SigningKeyPair.generate().publicKey
        #expect(try SigningPublicKey(base64: key.base64) == key)
    }

    @Test func printingAKeyPairShowsOnlyAFingerprint() throws {
        let seed = Data(repeating: 0xAB, count: 32)
        let pair = try SigningKeyPair(seed: seed)
        for text in ["\(pair)", String(reflecting: pair), "\(pair.publicKey)", dumped(pair)] {
            #expect(text.contains(pair.publicKey.fingerprint), "\(text)")
            #expect(!text.contains(seed.base64EncodedString()))
            #expect(!text.contains(pair.publicKey.base64))
            #expect(!text.lowercased().contains("abababab"))
        }
        #expect(pair.publicKey.fingerprint.hasPrefix("ed25519:"))
        #expect(pair.publicKey.fingerprint.count == "ed25519:".count + 12)
    }

    @Test func aSignatureRoundTripsThroughJSON() throws {
        let signature = SigningKeyPair.generate().sign(message)
        let decoded = try JSONDecoder().decode(Signature.self, from: JSONEncoder().encode(signature))
        #expect(decoded == signature)
    }
}

/// What `dump` prints for a value, to check that reflection shows no secret.
func dumped(_ value: some Any) -> String {
    var text = ""
    dump(value, to: &text)
    return text
}
