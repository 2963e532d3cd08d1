import Foundation
import MamoriTesting
import Testing

/// Mamori on PostgreSQL, as an ISP runs it at scale: the demo against a database, several
/// `mamori serve` on one database delivering through Postfix's smtp-sink (each notice once, also
/// when one instance is killed mid-delivery), and the audit chain checked after an edit made
/// with `psql` behind the store's back.
///
/// One throwaway cluster per test process (`PostgresCluster.shared()`), a database per test.
@Suite(.serialized) struct PostgresInstancesTests {
    /// A database on the shared cluster with a key file: the `--store`/`--key-file` a test's
    /// commands take.
    struct Database {
        let cluster: PostgresCluster
        let name: String
        let url: String
        let directory: URL

        var keyFile: String { directory.appendingPathComponent("mamori.keys").path }
        var store: [String] { ["--store", url, "--key-file", keyFile] }

        init(_ prefix: String) throws {
            cluster = try PostgresCluster.shared()
            (name, url) = try cluster.newDatabase(prefix)
            directory = try CLI.temporaryDirectory()
        }

        func scalar(_ sql: String) throws -> String {
            try cluster.psql(sql, database: name).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// `count` subscribers, each with a RADIUS session and a contact, and a C&C takedown log
        /// with one sighting each, ingested: `count` open cases.
        func populate(_ count: Int) throws {
            var detail = ""
            var contacts = "subscriber,email,language\n"
            var sightings = "ip,port,time,family\n"
            for i in 0..<count {
                let address = "10.8.\(i / 250).\(i % 250 + 1)"
                detail += "Fri Nov 27 09:00:00 2026\n\tAcct-Status-Type = Start\n\tUser-Name = \"c\(i)\"\n\tAcct-Session-Id = \"C\(i)\"\n"
                detail += "\tFramed-IP-Address = \(address)\n\tTimestamp = 1795737600\n\n"
                contacts += "c\(i),c\(i)@customer.example,\(i % 3 == 0 ? "en" : "ja")\n"
                sightings += "\(address),40000,2026-11-27T00:10:00Z,mirai\n"
            }
            let detailFile = directory.appendingPathComponent("c.detail")
            let contactsFile = directory.appendingPathComponent("c.csv")
            let sightingsFile = directory.appendingPathComponent("cnc.csv")
            try detail.write(to: detailFile, atomically: true, encoding: .utf8)
            try contacts.write(to: contactsFile, atomically: true, encoding: .utf8)
            try sightings.write(to: sightingsFile, atomically: true, encoding: .utf8)
            for arguments in [
                ["ingest", "aaa"] + store + [detailFile.path],
                ["subscribers", "import"] + store + [contactsFile.path],
                ["ingest", "sightings"] + store + ["--feed", "cnc-takedown", "--json", sightingsFile.path],
            ] {
                let run = try CLI.run(arguments)
                try #require(run.status == 0, "\(arguments.prefix(2)): \(run.stderr)")
            }
            try #require(try scalar("SELECT COUNT(*) FROM infection_case") == "\(count)")
        }

        func verify() throws -> (status: Int32, json: [String: Any]) {
            let result = try CLI.run(["audit", "verify"] + store + ["--json"])
            return (result.status, CLI.object(result.lines.last ?? ""))
        }
    }

    /// A `mamori serve` on `database` delivering to `sink`, with its metrics on a port of its own.
    struct Instance {
        let child: CleanChild
        let metrics: Int
        let log: URL

        init(_ database: Database, sink: SMTPSink, name: String, extra: [String] = []) throws {
            metrics = try Loopback.freePort()
            log = database.directory.appendingPathComponent("\(name).log")
            var environment = ProcessInfo.processInfo.environment
            environment["MAMORI_STORE"] = nil
            child = try CleanChild(
                executable: CLI.binary,
                arguments: ["serve"] + database.store + [
                    "--checkpoints", database.directory.appendingPathComponent("\(name).checkpoints").path,
                    "--port", "0", "--metrics-port", "\(metrics)", "--metrics-store-poll", "0.5", "--outbox-interval", "0.2",
                    "--smtp-host", "127.0.0.1", "--smtp-port", "\(sink.port)", "--smtp-starttls", "off",
                ] + extra,
                output: log, environment: environment)
        }

