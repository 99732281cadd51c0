import Foundation
import Testing

@testable import Sodium

@Suite struct OriginChainTests {
    let origin = "WST"
    let site = SigningKeyPair.generate()

    /// Sealed change sets as the sender would send them: distinct, of varied length.
    func changeSets(_ count: Int, from first: Int = 1) -> [Data] {
        (first..<(first + count)).map { Data("header \($0)|".utf8) + Data(repeating: UInt8($0 % 251), count: $0 % 97) }
    }

    /// The sender's chain after `sets`, and a checkpoint at its head.
    func sent(_ sets: [Data]) throws -> (chain: OriginChain, checkpoint: Checkpoint) {
        var chain = try OriginChain(origin: origin)
        for set in sets { chain.append(set) }
        return (chain, chain.checkpoint(signedBy: site))
    }

    @Test func aReceiverVerifiesARunWithOneCheckpointAndReachesTheSendersHead() throws {
        let sets = changeSets(50)
        let (sender, checkpoint) = try sent(sets)
        var receiver = try OriginChain(origin: origin)
        try receiver.extend(verifying: sets, through: checkpoint, signer: site.publicKey)
        #expect(receiver == sender)
        #expect(receiver.sequence == 50)
        #expect(checkpoint.sequence == 50)
    }

    @Test func aReceiverVerifiesConsecutiveRunsFromItsVerifiedPrefix() throws {
        let sets = changeSets(30)
        var sender = try OriginChain(origin: origin)
        var checkpoints: [Checkpoint] = []
        for (index, set) in sets.enumerated() {
            sender.append(set)
            if (index + 1) % 10 == 0 { checkpoints.append(sender.checkpoint(signedBy: site)) }
        }
        var receiver = try OriginChain(origin: origin)
        for (run, checkpoint) in zip([sets[0..<10], sets[10..<20], sets[20..<30]], checkpoints) {
            try receiver.extend(verifying: run, through: checkpoint, signer: site.publicKey)
        }
        #expect(receiver == sender)
        // A chain resumed from a persisted head continues identically.
        var resumed = try OriginChain(origin: origin, sequence: receiver.sequence, link: receiver.link)
        #expect(resumed == receiver)
        resumed.append(Data("31".utf8))
        sender.append(Data("31".utf8))
        #expect(resumed == sender)
    }

    @Test func theChainIsTheDocumentedHashes() throws {
        let sets = changeSets(2)
        let genesis = GenericHash.hash(Data("nightdesk-chain".utf8) + Data(origin.utf8))
        let first = GenericHash.hash(genesis.bytes + sets[0])
        let second = GenericHash.hash(first.bytes + sets[1])
        let (sender, checkpoint) = try sent(sets)
        #expect(try OriginChain(origin: origin).link == genesis)
        #expect(sender.link == second)
        var expectedMessage = Data("nightdesk-checkpoint v1".utf8) + Data([0, 3]) + Data(origin.utf8)
        expectedMessage += Data([0, 0, 0, 0, 0, 0, 0, 2]) + second.bytes
        #expect(site.publicKey.verify(checkpoint.signature, message: expectedMessage))
    }

