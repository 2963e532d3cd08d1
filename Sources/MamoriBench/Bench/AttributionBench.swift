import Addressing
@_spi(Unaudited) import Attribution
import Foundation
import MamoriTesting
import Runtime
import TextScanning

/// `mamori bench attribution`: Mamori's attribution index against PostgreSQL 15 (GiST on
/// `(prefix inet_ops, during)`, and a btree on `(address, start)` for the exact-address holdings),
/// same sessions, same lookups, one run.
enum AttributionBench {
    struct Options {
        var sessions: Int
        var lookups: Int
        var postgresSessions: Int?
        var postgresLookups: Int
        var postgres: Bool
        var seed: UInt64
        var json: Bool
    }

    /// What one timed pass of lookups answered.
    struct Outcomes {
        var found = 0
        var notFound = 0
        var ambiguousMultiple = 0
        var ambiguousHandover = 0
        var ambiguousShared = 0

        var ambiguous: Int { ambiguousMultiple + ambiguousHandover + ambiguousShared }

        mutating func add(_ answer: AttributionAnswer) {
            switch answer {
            case .found: found += 1
            case .notFound: notFound += 1
            case .ambiguous(_, .multipleHolders): ambiguousMultiple += 1
            case .ambiguous(_, .handoverWithinSkew): ambiguousHandover += 1
            case .ambiguous(_, .sharedAddressWithoutPort): ambiguousShared += 1
            }
        }

        var dictionary: [String: Any] {
            [
                "found": found, "not_found": notFound, "ambiguous_multiple_holders": ambiguousMultiple,
                "ambiguous_handover_within_skew": ambiguousHandover, "ambiguous_shared_address_without_port": ambiguousShared,
            ]
        }

        var summary: String {
            "found \(BenchFormat.count(found)), not found \(BenchFormat.count(notFound)), ambiguous \(BenchFormat.count(ambiguous)) "
                + "(handover \(BenchFormat.count(ambiguousHandover)), CGN without port \(BenchFormat.count(ambiguousShared)), "
                + "overlap \(BenchFormat.count(ambiguousMultiple)))"
        }
    }

    struct LookupTiming {
        var lookups: Int
        /// Wall clock.
        var seconds: Double
        /// CPU time of the thread.
        var cpuSeconds: Double
        var outcomes: Outcomes
        var perSecond: Double { seconds > 0 ? Double(lookups) / seconds : 0 }
        var perCPUSecond: Double { cpuSeconds > 0 ? Double(lookups) / cpuSeconds : 0 }
    }

