import Foundation
import Mesh
import Replication

/// SplitMix64: a tiny seeded generator, so a failing fuzz case can be reproduced from its seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random valid values of every frame field.
enum RandomFrames {
    static let siteAlphabet = Array("23456789ABCDEFGHJKMNPQRSTUVWXYZabz-_!~")

    static func site(_ random: inout SeededGenerator) -> SiteID {
        let length = Int.random(in: 1...8, using: &random)
        return SiteID(String((0..<length).map { _ in siteAlphabet.randomElement(using: &random)! }))
    }

    static func vector(_ random: inout SeededGenerator) -> VersionVector {
        var entries: [SiteID: OriginSequence] = [:]
        for _ in 0..<Int.random(in: 0...6, using: &random) {
            let sequence =
                Bool.random(using: &random) ? UInt64.random(in: 1...1_000, using: &random) : random.next() | 1
            entries[site(&random)] = OriginSequence(sequence)
        }
        return VersionVector(entries)
    }

    /// No capacity (the short heartbeat) half the time, else a random valid one.
    static func capacity(_ random: inout SeededGenerator) -> SiteCapacity? {
        guard Bool.random(using: &random) else { return nil }
        var trained: [String: Int] = [:]
        for _ in 0..<Int.random(in: 0...5, using: &random) {
            trained[site(&random).rawValue] = Int.random(in: 1...MeshLimits.capacityHandlersMax, using: &random)
        }
        return SiteCapacity(
            handlersSignedIn: Int.random(in: 0...MeshLimits.capacityHandlersMax, using: &random),
            trainedByOrganisation: trained, callsInProgress: Int.random(in: 0...MeshLimits.capacityCallsMax, using: &random))
    }

    static func frame(_ random: inout SeededGenerator) -> Frame {
        switch Int.random(in: 0..<5, using: &random) {
        case 0:
            let length = Int.random(in: 1...MeshLimits.stringBytesMax, using: &random)
            let text = String(
                (0..<length).map { _ in Character(UnicodeScalar(UInt8.random(in: 0x21...0x7E, using: &random))) })
            return .hello(
                site: site(&random), clusterID: ClusterID(text)!, epoch: random.next(), heldVector: vector(&random))
        case 1:
            return .request(
                vector: vector(&random),
                creditChangeSets: UInt32.random(in: 0...MeshLimits.creditChangeSetsMax, using: &random))
        case 2:
            let sets = (0..<Int.random(in: 0...4, using: &random)).map { _ in
                Data(
                    (0..<Int.random(in: 0...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })
            }
            return .changeSets(sets)
        case 3:
            return .ack(heldVector: vector(&random))
        default:
            return .heartbeat(
                site: site(&random), state: SiteState.allCases.randomElement(using: &random)!,
                sentAtMs: Int64(bitPattern: random.next()), capacity: capacity(&random))
        }
    }
}
