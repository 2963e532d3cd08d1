import Addressing
import EdgeFilter
import Foundation
import MamoriTesting
import Runtime

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `mamori-bench edge`: the DNS-amplification measure's decoders and renderer against the tools
/// an ISP would otherwise use, in one run.
///
/// - Flow records: NetFlow v9 export messages generated from the seed (UDP and TCP flows to
///   10.0.0.0/8, sources in 172.16.0.0/12); Mamori decodes the messages back to back and counts
///   with ``AmplificationAnalysis`` (what `mamori edge analyze` does); the same messages go to a
///   real `nfcapd` on 127.0.0.1 and `nfdump` filters its files with
///   `proto udp and dst port 53 and (dst net P1 or …)`, pinned to one core (`taskset -c 0`).
/// - Packets: a pcap of Ethernet frames (IPv4 UDP/TCP, a tenth IPv6 to 2001:db8::/32); Mamori
///   the same way, against `tshark -n -r FILE -Y 'udp.dstport == 53 && ip.dst in {P1, …}'`.
/// - Rendering: RENDER-PREFIXES pool prefixes (three quarters IPv4 /28 in 10.0.0.0/8, a quarter
///   IPv6 /64 in 2001:db8::/32, none adjacent) parsed and rendered to nftables, then checked by
///   `nft -c -f`.
///
/// Every count is checked three ways (the generator's, Mamori's, the peer's); a mismatch is
/// reported, not hidden. Data are documentation and private prefixes; traffic is loopback only.
enum EdgeBench {
    struct Options: Sendable {
        var flows: Int
        var packets: Int
        var poolPrefixes: Int
        var renderPrefixes: Int
        var rounds: Int
        var seed: UInt64
        var json: Bool
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// What the policy should match in the generated input, counted by the generator.
    struct Expected: Sendable {
        var records = 0
        var matchedRecords = 0
        var matchedPackets: UInt64 = 0
        var matchedBytes: UInt64 = 0
    }

    /// One side of a comparison.
    struct Timing: Sendable {
        var items: Int
        var wall: Double
        var cpu: Double?
        var rate: Double { Double(items) / wall }
    }

    static let tools = ["nfcapd": "nfdump", "nfdump": "nfdump", "tshark": "tshark", "nft": "nftables", "taskset": "util-linux"]

