import CSodium
import Foundation

/// Secret keys on disk: small text files, mode 0600, written atomically and never silently replaced.
///
/// The format, three lines of ASCII, each ending in a newline:
/// ```
/// nightdesk-key v1
/// type: ed25519-secret
/// key: <standard base64 of the key bytes, with padding>
/// ```
/// The types are `ed25519-secret` (the 32-byte seed of a `SigningKeyPair`), `x25519-secret` (the 32-byte
/// secret of a `CurveKeyPair`; its public half is derived on reading) and `xchacha20poly1305-data-key`
/// (a 32-byte `DataKey`). Naming the type in the file means a key given in the wrong place is refused
/// with a message, not used as the wrong kind of key. A trailing `\r` on a line is tolerated.
///
/// Writing creates a temporary file beside the target with mode 0600 (set on creation, so the key is never
/// readable by others even briefly), syncs it, then puts it in place with `link` (which fails if the
/// target exists, so two writers cannot both win) or, with `force`, `rename`; then syncs the folder.
/// Reading refuses a file whose mode gives its group or other users any access, checked on the opened file.
enum KeyFile {
    /// The kinds of key a key file can hold, by the name written in its `type:` line.
    enum KeyType: String {
        case ed25519Secret = "ed25519-secret"
        case curveSecret = "x25519-secret"
        case dataKey = "xchacha20poly1305-data-key"

        var keyBytes: Int {
            switch self {
            case .ed25519Secret: SodiumLimits.signingSeedBytes
            case .curveSecret: SodiumLimits.curveKeyBytes
            case .dataKey: SodiumLimits.dataKeyBytes
            }
        }
    }

    static let firstLine = "nightdesk-key v1"

    // MARK: Writing

