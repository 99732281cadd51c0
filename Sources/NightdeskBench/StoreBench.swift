import Domain
import Foundation
import Node
import Store

/// `store`: how fast calls are logged and found, each rate against raw SQLite measured in the same run.
struct StoreBench {
    static let author = "bench"
    /// When the calls are logged or imported: just after the year of generated calls.
    static let loggedAt = Date(timeIntervalSince1970: 1_798_848_000)  // 2027-01-02T00:00:00Z

    let options: Options
    let site: SiteCode
    let clock = ContinuousClock()

    init(options: Options) throws {
        self.options = options
        site = try SiteCode("WST")
    }

    /// Calls written and time spent by one path of a comparison.
    struct PathResult {
        var calls = 0
        var elapsed = Duration.zero

        var callsPerSecond: Double { Double(calls) / elapsed.seconds }
    }

    /// Nightdesk and raw SQLite on the same calls.
    struct Comparison {
        let nightdesk: PathResult
        /// Raw SQLite with `synchronous=FULL`, as the store sets it.
        let raw: PathResult
        /// Raw SQLite with `synchronous=NORMAL`, when measured.
        let rawNormal: PathResult?

        var ratio: Double { nightdesk.callsPerSecond / raw.callsPerSecond }
        var ratioNormal: Double? { rawNormal.map { nightdesk.callsPerSecond / $0.callsPerSecond } }
    }

    func run() throws {
        let catalogueFile = try CatalogueFile(path: options.topology)
        let catalogue = catalogueFile.catalogue
        let gazetteers = try catalogueFile.loadGazetteers()
        let addressCount = gazetteers.values.map(\.count).reduce(0, +)
        log("catalogue: \(catalogue.organisations.count) organisations, \(addressCount) addresses")

        let fillDatabase = try freshDatabase("fill.sqlite", catalogue: catalogue)
        for (organisation, addresses) in gazetteers.sorted(by: { $0.key < $1.key }) {
            try fillDatabase.importGazetteer(organisation: organisation, addresses: addresses)
        }
        let book = try addressBook(fillDatabase, gazetteers)

        let single = try compareOnePerTransaction(catalogue: catalogue, book: book)
        let batched = try compareBatched(catalogue: catalogue, book: book)
        let fillGenerator = try CallGenerator(
            catalogue: catalogue, addresses: book, totalCalls: options.fillCalls, seed: options.seed &+ 2)
        let fill = try fill(fillDatabase, generator: fillGenerator)
        let searches = try searchLatency(fillDatabase, generator: fillGenerator)

        report(single: single, batched: batched, fill: fill, searches: searches)
    }

    // MARK: - Set-up

    func path(_ name: String) -> String {
        URL(fileURLWithPath: options.directory).appendingPathComponent(name).path
    }

    /// A new database with the schema, the site and the catalogue, as `nightdesk init` leaves it.
    func freshDatabase(_ name: String, catalogue: Catalogue) throws -> AppDatabase {
        let file = path(name)
        precondition(!FileManager.default.fileExists(atPath: file), "\(file) already exists: give an empty --dir")
        let database = try AppDatabase(path: file)
        try database.initialise(site: site, at: Self.loggedAt)
        _ = try database.loadCatalogue(catalogue, at: Self.loggedAt)
        return database
    }

    /// The raw baseline's file: made by the store so the schema and catalogue rows are the same, then closed.
    func freshRawDatabase(_ name: String, catalogue: Catalogue, synchronous: RawSQLite.Synchronous = .full)
        throws -> RawSQLite
    {
        do {
            _ = try freshDatabase(name, catalogue: catalogue)
        }  // The store's connections close here, before the raw connection opens.
        let raw = try RawSQLite(path: path(name), synchronous: synchronous)
        let mode = try raw.journalMode()
        let level = try raw.synchronous()
        precondition(mode == "wal", "raw baseline journal_mode is \(mode), not wal")
        precondition(level == synchronous.number, "raw baseline synchronous is \(level), not \(synchronous.rawValue)")
        return raw
    }

