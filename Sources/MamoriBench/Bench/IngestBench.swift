import Attribution
import Foundation
import MamoriTesting
import Runtime
import StoreSQLite
import TextScanning

/// `mamori bench ingest`: parsing a FreeRADIUS detail file with `AssignmentReader.stream`,
/// and (optionally) the end-to-end `ingest aaa` into the SQLite store.
enum IngestBench {
    struct Options {
        var records: Int
        var storeRecords: Int
        var seed: UInt64
        var json: Bool
    }

    static let zone = TimeZone(identifier: "Asia/Tokyo")!

    static func run(_ o: Options) async throws {
        let dir = try BenchTemporaryDirectory(prefix: "mamori-bench-ingest")
        defer { dir.remove() }
        let file = dir.url.appendingPathComponent("detail-20260101")
        let (bytes, writeSeconds) = try Stopwatch.seconds { try DetailWriter.write(records: o.records, seed: o.seed, to: file) }

        // Parse: best of two passes (the file is in the page cache after writing it).
        let load = LoadAverage.oneMinute()
        var passes: [(summary: ParseSummary, events: Int, prefixes: Int, seconds: Double, cpu: Double)] = []
        for _ in 0..<2 {
            var events = 0
            var prefixes = 0
            let (summary, seconds, cpu) = try ThreadCPU.measure {
                try AssignmentReader.stream(contentsOf: file, format: nil, headerTimeZone: zone, batchSize: 1 << 16) { batch in
                    events += batch.events.count
                    for e in batch.events { prefixes += e.prefixes.count }
                }
            }
            passes.append((summary, events, prefixes, seconds, cpu))
        }
        let best = passes.min { $0.seconds < $1.seconds }!
        let rate = Double(best.summary.recordsSeen) / best.seconds
        let megabytesPerSecond = Double(bytes) / 1_048_576 / best.seconds
        let cpuRate = Double(best.summary.recordsSeen) / best.cpu

        var table = BenchTable("mamori bench ingest (seed \(o.seed))")
        if let load { table.row("load average (1 min) at start", BenchFormat.fixed(load, 2)) }
        table.row(
            "detail file",
            "\(BenchFormat.count(o.records)) records, \(BenchFormat.megabytes(bytes)) (written in \(BenchFormat.seconds(writeSeconds)))")
        table.row(
            "parsed",
            "\(BenchFormat.count(best.summary.recordsSeen)) records → \(BenchFormat.count(best.events)) events "
                + "(\(BenchFormat.count(best.prefixes)) prefixes), \(BenchFormat.count(best.summary.recordsSkipped)) skipped, "
                + "\(BenchFormat.count(best.summary.issues)) rejected")
        table.row(
            "AssignmentReader.stream (1 thread)",
            "\(BenchFormat.seconds(best.seconds)) (best of \(passes.count): "
                + passes.map { BenchFormat.seconds($0.seconds) }.joined(separator: ", ") + ")")
        table.row(
            "  rate",
            "\(BenchFormat.rate(rate)) records, \(BenchFormat.fixed(megabytesPerSecond)) MiB/s (goal ≥ 500,000/s: \(BenchFormat.goal(rate >= 500_000)))"
        )
        table.row("  per thread-CPU second", "\(BenchFormat.rate(cpuRate)) records (\(BenchFormat.seconds(best.cpu)) CPU)")

        var json: [String: Any] = [
            "bench": "ingest", "seed": o.seed, "records": best.summary.recordsSeen, "events": best.events,
            "skipped": best.summary.recordsSkipped, "rejected": best.summary.issues, "file_bytes": bytes,
            "parse_seconds": BenchFormat.json(best.seconds, 4), "records_per_second": Int(rate.rounded()),
            "megabytes_per_second": BenchFormat.json(megabytesPerSecond, 1), "goal_records_per_second_met": rate >= 500_000,
            "records_per_cpu_second": Int(cpuRate.rounded()), "load_average": load ?? -1,
        ]

        if o.storeRecords > 0 {
            let small = dir.url.appendingPathComponent("detail-store")
            _ = try DetailWriter.write(records: o.storeRecords, seed: o.seed, to: small)
            let store = try MamoriStore(path: dir.url.appendingPathComponent("bench.sqlite").path)
            let (report, seconds) = try await Stopwatch.seconds {
                try await AAAIngest.ingest(url: small, format: .radiusDetail, headerTimeZone: zone, store: store, actor: "bench")
            }
            let storeRate = Double(report.records) / seconds
            table.row(
                "ingest aaa into SQLite",
                "\(BenchFormat.count(report.records)) records, \(BenchFormat.count(report.added)) events stored in "
                    + "\(BenchFormat.seconds(seconds)): \(BenchFormat.rate(storeRate)) records (end to end, WAL, synchronous=FULL)")
            json["store"] = [
                "records": report.records, "events_added": report.added, "seconds": BenchFormat.json(seconds, 3),
                "records_per_second": Int(storeRate.rounded()),
            ]
        }

        if o.json {
            Output.line(Output.json(json))
        } else {
            table.print()
        }
    }
}

