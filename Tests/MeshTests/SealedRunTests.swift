import Foundation
import Mesh
import Replication
import Sodium
import Testing

@Suite struct SealedRunTests {
    let key = DataKey.generate()

    func envelope(_ sequence: UInt64, scope: ChangeScope = .organisation("EAL"), text: String = "fields")
        throws -> SealedChangeSet
    {
        try SealedChangeSet.seal(
            Data(text.utf8), origin: SiteID("WST"), sequence: OriginSequence(sequence), clockMs: 1_790_000_000_000,
            scope: scope, key: key)
    }

    @Test func anEnvelopeOpensWithItsKeyAndKeepsItsHeaderInTheClear() throws {
        let sealed = try envelope(7, text: "Jane Smith, 14 Station Road")
        let read = try SealedChangeSet(decoding: sealed.bytes)
        #expect(read.origin == SiteID("WST"))
        #expect(read.sequence == OriginSequence(7))
        #expect(read.scope == .organisation("EAL"))
        #expect(read.clockMs == 1_790_000_000_000)
        #expect(try read.open(with: key) == Data("Jane Smith, 14 Station Road".utf8))
        // The fields never travel in the clear.
        #expect(sealed.bytes.range(of: Data("Station Road".utf8)) == nil)
        #expect(try SealedChangeSet(decoding: try envelope(1, scope: .cluster).bytes).scope == .cluster)
    }

    @Test func anotherKeyOrAnyAlteredByteCannotOpenAnEnvelope() throws {
        let sealed = try envelope(3)
        #expect(throws: SodiumError.self) { try sealed.open(with: DataKey.generate()) }
        for index in [0, 5, 12, sealed.bytes.count / 2, sealed.bytes.count - 1] {
            var bytes = sealed.bytes
            bytes[index] ^= 0x01
            // Either the header no longer reads, or the box refuses to open: never another plaintext.
            if let altered = try? SealedChangeSet(decoding: bytes) {
                #expect(throws: SodiumError.self) { try altered.open(with: key) }
            }
        }
    }

    @Test func aRunSurvivesARoundTripAndRefusesWhatItWouldNotWrite() throws {
        let run = SealedRun(
            origin: SiteID("EST"), firstSequence: OriginSequence(65),
            envelopes: [try envelope(65).bytes, try envelope(66).bytes], checkpointLink: Data(repeating: 7, count: 32),
            checkpointSignature: Data(repeating: 9, count: 64))
        let bytes = try run.encoded()
        #expect(try SealedRun(decoding: bytes) == run)
        #expect(run.lastSequence == OriginSequence(66))
        #expect(throws: FrameError.self) { try SealedRun(decoding: bytes.dropLast()) }
        #expect(throws: FrameError.trailingBytes(count: 1)) { try SealedRun(decoding: bytes + [0]) }
        var zeroFirst = bytes
        zeroFirst[2 + 3 + 7] = 0  // version, site "EST" (length + 3), last byte of the first sequence
        #expect(throws: FrameError.self) { try SealedRun(decoding: zeroFirst) }
        let empty = SealedRun(
            origin: SiteID("EST"), firstSequence: OriginSequence(1), envelopes: [],
            checkpointLink: Data(count: 32), checkpointSignature: Data(count: 64))
        #expect(throws: FrameError.self) { try empty.encoded() }
    }

    @Test func randomBytesNeverCrashTheRunOrEnvelopeDecoder() throws {
        var random = SeededGenerator(seed: 0x5EA1)
        let valid = try SealedRun(
            origin: SiteID("WST"), firstSequence: OriginSequence(1), envelopes: [try envelope(1).bytes],
            checkpointLink: Data(count: 32), checkpointSignature: Data(count: 64)
        ).encoded()
        for round in 0..<5_000 {
            var bytes: Data
            if round % 2 == 0 {
                bytes = Data((0..<Int.random(in: 0...200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })
            } else {
                bytes = valid
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            }
            if let run = try? SealedRun(decoding: bytes) {
                // Whatever decodes re-encodes to the same bytes: one encoding per value.
                #expect(try run.encoded() == bytes, "seed round \(round)")
            }
            _ = try? SealedChangeSet(decoding: bytes)
        }
    }
}

@Suite struct PeerSessionTests {
    let settings = PeerSession.Settings()
    let west = SiteID("WST")

    func admitted(epoch: UInt64 = 3) -> PeerSession {
        var session = PeerSession(site: SiteID("EST"), knownEpoch: 2)
        _ = session.receivedHello(
            cluster: "london", expectedCluster: "london", epoch: epoch, held: VersionVector([west: OriginSequence(4)]),
            atMs: 1_000)
        return session
    }

