import Addressing
import Attribution
import Foundation
import Logging
import Mailer
import MamoriTesting
import Remediation
import Runtime
import Secrecy
import Sightings
import Storage
import StorePostgres
import StoreSQLite
import TextScanning

/// `mamori-bench stores`: the same work on the SQLite store and on the PostgreSQL store, in one
/// run: `ingest aaa` of a generated FreeRADIUS detail file, sightings end to end, and the outbox
/// delivering to Postfix's `smtp-sink` with one and with two workers on one database.
///
/// PostgreSQL is a throwaway cluster on 127.0.0.1 (``PostgresCluster``) with durable settings
/// (``settings``: `fsync` and `synchronous_commit` on, as SQLite's `synchronous=FULL`), so the two
/// backends keep the same promise: a committed batch survives a crash.
enum StoreBackendsBench {
    struct Options {
        var records: Int
        var rows: Int
        var sessions: Int
        var notices: Int
        var seed: UInt64
        var json: Bool
    }

    /// The cluster's settings: the durable defaults, with memory for the working set.
    static let settings = [
        "shared_buffers=1GB", "max_wal_size=8GB", "checkpoint_timeout=30min", "work_mem=64MB", "maintenance_work_mem=512MB",
        "max_connections=100",
    ]

    static func run(_ o: Options) async throws {
        let temp = try BenchTemporaryDirectory(prefix: "mamori-bench-stores")
        defer { temp.remove() }
        let cluster = try PostgresCluster(settings: settings)
        defer { cluster.stop() }
        let load = LoadAverage.oneMinute()
        var object: [String: Any] = [
            "bench": "stores", "postgres_settings": settings.joined(separator: ", "), "load_average_start": load ?? NSNull(),
        ]
        var table = BenchTable("mamori bench stores: SQLite and PostgreSQL 15 in one run (seed \(o.seed))")
        if let load { table.row("load average (1 min) at start", BenchFormat.fixed(load, 2)) }
        table.row("PostgreSQL settings", settings.joined(separator: ", ") + "; fsync and synchronous_commit on (defaults)")
        table.row("SQLite settings", "WAL, synchronous=FULL (the store's own)")

        if o.records > 0 {
            object["ingest_aaa"] = try await ingest(o, temp: temp, cluster: cluster, table: &table)
        }
        if o.rows > 0 {
            object["sightings"] = try await sightings(o, temp: temp, cluster: cluster, table: &table)
        }
        if o.notices > 0 {
            object["outbox"] = try await outbox(o, temp: temp, cluster: cluster, table: &table)
        }
        object["load_average_end"] = LoadAverage.oneMinute() ?? NSNull()
        if o.json {
            Output.line(Output.json(object))
        } else {
            table.print()
        }
    }

    /// A new database on `cluster`, opened as a store (the key file beside the bench's files).
    static func openPostgres(_ cluster: PostgresCluster, _ name: String, temp: BenchTemporaryDirectory) async throws -> PostgresStore {
        let database = try cluster.newDatabase(name)
        return try await PostgresStore.open(url: database.url, keyFile: keyFile(database.name, temp), logger: Logger(label: "bench.store"))
    }

    static func keyFile(_ database: String, _ temp: BenchTemporaryDirectory) -> String {
        temp.url.appendingPathComponent("\(database).key").path
    }

    // MARK: ingest aaa

    static func ingest(
        _ o: Options, temp: BenchTemporaryDirectory, cluster: PostgresCluster, table: inout BenchTable
    ) async throws -> [String: Any] {
        let file = temp.url.appendingPathComponent("detail-20260101")
        let bytes = try DetailWriter.write(records: o.records, seed: o.seed, to: file)
        let sqlite = try MamoriStore(path: temp.url.appendingPathComponent("ingest.sqlite").path)
        let (liteReport, liteSeconds) = try await Stopwatch.seconds {
            try await AAAIngest.ingest(url: file, format: .radiusDetail, headerTimeZone: IngestBench.zone, store: sqlite, actor: "bench")
        }
        let postgres = try await openPostgres(cluster, "ingest", temp: temp)
        let (pgReport, pgSeconds) = try await Stopwatch.seconds {
            try await AAAIngest.ingest(url: file, format: .radiusDetail, headerTimeZone: IngestBench.zone, store: postgres, actor: "bench")
        }
        let pgEvents = try await postgres.eventCount()
        await postgres.close()
        let liteRate = Double(liteReport.records) / liteSeconds
        let pgRate = Double(pgReport.records) / pgSeconds
        table.row("ingest aaa", "\(BenchFormat.count(o.records)) records, \(BenchFormat.megabytes(bytes)) FreeRADIUS detail file")
        table.row(
            "  SQLite",
            "\(BenchFormat.count(liteReport.added)) events in \(BenchFormat.seconds(liteSeconds)): \(BenchFormat.rate(liteRate)) records")
        table.row(
            "  PostgreSQL",
            "\(BenchFormat.count(pgReport.added)) events in \(BenchFormat.seconds(pgSeconds)): \(BenchFormat.rate(pgRate)) records "
                + "(goal ≥ 100,000/s: \(BenchFormat.goal(pgRate >= 100_000))); \(BenchFormat.fixed(pgRate / liteRate, 2))× SQLite")
        return [
            "records": o.records, "file_bytes": bytes,
            "sqlite": ["events_added": liteReport.added, "seconds": BenchFormat.json(liteSeconds, 3), "records_per_second": Int(liteRate)],
            "postgres": [
                "events_added": pgReport.added, "events_stored": pgEvents, "seconds": BenchFormat.json(pgSeconds, 3),
                "records_per_second": Int(pgRate), "goal_100k_met": pgRate >= 100_000,
            ],
            "postgres_vs_sqlite": BenchFormat.json(pgRate / liteRate, 2),
        ]
    }

