import Domain
import Foundation
import GRDB
import Node
import Store

/// `timers`: the cost of evaluating every replicated deadline (5.2.3.6, 5.3.2) and how late alerts are.
///
/// A real store holds `--sessions` open lone-worker sessions and `--referrals` open referrals of Ealing's dangerous
/// structures (with the sample contacts, rota and procedure), all at one site. Then:
/// (a) `--passes` timed passes of `TimerEvaluator.evaluate` with nothing due, against a raw read of the same rows in
///     the same run (every session with its facts, every referral with its attempts): the evaluator's fixed cost,
///     and its CPU per second at the node's 500 ms tick;
/// (b) the real evaluation loop at a 500 ms tick while deadlines fall due: `--due` sessions whose deadlines are
///     spread over the next `--window-s` seconds, and as many referrals whose first step's wait ends in that window;
///     the delay from each deadline to the alert or escalation being recorded, p50 and p99.
struct TimerBench {
    struct Options {
        var topology = ""
        var rotas = ""
        var directory = ""
        var sessions = 10_000
        var referrals = 10_000
        var passes = 20
        var due = 200
        var windowSeconds = 20
        var seed: UInt64 = 1

        init(arguments: [String]) throws {
            for (flag, value) in try BenchFlags.pairs(arguments.dropFirst()) {
                switch flag {
                case "--dir": directory = value
                case "--topology": topology = value
                case "--rotas": rotas = value
                case "--sessions": sessions = try BenchFlags.count(flag, value)
                case "--referrals": referrals = try BenchFlags.count(flag, value)
                case "--passes": passes = try BenchFlags.count(flag, value)
                case "--due": due = try BenchFlags.count(flag, value)
                case "--window-s": windowSeconds = try BenchFlags.count(flag, value)
                case "--seed": seed = try BenchFlags.seed(value)
                default: throw UsageError(description: "unknown option \(flag)")
                }
            }
            guard !topology.isEmpty, !rotas.isEmpty, !directory.isEmpty else {
                throw UsageError(description: "--topology, --rotas and --dir are required")
            }
            guard windowSeconds <= 300, due <= 5_000 else {
                throw UsageError(description: "--window-s is at most 300 and --due at most 5000")
            }
        }
    }

    let options: Options
    static let tick = Duration.milliseconds(500)
    static let sites = try! ["WST", "EST", "NTH"].map(SiteCode.init)