    @Test func anotherClusterOrAnOlderEpochIsRefused() {
        var other = PeerSession(site: SiteID("EST"))
        let cluster = other.receivedHello(
            cluster: "bristol", expectedCluster: "london", epoch: 1, held: VersionVector(), atMs: 0)
        guard case .refused(let reason) = cluster else { Issue.record("admitted another cluster"); return }
        #expect(reason.contains("bristol"))
        var restored = PeerSession(site: SiteID("EST"), knownEpoch: 9)
        let stale = restored.receivedHello(
            cluster: "london", expectedCluster: "london", epoch: 6, held: VersionVector(), atMs: 0)
        guard case .refused(let why) = stale else { Issue.record("admitted a stale epoch"); return }
        #expect(why.contains("restored from an old backup"))
        #expect(restored.health(atMs: 0, settings: settings) == .refused)
        var forgetful = PeerSession(site: SiteID("EST"), knownEpoch: 2)
        let lost = forgetful.receivedHello(
            cluster: "london", expectedCluster: "london", epoch: 3, held: VersionVector([SiteID("EST"): OriginSequence(5)]),
            localHeldOfPeer: OriginSequence(8), atMs: 0)
        guard case .refused(let lostReason) = lost else { Issue.record("admitted a peer that lost its own sets"); return }
        #expect(lostReason.contains("holds 5 of its own change sets but this node holds 8"))
        #expect(admitted().admission == .admitted)
    }

    @Test func nothingStreamsWithoutCreditAndCreditBoundsWhatIsInFlight() {
        var session = admitted()
        #expect(!session.mayStream)
        session.receivedRequest(vector: VersionVector([west: OriginSequence(4)]), credit: 100, atMs: 1_010)
        #expect(session.mayStream && session.credit == 100)
        session.sent(through: VersionVector([west: OriginSequence(64)]))
        #expect(session.credit == 40 && session.sentThrough[west] == OriginSequence(64))
        session.sent(through: VersionVector([west: OriginSequence(104)]))
        #expect(session.credit == 0 && !session.mayStream)
        // A new grant counts from what the peer held when it granted: the 40 sets still in flight use it up.
        session.receivedRequest(vector: VersionVector([west: OriginSequence(64)]), credit: 50, atMs: 1_020)
        #expect(session.credit == 10 && session.sentThrough[west] == OriginSequence(104))
        // A send that did not happen gives its credit back.
        let before = session.sentThrough
        session.sent(through: VersionVector([west: OriginSequence(114)]))
        #expect(session.credit == 0)
        session.unsent(previous: before)
        #expect(session.credit == 10 && session.sentThrough[west] == OriginSequence(104))
    }

    @Test func unacknowledgedSetsAreSentAgainAfterAPauseOrALostLink() {
        var session = admitted()
        session.receivedRequest(vector: VersionVector([west: OriginSequence(4)]), credit: 100, atMs: 1_000)
        session.sent(through: VersionVector([west: OriginSequence(14)]))
        session.tick(localHeld: VersionVector([west: OriginSequence(14)]), atMs: 2_000, settings: settings)
        #expect(session.sentThrough[west] == OriginSequence(14))
        session.tick(localHeld: VersionVector([west: OriginSequence(14)]), atMs: 4_001, settings: settings)
        #expect(session.sentThrough[west] == OriginSequence(4), "rewound to what the peer acknowledged")
        session.sent(through: VersionVector([west: OriginSequence(14)]))
        session.linkDown()
        #expect(session.sentThrough[west] == OriginSequence(4) && session.credit == 0)
        #expect(session.admission == .awaitingHello)
    }

    @Test func healthIsDownWithoutContactAndLaggingWhenBehindTooLong() {
        var session = admitted()
        let local = VersionVector([west: OriginSequence(10)])
        session.tick(localHeld: local, atMs: 1_000, settings: settings)
        #expect(session.health(atMs: 1_500, settings: settings) == .connected)
        #expect(session.lagChangeSets(localHeld: local) == 6)
        session.heard(atMs: 3_500)
        session.tick(localHeld: local, atMs: 3_500, settings: settings)
        #expect(session.health(atMs: 3_500, settings: settings) == .lagging)
        session.receivedAck(vector: local, atMs: 3_600)
        session.tick(localHeld: local, atMs: 3_600, settings: settings)
        #expect(session.health(atMs: 3_600, settings: settings) == .connected)
        #expect(session.health(atMs: 3_600 + settings.downAfterMs, settings: settings) == .down)
        #expect(PeerSession(site: west).health(atMs: 0, settings: settings) == .down)
    }
}
