/// The binary form of a change set: what the change log stores and what travels between sites.
///
/// Layout (all integers unsigned LEB128 varints unless noted; strings are a varint byte count then UTF-8):
/// `"NDCS"` · version (1 byte, 1) · origin · sequence · clock (physical ms, logical, site) · dependencies
/// (count, then site and sequence each) · scope · operations (count, then each: table, key, action byte —
/// 0 upsert: fields, then superseded clocks per field; 1 add: fields; 2 remove). Fields are written sorted by
/// name, so equal change sets are equal bytes. A value is a tag byte (0 null, 1 integer as zigzag varint,
/// 2 real as 8 little-endian bytes, 3 text).
///
/// Decoding checks every length and count against `ChangeSetCodec.Limits` and never reads past the end, so a
/// malformed or hostile input is refused with an error, never a crash.
public enum ChangeSetCodec {
    public enum Limits {
        public static let stringBytesMax = 1 << 20
        public static let fieldsPerOperationMax = 256
        public static let supersededPerFieldMax = 64
        public static let encodedBytesMax = 64 << 20
    }

    public struct DecodingFailure: Error, Equatable, Sendable, CustomStringConvertible {
        public let reason: String
        public let offset: Int
        public var description: String { "not a change set: \(reason) at byte \(offset)" }
    }

    static let magic: [UInt8] = Array("NDCS".utf8)
    static let version: UInt8 = 1

