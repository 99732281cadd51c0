import Domain
import Foundation
import TOMLKit

/// The catalogue file (`Topology/participants.toml`) and the gazetteers it names.
public struct CatalogueFile: Sendable {
    public let path: String
    public let catalogue: Catalogue
    /// Gazetteer files by organisation, resolved against the catalogue file's folder.
    public let gazetteerPaths: [OrganisationCode: String]

    /// Reads and checks the whole file; reports every problem found with where it is.
    public init(path: String) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw NodeError.unreadable(path: path, reason: "it cannot be read (\(error.localizedDescription))")
        }
        let document: CatalogueDocument
        do {
            document = try TOMLDecoder().decode(CatalogueDocument.self, from: text)
        } catch let error as TOMLParseError {
            throw NodeError.invalidFile(
                path: path,
                problems: ["line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)"])
        } catch let error as DecodingError {
            throw NodeError.invalidFile(path: path, problems: [Self.explain(error)])
        }
        do {
            catalogue = try document.makeCatalogue()
        } catch let errors as DomainErrors {
            throw NodeError.invalidFile(path: path, problems: errors.errors.map(\.message))
        } catch let error as DomainError {
            throw NodeError.invalidFile(path: path, problems: [error.message])
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        var paths: [OrganisationCode: String] = [:]
        for entry in document.organisation {
            guard let given = entry.gazetteer, let code = try? OrganisationCode(entry.code) else { continue }
            // A relative path is from the catalogue's folder; an absolute one is taken as written.
            let url = given.hasPrefix("/") ? URL(fileURLWithPath: given) : folder.appendingPathComponent(given)
            paths[code] = url.standardizedFileURL.path
        }
        self.path = path
        self.gazetteerPaths = paths
    }

    /// Reads every gazetteer the catalogue names; a missing or bad file fails the whole load.
    public func loadGazetteers() throws -> [OrganisationCode: [GazetteerAddress]] {
        var result: [OrganisationCode: [GazetteerAddress]] = [:]
        for (organisation, path) in gazetteerPaths.sorted(by: { $0.key < $1.key }) {
            result[organisation] = try Self.readGazetteer(path: path)
        }
        return result
    }

    /// Reads one gazetteer CSV file.
    public static func readGazetteer(path: String) throws -> [GazetteerAddress] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw NodeError.unreadable(path: path, reason: "it cannot be read (\(error.localizedDescription))")
        }
        do {
            return try GazetteerCSV.parse(text, source: URL(fileURLWithPath: path).lastPathComponent)
        } catch let errors as DomainErrors {
            throw NodeError.invalidFile(path: path, problems: errors.errors.map(\.message))
        } catch let error as DomainError {
            throw NodeError.invalidFile(path: path, problems: [error.message])
        }
    }

    static func explain(_ error: DecodingError) -> String {
        func place(_ path: [any CodingKey]) -> String {
            path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(place(context.codingPath)): the key '\(key.stringValue)' is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(place(context.codingPath)): \(context.debugDescription)"
        case .dataCorrupted(let context):
            return "\(place(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