    static func run(_ o: Options) throws {
        for (tool, package) in tools.sorted(by: { $0.key < $1.key }) where executable(tool) == nil {
            throw MissingPeer("\(tool) not found (Debian package \(package))")
        }
        let loadBefore = LoadAverage.oneMinute()
        let directory = try BenchTemporaryDirectory(prefix: "mamori-bench-edge")
        defer { directory.remove() }
        let traffic = TrafficPools(count: o.poolPrefixes)
        let pools = try parsePools(traffic.poolsFile, file: "bench-pools.txt")
        var rows: [(String, String)] = []
        var json: [String: Any] = [
            "flows": o.flows, "packets": o.packets, "pool_prefixes": o.poolPrefixes, "render_prefixes": o.renderPrefixes, "rounds": o.rounds,
        ]

        // 1. Flow records: Mamori against nfcapd + nfdump.
        if o.flows > 0 {
            var random = BenchRandom(seed: o.seed)
            let (messages, expected) = FlowGenerator.netflowV9(records: o.flows, traffic: traffic, random: &random)
            let file = directory.url.appendingPathComponent("flows.nf9")
            try Data(messages.joined()).write(to: file)
            let bytes = [UInt8](try Data(contentsOf: file))
            let mamori = try timeMamori(bytes, pools: pools, expected: expected, rounds: o.rounds, what: "NetFlow v9")
            let store = directory.url.appendingPathComponent("nfcapd")
            try FileManager.default.createDirectory(at: store, withIntermediateDirectories: true)
            let stored = try Nfcapd.collect(messages, into: store)
            let filter = "proto udp and dst port 53 and (" + traffic.prefixes.map { "dst net \($0)" }.joined(separator: " or ") + ")"
            let (nfdump, summary) = try timeNfdump(store: store, filter: filter, rounds: o.rounds, records: stored)
            let agrees =
                summary.flows == expected.matchedRecords && summary.packets == expected.matchedPackets && summary.bytes == expected.matchedBytes
            rows.append(
                (
                    "flow records: Mamori (v9 decode + pool match)",
                    describe(mamori) + " (goal ≥ 20,000,000/s: \(BenchFormat.goal(mamori.rate >= 20e6)))"
                ))
            rows.append(("flow records: nfdump -R (nfcapd files, taskset -c 0)", describe(nfdump)))
            rows.append(("flow records: Mamori / nfdump", ratioText(mamori.rate / nfdump.rate, goal: 10)))
            rows.append(
                (
                    "flow records: nfcapd stored / sent",
                    "\(BenchFormat.count(stored)) / \(BenchFormat.count(o.flows))"
                        + "; matched \(BenchFormat.count(expected.matchedRecords)) flows, nfdump \(BenchFormat.count(summary.flows))"
                        + (agrees
                            ? " (flows, packets, bytes agree)"
                            : " (DIFFER: nfdump packets \(summary.packets), bytes \(summary.bytes); generator \(expected.matchedPackets), \(expected.matchedBytes)")
                ))
            json["flow_mamori_per_s"] = BenchFormat.json(mamori.rate, 0)
            json["flow_mamori_cpu_per_s"] = mamori.cpu.map { BenchFormat.json(Double(mamori.items) / $0, 0) }
            json["flow_nfdump_per_s"] = BenchFormat.json(nfdump.rate, 0)
            json["flow_ratio"] = BenchFormat.json(mamori.rate / nfdump.rate, 2)
            json["flow_nfcapd_stored"] = stored
            json["flow_matched"] = expected.matchedRecords
            json["flow_nfdump_agrees"] = agrees
        }

        // 2. Packets: Mamori against tshark.
        if o.packets > 0 {
            var random = BenchRandom(seed: o.seed &+ 1)
            let (capture, expected) = PacketGenerator.pcap(packets: o.packets, traffic: traffic, random: &random)
            let file = directory.url.appendingPathComponent("packets.pcap")
            try Data(capture).write(to: file)
            let bytes = [UInt8](try Data(contentsOf: file))
            let mamori = try timeMamori(bytes, pools: pools, expected: expected, rounds: o.rounds, what: "pcap")
            let filter = "udp.dstport == 53 && ip.dst in {" + traffic.prefixes.joined(separator: ", ") + "}"
            let (tshark, matched) = try timeTshark(file: file, filter: filter, rounds: o.rounds, packets: o.packets)
            rows.append(
                ("pcap packets: Mamori (decode + pool match)", describe(mamori) + " (goal ≥ 5,000,000/s: \(BenchFormat.goal(mamori.rate >= 5e6)))"))
            rows.append(("pcap packets: tshark -Y (taskset -c 0)", describe(tshark)))
            rows.append(("pcap packets: Mamori / tshark", ratioText(mamori.rate / tshark.rate, goal: 10)))
            rows.append(
                (
                    "pcap packets: matched",
                    "generator \(BenchFormat.count(expected.matchedRecords)), tshark \(BenchFormat.count(matched))"
                        + (matched == expected.matchedRecords ? " (agree)" : " (DIFFER)")
                ))
            json["pcap_mamori_per_s"] = BenchFormat.json(mamori.rate, 0)
            json["pcap_mamori_cpu_per_s"] = mamori.cpu.map { BenchFormat.json(Double(mamori.items) / $0, 0) }
            json["pcap_tshark_per_s"] = BenchFormat.json(tshark.rate, 0)
            json["pcap_ratio"] = BenchFormat.json(mamori.rate / tshark.rate, 2)
            json["pcap_matched"] = expected.matchedRecords
            json["pcap_tshark_agrees"] = matched == expected.matchedRecords
        }

        // 3. Rendering RENDER-PREFIXES prefixes to nftables, checked by nft -c.
        if o.renderPrefixes > 0 {
            let text = renderPoolsFile(o.renderPrefixes)
            let (parsed, parseSeconds) = try Stopwatch.seconds { try parsePools(text, file: "render-pools.txt") }
            let (ruleset, renderSeconds) = Stopwatch.seconds { RuleRenderer(pools: parsed, wanInterface: "wan0").render(.nftables) }
            let listed = parsed.prefixes(.v4).count + parsed.prefixes(.v6).count
            guard listed == o.renderPrefixes else {
                throw Failure("the rendered pools list \(listed) prefixes, \(o.renderPrefixes) were generated (none should merge)")
            }
            let rules = directory.url.appendingPathComponent("render.nft")
            try Data(ruleset.utf8).write(to: rules)
            let (check, nftSeconds) = try Stopwatch.seconds { try Subprocess.run(["nft", "-c", "-f", rules.path], check: false) }
            let passed = check.status == 0
            rows.append(
                (
                    "render \(BenchFormat.count(o.renderPrefixes)) prefixes to nftables",
                    BenchFormat.seconds(renderSeconds)
                        + " (parse \(BenchFormat.seconds(parseSeconds)); goal ≤ 1 s: \(BenchFormat.goal(renderSeconds <= 1)))"
                        + ", \(BenchFormat.megabytes(ruleset.utf8.count))"
                ))
            rows.append(
                (
                    "nft -c -f (the rendered ruleset)",
                    (passed ? "pass" : "FAIL (status \(check.status): \(check.stderr.split(separator: "\n").first ?? ""))") + " in "
                        + BenchFormat.seconds(nftSeconds)
                ))
            json["render_s"] = BenchFormat.json(renderSeconds, 4)
            json["render_parse_s"] = BenchFormat.json(parseSeconds, 4)
            json["nft_check_pass"] = passed
            json["nft_check_s"] = BenchFormat.json(nftSeconds, 3)
        }

        let loadAfter = LoadAverage.oneMinute()
        var versions: [(String, String)] = []
        for (name, arguments) in [("nfdump", ["nfdump", "-V"]), ("tshark", ["tshark", "--version"]), ("nft", ["nft", "--version"])] {
            let output = (try? Subprocess.run(arguments, check: false))?.stdout ?? ""
            versions.append((name + " version", String(output.split(separator: "\n").first ?? "?")))
        }
        if o.json {
            if let loadBefore { json["load_before"] = loadBefore }
            if let loadAfter { json["load_after"] = loadAfter }
            Output.line(Output.json(json))
            return
        }
        var table = BenchTable(
            "Edge: DNS-amplification decoders and renderer, \(BenchFormat.count(o.poolPrefixes)) pool prefixes, best of \(o.rounds) round(s)")
        for (name, value) in rows + versions { table.row(name, value) }
        table.row(
            "load average (1 min)",
            "before \(loadBefore.map { String(format: "%.2f", $0) } ?? "?"), after \(loadAfter.map { String(format: "%.2f", $0) } ?? "?")")
        table.print()
    }

