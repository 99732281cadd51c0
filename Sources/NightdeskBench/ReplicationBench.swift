import Domain
import Foundation
import Node
import Replication
import Store

/// `replication`: the cost of change sets, each against raw SQLite writing the same rows in the same run.
///
/// (a) local write overhead: `logCall` (a change set per call, change log, clock, version vector) against the
///     same call and timeline rows inserted with no change log, one call per transaction, both synchronous=FULL;
/// (b) applying remote change sets: a fresh replica receives a site's history in batches of 1,000 change sets,
///     against raw inserts of the same rows 1,000 per transaction;
/// (c) merging two diverged replicas, each with its own history, both ways, against raw inserts of both
///     histories' rows.
struct ReplicationBench {
    struct Options {
        var directory = ""
        var topology = ""
        var localCalls = 20_000
        var applyCalls = 100_000
        var mergeCalls = 100_000
        var seed: UInt64 = 1

        init(arguments: [String]) throws {
            for (flag, value) in try BenchFlags.pairs(arguments.dropFirst()) {
                switch flag {
                case "--dir": directory = value
                case "--topology": topology = value
                case "--local-calls": localCalls = try BenchFlags.count(flag, value)
                case "--apply-calls": applyCalls = try BenchFlags.count(flag, value)
                case "--merge-calls": mergeCalls = try BenchFlags.count(flag, value)
                case "--seed": seed = try BenchFlags.seed(value)
                default: throw UsageError(description: "unknown option \(flag)")
                }
            }
            guard !directory.isEmpty, !topology.isEmpty else {
                throw UsageError(description: "--dir and --topology are required")
            }
        }
    }

    let options: Options
    let helpers: StoreBench
    let clock = ContinuousClock()
    static let batch = BenchLimits.batchSize

    init(options: Options) throws {
        self.options = options
        helpers = try StoreBench(
            options: StoreBench.Options(arguments: ["store", "--dir", options.directory, "--topology", options.topology]))
    }

    struct Rate {
        var items = 0
        var elapsed = Duration.zero
        var perSecond: Double { Double(items) / elapsed.seconds }
    }

    func run() throws {
        let file = try CatalogueFile(path: options.topology)
        let catalogue = file.catalogue
        let gazetteers = try file.loadGazetteers()
        let bookSource = try helpers.freshDatabase("addresses.sqlite", catalogue: catalogue)
        for (organisation, addresses) in gazetteers { try bookSource.importGazetteer(organisation: organisation, addresses: addresses) }
        let book = try helpers.addressBook(bookSource, gazetteers)

        let local = try localOverhead(catalogue: catalogue, book: book)
        let (apply, merge) = try applyAndMerge(catalogue: catalogue, gazetteers: gazetteers, book: book)
        report(local: local, apply: apply, merge: merge)
    }

    // MARK: - (a)

    func localOverhead(catalogue: Catalogue, book: AddressBook) throws -> (nightdesk: Rate, raw: Rate) {
        let count = options.localCalls
        var generator = try CallGenerator(catalogue: catalogue, addresses: book, totalCalls: count, seed: options.seed)
        let drafts = generator.next(count)
        let rows = try helpers.rawRows(drafts, firstSerial: 0, catalogue: catalogue)
        let database = try helpers.freshDatabase("local-nightdesk.sqlite", catalogue: catalogue)
        let raw = try helpers.freshRawDatabase("local-raw.sqlite", catalogue: catalogue, synchronous: .full)
        let criteria = try DuplicateCriteria()
        let limit = Duration.seconds(BenchLimits.comparisonSecondsMax)
        var nightdesk = Rate()
        var baseline = Rate()
        helpers.log("(a) logging \(count) calls one per transaction, with and without change sets")
        for round in 0..<BenchLimits.rounds {
            let range = (count * round / BenchLimits.rounds)..<(count * (round + 1) / BenchLimits.rounds)
            for nightdeskTurn in round.isMultiple(of: 2) ? [true, false] : [false, true] {
                for index in range {
                    if nightdeskTurn {
                        guard nightdesk.elapsed < limit else { break }
                        let start = clock.now
                        _ = try database.logCall(drafts[index], author: StoreBench.author, criteria: criteria, at: StoreBench.loggedAt)
                        nightdesk.elapsed += clock.now - start
                        nightdesk.items += 1
                    } else {
                        guard baseline.elapsed < limit else { break }
                        let start = clock.now
                        try raw.insert(rows[index...index])
                        baseline.elapsed += clock.now - start
                        baseline.items += 1
                    }
                }
            }
        }
        let held = try database.heldVector()[SiteID("WST")].rawValue
        precondition(held == UInt64(nightdesk.items) + 1, "change log holds \(held) sets, expected \(nightdesk.items + 1)")
        return (nightdesk, baseline)
    }

