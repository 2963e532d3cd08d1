import Foundation
import MamoriTesting
import Testing

/// `mamori edge render|diff|analyze` and `ingest sightings --feed darknet`, end to end.
@Suite struct EdgeTests {
    static let golden = CLI.root.appendingPathComponent("Tests/EdgeFilterTests/Golden")

    @Test func renderPrintsTheReviewedRules() throws {
        for (target, file) in [("nftables", "pools.nft"), ("junos", "pools.junos"), ("iosxr", "pools.iosxr")] {
            let run = try CLI.run(["edge", "render", "--pools", Self.golden.appendingPathComponent("pools.txt").path, "--target", target])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout == (try String(contentsOf: Self.golden.appendingPathComponent(file), encoding: .utf8)))
        }
    }

    @Test func badPoolsFileIsRefusedWithFileAndLine() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pools = dir.appendingPathComponent("pools.txt")
        try "198.51.100.0/24 east\n198.51.100.300/24 west\n".write(to: pools, atomically: true, encoding: .utf8)
        let run = try CLI.run(["edge", "render", "--pools", pools.path, "--target", "nftables"])
        #expect(run.status == 65)
        #expect(run.stderr.contains("pools.txt:2: not an IPv4 or IPv6 prefix (field 1)"))
        #expect(run.stdout.isEmpty)
    }

    @Test func diffListsWhatChanges() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let old = dir.appendingPathComponent("old.txt")
        let new = dir.appendingPathComponent("new.txt")
        try "198.51.100.0/24 east\n".write(to: old, atomically: true, encoding: .utf8)
        try "198.51.100.0/24 east\n!198.51.100.0/26\n2001:db8::/48 east\n".write(to: new, atomically: true, encoding: .utf8)
        let run = try CLI.run(["edge", "diff", "--pools", new.path, "--since", old.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.lines == ["- 198.51.100.0/26", "+ 2001:db8::/48", "1 prefixes no longer blocked, 1 newly blocked"])
    }

    /// The totals of `edge analyze` over real captures equal tshark's count with the equivalent
    /// display filter.
    @Test(.enabled(if: Corpus.isPresent, "needs the shared corpus"))
    func analyzeMatchesTsharkOnRealCaptures() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pools = dir.appendingPathComponent("pools.txt")
        try "192.168.0.0/16 lab\n!192.168.90.10\n2001:470:765b::/48 lab6\n".write(to: pools, atomically: true, encoding: .utf8)
        let files = ["zeek-dns-edns-ecs.pcap", "zeek-long-connection.pcap", "zeek-rrsig.pcap"].map {
            CLI.corpus.appendingPathComponent("dns/\($0)").path
        }
        let run = try CLI.run(["edge", "analyze", "--pools", pools.path, "--json"] + files)
        #expect(run.status == 0, "\(run.stderr)")
        let summary = CLI.object(run.lines.last ?? "")
        #expect(Array(summary.keys).sorted() == ["bad", "matched_bytes", "matched_packets", "packets", "per_pool"])
        #expect(run.lines.last?.hasPrefix("{\"packets\":") == true)
        var packets = 0
        var perPool: [String: (Int, Int)] = ["lab": (0, 0), "lab6": (0, 0)]
        let filters = [
            "lab": "udp.dstport == 53 && ip.dst == 192.168.0.0/16 && ip.dst != 192.168.90.10",
            "lab6": "udp.dstport == 53 && ipv6.dst == 2001:470:765b::/48",
        ]
        for file in files {
            let all = try CLI.exec(URL(fileURLWithPath: "/usr/bin/tshark"), ["-r", file, "-Y", "ip or ipv6", "-T", "fields", "-e", "frame.number"])
            packets += all.lines.count
            for (pool, filter) in filters {
                let hits = try CLI.exec(
                    URL(fileURLWithPath: "/usr/bin/tshark"), ["-r", file, "-Y", filter, "-T", "fields", "-e", "ip.len", "-e", "ipv6.plen"])
                for line in hits.lines {
                    let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
                    let bytes = Int(fields[0]) ?? (40 + (Int(fields.count > 1 ? fields[1] : "") ?? 0))
                    perPool[pool, default: (0, 0)].0 += 1
                    perPool[pool, default: (0, 0)].1 += bytes
                }
            }
        }
        #expect(summary["packets"] as? Int == packets)
        #expect(summary["bad"] as? Int == 0)
        let reported = summary["per_pool"] as? [String: [String: Int]] ?? [:]
        for (pool, (count, bytes)) in perPool {
            #expect(reported[pool]?["packets"] == count, "\(pool)")
            #expect(reported[pool]?["bytes"] == bytes, "\(pool)")
        }
        #expect(summary["matched_packets"] as? Int == perPool.values.map(\.0).reduce(0, +))
        #expect(summary["matched_bytes"] as? Int == perPool.values.map(\.1).reduce(0, +))
        #expect((perPool["lab"]?.0 ?? 0) > 0 && (perPool["lab6"]?.0 ?? 0) > 0)
    }

    @Test(.enabled(if: Corpus.isPresent, "needs the shared corpus"))
    func analyzeCountsBadInputAndGoesOn() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pools = dir.appendingPathComponent("pools.txt")
        try "198.51.100.0/24 east\n".write(to: pools, atomically: true, encoding: .utf8)
        let run = try CLI.run(
            ["edge", "analyze", "--pools", pools.path, "--json"]
                + ["logstash-netflow5_test_invalid01.dat", "logstash-netflow5.dat"].map { CLI.corpus.appendingPathComponent("dns/\($0)").path })
        #expect(run.status == 65)
        #expect(run.stderr.contains("logstash-netflow5_test_invalid01.dat: 1 refused: bad-flow-count (first at byte 2)"))
        let summary = CLI.object(run.lines.last ?? "")
        #expect(summary["bad"] as? Int == 1)
        #expect((summary["packets"] as? Int ?? 0) > 0)
    }

    // MARK: darknet

    /// A raw-IP pcap of TCP SYN-sized packets `(source, destination, port, time)`.
    static func pcap(_ packets: [(String, String, UInt16, UInt32)]) -> Data {
        func quad(_ text: String) -> [UInt8] { text.split(separator: ".").map { UInt8($0)! } }
        func le32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        var out = le32(0xA1B2_C3D4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(65535) + le32(101)
        for (source, destination, port, time) in packets {
            let ip: [UInt8] = [0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0] + quad(source) + quad(destination)
            let tcp: [UInt8] = [0xC3, 0x50, UInt8(port >> 8), UInt8(port & 0xFF), 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02, 0xFF, 0xFF, 0, 0, 0, 0]
            out += le32(time) + le32(0) + le32(40) + le32(40) + ip + tcp
        }
        return Data(out)
    }

    func preparedStore(_ dir: URL) throws -> URL {
        let samples = CLI.root.appendingPathComponent("Sources/mamori/Samples")
        let store = dir.appendingPathComponent("edge.sqlite")
        let ingest = try CLI.run(
            ["ingest", "aaa", "--store", store.path, "--header-time-zone", "Asia/Tokyo"]
                + ["radius-detail.txt", "kea-leases4.csv", "dhcpd.leases", "cgn-blocks.csv"].map { samples.appendingPathComponent($0).path })
        try #require(ingest.status == 0, "\(ingest.stderr)")
        return store
    }

    /// A subscriber's host scanning the darknet on Telnet opens a mirai-like case; a scanner from
    /// outside the ISP's space leaves nothing in the store: no identification, no address, no case.
    @Test func darknetScannersBecomeCasesAndOutsideSourcesLeaveNothing() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try preparedStore(dir)
        let darknet = dir.appendingPathComponent("darknet.txt")
        try "# unused part of our space\n192.0.2.128/26 dark\n192.0.2.0/24 isp-space\n".write(to: darknet, atomically: true, encoding: .utf8)
        let start: UInt32 = 1_795_738_200  // 2026-11-27T00:10:00Z, while 192.0.2.10 is sub-0001's
        let outsideOnly = dir.appendingPathComponent("outside.pcap")
        try Self.pcap((0..<20).map { ("198.51.100.99", "192.0.2.\(130 + $0)", 23, start + UInt32($0)) }).write(to: outsideOnly)
        let before = try CLI.run(["audit", "show", "--store", store.path]).lines.count
        let outside = try CLI.run(
            [
                "ingest", "sightings", "--store", store.path, "--feed", "darknet", "--darknet", darknet.path, "--min-targets", "5", "--json",
                outsideOnly.path,
            ])
        #expect(outside.status == 0, "\(outside.stderr)")
        let outsideCounts = CLI.object(outside.lines.last ?? "")
        #expect(outsideCounts["parsed"] as? Int == 20)
        #expect(outsideCounts["attributed"] as? Int == 0)
        #expect(outsideCounts["not_found"] as? Int == 0)
        #expect(outside.stderr.contains("20 darknet packets from outside the ISP's space counted, not kept"))
        let audit = try CLI.run(["audit", "show", "--store", store.path])
        #expect(audit.lines.count == before + 1)  // the ingest's own record, counts only
        #expect(!audit.stdout.contains("\tidentification\t"))
        let dump = try CLI.sqlite(store, ".dump")
        #expect(!dump.stdout.contains("198.51.100.99"))
        #expect(try CLI.sqlite(store, "SELECT COUNT(*) FROM infection_case;").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0")

        let mixed = dir.appendingPathComponent("mixed.pcap")
        let inside = (0..<6).map { ("192.0.2.10", "192.0.2.\(140 + $0)", UInt16($0 % 2 == 0 ? 23 : 2323), start + UInt32($0)) }
        let noise = [("192.0.2.11", "192.0.2.140", UInt16(23), start)]  // one target only: no scanner
        try Self.pcap(inside + noise + (0..<7).map { ("198.51.100.99", "192.0.2.\(150 + $0)", 23, start + UInt32($0)) }).write(to: mixed)
        let run = try CLI.run(
            [
                "ingest", "sightings", "--store", store.path, "--feed", "darknet", "--darknet", darknet.path, "--min-targets", "5", "--window", "60",
                "--json", mixed.path,
            ])
        #expect(run.status == 0, "\(run.stderr)")
        let counts = CLI.object(run.lines.last ?? "")
        #expect(counts["parsed"] as? Int == 14)
        #expect(counts["attributed"] as? Int == 1)
        #expect(counts["cases_opened"] as? Int == 1)
        let cases = try CLI.run(["cases", "--store", store.path, "--json"])
        #expect(cases.lines.count == 1)
        #expect(cases.stdout.contains("mirai-like"))
        #expect(cases.stdout.contains("infected-host-notification"))
        let after = try CLI.run(["audit", "show", "--store", store.path])
        #expect(after.lines.filter { $0.contains("\tidentification\t") }.count == 1)
        #expect(!(try CLI.sqlite(store, ".dump")).stdout.contains("198.51.100.99"))

        // The file ledger, as for the other feeds: the same file again is not read, the case is untouched.
        let again = try CLI.run(
            [
                "ingest", "sightings", "--store", store.path, "--feed", "darknet", "--darknet", darknet.path, "--min-targets", "5", "--window", "60",
                mixed.path,
            ])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("mixed.pcap: already ingested (same content), nothing done"))
        #expect(again.stdout.contains("darknet: 0 parsed"))
        #expect(try CLI.run(["cases", "--store", store.path, "--json"]).stdout == cases.stdout)
        let identifications = try CLI.run(["audit", "show", "--store", store.path]).lines.filter { $0.contains("\tidentification\t") }
        #expect(identifications.count == 1)
    }
}
