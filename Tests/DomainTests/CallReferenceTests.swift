import Domain
import NightdeskTestSupport
import Testing

@Suite struct CallReferenceTests {
    /// A seeded generator, so a failing case can be reproduced from the printed seed.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func referencesRoundTripThroughTheirPrintedForm() throws {
        var random = SplitMix64(state: 20_261_122)
        let sites = try ["WST", "EST", "NR", "K9ZQ"].map(SiteCode.init)
        for _ in 0..<2_000 {
            let reference = CallReference(
                site: sites.randomElement(using: &random)!, serial: Int64.random(in: 0..<CallReference.serialLimit, using: &random))
            let parsed = try CallReference(parsing: reference.description)
            #expect(parsed == reference, "seed=20261122 reference=\(reference)")
        }
    }

    @Test func printedReferencesNeverUseEasilyMisheardCharacters() {
        let site = try! SiteCode("WST")
        for serial in stride(from: Int64(0), to: 200_000, by: 7) {
            let text = CallReference(site: site, serial: serial).description
            #expect(!text.contains(where: { "01OIL".contains($0) }), "\(text)")
        }
    }

    @Test func typedVariationsOfAReferenceAreAccepted() throws {
        let reference = CallReference(site: try SiteCode("WST"), serial: 123_456)
        let compact = reference.description.replacingOccurrences(of: "-", with: "")
        #expect(try CallReference(parsing: compact.lowercased()) == reference)
        #expect(try CallReference(parsing: reference.description.replacingOccurrences(of: "-", with: " ")) == reference)
    }

    @Test func everySingleMisheardCharacterIsCaught() throws {
        let reference = CallReference(site: try SiteCode("WST"), serial: 987_654)
        let text = Array(reference.description)
        for index in text.indices where text[index] != "-" {
            for replacement in ReadAloudAlphabet.symbols where replacement != text[index] {
                var changed = text
                changed[index] = replacement
                #expect(throws: DomainError.self, "\(String(changed)) passed") {
                    try CallReference(parsing: String(changed))
                }
            }
        }
    }

    @Test func everySwapOfNeighbouringCharactersIsCaught() throws {
        var random = SplitMix64(state: 7)
        for _ in 0..<300 {
            let reference = CallReference(
                site: try SiteCode("EST"), serial: Int64.random(in: 0..<CallReference.serialLimit, using: &random))
            let compact = Array(reference.description.filter { $0 != "-" })
            for index in 0..<(compact.count - 1) where compact[index] != compact[index + 1] {
                var swapped = compact
                swapped.swapAt(index, index + 1)
                #expect(throws: DomainError.self, "\(String(swapped)) from \(reference) passed") {
                    try CallReference(parsing: String(swapped))
                }
            }
        }
    }

    @Test func twoSitesNeverIssueTheSameReference() throws {
        let west = try SiteCode("WST")
        let east = try SiteCode("EST")
        let fromWest = Set((0..<5_000).map { CallReference(site: west, serial: Int64($0)).description })
        let fromEast = Set((0..<5_000).map { CallReference(site: east, serial: Int64($0)).description })
        #expect(fromWest.count == 5_000)
        #expect(fromWest.isDisjoint(with: fromEast))
    }

    @Test func siteCodesWithMisreadableCharactersAreRefusedWithTheReason() {
        #expect(throws: DomainError.self) { try SiteCode("LON") }
        #expect(throws: DomainError.self) { try SiteCode("W") }
        #expect(throws: DomainError.self) { try SiteCode("WESTS") }
        do {
            _ = try SiteCode("L0N")
            Issue.record("L0N accepted")
        } catch let error as DomainError {
            #expect(error.message.contains("misread"))
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect((try? SiteCode("wst"))?.rawValue == "WST")
    }

    @Test func referencesWithForeignCharactersOrWrongLengthAreRefused() {
        for text in ["", "WST", "WST-222-22", "WST-220-222Q", "WST-222-222Q-9", "W$T-222-222Q"] {
            #expect(throws: DomainError.self, "\(text)") { try CallReference(parsing: text) }
        }
    }
}
