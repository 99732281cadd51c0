import Foundation
import Store

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Sends SMS and email through GOV.UK Notify's REST API (v2), which most councils already use.
///
/// Each message is sent with a template of the organisation's Notify service: the SMS template's content is
/// `((body))`; the email template's subject is `((subject))` and its content `((body))`. The outbox message id
/// goes as `reference`, so after an interrupted attempt the notification can be looked up instead of being
/// sent a second time (README, "the delivery rule").
public struct NotifyTransport: MessageTransport {
    public static let defaultBaseURL = URL(string: "https://api.notifications.service.gov.uk")!

    public let name = "notify"
    /// Every site sends through the cluster's one Notify service, so a reference is found whichever site sent it.
    public var lookUpCoversOtherSites: Bool { true }
    public var channels: Set<OutboxChannel> {
        Set([smsTemplateID.map { _ in OutboxChannel.sms }, emailTemplateID.map { _ in .email }].compactMap { $0 })
    }
    public let baseURL: URL
    let key: NotifyAPIKey
    public let smsTemplateID: String?
    public let emailTemplateID: String?
    public let timeoutMs: Int
    let clock: @Sendable () -> Date
    private let session: URLSession

    public init(
        baseURL: URL = Self.defaultBaseURL, key: NotifyAPIKey, smsTemplateID: String?, emailTemplateID: String?,
        timeoutMs: Int = TransportLimits.notifyTimeoutMsDefault, clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        precondition(
            timeoutMs > 0 && timeoutMs <= TransportLimits.transportTimeoutMsMax, "Notify time limit out of range")
        self.baseURL = baseURL
        self.key = key
        self.smsTemplateID = smsTemplateID
        self.emailTemplateID = emailTemplateID
        self.timeoutMs = timeoutMs
        self.clock = clock
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = Double(timeoutMs) / 1000
        configuration.timeoutIntervalForResource = Double(timeoutMs) / 1000
        session = URLSession(configuration: configuration)
    }

    struct SMSRequest: Encodable {
        let phone_number: String
        let template_id: String
        let personalisation: [String: String]
        let reference: String
    }

    struct EmailRequest: Encodable {
        let email_address: String
        let template_id: String
        let personalisation: [String: String]
        let reference: String
    }

    struct Created: Decodable { let id: String }

    struct Listing: Decodable {
        struct Notification: Decodable {
            let id: String
            let reference: String?
        }
        let notifications: [Notification]
    }

    /// Notify's error body: `{"status_code": 400, "errors": [{"error": "BadRequestError", "message": "…"}]}`.
    struct ErrorBody: Decodable {
        struct Item: Decodable {
            let error: String
            let message: String
        }
        let errors: [Item]
    }

    public func send(_ message: OutboxMessage) async throws -> DeliveryReceipt {
        let body: Data
        let path: String
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        switch message.channel {
        case .sms:
            guard let template = smsTemplateID else { throw unconfigured(.sms) }
            path = "v2/notifications/sms"
            body = try encoder.encode(
                SMSRequest(
                    phone_number: message.recipient, template_id: template, personalisation: ["body": message.body],
                    reference: message.id.rawValue))
        case .email:
            guard let template = emailTemplateID else { throw unconfigured(.email) }
            path = "v2/notifications/email"
            body = try encoder.encode(
                EmailRequest(
                    email_address: message.recipient, template_id: template,
                    personalisation: ["subject": message.subject ?? "", "body": message.body],
                    reference: message.id.rawValue))
        }
        var request = self.request(path)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let (data, status) = try await perform(request)
        guard status == 201 || status == 200 else { throw failure(status: status, data: data) }
        guard let created = try? JSONDecoder().decode(Created.self, from: data) else {
            throw TransportError(
                .failed, transport: name,
                "Notify answered \(status) without a notification id; the message may have been sent: check "
                    + "Notify's dashboard for reference \(message.id)")
        }
        return DeliveryReceipt(transport: name, providerID: created.id)
    }

    /// Asks Notify for notifications with the message's reference (`GET /v2/notifications?reference=`).
    public func lookUp(_ message: OutboxMessage) async throws -> LookupResult {
        var components = URLComponents(
            url: baseURL.appendingPathComponent("v2/notifications"), resolvingAgainstBaseURL: false)!
        components.queryItems = [URLQueryItem(name: "reference", value: message.id.rawValue)]
        var request = self.request(nil, url: components.url!)
        request.httpMethod = "GET"
        let (data, status) = try await perform(request)
        guard status == 200 else { throw failure(status: status, data: data) }
        guard let listing = try? JSONDecoder().decode(Listing.self, from: data) else {
            throw TransportError(.failed, transport: name, "Notify answered the look-up with something unreadable")
        }
        guard let found = listing.notifications.first(where: { $0.reference == message.id.rawValue }) else {
            return .notFound
        }
        return .accepted(DeliveryReceipt(transport: name, providerID: found.id))
    }

    func request(_ path: String?, url: URL? = nil) -> URLRequest {
        var request = URLRequest(url: url ?? baseURL.appendingPathComponent(path ?? ""))
        request.timeoutInterval = Double(timeoutMs) / 1000
        let token = NotifyToken.make(key: key, issuedAtSeconds: Int64(clock().timeIntervalSince1970))
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("nightdesk", forHTTPHeaderField: "User-Agent")
        return request
    }

    func perform(_ request: URLRequest) async throws -> (Data, Int) {
        let host = request.url?.host ?? baseURL.absoluteString
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            throw TransportError(
                .failed, transport: name,
                "cannot reach Notify at \(host) (\(error.localizedDescription)); tried again later")
        }
        guard data.count <= TransportLimits.responseBytesMax else {
            throw TransportError(
                .failed, transport: name, "Notify's answer was \(data.count) bytes, more than expected")
        }
        return (data, (response as? HTTPURLResponse)?.statusCode ?? 0)
    }

    /// An error answer as the operator needs to read it: Notify's own error names and messages, and what to do.
    func failure(status: Int, data: Data) -> TransportError {
        let items = (try? JSONDecoder().decode(ErrorBody.self, from: data))?.errors ?? []
        let detail =
            items.isEmpty
            ? "no error details" : items.map { "\($0.error): \($0.message)" }.joined(separator: "; ")
        switch status {
        case 400:
            return TransportError(
                .rejected, transport: name,
                "Notify refused the message (400, \(detail)); check the recipient and the template, then queue it again"
            )
        case 401, 403:
            return TransportError(
                .failed, transport: name,
                "Notify refused the API key (\(status), \(detail)); check the key file and that this machine's clock "
                    + "is right (a token is good for 30 s)")
        case 429:
            return TransportError(
                .failed, transport: name, "Notify's rate limit was reached (429, \(detail)); tried again later")
        case 500...599:
            return TransportError(
                .failed, transport: name, "Notify is unavailable (\(status), \(detail)); tried again later")
        default:
            return TransportError(.failed, transport: name, "Notify answered \(status) (\(detail))")
        }
    }

    func unconfigured(_ channel: OutboxChannel) -> TransportError {
        TransportError(
            .failed, transport: name,
            "no Notify template is configured for \(channel); set \(channel)TemplateID in [transports.notify]")
    }
}