    static func run(_ o: Options) throws {
        let load = LoadAverage.oneMinute()
        let generator = SessionGenerator(seed: o.seed)
        let (generated, generateSeconds) = Stopwatch.seconds { generator.generate(count: o.sessions) }
        let sessions = generated.sessions
        let openCount = sessions.reduce(0) { $0 + ($1.isOpen ? 1 : 0) }
        var kinds = [0, 0, 0, 0]
        for s in sessions { kinds[Int(s.kind.rawValue)] += 1 }

        // Build (bulk builder), memory.
        let rssBefore = ProcessMemory.residentBytes()
        let (index, buildSeconds, buildCPU) = ThreadCPU.measure { buildIndex(sessions[...]) }
        let rssAfter = ProcessMemory.residentBytes()
        let held = max(1, index.sessionCount)
        let bytesPerSession = Double(index.approximateMemoryBytes) / Double(held)
        let rssPerSession = rssBefore.flatMap { before in rssAfter.map { Double($0 - before) / Double(held) } }

        // Lookups, single thread.
        let queries = SessionGenerator.queries(over: sessions[...], lanes: generated.lanes, count: o.lookups, seed: o.seed)
        let ours = timeLookups(index, queries, passes: 1)
        let batch = timeBatchLookups(index, queries, passes: 1)
        let batchIdentical = batchMatchesSingle(index, queries)
        let byCategory = categoryBreakdown(index, queries)

        var table = BenchTable("mamori bench attribution (seed \(o.seed))")
        if let load { table.row("load average (1 min) at start", BenchFormat.fixed(load, 2)) }
        table.row("sessions (holdings)", "\(BenchFormat.count(index.sessionCount)) (generated in \(BenchFormat.seconds(generateSeconds)))")
        table.row(
            "  mix",
            "IPv4 /32 \(BenchFormat.count(kinds[0])), IPv6 /56 \(BenchFormat.count(kinds[1])), "
                + "IPv6 /64 \(BenchFormat.count(kinds[2])), CGN port blocks \(BenchFormat.count(kinds[3])); "
                + "open \(BenchFormat.count(openCount)) (\(BenchFormat.fixed(100 * Double(openCount) / Double(max(1, sessions.count))))%)")
        table.row("subscribers", BenchFormat.count(index.subscriberCount))
        table.row(
            "index build (bulk builder)",
            "\(BenchFormat.seconds(buildSeconds)) (\(BenchFormat.rate(Double(held) / buildSeconds)) sessions; \(BenchFormat.seconds(buildCPU)) thread CPU)"
        )
        table.row(
            "index memory",
            "\(BenchFormat.megabytes(index.approximateMemoryBytes)), \(BenchFormat.fixed(bytesPerSession)) bytes/session "
                + "(goal ≤ 64: \(BenchFormat.goal(bytesPerSession <= 64)))")
        if let rssPerSession {
            table.row("  RSS growth cross-check", "\(BenchFormat.fixed(rssPerSession)) bytes/session")
        }
        table.row(
            "lookups (1 thread)",
            "\(BenchFormat.count(ours.lookups)) in \(BenchFormat.seconds(ours.seconds)): \(BenchFormat.rate(ours.perSecond)) "
                + "(goal ≥ 1,000,000/s: \(BenchFormat.goal(ours.perSecond >= 1_000_000)))")
        table.row("  per thread-CPU second", "\(BenchFormat.rate(ours.perCPUSecond)) (\(BenchFormat.seconds(ours.cpuSeconds)) CPU)")
        table.row(
            "batch lookups (1 thread, \(AttributionIndex.batchSize) at a time)",
            "\(BenchFormat.count(batch.lookups)) in \(BenchFormat.seconds(batch.seconds)): \(BenchFormat.rate(batch.perSecond)) "
                + "(\(BenchFormat.fixed(batch.perSecond / max(ours.perSecond, 1), 2))× single; goal ≥ 2,000,000/s: "
                + "\(BenchFormat.goal(batch.perSecond >= 2_000_000)))")
        table.row(
            "  per thread-CPU second",
            "\(BenchFormat.rate(batch.perCPUSecond)) (\(BenchFormat.seconds(batch.cpuSeconds)) CPU; goal ≥ 2,000,000 per core: "
                + "\(BenchFormat.goal(batch.perCPUSecond >= 2_000_000)))")
        table.row(
            "  answers",
            batch.outcomes.summary + "; each identical to the single lookup's: \(batchIdentical.map { $0 ? "yes" : "NO" } ?? "not compared")")
        table.row("  single answers", ours.outcomes.summary)
        for (category, outcomes) in byCategory where outcomes.found + outcomes.notFound + outcomes.ambiguous > 0 {
            table.row("    " + category.name, outcomes.summary)
        }

        var json: [String: Any] = [
            "bench": "attribution", "seed": o.seed, "sessions": index.sessionCount, "subscribers": index.subscriberCount,
            "open_sessions": openCount,
            "mix": ["ipv4_32": kinds[0], "ipv6_56": kinds[1], "ipv6_64": kinds[2], "cgn_port_blocks": kinds[3]],
            "build_seconds": BenchFormat.json(buildSeconds), "build_cpu_seconds": BenchFormat.json(buildCPU),
            "memory_bytes": index.approximateMemoryBytes,
            "bytes_per_session": BenchFormat.json(bytesPerSession, 2),
            "lookups": ours.lookups, "lookup_seconds": BenchFormat.json(ours.seconds, 4),
            "lookups_per_second": Int(ours.perSecond.rounded()), "answers": ours.outcomes.dictionary,
            "lookups_per_cpu_second": Int(ours.perCPUSecond.rounded()), "load_average": load ?? -1,
            "goal_lookups_per_second_met": ours.perSecond >= 1_000_000, "goal_bytes_per_session_met": bytesPerSession <= 64,
            "batch_size": AttributionIndex.batchSize, "batch_lookup_seconds": BenchFormat.json(batch.seconds, 4),
            "batch_lookups_per_second": Int(batch.perSecond.rounded()),
            "batch_lookups_per_cpu_second": Int(batch.perCPUSecond.rounded()),
            "goal_batch_lookups_per_second_met": batch.perSecond >= 2_000_000,
            "goal_batch_lookups_per_cpu_second_met": batch.perCPUSecond >= 2_000_000,
        ]
        if let batchIdentical { json["batch_answers_identical"] = batchIdentical }
        if let rssPerSession { json["rss_bytes_per_session"] = BenchFormat.json(rssPerSession, 2) }

        if o.postgres {
            let m = min(o.postgresSessions ?? o.sessions, sessions.count)
            let peerSessions = sessions[0..<m]
            let peerIndex: AttributionIndex
            let peerQueries: [BenchQuery]
            if m == sessions.count {
                peerIndex = index
                peerQueries = Array(queries.prefix(o.postgresLookups))
            } else {
                peerIndex = buildIndex(peerSessions)
                peerQueries = SessionGenerator.queries(
                    over: peerSessions, lanes: generated.lanes, count: o.postgresLookups, seed: o.seed)
            }
            let k = peerQueries.count
            // Ours on the peer's exact query set, repeated to about a million lookups for a stable time.
            let ourSame = timeLookups(peerIndex, peerQueries, passes: max(1, 1_000_000 / max(1, k)))
            let ourSameBatch = timeBatchLookups(peerIndex, peerQueries, passes: max(1, 1_000_000 / max(1, k)))
            // The exact-address (IPv4) queries alone, as PostgreSQL's btree side answers them.
            let exactQueries = peerQueries.filter { $0.address.family == .v4 }
            let kx = exactQueries.count
            let ourExact = timeLookups(peerIndex, exactQueries, passes: max(1, 1_000_000 / max(1, kx)))
            let ourExactBatch = timeBatchLookups(peerIndex, exactQueries, passes: max(1, 1_000_000 / max(1, kx)))
            let pg = try PostgresRun.run(sessions: peerSessions, queries: peerQueries, index: peerIndex)
            let ratio = pg.lookupsPerSecond > 0 ? ourSame.perSecond / pg.lookupsPerSecond : 0
            table.row("PostgreSQL", "\(pg.version), \(BenchFormat.count(m)) sessions, GiST (prefix inet_ops, during)")
            table.row(
                "  load (COPY)",
                "\(BenchFormat.seconds(pg.copySeconds)); CREATE INDEX \(BenchFormat.seconds(pg.indexSeconds)); "
                    + "VACUUM ANALYZE \(BenchFormat.seconds(pg.vacuumSeconds)); total \(BenchFormat.seconds(pg.loadSeconds))")
            table.row(
                "  size",
                "table \(BenchFormat.megabytes(pg.tableBytes)), index \(BenchFormat.megabytes(pg.indexBytes)) "
                    + "(\(BenchFormat.fixed(Double(pg.tableBytes + pg.indexBytes) / Double(max(1, m)))) bytes/session)")
            table.row("  plan", pg.plan)
            table.row(
                "  lookups (1 psql session)",
                "\(BenchFormat.count(k)) in \(BenchFormat.seconds(pg.lookupSeconds)) (psql start-up \(BenchFormat.seconds(pg.startupSeconds)) "
                    + "subtracted): \(BenchFormat.rate(pg.lookupsPerSecond))")
            table.row(
                "  ours, same sessions and lookups",
                "\(BenchFormat.rate(ourSame.perSecond)) (\(BenchFormat.count(ourSame.lookups)) lookups, the \(BenchFormat.count(k)) repeated); "
                    + "batch \(BenchFormat.rate(ourSameBatch.perSecond))")
            if let end = LoadAverage.oneMinute() { table.row("  load average (1 min) at end", BenchFormat.fixed(end, 2)) }
            table.row("  ratio ours / PostgreSQL", "\(BenchFormat.fixed(ratio))× (goal ≥ 50×: \(BenchFormat.goal(ratio >= 50)))")
            table.row(
                "  agreement (skew 0)",
                "\(BenchFormat.count(pg.agreement.compared)) queries: \(BenchFormat.count(pg.agreement.mismatches)) mismatches; "
                    + "found/not-found/ambiguous ours \(pg.agreement.ours.found)/\(pg.agreement.ours.notFound)/\(pg.agreement.ours.ambiguous), "
                    + "PostgreSQL \(pg.agreement.peer.found)/\(pg.agreement.peer.notFound)/\(pg.agreement.peer.ambiguous)")
            let x = pg.exact
            let fasterPeer = max(x.btreePerSecond, x.gistPerSecond)
            let fasterName = x.btreePerSecond >= x.gistPerSecond ? "btree" : "GiST"
            let exactRatio = fasterPeer > 0 ? ourExact.perSecond / fasterPeer : 0
            let exactBatchRatio = fasterPeer > 0 ? ourExactBatch.perSecond / fasterPeer : 0
            table.row(
                "PostgreSQL, exact addresses",
                "\(BenchFormat.count(x.sessions)) IPv4 /32 holdings (CGN included) in their own table, btree (address, start)")
            table.row(
                "  load (COPY)",
                "\(BenchFormat.seconds(x.copySeconds)); CREATE INDEX \(BenchFormat.seconds(x.indexSeconds)); "
                    + "VACUUM ANALYZE \(BenchFormat.seconds(x.vacuumSeconds)); table \(BenchFormat.megabytes(x.tableBytes)), "
                    + "index \(BenchFormat.megabytes(x.indexBytes))")
            table.row("  plan", x.plan)
            table.row(
                "  the \(BenchFormat.count(kx)) IPv4 lookups of the set",
                "btree \(BenchFormat.rate(x.btreePerSecond)) (\(BenchFormat.seconds(x.btreeSeconds))), "
                    + "GiST \(BenchFormat.rate(x.gistPerSecond)) (\(BenchFormat.seconds(x.gistSeconds))); faster: \(fasterName)")
            table.row(
                "  ours, same IPv4 lookups",
                "single \(BenchFormat.rate(ourExact.perSecond)), batch \(BenchFormat.rate(ourExactBatch.perSecond))")
            table.row(
                "  ratio ours / the faster (\(fasterName))",
                "single \(BenchFormat.fixed(exactRatio))×, batch \(BenchFormat.fixed(exactBatchRatio))× "
                    + "(goal ≥ 50×: \(BenchFormat.goal(exactRatio >= 50)))")
            table.row(
                "  agreement (skew 0, btree)",
                "\(BenchFormat.count(x.agreement.compared)) queries: \(BenchFormat.count(x.agreement.mismatches)) mismatches")
            json["postgres_exact"] = [
                "sessions": x.sessions, "lookups": x.lookups, "copy_seconds": BenchFormat.json(x.copySeconds),
                "index_seconds": BenchFormat.json(x.indexSeconds), "vacuum_analyze_seconds": BenchFormat.json(x.vacuumSeconds),
                "table_bytes": x.tableBytes, "index_bytes": x.indexBytes, "plan": x.plan,
                "btree_lookup_seconds": BenchFormat.json(x.btreeSeconds, 4), "gist_lookup_seconds": BenchFormat.json(x.gistSeconds, 4),
                "btree_lookups_per_second": Int(x.btreePerSecond.rounded()), "gist_lookups_per_second": Int(x.gistPerSecond.rounded()),
                "faster": fasterName, "ours_lookups_per_second": Int(ourExact.perSecond.rounded()),
                "ours_batch_lookups_per_second": Int(ourExactBatch.perSecond.rounded()),
                "ratio_vs_faster": BenchFormat.json(exactRatio, 1), "batch_ratio_vs_faster": BenchFormat.json(exactBatchRatio, 1),
                "agreement_compared": x.agreement.compared, "agreement_mismatches": x.agreement.mismatches,
            ]
            json["ours_same_set_batch_lookups_per_second"] = Int(ourSameBatch.perSecond.rounded())
            for line in x.agreement.examples { Output.error("attribution bench: btree mismatch: \(line)") }
            json["postgres"] = [
                "version": pg.version, "sessions": m, "lookups": k, "copy_seconds": BenchFormat.json(pg.copySeconds),
                "index_seconds": BenchFormat.json(pg.indexSeconds), "vacuum_analyze_seconds": BenchFormat.json(pg.vacuumSeconds),
                "load_seconds": BenchFormat.json(pg.loadSeconds), "table_bytes": pg.tableBytes, "index_bytes": pg.indexBytes,
                "lookup_seconds": BenchFormat.json(pg.lookupSeconds, 4), "psql_startup_seconds": BenchFormat.json(pg.startupSeconds, 4),
                "lookups_per_second": Int(pg.lookupsPerSecond.rounded()), "plan": pg.plan,
                "agreement_compared": pg.agreement.compared, "agreement_mismatches": pg.agreement.mismatches,
            ]
            json["ours_same_set_lookups_per_second"] = Int(ourSame.perSecond.rounded())
            json["load_average_end"] = LoadAverage.oneMinute() ?? -1
            json["ratio_vs_postgres"] = BenchFormat.json(ratio, 1)
            json["goal_ratio_met"] = ratio >= 50
            for line in pg.agreement.examples { Output.error("attribution bench: mismatch: \(line)") }
        }

        if o.json {
            Output.line(Output.json(json))
        } else {
            table.print()
        }
    }

