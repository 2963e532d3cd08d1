import Foundation
import MamoriTesting
import Testing

/// `mamori serve`'s monitoring listener, scraped as Prometheus would: `/healthz`, `/readyz` and
/// `/metrics` after the demo flow and an `ingest sightings` run against the served store.
@Suite(.enabled(if: Corpus.isPresent, "needs the shared corpus")) struct MonitoringTests {
    let samples = CLI.root.appendingPathComponent("Sources/mamori/Samples")

    func curl(_ url: String) throws -> (body: String, status: Int) {
        let result = try CLI.exec(URL(fileURLWithPath: "/usr/bin/env"), ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", url])
        var lines = result.stdout.components(separatedBy: "\n")
        let status = Int(lines.popLast() ?? "") ?? 0
        return (lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines), status)
    }

    @Test func metricsHealthAndReadinessCarryNoIdentifier() throws {
        let (store, _) = try CLI.demoStore()
        let dir = store.deletingLastPathComponent()
        let portal = try Loopback.freePort()
        let metrics = try Loopback.freePort()
        var environment = ProcessInfo.processInfo.environment
        environment["MAMORI_STORE"] = nil
        let child = try CleanChild(
            executable: CLI.binary,
            arguments: [
                "serve", "--store", store.path, "--port", "\(portal)", "--metrics-port", "\(metrics)", "--metrics-store-poll", "0.2",
            ],
            output: dir.appendingPathComponent("serve.log"), environment: environment)
        defer {
            child.signal(SIGTERM)
            _ = child.wait(timeout: 120)
        }
        try Loopback.waitUntilListening(port: metrics, timeout: 120)  // hang guard only
        let base = "http://127.0.0.1:\(metrics)"

        let health = try curl(base + "/healthz")
        #expect(health.status == 200 && health.body == "ok")
        let ready = try curl(base + "/readyz")
        #expect(ready.status == 200 && ready.body == "ready", "\(ready)")

        // A subscriber opens a personal link (its token must not reach /metrics).
        let noticeDirectory = dir.appendingPathComponent("notices")
        var tokens: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: noticeDirectory.path) {
            let text = try String(contentsOf: noticeDirectory.appendingPathComponent(name), encoding: .utf8)
            tokens += text.matches(of: try Regex(#"/r/([A-Za-z0-9_-]{22})"#)).map { String(text[$0.range].dropFirst(3)) }
        }
        let token = try #require(tokens.first)
        #expect(try curl("http://127.0.0.1:\(portal)/r/\(token)").status == 200)

        // Another writer identifies while serve runs: the same sightings in a new file.
        let again = dir.appendingPathComponent("sinkhole-again.csv")
        try (try String(contentsOf: samples.appendingPathComponent("event4_sinkhole_http-sample.csv"), encoding: .utf8) + "\n")
            .write(to: again, atomically: true, encoding: .utf8)
        let ingest = try CLI.run(["ingest", "sightings", "--store", store.path, again.path])
        try #require(ingest.status == 0, "\(ingest.stderr)")
        let leases = dir.appendingPathComponent("kea-again.csv")
        try (try String(contentsOf: samples.appendingPathComponent("kea-leases4.csv"), encoding: .utf8) + "\n")
            .write(to: leases, atomically: true, encoding: .utf8)
        let aaa = try CLI.run(["ingest", "aaa", "--store", store.path, leases.path])
        try #require(aaa.status == 0, "\(aaa.stderr)")

        var body = ""
        let awaited = ["mamori_identifications_total{", "mamori_aaa_records_total{", "mamori_sightings_total{"]
        for _ in 0..<600 where !awaited.allSatisfy(body.contains) {  // hang guard only
            body = try curl(base + "/metrics").body
            if !awaited.allSatisfy(body.contains) { usleep(100_000) }
        }
        #expect(body.contains(#"mamori_identifications_total{countermeasure="infected-host-notification",outcome="found"}"#), "\(body)")
        #expect(body.contains(#"mamori_cases{countermeasure="infected-host-notification",state="#))
        #expect(body.contains("mamori_outbox_depth "))
        #expect(body.contains("mamori_audit_records "))
        #expect(body.contains(#"mamori_audit_appends_total{"#))
        #expect(body.contains(#"mamori_store_query_seconds_bucket{"#))
        #expect(body.contains("mamori_store_ready 1"))
        #expect(body.contains(#"/r/{token}"#), "the portal's requests by route pattern")
        #expect(body.contains(#"mamori_aaa_records_total{format="kea-csv",outcome="accepted"} 4"#), "\(body)")
        #expect(body.contains(#"mamori_aaa_files_total{format="kea-csv"} 1"#))
        #expect(body.contains(#"mamori_sightings_total{feed="shadowserver_event4_sinkhole_http",outcome="parsed"} 5"#), "\(body)")

        // Aggregates only: every label value is a short name from a closed vocabulary, and
        // nothing in the whole exposition looks like an address, a subscriber, a mail address
        // or a personal-link token.
        let labelValue = try Regex(#"="([^"]*)""#)
        for line in body.split(separator: "\n") where !line.hasPrefix("#") {
            for match in line.matches(of: labelValue) {
                let value = String(line[match.range]).dropFirst(2).dropLast()
                // Route patterns (`/r/{token}`) are the only values with `/`, `{` and `}`.
                let routeLike = value.hasPrefix("/") && !value.contains("//")
                #expect(
                    value.allSatisfy { $0.isLetter || $0.isNumber || "_-.+".contains($0) || (routeLike && "/{}".contains($0)) }
                        && value.count <= 40, "label value \(value) in \(line)")
            }
        }
        #expect(body.firstMatch(of: try Regex(#"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b"#)) == nil, "an IPv4 address in /metrics")
        #expect(!body.lowercased().contains("2001:db8"))
        #expect(!body.contains("sub-0"))
        #expect(!body.contains("@"))
        // None of the personal links' tokens.
        #expect(!tokens.isEmpty)
        #expect(tokens.allSatisfy { !body.contains($0) })
    }
}
