// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Mamori",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mamori", targets: ["mamori"]),
        .executable(name: "mamori-bench", targets: ["MamoriBench"]),
        .library(name: "Secrecy", targets: ["Secrecy"]),
        .library(name: "TextScanning", targets: ["TextScanning"]),
        .library(name: "Addressing", targets: ["Addressing"]),
        .library(name: "Attribution", targets: ["Attribution"]),
        .library(name: "Remediation", targets: ["Remediation"]),
        .library(name: "Storage", targets: ["Storage"]),
        .library(name: "StoreSQLite", targets: ["StoreSQLite"]),
        .library(name: "StorePostgres", targets: ["StorePostgres"]),
        .library(name: "Sightings", targets: ["Sightings"]),
        .library(name: "Mailer", targets: ["Mailer"]),
        .library(name: "Portal", targets: ["Portal"]),
        .library(name: "Runtime", targets: ["Runtime"]),
        .library(name: "Compliance", targets: ["Compliance"]),
        .library(name: "DNS", targets: ["DNS"]),
        .library(name: "SiteWarning", targets: ["SiteWarning"]),
        .library(name: "NetServer", targets: ["NetServer"]),
        .library(name: "DNSServer", targets: ["DNSServer"]),
        .library(name: "RADIUSServer", targets: ["RADIUSServer"]),
        .library(name: "MailGuard", targets: ["MailGuard"]),
        .library(name: "MailGuardServer", targets: ["MailGuardServer"]),
        .library(name: "EdgeFilter", targets: ["EdgeFilter"]),
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
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // AES-NI Crypto-PAn kernels and SHA-256 (system libcrypto). No Swift, no secrets kept here.
        .target(
            name: "CMamoriCrypto",
            linkerSettings: [.linkedLibrary("crypto")]
        ),
        // Bytes, ASCII, numbers, time (RFC 3339, civil), CSV, line framing, file streaming and the
        // `file:line: reason` issue: the one text-scanning layer of every parser. No dependencies.
        .target(name: "TextScanning", swiftSettings: strict),
        .target(name: "Addressing", dependencies: ["TextScanning"], swiftSettings: strict),
        .target(
            name: "Secrecy",
            dependencies: ["CMamoriCrypto", "Addressing", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Resources/declarations.json")],
            swiftSettings: strict
        ),
        // The edge measures: DNS-amplification pools and their router rules (nftables, Junos, IOS XR),
        // packet and flow decoders (pcap, pcapng, NetFlow v5/v9, IPFIX) with per-purpose views, the
        // pool analysis and the darknet sensor. Pure domain: no NIO, no I/O but reading given bytes.
        .target(name: "EdgeFilter", dependencies: ["TextScanning", "Addressing", "Secrecy"], swiftSettings: strict),
        // The open-resolver check's probe: paced recursive queries over UDP and the verdict on each
        // answer (SwiftNIO; the DNS wire format from `DNS`). What it may probe is EdgeFilter's
        // `ProbeTargets`.
        .target(
            name: "OpenResolverCheck",
            dependencies: [
                "Addressing", "DNS", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),
        // A cache prefetch hint for the attribution index's batch lookups (one static inline function).
        .target(name: "CMamoriPrefetch"),
        // AAA parsers and the RFC 2865/2866 accounting codec (MD5 authenticators: swift-crypto), the index.
        .target(
            name: "Attribution",
            dependencies: ["CMamoriPrefetch", "TextScanning", "Addressing", "Secrecy", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        // The compliance report: a pure model over declarations, audit records and counts, and its renderers.
        .target(name: "Compliance", dependencies: ["Secrecy", "TextScanning"], swiftSettings: strict),
        .target(
            name: "Sightings", dependencies: ["TextScanning", "Addressing"], resources: [.copy("Resources/shadowserver-mappings.json")],
            swiftSettings: strict),
        .target(
            name: "Remediation", dependencies: ["TextScanning", "Secrecy", "Attribution", "Addressing", "Sightings"],
            resources: [.copy("Templates")], swiftSettings: strict),
        // DNS wire format (RFC 1035, EDNS(0) RFC 6891, compression, truncation) on NIOCore's ByteBuffer,
        // and DNS-over-TCP framing. No I/O.
        .target(name: "DNS", dependencies: [.product(name: "NIOCore", package: "swift-nio")], swiftSettings: strict),
        // The DNS guard's domain: blocklists (domain, RPZ, URL lists) compiled into one suffix-match
        // snapshot, consent values and the registry protocol, live sessions, the decision. No I/O, no servers.
        .target(name: "SiteWarning", dependencies: ["TextScanning", "Addressing", "Secrecy", "DNS"], swiftSettings: strict),
        // UDP and TCP listeners as swift-service-lifecycle services on SwiftNIO: limits (connections,
        // idle time, in-flight datagrams, message size), bounded-label metrics, rate-limited logs of
        // bad input (never a peer address), graceful shutdown. Shared by the DNS, RADIUS, policy,
        // socketmap and NetFlow servers.
        .target(
            name: "NetServer",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // A forwarding DNS server over UDP and TCP: a policy hook, the packet cache, upstream failover.
        .target(
            name: "DNSServer",
            dependencies: [
                "DNS", "NetServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // The RADIUS accounting listener (RFC 2866 over UDP): feeds the live sessions and the
        // attribution store; batches store inserts, answers once stored, handles retransmissions.
        .target(
            name: "RADIUSServer",
            dependencies: [
                "Attribution", "SiteWarning", "NetServer", "Addressing",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // The SMTP AUTH abuse guard's domain (measures 1 and 2): the Postfix policy and socketmap
        // codecs, Dovecot auth-policy requests, the Postfix log parser and join, alerts, detectors,
        // suspensions and blocks. No I/O, no servers.
        .target(
            name: "MailGuard", dependencies: ["TextScanning", "Addressing", "Secrecy"], resources: [.copy("Notice/Templates")], swiftSettings: strict),
        // The mail guard's servers on NetServer's TCP listener: the Postfix policy delegation
        // server, the socketmap server (sasl_access, sasl_exceptions), Dovecot's auth-policy HTTP API.
        .target(
            name: "MailGuardServer",
            dependencies: [
                "MailGuard", "NetServer", "Addressing",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
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
        // The subscriber-facing pages (Hummingbird 2): the remediation portal and the DNS guard's warning page.
        .target(
            name: "Portal",
            dependencies: [
                "Remediation", "Secrecy", "SiteWarning", "Addressing",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // What the application needs of a store backend beyond the domain protocols: readiness,
        // aggregates for /metrics, retention, checkpoints, keys. No database code.
        .target(
            name: "Storage", dependencies: ["TextScanning", "Addressing", "Secrecy", "Attribution", "Remediation", "SiteWarning", "MailGuard"],
            swiftSettings: strict),
        // The domain store protocols on SQLite (GRDB): the embedded default.
        .target(
            name: "StoreSQLite",
            dependencies: [
                "TextScanning", "Secrecy", "Addressing", "Attribution", "Sightings", "Remediation", "SiteWarning", "Storage", "MailGuard",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        // The same protocols on PostgreSQL (postgres-nio): several `mamori serve` on one database.
        .target(
            name: "StorePostgres",
            dependencies: [
                "TextScanning", "Secrecy", "Addressing", "Attribution", "Sightings", "Remediation", "SiteWarning", "Storage", "MailGuard",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The application layer: configuration, intake flows, services, adapters. Everything but argument parsing.
        .target(
            name: "Runtime",
            dependencies: [
                "TextScanning", "Secrecy", "Addressing", "Attribution", "Remediation", "Storage", "StoreSQLite", "StorePostgres", "Sightings",
                "Mailer", "Portal",
                "SiteWarning", "DNS", "DNSServer", "NetServer", "RADIUSServer", "MailGuard", "MailGuardServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "mamori",
            dependencies: [
                "Runtime", "TextScanning", "Secrecy", "Addressing", "Attribution", "Remediation", "Storage", "StoreSQLite", "StorePostgres",
                "Sightings", "Mailer", "Portal", "Compliance",
                "SiteWarning", "MailGuard", "EdgeFilter", "OpenResolverCheck", "DNS",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Samples")],
            swiftSettings: strict
        ),
        // The benchmarks of docs/benchmarks.md, side by side with their peers (`swift run -c release mamori-bench …`).
        .executableTarget(
            name: "MamoriBench",
            dependencies: [
                "Runtime", "MamoriTesting", "TextScanning", "Secrecy", "Addressing", "Attribution", "Remediation", "Storage", "StoreSQLite",
                "StorePostgres", "Sightings", "Mailer", "SiteWarning", "DNSServer", "DNS", "MailGuard", "MailGuardServer", "NetServer", "EdgeFilter",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Test and benchmark support: seeded generators, loopback peers. Never linked into `mamori`.
        .target(name: "MamoriTesting", dependencies: ["TextScanning", "Addressing"], swiftSettings: strict),
        // Test support for servers on NetServer: a timeout, a UDP probe on loopback, logs in memory.
        .target(
            name: "NetTesting",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(name: "TextScanningTests", dependencies: ["TextScanning"], swiftSettings: strict),
        .testTarget(name: "AddressingTests", dependencies: ["Addressing", "TextScanning"], swiftSettings: strict),
        .testTarget(
            name: "SecrecyTests", dependencies: ["Secrecy", "Addressing", "Attribution", "MamoriTesting"], exclude: ["CompileFail"],
            swiftSettings: strict),
        .testTarget(
            name: "AttributionTests", dependencies: ["Attribution", "Addressing", "Secrecy", "TextScanning", "MamoriTesting"], exclude: ["Fixtures"],
            swiftSettings: strict),
        .testTarget(
            name: "StoreSQLiteTests",
            dependencies: [
                "StoreSQLite", "Storage", "Secrecy", "Attribution", "Addressing", "Remediation", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "RemediationTests", dependencies: ["Remediation", "Attribution", "Secrecy", "Addressing", "TextScanning"], swiftSettings: strict),
        .testTarget(
            name: "SightingsTests", dependencies: ["Sightings", "Addressing", "TextScanning", "MamoriTesting"], exclude: ["Fixtures"],
            swiftSettings: strict),
        .testTarget(
            name: "MailerTests",
            dependencies: [
                "Mailer", "MamoriTesting", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "PortalTests",
            dependencies: [
                "Portal", "Remediation", "Secrecy", "SiteWarning", "Addressing",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "DNSTests",
            dependencies: [
                "DNS", "MamoriTesting", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "SiteWarningTests", dependencies: ["SiteWarning", "TextScanning", "Addressing", "Secrecy", "DNS", "MamoriTesting"],
            swiftSettings: strict),
        // NetServer on EmbeddedChannel and on loopback; the DNS server against real unbound, dig and kdig.
        .testTarget(
            name: "NetServerTests",
            dependencies: [
                "NetServer", "DNSServer", "DNS", "MamoriTesting", "NetTesting",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // The RADIUS listener in-process against Debian's radclient, with a real SQLite store.
        .testTarget(
            name: "RADIUSServerTests",
            dependencies: [
                "RADIUSServer", "Attribution", "SiteWarning", "NetServer", "StoreSQLite", "Secrecy", "Addressing", "MamoriTesting", "NetTesting",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // One suite for every store backend: SQLite, and PostgreSQL on a throwaway cluster.
        .testTarget(
            name: "StoreConformanceTests",
            dependencies: [
                "Storage", "StoreSQLite", "StorePostgres", "MamoriTesting", "Remediation", "Attribution", "Secrecy", "Addressing", "Sightings",
                "SiteWarning", "MailGuard",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "MailGuardTests",
            dependencies: [
                "MailGuard", "MailGuardServer", "NetServer", "Secrecy", "Addressing", "TextScanning", "MamoriTesting",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict),
        // The mail guard against real Postfix, Dovecot and swaks on loopback (its own pass: timing).
        .testTarget(
            name: "MailGuardPeerTests",
            dependencies: [
                "MailGuard", "Runtime", "StoreSQLite", "Secrecy", "Addressing", "MamoriTesting",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "EdgeFilterTests", dependencies: ["EdgeFilter", "Addressing", "Secrecy", "MamoriTesting"], exclude: ["Golden"],
            swiftSettings: strict),
        .testTarget(
            name: "OpenResolverCheckTests",
            dependencies: ["OpenResolverCheck", "Addressing", "DNS", "MamoriTesting", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict),
        .testTarget(name: "ComplianceTests", dependencies: ["Compliance", "Secrecy"], swiftSettings: strict),
        .testTarget(name: "MamoriCLITests", dependencies: ["Secrecy", "Addressing", "MamoriTesting"], swiftSettings: strict),
        .testTarget(
            name: "RuntimeTests",
            dependencies: [
                "Runtime", "MamoriTesting", "Storage", "StoreSQLite", "Remediation", "Secrecy", "Mailer", "Attribution", "MailGuard", "Addressing",
                "MailGuardServer", "NetServer", "NetTesting",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
    ]
)