    public static func encode(_ set: ChangeSet) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + set.operations.count * 256)
        out += magic
        out.append(version)
        writeString(set.origin.rawValue, &out)
        writeVarint(set.sequence.rawValue, &out)
        writeClock(set.timestamp, &out)
        let dependencies = set.dependencies.entries.sorted { $0.key < $1.key }
        writeVarint(UInt64(dependencies.count), &out)
        for (site, sequence) in dependencies {
            writeString(site.rawValue, &out)
            writeVarint(sequence.rawValue, &out)
        }
        writeString(set.scope.description, &out)
        writeVarint(UInt64(set.operations.count), &out)
        for operation in set.operations {
            writeString(operation.table, &out)
            writeString(operation.key, &out)
            switch operation.action {
            case .upsert(let fields, let supersedes):
                out.append(0)
                writeFields(fields, &out)
                let superseded = supersedes.sorted { $0.key < $1.key }
                writeVarint(UInt64(superseded.count), &out)
                for (field, clocks) in superseded {
                    writeString(field, &out)
                    writeVarint(UInt64(clocks.count), &out)
                    for clock in clocks { writeClock(clock, &out) }
                }
            case .add(let fields):
                out.append(1)
                writeFields(fields, &out)
            case .remove:
                out.append(2)
            }
        }
        return out
    }

    public static func decode(_ bytes: some Collection<UInt8>) throws(DecodingFailure) -> ChangeSet {
        var reader = Reader(bytes: Array(bytes))
        guard reader.bytes.count <= Limits.encodedBytesMax else { throw reader.failure("over \(Limits.encodedBytesMax) bytes") }
        for expected in magic {
            guard try reader.byte() == expected else { throw reader.failure("wrong magic") }
        }
        let found = try reader.byte()
        guard found == version else { throw reader.failure("unknown codec version \(found)") }
        let origin = try reader.site()
        let sequence = try reader.varint()
        guard sequence > 0 else { throw reader.failure("sequence 0") }
        let timestamp = try reader.clock()
        guard timestamp.site == origin else { throw reader.failure("clock of another site") }
        let dependencyCount = try reader.count(max: ReplicationLimits.sitesMax)
        var dependencies: [SiteID: OriginSequence] = [:]
        for _ in 0..<dependencyCount {
            let site = try reader.site()
            dependencies[site] = OriginSequence(try reader.varint())
        }
        let vector = VersionVector(dependencies)
        guard vector[origin].rawValue < sequence else { throw reader.failure("depends on itself") }
        let scope = ChangeScope(text: try reader.string())
        let operationCount = try reader.count(max: ReplicationLimits.operationsPerChangeSetMax)
        var operations: [RowOperation] = []
        operations.reserveCapacity(operationCount)
        for _ in 0..<operationCount {
            let table = try reader.string()
            let key = try reader.string()
            let action: RowOperation.Action
            switch try reader.byte() {
            case 0:
                let fields = try reader.fields()
                let supersededCount = try reader.count(max: Limits.fieldsPerOperationMax)
                var supersedes: [String: [HybridTimestamp]] = [:]
                for _ in 0..<supersededCount {
                    let field = try reader.string()
                    let clockCount = try reader.count(max: Limits.supersededPerFieldMax)
                    var clocks: [HybridTimestamp] = []
                    for _ in 0..<clockCount { clocks.append(try reader.clock()) }
                    supersedes[field] = clocks
                }
                action = .upsert(fields: fields, supersedes: supersedes)
            case 1:
                action = .add(fields: try reader.fields())
            case 2:
                action = .remove
            case let other:
                throw reader.failure("unknown action \(other)")
            }
            operations.append(RowOperation(table: table, key: key, action: action))
        }
        guard reader.offset == reader.bytes.count else { throw reader.failure("trailing bytes") }
        return ChangeSet(
            origin: origin, sequence: OriginSequence(sequence), timestamp: timestamp, dependencies: vector, scope: scope,
            operations: operations)
    }

    // MARK: - Writing

    static func writeVarint(_ value: UInt64, _ out: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
    }

    static func writeString(_ text: String, _ out: inout [UInt8]) {
        var text = text
        text.withUTF8 { utf8 in
            writeVarint(UInt64(utf8.count), &out)
            out.append(contentsOf: utf8)
        }
    }

    static func writeClock(_ clock: HybridTimestamp, _ out: inout [UInt8]) {
        writeVarint(UInt64(clock.physicalMs), &out)
        writeVarint(UInt64(clock.logical), &out)
        writeString(clock.site.rawValue, &out)
    }

    static func writeFields(_ fields: [String: FieldValue], _ out: inout [UInt8]) {
        writeVarint(UInt64(fields.count), &out)
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            writeString(name, &out)
            switch value {
            case .null:
                out.append(0)
            case .integer(let number):
                out.append(1)
                writeVarint(UInt64(bitPattern: (number << 1) ^ (number >> 63)), &out)
            case .real(let number):
                out.append(2)
                withUnsafeBytes(of: number.bitPattern.littleEndian) { out.append(contentsOf: $0) }
            case .text(let text):
                out.append(3)
                writeString(text, &out)
            }
        }
    }

    // MARK: - Reading

    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        func failure(_ reason: String) -> DecodingFailure { DecodingFailure(reason: reason, offset: offset) }

        mutating func byte() throws(DecodingFailure) -> UInt8 {
            guard offset < bytes.count else { throw failure("truncated") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func varint() throws(DecodingFailure) -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let next = try byte()
                guard shift < 64, !(shift == 63 && next > 1) else { throw failure("varint too long") }
                value |= UInt64(next & 0x7F) << shift
                if next & 0x80 == 0 { return value }
                shift += 7
            }
        }

        mutating func count(max: Int) throws(DecodingFailure) -> Int {
            let value = try varint()
            guard value <= UInt64(max) else { throw failure("count \(value) over \(max)") }
            return Int(value)
        }

        mutating func string() throws(DecodingFailure) -> String {
            let length = try count(max: Limits.stringBytesMax)
            guard length <= bytes.count - offset else { throw failure("truncated string") }
            let slice = bytes[offset..<(offset + length)]
            guard let text = String(validating: slice, as: UTF8.self) else { throw failure("invalid UTF-8") }
            offset += length
            return text
        }

        mutating func site() throws(DecodingFailure) -> SiteID {
            let text = try string()
            guard !text.isEmpty, text.count <= 8, !text.contains(":"), !text.contains(".") else {
                throw failure("bad site id")
            }
            return SiteID(text)
        }

        mutating func clock() throws(DecodingFailure) -> HybridTimestamp {
            let physical = try varint()
            guard physical <= 999_999_999_999_999 else { throw failure("clock out of range") }
            let logical = try varint()
            guard logical <= UInt64(UInt32.max) else { throw failure("logical counter out of range") }
            return HybridTimestamp(physicalMs: Int64(physical), logical: UInt32(logical), site: try site())
        }

        mutating func fields() throws(DecodingFailure) -> [String: FieldValue] {
            let count = try count(max: Limits.fieldsPerOperationMax)
            var fields: [String: FieldValue] = [:]
            fields.reserveCapacity(count)
            for _ in 0..<count {
                let name = try string()
                let value: FieldValue
                switch try byte() {
                case 0: value = .null
                case 1:
                    let raw = try varint()
                    value = .integer(Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1))))
                case 2:
                    guard bytes.count - offset >= 8 else { throw failure("truncated real") }
                    var bits: UInt64 = 0
                    for index in 0..<8 { bits |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
                    offset += 8
                    value = .real(Double(bitPattern: bits))
                case 3: value = .text(try string())
                case let other: throw failure("unknown value tag \(other)")
                }
                guard fields.updateValue(value, forKey: name) == nil else { throw failure("field \(name) twice") }
            }
            return fields
        }
    }
}
