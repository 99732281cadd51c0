import Foundation
import Mesh
import Replication
import Sodium
import Store

extension SyncEngine {
    /// Verifies, opens and stores the runs of one `changeSets` frame; anything that fails is counted and
    /// dropped whole, never applied (DESIGN.md, Sealing: "forged, tampered or replayed change sets are
    /// rejected and counted").
    func receive(_ items: [Data], from peer: SiteID, atMs nowMs: Int64) {
        // Runs verified in this frame, stored together in one transaction at the end; a later run of the
        // same origin is verified from the link an earlier one ends at.
        var verified: [SealedRunInput] = []
        var frameHeads: [SiteID: (sequence: UInt64, link: Data)] = [:]
        for item in items {
            let run: SealedRun
            do {
                run = try SealedRun(decoding: item)
            } catch {
                reject("malformed", count: 1, from: peer, reason: "\(error)")
                continue
            }
            if let input = verify(run, from: peer, frameHead: frameHeads[run.origin]) {
                verified.append(input)
                frameHeads[run.origin] = (run.lastSequence.rawValue, run.checkpointLink)
            }
        }
        guard !verified.isEmpty else { return }
        do {
            let (report, refused) = try database.storeSealedRuns(verified, at: Date(milliseconds: nowMs))
            for (index, run) in verified.enumerated() {
                if let error = refused[index] {
                    reject("chain", count: run.entries.count, from: peer, reason: "\(error)")
                } else {
                    noteStored(origin: run.origin, through: OriginSequence(run.first.rawValue + UInt64(run.entries.count) - 1))
                }
            }
            metrics.changeSetsStored.increment(by: Int64(report.stored))
            metrics.changeSetsDuplicate.increment(by: Int64(report.duplicates))
            metrics.changeSetsApplied.increment(by: Int64(report.received.applied))
            if report.received.applied > 0 { recordAnnouncementsLive(atMs: nowMs) }
            if !report.received.refused.isEmpty {
                logger.warning(
                    "change sets refused by the store",
                    metadata: ["peer.site": "\(peer)", "refused": "\(report.received.refused.prefix(3))"])
            }
        } catch {
            logger.error("storing change sets failed", metadata: ["peer.site": "\(peer)", "error": "\(error)"])
        }
    }