    // MARK: - (b) and (c)

    /// A site's history: `count` calls logged one per transaction into an in-memory replica (fast to make),
    /// then copied to a file so the timed replicas are real files with synchronous=FULL.
    func history(site: String, count: Int, seed: UInt64, catalogue: Catalogue, gazetteers: [OrganisationCode: [GazetteerAddress]], book: AddressBook)
        throws -> (file: String, sets: [ChangeSet], drafts: [CallDraft])
    {
        let memory = try AppDatabase(path: nil)
        try memory.initialise(site: try SiteCode(site), at: StoreBench.loggedAt)
        try memory.loadCatalogue(catalogue, at: StoreBench.loggedAt)
        for (organisation, addresses) in gazetteers { try memory.importGazetteer(organisation: organisation, addresses: addresses) }
        var generator = try CallGenerator(catalogue: catalogue, addresses: book, totalCalls: count, seed: seed)
        var drafts: [CallDraft] = []
        drafts.reserveCapacity(count)
        let criteria = try DuplicateCriteria(radiusMetres: 0, windowSeconds: 1)
        for _ in 0..<count {
            let draft = generator.next()
            _ = try memory.logCall(draft, author: StoreBench.author, criteria: criteria, at: StoreBench.loggedAt)
            drafts.append(draft)
        }
        let file = helpers.path("history-\(site).sqlite")
        try memory.backup(to: file)
        let sets = try memory.changeSets(missingFrom: VersionVector(), limit: count + 10)
        precondition(sets.count == count + 1, "history of \(site) has \(sets.count) change sets, expected \(count + 1)")
        return (file, sets, drafts)
    }

    func receiveAll(_ database: AppDatabase, _ sets: [ChangeSet]) throws -> Rate {
        var rate = Rate()
        for start in stride(from: 0, to: sets.count, by: Self.batch) {
            let slice = Array(sets[start..<min(start + Self.batch, sets.count)])
            let began = clock.now
            let report = try database.receive(slice, at: StoreBench.loggedAt.addingTimeInterval(3_600))
            rate.elapsed += clock.now - began
            precondition(report.refused.isEmpty && report.quarantined.isEmpty, "refused or quarantined: \(report)")
            rate.items += report.applied
        }
        return rate
    }

    func rawInsert(_ raw: RawSQLite, _ rows: [RawCallRow]) throws -> Rate {
        var rate = Rate()
        for start in stride(from: 0, to: rows.count, by: Self.batch) {
            let began = clock.now
            try raw.insert(rows[start..<min(start + Self.batch, rows.count)])
            rate.elapsed += clock.now - began
            rate.items += min(Self.batch, rows.count - start)
        }
        return rate
    }