    /// The index of `sessions`, through the bulk builder (strings made as an ingest would).
    static func buildIndex(_ sessions: ArraySlice<BenchSession>) -> AttributionIndex {
        var b = AttributionIndex.Builder(config: AttributionConfig())
        b.reserveCapacity(sessions.count)
        for s in sessions {
            let subscriber = b.subscriberID(BenchSession.subscriberName(s.subscriber))
            let session = b.sessionID(BenchSession.sessionName(s.session))
            b.append(
                prefix: s.prefix, fromSeconds: s.from, toSeconds: s.to, subscriberID: subscriber, sessionID: session,
                portRange: s.portRange)
        }
        return b.build()
    }

    /// Times `passes` passes over `queries` on this thread (after an untimed warm-up).
    static func timeLookups(_ index: AttributionIndex, _ queries: [BenchQuery], passes: Int) -> LookupTiming {
        var warm = Outcomes()
        for q in queries.prefix(100_000) { warm.add(index.holder(of: q.address, at: q.time, port: q.port)) }
        var outcomes = Outcomes()
        let (_, wall, cpu) = ThreadCPU.measure {
            for _ in 0..<passes {
                for q in queries { outcomes.add(index.holder(of: q.address, at: q.time, port: q.port)) }
            }
        }
        return LookupTiming(lookups: queries.count * passes, seconds: wall, cpuSeconds: cpu, outcomes: outcomes)
    }

