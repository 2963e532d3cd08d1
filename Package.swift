// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Mamori",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mamori", targets: ["mamori"]),
        .library(name: "Secrecy", targets: ["Secrecy"]),
        .library(name: "Addressing", targets: ["Addressing"]),
        .library(name: "Attribution", targets: ["Attribution"]),
        .library(name: "Remediation", targets: ["Remediation"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "Sightings", targets: ["Sightings"]),
        .library(name: "Mailer", targets: ["Mailer"]),
        .library(name: "Portal", targets: ["Portal"]),
        .library(name: "Compliance", targets: ["Compliance"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    ],
    targets: [
        // AES-NI Crypto-PAn kernels and SHA-256 (system libcrypto). No Swift, no secrets kept here.
        .target(
            name: "CMamoriCrypto",
            linkerSettings: [.linkedLibrary("crypto")]
        ),
        .target(name: "Addressing", swiftSettings: strict),
        .target(
            name: "Secrecy",
            dependencies: ["CMamoriCrypto", "Addressing"],
            resources: [.copy("Resources/declarations.json")],
            swiftSettings: strict
        ),
        .target(name: "Attribution", dependencies: ["Addressing", "Secrecy"], swiftSettings: strict),
        // The compliance report: a pure model over declarations, audit records and counts, and its renderers.
        .target(name: "Compliance", dependencies: ["Secrecy"], swiftSettings: strict),
        .target(name: "Sightings", dependencies: ["Addressing"], resources: [.copy("Resources/shadowserver-mappings.json")], swiftSettings: strict),
        .target(
            name: "Remediation", dependencies: ["Secrecy", "Attribution", "Addressing", "Sightings"],
            resources: [.copy("Templates")], swiftSettings: strict),
        // SMTP delivery over SwiftNIO (STARTTLS with swift-nio-ssl). Knows nothing of cases or subscribers.
        .target(
            name: "Mailer",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // The subscriber-facing pages (Hummingbird 2).
        .target(
            name: "Portal",
            dependencies: [
                "Remediation", "Secrecy",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .target(
            name: "Store",
            dependencies: [
                "Secrecy", "Addressing", "Attribution", "Sightings", "Remediation",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "mamori",
            dependencies: [
                "Secrecy", "Addressing", "Attribution", "Remediation", "Store", "Sightings", "Mailer", "Portal", "Compliance",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Samples")],
            swiftSettings: strict
        ),
        .testTarget(name: "AddressingTests", dependencies: ["Addressing"], swiftSettings: strict),
        .testTarget(
            name: "SecrecyTests", dependencies: ["Secrecy", "Addressing"], exclude: ["CompileFail"], swiftSettings: strict),
        .testTarget(
            name: "AttributionTests", dependencies: ["Attribution", "Addressing", "Secrecy"], exclude: ["Fixtures"],
            swiftSettings: strict),
        .testTarget(
            name: "StoreTests",
            dependencies: ["Store", "Secrecy", "Attribution", "Addressing", "Remediation", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        .testTarget(name: "RemediationTests", dependencies: ["Remediation", "Attribution", "Secrecy", "Addressing"], swiftSettings: strict),
        .testTarget(
            name: "SightingsTests", dependencies: ["Sightings", "Addressing"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(
            name: "MailerTests",
            dependencies: [
                "Mailer", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "PortalTests",
            dependencies: [
                "Portal", "Remediation", "Secrecy",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(name: "ComplianceTests", dependencies: ["Compliance", "Secrecy"], swiftSettings: strict),
        .testTarget(name: "MamoriCLITests", dependencies: ["Secrecy", "Addressing"], swiftSettings: strict),
    ]
)
