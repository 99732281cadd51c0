import Domain
import Foundation
import Node
import Testing

@Suite struct GazetteerCSVTests {
    static let header = "UPRN,X_COORDINATE,Y_COORDINATE,LATITUDE,LONGITUDE,SAON,PAON,STREET,LOCALITY,TOWN,POSTCODE,WARD"

    /// A good row for `uprn`, with any field replaced by position (0 = UPRN).
    static func row(_ uprn: String = "100021000001", replacing changes: [Int: String] = [:]) -> String {
        var fields = [
            uprn, "516724.82", "179900.22", "51.505989", "-0.319562", "", "Northfield Library", "Heron Walk",
            "West Ealing", "London", "W13 9XG", "Northfield",
        ]
        for (position, value) in changes { fields[position] = value }
        return fields.joined(separator: ",")
    }

    static func file(_ lines: [String], newline: String = "\n") -> String {
        lines.joined(separator: newline) + newline
    }

    /// The messages a parse fails with, or an empty list when it succeeds.
    func problems(_ text: String) -> [String] {
        do {
            _ = try GazetteerCSV.parse(text, source: "TST.csv")
            return []
        } catch let errors as DomainErrors {
            return errors.errors.map(\.message)
        } catch let error as DomainError {
            return [error.message]
        } catch {
            return ["unexpected error: \(error)"]
        }
    }

    @Test func quotedFieldsWithCommasDoubledQuotesAndCRLFLineEndingsAreRead() throws {
        let text = Self.file(
            [
                Self.header,
                #"100021000058,518309.10,182732.18,51.531112,-0.295796,"Flat A, Ground Floor",5,Laburnum Road,,"#
                    + #"London,w5 3ln,Hanger Hill"#,
                #"100021000059,518309.95,182731.42,51.531105,-0.295784,,"The ""Old"" Forge","Mill Lane, North",,"#
                    + #"London,W5 3LN,"Hanger Hill""#,
            ], newline: "\r\n")
        let addresses = try GazetteerCSV.parse(text, source: "EAL.csv")
        try #require(addresses.count == 2)
        #expect(addresses[0].uprn == (try UPRN(100_021_000_058)))
        #expect(addresses[0].saon == "Flat A, Ground Floor")
        #expect(addresses[0].paon == "5")
        #expect(addresses[0].postcode == "W5 3LN", "postcodes are kept in capitals")
        #expect(addresses[0].ward == "Hanger Hill", "no carriage return is left on the last field")
        #expect(addresses[0].eastingMetres == 518_309.10)
        #expect(addresses[1].paon == #"The "Old" Forge"#)
        #expect(addresses[1].street == "Mill Lane, North")
        #expect(addresses[1].ward == "Hanger Hill")
        #expect(addresses[1].singleLine == #"The "Old" Forge, Mill Lane, North, London W5 3LN"#)
    }

    @Test func addressColumnsMayComeInAnyOrderAfterTheCoordinates() throws {
        let text = Self.file([
            "uprn,x_coordinate,y_coordinate,latitude,longitude,WARD,POSTCODE,TOWN,LOCALITY,STREET,PAON,SAON",
            "7,516724.82,179900.22,51.505989,-0.319562,Northfield,W13 9XG,London,West Ealing,Heron Walk,12,Flat 3",
        ])
        let addresses = try GazetteerCSV.parse(text, source: "TST.csv")
        try #require(addresses.count == 1)
        #expect(addresses[0].saon == "Flat 3")
        #expect(addresses[0].paon == "12")
        #expect(addresses[0].street == "Heron Walk")
        #expect(addresses[0].ward == "Northfield")
        #expect(addresses[0].singleLine == "Flat 3, 12 Heron Walk, West Ealing, London W13 9XG")
    }

    @Test func blankLinesAndAMissingFinalNewlineAreAccepted() throws {
        let text = Self.header + "\n" + Self.row("1") + "\n\n" + Self.row("2")
        let addresses = try GazetteerCSV.parse(text, source: "TST.csv")
        #expect(addresses.map(\.uprn.rawValue) == [1, 2])
    }

    @Test func headerThatDoesNotBeginWithTheOSOpenUPRNColumnsIsRefusedNamingWhatWasFound() {
        let text = Self.file([
            "UPRN,EASTING,NORTHING,LATITUDE,LONGITUDE,SAON,PAON,STREET,LOCALITY,TOWN,POSTCODE,WARD", Self.row(),
        ])
        let found = problems(text)
        #expect(found.count == 1)
        #expect(found.first?.contains("TST.csv") == true)
        #expect(found.first?.contains("UPRN,X_COORDINATE,Y_COORDINATE,LATITUDE,LONGITUDE") == true)
        #expect(found.first?.contains("EASTING,NORTHING") == true, "\(found)")
    }

