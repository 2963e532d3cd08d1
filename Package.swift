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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
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
        .target(name: "Remediation", dependencies: ["Secrecy", "Attribution", "Addressing"], swiftSettings: strict),
        .target(
            name: "Store",
            dependencies: [
                "Secrecy", "Addressing", "Attribution",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "mamori",
            dependencies: [
                "Secrecy", "Addressing", "Attribution", "Remediation", "Store",
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
        .testTarget(name: "StoreTests", dependencies: ["Store", "Secrecy", "Attribution", "Addressing"], swiftSettings: strict),
        .testTarget(name: "RemediationTests", dependencies: ["Remediation", "Attribution", "Secrecy", "Addressing"], swiftSettings: strict),
        .testTarget(name: "MamoriCLITests", dependencies: ["Secrecy", "Addressing"], swiftSettings: strict),
    ]
)
