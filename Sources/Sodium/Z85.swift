import Foundation

/// Z85, ZeroMQ's text encoding of binary keys (ZeroMQ RFC 32): every 4 bytes become 5 printable characters.
///
/// Implemented here rather than with `zmq_z85_encode` so the encoding is testable without ZeroMQ and the
/// Mesh module can take keys as text. Each group of 4 bytes is read as a big-endian 32-bit number and
/// written as 5 base-85 digits, most significant first, in the alphabet below.
public enum Z85 {
    /// The 85 characters, in digit order.
    static let alphabet: [UInt8] = Array(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)

    /// Digit value of each ASCII character, or `nil` for one outside the alphabet.
    static let digits: [UInt8?] = {
        var digits = [UInt8?](repeating: nil, count: 128)
        for (value, character) in alphabet.enumerated() { digits[Int(character)] = UInt8(value) }
        return digits
    }()

    /// The Z85 text of `bytes`, whose length must be a multiple of 4.
    public static func encode(_ bytes: Data) throws(SodiumError) -> String {
        guard bytes.count % 4 == 0 else {
            throw .invalidZ85(reason: "\(bytes.count) bytes cannot be encoded, only a multiple of 4")
        }
        return bytes.withUnsafeBytes { encode($0) }
    }

    /// The Z85 text of raw bytes whose length is a multiple of 4 (used for secrets, which never become `Data`).
    static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        precondition(bytes.count % 4 == 0, "Z85 encodes whole groups of 4 bytes")
        var text = [UInt8]()
        text.reserveCapacity(bytes.count / 4 * 5)
        var index = 0
        while index < bytes.count {
            var value = UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16
            value |= UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3])
            var group = [UInt8](repeating: 0, count: 5)
            for position in stride(from: 4, through: 0, by: -1) {
                group[position] = alphabet[Int(value % 85)]
                value /= 85
            }
            text.append(contentsOf: group)
            index += 4
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The bytes of Z85 `text`, refusing a length that is not a multiple of 5, a character outside the
    /// alphabet, or a group whose value does not fit in 32 bits.
    public static func decode(_ text: String) throws(SodiumError) -> Data {
        var output = Data()
        try decode(text) { (bytes) throws(SodiumError) in output = Data(bytes) }
        return output
    }

    /// Decodes `text` into a scratch buffer, lends it to `body`, then wipes it (used for secrets).
    static func decode(
        _ text: String, _ body: (UnsafeRawBufferPointer) throws(SodiumError) -> Void
    ) throws(SodiumError) {
        let characters = Array(text.utf8)
        guard characters.count <= SodiumLimits.z85CharactersMax else {
            throw .invalidZ85(reason: "\(characters.count) characters is more than \(SodiumLimits.z85CharactersMax)")
        }
        guard characters.count % 5 == 0 else {
            throw .invalidZ85(reason: "\(characters.count) characters is not a multiple of 5")
        }
        var bytes = [UInt8](repeating: 0, count: characters.count / 5 * 4)
        defer { wipe(&bytes) }
        for group in 0..<(characters.count / 5) {
            var value: UInt64 = 0
            for offset in 0..<5 {
                let position = group * 5 + offset
                let character = characters[position]
                // Say where, not what: the text may be a secret key.
                guard character < 128, let digit = digits[Int(character)] else {
                    throw .invalidZ85(reason: "character \(position + 1) is not in the Z85 alphabet")
                }
                value = value * 85 + UInt64(digit)
            }
            guard value <= UInt64(UInt32.max) else {
                throw .invalidZ85(reason: "characters \(group * 5 + 1) to \(group * 5 + 5) do not encode 4 bytes")
            }
            bytes[group * 4] = UInt8(truncatingIfNeeded: value >> 24)
            bytes[group * 4 + 1] = UInt8(truncatingIfNeeded: value >> 16)
            bytes[group * 4 + 2] = UInt8(truncatingIfNeeded: value >> 8)
            bytes[group * 4 + 3] = UInt8(truncatingIfNeeded: value)
        }
        // Array.withUnsafeBytes rethrows untyped errors; carry the typed one out in a Result.
        try bytes.withUnsafeBytes { raw in Result { () throws(SodiumError) in try body(raw) } }.get()
    }
}
