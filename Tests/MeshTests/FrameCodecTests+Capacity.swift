import Foundation
import Replication
import Testing

@testable import Mesh

/// The capacity tail of `heartbeat` (PROTOCOL.md): optional, so the short heartbeats of earlier nodes still
/// decode; one encoding per value; anything else refused.
@Suite struct HeartbeatCapacityCodecTests {
    let codec = FrameCodecTests()
    let east = SiteID("EST")
    let capacity = SiteCapacity(
        handlersSignedIn: 5, trainedByOrganisation: ["EAL": 4, "ENF": 2, "BAR": 1], callsInProgress: 3)

    @Test func aHeartbeatWithCapacitySurvivesARoundTrip() throws {
        let frames: [Frame] = [
            .heartbeat(site: east, state: .draining, sentAtMs: 1_790_000_000_123, capacity: capacity),
            .heartbeat(site: east, state: .up, sentAtMs: 0, capacity: SiteCapacity(
                handlersSignedIn: 0, trainedByOrganisation: [:], callsInProgress: 0)),
            .heartbeat(
                site: east, state: .evacuated, sentAtMs: -5,
                capacity: SiteCapacity(
                    handlersSignedIn: MeshLimits.capacityHandlersMax,
                    trainedByOrganisation: ["EAL": MeshLimits.capacityHandlersMax],
                    callsInProgress: MeshLimits.capacityCallsMax)),
        ]
        for frame in frames {
            let bytes = try frame.encoded()
            let decoded = try Frame(decoding: bytes)
            #expect(decoded == frame)
            #expect(try decoded.encoded() == bytes)
        }
    }

    @Test func theShortHeartbeatOfEarlierNodesStillDecodesWithNoCapacity() throws {
        // Exactly what a node of the first protocol release sends: site, state, sent at, nothing after.
        let body: [UInt8] = [3] + Array("EST".utf8) + [2] + [0, 0, 0, 0, 0, 0, 0, 9]
        let frame = try Frame(decoding: codec.frameBytes(type: 5, body: body))
        #expect(frame == .heartbeat(site: east, state: .draining, sentAtMs: 9, capacity: nil))
        #expect(try frame.encoded() == codec.frameBytes(type: 5, body: body))
    }

    @Test func theCapacityTailHasOneEncodingWhateverTheDictionaryOrder() throws {
        let bytes = try Frame.heartbeat(site: east, state: .up, sentAtMs: 1, capacity: capacity).encoded()
        // Tail: version 1, handlers u16 5, calls u32 3, count u16 3, then BAR 1, EAL 4, ENF 2 in byte order.
        let tail: [UInt8] =
            [1, 0, 5, 0, 0, 0, 3, 0, 3] + [3] + Array("BAR".utf8) + [0, 1] + [3] + Array("EAL".utf8) + [0, 4] + [3]
            + Array("ENF".utf8) + [0, 2]
        #expect(Array(bytes.suffix(tail.count)) == tail)
        #expect(bytes.count == 8 + 13 + tail.count)
    }

    @Test func aMalformedCapacityTailIsRefusedByName() throws {
        let head: [UInt8] = [3] + Array("EST".utf8) + [1] + [0, 0, 0, 0, 0, 0, 0, 1]
        func rejected(_ tail: [UInt8]) -> FrameError? { codec.rejection(codec.frameBytes(type: 5, body: head + tail)) }
        #expect(
            rejected([2, 0, 0, 0, 0, 0, 0, 0, 0])
                == .invalidValue(field: "heartbeat.capacity.version", reason: "unknown capacity version 2"))
        #expect(
            rejected([1, 0, 1]) == .truncated(field: "heartbeat.capacity.callsInProgress", neededBytes: 4, availableBytes: 0))
        #expect(
            rejected([1, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0])
                == .overLimit(field: "heartbeat.capacity.handlersSignedIn", value: 65_535, max: MeshLimits.capacityHandlersMax))
        let out = [1, 0, 2, 0, 0, 0, 0, 0, 2] + [3] + Array("ENF".utf8) + [0, 1] + [3] + Array("EAL".utf8) + [0, 1]
        #expect(
            rejected(out)
                == .invalidValue(field: "heartbeat.capacity", reason: "organisations not in strictly ascending order"))
        #expect(
            rejected([1, 0, 1, 0, 0, 0, 0, 0, 1] + [3] + Array("EAL".utf8) + [0, 0])
                == .invalidValue(
                    field: "heartbeat.capacity.trained", reason: "trained count 0 is not 1 to \(MeshLimits.capacityHandlersMax)"))
        #expect(rejected([1, 0, 0, 0, 0, 0, 0, 0, 0, 7]) == .trailingBytes(count: 1))
    }

    @Test func theEncoderRefusesWhatTheDecoderWould() {
        func refused(_ capacity: SiteCapacity) -> Bool {
            codec.encodingRejection(.heartbeat(site: east, state: .up, sentAtMs: 0, capacity: capacity)) != nil
        }
        #expect(refused(SiteCapacity(handlersSignedIn: -1, trainedByOrganisation: [:], callsInProgress: 0)))
        #expect(refused(SiteCapacity(handlersSignedIn: 70_000, trainedByOrganisation: [:], callsInProgress: 0)))
        #expect(refused(SiteCapacity(handlersSignedIn: 1, trainedByOrganisation: ["EAL": 0], callsInProgress: 0)))
        #expect(refused(SiteCapacity(handlersSignedIn: 1, trainedByOrganisation: ["E L": 1], callsInProgress: 0)))
        #expect(refused(SiteCapacity(handlersSignedIn: 1, trainedByOrganisation: [:], callsInProgress: 2_000_000)))
    }
}
