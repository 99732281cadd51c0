import Foundation
import Store
import TOMLKit

/// A transports file that cannot be used, with every problem found in one pass.
public struct TransportConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public let path: String?
    public let problems: [String]

    public init(path: String? = nil, problems: [String]) {
        precondition(!problems.isEmpty, "a configuration error needs a problem")
        self.path = path
        self.problems = problems
    }

    init(_ problem: String) { self.init(problems: [problem]) }

    public var description: String {
        guard let path else { return problems.joined(separator: "\n") }
        return "the transports file \(path) has \(problems.count == 1 ? "a problem" : "\(problems.count) problems"):\n"
            + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

/// Which transport delivers each channel, read from the `[transports]` section of a TOML file.
///
///     [transports]
///     sms = "notify"                        # notify | file
///     email = "sendmail"                    # sendmail | notify | file
///
///     [transports.notify]
///     apiKeyFile = "notify-api-key"         # mode 0600; or apiKeyEnvironment = "NIGHTDESK_NOTIFY_API_KEY"
///     smsTemplateID = "…uuid…"              # content ((body))
///     emailTemplateID = "…uuid…"            # subject ((subject)), content ((body))
///     baseURL = "https://api.notifications.service.gov.uk"   # optional
///     timeoutMs = 20000                     # optional
///
///     [transports.sendmail]
///     from = "Out of hours service <ooh@example.gov.uk>"
///     path = "/usr/sbin/sendmail"           # optional; msmtp's sendmail is the usual one
///     arguments = ["-t", "-i"]              # optional
///     timeoutMs = 30000                     # optional
///
///     [transports.file]
///     path = "outbox.jsonl"                 # created with mode 0600
///
/// Relative paths are taken from the file's own folder. The Notify API key is read from a file only its owner
/// can read, or from an environment variable; never from the command line, where other users can see it.
public struct TransportsConfiguration: Sendable {
    public let path: String
    public let byChannel: [OutboxChannel: any MessageTransport]

    static let sectionKeys = ["sms", "email", "notify", "sendmail", "file"]
    static let notifyKeys = [
        "apiKeyFile", "apiKeyEnvironment", "smsTemplateID", "emailTemplateID", "baseURL", "timeoutMs",
    ]
    static let sendmailKeys = ["from", "path", "arguments", "timeoutMs"]
    static let fileKeys = ["path"]

    public init(path: String, byChannel: [OutboxChannel: any MessageTransport]) {
        self.path = path
        self.byChannel = byChannel
    }

    public static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) throws -> TransportsConfiguration {
        let text: String
        switch readSmallTextFile(path, bytesMax: TransportLimits.transportsFileBytesMax) {
        case .success(let read): text = read
        case .failure(let failed): throw TransportConfigurationError(path: path, problems: [failed.reason])
        }
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw TransportConfigurationError(
                path: path,
                problems: ["line \(error.source.begin.line): \(error.description); fix the TOML syntax"])
        } catch {
            throw TransportConfigurationError(path: path, problems: ["it is not TOML (\(error)); fix the TOML syntax"])
        }
        var reader = Reader(
            folder: (path as NSString).deletingLastPathComponent, environment: environment, clock: clock)
        let transports = reader.read(root)
        guard reader.problems.isEmpty else { throw TransportConfigurationError(path: path, problems: reader.problems) }
        return TransportsConfiguration(path: path, byChannel: transports)
    }

    /// Reads the file, noting every problem rather than stopping at the first.
    struct Reader {
        let folder: String
        let environment: [String: String]
        let clock: @Sendable () -> Date
        var problems: [String] = []

        mutating func note(_ problem: String) { problems.append(problem) }

        func resolve(_ relative: String) -> String {
            relative.hasPrefix("/")
                ? relative : ((folder.isEmpty ? "." : folder) as NSString).appendingPathComponent(relative)
        }

        mutating func checkKeys(_ table: TOMLTable, _ allowed: [String], in place: String) {
            for key in table.keys.sorted() where !allowed.contains(key) {
                note("\(place): unknown key '\(key)'; the keys are \(allowed.joined(separator: ", "))")
            }
        }

        mutating func string(_ table: TOMLTable, _ key: String, in place: String) -> String? {
            guard let value = table[key] else { return nil }
            guard let text = value.string else {
                note("\(place): \(key) must be a string, not a TOML \(value.type)")
                return nil
            }
            return text
        }

        mutating func timeout(_ table: TOMLTable, in place: String, default value: Int) -> Int {
            guard let given = table["timeoutMs"] else { return value }
            guard let ms = given.int, (1...TransportLimits.transportTimeoutMsMax).contains(ms) else {
                note("\(place): timeoutMs must be a whole number from 1 to \(TransportLimits.transportTimeoutMsMax)")
                return value
            }
            return ms
        }

        mutating func read(_ root: TOMLTable) -> [OutboxChannel: any MessageTransport] {
            checkKeys(root, ["transports"], in: "the file")
            guard let section = root["transports"]?.table else {
                note(
                    "there is no [transports] section: add one naming the transport of each channel, "
                        + "e.g. sms = \"file\""
                )
                return [:]
            }
            checkKeys(section, TransportsConfiguration.sectionKeys, in: "[transports]")
            var chosen: [OutboxChannel: String] = [:]
            for channel in OutboxChannel.allCases {
                guard let name = string(section, channel.rawValue, in: "[transports]") else { continue }
                let allowed = channel == .sms ? ["notify", "file"] : ["sendmail", "notify", "file"]
                guard allowed.contains(name) else {
                    note(
                        "[transports]: \(channel) = \"\(name)\" is not a transport for \(channel); use one of "
                            + allowed.joined(separator: ", "))
                    continue
                }
                chosen[channel] = name
            }
            if chosen.isEmpty, problems.isEmpty {
                note("[transports] names no channel: add sms = \"…\" or email = \"…\"")
            }
            var built: [String: any MessageTransport] = [:]
            for name in Set(chosen.values).sorted() {
                guard let table = section[name]?.table else {
                    let users = chosen.filter { $0.value == name }.keys.map(\.rawValue).sorted()
                    note(
                        "[transports.\(name)] is missing, and \(users.joined(separator: " and ")) use it: "
                            + "add the section"
                    )
                    continue
                }
                let transport: (any MessageTransport)? =
                    switch name {
                    case "notify": notify(table, channels: Set(chosen.filter { $0.value == name }.keys))
                    case "sendmail": sendmail(table)
                    default: file(table)
                    }
                if let transport { built[name] = transport }
            }
            for name in ["notify", "sendmail", "file"] where !chosen.values.contains(name) {
                if let table = section[name]?.table {
                    checkKeys(table, Self.keys(of: name), in: "[transports.\(name)]")
                }
            }
            return chosen.compactMapValues { built[$0] }
        }

        static func keys(of transport: String) -> [String] {
            switch transport {
            case "notify": TransportsConfiguration.notifyKeys
            case "sendmail": TransportsConfiguration.sendmailKeys
            default: TransportsConfiguration.fileKeys
            }
        }

        mutating func notify(_ table: TOMLTable, channels: Set<OutboxChannel>) -> NotifyTransport? {
            let place = "[transports.notify]"
            checkKeys(table, TransportsConfiguration.notifyKeys, in: place)
            let keyText: String?
            switch (string(table, "apiKeyFile", in: place), string(table, "apiKeyEnvironment", in: place)) {
            case (let file?, nil): keyText = readKeyFile(resolve(file))
            case (nil, let variable?):
                keyText = environment[variable].flatMap { $0.isEmpty ? nil : $0 }
                if keyText == nil {
                    note("\(place): the environment variable \(variable) is not set; set it to the API key")
                }
            case (.some, .some):
                note("\(place): give apiKeyFile or apiKeyEnvironment, not both")
                keyText = nil
            case (nil, nil):
                note("\(place): give apiKeyFile (a file of mode 0600 holding the key) or apiKeyEnvironment")
                keyText = nil
            }
            var key: NotifyAPIKey?
            if let keyText {
                do { key = try NotifyAPIKey(parsing: keyText) } catch let error as TransportConfigurationError {
                    problems += error.problems.map { "\(place): \($0)" }
                } catch { note("\(place): \(error)") }
            }
            var templates: [OutboxChannel: String] = [:]
            for channel in OutboxChannel.allCases {
                let field = "\(channel.rawValue)TemplateID"
                guard let id = string(table, field, in: place) else {
                    if channels.contains(channel) {
                        note("\(place): \(field) is missing; \(channel) is sent through Notify")
                    }
                    continue
                }
                if NotifyAPIKey.isUUID(id) {
                    templates[channel] = id.lowercased()
                } else {
                    note("\(place): \(field) '\(id)' is not a template id (a UUID from the template's page in Notify)")
                }
            }
            var baseURL = NotifyTransport.defaultBaseURL
            if let text = string(table, "baseURL", in: place) {
                if let url = URL(string: text), let host = url.host,
                    url.scheme == "https" || (url.scheme == "http" && Self.isLoopback(host))
                {
                    baseURL = url
                } else {
                    note(
                        "\(place): baseURL '\(text)' must be an https:// URL (http:// only to this machine), "
                            + "e.g. \(NotifyTransport.defaultBaseURL)")
                }
            }
            let timeoutMs = timeout(table, in: place, default: TransportLimits.notifyTimeoutMsDefault)
            guard let key else { return nil }
            return NotifyTransport(
                baseURL: baseURL, key: key, smsTemplateID: templates[.sms], emailTemplateID: templates[.email],
                timeoutMs: timeoutMs, clock: clock)
        }

        static func isLoopback(_ host: String) -> Bool { host == "127.0.0.1" || host == "localhost" || host == "::1" }

        /// The key, from a file no other user can read.
        mutating func readKeyFile(_ path: String) -> String? {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue
            else {
                note("[transports.notify]: the API key file \(path) does not exist; put the key in it with mode 0600")
                return nil
            }
            guard mode & 0o077 == 0 else {
                note(
                    "[transports.notify]: the API key file \(path) has mode \(String(mode & 0o777, radix: 8)) and "
                        + "may be read by other users; run `chmod 600 \(path)`")
                return nil
            }
            switch readSmallTextFile(path, bytesMax: TransportLimits.apiKeyFileBytesMax) {
            case .success(let text): return text
            case .failure(let failed):
                note("[transports.notify]: the API key file \(path): \(failed.reason)")
                return nil
            }
        }

        mutating func sendmail(_ table: TOMLTable) -> SendmailTransport? {
            let place = "[transports.sendmail]"
            checkKeys(table, TransportsConfiguration.sendmailKeys, in: place)
            var from: MailSender?
            if let text = string(table, "from", in: place) {
                do { from = try MailSender(parsing: text) } catch { note("\(place): \(error)") }
            } else {
                note("\(place): from is missing, e.g. from = \"Out of hours service <ooh@example.gov.uk>\"")
            }
            let path = string(table, "path", in: place).map(resolve) ?? SendmailTransport.defaultPath
            var arguments = SendmailTransport.defaultArguments
            if let value = table["arguments"] {
                let items = value.array.map { Array($0) } ?? []
                let strings = items.compactMap(\.string)
                if value.array == nil || strings.count != items.count
                    || strings.count > TransportLimits.commandArgumentsMax
                {
                    note(
                        "\(place): arguments must be a list of at most \(TransportLimits.commandArgumentsMax) strings, "
                            + "e.g. [\"-t\", \"-i\"]")
                } else {
                    arguments = strings
                }
            }
            let timeoutMs = timeout(table, in: place, default: TransportLimits.sendmailTimeoutMsDefault)
            guard let from else { return nil }
            return SendmailTransport(path: path, arguments: arguments, from: from, timeoutMs: timeoutMs, clock: clock)
        }

        mutating func file(_ table: TOMLTable) -> FileTransport? {
            let place = "[transports.file]"
            checkKeys(table, TransportsConfiguration.fileKeys, in: place)
            guard let path = string(table, "path", in: place) else {
                note("\(place): path is missing, e.g. path = \"outbox.jsonl\"")
                return nil
            }
            return FileTransport(path: resolve(path), clock: clock)
        }
    }
}
