import Domain
import Foundation
import GRDB
import Replication

/// A draft of an import batch that the domain rules refused; nothing of the batch was written.
public struct CallImportError: Error, Sendable, CustomStringConvertible {
    /// Position of the refused draft in the batch, from 0.
    public let index: Int
    public let offeredAt: Date
    public let problems: [String]

    public var description: String {
        "call \(index + 1) of the import batch (offered \(offeredAt.formatted(.iso8601))) was refused, so none of "
            + "the batch was imported; fix it and import the batch again: " + problems.joined(separator: "; ")
    }
}

extension AppDatabase {
    /// Most calls one import batch may hold: one transaction, so the writer is held for its whole length.
    public static let importBatchCallsMax = 10_000
    /// Most calls in one change set of an import: three operations at most each, under the change set limit.
    static let importCallsPerChangeSetMax = ReplicationLimits.operationsPerChangeSetMax / 3

    /// Imports a batch of past calls (the incumbent's history at transition) in one all-or-nothing transaction.
    @discardableResult
    public func importCalls(_ drafts: [CallDraft], author: String, at instant: Date) throws -> [CallReference] {
        precondition(drafts.count <= Self.importBatchCallsMax, "call import batch over its limit")
        guard !drafts.isEmpty else { return [] }
        // Same rules and the same reference serial as `logCall`, but no duplicate check: a migrated history
        // already says which calls were linked.
        return try write { db in
            let catalogue = try self.catalogue(db)
            // Check every draft before writing anything, so the error names the first bad one.
            var checked: [[String: Answer]] = []
            checked.reserveCapacity(drafts.count)
            for (index, draft) in drafts.enumerated() {
                do {
                    checked.append(try CallRules.validate(draft, catalogue: catalogue))
                } catch let errors as DomainErrors {
                    throw CallImportError(
                        index: index, offeredAt: draft.offeredAt, problems: errors.errors.map(\.message))
                } catch let error as DomainError {
                    throw CallImportError(index: index, offeredAt: draft.offeredAt, problems: [error.message])
                }
                if let link = draft.linkedTo, try !Self.callExists(db, link) {
                    throw StoreError.callNotFound(reference: link.description)
                }
            }
            // One serial block for the batch, and the site it belongs to, from one write to the identity row: the
            // same counter `logCall` takes one serial from.
            guard
                let issued = try Row.fetchOne(
                    db.cachedStatement(
                        sql: """
                            UPDATE node_identity SET next_call_serial = next_call_serial + ? WHERE id = 1
                            RETURNING site_code, next_call_serial - ? AS first_serial
                            """),
                    arguments: [drafts.count, drafts.count])
            else { throw StoreError.notInitialised(path: self.path) }
            let site = try SiteCode(issued["site_code"])
            let firstSerial: Int64 = issued["first_serial"]
            var calls: [Call] = []
            calls.reserveCapacity(drafts.count)
            for (index, draft) in drafts.enumerated() {
                calls.append(
                    Call(
                        reference: CallReference(site: site, serial: firstSerial + Int64(index)),
                        organisation: draft.organisation, option: draft.option, accessNumber: draft.accessNumber,
                        caller: draft.caller, incidentAddress: draft.incidentAddress, answers: checked[index],
                        details: draft.details, action: draft.action, status: CallStatus.initial(for: draft.action.kind),
                        offeredAt: draft.offeredAt, answeredAt: draft.answeredAt, endedAt: draft.endedAt,
                        linkedTo: draft.linkedTo))
            }
            // One change set per organisation (its data is sealed under its own key), in chunks that keep each
            // change set under the operations limit.
            let byOrganisation = Dictionary(grouping: calls, by: \.organisation)
            for organisation in byOrganisation.keys.sorted() {
                let ofOrganisation = byOrganisation[organisation]!
                for start in stride(from: 0, to: ofOrganisation.count, by: Self.importCallsPerChangeSetMax) {
                    let chunk = ofOrganisation[start..<min(start + Self.importCallsPerChangeSetMax, ofOrganisation.count)]
                    try commitLocal(db, at: instant, scope: .organisation(organisation.rawValue)) { context in
                        var operations: [RowOperation] = []
                        operations.reserveCapacity(chunk.count * 2)
                        var element = 0
                        for call in chunk {
                            operations.append(
                                RowOperation(
                                    table: ReplicatedTables.call.table, key: call.reference.description,
                                    action: .upsert(fields: try Self.fields(of: call), supersedes: [:])))
                            var summary = "imported: \(call.action.kind.rawValue)"
                            if let detail = call.action.detail { summary += " (\(detail))" }
                            operations.append(
                                Self.event(context, element, call, at: instant, author: author, kind: .logged, summary: summary))
                            element += 1
                            if let link = call.linkedTo {
                                operations.append(
                                    Self.event(
                                        context, element, call, at: instant, author: author, kind: .linked,
                                        summary: "linked to earlier call \(link)"))
                                element += 1
                            }
                        }
                        return operations
                    }
                }
            }
            let references = calls.map(\.reference)
            return references
        }
    }
}
