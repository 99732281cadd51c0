import Domain
import Foundation
import GRDB
import NightdeskTestSupport
import Replication
import Simulation
import Testing

@testable import Store

/// Deterministic simulation of 3–5 sites writing concurrently over a network that loses, duplicates, delays,
/// reorders and partitions: a bounded safety phase, a bounded convergence phase, then the invariants.
///
/// Seeds: `NIGHTDESK_SIM_SEED=N` runs one; `NIGHTDESK_SIM_SEEDS=N` runs seeds 1…N (default 16).
@Suite struct ReplicationSimulationTests {
    static var seeds: [UInt64] {
        let environment = ProcessInfo.processInfo.environment
        if let one = environment["NIGHTDESK_SIM_SEED"].flatMap(UInt64.init) { return [one] }
        let count = environment["NIGHTDESK_SIM_SEEDS"].flatMap(UInt64.init) ?? 16
        return Array(1...max(count, 1))
    }

    @Test(arguments: seeds)
    func replicasConvergeWithNoAcknowledgedWriteLost(seed: UInt64) throws {
        var simulation = try ReplicaSimulation(seed: seed)
        try simulation.runSafetyPhase(steps: 160)
        try simulation.runConvergencePhase(roundsMax: 40)
        try simulation.checkInvariants()
    }
}

/// What travels between simulated sites.
enum SyncMessage: Sendable {
    /// "This is what I hold": the peer answers with what is missing.
    case pull(VersionVector)
    /// Change sets, live or in answer to a pull.
    case push([ChangeSet])
}

struct ReplicaSimulation {
    let seed: UInt64
    var random: SeededRandom
    var network: SimulatedNetwork<SyncMessage>
    let replicas: [AppDatabase]
    let sites: [String]
    /// Each site's wall clock error, within the quarantine bound.
    let clockOffsetMs: [Int64]
    var nowMs: Int64

    // Ground truth: every write acknowledged to a handler somewhere.
    var acknowledgedCalls: Set<String> = []
    var acknowledgedNotes: [String: Set<String>] = [:]
    var acknowledgedEvents = 0
    var furthestStatus: [String: CallStatus] = [:]
    /// What each replica last showed for each call's status, to prove it never moves back.
    var observedStatus: [[String: CallStatus]]

    let names = ["Jane Smith", "Raj Patel", "Ana Müller", "Tom O'Brien", "Li Wei", "Sam Jones"]
    let officers = ["Officer Adams", "Officer Brown", "Officer Clarke"]

    init(seed: UInt64) throws {
        self.seed = seed
        var random = SeededRandom(seed: seed)
        let count = 3 + Int(seed % 3)
        sites = Array(["WST", "EST", "NTH", "STH", "CEN"].prefix(count))
        nowMs = Fixtures.london("2026-11-21 18:00").milliseconds
        var replicas: [AppDatabase] = []
        var offsets: [Int64] = []
        for site in sites {
            let database = try AppDatabase(path: nil)
            let offset = Int64.random(in: -5_000...5_000, using: &random)
            let start = Date(milliseconds: nowMs + offset)
            try database.initialise(site: try SiteCode(site), at: start)
            // Every site loads the same catalogue on its own, as real sites do at installation.
            try database.loadCatalogue(try Fixtures.catalogue(), at: start)
            try database.importGazetteer(organisation: try OrganisationCode("EAL"), addresses: try TestDatabase.ealing())
            replicas.append(database)
            offsets.append(offset)
        }
        self.replicas = replicas
        clockOffsetMs = offsets
        observedStatus = Array(repeating: [:], count: count)
        network = SimulatedNetwork(
            nodes: count,
            faults: NetworkFaults(lossPercent: 15, duplicatePercent: 10, delayMsMax: 8_000, partitionPercent: 15))
        self.random = random
    }

    func failure(_ text: String) -> String { "\(text) — reproduce with NIGHTDESK_SIM_SEED=\(seed)" }

    func localTime(_ replica: Int) -> Date { Date(milliseconds: nowMs + clockOffsetMs[replica]) }

    // MARK: - Phases

