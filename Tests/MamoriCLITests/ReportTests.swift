import Foundation
import MamoriTesting
import Testing

/// `mamori report` end to end: a store prepared with the bundled samples, then the report in
/// every format and language, checked against what was done and for leaks, and printed to PDF.
@Suite struct ReportTests {
    let samples = CLI.root.appendingPathComponent("Sources/mamori/Samples")

    /// Ingest AAA records, import the directory, ingest sightings, one refused and one granted
    /// attribution, notify through smtp-sink, a checkpoint, a purge.
    func preparedStore() throws -> URL {
        let dir = try CLI.temporaryDirectory()
        let store = dir.appendingPathComponent("report.sqlite")
        let ingest = try CLI.run(
            ["ingest", "aaa", "--store", store.path, "--header-time-zone", "Asia/Tokyo"]
                + ["radius-detail.txt", "kea-leases4.csv", "dhcpd.leases", "cgn-blocks.csv"].map { samples.appendingPathComponent($0).path })
        try #require(ingest.status == 0, "\(ingest.stderr)")
        let directory = try CLI.run(["subscribers", "import", "--store", store.path, samples.appendingPathComponent("subscribers.csv").path])
        try #require(directory.status == 0, "\(directory.stderr)")
        let sightings = try CLI.run(
            ["ingest", "sightings", "--store", store.path, "--json"]
                + ["event4_sinkhole_http-sample.csv", "cowrie-sample.json"].map { samples.appendingPathComponent($0).path })
        try #require(sightings.status == 0, "\(sightings.stderr)")
        let counts = CLI.object(sightings.lines.last ?? "")
        try #require(counts["attributed"] as? Int == 4 && counts["not_found"] as? Int == 1 && counts["ambiguous"] as? Int == 1)
        // Refused: DNS amplification prevention may not attribute.
        let refused = try CLI.run(
            [
                "attribute", "--store", store.path, "--purpose", "dns-amplification-prevention", "--ip", "192.0.2.10", "--at",
                "2026-11-27T09:15:00+09:00",
            ])
        try #require(refused.status != 0)
        // Granted: one identification (found) and its disclosure to the script.
        let granted = try CLI.run(
            [
                "attribute", "--store", store.path, "--purpose", "infected-host-notification", "--ip", "192.0.2.10", "--at",
                "2026-11-27T09:15:00+09:00",
            ])
        try #require(granted.status == 0, "\(granted.stderr)")
        let sink = try SMTPSink()
        defer { sink.stop() }
        let notify = try CLI.run(
            ["notify", "--store", store.path, "--json", "--smtp-host", "127.0.0.1", "--smtp-port", "\(sink.port)", "--smtp-starttls", "off"])
        try #require(notify.status == 0, "\(notify.stderr)")
        try #require(CLI.object(notify.lines.last ?? "")["sent"] as? Int == 3)
        try #require(try CLI.run(["audit", "checkpoint", "--store", store.path]).status == 0)
        let purge = try CLI.run(["purge", "--store", store.path])
        try #require(purge.status == 0, "\(purge.stderr)")
        return store
    }

    /// What must never appear: every address of the sample files, subscriber ids, mail addresses.
    func secrets() throws -> [String] {
        var out: Set<String> = ["2001:db8", "sub-0", "customer.example", "isp.example", "01:02:00:5e", "02:00:5e"]
        for file in try FileManager.default.contentsOfDirectory(atPath: samples.path) {
            let text = try String(contentsOf: samples.appendingPathComponent(file), encoding: .utf8)
            let pattern = try NSRegularExpression(pattern: #"\b\d{1,3}(\.\d{1,3}){3}\b"#)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                if let range = Range(match.range, in: text) { out.insert(String(text[range])) }
            }
        }
        #expect(out.contains("192.0.2.10") && out.contains("203.0.113.5") && out.count > 15)
        return out.sorted()
    }

