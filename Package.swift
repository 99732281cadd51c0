// swift-tools-version:6.2
// Nightdesk: call management for a shared out-of-hours call handling service.
import Foundation
import PackageDescription

// Swift 6 language mode everywhere; in CI (CI=true) our own warnings fail the build (STYLE.md rule 11).
let strictSettings: [SwiftSetting] =
    [.swiftLanguageMode(.v6)]
    + (ProcessInfo.processInfo.environment["CI"] == "true" ? [.unsafeFlags(["-warnings-as-errors"])] : [])

let package = Package(
    name: "Nightdesk",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "nightdesk", targets: ["nightdesk"]),
        .library(name: "Domain", targets: ["Domain"]),
        .library(name: "Store", targets: ["Store"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Pure rules and values: no I/O, no clock reads (STYLE.md rule 1).
        .target(name: "Domain", swiftSettings: strictSettings),
        // Hybrid logical clock, change sets, merge rules, version vectors: pure, imports nothing.
        .target(name: "Replication", swiftSettings: strictSettings),
        // libsodium, behind a modulemap and shim.h only; the Sodium module is the one that imports it.
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        // Keys, seal/open, sign/verify, hashing and checkpointed hash chains: no C pointer leaves this module.
        .target(name: "Sodium", dependencies: ["CSodium"], swiftSettings: strictSettings),
        .target(
            name: "Store",
            dependencies: [
                "Domain",
                "Replication",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // The daemon and its configuration: data folder, catalogue, gazetteer and topology files, the sync
        // service that joins the store to the mesh, metrics, lifecycle.
        .target(
            name: "Node",
            dependencies: [
                "Domain",
                "Replication",
                "Store",
                "Sodium",
                "Mesh",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // Business-continuity drills (8.5, 8.6): the traffic simulator (a pure, seeded model of the call centre
        // calibrated to the specification's figures, PROFILE.md) and the drill runner.
        .target(
            name: "Drill",
            dependencies: ["Domain", "Store", "Node", .product(name: "TOMLKit", package: "TOMLKit")],
            exclude: ["PROFILE.md"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "nightdesk",
            dependencies: [
                "Domain",
                "Drill",
                "Store",
                "Node",
                "Replication",
                "Sodium",
                "Mesh",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "NightdeskBench",
            dependencies: [
                "Domain",
                "Replication",
                "Store",
                "Node",
                "Mesh",
                "Sodium",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Fixtures shared by the test targets (the model of HummingbirdTesting).
        .target(name: "NightdeskTestSupport", dependencies: ["Domain"], swiftSettings: strictSettings),
        // The libzmq shim: a modulemap and shim.h only; Mesh is the one module that imports it (STYLE.md rule 2).
        // No pkgConfig: Debian's libzmq.pc adds -isystem /usr/include/mit-krb5, a flag SwiftPM refuses.
        .systemLibrary(name: "CZeroMQ", providers: [.apt(["libzmq3-dev"])]),
        // Links between sites: CURVE-authenticated ZeroMQ sockets and the sync frame codec (PROTOCOL.md).
        .target(
            name: "Mesh",
            dependencies: [
                "CZeroMQ",
                "Replication",
                "Sodium",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["PROTOCOL.md"],
            swiftSettings: strictSettings
        ),
        // Deterministic simulation harness: seeded randomness and a faulty network (DESIGN.md).
        .target(name: "Simulation", dependencies: ["Replication", "Domain"], swiftSettings: strictSettings),
        .testTarget(name: "ReplicationTests", dependencies: ["Replication"], swiftSettings: strictSettings),
        .testTarget(name: "SodiumTests", dependencies: ["Sodium"], swiftSettings: strictSettings),
        .testTarget(
            name: "MeshTests",
            dependencies: ["Mesh", "Replication", "Sodium", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "DomainTests", dependencies: ["Domain", "NightdeskTestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "StoreTests",
            dependencies: [
                "Store", "Domain", "Replication", "Simulation", "NightdeskTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "NodeTests",
            dependencies: [
                "Node", "Store", "Domain", "Replication", "Sodium", "Mesh", "NightdeskTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "DrillTests", dependencies: ["Drill", "Domain", "Node", "NightdeskTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "NightdeskCLITests",
            // GRDB: the partition tests read which site recorded each lone-worker fact straight from the stores.
            // Drill: the fault proxies and local clusters the partition and WAN-cut tests run.
            dependencies: [
                "nightdesk", "Domain", "Drill", "NightdeskTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
