// swift-tools-version:6.1
// libFuzzer targets for Mamori's parsers of outside input. Kept out of the main package: these
// executables have no `main` (libFuzzer provides it), so `swift build --build-tests` of the root
// package must never see them. Build and run one with `scripts/fuzz.sh TARGET SECONDS`
// (docs/fuzzing.md). Only the domain modules are linked: no NIO, Hummingbird or GRDB.
import PackageDescription

/// One executable per fuzz target: (target name, products of the root package or local support targets it uses).
let targets: [(String, [String])] = [
    ("FuzzRadiusDetail", ["Attribution"]),
    ("FuzzKeaLeases", ["Attribution"]),
    ("FuzzDhcpdLeases", ["Attribution"]),
    ("FuzzCGNPortBlocks", ["Attribution"]),
    ("FuzzShadowserver", ["Sightings"]),
    ("FuzzCowrie", ["Sightings"]),
    ("FuzzDionaea", ["Sightings"]),
    ("FuzzCnCCSV", ["Sightings"]),
    ("FuzzCnCJSONLines", ["Sightings"]),
    ("FuzzIoTReport", ["Sightings"]),
    ("FuzzSightingChunks", ["Sightings"]),
    ("FuzzReportMail", ["Sightings"]),
    ("FuzzInflate", ["Sightings"]),
    ("FuzzZipArchive", ["Sightings"]),
    ("FuzzDeclarations", ["Secrecy"]),
    ("FuzzPortalForm", ["Remediation"]),
    ("FuzzDNSMessage", ["DNS"]),
    ("FuzzBlocklist", ["SiteWarning"]),
    ("FuzzRadiusPacket", ["Attribution"]),
    ("FuzzPolicyRequest", ["MailGuard"]),
    ("FuzzSocketmap", ["MailGuard"]),
    ("FuzzAuthPolicy", ["MailGuard"]),
    ("FuzzPostfixLog", ["MailGuard"]),
    ("FuzzPcap", ["EdgeFuzzing"]),
    ("FuzzNetFlowV5", ["EdgeFuzzing"]),
    ("FuzzNetFlowV9", ["EdgeFuzzing"]),
    ("FuzzIPFIX", ["EdgeFuzzing"]),
    ("FuzzPools", ["EdgeFilter"]),
]

/// Support targets of this package (the rest are products of the root package).
let localTargets: Set<String> = ["EdgeFuzzing"]

let package = Package(
    name: "MamoriFuzz",
    platforms: [.macOS(.v15)],
    products: targets.map { .executable(name: $0.0, targets: [$0.0]) },
    dependencies: [.package(name: "Mamori", path: "..")],
    targets: [
        .target(name: "FuzzDriver"),
        // The edge decoder targets' one check (both purposes' views agree), shared by the four.
        .target(name: "EdgeFuzzing", dependencies: [.product(name: "EdgeFilter", package: "Mamori")]),
    ]
        + targets.map { name, products in
            .executableTarget(
                name: name,
                dependencies: ["FuzzDriver"] + products.map { localTargets.contains($0) ? .target(name: $0) : .product(name: $0, package: "Mamori") },
                swiftSettings: [.unsafeFlags(["-parse-as-library"])]
            )
        }
)
