import Foundation
import Replication
import Testing

@testable import Mesh

@Suite struct FrameCodecTests {
    let west = SiteID("WST")
    let east = SiteID("EST")

    /// A frame with a correct header around `body`.
    func frameBytes(type: UInt8, body: [UInt8], version: UInt8 = 1) -> [UInt8] {
        let length = UInt32(body.count)
        return [0x4E, 0x44, version, type]
            + [
                UInt8(length >> 24), UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8),
                UInt8(truncatingIfNeeded: length),
            ]
            + body
    }

    func rejection(_ bytes: [UInt8]) -> FrameError? {
        do {
            _ = try Frame(decoding: bytes)
            return nil
        } catch {
            return error
        }
    }

    func encodingRejection(_ frame: Frame) -> FrameError? {
        do {
            _ = try frame.encoded()
            return nil
        } catch {
            return error
        }
    }

    // MARK: Round trips

    @Test func everyFrameTypeSurvivesARoundTrip() throws {
        let frames: [Frame] = [
            .hello(
                site: west, clusterID: ClusterID("ooh-london")!, epoch: 42,
                heldVector: VersionVector([west: OriginSequence(7), east: OriginSequence(3)])),
            .request(vector: VersionVector([east: OriginSequence(12)]), creditChangeSets: 256),
            .request(vector: VersionVector(), creditChangeSets: 0),
            .changeSets([Data([1, 2, 3]), Data(), Data(repeating: 0xAB, count: 70_000)]),
            .changeSets([]),
            .ack(heldVector: VersionVector([west: OriginSequence(UInt64.max)])),
            .heartbeat(site: east, state: .draining, sentAtMs: 1_790_000_000_123),
            .heartbeat(site: east, state: .down, sentAtMs: -1),
        ]
        for frame in frames {
            let bytes = try frame.encoded()
            #expect(try Frame(decoding: bytes) == frame)
            #expect(try Frame(decoding: Data(bytes)) == frame)
        }
    }

    @Test func theHeaderIsMagicVersionTypeAndBodyLength() throws {
        let bytes = try Frame.heartbeat(site: west, state: .up, sentAtMs: 5).encoded()
        // "ND", version 1, type 5, body: site (1 + 3), state (1), sentAtMs (8) = 13 bytes.
        #expect(Array(bytes.prefix(8)) == [0x4E, 0x44, 1, 5, 0, 0, 0, 13])
        #expect(bytes.count == 8 + 13)
    }

    @Test func aVectorHasOneEncodingWhateverItsDictionaryOrder() throws {
        let sites = (0..<20).map { SiteID("S\($0)") }
        let vector = VersionVector(Dictionary(uniqueKeysWithValues: sites.map { ($0, OriginSequence(9)) }))
        let reordered = VersionVector(
            Dictionary(uniqueKeysWithValues: sites.reversed().map { ($0, OriginSequence(9)) }))
        #expect(try Frame.ack(heldVector: vector).encoded() == Frame.ack(heldVector: reordered).encoded())
    }

    @Test func randomValidFramesSurviveARoundTrip() throws {
        var random = SeededGenerator(seed: 0x4E44_0001)
        for _ in 0..<2_000 {
            let frame = RandomFrames.frame(&random)
            let bytes = try frame.encoded()
            let decoded = try Frame(decoding: bytes)
            #expect(decoded == frame)
            #expect(try decoded.encoded() == bytes)
        }
    }

    @Test func theLimitsAreConsistent() {
        MeshLimits.checkRelations()
        #expect(MeshLimits.vectorEntriesMax == ReplicationLimits.sitesMax)
    }

    // MARK: Rejections, one per case

    @Test func emptyAndShortInputIsTruncated() {
        #expect(rejection([]) == .truncated(field: "header.magic", neededBytes: 1, availableBytes: 0))
        #expect(
            rejection([0x4E, 0x44, 1, 5, 0, 0])
                == .truncated(field: "header.bodyLength", neededBytes: 4, availableBytes: 2))
    }

    @Test func wrongMagicIsRejected() {
        #expect(rejection([0x48, 0x54, 0x54, 0x50, 0, 0, 0, 0]) == .badMagic)  // "HTTP"
    }

    @Test func anotherProtocolVersionIsRejected() {
        #expect(rejection(frameBytes(type: 4, body: [0, 0], version: 2)) == .unsupportedVersion(2))
        #expect(rejection(frameBytes(type: 4, body: [0, 0], version: 0)) == .unsupportedVersion(0))
    }

    @Test func anUnknownTypeIsRejected() {
        #expect(rejection(frameBytes(type: 0, body: [])) == .unknownType(0))
        #expect(rejection(frameBytes(type: 6, body: [])) == .unknownType(6))
        #expect(rejection(frameBytes(type: 255, body: [])) == .unknownType(255))
    }

    @Test func aBodyShorterThanItsHeaderSaysIsTruncated() throws {
        let bytes = try Frame.ack(heldVector: VersionVector([west: OriginSequence(1)])).encoded()
        #expect(rejection(Array(bytes.dropLast())) == .truncated(field: "body", neededBytes: 14, availableBytes: 13))
    }

    @Test func aFieldRunningPastTheBodyIsTruncated() {
        // heartbeat: site length 5 but only "WS" follows.
        let bytes = frameBytes(type: 5, body: [5, 0x57, 0x53])
        #expect(rejection(bytes) == .truncated(field: "heartbeat.site", neededBytes: 5, availableBytes: 2))
        // changeSets: one set of 10 bytes announced, 3 present.
        let sets = frameBytes(type: 3, body: [0, 0, 0, 1, 0, 0, 0, 10, 1, 2, 3])
        #expect(rejection(sets) == .truncated(field: "changeSets.bytes", neededBytes: 10, availableBytes: 3))
        // A count of change sets that cannot fit in what is left is refused before anything is reserved.
        let count = frameBytes(type: 3, body: [0, 0, 4, 0])
        #expect(rejection(count) == .truncated(field: "changeSets", neededBytes: 4_096, availableBytes: 0))
    }

    @Test func bytesAfterTheFrameAreRejected() throws {
        let bytes = try Frame.request(vector: VersionVector(), creditChangeSets: 1).encoded()
        // After the frame, outside what the header announces…
        #expect(rejection(bytes + [0]) == .trailingBytes(count: 1))
        // …and inside it: an ack body whose header length covers two extra bytes.
        #expect(rejection(frameBytes(type: 4, body: [0, 0, 0xFF, 0xFF])) == .trailingBytes(count: 2))
    }

    @Test func lengthsOverTheirLimitsAreRejected() {
        let tooManySets = UInt32(MeshLimits.changeSetsPerFrameMax + 1)
        #expect(
            rejection(frameBytes(type: 3, body: withUInt32(tooManySets)))
                == .overLimit(
                    field: "changeSets.count", value: Int(tooManySets), max: MeshLimits.changeSetsPerFrameMax))

        let tooLongSet = UInt32(MeshLimits.changeSetBytesMax + 1)
        #expect(
            rejection(frameBytes(type: 3, body: withUInt32(1) + withUInt32(tooLongSet)))
                == .overLimit(field: "changeSets.length", value: Int(tooLongSet), max: MeshLimits.changeSetBytesMax))

        let tooManyEntries = MeshLimits.vectorEntriesMax + 1
        #expect(
            rejection(frameBytes(type: 4, body: [0, UInt8(tooManyEntries)]))
                == .overLimit(field: "ack.heldVector.count", value: tooManyEntries, max: MeshLimits.vectorEntriesMax))

        let longCluster = MeshLimits.stringBytesMax + 1
        let hello = [3] + Array("WST".utf8) + [UInt8(longCluster)] + [UInt8](repeating: 0x41, count: longCluster)
        #expect(
            rejection(frameBytes(type: 1, body: hello))
                == .overLimit(field: "hello.clusterID.length", value: longCluster, max: MeshLimits.stringBytesMax))

        let credit = MeshLimits.creditChangeSetsMax + 1
        #expect(
            rejection(frameBytes(type: 2, body: [0, 0] + withUInt32(credit)))
                == .overLimit(
                    field: "request.creditChangeSets", value: Int(credit), max: Int(MeshLimits.creditChangeSetsMax)))

        // A header announcing more than a frame may hold is refused before the body is looked at.
        let hugeBody = UInt32(MeshLimits.frameBytesMax)
        #expect(
            rejection([0x4E, 0x44, 1, 3] + withUInt32(hugeBody))
                == .overLimit(
                    field: "header.bodyLength", value: Int(hugeBody), max: MeshLimits.frameBytesMax - 8))
    }

    @Test func aFrameOverTheSizeLimitIsRejectedWhole() {
        let bytes = [UInt8](repeating: 0, count: MeshLimits.frameBytesMax + 1)
        #expect(
            rejection(bytes) == .overLimit(field: "frame.bytes", value: bytes.count, max: MeshLimits.frameBytesMax))
    }

    @Test func valuesWithMoreThanOneEncodingAreRejected() {
        let wst = [3] + Array("WST".utf8)
        let est = [3] + Array("EST".utf8)
        let one: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 1]
        // Sites out of order, a site twice, a zero sequence: each has a canonical spelling that differs.
        #expect(
            rejection(frameBytes(type: 4, body: [0, 2] + wst + one + est + one))
                == .invalidValue(field: "ack.heldVector", reason: "sites not in strictly ascending order"))
        #expect(
            rejection(frameBytes(type: 4, body: [0, 2] + est + one + est + one))
                == .invalidValue(field: "ack.heldVector", reason: "sites not in strictly ascending order"))
        #expect(
            rejection(frameBytes(type: 4, body: [0, 1] + est + [0, 0, 0, 0, 0, 0, 0, 0]))
                == .invalidValue(
                    field: "ack.heldVector", reason: "zero sequence (a vector leaves out what it holds none of)"))
    }

    @Test func invalidFieldValuesAreRejected() {
        let badSite: [UInt8] = [3, 0x57, 0x3A, 0x54]  // "W:T"
        guard
            case .invalidValue(field: "heartbeat.site", _) = rejection(
                frameBytes(type: 5, body: badSite + [1] + withUInt64(0)))
        else {
            Issue.record("a site code with ':' must be refused")
            return
        }
        let emptySite: [UInt8] = [0]
        guard
            case .invalidValue(field: "heartbeat.site", _) = rejection(
                frameBytes(type: 5, body: emptySite + [1] + withUInt64(0)))
        else {
            Issue.record("an empty site code must be refused")
            return
        }
        let wst = [3] + Array("WST".utf8)
        #expect(
            rejection(frameBytes(type: 5, body: wst + [9] + withUInt64(0)))
                == .invalidValue(field: "heartbeat.state", reason: "unknown site state 9"))
        let controlCharacter = wst + [2, 0x41, 0x0A] + withUInt64(1) + [0, 0]
        #expect(
            rejection(frameBytes(type: 1, body: controlCharacter))
                == .invalidValue(field: "hello.clusterID", reason: "contains bytes other than printable ASCII"))
        let accentedCluster = wst + [2, 0xC3, 0xA9] + withUInt64(1) + [0, 0]  // "é" as a cluster id
        #expect(rejection(frameBytes(type: 1, body: accentedCluster)) != nil)
    }

    @Test func framesOverTheLimitsAreNotEncoded() {
        let tooMany = Frame.changeSets(Array(repeating: Data([1]), count: MeshLimits.changeSetsPerFrameMax + 1))
        #expect(
            encodingRejection(tooMany)
                == .overLimit(
                    field: "changeSets.count", value: MeshLimits.changeSetsPerFrameMax + 1,
                    max: MeshLimits.changeSetsPerFrameMax))
        let credit = Frame.request(vector: VersionVector(), creditChangeSets: MeshLimits.creditChangeSetsMax + 1)
        #expect(encodingRejection(credit) != nil)
        let wide = VersionVector(
            Dictionary(
                uniqueKeysWithValues: (0...MeshLimits.vectorEntriesMax).map { (SiteID("S\($0)"), OriginSequence(1)) }))
        #expect(
            encodingRejection(.ack(heldVector: wide))
                == .overLimit(
                    field: "ack.heldVector.count", value: MeshLimits.vectorEntriesMax + 1,
                    max: MeshLimits.vectorEntriesMax))
        #expect(encodingRejection(.heartbeat(site: SiteID("É"), state: .up, sentAtMs: 0)) != nil)
        #expect(ClusterID("") == nil)
        #expect(ClusterID("with space") == nil)
        #expect(ClusterID(String(repeating: "a", count: MeshLimits.stringBytesMax + 1)) == nil)
    }

    // MARK: Fuzzing

    /// 20,000 inputs: random bytes, and valid frames bent by random mutations. None may crash; each either
    /// decodes to a frame that re-encodes to exactly the same bytes, or is rejected with a `FrameError`.
    @Test func randomAndMutatedBytesNeverCrashAndDecodeOnlyToCanonicalFrames() throws {
        let seed: UInt64 = 0x4E44_F022
        var random = SeededGenerator(seed: seed)
        var decoded = 0
        for iteration in 0..<20_000 {
            let input: [UInt8]
            if iteration % 4 == 0 {
                // Random bytes, half of them behind a valid magic and version so the parser goes deeper.
                var bytes = (0..<Int.random(in: 0...96, using: &random)).map { _ in
                    UInt8.random(in: 0...255, using: &random)
                }
                if Bool.random(using: &random), bytes.count >= 8 {
                    bytes[0] = 0x4E
                    bytes[1] = 0x44
                    bytes[2] = 1
                    bytes[3] = UInt8.random(in: 1...5, using: &random)
                    let length = UInt32(bytes.count - 8)
                    bytes.replaceSubrange(4..<8, with: withUInt32(length))
                }
                input = bytes
            } else {
                input = mutate(try RandomFrames.frame(&random).encoded(), &random)
            }
            do {
                let frame = try Frame(decoding: input)
                decoded += 1
                #expect(try frame.encoded() == input, "seed=\(seed) iteration=\(iteration): not canonical")
            } catch {
                _ = error.description  // every rejection can be worded
            }
        }
        // Enough mutants stay valid (e.g. a changed payload byte) that both outcomes are exercised.
        #expect(decoded > 1_000)
        #expect(decoded < 19_000)
    }

    private func mutate(_ bytes: [UInt8], _ random: inout SeededGenerator) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            switch Int.random(in: 0..<7, using: &random) {
            case 0 where !bytes.isEmpty:  // flip one bit
                let index = Int.random(in: 0..<bytes.count, using: &random)
                bytes[index] ^= 1 << UInt8.random(in: 0...7, using: &random)
            case 1 where !bytes.isEmpty:  // overwrite one byte
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            case 2:  // insert a byte
                bytes.insert(
                    UInt8.random(in: 0...255, using: &random), at: Int.random(in: 0...bytes.count, using: &random))
            case 3 where !bytes.isEmpty:  // delete a byte
                bytes.remove(at: Int.random(in: 0..<bytes.count, using: &random))
            case 4:  // truncate
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
            case 5 where bytes.count > 8:  // change a body byte: the header stays valid, so the body parser sees it
                bytes[Int.random(in: 8..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            default:  // append bytes and fix the header length
                bytes += (0..<Int.random(in: 1...4, using: &random)).map { _ in
                    UInt8.random(in: 0...255, using: &random)
                }
                if bytes.count >= 8 { bytes.replaceSubrange(4..<8, with: withUInt32(UInt32(bytes.count - 8))) }
            }
        }
        return bytes
    }
}

func withUInt32(_ value: UInt32) -> [UInt8] {
    (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) }
}

func withUInt64(_ value: UInt64) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
}
