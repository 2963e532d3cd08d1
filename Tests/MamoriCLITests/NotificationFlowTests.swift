import Foundation
import MamoriTesting
import Testing

@Suite(.enabled(if: Corpus.isPresent, "needs the shared corpus")) struct NotificationFlowTests {
    let samples = CLI.root.appendingPathComponent("Sources/mamori/Samples")

    /// A store with the sample AAA records and subscriber directory.
    func preparedStore() throws -> URL {
        let dir = try CLI.temporaryDirectory()
        let store = dir.appendingPathComponent("flow.sqlite")
        let ingest = try CLI.run(
            ["ingest", "aaa", "--store", store.path, "--header-time-zone", "Asia/Tokyo"]
                + ["radius-detail.txt", "kea-leases4.csv", "dhcpd.leases", "cgn-blocks.csv"].map { samples.appendingPathComponent($0).path })
        try #require(ingest.status == 0, "\(ingest.stderr)")
        let directory = try CLI.run(["subscribers", "import", "--store", store.path, samples.appendingPathComponent("subscribers.csv").path])
        try #require(directory.status == 0, "\(directory.stderr)")
        return store
    }

    @Test func sightingsBecomeCasesAndUnattributedOnesNotifyNobody() throws {
        let store = try preparedStore()
        let run = try CLI.run(
            ["ingest", "sightings", "--store", store.path, "--json"]
                + ["event4_sinkhole_http-sample.csv", "cowrie-sample.json"].map { samples.appendingPathComponent($0).path })
        #expect(run.status == 0, "\(run.stderr)")
        let counts = CLI.object(run.lines.last ?? "")
        #expect(counts["parsed"] as? Int == 8)  // 5 report rows + 3 Cowrie events (one session)
        #expect(counts["attributed"] as? Int == 4)
        #expect(counts["not_found"] as? Int == 1)
        #expect(counts["ambiguous"] as? Int == 1)
        #expect(counts["cases_opened"] as? Int == 3)
        // Every identification is audited; the not-found and ambiguous ones carry no subject.
        let show = try CLI.run(["audit", "show", "--store", store.path])
        let identifications = show.lines.filter { $0.contains("\tidentification\t") }
        #expect(identifications.count == 6)
        #expect(identifications.filter { $0.contains("status=found") }.count == 4)
        #expect(!show.stdout.contains("192.0.2.10"))
        // The same file again: nothing new.
        let again = try CLI.run(["ingest", "sightings", "--store", store.path, "--json", samples.appendingPathComponent("cowrie-sample.json").path])
        #expect(CLI.object(again.lines.last ?? "")["attributed"] as? Int == 0)
        // Cases list pseudonymised subscribers.
        let cases = try CLI.run(["cases", "--store", store.path, "--json"])
        #expect(cases.lines.count == 3)
        #expect(!cases.stdout.contains("sub-0001"))
        #expect(cases.stdout.contains("\"status\":\"open\""))
    }

    @Test func corpusFeedsParseAndNobodyUnknownIsNotified() throws {
        let store = try preparedStore()
        let files = [
            "shadowserver/event4_sinkhole_http.csv", "shadowserver/event4_sinkhole.csv", "shadowserver/botnet_drone.csv",
            "cowrie/cowrie.json.2018-05-06", "abuse/cowrie-2019-telnet-ssh-head.json", "dionaea/dionaea.json",
        ].map { CLI.corpus.appendingPathComponent($0).path }
        let run = try CLI.run(["ingest", "sightings", "--store", store.path, "--json"] + files)
        let counts = CLI.object(run.lines.last ?? "")
        #expect((counts["parsed"] as? Int ?? 0) > 20)
        // None of these Internet addresses is in our assignment records.
        #expect(counts["attributed"] as? Int == 0)
        #expect(counts["cases_opened"] as? Int == 0)
        let out = try CLI.temporaryDirectory()
        let notify = try CLI.run(["notify", "--store", store.path, "--dry-run", "--out", out.path, "--json"])
        #expect(CLI.object(notify.lines.last ?? "")["would_send"] as? Int == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).isEmpty)
    }

    @Test func dryRunWritesEmlAndRecordsNothingAsSent() throws {
        let store = try preparedStore()
        _ = try CLI.run(["ingest", "sightings", "--store", store.path, samples.appendingPathComponent("event4_sinkhole_http-sample.csv").path])
        let out = try CLI.temporaryDirectory()
        let run = try CLI.run(["notify", "--store", store.path, "--dry-run", "--out", out.path, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".eml") }
        #expect(files.count == 2)
        let texts = try files.map { try String(contentsOf: out.appendingPathComponent($0), encoding: .utf8) }
        #expect(texts.allSatisfy { $0.contains("\r\nMessage-ID: <notice-") && $0.contains("Auto-Submitted: auto-generated") })
        #expect(texts.contains { $0.contains("To: sub-0001@customer.example") && $0.contains("Content-Language: ja") })
        #expect(texts.contains { $0.contains("To: sub-0102@customer.example") && $0.contains("Content-Language: en") })
        let sent = try CLI.sqlite(store, "SELECT COUNT(*) FROM notice;").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(sent == "0")
        let open = try CLI.run(["cases", "--store", store.path, "--status", "open", "--json"])
        #expect(open.lines.count == 2)
    }

    @Test func notifySendsOverSMTPOnceAndRespectsThePolicy() throws {
        let store = try preparedStore()
        _ = try CLI.run(
            ["ingest", "sightings", "--store", store.path]
                + ["event4_sinkhole_http-sample.csv", "cowrie-sample.json"].map { samples.appendingPathComponent($0).path })
        let sink = try SMTPSink()
        defer { sink.stop() }
        let smtp = ["--smtp-host", "127.0.0.1", "--smtp-port", "\(sink.port)", "--smtp-starttls", "off"]
        let first = try CLI.run(["notify", "--store", store.path, "--json"] + smtp)
        #expect(first.status == 0, "\(first.stderr)")
        let counts = CLI.object(first.lines.last ?? "")
        #expect(counts["sent"] as? Int == 3)
        #expect(try sink.messages().count == 3)
        // Again at once: nothing is due (one notice per subscriber per gap; no reminder yet).
        let second = try CLI.run(["notify", "--store", store.path, "--json"] + smtp)
        #expect(CLI.object(second.lines.last ?? "")["sent"] as? Int == 0)
        #expect(try sink.messages().count == 3)
        let show = try CLI.run(["audit", "show", "--store", store.path])
        #expect(show.lines.filter { $0.contains("\tnotice-sent\t") }.count == 3)
        #expect(try CLI.run(["audit", "verify", "--store", store.path]).status == 0)
        // The outbox keeps no body (no personal link) once sent.
        let bodies = try CLI.sqlite(store, "SELECT COUNT(*) FROM notice WHERE body != '';").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(bodies == "0")
    }

    /// `purge` enforces every class the store holds: cases, notices and personal links,
    /// the sightings ledger, assignment records; each class audited.
    @Test func purgeEnforcesEveryRetentionClass() throws {
        let store = try preparedStore()
        _ = try CLI.run(
            ["ingest", "sightings", "--store", store.path]
                + ["event4_sinkhole_http-sample.csv", "cowrie-sample.json"].map { samples.appendingPathComponent($0).path })
        let sink = try SMTPSink()
        defer { sink.stop() }
        let notify = try CLI.run([
            "notify", "--store", store.path, "--smtp-host", "127.0.0.1", "--smtp-port", "\(sink.port)", "--smtp-starttls", "off",
        ])
        #expect(notify.status == 0, "\(notify.stderr)")
        func count(_ table: String) throws -> Int {
            Int(try CLI.sqlite(store, "SELECT COUNT(*) FROM \(table);").stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }
        let cases = try count("infection_case")
        #expect(cases == 3)
        #expect(try count("access_token") == 3)
        #expect(try count("notice") == 3)
        // Now: everything is within its retention.
        let early = try CLI.run(["purge", "--store", store.path, "--json"])
        #expect(early.status == 0, "\(early.stderr)")
        #expect(try count("infection_case") == 3)
        // A year and a month later: cases and notices (365 days) go, with their links.
        let late = try CLI.run(["purge", "--store", store.path, "--json", "--now", "2028-01-05T00:00:00Z"])
        #expect(late.status == 0, "\(late.stderr)")
        let lines = late.lines.map(CLI.object)
        let byClass = Dictionary(uniqueKeysWithValues: lines.compactMap { o in (o["class"] as? String).map { ($0, o) } })
        #expect(byClass["cases"]?["retention_days"] as? Int == 365)
        #expect(byClass["cases"]?["deleted"] as? Int == 3)
        #expect(byClass["notices"] != nil && byClass["sightings"] != nil && byClass["assignment-records"] != nil)
        for table in ["infection_case", "notice", "access_token", "sighting_file"] {
            #expect(try count(table) == 0, "\(table) kept rows past their retention")
        }
        let show = try CLI.run(["audit", "show", "--store", store.path])
        for dataClass in ["cases", "notices", "sightings", "assignment-records"] {
            #expect(show.lines.contains { $0.contains("\tpurge\t") && $0.contains("retention:\(dataClass)") }, "no purge record for \(dataClass)")
        }
        #expect(try CLI.run(["audit", "verify", "--store", store.path]).status == 0)
    }

    /// kill -9 during notification, restart: every notice arrives exactly once.
    @Test func killedNotifySendsEachNoticeExactlyOnce() async throws {
        let dir = try CLI.temporaryDirectory()
        let store = dir.appendingPathComponent("kill.sqlite")
        // 12 subscribers, each with a RADIUS session and an infected sighting.
        var detail = ""
        var directory = "subscriber,email,language\n"
        var sightings = "ip,port,time,family\n"
        for i in 1...12 {
            detail += "Fri Nov 27 09:00:00 2026\n\tAcct-Status-Type = Start\n\tUser-Name = \"k\(i)\"\n\tAcct-Session-Id = \"K\(i)\"\n"
            detail += "\tFramed-IP-Address = 10.9.0.\(i)\n\tTimestamp = 1795737600\n\n"
            directory += "k\(i),k\(i)@customer.example,ja\n"
            sightings += "10.9.0.\(i),40000,2026-11-27T00:10:00Z,mirai\n"
        }
        try detail.write(to: dir.appendingPathComponent("k.detail"), atomically: true, encoding: .utf8)
        try directory.write(to: dir.appendingPathComponent("k.csv"), atomically: true, encoding: .utf8)
        try sightings.write(to: dir.appendingPathComponent("cnc.csv"), atomically: true, encoding: .utf8)
        #expect(try CLI.run(["ingest", "aaa", "--store", store.path, dir.appendingPathComponent("k.detail").path]).status == 0)
        #expect(try CLI.run(["subscribers", "import", "--store", store.path, dir.appendingPathComponent("k.csv").path]).status == 0)
        let ingest = try CLI.run([
            "ingest", "sightings", "--store", store.path, "--feed", "cnc-takedown", "--json", dir.appendingPathComponent("cnc.csv").path,
        ])
        try #require(CLI.object(ingest.lines.last ?? "")["cases_opened"] as? Int == 12, "\(ingest.stdout) \(ingest.stderr)")

        // The sink waits 1 s before answering DATA, so notify is slow enough to be killed midway.
        let sink = try SMTPSink(delayDataSeconds: 1)
        defer { sink.stop() }
        let smtp = ["--smtp-host", "127.0.0.1", "--smtp-port", "\(sink.port)", "--smtp-starttls", "off"]
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["notify", "--store", store.path, "--outbox-lease-seconds", "2"] + smtp
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Kill as soon as the sink holds 3 messages: the rest (≥ 9 s of DATA delays) is still to go.
        // A plain polling loop, not Task.sleep: other tests may hold the cooperative threads.
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline, try sink.messageIDs().count < 3 { usleep(20_000) }
        #expect(process.isRunning, "notify ended before it could be killed")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let before = try sink.messageIDs()
        #expect(before.count > 0 && before.count < 12, "killed after \(before.count) of 12")

        // The notice in flight stays the dead worker's until its lease (2 s) expires.
        usleep(2_100_000)
        let rerun = try CLI.run(["notify", "--store", store.path, "--json"] + smtp)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let ids = try sink.messageIDs()
        // Each notice arrived; only the one in flight when notify died (the relay had its data,
        // the store not yet its 250) may have gone out twice, with the same Message-ID.
        #expect(Set(ids).count == 12, "received \(Set(ids).count) distinct notices of 12")
        #expect(ids.count - Set(ids).count <= 1, "received \(ids.count) messages for 12 notices")
        let statuses = try CLI.sqlite(store, "SELECT status, COUNT(*) FROM notice GROUP BY status;").stdout
        #expect(statuses.trimmingCharacters(in: .whitespacesAndNewlines) == "sent|12")
        #expect(try CLI.run(["audit", "verify", "--store", store.path]).status == 0)
    }
}
