public import Addressing
public import Foundation
public import TextScanning

/// Writes synthetic Shadowserver `event4_sinkhole_http` reports for benchmarks and load tests.
///
/// The header is the one of Shadowserver's Sinkhole HTTP Events report (as in IntelMQ's test
/// file, `corpus/shadowserver/event4_sinkhole_http.csv`); rows look like real ones: every field
/// quoted or empty as Shadowserver writes them, quoted commas in `dst_sector` and
/// `http_agent`, ascending timestamps over one day, random source ports, a handful of families.
/// Source addresses are drawn from `sources` (default `198.18.0.0/15`, the RFC 2544
/// benchmarking range), so a benchmark can seed attribution records for the same prefixes.
/// The same file is read by Mamori and by IntelMQ's parser (`scripts/bench-intelmq.py`).
///
/// ```swift
/// let url = URL(fileURLWithPath: "/tmp/2026-11-27-event4_sinkhole_http-bench-asn.csv")
/// try ShadowserverSynth.write(rows: 1_000_000, to: url)
/// ```
public enum ShadowserverSynth {
    /// The report type written.
    public static let reportType = "event4_sinkhole_http"

    /// The header row (without its line break).
    public static let header =
        #""timestamp","protocol","src_ip","src_port","src_asn","src_geo","src_region","src_city","src_hostname","src_naics","src_sector","device_vendor","device_type","device_model","dst_ip","dst_port","dst_asn","dst_geo","dst_region","dst_city","dst_hostname","dst_naics","dst_sector","public_source","infection","family","tag","application","version","event_id","http_url","http_host","http_agent","forwarded_by","ssl_cipher","http_referer""#

    private static let families: [(family: String, tag: String, host: String)] = [
        ("andromeda", "avalanche-andromeda", "differentia.ru"),
        ("andromeda", "avalanche-andromeda", "disorderstatus.ru"),
        ("gozi", "avalanche-gozi", "ztsvsgwqkgs.com"),
        ("necurs", "necurs", "pbkxmdluhqyx.net"),
        ("conficker", "conficker", "xbfsqnaqzqs.info"),
        ("nymaim", "avalanche-nymaim", "mqkxpyvn.ws"),
        ("ramnit", "ramnit", "wwcfafqrjvfdn.com"),
        ("matsnu", "matsnu", "expectinsert.com"),
    ]

    private static let agents = [
        "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1; Trident/7.0)",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/96.0 Safari/537.36",
        "",
    ]

    /// Writes a header and `rows` rows to `url` (replacing the file).
    ///
    /// - Parameters:
    ///   - sources: prefixes the source addresses are drawn from (IPv4 or IPv6).
    ///   - start: the first row's time; rows are spread evenly over the following 24 hours.
    ///   - seed: the random seed (the same seed writes the same file).
    public static func write(
        rows: Int, to url: URL, sources: [IPPrefix] = [IPPrefix("198.18.0.0/15")].compactMap { $0 },
        start: Date = Date(timeIntervalSince1970: 1_795_651_200), seed: UInt64 = 1
    ) throws(FileReadError) {
        let name = url.lastPathComponent
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
            let handle = try? FileHandle(forWritingTo: url)
        else { throw FileReadError(file: name, reason: "cannot create") }
        defer { try? handle.close() }
        let prefixes = sources.isEmpty ? [IPPrefix("198.18.0.0/15")].compactMap { $0 } : sources
        var rng = SplitMix64(seed: seed)
        var out: [UInt8] = []
        out.reserveCapacity(1 << 21)
        out.append(contentsOf: header.utf8)
        out.append(ASCII.newline)
        let base = Int64(start.timeIntervalSince1970.rounded(.down))
        let step = rows > 0 ? 86_400.0 / Double(rows) : 0
        for i in 0..<max(0, rows) {
            let prefix = prefixes[Int(rng.next() % UInt64(prefixes.count))]
            let hostBits = prefix.family.bitWidth - prefix.length
            let hostMask: UInt128 = hostBits >= 128 ? .max : (UInt128(1) << UInt128(hostBits)) - 1
            let random = UInt128(rng.next()) << 64 | UInt128(rng.next())
            let address = IPAddress(family: prefix.family, value: prefix.network.value | (random & hostMask))
            let f = families[Int(rng.next() % UInt64(families.count))]
            let agent = agents[Int(rng.next() % UInt64(agents.count))]
            let port = 1024 + Int(rng.next() % 64_512)
            let dst = 1 + Int(rng.next() % 254)
            let time = base + Int64(Double(i) * step)
            appendTime(time, to: &out)
            append(",\"tcp\",\"", &out)
            append(address.description, &out)
            append("\",\(port),64496,\"JP\",\"TOKYO\",\"TOKYO\",,517311,", &out)
            append("\"Communications, Service Provider, and Hosting Service\",,,,\"184.105.\(dst).\(dst)\",80,6939,", &out)
            append("\"US\",\"CALIFORNIA\",\"FREMONT\",,518210,\"Communications, Service Provider, and Hosting Service\",,,", &out)
            append("\"\(f.family)\",\"\(f.tag)\",,,,\"/\",\"\(f.host)\",", &out)
            if !agent.isEmpty { append("\"\(agent)\"", &out) }
            append(",,,\n", &out)
            if out.count >= 1 << 20 {
                try flush(&out, handle, name)
            }
        }
        try flush(&out, handle, name)
    }

    private static func flush(_ out: inout [UInt8], _ handle: FileHandle, _ name: String) throws(FileReadError) {
        guard !out.isEmpty else { return }
        do {
            try handle.write(contentsOf: out)
        } catch {
            throw FileReadError(file: name, reason: "write failed")
        }
        out.removeAll(keepingCapacity: true)
    }

    @inline(__always) private static func append(_ s: String, _ out: inout [UInt8]) {
        out.append(contentsOf: s.utf8)
    }

    /// `"YYYY-MM-DD HH:MM:SS"` (quoted) of seconds since 1970, UTC.
    private static func appendTime(_ t: Int64, to out: inout [UInt8]) {
        let days = Int(t >= 0 ? t / 86_400 : (t - 86_399) / 86_400)
        let rem = Int(t - Int64(days) * 86_400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int) {
            out.append(ASCII.zero + UInt8(v / 10))
            out.append(ASCII.zero + UInt8(v % 10))
        }
        out.append(ASCII.quote)
        two(y / 100)
        two(y % 100)
        out.append(ASCII.minus)
        two(m)
        out.append(ASCII.minus)
        two(d)
        out.append(ASCII.space)
        two(rem / 3600)
        out.append(ASCII.colon)
        two(rem / 60 % 60)
        out.append(ASCII.colon)
        two(rem % 60)
        out.append(ASCII.quote)
    }
}
