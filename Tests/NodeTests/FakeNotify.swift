import Crypto
import Foundation
import Hummingbird
import Logging
import Synchronization
import Testing

/// A stand-in for GOV.UK Notify on 127.0.0.1, on a port of its own: it checks every request's token as Notify
/// does (HS256 signature under the service's secret, `iss` the service id, `iat` within 30 s of its clock) and
/// answers in Notify's JSON shapes.
final class FakeNotify: Sendable {
    static let serviceID = "26785a09-ab16-4eb0-8407-a37497a57506"
    static let secretKey = "3d844edf-8d35-48ac-975b-e847b4f122b0"
    static let apiKey = "nightdesk-test-key-\(serviceID)-\(secretKey)"
    static let smsTemplate = "f33517ff-2a88-4f6e-b855-c550268ce08a"
    static let emailTemplate = "8f5a1b6c-0d2e-4c3b-9a7f-6e5d4c3b2a10"

    /// A request as the fake received it.
    struct Received: Sendable {
        let method: String
        let path: String
        let json: [String: String]
        let personalisation: [String: String]
    }

    struct State {
        var received: [Received] = []
        /// reference → notification id
        var notifications: [String: String] = [:]
        /// Answers to give to the next requests instead of accepting them: status, error name, message.
        var failures: [(Int, String, String)] = []
    }

    let state = Mutex(State())
    let port: Int

    private init(port: Int) { self.port = port }

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }
    var received: [Received] { state.withLock { $0.received } }

    /// The next request gets this Notify error instead of being accepted.
    func failNext(status: Int, error: String, message: String) {
        state.withLock { $0.failures.append((status, error, message)) }
    }

    /// Runs `body` with a fake listening on a random port, then stops it.
    static func run<T>(_ body: (FakeNotify) async throws -> T) async throws -> T {
        let ready = Mutex<Int?>(nil)
        let holder = Mutex<FakeNotify?>(nil)
        let router = Router()
        router.post("/v2/notifications/sms") { request, _ in
            try await holder.withLock { $0 }!.accept(request, kind: "sms")
        }
        router.post("/v2/notifications/email") { request, _ in
            try await holder.withLock { $0 }!.accept(request, kind: "email")
        }
        router.get("/v2/notifications") { request, _ in
            holder.withLock { $0 }!.list(request)
        }
        var logger = Logger(label: "fake-notify")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in ready.withLock { $0 = channel.localAddress?.port } }, logger: logger)
        let server = Task { try await app.runService(gracefulShutdownSignals: []) }
        defer { server.cancel() }
        let deadline = ContinuousClock.now + .seconds(30)
        while ready.withLock({ $0 }) == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let port = try #require(ready.withLock { $0 }, "the fake Notify server did not start")
        let fake = FakeNotify(port: port)
        holder.withLock { $0 = fake }
        return try await body(fake)
    }

    func respond(_ status: Int, _ object: Any) -> Response {
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return Response(
            status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    func error(_ status: Int, _ name: String, _ message: String) -> Response {
        respond(status, ["status_code": status, "errors": [["error": name, "message": message]]])
    }

    /// Checks the bearer token; the refusal Notify would give, or `nil` when it is good.
    func refusal(_ request: Request) -> Response? {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            return error(401, "AuthError", "Unauthorized: authentication token must be provided")
        }
        let parts = header.dropFirst("Bearer ".count).split(separator: ".", omittingEmptySubsequences: false).map(
            String.init)
        guard parts.count == 3, let headerJSON = Self.json(parts[0]), let claims = Self.json(parts[1]) else {
            return error(403, "AuthError", "Invalid token: not a JWT")
        }
        guard headerJSON["alg"] as? String == "HS256", headerJSON["typ"] as? String == "JWT" else {
            return error(403, "AuthError", "Invalid token: algorithm used is not HS256")
        }
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data((parts[0] + "." + parts[1]).utf8), using: SymmetricKey(data: Data(Self.secretKey.utf8)))
        guard Self.base64URL(Data(mac)) == parts[2] else {
            return error(403, "AuthError", "Invalid token: signature, api token not found")
        }
        guard claims["iss"] as? String == Self.serviceID else {
            return error(403, "AuthError", "Invalid token: service not found")
        }
        guard let iat = claims["iat"] as? Int, abs(Int(Date().timeIntervalSince1970) - iat) <= 30 else {
            return error(403, "AuthError", "Error: Your system clock must be accurate to within 30 seconds")
        }
        return nil
    }

    func accept(_ request: Request, kind: String) async throws -> Response {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        if let refused = refusal(request) { return refused }
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]
        else {
            return error(400, "BadRequestError", "Invalid JSON")
        }
        let personalisation = object["personalisation"] as? [String: String] ?? [:]
        let fields = object.compactMapValues { $0 as? String }
        state.withLock {
            $0.received.append(
                Received(
                    method: "POST", path: "/v2/notifications/\(kind)", json: fields, personalisation: personalisation))
        }
        if let failure = state.withLock({ $0.failures.isEmpty ? nil : $0.failures.removeFirst() }) {
            return error(failure.0, failure.1, failure.2)
        }
        let template = kind == "sms" ? Self.smsTemplate : Self.emailTemplate
        guard fields["template_id"] == template else {
            return error(400, "BadRequestError", "Template not found")
        }
        let id = UUID().uuidString.lowercased()
        let reference = fields["reference"]
        state.withLock { $0.notifications[reference ?? id] = id }
        var content: [String: Any] = ["body": personalisation["body"] ?? ""]
        if kind == "email" { content["subject"] = personalisation["subject"] ?? "" }
        return respond(
            201,
            [
                "id": id, "reference": reference as Any, "content": content,
                "uri": "\(baseURL)/v2/notifications/\(id)",
                "template": ["id": template, "version": 1, "uri": "\(baseURL)/services/x/templates/\(template)"],
            ])
    }

    func list(_ request: Request) -> Response {
        if let refused = refusal(request) { return refused }
        let reference = request.uri.queryParameters.get("reference")
        state.withLock {
            $0.received.append(
                Received(
                    method: "GET", path: "/v2/notifications", json: ["reference": reference ?? ""], personalisation: [:]
                ))
        }
        let found = state.withLock { state in reference.flatMap { state.notifications[$0] } }
        let notifications: [[String: Any]] =
            found.map { [["id": $0, "reference": reference!, "status": "delivered", "type": "sms"]] } ?? []
        return respond(200, ["notifications": notifications, "links": ["current": "\(baseURL)/v2/notifications"]])
    }

    static func json(_ part: String) -> [String: Any]? {
        var base64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
