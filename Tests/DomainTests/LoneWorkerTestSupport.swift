import Domain
import Foundation
import NightdeskTestSupport

/// Builders for lone-worker tests, and a stand-in for the password-hashing library: the domain only stores and
/// compares opaque hashes, so a readable fake shows exactly what it is given.
enum LoneWorkers {
    static let normalCode = "Blue Finch"
    static let duressCode = "red kite"
    /// 22:00 UTC on a November night.
    static let startedAt = Fixtures.utc("2026-11-23T22:00:00Z")
    static let call = CallReference(site: try! SiteCode("WST"), serial: 4_321)
    static let handler = try! HandlerID("wst-akhan")
    static let otherHandler = try! HandlerID("est-bjones")

    /// `fake$<salt>$<code as hex>`: salted, so the same code hashes differently each time, as Argon2id does.
    static func hash(_ code: String, salt: Int) -> CredentialHash {
        let hex = code.utf8.map { String($0, radix: 16) }.joined()
        return try! CredentialHash(encoded: "fake$\(salt)$\(hex)")
    }

    static func verify(_ code: String, _ hash: CredentialHash) -> Bool {
        let parts = hash.encoded.split(separator: "$")
        return parts.count == 3 && parts[2] == code.utf8.map { String($0, radix: 16) }.joined()
    }

    static func credentials() -> LoneWorkerCredentials {
        var salt = 0
        return try! LoneWorkerCredentials.enrol(code: normalCode, duressCode: duressCode) { code in
            salt += 1
            return hash(code, salt: salt)
        }
    }

    static func officer() -> LoneWorkerOfficer {
        try! LoneWorkerOfficer(
            staff: OnCallContactID("eal-jsmith"), organisation: OrganisationCode("EAL"),
            manager: OnCallContactID("eal-mmanager"), name: "Jo Smith",
            callerNumber: PhoneNumber(parsing: "07700 900123"), credentials: credentials())
    }

    /// A session started at 22:00 for 45 minutes with a 5-minute acknowledgement window: due out at 22:45.
    static func session(minutes: Int64 = 45, windowMinutes: Int64 = 5) -> LoneWorkerSession {
        LoneWorkerSession(
            start: try! LoneWorkerStart(
                call: call, officer: officer(), location: "14 Acacia Avenue, W5 2AB", task: "Inspect a damaged wall",
                startedAt: startedAt, expectedDuration: .seconds(minutes * 60),
                acknowledgementWindow: .seconds(windowMinutes * 60)))
    }

    /// `minutes` after the start, plus `ms`.
    static func at(_ minutes: Double, ms: Double = 0) -> Date {
        startedAt.addingTimeInterval(minutes * 60 + ms / 1000)
    }
}
