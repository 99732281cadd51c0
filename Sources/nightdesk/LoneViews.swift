import Domain
import Foundation

/// A lone-worker session as `lone` commands print it, in text or JSON (5.2.3.6).
struct LoneSessionView: Encodable {
    let reference: String
    let organisation: String
    let staff: String
    let manager: String?
    let officer: String
    let callerPhone: String
    let location: String
    let task: String
    /// active, overdue, red, closed or resolved.
    let state: String
    /// missed-check-out or duress, when red.
    let redReason: String?
    let startedAt: Date
    let deadline: Date

    init(_ session: LoneWorkerSession, at now: Date) {
        let start = session.start
        reference = start.call.description
        organisation = start.officer.organisation.rawValue
        staff = start.officer.staff.rawValue
        manager = start.officer.manager?.rawValue
        officer = start.officer.name
        callerPhone = start.officer.callerNumber.e164
        location = start.location
        task = start.task
        startedAt = start.startedAt
        deadline = session.deadline
        switch session.state(at: now) {
        case .active: (state, redReason) = ("active", nil)
        case .overdue: (state, redReason) = ("overdue", nil)
        case .red(let reason): (state, redReason) = ("red", reason.rawValue)
        case .closed: (state, redReason) = ("closed", nil)
        case .resolved: (state, redReason) = ("resolved", nil)
        }
    }

    /// The state in capitals when it needs a handler now, so red and amber stand out on the board.
    var marker: String {
        switch state {
        case "red": "RED (\(redReason ?? ""))"
        case "overdue": "AMBER (overdue)"
        default: state
        }
    }

    var boardLine: String {
        "\(marker.padding(toLength: 22, withPad: " ", startingAt: 0))\(reference)  \(organisation)  \(officer) "
            + "(\(staff)) at \(location): due out by \(london(deadline))"
    }

    /// One timeline entry with its time in London.
    static func line(_ event: LoneWorkerEvent) -> String {
        let what: String
        switch event.kind {
        case .started(let deadline): what = "started, due out by \(london(deadline))"
        case .checkedIn(let deadline): what = "checked in, due out by \(london(deadline))"
        case .amberRaised(let deadline): what = "AMBER: no check-out by \(london(deadline))"
        case .acknowledged(let handler): what = "amber acknowledged by \(handler)"
        case .redRaised(let reason): what = "RED raised: \(reason.rawValue)"
        case .checkedOut: what = "checked out"
        case .duressCodeGiven: what = "DURESS code given"
        case .resolved(let handler, let note): what = "resolved by \(handler): \(note)"
        }
        return "\(london(event.at))  \(what)"
    }
}
