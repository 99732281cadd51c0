import ArgumentParser
import Domain
import Foundation
import Node
import Store

/// Where a command finds its node's data folder.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: "The node's data folder (default: $NIGHTDESK_DATA, else ./data).")
    var data: String?

    @Option(name: .long, help: "Refuse to run unless the data folder belongs to this site.")
    var site: String?

    var resolvedPath: String {
        data ?? ProcessInfo.processInfo.environment["NIGHTDESK_DATA"] ?? "data"
    }

    func open() throws -> NodeFolder {
        try NodeFolder.open(path: resolvedPath, expectedSite: try site.map(SiteCode.init))
    }
}

/// `--json` for scripts.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false
}

/// Runs a command body, turning every error into a clear message on stderr and a distinct exit code.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch let error as DomainErrors {
        report(error.errors.map(\.message))
        throw ExitCode(65)
    } catch let error as DomainError {
        report([error.message])
        throw ExitCode(error.kind == .notFound ? 66 : 65)
    } catch let error as StoreError {
        report([error.description])
        switch error {
        case .callNotFound, .addressNotFound: throw ExitCode(66)
        case .scopeNotHeld: throw ExitCode(65)
        case .newerSchema, .notInitialised, .siteMismatch, .noCatalogue: throw ExitCode(78)
        }
    } catch let error as OutboxError {
        report([error.description])
        switch error {
        case .messageNotFound, .attemptNotFound: throw ExitCode(66)
        default: throw ExitCode(65)
        }
    } catch let error as TransportConfigurationError {
        report([error.description])
        throw ExitCode(78)
    } catch let error as TopologyError {
        report([error.description])
        throw ExitCode(78)
    } catch let error as NodeError {
        report([error.description])
        switch error {
        case .unreadable: throw ExitCode(74)
        case .invalidFile: throw ExitCode(65)
        case .notADataFolder, .dataFolderOfAnotherSite, .unsafePermissions: throw ExitCode(78)
        }
    } catch {
        report(["\(error)"])
        throw ExitCode(1)
    }
}

func report(_ messages: [String]) {
    var standardError = FileHandle.standardError
    for message in messages {
        print("error: \(message)", to: &standardError)
    }
}

extension FileHandle: @retroactive TextOutputStream {
    public func write(_ string: String) {
        write(Data(string.utf8))
    }
}

/// Prints a value as stable, pretty JSON with ISO 8601 times.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Parses a time given on the command line: `now`, ISO 8601 with a zone, or a local London time `2026-11-22T21:30`.
func parseTime(_ text: String, option: String, now: Date) throws -> Date {
    if text == "now" { return now }
    let zoned = ISO8601DateFormatter()
    if let date = zoned.date(from: text) { return date }
    let local = DateFormatter()
    local.locale = Locale(identifier: "en_GB_POSIX")
    local.timeZone = TimeZone(identifier: "Europe/London")
    for format in ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm", "yyyy-MM-dd"] {
        local.dateFormat = format
        if let date = local.date(from: text) { return date }
    }
    throw DomainError(
        .invalidValue,
        "\(option) '\(text)' is not a time: give `now`, 2026-11-22T21:30 (London time) or 2026-11-22T21:30:00Z")
}

/// Parses `--answer code=value` pairs and `--not-known code` names into script answers.
func parseAnswers(_ pairs: [String], notKnown: [String]) throws -> [String: Answer] {
    var answers: [String: Answer] = [:]
    for pair in pairs {
        guard let equals = pair.firstIndex(of: "=") else {
            throw DomainError(.invalidValue, "--answer '\(pair)' needs the form code=value, e.g. --answer water_leaking=Yes")
        }
        let code = String(pair[..<equals]).trimmingCharacters(in: .whitespaces)
        guard answers[code] == nil else {
            throw DomainError(.invalidValue, "'\(code)' is answered twice; give each question once")
        }
        answers[code] = .value(String(pair[pair.index(after: equals)...]))
    }
    for code in notKnown {
        guard answers[code] == nil else {
            throw DomainError(.invalidValue, "'\(code)' is both answered and marked not known; choose one")
        }
        answers[code] = .notKnown
    }
    return answers
}

/// The handler's name recorded on timeline entries.
func defaultHandler() -> String {
    ProcessInfo.processInfo.environment["NIGHTDESK_HANDLER"] ?? ProcessInfo.processInfo.environment["USER"]
        ?? "handler"
}

let londonFormatter: DateFormatter = {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_GB_POSIX")
    formatter.timeZone = TimeZone(identifier: "Europe/London")
    formatter.dateFormat = "EEE d MMM yyyy HH:mm"
    return formatter
}()

func london(_ date: Date) -> String { londonFormatter.string(from: date) }
