import Domain
import Foundation

/// Reads an address gazetteer in the OS Open UPRN column layout joined with BS 7666-style address text (7.11).
///
/// The header must begin `UPRN,X_COORDINATE,Y_COORDINATE,LATITUDE,LONGITUDE` and name the address columns
/// `SAON,PAON,STREET,LOCALITY,TOWN,POSTCODE,WARD` in any order after them. Quoting follows RFC 4180.
public enum GazetteerCSV {
    public static let coordinateColumns = ["UPRN", "X_COORDINATE", "Y_COORDINATE", "LATITUDE", "LONGITUDE"]
    public static let addressColumns = ["SAON", "PAON", "STREET", "LOCALITY", "TOWN", "POSTCODE", "WARD"]
    /// Problems reported before giving up on a file; the rest are the same mistake repeated.
    public static let problemsReportedMax = 20

    /// Parses a whole file; any bad row fails the import, so a gazetteer is never half-loaded.
    public static func parse(_ text: String, source: String) throws -> [GazetteerAddress] {
        // Spreadsheets save "CSV UTF-8" with a byte order mark, which would otherwise stick to the first column name.
        let body = text.unicodeScalars.first == "\u{FEFF}" ? String(text.unicodeScalars.dropFirst()) : text
        var records = try rows(body, source: source)
        guard !records.isEmpty else {
            throw DomainError(.invalidValue, "\(source): the file is empty; expected a header line and addresses")
        }
        let header = records.removeFirst().fields.map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
        guard Array(header.prefix(5)) == coordinateColumns else {
            throw DomainError(
                .invalidValue,
                "\(source): the header must begin \(coordinateColumns.joined(separator: ",")) (the OS Open UPRN "
                    + "layout); found \(header.prefix(5).joined(separator: ","))")
        }
        var index: [String: Int] = [:]
        for column in addressColumns {
            guard let position = header.firstIndex(of: column) else {
                throw DomainError(
                    .invalidValue,
                    "\(source): the header has no \(column) column; address columns are "
                        + addressColumns.joined(separator: ","))
            }
            index[column] = position
        }
        var problems: [DomainError] = []
        var addresses: [GazetteerAddress] = []
        var seen: [UPRN: Int] = [:]
        for (line, record) in records {
            if record.count == 1 && record[0].isEmpty { continue }
            guard problems.count < problemsReportedMax else { break }
            guard record.count == header.count else {
                problems.append(
                    DomainError(
                        .invalidValue, "\(source) line \(line): \(record.count) fields, the header has \(header.count)"))
                continue
            }
            do {
                func number(_ position: Int, _ name: String) throws -> Double {
                    guard let value = Double(record[position].trimmingCharacters(in: .whitespaces)), value.isFinite
                    else {
                        throw DomainError(.invalidValue, "\(name) '\(record[position])' is not a number")
                    }
                    return value
                }
                func text(_ column: String) -> String {
                    record[index[column]!].trimmingCharacters(in: .whitespaces)
                }
                let uprn = try UPRN(parsing: record[0])
                if let first = seen[uprn] {
                    throw DomainError(.invalidValue, "UPRN \(uprn) appears again (first on line \(first))")
                }
                seen[uprn] = line
                addresses.append(
                    try GazetteerAddress(
                        uprn: uprn, eastingMetres: try number(1, "X_COORDINATE"),
                        northingMetres: try number(2, "Y_COORDINATE"), latitude: try number(3, "LATITUDE"),
                        longitude: try number(4, "LONGITUDE"), saon: text("SAON"), paon: text("PAON"),
                        street: text("STREET"), locality: text("LOCALITY"), town: text("TOWN"),
                        postcode: text("POSTCODE").uppercased(), ward: text("WARD")))
            } catch let error as DomainError {
                problems.append(DomainError(.invalidValue, "\(source) line \(line): \(error.message)"))
            }
        }
        guard problems.isEmpty else { throw DomainErrors(problems) }
        return addresses
    }

    /// Splits RFC 4180 CSV into records of fields, each with the line it starts on.
    ///
    /// A quoted field may hold line breaks, so a record's line is counted, not taken from its position.
    static func rows(_ text: String, source: String) throws -> [(line: Int, fields: [String])] {
        var records: [(line: Int, fields: [String])] = []
        var record: [String] = []
        var field = ""
        var inQuotes = false
        var line = 1
        var recordLine = 1
        var quoteLine = 1
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let scalar = pending {
                pending = nil
                return scalar
            }
            return iterator.next()
        }
        while let scalar = next() {
            if inQuotes {
                if scalar == "\"" {
                    if let following = next() {
                        if following == "\"" {
                            field.unicodeScalars.append("\"")
                        } else {
                            inQuotes = false
                            pending = following
                        }
                    } else {
                        inQuotes = false
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"":
                guard field.isEmpty else {
                    throw DomainError(.invalidValue, "\(source) line \(line): a quote inside an unquoted field")
                }
                inQuotes = true
                quoteLine = line
            case ",":
                record.append(field)
                field = ""
            case "\r":
                continue
            case "\n":
                record.append(field)
                records.append((recordLine, record))
                record = []
                field = ""
                line += 1
                recordLine = line
            default:
                field.unicodeScalars.append(scalar)
            }
        }
        if inQuotes {
            throw DomainError(.invalidValue, "\(source) line \(quoteLine): a quoted field is never closed")
        }
        if !field.isEmpty || !record.isEmpty {
            record.append(field)
            records.append((recordLine, record))
        }
        return records
    }
}