    @Test func reportCountsWhatWasDoneAndLeaksNothing() throws {
        let store = try preparedStore()
        let secrets = try secrets()

        let json = try CLI.run(["report", "--store", store.path, "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let audit = try #require(object["audit"] as? [String: Any])
        #expect(audit["intact"] as? Bool == true)
        let records = try #require(audit["records"] as? Int)
        #expect(records > 15)
        #expect((audit["head"] as? String)?.count == 64)
        let checkpoint = try #require(audit["checkpoint"] as? [String: Any])
        // Every command signs a checkpoint as it ends: the last one covers the whole log.
        #expect((checkpoint["size"] as? Int ?? 0) > 0 && (checkpoint["size"] as? Int ?? 0) <= records)
        #expect((audit["signed_checkpoints"] as? Int ?? 0) > 0)
        let countermeasures = try #require(object["countermeasures"] as? [[String: Any]])
        #expect(countermeasures.count >= 8)
        func countermeasure(_ id: String) throws -> [String: Any] {
            try #require(countermeasures.first { $0["id"] as? String == id }, "no \(id)")
        }
        let ihn = try countermeasure("infected-host-notification")
        // 4 sightings found + 1 operator attribution; 1 not found; 1 ambiguous.
        #expect(ihn["identifications"] as? [String: Int] == ["found": 5, "not_found": 1, "ambiguous": 1])
        #expect(ihn["disclosures"] as? Int == 1)
        #expect(ihn["notices"] as? [String: Int] == ["queued": 3, "sent": 3, "failed": 0])
        let cases = try #require(ihn["cases"] as? [String: Int])
        #expect(cases["notified"] == 3)
        #expect(cases.values.reduce(0, +) == 3)
        #expect(ihn["refusals"] as? Int == 0)
        // One purge run of each class the notification keeps and the store holds.
        #expect(ihn["purges"] as? Int == 4)
        let dns = try countermeasure("dns-amplification-prevention")
        #expect(dns["refusals"] as? Int == 1)
        // The refusal is audited with its countermeasure and reason, not the address asked about.
        let show = try CLI.run(["audit", "show", "--store", store.path])
        let refusals = show.lines.filter { $0.contains("\tpurpose-refused\t") }
        #expect(refusals.count == 1)
        #expect(refusals.first?.contains("dns-amplification-prevention") == true)
        #expect(refusals.first?.contains("reason=attribution-not-allowed") == true)
        #expect(refusals.first?.contains("192.0.2") == false)
        #expect(dns["identifications"] as? [String: Int] == ["found": 0, "not_found": 0, "ambiguous": 0])
        let retention = try #require(object["retention"] as? [[String: Any]])
        let casesClass = try #require(retention.first { $0["class"] as? String == "cases" })
        #expect(casesClass["overdue"] as? Bool == false)
        #expect(casesClass["oldest"] is String)
        #expect(casesClass["days"] as? Int == 365)

        // A period after everything counts nothing; the audit state stays.
        let later = try CLI.run(["report", "--store", store.path, "--format", "json", "--from", "2099-01-01T00:00:00Z"])
        #expect(later.status == 0, "\(later.stderr)")
        let laterObject = try #require(try JSONSerialization.jsonObject(with: Data(later.stdout.utf8)) as? [String: Any])
        let laterIHN = try #require(
            (laterObject["countermeasures"] as? [[String: Any]])?.first { $0["id"] as? String == "infected-host-notification" })
        #expect(laterIHN["identifications"] as? [String: Int] == ["found": 0, "not_found": 0, "ambiguous": 0])
        #expect((laterObject["period"] as? [String: Any])?["from"] as? String == "2099-01-01T00:00:00Z")
        #expect((laterObject["audit"] as? [String: Any])?["records"] as? Int == records)

        // Every format and language: no address, subscriber id or mail address.
        var outputs: [String: String] = ["json": json.stdout]
        for format in ["md", "html"] {
            for lang in ["ja", "en"] {
                let run = try CLI.run(["report", "--store", store.path, "--format", format, "--lang", lang])
                #expect(run.status == 0, "\(run.stderr)")
                outputs["\(format)-\(lang)"] = run.stdout
            }
        }
        for (name, text) in outputs {
            #expect(!text.isEmpty)
            for secret in secrets { #expect(!text.contains(secret), "\(name) shows \(secret)") }
            #expect(text.range(of: #"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z]"#, options: .regularExpression) == nil, "\(name) shows a mail address")
        }
        #expect(outputs["md-ja"]?.hasPrefix("# 通信の秘密の保護に関する実施状況報告書") == true)
        #expect(outputs["md-en"]?.contains("## 3. Retention") == true)
        #expect(outputs["html-ja"]?.contains("| 5 / 1 / 1 |") == false)  // HTML is not Markdown
        #expect(outputs["md-ja"]?.contains("| 5 / 1 / 1 |") == true)  // the summary row of the notification

        // The default format is Markdown, Japanese; --out writes a file.
        let file = store.deletingLastPathComponent().appendingPathComponent("report.html")
        let written = try CLI.run(["report", "--store", store.path, "--format", "html", "--out", file.path])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout.isEmpty)
        let html = try String(contentsOf: file, encoding: .utf8)
        #expect(html.contains(#"<html lang="ja">"#))
        let plain = try CLI.run(["report", "--store", store.path])
        #expect(plain.stdout.hasPrefix("# 通信の秘密"))

        // Printed with headless Chromium: a PDF.
        let pdf = store.deletingLastPathComponent().appendingPathComponent("report.pdf")
        try printToPDF(file, pdf)
        let bytes = try Data(contentsOf: pdf)
        #expect(bytes.count > 10_000)
        #expect(bytes.prefix(4) == Data("%PDF".utf8))
    }

    @Test func brokenChainIsReportedAndExitsThree() throws {
        let store = try preparedStore()
        try CLI.sqlite(store, "DROP TRIGGER audit_no_update; UPDATE audit SET action = 'page-view' WHERE seq = 3;")
        let run = try CLI.run(["report", "--store", store.path, "--format", "json"])
        #expect(run.status == 3)
        #expect(run.stderr.contains("broken at record 3"))
        let audit = CLI.object(run.stdout)["audit"] as? [String: Any]
        #expect(audit?["intact"] as? Bool == false)
        #expect(audit?["broken_at"] as? Int == 3)
    }

    @Test func badOptionsAreUsageErrors() throws {
        let dir = try CLI.temporaryDirectory()
        let store = dir.appendingPathComponent("empty.sqlite").path
        #expect(try CLI.run(["report", "--store", store, "--format", "pdf"]).status == 64)
        #expect(try CLI.run(["report", "--store", store, "--lang", "fr"]).status == 64)
        let zoneless = try CLI.run(["report", "--store", store, "--from", "2026-11-27T00:00:00"])
        #expect(zoneless.status == 64)
        #expect(zoneless.stderr.contains("no zone"))
        #expect(try CLI.run(["report", "--store", store, "--from", "2026-11-28T00:00:00Z", "--to", "2026-11-27T00:00:00Z"]).status == 64)
        // An empty store still has a report: every declaration, nothing done.
        let empty = try CLI.run(["report", "--store", store, "--format", "json"])
        #expect(empty.status == 0, "\(empty.stderr)")
        #expect((CLI.object(empty.stdout)["audit"] as? [String: Any])?["checkpoint"] is NSNull)
    }

    /// `chromium --headless --print-to-pdf` under `timeout` (120 s); the test fails (not skips)
    /// when Chromium is missing.
    func printToPDF(_ html: URL, _ pdf: URL) throws {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let executable = try #require(chromium, "headless Chromium is required: install the Debian package chromium (and fonts-noto-cjk)")
        let profile = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: profile) }
        let run = try CLI.exec(
            URL(fileURLWithPath: "/usr/bin/timeout"),
            [
                "120", executable, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage", "--disable-extensions",
                "--user-data-dir=\(profile.path)", "--no-pdf-header-footer", "--print-to-pdf=\(pdf.path)", html.absoluteString,
            ])
        #expect(run.status == 0, "chromium: \(run.stderr.suffix(2000))")
    }
}