    @Test func aTamperedByteAnywhereInTheRunIsRefused() throws {
        let sets = changeSets(5)
        let (_, checkpoint) = try sent(sets)
        for setIndex in sets.indices {
            for byteIndex in [0, sets[setIndex].count - 1] {
                var tampered = sets
                tampered[setIndex][tampered[setIndex].startIndex + byteIndex] ^= 0x01
                var receiver = try OriginChain(origin: origin)
                let before = receiver
                #expect(throws: SodiumError.chainLinkMismatch(origin: origin, firstSequence: 1, lastSequence: 5)) {
                    try receiver.extend(verifying: tampered, through: checkpoint, signer: site.publicKey)
                }
                #expect(receiver == before)  // nothing verified, nothing moved
            }
        }
    }

    @Test func swappedChangeSetsAreRefused() throws {
        let sets = changeSets(5)
        let (_, checkpoint) = try sent(sets)
        var swapped = sets
        swapped.swapAt(1, 3)
        var receiver = try OriginChain(origin: origin)
        #expect(throws: SodiumError.chainLinkMismatch(origin: origin, firstSequence: 1, lastSequence: 5)) {
            try receiver.extend(verifying: swapped, through: checkpoint, signer: site.publicKey)
        }
    }

    @Test func aMissingChangeSetIsRefused() throws {
        let sets = changeSets(5)
        let (_, checkpoint) = try sent(sets)
        var receiver = try OriginChain(origin: origin)
        var missing = sets
        missing.remove(at: 2)
        #expect(throws: SodiumError.checkpointSequenceMismatch(origin: origin, runEndsAt: 4, checkpointAt: 5)) {
            try receiver.extend(verifying: missing, through: checkpoint, signer: site.publicKey)
        }
        // Leaving one out and duplicating another keeps the count but not the link.
        missing.insert(sets[1], at: 2)
        #expect(throws: SodiumError.chainLinkMismatch(origin: origin, firstSequence: 1, lastSequence: 5)) {
            try receiver.extend(verifying: missing, through: checkpoint, signer: site.publicKey)
        }
    }

    @Test func anExtraChangeSetIsRefused() throws {
        let sets = changeSets(5)
        let (_, checkpoint) = try sent(sets)
        var receiver = try OriginChain(origin: origin)
        #expect(throws: SodiumError.checkpointSequenceMismatch(origin: origin, runEndsAt: 6, checkpointAt: 5)) {
            try receiver.extend(verifying: sets + [Data("forged".utf8)], through: checkpoint, signer: site.publicKey)
        }
        var extraInside = sets
        extraInside.insert(Data("forged".utf8), at: 2)
        extraInside.removeLast()
        #expect(throws: SodiumError.chainLinkMismatch(origin: origin, firstSequence: 1, lastSequence: 5)) {
            try receiver.extend(verifying: extraInside, through: checkpoint, signer: site.publicKey)
        }
    }

    @Test func aCheckpointSignedByAnotherKeyIsRefused() throws {
        let sets = changeSets(5)
        var sender = try OriginChain(origin: origin)
        for set in sets { sender.append(set) }
        let forged = sender.checkpoint(signedBy: SigningKeyPair.generate())
        var receiver = try OriginChain(origin: origin)
        #expect(throws: SodiumError.checkpointSignatureInvalid(origin: origin, sequence: 5)) {
            try receiver.extend(verifying: sets, through: forged, signer: site.publicKey)
        }
        // The right checkpoint, checked against the wrong origin's key, is refused the same way.
        let genuine = sender.checkpoint(signedBy: site)
        #expect(throws: SodiumError.checkpointSignatureInvalid(origin: origin, sequence: 5)) {
            try receiver.extend(verifying: sets, through: genuine, signer: SigningKeyPair.generate().publicKey)
        }
    }

    @Test func aCheckpointForADifferentSequenceIsRefused() throws {
        let sets = changeSets(6)
        let (_, atSix) = try sent(sets)
        let (_, atFive) = try sent(Array(sets.prefix(5)))
        var receiver = try OriginChain(origin: origin)
        // A later checkpoint against a shorter run.
        #expect(throws: SodiumError.checkpointSequenceMismatch(origin: origin, runEndsAt: 5, checkpointAt: 6)) {
            try receiver.extend(verifying: sets.prefix(5), through: atSix, signer: site.publicKey)
        }
        // A genuine checkpoint's sequence relabelled: the signature no longer covers it.
        let relabelled = Checkpoint(origin: origin, sequence: 6, link: atFive.link, signature: atFive.signature)
        #expect(throws: SodiumError.checkpointSignatureInvalid(origin: origin, sequence: 6)) {
            try receiver.extend(verifying: sets, through: relabelled, signer: site.publicKey)
        }
        // A genuine checkpoint with another position's link: the signature does not cover that either.
        let relinked = Checkpoint(origin: origin, sequence: 5, link: atSix.link, signature: atFive.signature)
        #expect(throws: SodiumError.checkpointSignatureInvalid(origin: origin, sequence: 5)) {
            try receiver.extend(verifying: sets.prefix(5), through: relinked, signer: site.publicKey)
        }
    }

    @Test func anotherOriginsCheckpointOrChainIsRefused() throws {
        let sets = changeSets(3)
        let (_, checkpoint) = try sent(sets)
        var east = try OriginChain(origin: "EST")
        #expect(throws: SodiumError.checkpointOriginMismatch(expected: "EST", found: origin)) {
            try east.extend(verifying: sets, through: checkpoint, signer: site.publicKey)
        }
        // The same sets under another origin chain to different links: a relabelled checkpoint fails.
        let relabelled = Checkpoint(
            origin: "EST", sequence: checkpoint.sequence, link: checkpoint.link, signature: checkpoint.signature)
        #expect(throws: SodiumError.checkpointSignatureInvalid(origin: "EST", sequence: 3)) {
            try east.extend(verifying: sets, through: relabelled, signer: site.publicKey)
        }
        #expect(OriginChain.genesisLink(origin: "EST") != OriginChain.genesisLink(origin: origin))
    }

    @Test func aRunStartingAnywhereButAfterTheVerifiedPrefixIsRefused() throws {
        let sets = changeSets(10)
        var sender = try OriginChain(origin: origin)
        for set in sets.prefix(5) { sender.append(set) }
        let atFive = sender.checkpoint(signedBy: site)
        for set in sets.dropFirst(5) { sender.append(set) }
        let atTen = sender.checkpoint(signedBy: site)

        var receiver = try OriginChain(origin: origin)
        try receiver.extend(verifying: sets.prefix(5), through: atFive, signer: site.publicKey)
        // Replaying sets 4...8 and 9, 10 again: the count matches but the positions do not.
        #expect(throws: SodiumError.self) {
            try receiver.extend(verifying: Array(sets[3..<8]), through: atTen, signer: site.publicKey)
        }
        try receiver.extend(verifying: sets.suffix(5), through: atTen, signer: site.publicKey)
        #expect(receiver == sender)
    }

    @Test func aRunLongerThanTheLimitIsRefusedBeforeHashing() throws {
        let run = [Data](repeating: Data([1]), count: SodiumLimits.chainRunSetsMax + 1)
        var chain = try OriginChain(origin: origin)
        for set in run { chain.append(set) }
        let checkpoint = chain.checkpoint(signedBy: site)
        var receiver = try OriginChain(origin: origin)
        #expect(
            throws: SodiumError.chainRunTooLong(
                origin: origin, sets: run.count, maxSets: SodiumLimits.chainRunSetsMax)
        ) { try receiver.extend(verifying: run, through: checkpoint, signer: site.publicKey) }
    }

    @Test func originsMustBeNamedWithinTheLimit() {
        #expect(throws: SodiumError.chainOriginInvalid(origin: "")) { try OriginChain(origin: "") }
        let long = String(repeating: "W", count: SodiumLimits.chainOriginBytesMax + 1)
        #expect(throws: SodiumError.chainOriginInvalid(origin: long)) { try OriginChain(origin: long) }
    }

    @Test func aCheckpointRoundTripsThroughJSONAndStillVerifies() throws {
        let sets = changeSets(3)
        let (_, checkpoint) = try sent(sets)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let decoded = try JSONDecoder().decode(Checkpoint.self, from: encoder.encode(checkpoint))
        #expect(decoded == checkpoint)
        #expect(decoded.isSigned(by: site.publicKey))
    }

    @Test func theCheckpointLimitsFitTogether() {
        #expect(SodiumLimits.checkpointIntervalSetsMax >= 1)
        #expect(SodiumLimits.checkpointIntervalSetsMax <= SodiumLimits.chainRunSetsMax)
        #expect(SodiumLimits.checkpointIntervalMsMax > 0)
    }
}
