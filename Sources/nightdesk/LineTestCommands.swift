import ArgumentParser
import Domain
import Foundation
import Store

/// `nightdesk line-test`: the record of automated test calls to access numbers (8.13) and the monthly report (2.1.8).
struct LineTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "line-test",
        abstract: "Automated test calls to access numbers (8.13) and their monthly report (2.1.8).",
        discussion: """
            A running node makes the test calls itself: one at the start of each out-of-hours period, and one \
            every half hour while a number's calls in the past hour are below its organisation's threshold. Each \
            test goes through the routing a real call takes; a failure starts the escalation procedure.
            """,
        subcommands: [Report.self, List.self])

    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One organisation's line tests in a month, per number (2.1.8's monthly report).")
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .customLong("po"), help: "Participating Organisation code.") var organisation: String
        @Option(name: .long, help: "The month, YYYY-MM.") var month: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let code = try OrganisationCode(organisation)
                let parsed = try LocalMonth(parsing: month)
                let database = try LineTestViews.checked(dataOptions.open().database, code)
                let report = try database.lineTestReport(organisation: code, month: parsed)
                if output.json {
                    try printJSON(report)
                    return
                }
                print("Line tests for \(code), \(parsed)")
                if report.numbers.isEmpty { print("No line tests recorded.") }
                for number in report.numbers {
                    print(
                        "\(number.number): \(number.tests) tests (\(number.periodStartTests) at period start, "
                            + "\(number.lowDemandTests) at low demand), \(number.passed) passed, \(number.failed) "
                            + "failed, \(number.escalations) escalated")
                    for failure in number.failures {
                        print("  FAILED \(LineTestViews.time(failure.testedAt)) at \(failure.site): \(LineTestViews.reason(failure))")
                    }
                }
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The line tests of an organisation, newest last.")
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .customLong("po"), help: "Participating Organisation code.") var organisation: String
        @Option(name: .long, help: "How many hours back to list (1 to 744).") var hours: Int = 24
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (1...744).contains(hours) else { throw ValidationError("--hours must be from 1 to 744") }
        }

        func run() throws {
            try runReportingErrors {
                let code = try OrganisationCode(organisation)
                let now = Date()
                let tests = try LineTestViews.checked(dataOptions.open().database, code).lineTests(
                    organisation: code, from: now.addingTimeInterval(-Double(hours) * 3_600),
                    to: now.addingTimeInterval(3_600))
                if output.json {
                    try printJSON(tests)
                    return
                }
                if tests.isEmpty { print("No line tests for \(code) in the past \(hours) hours.") }
                for test in tests {
                    let outcome = test.outcome.passed ? "passed" : "FAILED: \(LineTestViews.reason(test))"
                    print(
                        "\(LineTestViews.time(test.slot.slotStart)) \(test.slot.number.e164) \(test.slot.kind.rawValue) "
                            + "by \(test.site)\(test.routeSite.map { " → \($0)" } ?? "") \(outcome)"
                            + (test.escalated ? " (escalated)" : ""))
                }
            }
        }
    }
}

enum LineTestViews {
    /// The database, once the organisation is known to its catalogue.
    static func checked(_ database: AppDatabase, _ organisation: OrganisationCode) throws -> AppDatabase {
        let known = try database.catalogue().organisations.map(\.code)
        guard known.contains(organisation) else {
            throw DomainError(
                .invalidValue,
                "\(organisation) is not an organisation of this catalogue: use one of "
                    + known.map(\.rawValue).joined(separator: ", "))
        }
        return database
    }

    static func time(_ instant: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB_POSIX")
        formatter.timeZone = TimeZone(identifier: "Europe/London")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: instant)
    }

    static func reason(_ record: LineTestRecord) -> String {
        if case .failed(let reason) = record.outcome { return reason }
        return "passed"
    }
}