    // MARK: sightings end to end

    static func sightings(
        _ o: Options, temp: BenchTemporaryDirectory, cluster: PostgresCluster, table: inout BenchTable
    ) async throws -> [String: Any] {
        let (index, _) = SightingsBench.index(sessions: o.sessions)
        let report = temp.url.appendingPathComponent("2026-11-26-event4_sinkhole_http-bench-asn.csv")
        try ShadowserverSynth.write(
            rows: o.rows, to: report, sources: [IPPrefix("198.18.0.0/17")].compactMap { $0 }, start: SightingsBench.dayStart)
        let sqlite = try MamoriStore(path: temp.url.appendingPathComponent("sightings.sqlite").path)
        let lite = try await SightingsBench.endToEnd(store: sqlite, index: index, report: report)
        let liteAudit = try await sqlite.audit.headSequence()
        let postgres = try await openPostgres(cluster, "sightings", temp: temp)
        let pg = try await SightingsBench.endToEnd(store: postgres, index: index, report: report)
        let pgAudit = try await postgres.audit.headSequence()
        let pgVerified = try await postgres.audit.verify()
        await postgres.close()
        let liteRate = Double(lite.parsed.sightings.count) / lite.wall
        let pgRate = Double(pg.parsed.sightings.count) / pg.wall
        table.row(
            "sightings end to end",
            "\(BenchFormat.count(o.rows)) Shadowserver rows, \(BenchFormat.count(index.sessionCount)) sessions in the index")
        table.row(
            "  SQLite",
            "\(BenchFormat.count(lite.counts.casesOpened)) cases, \(liteAudit) audit records in \(BenchFormat.seconds(lite.wall)): "
                + "\(BenchFormat.rate(liteRate)) sightings")
        table.row(
            "  PostgreSQL",
            "\(BenchFormat.count(pg.counts.casesOpened)) cases, \(pgAudit) audit records in \(BenchFormat.seconds(pg.wall)): "
                + "\(BenchFormat.rate(pgRate)) sightings (goal ≥ 50,000/s: \(BenchFormat.goal(pgRate >= 50_000))); "
                + "\(BenchFormat.fixed(pgRate / liteRate, 2))× SQLite")
        return [
            "rows": o.rows, "sessions": index.sessionCount,
            "sqlite": [
                "cases_opened": lite.counts.casesOpened, "audit_records": liteAudit, "seconds": BenchFormat.json(lite.wall, 3),
                "cpu_seconds": BenchFormat.json(lite.cpu, 3), "per_second": Int(liteRate),
            ],
            "postgres": [
                "cases_opened": pg.counts.casesOpened, "audit_records": pgAudit, "chain": pgVerified.description,
                "seconds": BenchFormat.json(pg.wall, 3), "client_cpu_seconds": BenchFormat.json(pg.cpu, 3), "per_second": Int(pgRate),
                "goal_50k_met": pgRate >= 50_000,
            ],
            "postgres_vs_sqlite": BenchFormat.json(pgRate / liteRate, 2),
        ]
    }

    // MARK: outbox delivery, one and two workers

