import Foundation
import Testing

/// The sample rota files and the helpers the rota and referral command tests share.
enum RotaSamples {
    static let folder = Repository.root.appendingPathComponent("Topology/rotas")

    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// Monday 30 November 2026, 21:00 London: Ealing's weekly stage 1 is in turn 47, Chetan Patel's (who has no
    /// landline), and stage 2 is Emma Wright's.
    static let mondayNight = "2026-11-30T21:00"
    /// A week far enough ahead that overrides made in it are future-dated whenever the tests run: Alex Smith is on
    /// call at stage 1, Emma Wright at stage 2.
    static let futureMonday = "2030-11-25T21:00"
}

extension TestSite {
    /// Runs a command that must succeed.
    @discardableResult
    func ok(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
        let result = try run(arguments)
        try #require(result.status == 0, "\(result)", sourceLocation: sourceLocation)
        return result
    }

    /// Loads every sample contact, rota and procedure for Ealing and Enfield.
    func loadSampleRotas() throws {
        for file in ["eal-contacts.toml", "enf-contacts.toml"] {
            try ok(["contact", "import", "--file", RotaSamples.path(file)])
        }
        for file in ["eal-dangerous-structures.toml", "enf-housing-repairs.toml", "enf-housing-repairs-heating.toml"] {
            try ok(["rota", "set", "--file", RotaSamples.path(file)])
        }
        for file in ["eal-dangerous-structures-procedure.toml", "enf-housing-repairs-procedure.toml"] {
            try ok(["procedure", "set", "--file", RotaSamples.path(file)])
        }
    }

    /// The change log: every write is a change set in it (SQLite refuses any other write to replicated tables), so
    /// a command that left it as it was wrote nothing.
    func everything() throws -> String {
        try ok(["changes", "export"]).stdout
    }

    /// Runs a command that must be refused with `status`, print nothing on stdout and write nothing at all.
    @discardableResult
    func refusedWritingNothing(
        _ arguments: [String], status: Int32 = 65, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> RunResult {
        let before = try everything()
        let result = try run(arguments)
        #expect(result.status == status, "\(result)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, "a refused command prints no result: \(result)", sourceLocation: sourceLocation)
        #expect(!result.stderr.isEmpty, "a refused command says why: \(result)", sourceLocation: sourceLocation)
        #expect(try everything() == before, "a refused command writes nothing", sourceLocation: sourceLocation)
        return result
    }

    /// Writes a file in the site's temporary folder and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        let path = root.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Logs a dangerous-structures call for Ealing that ended at `ended`, and returns its reference.
    func logStructuresCall(offered: String = "2026-11-30T20:55", ended: String = "2026-11-30T21:00") throws -> String {
        try log([
            "--po", "EAL", "--option", "dangerous-structures", "--caller-name", "Alex Taylor", "--caller-phone",
            "020 7946 0123", "--address", "12 Heron Walk, Ealing W5 2AB", "--answer", "structure_type=Wall",
            "--answer", "immediate_danger=Yes", "--details", "Garden wall bowing over the pavement", "--offered-at",
            offered, "--ended-at", ended,
        ]).reference
    }
}

/// `rota who --json` output.
struct WhoJSON: Decodable {
    struct Person: Decodable {
        struct Reason: Decodable {
            let text: String
            let rule: String
            let layer: String?
            let override: String?
        }
        let id: String
        let name: String
        let reason: Reason
    }
    struct Stage: Decodable {
        let number: Int
        let people: [Person]
    }
    let rotaGap: Bool
    let message: String?
    let rota: String?
    let stages: [Stage]

    func ids(stage: Int) -> [String] { stages.first { $0.number == stage }?.people.map(\.id) ?? [] }
}

/// `referral next --json` and friends.
struct ReferralJSON: Decodable {
    struct Action: Decodable {
        let kind: String
        let step: Int?
        let contact: String?
        let text: String
    }
    let reference: String
    let status: String
    let deadline: Date
    let callEndedAt: Date
    let overdue: Bool
    let passedAt: Date?
    let acknowledgedBy: String?
    let next: Action
}