    /// The queries as the index's batch API takes them (made before any timing).
    static func attributionQueries(_ queries: [BenchQuery]) -> [AttributionQuery] {
        queries.map { AttributionQuery(address: $0.address, at: $0.time, port: $0.port) }
    }

    /// Times `passes` passes of ``AttributionIndex/holders(of:into:)`` over `queries` on this thread,
    /// all of them in one call a pass (after an untimed warm-up); answers tallied as the single lookups'.
    static func timeBatchLookups(_ index: AttributionIndex, _ queries: [BenchQuery], passes: Int) -> LookupTiming {
        let batch = attributionQueries(queries)
        var answers: [AttributionAnswer] = []
        answers.reserveCapacity(batch.count)
        index.holders(of: Array(batch.prefix(100_000)), into: &answers)
        var outcomes = Outcomes()
        let (_, wall, cpu) = ThreadCPU.measure {
            for _ in 0..<passes {
                answers.removeAll(keepingCapacity: true)
                index.holders(of: batch, into: &answers)
                for a in answers { outcomes.add(a) }
            }
        }
        return LookupTiming(lookups: queries.count * passes, seconds: wall, cpuSeconds: cpu, outcomes: outcomes)
    }

    /// Whether the batch answers equal the single lookups' one by one (the first 500,000 queries; untimed).
    static func batchMatchesSingle(_ index: AttributionIndex, _ queries: [BenchQuery]) -> Bool? {
        guard !queries.isEmpty else { return nil }
        let sample = Array(queries.prefix(500_000))
        let batch = index.holders(of: attributionQueries(sample))
        guard batch.count == sample.count else { return false }
        for (q, a) in zip(sample, batch) where index.holder(of: q.address, at: q.time, port: q.port) != a { return false }
        return true
    }

