import Domain
import Foundation
import Logging
import Mesh
import Node
import Replication
import Sodium
import Store
import Synchronization

/// `mesh`: replication between sites by their sync services over CURVE on 127.0.0.1, each figure next to
/// baselines measured in the same run.
///
/// (1) Catch-up: WST holds a backlog of change sets (calls logged one per transaction). Its sync service seals
///     the backlog when it starts, timed on its own; then EST starts, holding only its catalogue, and catches
///     up. The baselines are the stages of that path, each alone on the same change sets: WST reading and
///     encoding its sealed runs, the transport (the same frames between two bare `MeshEndpoint`s), parsing,
///     chain hashing with checkpoint verification, opening, decoding, and storing in SQLite.
/// (2) Live propagation: WST, EST and NTH linked in a full mesh; calls logged at WST one per transaction at a
///     fixed rate; for each change set, the time from its commit at WST until it is applied at NTH (and EST).
///     Baseline: the round trip of a 1 KiB frame between two bare `MeshEndpoint`s.
struct MeshBench {
    struct Options {
        var directory = ""
        var topology = ""
        var calls = BenchLimits.meshCallsDefault
        var liveCalls = BenchLimits.liveCallsDefault
        var liveCallsPerSecond = BenchLimits.liveCallsPerSecondDefault
        var roundTrips = BenchLimits.roundTripsDefault
        var seed: UInt64 = 1

        init(arguments: [String]) throws {
            for (flag, value) in try BenchFlags.pairs(arguments.dropFirst()) {
                switch flag {
                case "--dir": directory = value
                case "--topology": topology = value
                case "--calls":
                    calls = try BenchFlags.count(flag, value)
                    guard calls <= BenchLimits.meshCallsMax else {
                        throw UsageError(description: "\(flag) takes 1 to \(BenchLimits.meshCallsMax), not \(value)")
                    }
                case "--live-calls": liveCalls = try BenchFlags.count(flag, value)
                case "--live-calls-per-second":
                    liveCallsPerSecond = try BenchFlags.count(flag, value)
                    guard liveCallsPerSecond <= BenchLimits.liveCallsPerSecondMax else {
                        throw UsageError(
                            description: "\(flag) takes 1 to \(BenchLimits.liveCallsPerSecondMax), not \(value)")
                    }
                case "--round-trips": roundTrips = try BenchFlags.count(flag, value)
                case "--seed": seed = try BenchFlags.seed(value)
                default: throw UsageError(description: "unknown option \(flag)")
                }
            }
            guard !directory.isEmpty, !topology.isEmpty else {
                throw UsageError(description: "--dir and --topology are required")
            }
        }
    }

    static let clusterID = "bench-mesh"
    static let west = SiteID("WST")
    static let east = SiteID("EST")
    static let north = SiteID("NTH")

    let options: Options
    let helpers: StoreBench
    let clock = ContinuousClock()

    init(options: Options) throws {
        self.options = options
        helpers = try StoreBench(
            options: StoreBench.Options(
                arguments: ["store", "--dir", options.directory, "--topology", options.topology]))
    }

    func run() async throws {
        // Standard output holds only the figures; the sites' warnings and errors go to standard error, and more
        // with NIGHTDESK_BENCH_LOG=info (or debug, trace).
        let requested = ProcessInfo.processInfo.environment["NIGHTDESK_BENCH_LOG"]
        let level = requested.flatMap { Logger.Level(rawValue: $0) } ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let file = try CatalogueFile(path: options.topology)
        let catalogue = file.catalogue
        let gazetteers = try file.loadGazetteers()
        let keys = Self.dataKeys(catalogue)

        let catchUp = try await measureCatchUp(catalogue: catalogue, gazetteers: gazetteers, keys: keys)
        helpers.log("baseline: the same frames between two bare mesh endpoints")
        let transport = try await transportAlone(catchUp.frames)
        helpers.log("baseline: parsing, hashing, verifying, opening and decoding the same runs")
        let (crypto, runs) = try verifyAndOpen(catchUp.frames, signer: catchUp.westSigner, keys: keys)
        helpers.log("baseline: storing the same runs in SQLite with no mesh")
        let apply = try applyAlone(runs, catalogue: catalogue)
        let live = try await measureLive(catalogue: catalogue, gazetteers: gazetteers, keys: keys, book: catchUp.book)
        helpers.log("baseline: \(options.roundTrips) round trips of a 1 KiB frame")
        let roundTrip = try await roundTrips(count: options.roundTrips)
        report(catchUp: catchUp, transport: transport, crypto: crypto, apply: apply, live: live, roundTrip: roundTrip)
    }

    // MARK: - Sites

    /// One site of a benchmark cluster: its store, its keys and the port it listens on.
    struct Site: Sendable {
        let id: SiteID
        let database: AppDatabase
        let port: UInt16
        let curve = CurveKeyPair.generate()
        let signing = SigningKeyPair.generate()
        let metrics = NodeMetrics()

        var endpoint: String { "tcp://127.0.0.1:\(port)" }
    }

    /// A data key for the cluster and for every organisation of the catalogue: every site holds every one.
    static func dataKeys(_ catalogue: Catalogue) -> [ChangeScope: DataKey] {
        var keys: [ChangeScope: DataKey] = [.cluster: .generate()]
        for organisation in catalogue.organisations { keys[.organisation(organisation.code.rawValue)] = .generate() }
        return keys
    }

