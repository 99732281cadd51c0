/// Failures of the store that a person can act on.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The database was written by a newer Nightdesk whose migrations this version does not know.
    case newerSchema(path: String, unknownMigrations: [String])
    /// The database has not been initialised for a site.
    case notInitialised(path: String)
    /// The database belongs to another site.
    case siteMismatch(path: String, expected: String, found: String)
    /// No call has that reference here.
    case callNotFound(reference: String)
    /// No address with that UPRN in any gazetteer, and no text to log the call with.
    case addressNotFound(uprn: Int64, organisation: String)
    /// The catalogue has not been loaded.
    case noCatalogue
    /// This site does not hold the organisation's data (it is a replica of others): it cannot write it.
    case scopeNotHeld(scope: String, held: [String])

    public var description: String {
        switch self {
        case .newerSchema(let path, let unknown):
            "the database \(path) was written by a newer version of Nightdesk (migrations "
                + "\(unknown.joined(separator: ", ")) are unknown here); upgrade nightdesk on this machine, "
                + "do not open it with this version"
        case .notInitialised(let path):
            "the database \(path) is not initialised for a site; run `nightdesk init`"
        case .siteMismatch(let path, let expected, let found):
            "the data folder \(path) belongs to site \(found), not \(expected); use that site's own data folder"
        case .scopeNotHeld(let scope, let held):
            "this site does not hold \(scope)'s data (its topology gives it \(held.joined(separator: ", "))): "
                + "log and update \(scope)'s calls at a site that holds it"
        case .callNotFound(let reference):
            "no call with reference \(reference) is held here; check the reference, or search with `nightdesk call search`"
        case .addressNotFound(let uprn, let organisation):
            "UPRN \(uprn) is in no gazetteer held here (\(organisation) checked); give the address as text with --address "
                + "so the call can still be logged"
        case .noCatalogue:
            "no catalogue is loaded; run `nightdesk init` with --catalogue"
        }
    }
}