    static func categoryBreakdown(_ index: AttributionIndex, _ queries: [BenchQuery]) -> [(BenchQuery.Category, Outcomes)] {
        var table = [Outcomes](repeating: Outcomes(), count: BenchQuery.Category.allCases.count)
        for q in queries.prefix(1_000_000) { table[q.category.rawValue].add(index.holder(of: q.address, at: q.time, port: q.port)) }
        return BenchQuery.Category.allCases.map { ($0, table[$0.rawValue]) }
    }
}

/// The PostgreSQL side of the attribution benchmark.
struct PostgresRun {
    struct Classes {
        var found = 0
        var notFound = 0
        var ambiguous = 0
    }

    struct Agreement {
        var compared = 0
        var mismatches = 0
        var ours = Classes()
        var peer = Classes()
        var examples: [String] = []
    }

    var version = ""
    var copySeconds = 0.0
    var indexSeconds = 0.0
    var vacuumSeconds = 0.0
    var loadSeconds: Double { copySeconds + indexSeconds + vacuumSeconds }
    var tableBytes = 0
    var indexBytes = 0
    var plan = ""
    var lookupSeconds = 0.0
    var startupSeconds = 0.0
    var lookups = 0
    var lookupsPerSecond: Double { lookupSeconds > 0 ? Double(lookups) / lookupSeconds : 0 }
    var agreement = Agreement()

    /// The exact-address side: the /32 holdings in their own table, btree on (address, start).
    struct Exact {
        var sessions = 0
        var copySeconds = 0.0
        var indexSeconds = 0.0
        var vacuumSeconds = 0.0
        var loadSeconds: Double { copySeconds + indexSeconds + vacuumSeconds }
        var tableBytes = 0
        var indexBytes = 0
        var plan = ""
        /// The queries of IPv4 addresses (every IPv4 holding is a /32), run through both indexes.
        var lookups = 0
        var btreeSeconds = 0.0
        var gistSeconds = 0.0
        var btreePerSecond: Double { btreeSeconds > 0 ? Double(lookups) / btreeSeconds : 0 }
        var gistPerSecond: Double { gistSeconds > 0 ? Double(lookups) / gistSeconds : 0 }
        var agreement = Agreement()
    }
    var exact = Exact()