    func applyAndMerge(catalogue: Catalogue, gazetteers: [OrganisationCode: [GazetteerAddress]], book: AddressBook) throws
        -> (apply: (nightdesk: Rate, raw: Rate), merge: (nightdesk: Rate, raw: Rate, digestsEqual: Bool))
    {
        let mergeCount = options.mergeCalls
        let applyCount = options.applyCalls
        helpers.log("making histories: WST \(max(applyCount, mergeCount)) calls, EST \(mergeCount) calls")
        let west = try history(
            site: "WST", count: max(applyCount, mergeCount), seed: options.seed &+ 10, catalogue: catalogue,
            gazetteers: gazetteers, book: book)
        let east = try history(site: "EST", count: mergeCount, seed: options.seed &+ 20, catalogue: catalogue, gazetteers: gazetteers, book: book)

        // (b) a fresh replica catches up on West's history.
        helpers.log("(b) a fresh replica applies \(applyCount) change sets in batches of \(Self.batch)")
        let replica = try AppDatabase(path: helpers.path("apply-nightdesk.sqlite"))
        try replica.initialise(site: try SiteCode("NTH"), at: StoreBench.loggedAt)
        let applySets = Array(west.sets.prefix(applyCount + 1))
        let applied = try receiveAll(replica, applySets)
        let applyRaw = try helpers.freshRawDatabase("apply-raw.sqlite", catalogue: catalogue, synchronous: .full)
        let applyBaseline = try rawInsert(
            applyRaw, try helpers.rawRows(Array(west.drafts.prefix(applyCount)), firstSerial: 0, catalogue: catalogue))

        // (c) two diverged replicas merge both ways.
        helpers.log("(c) merging two replicas (\(west.sets.count) and \(east.sets.count) change sets), both ways")
        let westReplica = try AppDatabase(path: west.file)
        let eastReplica = try AppDatabase(path: east.file)
        var merged = try receiveAll(eastReplica, west.sets)
        let other = try receiveAll(westReplica, east.sets)
        merged.items += other.items
        merged.elapsed += other.elapsed
        let westDigest = try westReplica.stateDigest()
        let eastDigest = try eastReplica.stateDigest()
        let mergeRaw = try helpers.freshRawDatabase("merge-raw.sqlite", catalogue: catalogue, synchronous: .full)
        var mergeBaseline = try rawInsert(
            mergeRaw, try helpers.rawRows(west.drafts, firstSerial: 0, catalogue: catalogue))
        let eastRows = try east.drafts.enumerated().map { index, draft in
            try RawCallRow(
                draft, serial: Int64(index), site: try SiteCode("EST"), catalogue: catalogue, author: StoreBench.author,
                at: StoreBench.loggedAt)
        }
        let second = try rawInsert(mergeRaw, eastRows)
        mergeBaseline.items += second.items
        mergeBaseline.elapsed += second.elapsed
        return ((applied, applyBaseline), (merged, mergeBaseline, westDigest == eastDigest))
    }

    // MARK: - Report

    func report(
        local: (nightdesk: Rate, raw: Rate), apply: (nightdesk: Rate, raw: Rate),
        merge: (nightdesk: Rate, raw: Rate, digestsEqual: Bool)
    ) {
        func format(_ value: Double) -> String { String(format: "%.0f", value) }
        func ratio(_ value: Double) -> String { String(format: "%.2f", value) }
        let overhead = local.raw.perSecond / local.nightdesk.perSecond
        let applyRatio = apply.nightdesk.perSecond / apply.raw.perSecond
        let mergeRatio = merge.nightdesk.perSecond / merge.raw.perSecond
        print("""

            Replication, each against raw SQLite writing the same call and timeline rows in the same run \
            (WAL, synchronous=FULL):

            | measure | Nightdesk | raw SQLite | ratio | goal |
            | --- | ---: | ---: | ---: | --- |
            | (a) local write, one call per transaction: calls/s | \(format(local.nightdesk.perSecond)) (\(local.nightdesk.items) calls) | \(format(local.raw.perSecond)) | overhead \(ratio(overhead))× | ≤ 1.5× \(overhead <= 1.5 ? "met" : "**missed**") |
            | (b) applying remote change sets, 1,000 per batch: change sets/s | \(format(apply.nightdesk.perSecond)) (\(apply.nightdesk.items) sets) | \(format(apply.raw.perSecond)) calls/s | \(ratio(applyRatio))× | ≥ 0.5× \(applyRatio >= 0.5 ? "met" : "**missed**") |
            | (c) merging two diverged replicas both ways: change sets/s | \(format(merge.nightdesk.perSecond)) (\(merge.nightdesk.items) sets in \(String(format: "%.1f", merge.nightdesk.elapsed.seconds)) s) | \(format(merge.raw.perSecond)) calls/s | \(ratio(mergeRatio))× | digests equal after merge: \(merge.digestsEqual ? "yes" : "**no**") |
            """)
    }
}