    /// Writes `key` as a key file of `type` at `path`, refusing to replace an existing file unless `force`.
    static func save(_ type: KeyType, key: UnsafeRawBufferPointer, to path: String, force: Bool) throws(SodiumError) {
        precondition(key.count == type.keyBytes, "key of the wrong size for its type")
        var contents = Array("\(firstLine)\ntype: \(type.rawValue)\nkey: ".utf8)
        contents.append(contentsOf: base64Encode(key))
        contents.append(UInt8(ascii: "\n"))
        defer { wipe(&contents) }

        var existing = stat()
        if !force, lstat(path, &existing) == 0 { throw .keyFileExists(path: path) }

        let (folder, name) = split(path)
        let temporary = folder + "/." + name + "." + String(UInt32.random(in: .min ... .max), radix: 16) + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw systemCallFailed(path: path, operation: "create a temporary file for") }
        var placed = false
        defer { if !placed { unlink(temporary) } }
        do {
            defer { close(descriptor) }
            // The umask can only remove bits from 0600; set it outright anyway so the intent is on the file.
            guard fchmod(descriptor, 0o600) == 0 else {
                throw systemCallFailed(path: path, operation: "set mode 600 on")
            }
            try writeAll(descriptor, contents, path: path)
            guard fsync(descriptor) == 0 else { throw systemCallFailed(path: path, operation: "sync") }
        }
        if force {
            guard rename(temporary, path) == 0 else { throw systemCallFailed(path: path, operation: "replace") }
            placed = true
        } else {
            guard link(temporary, path) == 0 else {
                if errno == EEXIST { throw .keyFileExists(path: path) }
                throw systemCallFailed(path: path, operation: "create")
            }
            // The key is in place under its own name; the temporary name is removed by the deferred unlink.
        }
        try syncFolder(folder, path: path)
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws(SodiumError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                write(descriptor, raw.baseAddress! + offset, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw systemCallFailed(path: path, operation: "write")
            }
            offset += written
        }
    }

    private static func syncFolder(_ folder: String, path: String) throws(SodiumError) {
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw systemCallFailed(path: path, operation: "open the folder of") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw systemCallFailed(path: path, operation: "sync the folder of") }
    }

    // MARK: Reading

    /// Reads the key file at `path`, checks its mode, format and type, and lends the key bytes to `body`
    /// from a scratch buffer that is wiped afterwards.
    static func load(
        _ type: KeyType, from path: String, _ body: (UnsafeRawBufferPointer) throws(SodiumError) -> Void
    ) throws(SodiumError) {
        var contents = try readChecked(path)
        defer { wipe(&contents) }

        var lines = contents.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        lines = lines.map { $0.last == UInt8(ascii: "\r") ? $0.dropLast() : $0 }
        guard let first = lines.first, String(decoding: first, as: UTF8.self) == firstLine else {
            throw .keyFileMalformed(path: path, reason: "the first line is not `\(firstLine)`")
        }
        guard lines.count == 3 else {
            throw .keyFileMalformed(path: path, reason: "it has \(lines.count) lines, not 3")
        }
        let typePrefix = Array("type: ".utf8)
        guard lines[1].starts(with: typePrefix) else {
            throw .keyFileMalformed(path: path, reason: "the second line does not start with `type: `")
        }
        let found = String(decoding: lines[1].dropFirst(typePrefix.count), as: UTF8.self)
        guard found == type.rawValue else {
            throw .keyFileWrongType(path: path, expected: type.rawValue, found: found)
        }
        let keyPrefix = Array("key: ".utf8)
        guard lines[2].starts(with: keyPrefix) else {
            throw .keyFileMalformed(path: path, reason: "the third line does not start with `key: `")
        }
        guard var key = base64Decode(lines[2].dropFirst(keyPrefix.count)) else {
            throw .keyFileMalformed(path: path, reason: "the key is not base64")
        }
        defer { wipe(&key) }
        guard key.count == type.keyBytes else {
            throw .keyFileMalformed(path: path, reason: "the key is \(key.count) bytes, not \(type.keyBytes)")
        }
        try key.withUnsafeBytes { raw in Result { () throws(SodiumError) in try body(raw) } }.get()
    }

    /// The bytes of the file at `path`, after checking on the opened file that it is a regular file that
    /// only its owner can read or write, and that it is no larger than a key file can be.
    private static func readChecked(_ path: String) throws(SodiumError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw systemCallFailed(path: path, operation: "open") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw systemCallFailed(path: path, operation: "inspect") }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw .keyFileMalformed(path: path, reason: "it is not a regular file")
        }
        guard status.st_mode & 0o077 == 0 else {
            throw .keyFilePermissionsTooOpen(path: path, mode: UInt32(status.st_mode))
        }
        var contents = [UInt8](repeating: 0, count: SodiumLimits.keyFileBytesMax + 1)
        var length = 0
        while length < contents.count {
            let count = contents.withUnsafeMutableBytes { raw in
                read(descriptor, raw.baseAddress! + length, raw.count - length)
            }
            if count < 0 {
                if errno == EINTR { continue }
                wipe(&contents)
                throw systemCallFailed(path: path, operation: "read")
            }
            if count == 0 { break }
            length += count
        }
        guard length <= SodiumLimits.keyFileBytesMax else {
            wipe(&contents)
            throw .keyFileMalformed(path: path, reason: "it is larger than \(SodiumLimits.keyFileBytesMax) bytes")
        }
        contents.withUnsafeMutableBytes { raw in sodium_memzero(raw.baseAddress! + length, raw.count - length) }
        contents.removeLast(contents.count - length)
        return contents
    }

    // MARK: Helpers

    private static func systemCallFailed(path: String, operation: String) -> SodiumError {
        .keyFileSystemCall(path: path, operation: operation, errno: errno)
    }

    /// The folder and the file name of `path`; a bare name is in the current folder.
    private static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }

    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with padding, into a plain array the caller wipes (Foundation's would leave copies).
    static func base64Encode(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var output = [UInt8]()
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let b0 = UInt32(bytes[index])
            let b1 = remaining > 1 ? UInt32(bytes[index + 1]) : 0
            let b2 = remaining > 2 ? UInt32(bytes[index + 2]) : 0
            let group = b0 << 16 | b1 << 8 | b2
            output.append(base64Alphabet[Int(group >> 18 & 63)])
            output.append(base64Alphabet[Int(group >> 12 & 63)])
            output.append(remaining > 1 ? base64Alphabet[Int(group >> 6 & 63)] : UInt8(ascii: "="))
            output.append(remaining > 2 ? base64Alphabet[Int(group & 63)] : UInt8(ascii: "="))
            index += 3
        }
        return output
    }

    /// Strict standard base64 with padding: `nil` for any other character, a bad length or misplaced padding.
    static func base64Decode(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        let text = Array(text)
        guard text.count % 4 == 0 else { return nil }
        var output = [UInt8]()
        output.reserveCapacity(text.count / 4 * 3)
        for start in stride(from: 0, to: text.count, by: 4) {
            let isLast = start + 4 == text.count
            var group: UInt32 = 0
            var padding = 0
            for offset in 0..<4 {
                let character = text[start + offset]
                if character == UInt8(ascii: "=") {
                    guard isLast, offset >= 2 else { return nil }
                    padding += 1
                    group <<= 6
                    continue
                }
                guard padding == 0, let value = base64Alphabet.firstIndex(of: character) else { return nil }
                group = group << 6 | UInt32(value)
            }
            output.append(UInt8(truncatingIfNeeded: group >> 16))
            if padding < 2 { output.append(UInt8(truncatingIfNeeded: group >> 8)) }
            if padding < 1 { output.append(UInt8(truncatingIfNeeded: group)) }
        }
        return output
    }
}

