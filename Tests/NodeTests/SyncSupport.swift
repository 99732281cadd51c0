import Domain
import Foundation
import Logging
import Mesh
import Node
import NightdeskTestSupport
import Replication
import Sodium
import Store
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Waits until `condition` holds, checking every 20 ms; false if `timeout` passes first.
func eventually(within timeout: Duration = .seconds(60), _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try condition()
}

/// A site of an in-process test cluster: its own data folder, store, keys and sync service.
final class SyncTestSite: @unchecked Sendable {
    let code: String
    let folder: TemporaryFolder
    let database: AppDatabase
    let curve = CurveKeyPair.generate()
    let signing = SigningKeyPair.generate()
    let port: UInt16
    var holds: Set<String>?  // nil: every organisation
    var task: Task<Void, any Error>?
    var service: SyncService?
    let metrics = NodeMetrics()

    init(_ code: String, holds: Set<String>? = nil) throws {
        self.code = code
        self.holds = holds
        folder = try TemporaryFolder()
        let (nodeFolder, _) = try NodeFolder.initialise(
            path: folder.path("data"), site: try SiteCode(code), siteName: nil,
            catalogueFile: try CatalogueFile(path: Repository.cataloguePath), loadGazetteers: false,
            at: Date())
        database = nodeFolder.database
        port = try freeLoopbackPort()
    }

    var site: SiteID { SiteID(code) }
    var endpoint: String { "tcp://127.0.0.1:\(port)" }

    /// Starts the sync service with every other site of `cluster` as a peer.
    func start(
        in cluster: [SyncTestSite], keys: [String: DataKey], clusterID: String = "test-cluster",
        signersFrom: [SyncTestSite]? = nil
    ) async throws {
        let others = cluster.filter { $0.code != code }
        var mesh = MeshConfiguration(
            site: site, keyPair: curve,
            peers: others.map { MeshPeer(site: $0.site, endpoint: $0.endpoint, publicKey: $0.curve.publicKey) },
            allowedClients: Dictionary(uniqueKeysWithValues: others.map { ($0.site, $0.curve.publicKey) }))
        mesh.listenPort = port
        var dataKeys: [ChangeScope: DataKey] = [:]
        for (scope, key) in keys where scope == "cluster" || holds?.contains(scope) ?? true {
            dataKeys[ChangeScope(text: scope)] = key
        }
        var configuration = SyncConfiguration(
            site: site, cluster: clusterID, mesh: mesh,
            signers: Dictionary(uniqueKeysWithValues: (signersFrom ?? cluster).map { ($0.site, $0.signing.publicKey) }),
            signingKeyPair: signing, dataKeys: dataKeys)
        configuration.drainTimeout = .milliseconds(500)
        configuration.holdsEveryOrganisation = holds == nil
        configuration.statusPath = folder.path("status.json")
        var logger = Logger(label: "sync.\(code)")
        logger.logLevel = ProcessInfo.processInfo.environment["SYNC_LOG"] == nil ? .warning : .debug
        let service = SyncService(
            configuration: configuration, database: database, metrics: metrics, logger: logger)
        self.service = service
        // Bind here, so a start that fails fails the test rather than leaving a site silently absent.
        _ = try await service.start()
        task = Task { try await service.run() }
    }

    func stop() async {
        task?.cancel()
        _ = try? await task?.value
        task = nil
    }

    /// Logs `count` dangerous-structure calls for `organisation`, by `caller`.
    func logCalls(_ count: Int, organisation: String = "EAL", caller: String = "Jane Smith") throws {
        let drafts = try (0..<count).map { _ in
            CallDraft(
                organisation: try OrganisationCode(organisation), option: try ServiceOptionCode("dangerous-structures"),
                caller: try Caller(name: caller, phone: nil),
                answers: ["structure_type": .value("Wall"), "immediate_danger": .value("Yes")],
                action: CallAction(kind: .refer), offeredAt: Fixtures.london("2026-11-23 23:10"))
        }
        _ = try database.importCalls(drafts, author: "test", at: Date())
    }

    func digest(_ organisation: String? = nil) throws -> String {
        try database.stateDigest(organisation: organisation)
    }
}

/// Data keys for every organisation of the catalogue and the cluster.
func clusterDataKeys() throws -> [String: DataKey] {
    let catalogue = try CatalogueFile(path: Repository.cataloguePath).catalogue
    var keys = ["cluster": DataKey.generate()]
    for organisation in catalogue.organisations { keys[organisation.code.rawValue] = DataKey.generate() }
    return keys
}
