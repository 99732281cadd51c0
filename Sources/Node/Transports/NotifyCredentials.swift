import Crypto
import Foundation

/// A GOV.UK Notify API key: `{key_name}-{service_id}-{secret_key}`, the last two UUIDs of 36 characters.
///
/// The key is a secret: it is never printed, logged or part of an error message; `description` names only the
/// key and its service.
public struct NotifyAPIKey: Sendable, Equatable, CustomStringConvertible {
    public let keyName: String
    public let serviceID: String
    let secretKey: String

    /// Splits and checks a key as Notify issues it; the message of a failure never repeats the key.
    public init(parsing text: String) throws {
        let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let uuidLength = 36
        // name, "-", service id, "-", secret: the two UUIDs are taken from the end, as Notify's own clients do,
        // because a key name may itself contain hyphens.
        guard key.count >= 2 * uuidLength + 3 else {
            throw TransportConfigurationError(
                "the Notify API key is \(key.count) characters; a key is its name, the service id and the secret "
                    + "key joined by hyphens (at least 75 characters): copy the whole key from Notify's API page")
        }
        let secret = String(key.suffix(uuidLength))
        let beforeSecret = key.dropLast(uuidLength)
        let service = String(beforeSecret.dropLast().suffix(uuidLength))
        let name = String(beforeSecret.dropLast(uuidLength + 2))
        guard beforeSecret.last == "-", beforeSecret.dropLast(uuidLength + 1).last == "-", !name.isEmpty else {
            throw TransportConfigurationError(
                "the Notify API key is not of the form {key_name}-{service_id}-{secret_key}; copy the whole key")
        }
        guard Self.isUUID(service) else {
            throw TransportConfigurationError(
                "the Notify API key's service id part is not a UUID; copy the whole key from Notify's API page")
        }
        guard Self.isUUID(secret) else {
            throw TransportConfigurationError(
                "the Notify API key's secret part is not a UUID; copy the whole key from Notify's API page")
        }
        keyName = name
        serviceID = service.lowercased()
        secretKey = secret
    }

    static func isUUID(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        return groups.map(\.count) == [8, 4, 4, 4, 12] && groups.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }

    public var description: String { "Notify key '\(keyName)' of service \(serviceID)" }
}

/// The bearer token Notify requires on every request: a JWT signed with HMAC-SHA256 under the secret key.
///
/// Header `{"typ":"JWT","alg":"HS256"}`, claims `{"iss":<service id>,"iat":<seconds>}`; Notify refuses a token
/// whose `iat` is more than 30 seconds from its own clock, so one is made for each request.
enum NotifyToken {
    static func make(key: NotifyAPIKey, issuedAtSeconds: Int64) -> String {
        make(serviceID: key.serviceID, secretKey: key.secretKey, issuedAtSeconds: issuedAtSeconds)
    }

    static func make(serviceID: String, secretKey: String, issuedAtSeconds: Int64) -> String {
        // Written by hand rather than encoded, so the bytes signed are fixed (JSONEncoder's key order is not).
        let header = #"{"typ":"JWT","alg":"HS256"}"#
        let claims = #"{"iss":"\#(serviceID)","iat":\#(issuedAtSeconds)}"#
        let signingInput = base64URL(Data(header.utf8)) + "." + base64URL(Data(claims.utf8))
        let signature = HMAC<SHA256>.authenticationCode(
            for: Data(signingInput.utf8), using: SymmetricKey(data: Data(secretKey.utf8)))
        return signingInput + "." + base64URL(Data(signature))
    }

    /// Base64 with the URL alphabet and no padding (RFC 7515 2).
    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
