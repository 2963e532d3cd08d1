import Addressing
import Attribution
import Foundation
import MamoriTesting
import Remediation
import Runtime
import Secrecy
import Sightings
import Storage
import StoreSQLite
import TextScanning

/// `mamori bench sightings`: from a Shadowserver report file to cases, end to end (parse,
/// attribute under the purpose with an audit record per identification, group into cases, commit
/// to a real SQLite store), against IntelMQ's Shadowserver parser on the same file.
enum SightingsBench {
    struct Options {
        var rows: Int
        var sessions: Int
        var peerRows: Int
        var json: Bool
    }

    static func run(_ options: Options) async throws {
        let temp = try BenchTemporaryDirectory(prefix: "mamori-bench-sightings")
        defer { temp.remove() }
        let dayStart = SightingsBench.dayStart
        let (index, buildSeconds) = SightingsBench.index(sessions: options.sessions)
        let report = temp.url.appendingPathComponent("2026-11-26-event4_sinkhole_http-bench-asn.csv")
        try ShadowserverSynth.write(rows: options.rows, to: report, sources: [IPPrefix("198.18.0.0/17")].compactMap { $0 }, start: dayStart)
        let fileBytes = (try? FileManager.default.attributesOfItem(atPath: report.path)[.size] as? Int) ?? 0

        let store = try MamoriStore(path: temp.url.appendingPathComponent("bench.sqlite").path)
        let (parsed, counts, wall, cpu) = try await endToEnd(store: store, index: index, report: report)
        // The parse alone, for the like-for-like ratio with IntelMQ's parser.
        let (_, parseWall, parseCPU) = try ThreadCPU.measure { try SightingReader().parse(contentsOf: report, feed: nil) }
        let auditRecords = Int(try await store.audit.headSequence())  // a count, not a decode of every record
        let ours = Double(parsed.sightings.count) / wall
        let oursParse = Double(parsed.summary.recordsSeen) / parseWall

        var peer: [String: Any] = [:]
        var peerRate: Double?
        if options.peerRows > 0 {
            let peerFile = temp.url.appendingPathComponent("2026-11-26-event4_sinkhole_http-peer-asn.csv")
            try ShadowserverSynth.write(rows: options.peerRows, to: peerFile, sources: [IPPrefix("198.18.0.0/17")].compactMap { $0 }, start: dayStart)
            if let script = ScriptLocator.find("bench-intelmq.py") {
                let result = try Subprocess.run(["python3", script.path, peerFile.path, ShadowserverSynth.reportType], check: false)
                if result.status == 0, let line = result.stdout.split(separator: "\n").last,
                    let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let rate = (object["per_second"] as? NSNumber)?.doubleValue
                {
                    peer = object
                    peerRate = rate
                } else {
                    peer = ["error": "intelmq run failed (pip install intelmq): \(result.stderr.suffix(300))"]
                }
            } else {
                peer = ["error": "scripts/bench-intelmq.py not found (run from the repository)"]
            }
        }
        let object: [String: Any] = [
            "bench": "sightings", "rows": options.rows, "file_bytes": fileBytes, "sessions": index.sessionCount,
            "index_build_seconds": BenchFormat.json(buildSeconds, 2), "sightings": parsed.sightings.count, "attributed": counts.attributed,
            "not_found": counts.notFound, "ambiguous": counts.ambiguous, "cases_opened": counts.casesOpened, "audit_records": auditRecords,
            "end_to_end_seconds": BenchFormat.json(wall, 3), "end_to_end_cpu_seconds": BenchFormat.json(cpu, 3),
            "end_to_end_per_second": Int(ours), "parse_per_second": Int(oursParse),
            "parse_per_cpu_second": Int(Double(parsed.summary.recordsSeen) / parseCPU),
            "intelmq": peer, "parse_ratio_vs_intelmq": peerRate.map { BenchFormat.json(oursParse / $0, 1) } ?? NSNull(),
            "end_to_end_ratio_vs_intelmq_parse": peerRate.map { BenchFormat.json(ours / $0, 1) } ?? NSNull(),
            "load_average": LoadAverage.oneMinute() ?? NSNull(),
        ]
        if options.json {
            Output.line(Output.json(object))
            return
        }
        Output.line("Sightings → cases, end to end (\(options.rows) Shadowserver rows, \(index.sessionCount) sessions)")
        Output.line("  index build (not timed below):  \(BenchFormat.json(buildSeconds, 2)) s")
        Output.line(
            "  parsed / attributed / cases:     \(parsed.sightings.count) / \(counts.attributed) / \(counts.casesOpened) (audit records \(auditRecords))"
        )
        Output.line(
            "  end to end:                      \(Int(ours)) sightings/s (\(BenchFormat.json(wall, 2)) s wall, \(BenchFormat.json(cpu, 2)) s CPU); goal 200,000/s \(BenchFormat.goal(ours >= 200_000))"
        )
        Output.line("  parse only:                      \(Int(oursParse)) rows/s")
        if let peerRate {
            Output.line("  IntelMQ Shadowserver parser:     \(Int(peerRate)) rows/s (\(options.peerRows) rows)")
            Output.line(
                "  ratio (parse / IntelMQ parse):   \(BenchFormat.json(oursParse / peerRate, 1))×; end to end / IntelMQ parse: \(BenchFormat.json(ours / peerRate, 1))×; goal 20× \(BenchFormat.goal(ours / peerRate >= 20))"
            )
        } else {
            Output.line("  IntelMQ: \(peer["error"] ?? "skipped")")
        }
    }
    /// 2026-11-26T00:00:00Z, the day of the synthetic report.
    static let dayStart = Date(timeIntervalSince1970: 1_795_651_200)