    static let table = """
        CREATE EXTENSION btree_gist;
        CREATE TABLE session (subscriber text, session text, prefix inet, during tstzrange, port_lo int, port_hi int);
        """
    static let createIndex = "CREATE INDEX session_prefix_during ON session USING gist (prefix inet_ops, during);"
    /// The lookup a DBA would write: the holders of the address at the time, port block permitting.
    static let prepare = """
        PREPARE q(inet, timestamptz, int) AS SELECT subscriber, session FROM session \
        WHERE prefix >>= $1 AND during @> $2 AND ($3 IS NULL OR port_lo IS NULL OR $3 BETWEEN port_lo AND port_hi) LIMIT 2;
        """
    /// The exact-address holdings as a DBA would keep them for "who held address A at time T":
    /// the address, start and end in columns, a btree on (address, start).
    static let exactTable = """
        CREATE TABLE session_exact (subscriber text, session text, address inet, start timestamptz, stop timestamptz, \
        port_lo int, port_hi int);
        """
    static let createExactIndex = "CREATE INDEX session_exact_address_start ON session_exact USING btree (address, start);"
    /// The lookup a DBA would write on it: the latest starts at or before the time, then the end
    /// check (closed, as `during @>`); two rows, as the GiST query, so that a second holder shows.
    static let prepareExact = """
        PREPARE q(inet, timestamptz, int) AS SELECT subscriber, session FROM session_exact \
        WHERE address = $1 AND start <= $2 AND (stop IS NULL OR stop >= $2) \
        AND ($3 IS NULL OR port_lo IS NULL OR $3 BETWEEN port_lo AND port_hi) ORDER BY start DESC LIMIT 2;
        """
    static let prepareExactCheck = """
        PREPARE c(inet, timestamptz, int) AS SELECT count(DISTINCT subscriber), coalesce(min(subscriber), ''), \
        coalesce(bool_or(port_lo IS NOT NULL), false) FROM session_exact \
        WHERE address = $1 AND start <= $2 AND (stop IS NULL OR stop >= $2) \
        AND ($3 IS NULL OR port_lo IS NULL OR $3 BETWEEN port_lo AND port_hi);
        """

    /// The classification query of the agreement check.
    static let prepareCheck = """
        PREPARE c(inet, timestamptz, int) AS SELECT count(DISTINCT subscriber), coalesce(min(subscriber), ''), \
        coalesce(bool_or(port_lo IS NOT NULL), false) FROM session \
        WHERE prefix >>= $1 AND during @> $2 AND ($3 IS NULL OR port_lo IS NULL OR $3 BETWEEN port_lo AND port_hi);
        """

    static func run(sessions: ArraySlice<BenchSession>, queries: [BenchQuery], index: AttributionIndex) throws -> PostgresRun {
        PostgresPeer.stopAllOnSignals()
        let peer = try PostgresPeer()
        defer { peer.stop() }
        var r = PostgresRun()
        r.version = try peer.psql("SELECT 'PostgreSQL ' || current_setting('server_version');")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try peer.psql(table)

        let tsv = peer.sharedFile("sessions.tsv")
        try writeTSV(sessions, to: tsv)
        (_, r.copySeconds) = try Stopwatch.seconds { try peer.psql("COPY session FROM '\(tsv.path)';") }
        try? FileManager.default.removeItem(at: tsv)
        (_, r.indexSeconds) = try Stopwatch.seconds { try peer.psql(createIndex) }
        (_, r.vacuumSeconds) = try Stopwatch.seconds { try peer.psql("VACUUM ANALYZE session;") }
        let sizes = try peer.psql("SELECT pg_relation_size('session') || '|' || pg_indexes_size('session');")
            .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|")
        r.tableBytes = sizes.first.flatMap { Int($0) } ?? 0
        r.indexBytes = sizes.dropFirst().first.flatMap { Int($0) } ?? 0

        guard !queries.isEmpty else { return r }
        r.plan = try plan(peer, prepare, queries)
        (r.lookupSeconds, r.startupSeconds) = try time(peer, prepare, queries)
        r.lookups = queries.count
        r.agreement = try agreement(peer, prepareCheck, Array(queries.prefix(1000)), index)

        // The exact-address holdings (IPv4 /32, CGN blocks included; the generator makes no IPv6
        // /128), in their own table with a btree on (address, start); the IPv4 queries through
        // it and, for the same queries, through the GiST above.
        var e = Exact()
        try peer.psql(exactTable)
        let exactTSV = peer.sharedFile("exact.tsv")
        e.sessions = try writeExactTSV(sessions, to: exactTSV)
        (_, e.copySeconds) = try Stopwatch.seconds { try peer.psql("COPY session_exact FROM '\(exactTSV.path)';") }
        try? FileManager.default.removeItem(at: exactTSV)
        (_, e.indexSeconds) = try Stopwatch.seconds { try peer.psql(createExactIndex) }
        (_, e.vacuumSeconds) = try Stopwatch.seconds { try peer.psql("VACUUM ANALYZE session_exact;") }
        let exactSizes = try peer.psql("SELECT pg_relation_size('session_exact') || '|' || pg_indexes_size('session_exact');")
            .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|")
        e.tableBytes = exactSizes.first.flatMap { Int($0) } ?? 0
        e.indexBytes = exactSizes.dropFirst().first.flatMap { Int($0) } ?? 0
        let v4 = queries.filter { $0.address.family == .v4 }
        if !v4.isEmpty {
            e.plan = try plan(peer, prepareExact, v4)
            e.lookups = v4.count
            e.btreeSeconds = try time(peer, prepareExact, v4).seconds
            e.gistSeconds = try time(peer, prepare, v4).seconds
            e.agreement = try agreement(peer, prepareExactCheck, Array(v4.prefix(1000)), index)
        }
        r.exact = e
        return r
    }