    // MARK: - Measuring

    static func parsePools(_ text: String, file: String) throws -> Pools {
        do {
            return try Pools.parse(text, file: file)
        } catch {
            throw Failure("generated pools refused: \(error.description.prefix(500))")
        }
    }

    /// Mamori's `edge analyze` path over `bytes`, best of `rounds`; every count checked.
    static func timeMamori(_ bytes: [UInt8], pools: Pools, expected: Expected, rounds: Int, what: String) throws -> Timing {
        var best: Timing?
        for _ in 0..<rounds {
            var decoder = EdgeDecoder()
            var analysis = AmplificationAnalysis(pools: pools)
            let (_, wall, cpu) = ThreadCPU.measure { analysis.add(decoding: bytes, with: &decoder) }
            guard decoder.counts.decoded == expected.records, decoder.counts.badTotal == 0 else {
                throw Failure("\(what): Mamori decoded \(decoder.counts.decoded) of \(expected.records) (\(decoder.counts.badTotal) bad)")
            }
            guard analysis.matched.packets == expected.matchedPackets, analysis.matched.bytes == expected.matchedBytes else {
                throw Failure(
                    "\(what): Mamori matched \(analysis.matched.packets) packets \(analysis.matched.bytes) bytes, "
                        + "the generator \(expected.matchedPackets) / \(expected.matchedBytes)")
            }
            let timing = Timing(items: expected.records, wall: wall, cpu: cpu)
            if best == nil || wall < best?.wall ?? .infinity { best = timing }
        }
        guard let best else { throw Failure("no round") }
        return best
    }