    /// Checks one run completely (signature, chain, envelopes, opening) and returns what to store, or nil
    /// when it is refused (counted and logged) or adds nothing.
    private func verify(_ run: SealedRun, from peer: SiteID, frameHead: (sequence: UInt64, link: Data)?)
        -> SealedRunInput?
    {
        let origin = run.origin
        let count = run.envelopes.count
        // This site is the only writer of its own log: copies coming back are not news.
        guard origin != configuration.site else {
            metrics.changeSetsDuplicate.increment(by: Int64(count))
            return nil
        }
        guard let signer = configuration.signers[origin] else {
            reject("unknown_origin", count: count, from: peer, reason: "origin \(origin) is not in the topology")
            return nil
        }
        let heldSequence = max(held[origin].rawValue, frameHead?.sequence ?? 0)
        guard run.lastSequence.rawValue > heldSequence else {
            metrics.changeSetsDuplicate.increment(by: Int64(count))
            return nil
        }
        guard run.firstSequence.rawValue <= heldSequence + 1 else {
            // Something before it went missing on the way; the peer rewinds and sends it again.
            reject("gap", count: count, from: peer, reason: "\(origin) from \(run.firstSequence), held \(heldSequence)")
            return nil
        }

        // The signature first: a forged checkpoint costs one verification and no hashing.
        let checkpoint: Checkpoint
        do {
            checkpoint = Checkpoint(
                origin: origin.rawValue, sequence: run.lastSequence.rawValue,
                link: try GenericHash.Digest(bytes: run.checkpointLink),
                signature: try Signature(bytes: run.checkpointSignature))
        } catch {
            reject("malformed", count: count, from: peer, reason: "\(error)")
            return nil
        }
        guard checkpoint.isSigned(by: signer) else {
            reject(
                "signature", count: count, from: peer,
                reason: "checkpoint \(origin)/\(run.lastSequence) is not signed by \(origin)'s key")
            return nil
        }
        let baseLink: Data
        if run.firstSequence.rawValue == 1 {
            baseLink = genesis(origin)
        } else if let frameHead, frameHead.sequence == run.firstSequence.rawValue - 1 {
            baseLink = frameHead.link
        } else {
            guard let link = try? database.sealedLink(origin: origin, sequence: OriginSequence(run.firstSequence.rawValue - 1))
            else {
                reject("gap", count: count, from: peer, reason: "no link held at \(origin)/\(run.firstSequence.rawValue - 1)")
                return nil
            }
            baseLink = link
        }
        var link: GenericHash.Digest
        do {
            link = try GenericHash.Digest(bytes: baseLink)
        } catch {
            reject("malformed", count: count, from: peer, reason: "the link held before the run is not a digest")
            return nil
        }
        var entries: [SealedEntry] = []
        var opened: [Result<ChangeSet, OpenFailure>] = []
        entries.reserveCapacity(count)
        for (offset, envelope) in run.envelopes.enumerated() {
            link = OriginChain.link(after: link, sealed: envelope)
            let sequence = OriginSequence(run.firstSequence.rawValue + UInt64(offset))
            let sealed: SealedChangeSet
            do {
                sealed = try SealedChangeSet(decoding: envelope)
            } catch {
                reject("malformed", count: count, from: peer, reason: "\(origin)/\(sequence): \(error)")
                return nil
            }
            guard sealed.origin == origin, sealed.sequence == sequence else {
                reject(
                    "chain", count: count, from: peer,
                    reason: "envelope of \(sealed.origin)/\(sealed.sequence) at \(origin)/\(sequence)")
                return nil
            }
            entries.append(SealedEntry(envelope: envelope, link: link.bytes, clockMs: sealed.clockMs))
            if sequence.rawValue > heldSequence { opened.append(open(sealed)) }
        }
        guard link == checkpoint.link else {
            reject(
                "chain", count: count, from: peer,
                reason: "\(origin)/\(run.firstSequence)...\(run.lastSequence) does not hash to its checkpoint")
            return nil
        }
        var sets: [ChangeSet] = []
        for result in opened {
            switch result {
            case .success(let set): sets.append(set)
            case .failure(let reason):
                // The chain verified, so the origin itself sealed this: refuse its run rather than apply part.
                reject("open", count: count, from: peer, reason: reason.description)
                return nil
            }
        }
        return SealedRunInput(
            origin: origin, first: run.firstSequence, baseLink: baseLink, entries: entries,
            checkpoints: [
                StoredCheckpoint(
                    origin: origin, sequence: run.lastSequence, link: run.checkpointLink,
                    signature: run.checkpointSignature)
            ],
            opened: sets)
    }

    /// The change set inside `sealed`, or a placeholder when this site holds no key for its scope: the
    /// placeholder carries no data, only the position, so change sets that depend on it can be applied.
    private func open(_ sealed: SealedChangeSet) -> Result<ChangeSet, OpenFailure> {
        guard let key = configuration.dataKeys[sealed.scope] else {
            return .success(
                ChangeSet(
                    origin: sealed.origin, sequence: sealed.sequence,
                    timestamp: HybridTimestamp(physicalMs: sealed.clockMs, logical: 0, site: sealed.origin),
                    dependencies: VersionVector(), scope: sealed.scope, operations: []))
        }
        let plaintext: Data
        do {
            plaintext = try sealed.open(with: key)
        } catch {
            return .failure(OpenFailure("\(sealed.origin)/\(sealed.sequence) does not open with the \(sealed.scope) key"))
        }
        let set: ChangeSet
        do {
            set = try ChangeSetCodec.decode(plaintext)
        } catch {
            return .failure(OpenFailure("\(sealed.origin)/\(sealed.sequence) is not a change set: \(error)"))
        }
        guard set.origin == sealed.origin, set.sequence == sealed.sequence, set.scope == sealed.scope else {
            return .failure(OpenFailure("\(sealed.origin)/\(sealed.sequence) holds another change set"))
        }
        return .success(set)
    }
}

struct OpenFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