    /// A new database as `nightdesk init` leaves it: the site and the catalogue, written now (a peer quarantines
    /// change sets whose clock is ahead of its own, so nothing here may carry a later time).
    func freshSite(
        _ code: String, file: String, catalogue: Catalogue, gazetteers: [OrganisationCode: [GazetteerAddress]]
    ) throws -> AppDatabase {
        let path = helpers.path(file)
        precondition(!FileManager.default.fileExists(atPath: path), "\(path) already exists: give an empty --dir")
        let database = try AppDatabase(path: path)
        try database.initialise(site: try SiteCode(code), at: Date())
        try database.loadCatalogue(catalogue, at: Date())
        for (organisation, addresses) in gazetteers.sorted(by: { $0.key < $1.key }) {
            try database.importGazetteer(organisation: organisation, addresses: addresses)
        }
        return database
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago: a bare endpoint binds port 0, reads it back and closes.
    func freeLoopbackPort() async throws -> UInt16 {
        let endpoint = MeshEndpoint(
            configuration: MeshConfiguration(site: SiteID("PORT"), keyPair: .generate()), logger: Self.logger("port"))
        let bound = try endpoint.start()
        await endpoint.stop()
        guard let port = bound.split(separator: ":").last.flatMap({ UInt16($0) }) else {
            throw MeshBenchError("a bare endpoint bound '\(bound)', which names no port")
        }
        return port
    }

    static func logger(_ label: String) -> Logger {
        Logger(label: "nightdesk.bench.\(label)")
    }

    /// Sync services for `sites`, each linked to every other (a full mesh, as the topology file makes it).
    func services(_ sites: [Site], keys: [ChangeScope: DataKey]) -> [SyncService] {
        let signers = Dictionary(uniqueKeysWithValues: sites.map { ($0.id, $0.signing.publicKey) })
        return sites.map { site in
            let others = sites.filter { $0.id != site.id }
            var mesh = MeshConfiguration(
                site: site.id, keyPair: site.curve,
                peers: others.map { MeshPeer(site: $0.id, endpoint: $0.endpoint, publicKey: $0.curve.publicKey) },
                allowedClients: Dictionary(uniqueKeysWithValues: others.map { ($0.id, $0.curve.publicKey) }))
            mesh.listenPort = site.port
            mesh.reconnectInterval = .milliseconds(BenchLimits.meshReconnectIntervalMs)
            mesh.reconnectIntervalMax = .milliseconds(BenchLimits.meshReconnectIntervalMs)
            var configuration = SyncConfiguration(
                site: site.id, cluster: Self.clusterID, mesh: mesh, signers: signers, signingKeyPair: site.signing,
                dataKeys: keys)
            configuration.drainTimeout = .milliseconds(BenchLimits.meshDrainTimeoutMs)
            return SyncService(
                configuration: configuration, database: site.database, metrics: site.metrics,
                logger: Self.logger(site.id.rawValue))
        }
    }

    /// Checks `condition` every `interval` and returns when it first held; gives up after `limit` with
    /// `progress()`, which says how far things got.
    func waitUntil(
        limit: Duration, interval: Duration, _ condition: () throws -> Bool, progress: () throws -> String
    ) async throws -> ContinuousClock.Instant {
        let deadline = clock.now + limit
        while true {
            if try condition() { return clock.now }
            guard clock.now < deadline else {
                throw MeshBenchError(
                    "gave up after \(Int(limit.seconds)) s: \(try progress()). The sync may be stalled (see the "
                        + "warnings above) or the machine overloaded; try again with fewer --calls on a quieter "
                        + "machine")
            }
            try await Task.sleep(for: interval)
        }
    }

    /// The sum of a counter's samples (every label set) in a site's metrics; 0 when it was never counted.
    static func counter(_ name: String, in metrics: NodeMetrics) -> Int {
        metrics.render().split(separator: "\n").reduce(0) { total, line in
            guard line.hasPrefix(name), [" ", "{"].contains(line.dropFirst(name.count).first),
                let value = line.split(separator: " ").last.flatMap({ Double($0) })
            else { return total }
            return total + Int(value)
        }
    }

    // MARK: - (1) Catch-up

    /// What the catch-up measured, and what the baselines need from it.
    struct CatchUp {
        /// WST's own change sets: what EST catches up on.
        let sets: Int
        let calls: Int
        let sealing: Duration
        let firstApplied: Duration
        let elapsed: Duration
        /// From the first poll that saw any of WST's change sets at EST until the end, and how many came meanwhile.
        let streaming: Stage
        let frames: Frames
        let vectorsEqual: Bool
        let digestsEqual: Bool
        let sentByWest: Int
        let duplicatesAtEast: Int
        let rejectedAtEast: Int
        let westSigner: SigningPublicKey
        let book: AddressBook
    }

    /// WST's backlog: the catalogue, then `calls` calls logged one per transaction, each its own change set.
    ///
    /// Logged into an in-memory database (quicker to make) and copied to a file, as the replication benchmark
    /// makes its histories.
    func backlog(catalogue: Catalogue, gazetteers: [OrganisationCode: [GazetteerAddress]]) throws
        -> (database: AppDatabase, book: AddressBook)
    {
        let memory = try AppDatabase(path: nil)
        try memory.initialise(site: try SiteCode(Self.west.rawValue), at: Date())
        try memory.loadCatalogue(catalogue, at: Date())
        for (organisation, addresses) in gazetteers.sorted(by: { $0.key < $1.key }) {
            try memory.importGazetteer(organisation: organisation, addresses: addresses)
        }
        let book = try helpers.addressBook(memory, gazetteers)
        var generator = try CallGenerator(
            catalogue: catalogue, addresses: book, totalCalls: options.calls, seed: options.seed)
        let criteria = try DuplicateCriteria(radiusMetres: 0, windowSeconds: 1)
        helpers.log("catch-up: logging WST's backlog of \(options.calls) calls, one per transaction")
        for index in 0..<options.calls {
            _ = try memory.logCall(generator.next(), author: StoreBench.author, criteria: criteria, at: Date())
            if (index + 1).isMultiple(of: 10_000) { helpers.log("  \(index + 1) calls") }
        }
        let file = helpers.path("mesh-catch-up-WST.sqlite")
        try memory.backup(to: file)
        return (try AppDatabase(path: file), book)
    }

    func measureCatchUp(
        catalogue: Catalogue, gazetteers: [OrganisationCode: [GazetteerAddress]], keys: [ChangeScope: DataKey]
    ) async throws -> CatchUp {
        let (westDatabase, book) = try backlog(catalogue: catalogue, gazetteers: gazetteers)
        let eastDatabase = try freshSite("EST", file: "mesh-catch-up-EST.sqlite", catalogue: catalogue, gazetteers: [:])
        let west = Site(id: Self.west, database: westDatabase, port: try await freeLoopbackPort())
        let east = Site(id: Self.east, database: eastDatabase, port: try await freeLoopbackPort())
        let services = services([west, east], keys: keys)
        let head = try westDatabase.appliedVector()[Self.west].rawValue
        precondition(
            head == UInt64(options.calls) + 1, "WST holds \(head) own change sets, expected \(options.calls + 1)")

        let measured = try await withThrowingTaskGroup(of: Void.self) {
            group -> (
                sealing: Duration, frames: Frames, first: Duration, elapsed: Duration, streaming: Stage,
                vectorsEqual: Bool
            ) in
            defer { group.cancelAll() }
            helpers.log("catch-up: WST's sync service starts and seals its backlog of \(head) change sets")
            let sealStart = clock.now
            _ = try await services[0].start()
            group.addTask { try await services[0].run() }
            let sealed = try await waitUntil(
                limit: .seconds(BenchLimits.sealSecondsMax), interval: .milliseconds(BenchLimits.catchUpPollMs)
            ) {
                try westDatabase.sealedHead(origin: Self.west)?.sequence.rawValue == head
            } progress: {
                let sealed = try westDatabase.sealedHead(origin: Self.west)?.sequence.rawValue ?? 0
                return "WST sealed \(sealed) of \(head) change sets"
            }
            let frames = try sealedFrames(westDatabase, sets: Int(head))

            helpers.log("catch-up: EST starts and catches up")
            let catchUpStart = clock.now
            var firstAt: ContinuousClock.Instant?
            var firstHeld: UInt64 = 0
            _ = try await services[1].start()
            group.addTask { try await services[1].run() }
            let caughtUp = try await waitUntil(
                limit: .seconds(BenchLimits.catchUpSecondsMax), interval: .milliseconds(BenchLimits.catchUpPollMs)
            ) {
                let held = try eastDatabase.sealedHead(origin: Self.west)?.sequence.rawValue ?? 0
                if firstAt == nil, held > 0 { (firstAt, firstHeld) = (clock.now, held) }
                guard held == head else { return false }
                return try eastDatabase.appliedVector()[Self.west].rawValue == head
            } progress: {
                "EST held \(try eastDatabase.sealedHead(origin: Self.west)?.sequence.rawValue ?? 0) and applied "
                    + "\(try eastDatabase.appliedVector()[Self.west].rawValue) of WST's \(head) change sets"
            }
            // WST also takes EST's own catalogue change set; then both sealed logs hold the same.
            let vectorsEqual =
                (try? await waitUntil(
                    limit: .seconds(BenchLimits.linkSecondsMax), interval: .milliseconds(BenchLimits.catchUpPollMs)
                ) {
                    try westDatabase.sealedVector() == eastDatabase.sealedVector()
                } progress: {
                    "WST holds \(try westDatabase.sealedVector()), EST \(try eastDatabase.sealedVector())"
                }) != nil
            let first = firstAt ?? caughtUp
            let streaming = Stage(sets: Int(head - firstHeld), elapsed: caughtUp - first)
            return (sealed - sealStart, frames, first - catchUpStart, caughtUp - catchUpStart, streaming, vectorsEqual)
        }
        // The services have stopped: nothing writes while the digests are taken.
        let digestsEqual = try westDatabase.stateDigest() == eastDatabase.stateDigest()
        return CatchUp(
            sets: Int(head), calls: options.calls, sealing: measured.sealing, firstApplied: measured.first,
            elapsed: measured.elapsed, streaming: measured.streaming, frames: measured.frames,
            vectorsEqual: measured.vectorsEqual,
            digestsEqual: digestsEqual,
            sentByWest: Self.counter("nightdesk_mesh_change_sets_sent_total", in: west.metrics),
            duplicatesAtEast: Self.counter("nightdesk_mesh_change_sets_duplicate_total", in: east.metrics),
            rejectedAtEast: Self.counter("nightdesk_mesh_change_sets_rejected_total", in: east.metrics),
            westSigner: west.signing.publicKey, book: book)
    }

    /// The `changeSets` frames WST's sync sends a peer holding none of its change sets, and how long reading and
    /// encoding them took.
    struct Frames {
        /// Each frame's items: encoded runs, each ending at a signed checkpoint.
        var frames: [[Data]] = []
        var setCounts: [Int] = []
        var runs = 0
        var envelopeBytes = 0
        var frameBytes = 0
        var readAndEncode = Duration.zero

        var sets: Int { setCounts.reduce(0, +) }
    }

    /// Reads WST's sealed log as `SyncEngine.stream` does: runs ending at checkpoints, at most
    /// `meshFrameSetsMax` change sets a frame, each run encoded for the wire.
    func sealedFrames(_ database: AppDatabase, sets: Int) throws -> Frames {
        var result = Frames()
        var held = VersionVector()
        // Every frame holds at least one change set, so `sets` frames is the most there can be.
        while result.sets < sets, result.frames.count < sets {
            let began = clock.now
            let runs = try database.sealedRuns(missingFrom: held, setsMax: BenchLimits.meshFrameSetsMax)
            guard !runs.isEmpty else { break }
            var items: [Data] = []
            var count = 0
            for run in runs {
                items.append(
                    try SealedRun(
                        origin: run.origin, firstSequence: run.firstSequence, envelopes: run.envelopes,
                        checkpointLink: run.checkpoint.link, checkpointSignature: run.checkpoint.signature
                    ).encoded())
                held = held.merged(with: VersionVector([run.origin: run.checkpoint.sequence]))
                count += run.envelopes.count
            }
            result.readAndEncode += clock.now - began
            result.frames.append(items)
            result.setCounts.append(count)
            result.runs += runs.count
            result.envelopeBytes += runs.reduce(0) { $0 + $1.envelopes.reduce(0) { $0 + $1.count } }
            result.frameBytes += try Frame.changeSets(items).encoded().count
        }
        precondition(result.sets == sets, "WST's sealed log gave \(result.sets) change sets, expected \(sets)")
        return result
    }

    // MARK: - Catch-up baselines

    /// A stage of the catch-up path measured alone.
    struct Stage {
        var sets = 0
        var elapsed = Duration.zero

        var perSecond: Double { Double(sets) / elapsed.seconds }
        var microsecondsPerSet: Double { elapsed.seconds * 1e6 / Double(max(sets, 1)) }
    }

    /// How many change sets the receiver has taken so far, read by the sender to keep its window.
    final class Progress: Sendable {
        private let value = Atomic<Int>(0)

        func store(_ count: Int) { value.store(count, ordering: .releasing) }
        func load() -> Int { value.load(ordering: .acquiring) }
    }

    /// The transport alone: the catch-up's frames, byte for byte, from one bare endpoint to another, with at most
    /// the sync's credit window of change sets in flight; from the first send until the last frame is received.
    func transportAlone(_ frames: Frames) async throws -> Stage {
        let senderSite = SiteID("SND")
        let receiverSite = SiteID("RCV")
        let senderKeys = CurveKeyPair.generate()
        let receiverKeys = CurveKeyPair.generate()
        let receiver = MeshEndpoint(
            configuration: MeshConfiguration(
                site: receiverSite, keyPair: receiverKeys, allowedClients: [senderSite: senderKeys.publicKey]),
            logger: Self.logger("receiver"))
        let bound = try receiver.start()
        let sender = MeshEndpoint(
            configuration: MeshConfiguration(
                site: senderSite, keyPair: senderKeys,
                peers: [MeshPeer(site: receiverSite, endpoint: bound, publicKey: receiverKeys.publicKey)]),
            logger: Self.logger("sender"))
        let window = PeerSession.Settings().creditWindowChangeSets
        let setCounts = frames.setCounts
        let total = frames.frames.count
        let received = Progress()
        do {
            try sender.start()
            _ = try await waitUntil(limit: .seconds(BenchLimits.linkSecondsMax), interval: .milliseconds(1)) {
                sender.connectedPeers.contains(receiverSite)
            } progress: {
                "the transport baseline's sender did not link to its receiver"
            }
            let deadline = clock.now + .seconds(BenchLimits.transportSecondsMax)
            let clock = clock
            let (start, end) = try await withThrowingTaskGroup(of: ContinuousClock.Instant?.self) { group in
                defer { group.cancelAll() }
                group.addTask {
                    var framesIn = 0
                    var setsIn = 0
                    for await item in receiver.received {
                        guard case .changeSets = item.frame else { continue }
                        setsIn += setCounts[framesIn]
                        framesIn += 1
                        received.store(setsIn)
                        if framesIn == total { return clock.now }
                    }
                    return nil
                }
                group.addTask {
                    // The bound: once the deadline passes the receiver stops, so its loop above ends. Cancelled
                    // (everything arrived), it leaves the stopping to the end.
                    guard (try? await Task.sleep(until: deadline)) != nil else { return nil }
                    await receiver.stop()
                    return nil
                }
                let start = clock.now
                var sent = 0
                sending: for (index, items) in frames.frames.enumerated() {
                    while sent + setCounts[index] - received.load() > window {
                        guard clock.now < deadline else { break sending }
                        try await Task.sleep(for: .microseconds(200))
                    }
                    while true {
                        do {
                            try await sender.send(to: receiverSite, frame: .changeSets(items))
                            break
                        } catch MeshError.wouldBlock {
                            guard clock.now < deadline else { break sending }
                            try await Task.sleep(for: .microseconds(200))
                        }
                    }
                    sent += setCounts[index]
                }
                return (start, try await group.next() ?? nil)
            }
            await sender.stop()
            await receiver.stop()
            guard let end else {
                throw MeshBenchError(
                    "the transport baseline delivered \(received.load()) of \(frames.sets) change sets in "
                        + "\(BenchLimits.transportSecondsMax) s")
            }
            return Stage(sets: frames.sets, elapsed: end - start)
        } catch {
            await sender.stop()
            await receiver.stop()
            throw error
        }
    }

    /// A run as the receiving sync has it after verifying and opening: what `storeSealedRun` takes.
    struct OpenedRun {
        let origin: SiteID
        let first: OriginSequence
        let baseLink: Data
        let entries: [SealedEntry]
        let checkpoint: StoredCheckpoint
        let sets: [ChangeSet]
    }

    /// The receiving side's work between the socket and the store, by step, as `SyncEngine.receive` does it.
    struct Crypto {
        var parse = Stage()
        var chain = Stage()
        var open = Stage()
        var decode = Stage()
    }

    func verifyAndOpen(_ frames: Frames, signer: SigningPublicKey, keys: [ChangeScope: DataKey]) throws
        -> (Crypto, [OpenedRun])
    {
        var crypto = Crypto()
        var runs: [OpenedRun] = []
        var link = OriginChain.genesisLink(origin: Self.west.rawValue)
        for item in frames.frames.joined() {
            let started = clock.now
            let run = try SealedRun(decoding: item)
            let sealed = try run.envelopes.map { try SealedChangeSet(decoding: $0) }
            let parsed = clock.now
            let checkpoint = Checkpoint(
                origin: run.origin.rawValue, sequence: run.lastSequence.rawValue,
                link: try GenericHash.Digest(bytes: run.checkpointLink),
                signature: try Signature(bytes: run.checkpointSignature))
            guard checkpoint.isSigned(by: signer) else {
                throw MeshBenchError("the checkpoint at \(run.origin)/\(run.lastSequence) does not verify")
            }
            let baseLink = link.bytes
            var entries: [SealedEntry] = []
            entries.reserveCapacity(sealed.count)
            for envelope in sealed {
                link = OriginChain.link(after: link, sealed: envelope.bytes)
                entries.append(SealedEntry(envelope: envelope.bytes, link: link.bytes, clockMs: envelope.clockMs))
            }
            guard link == checkpoint.link else {
                throw MeshBenchError(
                    "the run ending at \(run.origin)/\(run.lastSequence) does not hash to its checkpoint")
            }
            let chained = clock.now
            let plaintexts = try sealed.map { envelope in
                guard let key = keys[envelope.scope] else {
                    throw MeshBenchError("no data key for scope \(envelope.scope)")
                }
                return try envelope.open(with: key)
            }
            let opened = clock.now
            let sets = try plaintexts.map { try ChangeSetCodec.decode($0) }
            let decoded = clock.now
            crypto.parse.elapsed += parsed - started
            crypto.chain.elapsed += chained - parsed
            crypto.open.elapsed += opened - chained
            crypto.decode.elapsed += decoded - opened
            crypto.parse.sets += sets.count
            crypto.chain.sets += sets.count
            crypto.open.sets += sets.count
            crypto.decode.sets += sets.count
            runs.append(
                OpenedRun(
                    origin: run.origin, first: run.firstSequence, baseLink: baseLink, entries: entries,
                    checkpoint: StoredCheckpoint(
                        origin: run.origin, sequence: run.lastSequence, link: run.checkpointLink,
                        signature: run.checkpointSignature),
                    sets: sets))
        }
        return (crypto, runs)
    }

    /// The store alone, on fresh databases like EST's: `storeSealedRun` per run (the call the sync makes), and
    /// `receive` of the same change sets per run (no sealed log); the two take turns run by run.
    func applyAlone(_ runs: [OpenedRun], catalogue: Catalogue) throws -> (stored: Stage, received: Stage) {
        let sealedStore = try freshSite("EST", file: "mesh-apply-sealed.sqlite", catalogue: catalogue, gazetteers: [:])
        let plainStore = try freshSite("EST", file: "mesh-apply-receive.sqlite", catalogue: catalogue, gazetteers: [:])
        var stored = Stage()
        var received = Stage()
        for (index, run) in runs.enumerated() {
            for sealedTurn in index.isMultiple(of: 2) ? [true, false] : [false, true] {
                let began = clock.now
                if sealedTurn {
                    let report = try sealedStore.storeSealedRun(
                        origin: run.origin, first: run.first, baseLink: run.baseLink, entries: run.entries,
                        checkpoints: [run.checkpoint], opened: run.sets, at: Date())
                    stored.elapsed += clock.now - began
                    precondition(report.received.refused.isEmpty && report.received.quarantined.isEmpty, "\(report)")
                    stored.sets += report.received.applied
                } else {
                    let report = try plainStore.receive(run.sets, at: Date())
                    received.elapsed += clock.now - began
                    precondition(report.refused.isEmpty && report.quarantined.isEmpty, "\(report)")
                    received.sets += report.applied
                }
            }
        }
        let total = runs.reduce(0) { $0 + $1.sets.count }
        precondition(stored.sets == total, "storeSealedRun applied \(stored.sets) of \(total) change sets")
        precondition(received.sets == total, "receive applied \(received.sets) of \(total) change sets")
        return (stored, received)
    }

    // MARK: - (2) Live propagation

    /// Per receiving site, the commit-to-applied latencies, and the writer's own figures.
    struct Live {
        let calls: Int
        let callsPerSecond: Int
        let bySite: [(site: SiteID, latency: Percentiles, missing: Int, duplicates: Int)]
        let writing: Duration
        let logCall: Percentiles
    }

    func measureLive(
        catalogue: Catalogue, gazetteers: [OrganisationCode: [GazetteerAddress]], keys: [ChangeScope: DataKey],
        book: AddressBook
    ) async throws -> Live {
        let count = options.liveCalls
        helpers.log("live: WST, EST and NTH start; WST logs \(count) calls at \(options.liveCallsPerSecond)/s")
        let sites = [
            Site(
                id: Self.west,
                database: try freshSite(
                    "WST", file: "mesh-live-WST.sqlite", catalogue: catalogue, gazetteers: gazetteers),
                port: try await freeLoopbackPort()),
            Site(
                id: Self.east,
                database: try freshSite("EST", file: "mesh-live-EST.sqlite", catalogue: catalogue, gazetteers: [:]),
                port: try await freeLoopbackPort()),
            Site(
                id: Self.north,
                database: try freshSite("NTH", file: "mesh-live-NTH.sqlite", catalogue: catalogue, gazetteers: [:]),
                port: try await freeLoopbackPort()),
        ]
        let services = services(sites, keys: keys)
        var generator = try CallGenerator(
            catalogue: catalogue, addresses: book, totalCalls: count, seed: options.seed &+ 1)
        let drafts = generator.next(count)
        let receivers = sites.dropFirst().map { ($0.id, $0.database) }
        let west = sites[0].database
        let interval = Duration.seconds(1) / options.liveCallsPerSecond

        let (commits, seen) = try await withThrowingTaskGroup(of: Void.self) { group in
            defer { group.cancelAll() }
            for service in services {
                _ = try await service.start()
                group.addTask { try await service.run() }
            }
            // Linked: every site holds the three catalogue change sets.
            _ = try await waitUntil(limit: .seconds(BenchLimits.linkSecondsMax), interval: .milliseconds(10)) {
                let vectors = try sites.map { try $0.database.sealedVector() }
                return vectors[0].entries.count == sites.count && Set(vectors).count == 1
            } progress: {
                "the three sites did not exchange their catalogues: "
                    + (try sites.map { "\($0.id) holds \(try $0.database.sealedVector())" }.joined(separator: ", "))
            }
            let base = try west.appliedVector()[Self.west].rawValue
            let startAt = clock.now + .milliseconds(100)
            let deadline = startAt + interval * count + .seconds(BenchLimits.liveDrainSecondsMax)
            async let commits = Self.onOwnThread("bench-writer") {
                try Self.writeCalls(drafts, into: west, startAt: startAt, interval: interval)
            }
            async let seen = Self.onOwnThread("bench-poller") {
                try Self.pollApplied(receivers, origin: Self.west, after: base, count: count, deadline: deadline)
            }
            return try await (commits, seen)
        }
        let latencies = sites.dropFirst().enumerated().map { index, site in
            let samples = zip(commits.instants, seen[index]).compactMap { commit, applied in
                applied.map { $0 - commit }
            }
            return (
                site: site.id, latency: Percentiles(samples), missing: count - samples.count,
                duplicates: Self.counter("nightdesk_mesh_change_sets_duplicate_total", in: site.metrics)
            )
        }
        return Live(
            calls: count, callsPerSecond: options.liveCallsPerSecond, bySite: latencies,
            writing: (commits.instants.last ?? commits.started) - commits.started,
            logCall: Percentiles(commits.logCall))
    }

    /// Logs `drafts` at `database` one per transaction, each due `interval` after the last; returns when each
    /// committed and how long each `logCall` took.
    static func writeCalls(
        _ drafts: [CallDraft], into database: AppDatabase, startAt: ContinuousClock.Instant, interval: Duration
    ) throws -> (started: ContinuousClock.Instant, instants: [ContinuousClock.Instant], logCall: [Duration]) {
        let clock = ContinuousClock()
        let criteria = try DuplicateCriteria()
        var instants: [ContinuousClock.Instant] = []
        var durations: [Duration] = []
        for (index, draft) in drafts.enumerated() {
            let wait = startAt + interval * index - clock.now
            if wait > .zero { Thread.sleep(forTimeInterval: wait.seconds) }
            let began = clock.now
            _ = try database.logCall(draft, author: StoreBench.author, criteria: criteria, at: Date())
            let committed = clock.now
            instants.append(committed)
            durations.append(committed - began)
        }
        return (startAt, instants, durations)
    }

    /// Reads each receiver's applied vector every `livePollMs` and notes when each of `origin`'s change sets
    /// after `base` first showed as applied; stops once all `count` have at every receiver, or at `deadline`.
    static func pollApplied(
        _ receivers: [(SiteID, AppDatabase)], origin: SiteID, after base: UInt64, count: Int,
        deadline: ContinuousClock.Instant
    ) throws -> [[ContinuousClock.Instant?]] {
        let clock = ContinuousClock()
        let target = base + UInt64(count)
        var seen = Array(repeating: [ContinuousClock.Instant?](repeating: nil, count: count), count: receivers.count)
        var applied = Array(repeating: base, count: receivers.count)
        while applied.contains(where: { $0 < target }), clock.now < deadline {
            for (index, (_, database)) in receivers.enumerated() where applied[index] < target {
                let now = min(try database.appliedVector()[origin].rawValue, target)
                guard now > applied[index] else { continue }
                let at = clock.now
                for sequence in (applied[index] + 1)...now { seen[index][Int(sequence - base - 1)] = at }
                applied[index] = now
            }
            Thread.sleep(forTimeInterval: Double(BenchLimits.livePollMs) / 1_000)
        }
        return seen
    }

    /// Runs `body` on a thread of its own, so its timing does not wait on the concurrency pool the sync
    /// services share (two threads on a two-core machine).
    static func onOwnThread<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.name = name
            thread.start()
        }
    }

    /// The round trip of a 1 KiB frame between two bare endpoints, each sending on its own link to the other.
    func roundTrips(count: Int) async throws -> Percentiles {
        let here = SiteID("PING")
        let there = SiteID("ECHO")
        let hereKeys = CurveKeyPair.generate()
        let thereKeys = CurveKeyPair.generate()
        let near = MeshEndpoint(
            configuration: MeshConfiguration(
                site: here, keyPair: hereKeys, allowedClients: [there: thereKeys.publicKey]),
            logger: Self.logger("ping"))
        let nearBound = try near.start()
        let far = MeshEndpoint(
            configuration: MeshConfiguration(
                site: there, keyPair: thereKeys,
                peers: [MeshPeer(site: here, endpoint: nearBound, publicKey: hereKeys.publicKey)],
                allowedClients: [here: hereKeys.publicKey]),
            logger: Self.logger("echo"))
        do {
            let farBound = try far.start()
            try await near.addPeer(MeshPeer(site: there, endpoint: farBound, publicKey: thereKeys.publicKey))
            _ = try await waitUntil(limit: .seconds(BenchLimits.linkSecondsMax), interval: .milliseconds(1)) {
                near.connectedPeers.contains(there) && far.connectedPeers.contains(here)
            } progress: {
                "the round-trip endpoints did not link"
            }
            // 8 bytes of frame header, 4 of item count and 4 of item length.
            let frame = Frame.changeSets([Data(repeating: 0xA5, count: BenchLimits.roundTripFrameBytes - 16)])
            let frameBytes = try frame.encoded().count
            precondition(frameBytes == BenchLimits.roundTripFrameBytes, "the round-trip frame is \(frameBytes) bytes")
            let clock = clock
            let samples = try await withThrowingTaskGroup(of: Void.self) { group in
                defer { group.cancelAll() }
                group.addTask {
                    for await item in far.received { try? await far.send(to: here, frame: item.frame) }
                }
                group.addTask {
                    // The bound: a lost echo would leave the loop below waiting; stopping ends its stream.
                    guard (try? await Task.sleep(for: .seconds(BenchLimits.roundTripSecondsMax))) != nil else { return }
                    await near.stop()
                }
                var replies = near.received.makeAsyncIterator()
                var samples: [Duration] = []
                for index in 0..<(BenchLimits.roundTripWarmups + count) {
                    let began = clock.now
                    try await near.send(to: there, frame: frame)
                    guard await replies.next() != nil else { break }
                    if index >= BenchLimits.roundTripWarmups { samples.append(clock.now - began) }
                }
                return samples
            }
            async let nearStopped: Void = near.stop()
            async let farStopped: Void = far.stop()
            _ = await (nearStopped, farStopped)
            guard samples.count == count else {
                throw MeshBenchError(
                    "\(samples.count) of \(count) round trips finished in \(BenchLimits.roundTripSecondsMax) s")
            }
            return Percentiles(samples)
        } catch {
            await near.stop()
            await far.stop()
            throw error
        }
    }

    // MARK: - Report

    func report(
        catchUp: CatchUp, transport: Stage, crypto: Crypto, apply: (stored: Stage, received: Stage), live: Live,
        roundTrip: Percentiles
    ) {
        let frames = catchUp.frames
        let catchUpStage = Stage(sets: catchUp.sets, elapsed: catchUp.elapsed)
        let read = Stage(sets: frames.sets, elapsed: frames.readAndEncode)
        let stages: [(String, Stage)] = [
            ("WST reading its sealed log and encoding runs (`sealedRuns`, `SealedRun.encoded`)", read),
            (
                "transport: the same frames between two bare `MeshEndpoint`s, CURVE on 127.0.0.1, at most "
                    + "\(grouped(PeerSession.Settings().creditWindowChangeSets)) change sets in flight", transport
            ),
            ("parsing runs and envelope headers", crypto.parse),
            ("BLAKE2b chain links and one Ed25519 checkpoint verification per run", crypto.chain),
            ("XChaCha20-Poly1305 open", crypto.open),
            ("`ChangeSetCodec.decode`", crypto.decode),
            ("SQLite: `storeSealedRun` per run, the call the sync makes (one transaction a run)", apply.stored),
        ]
        let sum = Stage(sets: catchUp.sets, elapsed: stages.reduce(Duration.zero) { $0 + $1.1.elapsed })
        let perRun = Double(frames.sets) / Double(max(frames.runs, 1))
        var lines: [String] = []
        lines.append(
            "Catch-up: WST holds \(grouped(catchUp.sets)) change sets of its own (\(grouped(catchUp.calls)) calls "
                + "logged one per transaction, and its catalogue). EST starts holding only its own catalogue and "
                + "takes them in \(grouped(frames.runs)) runs of \(fixed(perRun, 1)) change sets on average (a signed "
                + "checkpoint ends each) in \(grouped(frames.frames.count)) frames of at most "
                + "\(BenchLimits.meshFrameSetsMax); envelopes \(grouped(frames.envelopeBytes / max(frames.sets, 1))) "
                + "bytes on average (\(fixed(Double(frames.envelopeBytes) / 1_048_576, 1)) MiB), frames "
                + "\(grouped(frames.frameBytes / max(frames.frames.count, 1) / 1_024)) KiB on average. Stages: each "
                + "alone on the same change sets, after the sites stopped; the last column is the catch-up's rate "
                + "over the row's, which is also the row's share of the catch-up's time:")
        lines.append("")
        lines.append("| measure | change sets | seconds | change sets/s | µs per change set | catch-up / row |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: |")
        lines.append(
            stageRow(
                "**catch-up**: EST from its sync service's start until it holds and has applied all of WST's",
                catchUpStage, ratio: nil))
        lines.append(
            "| of which: until the first of them was applied at EST (link, hello, credit, first frame) | | "
                + "\(fixed(catchUp.firstApplied.seconds, 3)) | | | |")
        lines.append(stageRow("of which: the rest, once the first were applied", catchUp.streaming, ratio: nil))
        lines.append(
            stageRow(
                "sealing: WST's sync service from its start until its backlog is sealed (up to 1,024 a tick, a tick "
                    + "every 20 ms)", Stage(sets: catchUp.sets, elapsed: catchUp.sealing), ratio: nil))
        for (label, stage) in stages {
            lines.append(stageRow("stage: " + label, stage, ratio: catchUpStage.perSecond / stage.perSecond))
        }
        lines.append(
            stageRow(
                "sum of the stages above, one after another", sum, ratio: catchUpStage.perSecond / sum.perSecond))
        lines.append(
            stageRow(
                "SQLite: `AppDatabase.receive` of the same change sets per run, no sealed log", apply.received,
                ratio: catchUpStage.perSecond / apply.received.perSecond))
        lines.append("")
        lines.append(
            "After the catch-up: sealed vectors equal: \(catchUp.vectorsEqual ? "yes" : "**no**"); state digests "
                + "equal: \(catchUp.digestsEqual ? "yes" : "**no**"); WST sent \(grouped(catchUp.sentByWest)) change "
                + "sets (\(grouped(catchUp.sets)) were needed); EST counted \(grouped(catchUp.duplicatesAtEast)) "
                + "duplicates and rejected \(grouped(catchUp.rejectedAtEast)).")
        lines.append("")
        lines.append(
            "Live propagation: WST, EST and NTH linked in a full mesh; WST logs \(grouped(live.calls)) calls one per "
                + "transaction at \(live.callsPerSecond)/s (done in \(fixed(live.writing.seconds, 1)) s; `logCall` "
                + "p50 \(fixed(live.logCall.p50Ms, 2)) ms, p99 \(fixed(live.logCall.p99Ms, 2)) ms). Latency: from "
                + "the commit at WST until the receiver's applied vector shows the change set, read every "
                + "\(BenchLimits.livePollMs) ms. The sync seals and sends on its tick, every 20 ms:")
        lines.append("")
        lines.append("| measure | count | p50 ms | p99 ms | max ms | not applied in time | duplicates received |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for (site, latency, missing, duplicates) in live.bySite {
            lines.append(
                "| commit at WST → applied at \(site) | \(grouped(latency.count)) | \(fixed(latency.p50Ms, 2)) "
                    + "| \(fixed(latency.p99Ms, 2)) | \(fixed(latency.maxMs, 2)) "
                    + "| \(missing == 0 ? "0" : "**\(missing)**") "
                    + "| \(grouped(duplicates)) |")
        }
        lines.append(
            "| baseline: round trip of a \(grouped(BenchLimits.roundTripFrameBytes))-byte frame between two bare "
                + "`MeshEndpoint`s (after \(BenchLimits.roundTripWarmups) untimed) | \(grouped(roundTrip.count)) "
                + "| \(fixed(roundTrip.p50Ms, 3)) | \(fixed(roundTrip.p99Ms, 3)) | \(fixed(roundTrip.maxMs, 3)) | | |")
        if let north = live.bySite.last {
            lines.append("")
            lines.append(
                "Live p50 at \(north.site) over the round trip's p50: "
                    + "\(fixed(north.latency.p50Ms / roundTrip.p50Ms, 1))×; "
                    + "p99 over p99: \(fixed(north.latency.p99Ms / roundTrip.p99Ms, 1))×.")
        }
        print(lines.joined(separator: "\n"))
    }

    private func stageRow(_ label: String, _ stage: Stage, ratio: Double?) -> String {
        "| \(label) | \(grouped(stage.sets)) | \(fixed(stage.elapsed.seconds, 3)) "
            + "| \(grouped(Int(stage.perSecond.rounded()))) | \(fixed(stage.microsecondsPerSet, 1)) "
            + "| \(ratio.map { fixed($0, 2) } ?? "") |"
    }

    private func fixed(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }

    private func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return (value < 0 ? "-" : "") + result
    }
}

/// Nearest-rank percentiles of durations, in milliseconds.
struct Percentiles {
    let count: Int
    let p50Ms: Double
    let p99Ms: Double
    let maxMs: Double

    init(_ samples: [Duration]) {
        let sorted = samples.map(\.milliseconds).sorted()
        count = sorted.count
        func rank(_ fraction: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            return sorted[min(max(Int((fraction * Double(sorted.count)).rounded(.up)) - 1, 0), sorted.count - 1)]
        }
        p50Ms = rank(0.50)
        p99Ms = rank(0.99)
        maxMs = sorted.last ?? .nan
    }
}

/// Why the mesh benchmark stopped: what did not happen in time, with how far it got.
struct MeshBenchError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
