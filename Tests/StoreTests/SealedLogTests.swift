import Foundation
import Replication
import Testing

@testable import Store

/// The sealed log keeps each origin's envelopes as a contiguous, never-rewritten prefix.
@Suite struct SealedLogTests {
    let east = SiteID("EST")
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    func entries(_ range: ClosedRange<Int>, tag: String = "") -> [SealedEntry] {
        range.map { SealedEntry(envelope: Data("envelope \($0)\(tag)".utf8), link: Data(repeating: UInt8($0), count: 32), clockMs: 0) }
    }

    func checkpoint(_ sequence: UInt64) -> StoredCheckpoint {
        StoredCheckpoint(
            origin: east, sequence: OriginSequence(sequence), link: Data(repeating: UInt8(sequence), count: 32),
            signature: Data(count: 64))
    }

    @discardableResult
    func store(_ test: TestDatabase, first: UInt64, _ range: ClosedRange<Int>, tag: String = "") throws
        -> SealedStoreReport
    {
        try test.database.storeSealedRun(
            origin: east, first: OriginSequence(first),
            baseLink: first == 1 ? Data() : Data(repeating: UInt8(first - 1), count: 32), entries: entries(range, tag: tag),
            checkpoints: [checkpoint(UInt64(range.upperBound))], opened: [], at: now)
    }

    @Test func runsMustFollowWhatIsHeldWithoutAGap() throws {
        let test = try TestDatabase(gazetteer: false)
        #expect(try store(test, first: 1, 1...4).stored == 4)
        #expect(throws: SealedLogError.notContiguous(origin: "EST", held: 4, first: 6)) {
            try store(test, first: 6, 6...8)
        }
        let overlap = try store(test, first: 3, 3...6)
        #expect(overlap.stored == 2 && overlap.duplicates == 2)
        #expect(try test.database.sealedVector()[east] == OriginSequence(6))
        #expect(try test.database.sealedHead(origin: east)?.link == Data(repeating: 6, count: 32))
    }

    @Test func aDifferentEnvelopeAtAHeldPositionIsRefusedAndNothingIsWritten() throws {
        let test = try TestDatabase(gazetteer: false)
        try store(test, first: 1, 1...4)
        #expect(throws: SealedLogError.conflictingEnvelope(origin: "EST", sequence: 4)) {
            try store(test, first: 4, 4...5, tag: " forked")
        }
        #expect(try test.database.sealedVector()[east] == OriginSequence(4))
        #expect(throws: SealedLogError.baseLinkMismatch(origin: "EST", sequence: 4)) {
            try test.database.storeSealedRun(
                origin: east, first: OriginSequence(5), baseLink: Data(repeating: 0xFF, count: 32),
                entries: entries(5...5), checkpoints: [checkpoint(5)], opened: [], at: now)
        }
    }

    @Test func runsToSendEndAtCheckpointsAndStayWithinTheBudget() throws {
        let test = try TestDatabase(gazetteer: false)
        try store(test, first: 1, 1...64)
        try store(test, first: 65, 65...100)
        let all = try test.database.sealedRuns(missingFrom: VersionVector(), setsMax: 1_000)
        #expect(all.map(\.firstSequence.rawValue) == [1, 65])
        #expect(all.map(\.checkpoint.sequence.rawValue) == [64, 100])
        #expect(all[1].envelopes.first == Data("envelope 65".utf8))
        // From the middle of a run to its checkpoint.
        let fromMiddle = try test.database.sealedRuns(missingFrom: VersionVector([east: OriginSequence(70)]), setsMax: 100)
        #expect(fromMiddle.count == 1 && fromMiddle[0].firstSequence == OriginSequence(71))
        #expect(fromMiddle[0].envelopes.count == 30)
        // A budget smaller than the next run sends nothing rather than a run that cannot be verified.
        #expect(try test.database.sealedRuns(missingFrom: VersionVector(), setsMax: 63).isEmpty)
        #expect(try test.database.sealedRuns(missingFrom: VersionVector(), setsMax: 64).count == 1)
        #expect(try test.database.sealedRuns(missingFrom: VersionVector([east: OriginSequence(100)]), setsMax: 9).isEmpty)
    }

    @Test func eachStartIsANewEpochOfOneClusterForLife() throws {
        let test = try TestDatabase(gazetteer: false)
        #expect(try test.database.beginMeshEpoch(cluster: "london") == 1)
        #expect(try test.database.beginMeshEpoch(cluster: "london") == 2)
        #expect(throws: SealedLogError.otherCluster(stored: "london", configured: "bristol")) {
            try test.database.beginMeshEpoch(cluster: "bristol")
        }
        try test.database.recordMeshPeer(
            MeshPeerRecord(site: east, epoch: 5, held: VersionVector([east: OriginSequence(3)]), lastContactMs: 10))
        try test.database.recordMeshPeer(MeshPeerRecord(site: east, epoch: 4, held: VersionVector(), lastContactMs: 20))
        let peer = try #require(try test.database.meshPeers().first)
        #expect(peer.epoch == 5, "an epoch never goes back")
        #expect(peer.lastContactMs == 20)
    }
}