    static func outbox(
        _ o: Options, temp: BenchTemporaryDirectory, cluster: PostgresCluster, table: inout BenchTable
    ) async throws -> [String: Any] {
        let sink = try SMTPSink()
        defer { sink.stop() }
        let files = try OutboxPopulation.write(o.notices, into: temp.url)
        var seconds: [Int: Double] = [:]
        var delivered: [Int: [Int]] = [:]
        for workers in [1, 2] {
            let database = try cluster.newDatabase("outbox\(workers)")
            let open = {
                try await PostgresStore.open(url: database.url, keyFile: keyFile(database.name, temp), logger: Logger(label: "bench.store"))
            }
            let first = try await open()
            let queued = try await OutboxPopulation.load(files, into: first)
            guard queued == o.notices else { throw BenchError.peerMissing("outbox population: \(queued) of \(o.notices) notices queued") }
            // Each worker its own store (its own pool), as two `mamori serve` on one database.
            var opened = [first]
            for _ in 1..<workers { opened.append(try await open()) }
            let transport = SMTPNoticeTransport(
                client: try SMTPClient(
                    configuration: SMTPConfiguration(host: "127.0.0.1", port: sink.port, heloName: "bench.mamori.example", security: .none),
                    logger: Logger(label: "bench.smtp")),
                from: try EmailAddress("abuse@mamori.isp.example"))
            let outboxes = try opened.enumerated().map { k, store in
                try MamoriRuntime(store: store, configuration: MamoriConfiguration(declarations: try Declarations.bundled()))
                    .noticeOutbox(actor: "bench:outbox-\(k)")
            }
            let (counts, wall) = try await Stopwatch.seconds {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for outbox in outboxes { group.addTask { try await outbox.deliver(transport: transport).sent } }
                    var sent: [Int] = []
                    for try await n in group { sent.append(n) }
                    return sent
                }
            }
            for store in opened { await store.close() }
            seconds[workers] = wall
            delivered[workers] = counts
        }
        let messages = try sink.messageIDs()
        let unique = Set(messages).count
        let one = seconds[1].map { Double(o.notices) / $0 } ?? 0
        let two = seconds[2].map { Double(o.notices) / $0 } ?? 0
        table.row(
            "outbox to smtp-sink (PostgreSQL)", "\(o.notices) notices per run; \(messages.count) messages received, \(unique) distinct Message-IDs")
        table.row("  one worker", "\(BenchFormat.seconds(seconds[1] ?? 0)): \(BenchFormat.rate(one)) notices")
        table.row(
            "  two workers",
            "\(BenchFormat.seconds(seconds[2] ?? 0)): \(BenchFormat.rate(two)) notices (\(delivered[2]?.map(String.init).joined(separator: " + ") ?? "")); "
                + "\(BenchFormat.fixed(two / one, 2))× one (goal ≥ 1.6×: \(BenchFormat.goal(two / one >= 1.6)))")
        return [
            "notices": o.notices, "messages_received": messages.count, "distinct_message_ids": unique,
            "one": ["seconds": BenchFormat.json(seconds[1] ?? 0, 3), "per_second": Int(one)],
            "two": ["seconds": BenchFormat.json(seconds[2] ?? 0, 3), "per_second": Int(two), "sent_by_worker": delivered[2] ?? []],
            "two_vs_one": BenchFormat.json(two / one, 2),
        ]
    }
}

/// The outbox bench's population: `count` lines with one session each, a contact each, and one
/// C&C-takedown sighting each, so that planning queues one notice per line.
enum OutboxPopulation {
    struct Files {
        var detail: URL
        var contacts: URL
        var sightings: URL
    }

    static func write(_ count: Int, into directory: URL) throws -> Files {
        var detail = ""
        var contacts = "subscriber,email,language\n"
        var sightings = "ip,port,time,family\n"
        let start = Int(Date().timeIntervalSince1970) - 7200
        let header = DateFormatter()
        header.locale = Locale(identifier: "en_US_POSIX")
        header.timeZone = IngestBench.zone
        header.dateFormat = "EEE MMM d HH:mm:ss yyyy"
        let startText = header.string(from: Date(timeIntervalSince1970: Double(start)))
        let seen = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(start + 600)))
        for i in 0..<count {
            let address = "10.\(8 + i / 62_500).\(i / 250 % 250).\(i % 250 + 1)"
            detail += "\(startText)\n\tAcct-Status-Type = Start\n\tUser-Name = \"c\(i)\"\n\tAcct-Session-Id = \"C\(i)\"\n"
            detail += "\tFramed-IP-Address = \(address)\n\tTimestamp = \(start)\n\n"
            contacts += "c\(i),c\(i)@customer.example,\(i % 3 == 0 ? "en" : "ja")\n"
            sightings += "\(address),40000,\(seen),mirai\n"
        }
        let files = Files(
            detail: directory.appendingPathComponent("outbox.detail"), contacts: directory.appendingPathComponent("outbox-contacts.csv"),
            sightings: directory.appendingPathComponent("outbox-cnc.csv"))
        try detail.write(to: files.detail, atomically: true, encoding: .utf8)
        try contacts.write(to: files.contacts, atomically: true, encoding: .utf8)
        try sightings.write(to: files.sightings, atomically: true, encoding: .utf8)
        return files
    }

    /// Ingests the files into `store` and plans the notices; returns how many were queued.
    static func load(_ files: Files, into store: any Storage) async throws -> Int {
        _ = try await AAAIngest.ingest(
            url: files.detail, format: .radiusDetail, headerTimeZone: IngestBench.zone, store: store.assignments, actor: "bench")
        let (contacts, _) = SubscriberDirectoryCSV.parse(try String(contentsOf: files.contacts, encoding: .utf8), file: "contacts")
        _ = try await store.remediation.upsert(
            contacts: contacts,
            audit: AuditEntry(
                countermeasure: .infectedHostNotification, action: "directory-import", actor: "bench", subject: "subscriber_contact",
                detail: ["imported": "\(contacts.count)"]))
        let runtime = MamoriRuntime(store: store, configuration: MamoriConfiguration(declarations: try Declarations.bundled()))
        let intake = try await runtime.caseIntake(actor: "bench")
        _ = try await intake.ingest(contentsOf: files.sightings, feed: SightingFeed(name: "cnc-takedown"))
        return try await runtime.noticeOutbox(actor: "bench").planNotices().queued
    }
}
