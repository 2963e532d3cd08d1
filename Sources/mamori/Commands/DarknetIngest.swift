import Addressing
import ArgumentParser
import EdgeFilter
import Foundation
import Remediation
import Runtime
import Secrecy
import Sightings
import TextScanning

/// Options of `ingest sightings --feed darknet`.
struct DarknetOptions: ParsableArguments {
    @Option(
        help: """
            With --feed darknet: the darknet prefixes (pools-file syntax: PREFIX [NAME], !PREFIX, # comments). \
            Lines named isp-space give the ISP's own address space instead (where subscribers are).
            """)
    var darknet: String?

    @Option(help: "With --feed darknet: more prefixes of the ISP's own address space (PREFIX per line).")
    var ispSpace: String?

    @Option(help: "With --feed darknet: distinct darknet addresses that make a source a scanner.")
    var minTargets: Int = 10

    @Option(help: "With --feed darknet: seconds within which they must be reached.")
    var window: Int = 3600
}

/// `mamori ingest sightings FILE… --feed darknet --darknet FILE`: the darknet sensor
/// (`network-observation`). Captures and flow exports are decoded for packets to the darknet
/// only; a source inside the ISP's space that reaches `--min-targets` darknet addresses within
/// `--window` seconds becomes one sighting (feed `darknet`, family from the ports) through the
/// existing case and notice flow. Sources outside the ISP's space are counted, never stored.
struct DarknetIngest {
    let options: StoreOptions
    let flow: FlowOptions
    let darknet: DarknetOptions
    let json: Bool
    let files: [String]

    func run() async throws {
        guard let darknetFile = darknet.darknet else { throw ValidationError("--feed darknet needs --darknet FILE") }
        guard darknet.minTargets >= 1 else { throw ValidationError("--min-targets: at least 1") }
        guard darknet.window >= 1 else { throw ValidationError("--window: at least 1 second") }
        let listed = try EdgeCommand.loadPools(darknetFile, option: "--darknet")
        var ispPools = listed.pools.filter { $0.name == "isp-space" }
        if let ispSpace = darknet.ispSpace {
            ispPools += try EdgeCommand.loadPools(ispSpace, option: "--isp-space").pools
        }
        let darknetPools = Pools(pools: listed.pools.filter { $0.name != "isp-space" }, exceptions: listed.exceptions)
        guard !darknetPools.ranges.isEmpty else { throw ValidationError("--darknet: \(darknetFile) lists no darknet prefix") }
        guard !ispPools.isEmpty else {
            throw ValidationError(
                "--feed darknet needs the ISP's own address space: lines named isp-space in --darknet, or --isp-space FILE "
                    + "(sources outside it are only counted)")
        }
        var sensor = DarknetSensor(
            darknet: darknetPools, ispSpace: Pools(pools: ispPools, exceptions: []),
            configuration: .init(minimumTargets: darknet.minTargets, window: Int64(darknet.window)))
        let store = try await options.openStore()
        let runtime = MamoriRuntime(
            store: store, configuration: MamoriConfiguration(declarations: try options.loadDeclarations(), flow: flow.configuration))
        let intake = try await runtime.caseIntake(actor: "cli")
        var decoder = EdgeDecoder()
        var totals = SightingIngestCounts()
        var unreadable = false
        for file in files {
            let name = URL(fileURLWithPath: file).lastPathComponent
            guard let data = FileManager.default.contents(atPath: file) else {
                Output.error("\(name): cannot read")
                unreadable = true
                continue
            }
            // The file ledger, as for the other feeds: a file already in is not read again.
            let ref = SightingFileRef(sha256: Hex.encode(Digest.sha256(Array(data))), name: name)
            if try await intake.isIngested(sha256: ref.sha256) {
                if !json { Output.line("\(name): already ingested (same content), nothing done") }
                continue
            }
            let before = decoder.counts
            let found = sensor.scanners.count
            decoder.decodeDarknet([UInt8](data), darknet: sensor.isDarknet) { sensor.observe($0) }
            for (reason, count) in decoder.counts.bad.sorted(by: { $0.key < $1.key }) where count > (before.bad[reason] ?? 0) {
                Output.error("\(name): \(count - (before.bad[reason] ?? 0)) refused: \(reason.rawValue)")
            }
            let sightings = sensor.scanners[found...].map { scanner in
                Sighting(
                    source: scanner.source, sourcePort: nil, time: Date(timeIntervalSince1970: TimeInterval(scanner.time)),
                    kind: .darknetScan, family: scanner.family, feed: "darknet",
                    evidence: "\(name): \(scanner.targets) darknet addresses, port \(scanner.topPort)")
            }
            let parsed = decoder.counts.decoded - before.decoded
            let counts = try await intake.ingest(
                sightings: sightings, from: ref, feed: "darknet", parsed: parsed, rejected: decoder.counts.badTotal - before.badTotal,
                notInfected: max(0, parsed - sightings.count))
            if counts.alreadyIngested, !json { Output.line("\(name): already ingested (same content), nothing done") }
            totals.add(counts)
        }
        let outside = "\(sensor.outsidePackets) darknet packets from outside the ISP's space counted, not kept"
        if json {
            Output.error(outside)
            Output.line(Output.json(totals.dictionary))
        } else {
            Output.line("darknet: \(totals.line); \(sensor.darknetPackets) darknet packets, \(outside)")
        }
        if unreadable { throw MamoriExit(code: MamoriExit.noInput) }
        if totals.rejected > 0 { throw MamoriExit(code: MamoriExit.dataError) }
    }
}
