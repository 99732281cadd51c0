import Foundation
import Testing

@Suite struct KeysTests {
    func scratch() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nightdesk-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func keysAreWrittenPrivateAndNeverOverwrittenWithoutForce() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let dir = root.appendingPathComponent("keys").path
        let first = try NightdeskBinary.run(["keys", "generate", "--site", "WST", "--dir", dir, "--json"])
        try #require(first.status == 0, "\(first)")
        let view = try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: String]
        #expect(view?["curvePublicKey"]?.count == 40)  // 32 bytes in Z85
        #expect(view?["signingPublicKey"]?.isEmpty == false)
        let curve = dir + "/WST.curve.key"
        let signing = dir + "/WST.signing.key"
        let publicKeys = dir + "/WST.public.toml"
        #expect(try mode(curve) == 0o600)
        #expect(try mode(signing) == 0o600)
        // The public keys are for every other site and the topology: readable by all.
        #expect(try mode(publicKeys) == 0o644)
        #expect(view?["publicKeysFile"] == publicKeys)
        let publicText = try String(contentsOfFile: publicKeys, encoding: .utf8)
        #expect(publicText.contains("site = \"WST\"\n"))
        #expect(publicText.contains("curvePublicKey = \"\(view?["curvePublicKey"] ?? "")\"\n"))
        #expect(publicText.contains("signingPublicKey = \"\(view?["signingPublicKey"] ?? "")\"\n"))
        let before = try Data(contentsOf: URL(fileURLWithPath: curve))
        let publicBefore = try Data(contentsOf: URL(fileURLWithPath: publicKeys))

        let again = try NightdeskBinary.run(["keys", "generate", "--site", "WST", "--dir", dir])
        #expect(again.status == 65)
        #expect(again.stderr.contains("--force"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: curve)) == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: publicKeys)) == publicBefore)

        let forced = try NightdeskBinary.run(["keys", "generate", "--site", "WST", "--dir", dir, "--force"])
        #expect(forced.status == 0, "\(forced)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: curve)) != before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: publicKeys)) != publicBefore)
        #expect(try mode(curve) == 0o600)
        #expect(try mode(publicKeys) == 0o644)
    }

    @Test func anExistingPublicKeyFileAloneIsEnoughToRefuseAndWriteNothing() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let dir = root.appendingPathComponent("keys").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let publicKeys = dir + "/WST.public.toml"
        try Data("site = \"WST\"\n".utf8).write(to: URL(fileURLWithPath: publicKeys))
        let result = try NightdeskBinary.run(["keys", "generate", "--site", "WST", "--dir", dir])
        #expect(result.status == 65)
        #expect(result.stderr.contains("\(publicKeys) already exists; pass --force"), "\(result)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["WST.public.toml"])
    }

    @Test func aBadSiteCodeWritesNothing() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let dir = root.appendingPathComponent("keys").path
        let result = try NightdeskBinary.run(["keys", "generate", "--site", "LON", "--dir", dir])
        #expect(result.status == 65)
        #expect(result.stderr.contains("misread"))
        #expect(!FileManager.default.fileExists(atPath: dir))
    }
}
