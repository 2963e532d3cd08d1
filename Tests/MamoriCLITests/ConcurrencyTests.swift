import Foundation
import MamoriTesting
import Testing

/// Two runs at once against one store: an overlapping cron job, `serve`'s outbox beside a
/// manual `notify`, the same report given twice. The store keeps each case and notice once.
@Suite(.serialized) struct ConcurrencyTests {
    /// A started `mamori` process whose output goes to files.
    struct Running {
        let process: Process
        let stdout: URL
        let stderr: URL

        var output: String { (try? String(contentsOf: stdout, encoding: .utf8)) ?? "" }
        var errors: String { (try? String(contentsOf: stderr, encoding: .utf8)) ?? "" }
        var lastLine: [String: Any] { CLI.object(output.split(separator: "\n").last.map(String.init) ?? "") }

        func wait() {
            process.waitUntilExit()
        }
    }

    static func start(_ arguments: [String], in dir: URL) throws -> Running {
        let name = UUID().uuidString
        let out = dir.appendingPathComponent("\(name).out")
        let err = dir.appendingPathComponent("\(name).err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["MAMORI_STORE"] = nil
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return Running(process: process, stdout: out, stderr: err)
    }

    /// A store with `count` subscribers, each holding a RADIUS session and a contact, and a
    /// C&C takedown log with one sighting of each. Returns (store, sightings file).
    static func population(_ count: Int, in dir: URL) throws -> (store: URL, sightings: URL) {
        let store = dir.appendingPathComponent("c.sqlite")
        var detail = ""
        var directory = "subscriber,email,language\n"
        var sightings = "ip,port,time,family\n"
        for i in 0..<count {
            let address = "10.8.\(i / 250).\(i % 250 + 1)"
            detail += "Fri Nov 27 09:00:00 2026\n\tAcct-Status-Type = Start\n\tUser-Name = \"c\(i)\"\n\tAcct-Session-Id = \"C\(i)\"\n"
            detail += "\tFramed-IP-Address = \(address)\n\tTimestamp = 1795737600\n\n"
            directory += "c\(i),c\(i)@customer.example,\(i % 3 == 0 ? "en" : "ja")\n"
            sightings += "\(address),40000,2026-11-27T00:10:00Z,mirai\n"
        }
        let detailFile = dir.appendingPathComponent("c.detail")
        let directoryFile = dir.appendingPathComponent("c.csv")
        let sightingsFile = dir.appendingPathComponent("cnc.csv")
        try detail.write(to: detailFile, atomically: true, encoding: .utf8)
        try directory.write(to: directoryFile, atomically: true, encoding: .utf8)
        try sightings.write(to: sightingsFile, atomically: true, encoding: .utf8)
        let aaa = try CLI.run(["ingest", "aaa", "--store", store.path, detailFile.path])
        try #require(aaa.status == 0, "\(aaa.stderr)")
        let contacts = try CLI.run(["subscribers", "import", "--store", store.path, directoryFile.path])
        try #require(contacts.status == 0, "\(contacts.stderr)")
        return (store, sightingsFile)
    }

    static func scalar(_ store: URL, _ sql: String) throws -> String {
        try CLI.sqlite(store, sql).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Two AAA files, and one of them twice, given to three `ingest aaa` at once: the store holds
    /// what one run after the other gives (the same events, each file in the ledger once) and an
    /// intact audit chain.
    @Test func concurrentAAAIngestsEqualSequentialOnes() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func detail(_ range: Range<Int>) -> String {
            range.map { i in
                "Fri Nov 27 09:00:00 2026\n\tAcct-Status-Type = Start\n\tUser-Name = \"d\(i)\"\n\tAcct-Session-Id = \"D\(i)\"\n"
                    + "\tFramed-IP-Address = 10.9.\(i / 250).\(i % 250 + 1)\n\tTimestamp = \(1_795_737_600 + i)\n\n"
            }.joined()
        }
        let a = dir.appendingPathComponent("a.detail")
        let b = dir.appendingPathComponent("b.detail")
        try detail(0..<20_000).write(to: a, atomically: true, encoding: .utf8)
        try detail(15_000..<40_000).write(to: b, atomically: true, encoding: .utf8)  // overlaps a by 5,000 sessions

        let together = dir.appendingPathComponent("together.sqlite")
        let runs = try [a, b, a].map { try Self.start(["ingest", "aaa", "--store", together.path, "--no-index-snapshot", $0.path], in: dir) }
        for run in runs { run.wait() }
        for run in runs { #expect(run.process.terminationStatus == 0, "\(run.errors)") }

        let sequential = dir.appendingPathComponent("sequential.sqlite")
        for file in [a, b] {
            let run = try CLI.run(["ingest", "aaa", "--store", sequential.path, "--no-index-snapshot", file.path])
            try #require(run.status == 0, "\(run.stderr)")
        }
        // The stable keys are keyed hashes with each store's own key: compare the events themselves
        // (a SHA-3 of every body in order, by the sqlite3 shell).
        let events = "SELECT hex(sha3_query('SELECT body FROM aaa_event ORDER BY body'));"
        #expect(try Self.scalar(together, "SELECT COUNT(*) FROM aaa_event;") == "40000")
        #expect(try Self.scalar(together, events) == (try Self.scalar(sequential, events)))
        let ledger = "SELECT sha256, format, records, events FROM aaa_file ORDER BY sha256;"
        #expect(try Self.scalar(together, ledger) == (try Self.scalar(sequential, ledger)))
        #expect(try Self.scalar(together, "SELECT COUNT(*) FROM aaa_file;") == "2")
        #expect(try CLI.run(["audit", "verify", "--store", together.path]).status == 0)
    }

    /// The same report to two `ingest sightings` at once: each case opened once, the file counted once.
    @Test func twoIngestsOfOneFileOpenEachCaseOnce() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, sightings) = try Self.population(600, in: dir)
        let arguments = ["ingest", "sightings", "--store", store.path, "--feed", "cnc-takedown", "--batch-size", "40", "--json", sightings.path]
        let a = try Self.start(arguments, in: dir)
        let b = try Self.start(arguments, in: dir)
        a.wait()
        b.wait()
        #expect(a.process.terminationStatus == 0, "\(a.errors)")
        #expect(b.process.terminationStatus == 0, "\(b.errors)")
        #expect(try Self.scalar(store, "SELECT COUNT(*) FROM infection_case;") == "600")
        #expect(try Self.scalar(store, "SELECT COUNT(DISTINCT subscriber) FROM infection_case;") == "600")
        #expect(try Self.scalar(store, "SELECT SUM(sightings) FROM infection_case;") == "600")
        // Between them the two runs attributed each sighting once.
        let attributed = (a.lastLine["attributed"] as? Int ?? -1) + (b.lastLine["attributed"] as? Int ?? -1)
        let opened = (a.lastLine["cases_opened"] as? Int ?? -1) + (b.lastLine["cases_opened"] as? Int ?? -1)
        #expect(attributed == 600, "\(a.output) | \(b.output)")
        #expect(opened == 600)
        #expect(try Self.scalar(store, "SELECT attributed FROM feed_counter;") == "600")
        #expect(try Self.scalar(store, "SELECT COUNT(*) FROM sighting_file WHERE complete = 1;") == "1")
        // One identification audit record per sighting, in one intact chain.
        #expect(try Self.scalar(store, "SELECT COUNT(*) FROM audit WHERE action = 'identification';") == "600")
        #expect(try CLI.run(["audit", "verify", "--store", store.path]).status == 0)
        // A third run of the file finds it complete.
        let again = try CLI.run(arguments)
        #expect(again.stdout.contains("\"attributed\":0"), "\(again.stdout)")
    }