    func run() throws {
        let database = try AppDatabase(path: (options.directory as NSString).appendingPathComponent("timers.sqlite"))
        let now = Date()
        try database.initialise(site: Self.sites[0], at: now.addingTimeInterval(-86_400))
        let catalogue = try CatalogueFile(path: options.topology).catalogue
        try database.loadCatalogue(catalogue, at: now.addingTimeInterval(-86_400))
        func rota(_ file: String) -> String { (options.rotas as NSString).appendingPathComponent(file) }
        try database.saveContacts(try ContactsFile(path: rota("eal-contacts.toml")).contacts, at: now - 86_000)
        try database.setRota(try RotaFile(path: rota("eal-dangerous-structures.toml")).rota, at: now - 86_000)
        let procedure = try ProcedureFile(path: rota("eal-dangerous-structures-procedure.toml")).procedure
        try database.setProcedure(procedure, at: now - 86_000)
        let stepOneWait = Double(procedure.steps[0].acknowledgementWaitMs) / 1_000

        let clock = ContinuousClock()
        var rng = SplitMix64(seed: options.seed)
        let ealing = try OrganisationCode("EAL")
        let structures = try ServiceOptionCode("dangerous-structures")
        let answers: [String: Answer] = ["structure_type": .value("Wall"), "immediate_danger": .value("No")]
        let credentials = try LoneWorkerCredentials.enrol(code: "Blue Finch", duressCode: "red kite") { code in
            try CredentialHash(encoded: "bench$" + code.replacingOccurrences(of: " ", with: "_"))
        }
        let officer = try LoneWorkerOfficer(
            staff: OnCallContactID("eal-asmith"), organisation: ealing, manager: OnCallContactID("eal-pmorgan"),
            name: "Officer", callerNumber: PhoneNumber(parsing: "07700 900811"), credentials: credentials)

        // Sessions and referrals: `due` of each fall due within the window, made last, just before the loop, so their
        // deadlines are still ahead when it starts; the rest are due hours ahead, or wait on a handler.
        var deadlines: [CallReference: Date] = [:]
        var escalationDue: [CallReference: Date] = [:]
        func makeSession(_ index: Int, dueAt: Date?) throws {
            let deadline = dueAt ?? now.addingTimeInterval(Double(3_600 + rng.below(6 * 3_600)))
            // Sessions are 5 minutes to 2 hours long (the domain's least is 5 minutes), so all started in the past.
            let minutes = 5 + rng.below(116)
            let started = deadline.addingTimeInterval(-Double(minutes * 60))
            let draft = CallDraft(
                organisation: ealing, option: structures, caller: try Caller(name: "Officer \(index)", phone: nil),
                answers: answers, details: "Inspection", action: CallAction(kind: .loneWorker), offeredAt: started)
            let session = try database.startLoneWorkerSession(
                draft, officer: officer, location: "Site \(index)", task: "Inspect",
                expectedDuration: .seconds(minutes * 60), author: "bench", at: started)
            if dueAt != nil { deadlines[session.start.call] = session.deadline }
        }
        // A referral open with no attempt yet (a handler has still to make the first contact; the node never does),
        // or, with `dueAt`, one whose stage 1 was tried so that its wait ends then.
        func makeReferral(_ index: Int, dueAt: Date?) throws {
            let offered = (dueAt ?? now).addingTimeInterval(-stepOneWait - Double(120 + rng.below(1_800)))
            var draft = CallDraft(
                organisation: ealing, option: structures, caller: try Caller(name: "Caller \(index)", phone: nil),
                answers: answers, details: "Wall bowing", action: CallAction(kind: .refer), offeredAt: offered)
            draft.incidentAddress = IncidentAddress(
                text: "\(index) Heron Walk, Ealing", uprn: nil, point: nil, ward: nil, verification: .unverified)
            let reference = try database.logCall(draft, author: "bench", criteria: try DuplicateCriteria(), at: offered)
                .call.reference
            try database.refer(reference, author: "bench", at: offered + 30)
            guard let dueAt else { return }
            let attempted = dueAt.addingTimeInterval(-stepOneWait)
            // Every contact of stage 1 tried, a call unanswered and a message sent, so its wait runs from `attempted`.
            var attempts = 0
            while attempts < 10,
                case .contact(let contact, let channel, step: 1) = try database.nextAction(reference, at: attempted).1
            {
                try database.recordAttempt(
                    reference, contact: contact.id, channel: channel.kind,
                    outcome: channel.kind == .phone ? .noAnswer : .sent, author: "bench",
                    at: attempted.addingTimeInterval(Double(attempts) * 0.002 - 0.02))
                attempts += 1
            }
            escalationDue[reference] = dueAt
        }
        let setupStart = clock.now
        for index in options.due..<max(options.due, options.sessions) { try makeSession(index, dueAt: nil) }
        let sessionsSetup = clock.now - setupStart
        let referralStart = clock.now
        for index in options.due..<max(options.due, options.referrals) { try makeReferral(index, dueAt: nil) }
        let referralsSetup = clock.now - referralStart
        // Making the due ones takes time too: their window starts after a generous estimate of it.
        let windowStart = Date().addingTimeInterval(2 + Double(options.due) * 0.08)
        for index in 0..<min(options.due, options.sessions) {
            try makeSession(
                index,
                dueAt: windowStart.addingTimeInterval(Double(options.windowSeconds) * Double(index) / Double(options.due)))
        }
        for index in 0..<min(options.due, options.referrals) {
            try makeReferral(
                index,
                dueAt: windowStart.addingTimeInterval(Double(options.windowSeconds) * Double(index) / Double(options.due)))
        }
        let dueMadeLate = Date() > windowStart

        let evaluator = TimerEvaluator(
            database: database, site: Self.sites[0], election: try TimerElection(ranked: Self.sites))
        let live = Set(Self.sites)
        // (a) passes with nothing due: judged at `now`, before every deadline.
        _ = try evaluator.evaluate(now: now, live: live)
        var readOnly = Configuration()
        readOnly.readonly = true
        let raw = try DatabaseQueue(
            path: (options.directory as NSString).appendingPathComponent("timers.sqlite"), configuration: readOnly)
        var passMs: [Double] = []
        var rawMs: [Double] = []
        for _ in 0..<options.passes {
            let pass = try evaluator.evaluate(now: now, live: live)
            passMs.append(pass.duration.milliseconds)
            let rawStart = clock.now
            try rawRead(raw)
            rawMs.append((clock.now - rawStart).milliseconds)
        }
        passMs.sort()
        rawMs.sort()

        // (b) the real loop while deadlines fall due, by this machine's clock.
        var alertDelayMs: [Double] = []
        var escalationDelayMs: [Double] = []
        var loopPassMs: [Double] = []
        let loopEnd = Date().addingTimeInterval(Double(options.windowSeconds) + 10)
        while Date() < loopEnd, alertDelayMs.count < deadlines.count || escalationDelayMs.count < escalationDue.count {
            let tickStart = clock.now
            let pass = try evaluator.evaluate(now: Date(), live: live)
            let recordedAt = Date()
            loopPassMs.append(pass.duration.milliseconds)
            for item in pass.loneWorkerAlerts where item.action == .raiseAmber {
                if let deadline = deadlines[item.session] {
                    alertDelayMs.append(recordedAt.timeIntervalSince(deadline) * 1_000)
                }
            }
            for recorded in pass.referralEscalations {
                if let dueAt = escalationDue[recorded.reference] {
                    escalationDelayMs.append(recordedAt.timeIntervalSince(dueAt) * 1_000)
                }
            }
            let elapsed = clock.now - tickStart
            if elapsed < Self.tick { Thread.sleep(forTimeInterval: Double((Self.tick - elapsed).milliseconds) / 1_000) }
        }
        alertDelayMs.sort()
        escalationDelayMs.sort()
        loopPassMs.sort()

        let tickMs = Double(Self.tick.milliseconds)
        var lines: [String] = []
        lines.append(
            "Store: \(grouped(options.sessions)) open lone-worker sessions (set up in "
                + "\(fixed(sessionsSetup.milliseconds / 1_000, 1)) s) and \(grouped(options.referrals)) open referrals "
                + "(\(fixed(referralsSetup.milliseconds / 1_000, 1)) s), one site, seed \(options.seed)")
        lines.append("")
        lines.append("(a) \(options.passes) evaluation passes with nothing due:")
        lines.append("")
        lines.append("| operation | p50 ms | p99 ms | max ms |")
        lines.append("| --- | ---: | ---: | ---: |")
        lines.append(row("`TimerEvaluator.evaluate` (one pass)", passMs))
        lines.append(row("baseline: raw read of every session, fact, referral and attempt", rawMs))
        lines.append("")
        lines.append(
            "Pass / raw read at p50: \(fixed(rank(0.5, passMs) / max(rank(0.5, rawMs), 0.001), 2))×. "
                + "CPU per second at the \(Int(tickMs)) ms tick: \(fixed(rank(0.5, passMs) / tickMs * 100, 1))% of one core.")
        lines.append("")
        lines.append(
            "(b) the \(Int(tickMs)) ms loop while \(deadlines.count) deadlines and \(escalationDue.count) escalations "
                + "fell due over \(options.windowSeconds) s (passes p50 \(fixed(rank(0.5, loopPassMs), 1)) ms, p99 "
                + "\(fixed(rank(0.99, loopPassMs), 1)) ms):")
        lines.append("")
        lines.append("| delay from deadline to record | count | p50 ms | p99 ms | max ms |")
        lines.append("| --- | ---: | ---: | ---: | ---: |")
        lines.append(
            "| lone-worker amber alert | \(alertDelayMs.count) | \(fixed(rank(0.5, alertDelayMs), 0)) | "
                + "\(fixed(rank(0.99, alertDelayMs), 0)) | \(fixed(alertDelayMs.last ?? .nan, 0)) |")
        lines.append(
            "| referral escalation to stage 2 | \(escalationDelayMs.count) | \(fixed(rank(0.5, escalationDelayMs), 0)) | "
                + "\(fixed(rank(0.99, escalationDelayMs), 0)) | \(fixed(escalationDelayMs.last ?? .nan, 0)) |")
        if dueMadeLate {
            lines.append("")
            lines.append("WARNING: making the due sessions and referrals ran past the window's start; delays overstated")
        }
        if alertDelayMs.count < deadlines.count || escalationDelayMs.count < escalationDue.count {
            lines.append("")
            lines.append(
                "NOT ALL RECORDED: \(alertDelayMs.count) of \(deadlines.count) alerts, \(escalationDelayMs.count) of "
                    + "\(escalationDue.count) escalations")
        }
        print(lines.joined(separator: "\n"))
    }

    /// The rows a pass must at least look at, read with no domain work: the baseline.
    private func rawRead(_ raw: DatabaseQueue) throws {
        try raw.read { db in
            var count = 0
            for table in ["lone_worker_session", "lone_worker_fact", "referral", "referral_attempt"] {
                let rows = try Row.fetchCursor(db, sql: "SELECT * FROM \(table)")
                while let row = try rows.next() { count += row.count }
            }
            precondition(count > 0, "the baseline read nothing")
        }
    }

    private func row(_ label: String, _ sorted: [Double]) -> String {
        "| \(label) | \(fixed(rank(0.5, sorted), 2)) | \(fixed(rank(0.99, sorted), 2)) | \(fixed(sorted.last ?? .nan, 2)) |"
    }

    private func rank(_ fraction: Double, _ sorted: [Double]) -> Double { BenchFormat.rank(fraction, sorted) }
    private func fixed(_ value: Double, _ decimals: Int) -> String { BenchFormat.fixed(value, decimals) }
    private func grouped(_ value: Int) -> String { BenchFormat.grouped(value) }
}