    func addressBook(_ database: AppDatabase, _ gazetteers: [OrganisationCode: [GazetteerAddress]]) throws
        -> AddressBook
    {
        var entries: [OrganisationCode: [AddressBook.Entry]] = [:]
        for (organisation, addresses) in gazetteers {
            entries[organisation] = try addresses.map { address in
                guard
                    let incident = try database.resolveIncidentAddress(
                        organisation: organisation, uprn: address.uprn, text: nil)
                else {
                    throw StoreError.addressNotFound(uprn: address.uprn.rawValue, organisation: organisation.rawValue)
                }
                precondition(
                    incident.verification == .inGazetteer, "UPRN \(address.uprn) not found in its own gazetteer")
                return AddressBook.Entry(incident: incident, street: address.street)
            }
        }
        return AddressBook(entries: entries)
    }

    func rawRows(_ drafts: [CallDraft], firstSerial: Int, catalogue: Catalogue) throws -> [RawCallRow] {
        try drafts.enumerated().map { index, draft in
            try RawCallRow(
                draft, serial: Int64(firstSerial + index), site: site, catalogue: catalogue, author: Self.author,
                at: Self.loggedAt)
        }
    }

    /// `0..<count` split into `BenchLimits.rounds` consecutive parts.
    private func roundRanges(_ count: Int) -> [Range<Int>] {
        (0..<BenchLimits.rounds).map { round in
            (count * round / BenchLimits.rounds)..<(count * (round + 1) / BenchLimits.rounds)
        }
    }

    // MARK: - Logging rate

    /// `logCall`, one call per transaction, against the same rows inserted one call per transaction through the C API.
    ///
    /// Raw SQLite runs twice: with `synchronous=FULL`, the store's setting, and with `NORMAL` (no fsync per commit),
    /// which shows how much of a call's time is the fsync alone.
    private func compareOnePerTransaction(catalogue: Catalogue, book: AddressBook) throws -> Comparison {
        let count = options.logCalls
        var generator = try CallGenerator(catalogue: catalogue, addresses: book, totalCalls: count, seed: options.seed)
        let drafts = generator.next(count)
        let rows = try rawRows(drafts, firstSerial: 0, catalogue: catalogue)
        let database = try freshDatabase("log-nightdesk.sqlite", catalogue: catalogue)
        let rawFull = try freshRawDatabase("log-raw-full.sqlite", catalogue: catalogue, synchronous: .full)
        let rawNormal = try freshRawDatabase("log-raw-normal.sqlite", catalogue: catalogue, synchronous: .normal)
        let criteria = try DuplicateCriteria()
        let limit = Duration.seconds(BenchLimits.comparisonSecondsMax)
        enum Path: CaseIterable { case rawFull, nightdesk, rawNormal }
        var results: [Path: PathResult] = [.rawFull: PathResult(), .nightdesk: PathResult(), .rawNormal: PathResult()]
        log("logging \(count) calls one per transaction, each path")
        for (round, range) in roundRanges(count).enumerated() {
            // Rotate which path goes first, so drift in the machine's load falls on all of them.
            let order = Path.allCases.indices.map { Path.allCases[($0 + round) % Path.allCases.count] }
            for path in order {
                var result = results[path]!
                for index in range {
                    guard result.elapsed < limit else { break }
                    let start = clock.now
                    switch path {
                    case .nightdesk:
                        _ = try database.logCall(
                            drafts[index], author: Self.author, criteria: criteria, at: Self.loggedAt)
                    case .rawFull:
                        try rawFull.insert(rows[index...index])
                    case .rawNormal:
                        try rawNormal.insert(rows[index...index])
                    }
                    result.elapsed += clock.now - start
                    result.calls += 1
                }
                results[path] = result
            }
        }
        try checkRows(database, results[.nightdesk]!.calls, rawFull, results[.rawFull]!.calls)
        try checkRows(database, results[.nightdesk]!.calls, rawNormal, results[.rawNormal]!.calls)
        return Comparison(nightdesk: results[.nightdesk]!, raw: results[.rawFull]!, rawNormal: results[.rawNormal]!)
    }