    @Test(arguments: GazetteerCSV.addressColumns)
    func headerWithoutAnAddressColumnIsRefusedNamingTheColumn(_ missing: String) {
        let columns = GazetteerCSV.coordinateColumns + GazetteerCSV.addressColumns.filter { $0 != missing }
        let found = problems(Self.file([columns.joined(separator: ","), "1,2,3"]))
        #expect(found.count == 1)
        #expect(found.first?.contains("no \(missing) column") == true, "\(found)")
    }

    @Test(arguments: ["12ab", "1234567890123", "0", "-5", ""])
    func badUPRNIsReportedWithItsLineNumber(_ uprn: String) {
        let found = problems(Self.file([Self.header, Self.row("1"), Self.row(uprn)]))
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.hasPrefix("TST.csv line 3:") == true, "\(found)")
        #expect(found.first?.contains("UPRN") == true, "\(found)")
    }

    @Test(arguments: [
        (1, "east", "X_COORDINATE 'east' is not a number"),
        (2, "", "Y_COORDINATE '' is not a number"),
        (4, "inf", "LONGITUDE 'inf' is not a number"),
        (1, "800000", "outside the British National Grid"),
        (3, "40.1", "outside Great Britain"),
    ])
    func badCoordinatesAreReportedWithTheLineNumberAndTheColumn(position: Int, value: String, expected: String) {
        let bad = Self.row("3", replacing: [position: value])
        let found = problems(Self.file([Self.header, Self.row("1"), Self.row("2"), bad]))
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.hasPrefix("TST.csv line 4:") == true, "\(found)")
        #expect(found.first?.contains(expected) == true, "\(found)")
    }

    @Test func duplicateUPRNNamesTheLineWhereItFirstAppeared() {
        let found = problems(Self.file([Self.header, Self.row("42"), Self.row("43"), Self.row("042")]))
        #expect(found == ["TST.csv line 4: UPRN 42 appears again (first on line 2)"])
    }

    @Test func rowWithTheWrongNumberOfFieldsIsReportedWithItsLineNumber() {
        let short = Self.row("2").split(separator: ",", omittingEmptySubsequences: false).dropLast()
            .joined(separator: ",")
        let long = Self.row("3") + ",extra"
        let found = problems(Self.file([Self.header, Self.row("1"), short, long]))
        #expect(found == [
            "TST.csv line 3: 11 fields, the header has 12",
            "TST.csv line 4: 13 fields, the header has 12",
        ])
    }

    @Test func oneBadRowAmongGoodOnesFailsTheWholeFile() {
        var lines = [Self.header]
        for uprn in 1...50 { lines.append(Self.row(String(uprn))) }
        lines.append(Self.row("12ab"))
        #expect(throws: DomainErrors.self) { try GazetteerCSV.parse(Self.file(lines), source: "TST.csv") }
        #expect(problems(Self.file(lines)).count == 1)
    }

    @Test func everyBadRowIsReportedUpToTheLimit() {
        var lines = [Self.header]
        for uprn in 1...(GazetteerCSV.problemsReportedMax + 5) { lines.append(Self.row("x\(uprn)")) }
        let found = problems(Self.file(lines))
        #expect(found.count == GazetteerCSV.problemsReportedMax)
        #expect(found.first?.hasPrefix("TST.csv line 2:") == true)
        #expect(found.last?.hasPrefix("TST.csv line \(GazetteerCSV.problemsReportedMax + 1):") == true)
    }

    @Test func lineNumbersStayRightAfterAQuotedFieldThatSpansTwoLines() {
        let text = Self.file([
            Self.header,
            Self.row("1", replacing: [5: "\"Flat 1\nrear entrance\""]),
            Self.row("2"),
            Self.row("x3"),
        ])
        let found = problems(text)
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("TST.csv line 5:") == true, "the bad row is on the file's fifth line: \(found)")
    }

    @Test func quotedFieldThatIsNeverClosedIsReportedWithTheLineItStartsOn() {
        let unclosed = Self.row("2", replacing: [6: "\"Northfield Library"])
        let found = problems(Self.file([Self.header, Self.row("1"), unclosed]))
        #expect(found.count == 1)
        #expect(found.first?.contains("line 3") == true, "\(found)")
        #expect(found.first?.contains("never closed") == true, "\(found)")
    }

    @Test func emptyFileIsRefused() {
        let found = problems("")
        #expect(found.count == 1)
        #expect(found.first?.contains("empty") == true)
    }

    @Test func headerWithAByteOrderMarkIsRead() throws {
        // Spreadsheet programs often save "CSV UTF-8" with a byte order mark before the first column name.
        let text = "\u{FEFF}" + Self.file([Self.header, Self.row("1")])
        let addresses = try GazetteerCSV.parse(text, source: "TST.csv")
        #expect(addresses.count == 1)
    }
}