    /// The plan in use after the plan cache has settled (generic or custom).
    static func plan(_ peer: PostgresPeer, _ prepare: String, _ queries: [BenchQuery]) throws -> String {
        var explain = prepare + "\n"
        for q in queries.prefix(10) { explain += "EXECUTE q(\(literal(q)));\n" }
        explain += "EXPLAIN (COSTS OFF) EXECUTE q(\(literal(queries[0])));\n"
        let explainFile = peer.sharedFile("explain.sql")
        try explain.write(to: explainFile, atomically: true, encoding: .utf8)
        let planLines = try peer.psql(file: explainFile).split(separator: "\n").map {
            $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "->  ", with: "")
        }
        return planLines.suffix(while: { !$0.contains("|") }).joined(separator: " → ")
    }

    /// Timed: one psql session, PREPARE then one EXECUTE per lookup; output discarded. The seconds
    /// of the lookups (psql's start-up, the least of three empty runs, subtracted) and that start-up.
    static func time(_ peer: PostgresPeer, _ prepare: String, _ queries: [BenchQuery]) throws -> (seconds: Double, startup: Double) {
        let lookupFile = peer.sharedFile("lookups.sql")
        var sql = prepare + "\n"
        sql.reserveCapacity(queries.count * 70)
        for q in queries { sql += "EXECUTE q(\(literal(q)));\n" }
        try sql.write(to: lookupFile, atomically: true, encoding: .utf8)
        let emptyFile = peer.sharedFile("empty.sql")
        try (prepare + "\nSELECT 1;\n").write(to: emptyFile, atomically: true, encoding: .utf8)
        try peer.psql(file: lookupFile, extra: ["-o", "/dev/null"])  // warm-up
        let (_, total) = try Stopwatch.seconds { try peer.psql(file: lookupFile, extra: ["-o", "/dev/null"]) }
        let startups = try (0..<3).map { _ in try Stopwatch.seconds { try peer.psql(file: emptyFile, extra: ["-o", "/dev/null"]) }.1 }
        let startup = startups.min() ?? 0
        return (max(total - startup, 1e-9), startup)
    }

    /// Agreement on `sample`, at skew 0 (PostgreSQL's `during @> t` and `start <= t AND stop >= t`
    /// have no tolerance), through the classification statement `c` that `prepareCheck` prepares.
    static func agreement(
        _ peer: PostgresPeer, _ prepareCheck: String, _ sample: [BenchQuery], _ index: AttributionIndex
    ) throws
        -> Agreement
    {
        var check = prepareCheck + "\n"
        for q in sample { check += "EXECUTE c(\(literal(q)));\n" }
        let checkFile = peer.sharedFile("check.sql")
        try check.write(to: checkFile, atomically: true, encoding: .utf8)
        let rows = try peer.psql(file: checkFile).split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        var a = Agreement()
        for (q, row) in zip(sample, rows) {
            let f = row.split(separator: "|", omittingEmptySubsequences: false)
            guard f.count == 3, let n = Int(f[0]) else { continue }
            let peerAnswer: String
            if n == 0 {
                peerAnswer = "not found"
                a.peer.notFound += 1
            } else if q.port == nil && f[2] == "t" {
                peerAnswer = "ambiguous (CGN without port)"
                a.peer.ambiguous += 1
            } else if n == 1 {
                peerAnswer = "found \(f[1])"
                a.peer.found += 1
            } else {
                peerAnswer = "ambiguous"
                a.peer.ambiguous += 1
            }
            let ourAnswer: String
            switch index.holder(of: q.address, at: q.time, port: q.port, skew: 0) {
            case .found(let h):
                ourAnswer = "found \(h.subscriber)"
                a.ours.found += 1
            case .notFound:
                ourAnswer = "not found"
                a.ours.notFound += 1
            case .ambiguous(_, .sharedAddressWithoutPort):
                ourAnswer = "ambiguous (CGN without port)"
                a.ours.ambiguous += 1
            case .ambiguous:
                ourAnswer = "ambiguous"
                a.ours.ambiguous += 1
            }
            a.compared += 1
            if ourAnswer != peerAnswer {
                a.mismatches += 1
                if a.examples.count < 5 {
                    a.examples.append(
                        "\(q.address) at \(q.seconds) port \(q.port.map(String.init) ?? "-"): ours \(ourAnswer), PostgreSQL \(peerAnswer)")
                }
            }
        }
        if rows.count != sample.count {
            a.examples.append("PostgreSQL returned \(rows.count) rows for \(sample.count) checks")
        }
        return a
    }

    /// `'addr','YYYY-MM-DD HH:MM:SS+00',port|NULL`.
    static func literal(_ q: BenchQuery) -> String {
        let c = CivilDate(seconds: Int64(q.seconds))
        let time = String(
            format: "%04d-%02d-%02d %02d:%02d:%02d+00", c.year, c.month, c.day, c.hour, c.minute, c.second)
        return "'\(q.address)','\(time)',\(q.port.map(String.init) ?? "NULL")"
    }

    /// The IPv4 sessions (every one a /32) as COPY text: subscriber, session, address, start, stop,
    /// port_lo, port_hi. Returns how many.
    static func writeExactTSV(_ sessions: ArraySlice<BenchSession>, to url: URL) throws -> Int {
        var w = try BufferedWriter(creating: url)
        var n = 0
        for s in sessions where !s.isV6 {
            n += 1
            w.append(BenchSession.subscriberName(s.subscriber))
            w.byte(0x09)
            w.append(BenchSession.sessionName(s.session))
            w.byte(0x09)
            w.ipv4(UInt32(truncatingIfNeeded: s.value))
            w.byte(0x09)
            w.isoTime(Int64(s.from))
            w.append("+00\t")
            if s.isOpen {
                w.append("\\N")
            } else {
                w.isoTime(Int64(s.to))
                w.append("+00")
            }
            w.portsAndNewline(s)
            try w.flushIfFull()
        }
        try w.close()
        return n
    }

    /// The sessions as COPY text: subscriber, session, prefix, during, port_lo, port_hi.
    static func writeTSV(_ sessions: ArraySlice<BenchSession>, to url: URL) throws {
        var w = try BufferedWriter(creating: url)
        for s in sessions {
            w.append(BenchSession.subscriberName(s.subscriber))
            w.byte(0x09)
            w.append(BenchSession.sessionName(s.session))
            w.byte(0x09)
            if s.isV6 {
                w.ipv6Prefix(high: s.value, length: s.prefixLength)
            } else {
                w.ipv4(UInt32(truncatingIfNeeded: s.value))
            }
            w.append("\t[\"")
            w.isoTime(Int64(s.from))
            w.append("+00\",")
            if s.isOpen {
                w.append(")")
            } else {
                w.byte(0x22)
                w.isoTime(Int64(s.to))
                w.append("+00\"]")
            }
            w.portsAndNewline(s)
            try w.flushIfFull()
        }
        try w.close()
    }
}

extension BufferedWriter {
    /// A session row's last two COPY columns (port_lo, port_hi: `\N` unless a CGN block) and its newline.
    mutating func portsAndNewline(_ s: BenchSession) {
        if s.kind == .cgn {
            byte(0x09)
            decimal(s.portLo)
            byte(0x09)
            decimal(s.portHi)
            byte(0x0A)
        } else {
            append("\t\\N\t\\N\n")
        }
    }
}

extension Array {
    /// The longest suffix whose elements all satisfy `predicate`.
    fileprivate func suffix(while predicate: (Element) -> Bool) -> ArraySlice<Element> {
        var i = endIndex
        while i > startIndex, predicate(self[i - 1]) { i -= 1 }
        return self[i...]
    }
}
