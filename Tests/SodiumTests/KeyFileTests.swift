import Foundation
import Testing

@testable import Sodium

@Suite struct KeyFileTests {
    /// A fresh folder for one test, removed afterwards.
    func withFolder(_ body: (String) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sodium-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: folder) }
        try body(folder.path)
    }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    func setMode(_ path: String, _ mode: Int) throws {
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    @Test func aKeyFileIsWrittenWithMode0600AndReadsBackTheSameKey() throws {
        try withFolder { folder in
            let signing = SigningKeyPair.generate()
            let curve = CurveKeyPair.generate()
            let data = DataKey.generate()
            try signing.writeKeyFile(to: folder + "/site.ed25519")
            try curve.writeKeyFile(to: folder + "/site.curve")
            try data.writeKeyFile(to: folder + "/ealing.data-key")
            for name in ["site.ed25519", "site.curve", "ealing.data-key"] {
                #expect(try mode(folder + "/" + name) == 0o600, "\(name)")
            }
            #expect(try SigningKeyPair(keyFile: folder + "/site.ed25519") == signing)
            #expect(try CurveKeyPair(keyFile: folder + "/site.curve") == curve)
            #expect(try CurveKeyPair(keyFile: folder + "/site.curve").publicKey == curve.publicKey)
            #expect(try DataKey(keyFile: folder + "/ealing.data-key") == data)
            // Nothing but the key file is left behind.
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).count == 3)
        }
    }

    @Test func aKeyFileIsSmallDocumentedText() throws {
        try withFolder { folder in
            let seed = Data((0..<32).map { UInt8($0) })
            try SigningKeyPair(seed: seed).writeKeyFile(to: folder + "/site.key")
            let text = try String(contentsOfFile: folder + "/site.key", encoding: .utf8)
            #expect(text == "nightdesk-key v1\ntype: ed25519-secret\nkey: \(seed.base64EncodedString())\n")
        }
    }

    @Test func writingOverAnExistingKeyFileIsRefusedUnlessForced() throws {
        try withFolder { folder in
            let path = folder + "/site.key"
            let first = SigningKeyPair.generate()
            try first.writeKeyFile(to: path)
            let second = SigningKeyPair.generate()
            #expect(throws: SodiumError.keyFileExists(path: path)) { try second.writeKeyFile(to: path) }
            #expect(try SigningKeyPair(keyFile: path) == first)  // untouched
            #expect(SodiumError.keyFileExists(path: path).description.contains("--force"))
            #expect(SodiumError.keyFileExists(path: path).description.contains(path))

            try second.writeKeyFile(to: path, force: true)
            #expect(try SigningKeyPair(keyFile: path) == second)
            #expect(try mode(path) == 0o600)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["site.key"])
        }
    }

    @Test func aKeyFileOthersCanReadIsRefusedWithTheChmodToRun() throws {
        try withFolder { folder in
            let path = folder + "/site.key"
            try DataKey.generate().writeKeyFile(to: path)
            try setMode(path, 0o644)
            #expect(throws: SodiumError.keyFilePermissionsTooOpen(path: path, mode: 0o100644)) {
                try DataKey(keyFile: path)
            }
            let message = SodiumError.keyFilePermissionsTooOpen(path: path, mode: 0o100644).description
            #expect(message.contains("chmod 600 \(path)"))
            #expect(message.contains("644"))
            for open in [0o640, 0o604, 0o620, 0o601] {
                try setMode(path, open)
                #expect(throws: SodiumError.self, "mode \(String(open, radix: 8))") { try DataKey(keyFile: path) }
            }
            for closed in [0o600, 0o400] {
                try setMode(path, closed)
                #expect(throws: Never.self) { try DataKey(keyFile: path) }
            }
        }
    }

    @Test func aKeyFileOfAnotherTypeIsRefusedByName() throws {
        try withFolder { folder in
            let path = folder + "/site.curve"
            try CurveKeyPair.generate().writeKeyFile(to: path)
            #expect(
                throws: SodiumError.keyFileWrongType(path: path, expected: "ed25519-secret", found: "x25519-secret")
            ) { try SigningKeyPair(keyFile: path) }
            #expect(throws: SodiumError.self) { try DataKey(keyFile: path) }
        }
    }

    @Test func malformedKeyFilesAreRefused() throws {
        try withFolder { folder in
            let path = folder + "/bad.key"
            let key = Data(count: 32).base64EncodedString()
            let cases = [
                "",
                "ssh-ed25519 AAAA\n",
                "nightdesk-key v2\ntype: ed25519-secret\nkey: \(key)\n",
                "nightdesk-key v1\ntype: ed25519-secret\n",
                "nightdesk-key v1\nkey: \(key)\ntype: ed25519-secret\n",
                "nightdesk-key v1\ntype: ed25519-secret\nkey: not-base64!\n",
                "nightdesk-key v1\ntype: ed25519-secret\nkey: \(Data(count: 31).base64EncodedString())\n",
                "nightdesk-key v1\ntype: ed25519-secret\nkey: \(key)\nextra: line\n",
                String(repeating: "x", count: SodiumLimits.keyFileBytesMax + 1),
            ]
            for contents in cases {
                try? FileManager.default.removeItem(atPath: path)
                #expect(FileManager.default.createFile(atPath: path, contents: Data(contents.utf8)))
                try setMode(path, 0o600)
                #expect(throws: SodiumError.self, "\(contents.prefix(60))") { try SigningKeyPair(keyFile: path) }
            }
            // Windows line endings are tolerated.
            try FileManager.default.removeItem(atPath: path)
            let crlf = "nightdesk-key v1\r\ntype: ed25519-secret\r\nkey: \(key)\r\n"
            #expect(FileManager.default.createFile(atPath: path, contents: Data(crlf.utf8)))
            try setMode(path, 0o600)
            #expect(try SigningKeyPair(keyFile: path) == SigningKeyPair(seed: Data(count: 32)))
        }
    }

    @Test func aMissingKeyFileSaysSo() throws {
        try withFolder { folder in
            let path = folder + "/absent.key"
            #expect(throws: SodiumError.keyFileSystemCall(path: path, operation: "open", errno: ENOENT)) {
                try DataKey(keyFile: path)
            }
        }
    }

    @Test func theKeyFileBase64MatchesFoundations() {
        for length in 0..<40 {
            let bytes = Data((0..<length).map { _ in UInt8.random(in: .min ... .max) })
            let encoded = bytes.withUnsafeBytes { KeyFile.base64Encode($0) }
            #expect(String(decoding: encoded, as: UTF8.self) == bytes.base64EncodedString())
            #expect(KeyFile.base64Decode(encoded[...]) == Array(bytes))
        }
        for bad in ["A", "AB=C", "A===", "AAA=AAAA", "AA=A", "A$AA"] {
            #expect(KeyFile.base64Decode(Array(bad.utf8)[...]) == nil, "\(bad)")
        }
    }
}
