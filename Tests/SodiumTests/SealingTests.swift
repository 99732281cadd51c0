import Foundation
import Testing

@testable import Sodium

@Suite struct SealingTests {
    let plaintext = Data(#"{"call":"WST-000123","status":"referred"}"#.utf8)
    let header = Data("WST 42 PO=ealing".utf8)

    @Test func aSealedBoxOpensWithItsKeyAndAssociatedData() throws {
        let key = DataKey.generate()
        let box = try key.seal(plaintext, associatedData: header)
        #expect(box.bytes.count == plaintext.count + SodiumLimits.sealOverheadBytes)
        #expect(box.nonce.count == SodiumLimits.sealNonceBytes)
        #expect(box.ciphertextAndTag.count == plaintext.count + SodiumLimits.sealTagBytes)
        #expect(try key.open(box, associatedData: header) == plaintext)
    }

    @Test func emptyPlaintextAndAssociatedDataRoundTrip() throws {
        let key = DataKey.generate()
        let box = try key.seal(Data(), associatedData: Data())
        #expect(box.bytes.count == SodiumLimits.sealOverheadBytes)
        #expect(try key.open(box, associatedData: Data()) == Data())
    }

    @Test func sealingTheSamePlaintextTwiceUsesDifferentNonces() throws {
        let key = DataKey.generate()
        let first = try key.seal(plaintext, associatedData: header)
        let second = try key.seal(plaintext, associatedData: header)
        #expect(first.nonce != second.nonce)
        #expect(first != second)
    }

    @Test func theWrongKeyCannotOpenABox() throws {
        let box = try DataKey.generate().seal(plaintext, associatedData: header)
        #expect(throws: SodiumError.openFailed) { try DataKey.generate().open(box, associatedData: header) }
    }

    @Test func everyTamperedByteOfABoxIsRefused() throws {
        let key = DataKey.generate()
        let box = try key.seal(plaintext, associatedData: header)
        // Nonce, ciphertext and tag: flipping any one bit anywhere makes the box unopenable.
        for index in 0..<box.bytes.count {
            var bytes = box.bytes
            bytes[bytes.startIndex + index] ^= 0x04
            let tampered = try SealedBox(bytes: bytes)
            #expect(throws: SodiumError.openFailed, "byte \(index)") { try key.open(tampered, associatedData: header) }
        }
        #expect(throws: SodiumError.openFailed) {
            try key.open(SealedBox(bytes: box.bytes.dropLast()), associatedData: header)
        }
    }

    @Test func tamperedAssociatedDataIsRefused() throws {
        let key = DataKey.generate()
        let box = try key.seal(plaintext, associatedData: header)
        var altered = header
        altered[altered.startIndex] ^= 0x01
        #expect(throws: SodiumError.openFailed) { try key.open(box, associatedData: altered) }
        #expect(throws: SodiumError.openFailed) { try key.open(box, associatedData: Data()) }
        #expect(throws: SodiumError.openFailed) { try key.open(box, associatedData: header + Data([0])) }
    }

    @Test func aBoxTooShortForANonceAndTagIsRefused() {
        #expect(throws: SodiumError.self) { try SealedBox(bytes: Data(count: SodiumLimits.sealOverheadBytes - 1)) }
    }

    @Test func aPlaintextOverTheLimitIsRefusedBeforeSealing() {
        let key = DataKey.generate()
        let tooLarge = Data(count: SodiumLimits.sealPlaintextBytesMax + 1)
        #expect(
            throws: SodiumError.tooLarge(
                what: "the plaintext", bytes: tooLarge.count, maxBytes: SodiumLimits.sealPlaintextBytesMax)
        ) { try key.seal(tooLarge, associatedData: header) }
    }

    @Test func aBoxFromASliceOpens() throws {
        // Data slices keep their parent's indices; sealing and opening must not assume they start at 0.
        let key = DataKey.generate()
        let framed = Data("frame:".utf8) + plaintext
        let box = try key.seal(framed.dropFirst(6), associatedData: (Data("x".utf8) + header).dropFirst())
        let received = Data([0xFF, 0xFF]) + box.bytes
        let opened = try key.open(SealedBox(bytes: received.dropFirst(2)), associatedData: header)
        #expect(opened == plaintext)
    }

    @Test func dataKeysCompareByValueAndPrintOnlyAFingerprint() throws {
        let bytes = Data(repeating: 0x5A, count: 32)
        let key = try DataKey(bytes: bytes)
        #expect(key == (try DataKey(bytes: bytes)))
        #expect(key != DataKey.generate())
        for text in ["\(key)", String(reflecting: key), dumped(key)] {
            #expect(!text.contains(bytes.base64EncodedString()), "\(text)")
            #expect(!text.lowercased().contains("5a5a5a5a"), "\(text)")
        }
        #expect("\(key)" == "DataKey(\(key.fingerprint))")
        #expect(throws: SodiumError.self) { try DataKey(bytes: Data(count: 16)) }
    }
}