    /// `importCalls` in batches against the same rows inserted in the same batches through the C API.
    private func compareBatched(catalogue: Catalogue, book: AddressBook) throws -> Comparison {
        let batches = (options.batchCalls + BenchLimits.batchSize - 1) / BenchLimits.batchSize
        let count = batches * BenchLimits.batchSize
        // Two generators on one seed give both paths the same calls without holding them all in memory.
        var nightdeskGenerator = try CallGenerator(
            catalogue: catalogue, addresses: book, totalCalls: count, seed: options.seed &+ 1)
        var rawGenerator = nightdeskGenerator
        let database = try freshDatabase("batch-nightdesk.sqlite", catalogue: catalogue)
        let raw = try freshRawDatabase("batch-raw.sqlite", catalogue: catalogue)
        let limit = Duration.seconds(BenchLimits.comparisonSecondsMax)
        var nightdesk = PathResult()
        var baseline = PathResult()
        log("importing \(count) calls in batches of \(BenchLimits.batchSize), each path")
        for (round, range) in roundRanges(batches).enumerated() {
            for nightdeskTurn in round.isMultiple(of: 2) ? [false, true] : [true, false] {
                for _ in range {
                    if nightdeskTurn {
                        guard nightdesk.elapsed < limit else { break }
                        let drafts = nightdeskGenerator.next(BenchLimits.batchSize)
                        let start = clock.now
                        try database.importCalls(drafts, author: Self.author, at: Self.loggedAt)
                        nightdesk.elapsed += clock.now - start
                        nightdesk.calls += drafts.count
                    } else {
                        guard baseline.elapsed < limit else { break }
                        let rows = try rawRows(
                            rawGenerator.next(BenchLimits.batchSize), firstSerial: baseline.calls, catalogue: catalogue)
                        let start = clock.now
                        try raw.insert(rows[...])
                        baseline.elapsed += clock.now - start
                        baseline.calls += rows.count
                    }
                }
            }
        }
        try checkRows(database, nightdesk.calls, raw, baseline.calls)
        return Comparison(nightdesk: nightdesk, raw: baseline, rawNormal: nil)
    }

    /// Both paths wrote what they said: one call row and one timeline row per call.
    private func checkRows(_ database: AppDatabase, _ nightdeskCalls: Int, _ raw: RawSQLite, _ rawCalls: Int) throws {
        let stored = try database.callCounts().total
        precondition(stored == nightdeskCalls, "Nightdesk database holds \(stored) calls, expected \(nightdeskCalls)")
        let rawStored = try raw.count("call")
        precondition(rawStored == rawCalls, "raw database holds \(rawStored) calls, expected \(rawCalls)")
        let rawEvents = try raw.count("call_event")
        precondition(rawEvents == rawCalls, "raw database holds \(rawEvents) events, expected \(rawCalls)")
    }

    // MARK: - Fill and search

    /// Result of filling the search database.
    struct Fill {
        let result: PathResult
        let wall: Duration
        let databaseBytes: Int64
        let stoppedByTime: Bool
    }

    private func fill(_ database: AppDatabase, generator: CallGenerator) throws -> Fill {
        var generator = generator
        var result = PathResult()
        let started = clock.now
        let wallLimit = Duration.seconds(BenchLimits.fillSecondsMax)
        var nextProgress = 100_000
        log("filling the search database to \(options.fillCalls) calls")
        while result.calls < options.fillCalls, clock.now - started < wallLimit {
            let drafts = generator.next(min(BenchLimits.batchSize, options.fillCalls - result.calls))
            let start = clock.now
            try database.importCalls(drafts, author: Self.author, at: Self.loggedAt)
            result.elapsed += clock.now - start
            result.calls += drafts.count
            if result.calls >= nextProgress {
                log("  \(result.calls) calls, \(Int(result.callsPerSecond)) calls/s in importCalls")
                nextProgress += 100_000
            }
        }
        let wall = clock.now - started
        let stored = try database.callCounts().total
        precondition(stored == result.calls, "search database holds \(stored) calls, expected \(result.calls)")
        var bytes: Int64 = 0
        for suffix in ["", "-wal"] {
            let attributes = try? FileManager.default.attributesOfItem(atPath: database.path + suffix)
            bytes += (attributes?[.size] as? NSNumber)?.int64Value ?? 0
        }
        return Fill(result: result, wall: wall, databaseBytes: bytes, stoppedByTime: result.calls < options.fillCalls)
    }