    /// Two `notify` at once against one store and Postfix's smtp-sink: each notice queued and
    /// delivered once.
    @Test func twoNotifyRunsDeliverEachNoticeOnce() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, sightings) = try Self.population(300, in: dir)
        let ingest = try CLI.run(["ingest", "sightings", "--store", store.path, "--feed", "cnc-takedown", "--json", sightings.path])
        try #require(CLI.object(ingest.lines.last ?? "")["cases_opened"] as? Int == 300, "\(ingest.stdout) \(ingest.stderr)")
        let sink = try SMTPSink()
        defer { sink.stop() }
        let arguments = [
            "notify", "--store", store.path, "--json", "--smtp-host", "127.0.0.1", "--smtp-port", "\(sink.port)", "--smtp-starttls", "off",
        ]
        let a = try Self.start(arguments, in: dir)
        let b = try Self.start(arguments, in: dir)
        a.wait()
        b.wait()
        #expect(a.process.terminationStatus == 0, "\(a.errors)")
        #expect(b.process.terminationStatus == 0, "\(b.errors)")
        let queued = (a.lastLine["queued"] as? Int ?? -1) + (b.lastLine["queued"] as? Int ?? -1)
        let sent = (a.lastLine["sent"] as? Int ?? -1) + (b.lastLine["sent"] as? Int ?? -1)
        #expect(queued == 300, "\(a.output) | \(b.output)")
        #expect(sent == 300)
        #expect(try Self.scalar(store, "SELECT COUNT(*) FROM notice;") == "300")
        #expect(try Self.scalar(store, "SELECT status, COUNT(*) FROM notice GROUP BY status;") == "sent|300")
        let ids = try sink.messageIDs()
        #expect(ids.count == 300, "received \(ids.count) messages for 300 notices")
        #expect(Set(ids).count == 300)
        #expect(try Self.scalar(store, "SELECT COUNT(*) FROM audit WHERE action = 'notice-sent';") == "300")
        #expect(try CLI.run(["audit", "verify", "--store", store.path]).status == 0)
    }

    /// Two `notify` at once, one killed mid-delivery: the other finishes, taking over the
    /// killed one's notice when its lease expires; each notice arrives, a resend keeps its Message-ID.
    @Test func oneOfTwoNotifyRunsKilledStillDeliversEachNoticeOnce() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, sightings) = try Self.population(16, in: dir)
        let ingest = try CLI.run(["ingest", "sightings", "--store", store.path, "--feed", "cnc-takedown", "--json", sightings.path])
        try #require(CLI.object(ingest.lines.last ?? "")["cases_opened"] as? Int == 16, "\(ingest.stdout) \(ingest.stderr)")
        // The sink waits 1 s before answering DATA: 16 notices keep two workers busy ≥ 8 s.
        let sink = try SMTPSink(delayDataSeconds: 1)
        defer { sink.stop() }
        let arguments = [
            "notify", "--store", store.path, "--json", "--smtp-host", "127.0.0.1", "--smtp-port", "\(sink.port)", "--smtp-starttls", "off",
            "--outbox-lease-seconds", "2",
        ]
        let victim = try Self.start(arguments, in: dir)
        let survivor = try Self.start(arguments, in: dir)
        let deadline = Date().addingTimeInterval(60)
        while victim.process.isRunning, Date() < deadline, try sink.messageIDs().count < 3 { usleep(20_000) }
        #expect(victim.process.isRunning, "the first notify ended before it could be killed")
        kill(victim.process.processIdentifier, SIGKILL)
        victim.wait()
        survivor.wait()
        #expect(survivor.process.terminationStatus == 0, "\(survivor.errors)")
        // The victim's last claim may still be under its lease if the survivor ran out of work
        // first: a later run (cron's next one) delivers it.
        usleep(2_100_000)
        let sweep = try CLI.run(arguments)
        #expect(sweep.status == 0, "\(sweep.stderr)")
        #expect(try Self.scalar(store, "SELECT status, COUNT(*) FROM notice GROUP BY status;") == "sent|16")
        let ids = try sink.messageIDs()
        let stored = Set(try CLI.sqlite(store, "SELECT message_id FROM notice;").stdout.split(separator: "\n").map(String.init))
        #expect(Set(ids) == stored)
        // At most the one notice in flight when the victim died went out twice, with the same Message-ID.
        #expect(ids.count - Set(ids).count <= 1, "received \(ids.count) messages for \(Set(ids).count) notices")
        #expect(try CLI.run(["audit", "verify", "--store", store.path]).status == 0)
    }
}
