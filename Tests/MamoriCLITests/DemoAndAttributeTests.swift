import Foundation
import MamoriTesting
import Testing

@Suite struct DemoAndAttributeTests {
    let samples = CLI.root.appendingPathComponent("Sources/mamori/Samples")

    @Test func demoIngestsAttributesAndVerifies() throws {
        let dir = try CLI.temporaryDirectory()
        let store = dir.appendingPathComponent("demo.sqlite").path
        let first = try CLI.run(["demo", "--no-serve", "--store", store, "--notices-out", dir.appendingPathComponent("notices").path])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains(#""subscriber":"sub-0001@isp.example""#))
        #expect(first.stdout.contains(#""status":"ambiguous""#))
        #expect(first.stdout.contains(#""status":"not_found""#))
        #expect(first.stdout.contains("does not declare attribution"))
        #expect(first.stdout.contains("intact"))
        // Running the demo again adds no events (idempotent ingest) and the chain still verifies.
        let second = try CLI.run(["demo", "--no-serve", "--store", store, "--notices-out", dir.appendingPathComponent("notices").path])
        #expect(second.status == 0)
        #expect(second.stdout.contains("already ingested"))
        let verify = try CLI.run(["audit", "verify", "--store", store, "--json"])
        #expect(verify.status == 0)
        #expect(CLI.object(verify.lines.last ?? "")["status"] as? String == "intact")
        // audit show never prints a raw address or subscriber id.
        let show = try CLI.run(["audit", "show", "--store", store])
        #expect(show.status == 0)
        #expect(show.stdout.contains("identification"))
        #expect(show.stdout.contains("disclosure"))
        for secret in ["192.0.2.10", "203.0.113.5", "2001:db8:1000", "sub-0001", "isp.example"] {
            #expect(!show.stdout.contains(secret), "audit show leaks \(secret)")
        }
    }

    @Test func singleAndBatchAttribution() throws {
        let dir = try CLI.temporaryDirectory()
        let store = dir.appendingPathComponent("s.sqlite").path
        let ingest = try CLI.run(
            ["ingest", "aaa", "--store", store, "--header-time-zone", "Asia/Tokyo"]
                + ["radius-detail.txt", "kea-leases4.csv", "dhcpd.leases", "cgn-blocks.csv"].map { samples.appendingPathComponent($0).path })
        #expect(ingest.status == 0, "\(ingest.stderr)")

        let one = try CLI.run(
            ["attribute", "--store", store, "--purpose", "infected-host-notification", "--ip", "192.0.2.10", "--at", "2026-11-27T09:15:00+09:00"])
        #expect(one.status == 0, "\(one.stderr)")
        let found = CLI.object(one.stdout)
        #expect(found["status"] as? String == "found")
        #expect(found["subscriber"] as? String == "sub-0001@isp.example")
        #expect(found["from"] as? String == "2026-11-27T00:00:00Z")
        #expect(found["to"] as? String == "2026-11-27T00:20:00Z")

        let queries = """
            {"ip":"192.0.2.10","at":"2026-11-27T00:35:00Z"}
            {"ip":"203.0.113.5","at":"2026-11-27T03:00:00Z","port":2100}
            {"ip":"203.0.113.5","at":"2026-11-27T03:00:00Z"}
            {"ip":"198.51.100.200","at":"2026-11-27T03:00:00Z"}
            {"ip":"192.0.2.10","at":"2026-11-27T00:35:00"}
            {"ip":"192.0.2.999","at":"2026-11-27T00:35:00Z"}
            {"ip":"2001:db8:1000:1ab::1","at":"2026-11-27T00:15:00Z"}
            """
        let batch = try CLI.run(
            ["attribute", "--store", store, "--purpose", "cnc-takedown-notification", "--batch"], stdin: queries + "\n")
        #expect(batch.status == 65)
        let answers = batch.lines.map(CLI.object)
        try #require(answers.count == 7)
        #expect(answers[0]["subscriber"] as? String == "sub-0003@isp.example")
        #expect(answers[1]["subscriber"] as? String == "sub-0102@isp.example")
        #expect(answers[2]["status"] as? String == "ambiguous")
        #expect(answers[3]["status"] as? String == "not_found")
        #expect(answers[4]["status"] as? String == "error")
        #expect((answers[4]["error"] as? String)?.contains("stdin:5: at: the time has no zone") == true)
        #expect((answers[5]["error"] as? String)?.hasPrefix("stdin:6: ip:") == true)
        #expect(answers[6]["subscriber"] as? String == "sub-0001@isp.example")
    }

    @Test func zoneLessTimeAndUndeclaredPurposeAreRefused() throws {
        let dir = try CLI.temporaryDirectory()
        let store = dir.appendingPathComponent("s.sqlite").path
        let zoneless = try CLI.run(
            ["attribute", "--store", store, "--purpose", "infected-host-notification", "--ip", "192.0.2.10", "--at", "2026-11-27T09:15:00"])
        #expect(zoneless.status != 0)
        #expect(zoneless.stderr.contains("no zone"))
        let wrongPurpose = try CLI.run(
            ["attribute", "--store", store, "--purpose", "dns-amplification-prevention", "--ip", "192.0.2.10", "--at", "2026-11-27T09:15:00Z"])
        #expect(wrongPurpose.status != 0)
        #expect(wrongPurpose.stderr.contains("does not declare attribution"))
        let unknown = try CLI.run(
            ["attribute", "--store", store, "--purpose", "marketing", "--ip", "192.0.2.10", "--at", "2026-11-27T09:15:00Z"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("unknown countermeasure"))
        // A refused identification leaves no identification record.
        let show = try CLI.run(["audit", "show", "--store", store])
        #expect(!show.stdout.contains("identification"))
    }

    @Test func storeFromEnvironment() throws {
        let dir = try CLI.temporaryDirectory()
        let store = dir.appendingPathComponent("env.sqlite")
        let run = try CLI.run(
            ["ingest", "aaa", samples.appendingPathComponent("cgn-blocks.csv").path], environment: ["MAMORI_STORE": store.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: store.path))
    }
}