    /// Latencies by kind, in the order of `SearchKind.allCases`: Nightdesk's, and the same SQL's through the C API.
    struct Searches {
        let byKind: [(kind: SearchKind, nightdesk: LatencySummary, raw: LatencySummary)]
        let overall: (nightdesk: LatencySummary, raw: LatencySummary)
        let warmup: Int
        let stoppedByTime: Bool
    }

    private func searchLatency(_ database: AppDatabase, generator: CallGenerator) throws -> Searches {
        var mix = SearchMix(generator: generator, seed: options.seed &+ 3)
        let raw = try RawSearch(path: database.path)
        let kinds = SearchKind.allCases
        for kind in kinds {
            for _ in 0..<BenchLimits.warmupQueriesPerKind {
                let search = mix.search(kind)
                _ = try database.searchCalls(search)
                _ = try raw.run(search)
            }
        }
        log("timing \(options.queries) searches, each also as raw SQL")
        var nightdeskSamples: [SearchKind: [SearchSample]] = [:]
        var rawSamples: [SearchKind: [SearchSample]] = [:]
        let started = clock.now
        let limit = Duration.seconds(BenchLimits.searchSecondsMax)
        var done = 0
        while done < options.queries, clock.now - started < limit {
            let kind = kinds[done % kinds.count]
            let search = mix.search(kind)
            var found = 0
            var rawFound = 0
            // Alternate which goes first, so neither always finds the other's pages freshly cached.
            for nightdeskTurn in done.isMultiple(of: 2) ? [true, false] : [false, true] {
                // GRDB runs the read on this thread (a synchronous dispatch), so its CPU time is this thread's.
                let cpuStart = threadCPUMilliseconds()
                let start = clock.now
                if nightdeskTurn {
                    found = try database.searchCalls(search).count
                } else {
                    rawFound = try raw.run(search)
                }
                let sample = SearchSample(
                    ms: (clock.now - start).milliseconds, cpuMs: threadCPUMilliseconds() - cpuStart,
                    results: nightdeskTurn ? found : rawFound)
                if nightdeskTurn {
                    nightdeskSamples[kind, default: []].append(sample)
                } else {
                    rawSamples[kind, default: []].append(sample)
                }
            }
            precondition(found == rawFound, "\(kind.rawValue): Nightdesk found \(found) calls, raw SQL \(rawFound)")
            done += 1
        }
        return Searches(
            byKind: kinds.map {
                ($0, LatencySummary(nightdeskSamples[$0] ?? []), LatencySummary(rawSamples[$0] ?? []))
            },
            overall: (
                LatencySummary(kinds.flatMap { nightdeskSamples[$0] ?? [] }),
                LatencySummary(kinds.flatMap { rawSamples[$0] ?? [] })
            ),
            warmup: BenchLimits.warmupQueriesPerKind * kinds.count, stoppedByTime: done < options.queries)
    }

    // MARK: - Report

