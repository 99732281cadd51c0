import Foundation
import Sodium
import Testing

@Suite struct PasswordHashTests {
    @Test func aHashVerifiesItsOwnPasswordAndNoOther() throws {
        let encoded = try PasswordHash.hash("blue finch")
        #expect(encoded.hasPrefix("$argon2id$"))
        #expect(PasswordHash.verify("blue finch", against: encoded))
        #expect(!PasswordHash.verify("blue fincH", against: encoded))
        #expect(!PasswordHash.verify("", against: encoded))
    }

    @Test func everyHashIsSaltedAfresh() throws {
        let first = try PasswordHash.hash("4921")
        let second = try PasswordHash.hash("4921")
        #expect(first != second)
        #expect(PasswordHash.verify("4921", against: first) && PasswordHash.verify("4921", against: second))
    }

    @Test func aMalformedHashVerifiesNothing() {
        #expect(!PasswordHash.verify("4921", against: ""))
        #expect(!PasswordHash.verify("4921", against: "$argon2id$v=19$nonsense"))
        #expect(!PasswordHash.verify("4921", against: String(repeating: "a", count: 500)))
    }

    @Test func anOverlongPasswordIsRefused() {
        let long = String(repeating: "x", count: SodiumLimits.passwordBytesMax + 1)
        #expect(throws: SodiumError.self) { try PasswordHash.hash(long) }
        #expect(!PasswordHash.verify(long, against: "$argon2id$"))
    }
}