        /// The notices this instance delivered (its own counter, from `/metrics`).
        func sent() throws -> Int {
            let scrape = try CLI.exec(URL(fileURLWithPath: "/usr/bin/env"), ["curl", "-sS", "http://127.0.0.1:\(metrics)/metrics"])
            for line in scrape.stdout.split(separator: "\n")
            where line.hasPrefix("mamori_notice_deliveries_total") && line.contains("outcome=\"sent\"") {
                return Int(Double(line.split(separator: " ").last ?? "") ?? -1)
            }
            return 0
        }

        var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        func stop() {
            child.signal(SIGTERM)
            _ = child.wait(timeout: 120)
        }
    }

    /// Waits (a hang guard, not a timing) until the sink holds `count` distinct Message-IDs.
    static func waitForMessages(_ sink: SMTPSink, distinct count: Int) throws -> [String] {
        let deadline = Date().addingTimeInterval(180)
        var ids = try sink.messageIDs()
        while Set(ids).count < count, Date() < deadline {
            usleep(100_000)
            ids = try sink.messageIDs()
        }
        return ids
    }

    @Test func demoRunsOnAPostgreSQLStore() throws {
        let database = try Database("demo")
        defer { try? FileManager.default.removeItem(at: database.directory) }
        let demo = try CLI.run(
            ["demo", "--no-serve", "--notices-out", database.directory.appendingPathComponent("notices").path],
            environment: ["MAMORI_STORE": database.url, "MAMORI_KEY_FILE": database.keyFile])
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stdout.contains("store \(database.url)"))
        #expect(demo.stdout.contains("audit log: intact"))
        #expect(try database.scalar("SELECT COUNT(*) FROM infection_case") == "3")
        #expect(try database.scalar("SELECT COUNT(*) FROM audit WHERE action = 'identification'") != "0")
        let verified = try database.verify()
        #expect(verified.status == 0 && verified.json["status"] as? String == "intact", "\(verified.json)")
        // A second run on the same database adds nothing twice (the AAA ledger and the sightings ledger).
        let again = try CLI.run(
            ["demo", "--no-serve", "--notices-out", database.directory.appendingPathComponent("notices2").path],
            environment: ["MAMORI_STORE": database.url, "MAMORI_KEY_FILE": database.keyFile])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("already ingested"))
        #expect(try database.scalar("SELECT COUNT(*) FROM infection_case") == "3")
    }

    /// A database store without a key file is refused before anything is written.
    @Test func aDatabaseStoreNeedsAKeyFile() throws {
        let database = try Database("nokey")
        defer { try? FileManager.default.removeItem(at: database.directory) }
        let run = try CLI.run(["cases", "--store", database.url])
        #expect(run.status == 64, "\(run.stdout) \(run.stderr)")
        #expect(run.stderr.contains("--key-file"))
        let password = try CLI.run(
            ["cases", "--store", database.url.replacingOccurrences(of: "mamori@", with: "mamori:secret@"), "--key-file", database.keyFile])
        #expect(password.status != 0)
        #expect(password.stderr.contains("PGPASSFILE"))
        #expect(!password.stderr.contains("secret"))
    }

    /// Two `mamori serve` on one database: between them every notice goes out once, each with
    /// its own Message-ID, and both take part.
    @Test func twoServeInstancesDeliverEachNoticeOnce() throws {
        let database = try Database("two")
        defer { try? FileManager.default.removeItem(at: database.directory) }
        try database.populate(24)
        // The sink answers DATA after 1 s: 24 notices keep both instances busy.
        let sink = try SMTPSink(delayDataSeconds: 1)
        defer { sink.stop() }
        let a = try Instance(database, sink: sink, name: "a")
        let b = try Instance(database, sink: sink, name: "b")
        defer {
            a.stop()
            b.stop()
        }
        let ids = try Self.waitForMessages(sink, distinct: 24)
        #expect(Set(ids).count == 24, "\(a.output)\n\(b.output)")
        #expect(ids.count == 24, "received \(ids.count) messages for 24 notices")
        #expect(try database.scalar("SELECT status || ':' || COUNT(*) FROM notice GROUP BY status") == "sent:24")
        let stored = Set(try database.scalar("SELECT message_id FROM notice").split(separator: "\n").map(String.init))
        #expect(Set(ids) == stored)
        // Each instance's own counter, read after its store poll: both delivered.
        usleep(700_000)
        let (sentA, sentB) = (try a.sent(), try b.sent())
        #expect(sentA + sentB == 24, "a \(sentA), b \(sentB)")
        #expect(sentA > 0 && sentB > 0, "a \(sentA), b \(sentB)")
        a.stop()
        b.stop()
        #expect(try database.scalar("SELECT COUNT(*) FROM audit WHERE action = 'notice-sent'") == "24")
        let verified = try database.verify()
        #expect(verified.status == 0, "\(verified.json)")
    }

    /// Two `mamori serve` on one database, one killed mid-delivery: the other finishes, taking
    /// over the killed one's notice when its lease expires; each notice arrives, and a resend
    /// keeps its Message-ID.
    @Test func aKilledInstancesNoticesAreDeliveredByTheOther() throws {
        let database = try Database("kill")
        defer { try? FileManager.default.removeItem(at: database.directory) }
        try database.populate(16)
        let sink = try SMTPSink(delayDataSeconds: 1)
        defer { sink.stop() }
        let victim = try Instance(database, sink: sink, name: "victim", extra: ["--outbox-lease-seconds", "2"])
        let survivor = try Instance(database, sink: sink, name: "survivor", extra: ["--outbox-lease-seconds", "2"])
        defer { survivor.stop() }
        let deadline = Date().addingTimeInterval(120)
        while try sink.messageIDs().count < 3, Date() < deadline { usleep(20_000) }
        victim.child.signal(SIGKILL)
        _ = victim.child.wait(timeout: 60)
        let ids = try Self.waitForMessages(sink, distinct: 16)
        #expect(Set(ids).count == 16, "\(survivor.output)")
        #expect(try database.scalar("SELECT status || ':' || COUNT(*) FROM notice GROUP BY status") == "sent:16")
        let stored = Set(try database.scalar("SELECT message_id FROM notice").split(separator: "\n").map(String.init))
        #expect(Set(ids) == stored)
        // At most the one notice in flight when the victim died went out twice, with the same Message-ID.
        #expect(ids.count - Set(ids).count <= 1, "received \(ids.count) messages for \(Set(ids).count) notices")
        survivor.stop()
        #expect(try database.verify().status == 0)
    }

    /// An audit record edited in the database (its triggers disabled, as a DBA could) is found
    /// by `audit verify`: exit 3, naming the record.
    @Test func anAuditRecordEditedInTheDatabaseIsFound() throws {
        let database = try Database("tamper")
        defer { try? FileManager.default.removeItem(at: database.directory) }
        try database.populate(3)
        #expect(try database.verify().status == 0)
        // A plain UPDATE is refused by the store's trigger.
        #expect(throws: (any Error).self) { try database.cluster.psql("UPDATE audit SET subject = 'x' WHERE seq = 2", database: database.name) }
        _ = try database.cluster.psql(
            "ALTER TABLE audit DISABLE TRIGGER ALL; UPDATE audit SET subject = 'someone-else' WHERE seq = 2; ALTER TABLE audit ENABLE TRIGGER ALL;",
            database: database.name)
        let verified = try database.verify()
        #expect(verified.status == 3)
        #expect(verified.json["status"] as? String == "broken", "\(verified.json)")
        #expect(verified.json["sequence"] as? Int == 2, "\(verified.json)")
    }

    /// `mamori mail …` on PostgreSQL: the alerts, suspensions and blocks live in the database.
    @Test func theMailGuardKeepsItsStateInPostgreSQL() throws {
        let database = try Database("mail")
        #expect(try CLI.run(["mail", "alert", "raise", "load"] + database.store).stdout == "load: raised\n")
        #expect(try database.scalar("SELECT source FROM mail_alert WHERE alert = 'load'") == "cli")
        _ = try database.scalar("INSERT INTO mail_suspension VALUES ('victim@isp.example', 1, 4102444800, 'distinct-addresses')")
        let listed = try CLI.run(["mail", "suspensions", "--json"] + database.store)
        #expect(listed.status == 0 && listed.stdout.contains("distinct-addresses") && !listed.stdout.contains("victim"))
        let lift = try CLI.run(["mail", "lift", "--login", "victim@isp.example", "--reason", "password-changed"] + database.store)
        #expect(lift.status == 0 && lift.stdout == "lifted\n")
        #expect(try database.scalar("SELECT COUNT(*) FROM mail_suspension") == "0")
        #expect(try database.scalar("SELECT COUNT(*) FROM audit WHERE action = 'lift'") == "1")
    }
}