    mutating func runSafetyPhase(steps: Int) throws {
        for _ in 0..<steps {
            nowMs += Int64.random(in: 1...3_000, using: &random)
            network.stir(random: &random)
            try deliver()
            let replica = Int.random(in: 0..<replicas.count, using: &random)
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<20: try logCall(at: replica)
            case 20..<65: try updateCall(at: replica)
            case 65..<70: try reloadCatalogue(at: replica)
            default: pull(replica)
            }
        }
    }

    mutating func runConvergencePhase(roundsMax: Int) throws {
        network.heal()
        for _ in 0..<roundsMax {
            nowMs += 5_000
            try deliver()
            let vectors = try replicas.map { try $0.heldVector() }
            let applied = try replicas.map { try $0.appliedVector() }
            if Set(vectors).count == 1 && Set(applied).count == 1 && applied[0] == vectors[0] && network.inFlightCount == 0 {
                return
            }
            for replica in replicas.indices { pull(replica) }
            nowMs += 5_000
            try deliver()
        }
        Issue.record(Comment(rawValue: failure("replicas did not converge within \(roundsMax) rounds")))
    }

    // MARK: - Actions

    mutating func deliver() throws {
        for envelope in network.deliver(nowMs: nowMs, random: &random) {
            let target = replicas[envelope.to]
            switch envelope.message {
            case .pull(let vector):
                let missing = try target.changeSets(missingFrom: vector, limit: 200)
                if !missing.isEmpty {
                    network.send(from: envelope.to, to: envelope.from, .push(missing), nowMs: nowMs, random: &random)
                }
            case .push(let sets):
                try target.receive(sets, at: localTime(envelope.to))
                try observe(envelope.to)
            }
        }
    }

    mutating func pull(_ replica: Int) {
        var peer = Int.random(in: 0..<replicas.count, using: &random)
        if peer == replica { peer = (peer + 1) % replicas.count }
        guard let vector = try? replicas[replica].heldVector() else { return }
        network.send(from: replica, to: peer, .pull(vector), nowMs: nowMs, random: &random)
    }

    /// Pushes a site's newest change set to every peer, as live replication does.
    mutating func pushNewest(from replica: Int) throws {
        let site = SiteID(sites[replica])
        let held = try replicas[replica].heldVector()
        var behind = held
        var entries = behind.entries
        entries[site] = OriginSequence(held[site].rawValue - 1)
        behind = VersionVector(entries)
        let newest = try replicas[replica].changeSets(missingFrom: behind, limit: 1)
        for peer in replicas.indices where peer != replica {
            network.send(from: replica, to: peer, .push(newest), nowMs: nowMs, random: &random)
        }
    }

    mutating func logCall(at replica: Int) throws {
        let kinds: [(String, String, CallActionKind)] = [
            ("EAL", "dangerous-structures", .refer), ("EAL", "dangerous-structures", .refer),
            ("EAL", "noise-patrol", .signpost), ("WAN", "noise-patrol", .signpost),
        ]
        let (organisation, option, action) = kinds.randomElement(using: &random)!
        var draft = try Fixtures.draft(
            organisation: organisation, option: option,
            action: CallAction(kind: action, detail: action == .signpost ? "Police non-emergency 101" : nil))
        draft.offeredAt = localTime(replica)
        draft.caller = try Caller(name: names.randomElement(using: &random)!, phone: nil)
        if organisation == "EAL", random.chance(70) {
            draft.incidentAddress = try replicas[replica].resolveIncidentAddress(
                organisation: try OrganisationCode("EAL"), uprn: try UPRN(Int64.random(in: 1...4, using: &random)), text: nil)
        }
        if option != "dangerous-structures" { draft.answers = [:] }
        let logged = try replicas[replica].logCall(
            draft, author: "handler", criteria: try DuplicateCriteria(), at: localTime(replica))
        let reference = logged.call.reference.description
        acknowledgedCalls.insert(reference)
        acknowledgedEvents += 1
        furthestStatus[reference] = logged.call.status
        try observe(replica)
        try pushNewest(from: replica)
    }

    mutating func updateCall(at replica: Int) throws {
        let known = try replicas[replica].searchCalls(CallSearch(limit: StoreLimits.searchResultsMax))
        guard let call = known.randomElement(using: &random) else { return }
        var update = CallUpdate()
        var events = 0
        var note: String?
        switch Int.random(in: 0..<7, using: &random) {
        case 0, 5, 6:
            let forward = CallStatus.allCases.filter { $0 > call.status }
            guard let status = forward.randomElement(using: &random) else { return }
            update.status = status
            events = 1
        case 1:
            note = "note \(random.next() % 100_000) from \(sites[replica])"
            update.note = note
            events = 1
        case 2:
            update.assignTo = officers.randomElement(using: &random)!
            events = 1
        case 3:
            update.details = "details \(random.next() % 1_000) from \(sites[replica])"
            events = 1
        default:
            guard call.option.rawValue == "dangerous-structures" else { return }
            update.answers = ["people_at_risk": .value(String(Int.random(in: 0...9, using: &random)))]
            events = 1
        }
        do {
            try replicas[replica].updateCall(call.reference, update, author: "handler", at: localTime(replica))
            let reference = call.reference.description
            if let status = update.status {
                furthestStatus[reference] = max(furthestStatus[reference] ?? status, status)
            }
            if let note { acknowledgedNotes[reference, default: []].insert(note) }
            acknowledgedEvents += events
            try observe(replica)
            try pushNewest(from: replica)
        } catch is DomainErrors {
            // Refused by the rules (e.g. nothing changed): not acknowledged, so nothing to check.
        }
    }

    mutating func reloadCatalogue(at replica: Int) throws {
        let keepNoiseLine = random.chance(50)
        let catalogue = try Fixtures.document { object in
            guard !keepNoiseLine else { return }
            var organisations = object["organisation"] as! [[String: Any]]
            organisations[0]["accessNumber"] = [["number": "+442079460001", "label": "Main"]]
            object["organisation"] = organisations
        }.makeCatalogue()
        let summary = try replicas[replica].loadCatalogue(catalogue, at: localTime(replica))
        if summary.changes > 0 { try pushNewest(from: replica) }
    }

    /// Records each replica's view of call statuses and checks none moved back.
    mutating func observe(_ replica: Int) throws {
        for call in try replicas[replica].searchCalls(CallSearch(limit: StoreLimits.searchResultsMax)) {
            let reference = call.reference.description
            if let before = observedStatus[replica][reference] {
                #expect(call.status >= before, Comment(rawValue: failure("\(sites[replica]) moved \(reference) back from \(before) to \(call.status)")))
            }
            observedStatus[replica][reference] = call.status
        }
    }

    // MARK: - Invariants

    func checkInvariants() throws {
        let digests = try replicas.map { try $0.stateDigest() }
        #expect(Set(digests).count == 1, Comment(rawValue: failure("digests differ: \(zip(sites, digests).map { "\($0)=\($1.prefix(12))" })")))
        for organisation in ["EAL", "WAN"] {
            let scoped = try replicas.map { try $0.stateDigest(organisation: organisation) }
            #expect(Set(scoped).count == 1, Comment(rawValue: failure("\(organisation) digests differ")))
        }
        for (index, replica) in replicas.enumerated() {
            let held = Set(try replica.searchCalls(CallSearch(limit: StoreLimits.searchResultsMax)).map(\.reference.description))
            #expect(acknowledgedCalls.isSubset(of: held), Comment(rawValue: failure("\(sites[index]) lost calls \(acknowledgedCalls.subtracting(held).sorted())")))
            for (reference, notes) in acknowledgedNotes {
                let record = try replica.callRecord(try CallReference(parsing: reference))
                let texts = Set(record?.notes.map(\.text) ?? [])
                #expect(notes.isSubset(of: texts), Comment(rawValue: failure("\(sites[index]) lost notes on \(reference)")))
            }
            for (reference, status) in furthestStatus {
                let shown = try replica.callRecord(try CallReference(parsing: reference))?.call.status
                #expect(shown == status, Comment(rawValue: failure("\(sites[index]) shows \(reference) \(String(describing: shown)), furthest written \(status)")))
            }
            let events = try replica.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM call_event") ?? 0 }
            #expect(events == acknowledgedEvents, Comment(rawValue: failure("\(sites[index]) has \(events) timeline entries, \(acknowledgedEvents) acknowledged")))
            #expect(try replica.quarantined().isEmpty, Comment(rawValue: failure("\(sites[index]) still quarantines change sets")))
        }
    }
}