/// Writes a realistic FreeRADIUS `detail` file: interleaved PPPoE sessions of a BRAS fleet,
/// each a Start, zero to six Interim-Updates and (93 %) a Stop, with everything a NAS sends
/// (NAS-*, Calling-Station-Id, octet and packet counters, FreeRADIUS's own Tmp-String-9 and
/// Acct-Unique-Session-Id), times in JST both in the header line and in Event-Timestamp, and a
/// rare Accounting-On. About 40 % of the sessions carry a Delegated-IPv6-Prefix and 20 % a
/// Framed-IPv6-Prefix. Data from documentation and private ranges only.
enum DetailWriter {
    private struct Session {
        var subscriber: UInt32
        var number: UInt32
        var start: Int64
        var interimsLeft: Int
        var stops: Bool
        var started = false
        var address: UInt32
        var delegated: UInt64?
        var framed: UInt64?
        var nas: Int
        var port: Int
        var octetsIn: UInt64 = 0
        var octetsOut: UInt64 = 0
    }

    static let jst: Int64 = 9 * 3600

    /// Writes `records` records; returns the file size in bytes.
    static func write(records: Int, seed: UInt64, to url: URL) throws -> Int {
        var rng = BenchRandom(seed: seed ^ 0x4445_5441_494C)
        var w = try BufferedWriter(creating: url)
        let concurrent = max(1, min(2000, records / 4))
        var clock = Int64(SessionGenerator.epoch)
        var number: UInt32 = 0
        let subscribers = max(2, records / 3)

        func newSession(_ rng: inout BenchRandom) -> Session {
            defer { number &+= 1 }
            let r = rng.below(10)
            return Session(
                subscriber: UInt32(rng.below(subscribers)), number: number, start: clock, interimsLeft: rng.within(0...6),
                stops: rng.chance(0.93), address: SessionGenerator.v4Address(lane: rng.below(1 << 22)),
                delegated: r < 4 ? SessionGenerator.delegatedPrefix(lane: rng.below(1 << 22)) : nil,
                framed: r >= 4 && r < 6 ? SessionGenerator.framedPrefix(lane: rng.below(1 << 30)) : nil,
                nas: rng.below(16), port: rng.below(1 << 20))
        }
        var active = (0..<concurrent).map { _ in newSession(&rng) }

        for _ in 0..<records {
            clock += Int64(rng.below(3))
            if rng.chance(0.0005) {
                header(&w, clock)
                w.append("\tAcct-Status-Type = Accounting-On\n\tNAS-IP-Address = 10.255.0.")
                w.decimal(rng.below(16) + 1)
                w.append("\n\tAcct-Delay-Time = 0\n\tEvent-Timestamp = \"")
                eventTime(&w, clock)
                w.append("\"\n\tTimestamp = ")
                w.decimal(clock)
                w.append("\n\n")
                try w.flushIfFull()
                continue
            }
            let slot = rng.below(active.count)
            var s = active[slot]
            let status: String
            if !s.started {
                status = "Start"
                s.started = true
                s.start = clock
            } else if s.interimsLeft > 0 {
                status = "Interim-Update"
                s.interimsLeft -= 1
            } else {
                status = "Stop"
            }
            let elapsed = clock - s.start
            s.octetsIn += UInt64(rng.below(50_000_000))
            s.octetsOut += UInt64(rng.below(500_000_000))

            header(&w, clock)
            w.append("\tAcct-Status-Type = ")
            w.append(status)
            w.append("\n\tUser-Name = \"")
            w.append(BenchSession.subscriberName(s.subscriber))
            w.append("\"\n\tAcct-Session-Id = \"")
            w.hex(UInt64(s.number) &* 0x9E37_79B1 & 0xFFFF_FFFF, digits: 8)
            w.append("\"\n\tNAS-IP-Address = 10.255.0.")
            w.decimal(s.nas + 1)
            w.append("\n\tNAS-Identifier = \"bras")
            w.decimal(s.nas + 1, width: 2)
            w.append(".tokyo\"\n\tNAS-Port = ")
            w.decimal(s.port)
            w.append("\n\tNAS-Port-Type = Virtual\n\tNAS-Port-Id = \"ae0.")
            w.decimal(1000 + s.port % 4000)
            w.append(":")
            w.decimal(s.port % 4000)
            w.append("-")
            w.decimal(s.port % 997)
            w.append("\"\n\tService-Type = Framed-User\n\tFramed-Protocol = PPP\n\tFramed-IP-Address = ")
            w.ipv4(s.address)
            if let d = s.delegated {
                w.append("\n\tDelegated-IPv6-Prefix = ")
                w.ipv6Prefix(high: d, length: 56)
            }
            if let f = s.framed {
                w.append("\n\tFramed-IPv6-Prefix = ")
                w.ipv6Prefix(high: f, length: 64)
            }
            w.append("\n\tCalling-Station-Id = \"02:00:5e:")
            w.hex(UInt64(s.subscriber >> 16 & 0xFF), digits: 2)
            w.append(":")
            w.hex(UInt64(s.subscriber >> 8 & 0xFF), digits: 2)
            w.append(":")
            w.hex(UInt64(s.subscriber & 0xFF), digits: 2)
            w.append("\"\n\tCalled-Station-Id = \"bras")
            w.decimal(s.nas + 1, width: 2)
            w.append(".tokyo\"\n\tAcct-Authentic = RADIUS\n")
            if status == "Start" {
                w.append("\tAcct-Interim-Interval = 600\n")
            } else {
                w.append("\tAcct-Session-Time = ")
                w.decimal(elapsed)
                w.append("\n\tAcct-Input-Octets = ")
                w.decimal(s.octetsIn & 0xFFFF_FFFF)
                w.append("\n\tAcct-Output-Octets = ")
                w.decimal(s.octetsOut & 0xFFFF_FFFF)
                w.append("\n\tAcct-Input-Gigawords = ")
                w.decimal(s.octetsIn >> 32)
                w.append("\n\tAcct-Output-Gigawords = ")
                w.decimal(s.octetsOut >> 32)
                w.append("\n\tAcct-Input-Packets = ")
                w.decimal(s.octetsIn / 700)
                w.append("\n\tAcct-Output-Packets = ")
                w.decimal(s.octetsOut / 1100)
                w.append("\n")
                if status == "Stop" { w.append("\tAcct-Terminate-Cause = User-Request\n") }
            }
            let delay = rng.chance(0.02) ? rng.within(1...30) : 0
            w.append("\tAcct-Delay-Time = ")
            w.decimal(delay)
            w.append("\n\tEvent-Timestamp = \"")
            eventTime(&w, clock - Int64(delay))
            w.append("\"\n\tTmp-String-9 = \"ai:\"\n\tAcct-Unique-Session-Id = \"")
            w.append(BenchSession.sessionName(s.number))
            w.append("\"\n\tTimestamp = ")
            w.decimal(clock)
            w.append("\n\n")

            if status == "Stop" || (status == "Interim-Update" && s.interimsLeft == 0 && !s.stops) {
                active[slot] = newSession(&rng)  // ended (or vanished without a Stop)
            } else {
                active[slot] = s
            }
            try w.flushIfFull()
        }
        try w.close()
        return w.written
    }

    /// `Www Mmm dd hh:mm:ss yyyy` in JST (the RADIUS server's local time).
    private static func header(_ w: inout BufferedWriter, _ utc: Int64) {
        let c = CivilDate(seconds: utc + jst)
        w.append(CivilDate.weekdayNames[c.weekday])
        w.byte(0x20)
        w.append(CivilDate.monthNames[c.month - 1])
        w.byte(0x20)
        if c.day < 10 { w.byte(0x20) }
        w.decimal(c.day)
        w.byte(0x20)
        w.clock(c)
        w.byte(0x20)
        w.decimal(c.year)
        w.byte(0x0A)
    }

    /// FreeRADIUS's `%b %e %Y %H:%M:%S %Z` in JST.
    private static func eventTime(_ w: inout BufferedWriter, _ utc: Int64) {
        let c = CivilDate(seconds: utc + jst)
        w.append(CivilDate.monthNames[c.month - 1])
        w.byte(0x20)
        if c.day < 10 { w.byte(0x20) }
        w.decimal(c.day)
        w.byte(0x20)
        w.decimal(c.year)
        w.byte(0x20)
        w.clock(c)
        w.append(" JST")
    }
}
