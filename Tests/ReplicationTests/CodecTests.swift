import Testing

@testable import Replication

@Suite struct CodecTests {
    func randomSet(_ random: inout SplitMix64) -> ChangeSet {
        let sites = [SiteID("WST"), SiteID("EST"), SiteID("NTH")]
        let origin = sites.randomElement(using: &random)!
        let sequence = OriginSequence(UInt64.random(in: 1...1_000_000, using: &random))
        func value() -> FieldValue {
            switch Int.random(in: 0..<4, using: &random) {
            case 0: .null
            case 1: .integer(Int64.random(in: Int64.min...Int64.max, using: &random))
            case 2: .real(Double.random(in: -1e9...1e9, using: &random))
            default: .text(String(repeating: "é€x", count: Int.random(in: 0...20, using: &random)))
            }
        }
        func clock() -> HybridTimestamp {
            HybridTimestamp(
                physicalMs: Int64.random(in: 0...2_000_000_000_000, using: &random),
                logical: UInt32.random(in: 0...UInt32.max, using: &random), site: sites.randomElement(using: &random)!)
        }
        var operations: [RowOperation] = []
        for index in 0..<Int.random(in: 0...6, using: &random) {
            var fields: [String: FieldValue] = [:]
            for field in 0..<Int.random(in: 0...5, using: &random) { fields["f\(field)"] = value() }
            let action: RowOperation.Action =
                switch Int.random(in: 0..<3, using: &random) {
                case 0: .upsert(fields: fields, supersedes: Bool.random(using: &random) ? ["f0": [clock(), clock()]] : [:])
                case 1: .add(fields: fields)
                default: .remove
                }
            operations.append(RowOperation(table: "t\(index)", key: "key-\(index)", action: action))
        }
        var dependencies: [SiteID: OriginSequence] = [:]
        for site in sites where site != origin && Bool.random(using: &random) {
            dependencies[site] = OriginSequence(UInt64.random(in: 1...99, using: &random))
        }
        return ChangeSet(
            origin: origin, sequence: sequence,
            timestamp: HybridTimestamp(physicalMs: 1_763_000_000_000, logical: 3, site: origin),
            dependencies: VersionVector(dependencies), scope: Bool.random(using: &random) ? .cluster : .organisation("EAL"),
            operations: operations)
    }

    @Test func changeSetsRoundTripAndEqualSetsAreEqualBytes() throws {
        var random = SplitMix64(seed: 42)
        for _ in 0..<500 {
            let set = randomSet(&random)
            let bytes = ChangeSetCodec.encode(set)
            let decoded = try ChangeSetCodec.decode(bytes)
            #expect(decoded == set)
            #expect(ChangeSetCodec.encode(decoded) == bytes)
        }
    }

    @Test func randomAndMutatedBytesAreRefusedOrDecodedNeverACrash() {
        var random = SplitMix64(seed: 7)
        var decoded = 0
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round.isMultiple(of: 2) {
                bytes = (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            } else {
                bytes = ChangeSetCodec.encode(randomSet(&random))
                for _ in 0..<Int.random(in: 1...4, using: &random) where !bytes.isEmpty {
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                    case 1: bytes.removeLast(Int.random(in: 0...min(8, bytes.count), using: &random))
                    default: bytes.insert(UInt8.random(in: 0...255, using: &random), at: Int.random(in: 0...bytes.count, using: &random))
                    }
                }
            }
            if let set = try? ChangeSetCodec.decode(bytes) {
                decoded += 1
                #expect((try? ChangeSetCodec.decode(ChangeSetCodec.encode(set))) == set)
            }
        }
        #expect(decoded < 20_000)
    }

    @Test func hostileLengthsAreRefusedWithoutAllocating() {
        // Magic, version, then a string claiming 2^60 bytes.
        var bytes = Array("NDCS".utf8) + [1]
        ChangeSetCodec.writeVarint(1 << 60, &bytes)
        #expect(throws: ChangeSetCodec.DecodingFailure.self) { try ChangeSetCodec.decode(bytes) }
        #expect(throws: ChangeSetCodec.DecodingFailure.self) { try ChangeSetCodec.decode(Array("NDCS".utf8) + [9]) }
        #expect(throws: ChangeSetCodec.DecodingFailure.self) { try ChangeSetCodec.decode([UInt8]()) }
    }
}
