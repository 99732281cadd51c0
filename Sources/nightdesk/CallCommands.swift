import ArgumentParser
import Domain
import Foundation
import Node
import Store

struct CallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Log, find and follow up calls.",
        subcommands: [Log.self, Show.self, Update.self, Search.self, Refer.self])

    struct Log: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Log a call and get its reference number.",
            discussion: """
                The organisation comes from --po or from the access number dialled; the Service Option from \
                --option or from a dedicated access number. Answer the option's script with --answer code=value \
                (see `nightdesk participants show PO`); where the caller cannot say, record --not-known code (5.3.3). \
                Earlier open calls for the same option at the same property or nearby are listed as possible \
                duplicates (5.2.7); link to one with --link-to.
                """)

        @OptionGroup var dataOptions: DataOptions
        @Option(name: .customLong("po"), help: "Participating Organisation code, e.g. EAL.") var organisation: String?
        @Option(name: .long, help: "Service Option code, e.g. noise-patrol.") var option: String?
        @Option(name: .long, help: "The number the caller dialled (identifies the organisation, maybe the option).")
        var accessNumber: String?
        @Option(name: .long, help: "Caller's name.") var callerName: String?
        @Option(name: .long, help: "Caller's phone number.") var callerPhone: String?
        @Option(name: .long, help: "UPRN of the incident address, from the organisation's gazetteer.") var uprn: String?
        @Option(name: .long, help: "Incident address as text (when no UPRN, or to add detail).") var address: String?
        @Option(name: .long, parsing: .singleValue, help: "A script answer, code=value; repeat for each.")
        var answer: [String] = []
        @Option(name: .long, parsing: .singleValue, help: "A script question the caller could not answer; repeatable.")
        var notKnown: [String] = []
        @Option(name: .long, help: "What the caller said.") var details: String = ""
        @Option(
            name: .long,
            help: "What was done: signpost, transfer, refer, resolve, out-of-scope, lone-worker (default: the option's).")
        var action: String?
        @Option(name: .long, help: "Out-of-scope category, transfer target, or signposted service.")
        var actionDetail: String?
        @Option(name: .long, help: "When the call was offered: now, 2026-11-22T21:30 (London) or ISO 8601.")
        var offeredAt: String = "now"
        @Option(name: .long, help: "When it was answered.") var answeredAt: String?
        @Option(name: .long, help: "When it ended.") var endedAt: String?
        @Option(name: .long, help: "Reference of an earlier call about the same issue.") var linkTo: String?
        @Option(name: .long, help: "Handler's name for the timeline.") var handler: String = defaultHandler()
        @Option(name: .long, help: "Radius for possible duplicates, metres.") var duplicateRadiusM: Double =
            DomainLimits.duplicateRadiusMetresDefault
        @Option(name: .long, help: "Look-back window for possible duplicates, hours.") var duplicateWindowHours: Double =
            DomainLimits.duplicateWindowSecondsDefault / 3600
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let now = Date()
                let folder = try dataOptions.open()
                let catalogue = try folder.database.catalogue()
                var organisationCode = try organisation.map(OrganisationCode.init)
                var optionCode = try option.map(ServiceOptionCode.init)
                let dialled = try accessNumber.map(PhoneNumber.init(parsing:))
                if let dialled {
                    guard let access = catalogue.accessNumber(dialled) else {
                        throw DomainError(
                            .invalidValue,
                            "access number \(dialled) is not in the catalogue; check the number or give --po")
                    }
                    if let organisationCode, organisationCode != access.organisation {
                        throw DomainError(
                            .invalidValue,
                            "access number \(dialled) belongs to \(access.organisation), not \(organisationCode)")
                    }
                    organisationCode = access.organisation
                    if optionCode == nil { optionCode = access.option }
                }
                guard let organisationCode else {
                    throw ValidationError("give --po CODE or --access-number NUMBER to say which organisation the call is for")
                }
                guard let optionCode else {
                    throw ValidationError(
                        "give --option CODE (see `nightdesk participants show \(organisationCode)` for the options)")
                }
                guard let organisationEntry = catalogue.organisation(organisationCode) else {
                    throw DomainError(
                        .unknownOrganisation,
                        "organisation \(organisationCode) is not served here; known: "
                            + catalogue.organisations.map(\.code.rawValue).joined(separator: ", "))
                }
                let actionKind: CallActionKind
                if let action {
                    guard let kind = CallActionKind(rawValue: action) else {
                        throw DomainError(
                            .invalidValue,
                            "--action '\(action)' must be one of "
                                + CallActionKind.allCases.map(\.rawValue).joined(separator: ", "))
                    }
                    actionKind = kind
                } else {
                    actionKind = organisationEntry.option(optionCode)?.defaultAction ?? .refer
                }
                let incident = try folder.database.resolveIncidentAddress(
                    organisation: organisationCode, uprn: try uprn.map(UPRN.init(parsing:)), text: address)
                let draft = CallDraft(
                    organisation: organisationCode, option: optionCode, accessNumber: dialled,
                    caller: try Caller(name: callerName, phone: try callerPhone.map(PhoneNumber.init(parsing:))),
                    incidentAddress: incident, answers: try parseAnswers(answer, notKnown: notKnown), details: details,
                    action: CallAction(kind: actionKind, detail: actionDetail),
                    offeredAt: try parseTime(offeredAt, option: "--offered-at", now: now),
                    answeredAt: try answeredAt.map { try parseTime($0, option: "--answered-at", now: now) },
                    endedAt: try endedAt.map { try parseTime($0, option: "--ended-at", now: now) },
                    linkedTo: try linkTo.map(CallReference.init(parsing:)))
                let criteria = try DuplicateCriteria(
                    radiusMetres: duplicateRadiusM, windowSeconds: duplicateWindowHours * 3600)
                let logged = try folder.database.logCall(draft, author: handler, criteria: criteria, at: now)
                if output.json {
                    try printJSON(LoggedView(call: logged.call, possibleDuplicates: logged.possibleDuplicates))
                    return
                }
                print("Logged \(logged.call.reference) — read it to the caller: \(spoken(logged.call.reference))")
                print("  \(organisationEntry.name): \(optionCode), \(logged.call.action.kind.rawValue), status \(logged.call.status.rawValue)")
                if let incident = logged.call.incidentAddress {
                    print("  address: \(incident.text) [\(incident.verification.rawValue)\(incident.uprn.map { ", UPRN \($0)" } ?? "")]")
                    if incident.verification == .outsideBoundary {
                        print("  warning: this address is outside \(organisationCode)'s gazetteer; check the organisation")
                    }
                }
                if !logged.possibleDuplicates.isEmpty {
                    print("  Possible duplicates (earlier open calls nearby, 5.2.7):")
                    for earlier in logged.possibleDuplicates {
                        print("    \(earlier.reference)  \(london(earlier.offeredAt))  \(earlier.incidentAddress?.text ?? "")")
                    }
                    print("  Link with: nightdesk call update \(logged.call.reference) --link-to REFERENCE")
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a call with its timeline and notes.")
        @Argument(help: "The call's reference, e.g. WST-222-2223.") var reference: String
        @OptionGroup var dataOptions: DataOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let parsed = try CallReference(parsing: reference)
                let folder = try dataOptions.open()
                guard let record = try folder.database.callRecord(parsed) else {
                    throw StoreError.callNotFound(reference: parsed.description)
                }
                if output.json {
                    try printJSON(RecordView(call: record.call, timeline: record.timeline, notes: record.notes))
                    return
                }
                let call = record.call
                print("\(call.reference)  \(call.organisation) \(call.option)  status \(call.status.rawValue)")
                print("  offered \(london(call.offeredAt))"
                    + (call.answeredAt.map { ", answered \(london($0))" } ?? "")
                    + (call.endedAt.map { ", ended \(london($0))" } ?? ""))
                print("  caller: \(call.caller.name ?? "(not given)")\(call.caller.phone.map { ", \($0)" } ?? "")")
                if let address = call.incidentAddress {
                    print("  address: \(address.text) [\(address.verification.rawValue)\(address.uprn.map { ", UPRN \($0)" } ?? "")\(address.ward.map { ", \($0)" } ?? "")]")
                }
                print("  action: \(call.action.kind.rawValue)\(call.action.detail.map { " (\($0))" } ?? "")")
                if let link = call.linkedTo { print("  linked to: \(link)") }
                if call.assignedTo.count > 1 {
                    print("  assigned to: CONFLICT, set at different sites at once: \(call.assignedTo.joined(separator: " / ")); "
                        + "resolve with --assign NAME")
                } else if let person = call.assignedTo.first {
                    print("  assigned to: \(person)")
                }
                for (code, answer) in call.answers.sorted(by: { $0.key < $1.key }) {
                    print("  \(code): \(answer.display)")
                }
                if !call.details.isEmpty { print("  details: \(call.details)") }
                print("  Timeline:")
                for entry in record.timeline {
                    print("    \(london(entry.at))  \(entry.site)  \(entry.author): \(entry.summary)")
                }
                if !record.notes.isEmpty {
                    print("  Notes:")
                    for note in record.notes {
                        print("    \(london(note.at))  \(note.author): \(note.text)")
                    }
                }
            }
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Follow up a call: add a note, answers or details, change its action or status, link it.",
            discussion: "A call's status only moves forward: open → referred → closed.")
        @Argument(help: "The call's reference.") var reference: String
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: "New status: open, referred or closed.") var status: String?
        @Option(name: .long, help: "New action.") var action: String?
        @Option(name: .long, help: "Detail for the new action.") var actionDetail: String?
        @Option(name: .long, parsing: .singleValue, help: "A script answer, code=value; repeatable.")
        var answer: [String] = []
        @Option(name: .long, parsing: .singleValue, help: "A question the caller could not answer; repeatable.")
        var notKnown: [String] = []
        @Option(name: .long, help: "Replace the details.") var details: String?
        @Option(name: .long, help: "Add a note.") var note: String?
        @Option(name: .long, help: "Link to an earlier call about the same issue.") var linkTo: String?
        @Option(name: .long, help: "When it was answered.") var answeredAt: String?
        @Option(name: .long, help: "When it ended.") var endedAt: String?
        @Option(name: .long, help: "Assign the call to this person (ends any conflicting assignment).")
        var assign: String?
        @Option(name: .long, help: "Handler's name for the timeline.") var handler: String = defaultHandler()
        @OptionGroup var output: OutputOptions

        func run() throws {
            try runReportingErrors {
                let now = Date()
                let parsed = try CallReference(parsing: reference)
                var update = CallUpdate()
                update.assignTo = assign
                if let status {
                    guard let value = CallStatus(rawValue: status) else {
                        throw DomainError(.invalidValue, "--status '\(status)' must be open, referred or closed")
                    }
                    update.status = value
                }
                if let action {
                    guard let kind = CallActionKind(rawValue: action) else {
                        throw DomainError(
                            .invalidValue,
                            "--action '\(action)' must be one of "
                                + CallActionKind.allCases.map(\.rawValue).joined(separator: ", "))
                    }
                    update.action = CallAction(kind: kind, detail: actionDetail)
                } else if actionDetail != nil {
                    throw ValidationError("--action-detail goes with --action")
                }
                update.answers = try parseAnswers(answer, notKnown: notKnown)
                update.details = details
                update.note = note
                update.linkTo = try linkTo.map(CallReference.init(parsing:))
                update.answeredAt = try answeredAt.map { try parseTime($0, option: "--answered-at", now: now) }
                update.endedAt = try endedAt.map { try parseTime($0, option: "--ended-at", now: now) }
                let folder = try dataOptions.open()
                let call = try folder.database.updateCall(parsed, update, author: handler, at: now)
                if output.json {
                    try printJSON(call)
                    return
                }
                print("Updated \(call.reference): status \(call.status.rawValue), action \(call.action.kind.rawValue)")
            }
        }
    }

    struct Search: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find earlier calls by caller name, incident address, Service Option and time (7.4.2).",
            discussion: "Words match from their start: --name smi finds Smith and Smithson. Newest calls first.")
        @OptionGroup var dataOptions: DataOptions
        @Option(name: .customLong("po"), help: "Only this organisation.") var organisation: String?
        @Option(name: .long, help: "Only this Service Option.") var option: String?
        @Option(name: .long, help: "Words of the caller's name.") var name: String?
        @Option(name: .long, help: "Words of the incident address (street, postcode…).") var address: String?
        @Option(name: .long, help: "Only calls at this UPRN.") var uprn: String?
        @Option(name: .long, help: "Offered at or after this time.") var from: String?
        @Option(name: .long, help: "Offered at or before this time.") var to: String?
        @Option(name: .long, help: "Only calls in this status.") var status: String?
        @Option(name: .long, help: "Most results (1–\(StoreLimits.searchResultsMax)).") var limit: Int =
            StoreLimits.searchResultsDefault
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (1...StoreLimits.searchResultsMax).contains(limit) else {
                throw ValidationError("--limit must be from 1 to \(StoreLimits.searchResultsMax)")
            }
        }

        func run() throws {
            try runReportingErrors {
                let now = Date()
                var search = CallSearch(limit: limit)
                search.organisation = try organisation.map(OrganisationCode.init)
                search.option = try option.map(ServiceOptionCode.init)
                search.callerName = name
                search.address = address
                search.uprn = try uprn.map(UPRN.init(parsing:))
                search.from = try from.map { try parseTime($0, option: "--from", now: now) }
                search.to = try to.map { try parseTime($0, option: "--to", now: now) }
                if let status {
                    guard let value = CallStatus(rawValue: status) else {
                        throw DomainError(.invalidValue, "--status '\(status)' must be open, referred or closed")
                    }
                    search.status = value
                }
                if let from = search.from, let to = search.to, from > to {
                    throw DomainError(.invalidValue, "--from is after --to; nothing could match")
                }
                let folder = try dataOptions.open()
                let calls = try folder.database.searchCalls(search)
                if output.json {
                    try printJSON(calls)
                    return
                }
                if calls.isEmpty {
                    print("No calls match.")
                }
                for call in calls {
                    print(
                        "\(call.reference)  \(london(call.offeredAt))  \(call.organisation) \(call.option)  "
                            + "\(call.status.rawValue)  \(call.caller.name ?? "-")  \(call.incidentAddress?.text ?? "-")")
                }
            }
        }
    }
}

/// A reference spelt out for reading aloud, e.g. "W S T, 2 2 2, 2 2 2 3".
func spoken(_ reference: CallReference) -> String {
    reference.description.split(separator: "-").map { $0.map(String.init).joined(separator: " ") }
        .joined(separator: ", ")
}

struct LoggedView: Encodable {
    let call: Call
    let possibleDuplicates: [Call]
}

struct RecordView: Encodable {
    let call: Call
    let timeline: [TimelineEntry]
    let notes: [CallNote]
}