    /// The index the sightings are attributed against: every address of 198.18.0.0/15 re-dials
    /// through the day (about `sessions / 131,072` sessions each, the same subscriber), with
    /// 2-minute gaps; sightings come from 198.18.0.0/17. Returns the index and its build time.
    static func index(sessions: Int) -> (AttributionIndex, Double) {
        let perAddress = max(1, sessions / 131_072)
        let slot = 86_400.0 / Double(perAddress)
        var builder = AttributionIndex.Builder()
        return Stopwatch.seconds { () -> AttributionIndex in
            for a in 0..<131_072 {
                let address = IPAddress(v4: 0xC612_0000 | UInt32(a))
                guard let prefix = IPPrefix(address, length: 32) else { continue }
                let subscriber = builder.subscriberID("bench-\(a)@isp.example")
                for k in 0..<perAddress {
                    let from = dayStart.addingTimeInterval(Double(k) * slot + 120)
                    let to = dayStart.addingTimeInterval(Double(k + 1) * slot - 120)
                    let session = builder.sessionID("S\(a)-\(k)")
                    _ = builder.append(prefix: prefix, from: from, to: to, subscriberID: subscriber, sessionID: session)
                }
            }
            return builder.build()
        }
    }

    /// The timed path: parse → attribute (audited) → cases → the store's batch transactions.
    static func endToEnd(
        store: any Storage, index: AttributionIndex, report: URL
    ) async throws -> (parsed: SightingParseResult, counts: SightingIngestCounts, wall: Double, cpu: Double) {
        let attributor = Attributor(
            index: index, declarations: try Declarations.bundled(), audit: store.audit, pseudonymizer: try store.pseudonymizer(),
            actor: "bench")
        let service = CaseIntake(store: store.remediation, attributor: attributor, actor: "bench")
        let ((parsed, counts), wall, cpu) = try await ProcessCPU.measure { () -> (SightingParseResult, SightingIngestCounts) in
            let result = try SightingReader().parse(contentsOf: report, feed: nil)
            let counts = try await service.ingest(
                sightings: result.sightings, feed: result.summary.feed, parsed: result.summary.recordsSeen,
                rejected: result.summary.issueCount, notInfected: result.summary.notInfected)
            return (result, counts)
        }
        return (parsed, counts, wall, cpu)
    }
}