    private func report(single: Comparison, batched: Comparison, fill: Fill, searches: Searches) {
        let filled = grouped(fill.result.calls)
        var lines: [String] = []
        lines.append("SQLite \(RawSQLite.libraryVersion), WAL on every database, seed \(options.seed)")
        lines.append("")
        lines.append(
            "Logging calls into fresh databases; the paths take turns in \(BenchLimits.rounds) rounds, each path "
                + "at most \(BenchLimits.comparisonSecondsMax) s. The ratio on a raw row is Nightdesk's calls/s over "
                + "that row's:")
        lines.append("")
        lines.append("| path | calls | seconds | calls/s | µs per call | Nightdesk / raw |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: |")
        let perBatch = "\(grouped(BenchLimits.batchSize)) calls per transaction"
        lines.append(row("Nightdesk `logCall`, one call per transaction", single.nightdesk, ratio: nil))
        lines.append(
            row("raw SQLite C API, one call per transaction, synchronous=FULL", single.raw, ratio: single.ratio))
        if let rawNormal = single.rawNormal {
            lines.append(
                row(
                    "raw SQLite C API, one call per transaction, synchronous=NORMAL", rawNormal,
                    ratio: single.ratioNormal))
        }
        lines.append(row("Nightdesk `importCalls`, " + perBatch, batched.nightdesk, ratio: nil))
        lines.append(row("raw SQLite C API, " + perBatch + ", synchronous=FULL", batched.raw, ratio: batched.ratio))
        lines.append("")
        lines.append(
            "Fill of the search database with `importCalls`, \(grouped(BenchLimits.batchSize)) per transaction:")
        lines.append("")
        lines.append("| calls | seconds in importCalls | calls/s | wall seconds (with generation) | database MB |")
        lines.append("| ---: | ---: | ---: | ---: | ---: |")
        lines.append(
            "| \(filled) | \(fixed(fill.result.elapsed.seconds, 1)) | \(grouped(Int(fill.result.callsPerSecond))) "
                + "| \(fixed(fill.wall.seconds, 1)) | \(grouped(Int(Double(fill.databaseBytes) / 1_048_576))) |")
        if fill.stoppedByTime {
            lines.append("")
            lines.append(
                "The fill stopped at its \(BenchLimits.fillSecondsMax) s limit, short of "
                    + "\(grouped(options.fillCalls)) calls.")
        }
        lines.append("")
        lines.append(
            "Search latency at \(filled) calls (`searchCalls`, up to 20 results, newest first; "
                + "\(grouped(searches.overall.nightdesk.count)) timed searches after \(searches.warmup) untimed). "
                + "Raw: the same SQL through the C API on its own connection, rows stepped but not read, "
                + "run next to each search. CPU: the searching thread's CPU time, which leaves out time the core "
                + "spent on other processes:")
        lines.append("")
        let goal = fixed(BenchLimits.searchP99GoalMs, 0)
        lines.append(
            "| search | count | p50 ms | p99 ms | max ms | p99 CPU ms | results (mean) | raw p50 ms | raw p99 ms "
                + "| p99 < \(goal) ms |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for (kind, nightdesk, raw) in searches.byKind {
            lines.append(searchRow(kind.rawValue, nightdesk, raw))
        }
        lines.append(searchRow("all", searches.overall.nightdesk, searches.overall.raw))
        lines.append("")
        let missed = searches.byKind.filter { !($0.nightdesk.p99Ms < BenchLimits.searchP99GoalMs) }.map(\.kind.rawValue)
        if missed.isEmpty {
            lines.append("Goal p99 < \(goal) ms: met by every kind of search.")
        } else {
            lines.append("Goal p99 < \(goal) ms: MISSED by " + missed.joined(separator: "; ") + ".")
        }
        if searches.stoppedByTime {
            lines.append("The searches stopped at their \(BenchLimits.searchSecondsMax) s limit.")
        }
        print(lines.joined(separator: "\n"))
    }

    private func row(_ label: String, _ result: PathResult, ratio: Double?) -> String {
        let microseconds = result.elapsed.seconds / Double(max(result.calls, 1)) * 1e6
        return "| \(label) | \(grouped(result.calls)) | \(fixed(result.elapsed.seconds, 2)) "
            + "| \(grouped(Int(result.callsPerSecond.rounded()))) | \(fixed(microseconds, 1)) "
            + "| \(ratio.map { fixed($0, 2) } ?? "") |"
    }

    private func searchRow(_ label: String, _ summary: LatencySummary, _ raw: LatencySummary) -> String {
        "| \(label) | \(grouped(summary.count)) | \(fixed(summary.p50Ms, 3)) | \(fixed(summary.p99Ms, 3)) "
            + "| \(fixed(summary.maxMs, 3)) | \(fixed(summary.p99CpuMs, 3)) | \(fixed(summary.resultsMean, 1)) "
            + "| \(fixed(raw.p50Ms, 3)) "
            + "| \(fixed(raw.p99Ms, 3)) | \(summary.p99Ms < BenchLimits.searchP99GoalMs ? "yes" : "**no**") |"
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

    /// Progress goes to standard error, so standard output holds only the figures.
    func log(_ message: String) {
        FileHandle.standardError.write(Data("[bench] \(message)\n".utf8))
    }
}