    /// nfdump's summary of the matched flows.
    struct NfdumpSummary: Sendable {
        var flows = 0
        var bytes: UInt64 = 0
        var packets: UInt64 = 0
    }

    static func timeNfdump(store: URL, filter: String, rounds: Int, records: Int) throws -> (Timing, NfdumpSummary) {
        var best: Timing?
        var summary = NfdumpSummary()
        for _ in 0..<rounds {
            // `-N` plain numbers; `-s proto/flows -n 1`: nfdump filters every record and prints one statistics line and
            // its summary, so the output costs nothing next to the filtering.
            let (result, wall) = try Stopwatch.seconds {
                try Subprocess.run(["taskset", "-c", "0", "nfdump", "-N", "-R", store.path, "-s", "proto/flows", "-n", "1", filter])
            }
            summary = try parseNfdumpSummary(result.stdout)
            if best == nil || wall < best?.wall ?? .infinity { best = Timing(items: records, wall: wall) }
        }
        guard let best else { throw Failure("no round") }
        return (best, summary)
    }

    /// `Summary: total flows: 12, total bytes: 3456, total packets: 78, …` (1.7.x).
    static func parseNfdumpSummary(_ text: String) throws -> NfdumpSummary {
        guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("Summary:") }) else {
            if text.contains("No matching flows") { return NfdumpSummary() }
            throw Failure("nfdump printed no summary: \(text.suffix(500))")
        }
        var summary = NfdumpSummary()
        for part in line.dropFirst("Summary:".count).split(separator: ",") {
            let pair = part.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            switch pair[0] {
            case "total flows": summary.flows = Int(pair[1]) ?? -1
            case "total bytes": summary.bytes = UInt64(pair[1]) ?? 0
            case "total packets": summary.packets = UInt64(pair[1]) ?? 0
            default: break
            }
        }
        return summary
    }

    static func timeTshark(file: URL, filter: String, rounds: Int, packets: Int) throws -> (Timing, Int) {
        var best: Timing?
        var matched = 0
        for _ in 0..<rounds {
            let (result, wall) = try Stopwatch.seconds {
                try Subprocess.run(["taskset", "-c", "0", "tshark", "-n", "-r", file.path, "-Y", filter, "-T", "fields", "-e", "frame.number"])
            }
            matched = result.stdout.split(separator: "\n").count
            if best == nil || wall < best?.wall ?? .infinity { best = Timing(items: packets, wall: wall) }
        }
        guard let best else { throw Failure("no round") }
        return (best, matched)
    }

    static func describe(_ t: Timing) -> String {
        var text = "\(BenchFormat.rate(t.rate)) (\(BenchFormat.count(t.items)) in \(BenchFormat.seconds(t.wall))"
        if let cpu = t.cpu { text += "; thread CPU \(BenchFormat.rate(Double(t.items) / cpu))" }
        return text + ")"
    }

    static func ratioText(_ ratio: Double, goal: Double) -> String {
        String(format: "%.2f×", ratio) + " (goal ≥ \(Int(goal))×: \(BenchFormat.goal(ratio >= goal)))"
    }

    static func executable(_ name: String) -> String? {
        for directory in ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin"] {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// RENDER-PREFIXES prefixes none of which merge: IPv4 /28 every 32 addresses from 10.0.0.0,
    /// IPv6 /64 every other /64 from 2001:db8::.
    static func renderPoolsFile(_ count: Int) -> String {
        let v4 = min(count - count / 4, (1 << 24) / 32)
        var lines: [String] = ["# mamori-bench edge: generated"]
        lines.reserveCapacity(count + 1)
        for index in 0..<v4 {
            let address = UInt32(10) << 24 | UInt32(index * 32)
            lines.append("\(address >> 24).\(address >> 16 & 0xFF).\(address >> 8 & 0xFF).\(address & 0xFF)/28 pool-\(index % 16)")
        }
        for index in 0..<(count - v4) {
            let group = index * 2
            lines.append("2001:db8:\(String(group >> 16, radix: 16)):\(String(group & 0xFFFF, radix: 16))::/64 pool-\(index % 16)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The pools of the generated traffic: COUNT /20s in 10.0.0.0/8, every other /20 (so none merge).
struct TrafficPools: Sendable {
    let count: Int
    let prefixes: [String]
    let poolsFile: String

    init(count: Int) {
        self.count = count
        prefixes = (0..<count).map { index in
            let address = UInt32(10) << 24 | UInt32(index) << 13
            return "\(address >> 24).\(address >> 16 & 0xFF).\(address >> 8 & 0xFF).0/20"
        }
        poolsFile = prefixes.enumerated().map { "\($0.element) pool-\($0.offset % 8)" }.joined(separator: "\n") + "\n"
    }

    /// Whether `address` is in one of the pools (arithmetic, independent of Mamori's matcher).
    func contains(_ address: UInt32) -> Bool {
        guard address >> 24 == 10 else { return false }
        let offset = address & 0x00FF_FFFF
        return offset & 0x1000 == 0 && Int(offset >> 13) < count
    }

    /// A destination: half in a pool, half anywhere in 10.0.0.0/8.
    func destination(_ random: inout BenchRandom) -> UInt32 {
        if random.chance(0.5) {
            return UInt32(10) << 24 | UInt32(random.below(count)) << 13 | UInt32(random.below(4096))
        }
        return UInt32(10) << 24 | UInt32(random.below(1 << 24))
    }
}

/// Fields of one generated flow or packet.
struct GeneratedFlow {
    var source: UInt32
    var destination: UInt32
    var sourcePort: UInt16
    var destinationPort: UInt16
    var transport: UInt8
    var packets: UInt32
    var bytes: UInt32

    /// 75 % UDP, 40 % to port 53, sources in 172.16.0.0/12.
    static func next(_ random: inout BenchRandom, traffic: TrafficPools) -> GeneratedFlow {
        let packets = UInt32(random.within(1...8))
        return GeneratedFlow(
            source: UInt32(0xAC10_0000) | UInt32(random.below(1 << 20)), destination: traffic.destination(&random),
            sourcePort: UInt16(random.within(1024...65535)), destinationPort: random.chance(0.4) ? 53 : UInt16(random.within(1...65535)),
            transport: random.chance(0.75) ? 17 : 6, packets: packets, bytes: packets * UInt32(random.within(60...1400)))
    }
}

/// Big-endian byte appends.
extension Array where Element == UInt8 {
    mutating func put16(_ value: UInt16) {
        append(UInt8(value >> 8))
        append(UInt8(value & 0xFF))
    }

    mutating func put32(_ value: UInt32) {
        put16(UInt16(value >> 16))
        put16(UInt16(value & 0xFFFF))
    }

    mutating func set16(_ value: UInt16, at index: Int) {
        self[index] = UInt8(value >> 8)
        self[index + 1] = UInt8(value & 0xFF)
    }

    mutating func putLE32(_ value: UInt32) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

/// NetFlow v9 export messages (RFC 3954) as a router sends them.
enum FlowGenerator {
    /// Template 256: IPV4_SRC_ADDR, IPV4_DST_ADDR, L4_SRC_PORT, L4_DST_PORT, PROTOCOL, IN_PKTS,
    /// IN_BYTES, FIRST_SWITCHED, LAST_SWITCHED (29 bytes a record).
    static let template: [(UInt16, UInt16)] = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (2, 4), (1, 4), (22, 4), (21, 4)]
    static let recordsPerMessage = 45
    static let exportTime: UInt32 = 1_796_083_200  // 2026-12-01T00:00:00Z

    static func netflowV9(records: Int, traffic: TrafficPools, random: inout BenchRandom) -> ([[UInt8]], EdgeBench.Expected) {
        var expected = EdgeBench.Expected(records: records)
        var messages: [[UInt8]] = []
        messages.reserveCapacity(records / recordsPerMessage + 1)
        var written = 0
        var sequence: UInt32 = 0
        while written < records {
            let count = Swift.min(recordsPerMessage, records - written)
            let withTemplate = sequence % 20 == 0
            let uptime = 3_600_000 &+ sequence &* 10
            var message: [UInt8] = []
            message.reserveCapacity(1400)
            message.put16(9)
            message.put16(UInt16(count + (withTemplate ? 1 : 0)))
            message.put32(uptime)
            message.put32(exportTime + sequence / 100)
            message.put32(sequence)
            message.put32(1)  // source id
            if withTemplate {
                message.put16(0)
                message.put16(UInt16(8 + 4 * template.count))
                message.put16(256)
                message.put16(UInt16(template.count))
                for (element, length) in template {
                    message.put16(element)
                    message.put16(length)
                }
            }
            let setStart = message.count
            message.put16(256)
            message.put16(0)
            for _ in 0..<count {
                let flow = GeneratedFlow.next(&random, traffic: traffic)
                message.put32(flow.source)
                message.put32(flow.destination)
                message.put16(flow.sourcePort)
                message.put16(flow.destinationPort)
                message.append(flow.transport)
                message.put32(flow.packets)
                message.put32(flow.bytes)
                message.put32(uptime &- 5000)
                message.put32(uptime &- 1000)
                if flow.transport == 17, flow.destinationPort == 53, traffic.contains(flow.destination) {
                    expected.matchedRecords += 1
                    expected.matchedPackets += UInt64(flow.packets)
                    expected.matchedBytes += UInt64(flow.bytes)
                }
            }
            while (message.count - setStart) % 4 != 0 { message.append(0) }
            message.set16(UInt16(message.count - setStart), at: setStart + 2)
            messages.append(message)
            written += count
            sequence &+= 1
        }
        return (messages, expected)
    }
}

/// A pcap of Ethernet frames: IPv4 UDP and TCP to 10.0.0.0/8, a tenth IPv6 UDP to 2001:db8::/32.
enum PacketGenerator {
    static func pcap(packets: Int, traffic: TrafficPools, random: inout BenchRandom) -> ([UInt8], EdgeBench.Expected) {
        var expected = EdgeBench.Expected(records: packets)
        var out: [UInt8] = []
        out.reserveCapacity(24 + packets * 100)
        out.putLE32(0xA1B2_C3D4)
        out.append(contentsOf: [2, 0, 4, 0])  // version 2.4, little-endian
        out.putLE32(0)
        out.putLE32(0)
        out.putLE32(65535)
        out.putLE32(1)  // Ethernet
        let payload = [UInt8](repeating: 0x61, count: 24)
        for index in 0..<packets {
            let flow = GeneratedFlow.next(&random, traffic: traffic)
            let v6 = random.chance(0.1)
            var frame: [UInt8] = [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01]
            let transportLength = (flow.transport == 17 ? 8 : 20) + payload.count
            if v6 {
                frame.put16(0x86DD)
                frame.put32(0x6000_0000)
                frame.put16(UInt16(8 + payload.count))
                frame.append(17)
                frame.append(64)
                frame.put32(0x2001_0DB8)
                frame.put32(0xAC10)
                frame.put32(0)
                frame.put32(flow.source)
                frame.put32(0x2001_0DB8)
                frame.put32(0x0100)
                frame.put32(0)
                frame.put32(flow.destination)
                appendUDP(&frame, flow, payload)
            } else {
                frame.put16(0x0800)
                let total = 20 + transportLength
                frame.append(contentsOf: [0x45, 0])
                frame.put16(UInt16(total))
                frame.put16(UInt16(truncatingIfNeeded: index))
                frame.put16(0x4000)
                frame.append(64)
                frame.append(flow.transport)
                frame.put16(0)
                frame.put32(flow.source)
                frame.put32(flow.destination)
                if flow.transport == 17 {
                    appendUDP(&frame, flow, payload)
                } else {
                    frame.put16(flow.sourcePort)
                    frame.put16(flow.destinationPort)
                    frame.put32(1)
                    frame.put32(0)
                    frame.append(contentsOf: [0x50, 0x02])
                    frame.put16(65535)
                    frame.put32(0)
                    frame.append(contentsOf: payload)
                }
                if flow.transport == 17, flow.destinationPort == 53, traffic.contains(flow.destination) {
                    expected.matchedRecords += 1
                    expected.matchedPackets += 1
                    expected.matchedBytes += UInt64(total)
                }
            }
            out.putLE32(FlowGenerator.exportTime + UInt32(index / 100_000))
            out.putLE32(UInt32(index % 100_000) * 10)
            out.putLE32(UInt32(frame.count))
            out.putLE32(UInt32(frame.count))
            out.append(contentsOf: frame)
        }
        return (out, expected)
    }

    static func appendUDP(_ frame: inout [UInt8], _ flow: GeneratedFlow, _ payload: [UInt8]) {
        frame.put16(flow.sourcePort)
        frame.put16(flow.destinationPort)
        frame.put16(UInt16(8 + payload.count))
        frame.put16(0)
        frame.append(contentsOf: payload)
    }
}

/// A real nfcapd on a free 127.0.0.1 UDP port, fed export messages, stopped by its PID.
enum Nfcapd {
    /// Sends `messages` to a fresh nfcapd writing into `directory`; returns the records its files hold.
    static func collect(_ messages: [[UInt8]], into directory: URL) throws -> Int {
        let port = try UDPLoopback.freePort()
        // Spawned with an empty signal mask (CleanChild): nfcapd writes its file on SIGTERM,
        // which a child of Foundation's Process would have blocked.
        let child = try CleanChild(
            executable: URL(fileURLWithPath: EdgeBench.executable("nfcapd") ?? "/usr/bin/nfcapd"),
            // -t 3600: one file for the run; -B: a larger receive buffer (capped by net.core.rmem_max).
            arguments: ["-b", "127.0.0.1", "-p", "\(port)", "-w", directory.path, "-t", "3600", "-B", "8388608"],
            output: directory.deletingLastPathComponent().appendingPathComponent("nfcapd.log"))
        defer { _ = child.wait(timeout: 0) }
        guard UDPLoopback.waitUntilBound(port: port, seconds: 30) else {
            throw EdgeBench.Failure("nfcapd did not bind 127.0.0.1:\(port)")
        }
        try UDPLoopback.sendAll(messages, port: port)
        // nfcapd writes its file when it stops (SIGTERM): first let it read what is queued.
        for _ in 0..<3000 where (UDPLoopback.receiveQueue(port: port) ?? 0) > 0 { usleep(10_000) }
        usleep(300_000)
        child.signal(SIGTERM)
        _ = child.wait(timeout: 60)
        let result = try Subprocess.run(["nfdump", "-R", directory.path, "-I"])
        for line in result.stdout.split(separator: "\n") where line.hasPrefix("Flows:") {
            return Int(line.dropFirst("Flows:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        throw EdgeBench.Failure("nfdump -I printed no flow count: \(result.stdout.prefix(500))")
    }
}