// MARK: - Key file facets of the key types

extension SigningKeyPair {
    /// Writes this pair's seed to a key file of type `ed25519-secret` at `path`, mode 0600.
    ///
    /// Refuses to replace an existing file unless `force` is true.
    public func writeKeyFile(to path: String, force: Bool = false) throws(SodiumError) {
        try withSeed { (seed) throws(SodiumError) in try KeyFile.save(.ed25519Secret, key: seed, to: path, force: force)
        }
    }

    /// The pair whose seed is in the `ed25519-secret` key file at `path`.
    public init(keyFile path: String) throws(SodiumError) {
        var pair: SigningKeyPair?
        try KeyFile.load(.ed25519Secret, from: path) { (seed) throws(SodiumError) in
            pair = try SigningKeyPair(seedBytes: seed)
        }
        self = pair!
    }
}

extension CurveKeyPair {
    /// Writes this pair's secret key to a key file of type `x25519-secret` at `path`, mode 0600.
    ///
    /// Refuses to replace an existing file unless `force` is true.
    public func writeKeyFile(to path: String, force: Bool = false) throws(SodiumError) {
        try secretKey.secret.withUnsafeBytes { (secret) throws(SodiumError) in
            try KeyFile.save(.curveSecret, key: secret, to: path, force: force)
        }
    }

    /// The pair whose secret key is in the `x25519-secret` key file at `path`.
    public init(keyFile path: String) throws(SodiumError) {
        var secret: SecretBytes?
        try KeyFile.load(.curveSecret, from: path) { (bytes) throws(SodiumError) in
            secret = try SecretBytes(count: bytes.count) { $0.copyMemory(from: bytes) }
        }
        try self.init(secretKey: CurveSecretKey(secret: secret!))
    }
}

extension DataKey {
    /// Writes this key to a key file of type `xchacha20poly1305-data-key` at `path`, mode 0600.
    ///
    /// Refuses to replace an existing file unless `force` is true.
    public func writeKeyFile(to path: String, force: Bool = false) throws(SodiumError) {
        try secret.withUnsafeBytes { (secret) throws(SodiumError) in
            try KeyFile.save(.dataKey, key: secret, to: path, force: force)
        }
    }

    /// The key in the `xchacha20poly1305-data-key` key file at `path`.
    public init(keyFile path: String) throws(SodiumError) {
        var secret: SecretBytes?
        try KeyFile.load(.dataKey, from: path) { (bytes) throws(SodiumError) in
            secret = try SecretBytes(count: bytes.count) { $0.copyMemory(from: bytes) }
        }
        self.init(secret: secret!)
    }
}
