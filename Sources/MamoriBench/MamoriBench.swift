import ArgumentParser
import Foundation
import MamoriTesting
import Runtime
import TextScanning

/// `mamori-bench attribution|ingest|cryptopan|sightings|stores|dns|mail|edge`: the benchmarks of docs/benchmarks.md.
///
/// Each measures Mamori side by side with a peer in one run and reports the ratio; each prints a
/// table, or with `--json` one JSON line. Peers run on loopback only. Run it built for release:
/// `swift run -c release mamori-bench attribution`.
@main
struct MamoriBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mamori-bench",
        abstract: "Benchmarks, measured side by side with a peer in one run (docs/benchmarks.md).",
        subcommands: [
            BenchAttributionCommand.self, BenchIngestCommand.self, BenchCryptoPAnCommand.self, BenchSightingsCommand.self, BenchStoresCommand.self,
            BenchDNSCommand.self, BenchMailCommand.self, BenchEdgeCommand.self,
        ]
    )
}

/// `mamori bench attribution`: the attribution index against PostgreSQL 15.
struct BenchAttributionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attribution",
        abstract: "Index build, bytes per session and lookups per second, against PostgreSQL 15 (GiST) on the same data.",
        discussion: """
            Generates SESSIONS holdings deterministically from the seed (IPv4 /32 with reassignments, \
            IPv6 /56 and /64, CGN port blocks, about 10 % open), builds the index with the bulk builder, \
            times single-threaded lookups, then loads the same sessions into a throwaway PostgreSQL \
            cluster on 127.0.0.1 and runs the same lookups through one psql session.
            """
    )

    @Option(help: "Holdings to generate and index.")
    var sessions: Int = 10_000_000

    @Option(help: "Lookups to time (single thread).")
    var lookups: Int = 2_000_000

    @Option(help: "Holdings loaded into PostgreSQL (the first ones of the same data; default: --sessions).")
    var postgresSessions: Int?

    @Option(help: "Lookups run through PostgreSQL (the first ones of the query set).")
    var postgresLookups: Int = 20_000

    @Flag(help: "Skip the PostgreSQL peer.")
    var noPostgres = false

    @Option(help: "Seed of the generated sessions and queries.")
    var seed: UInt64 = 20_260_101

    @Flag(help: "Print one JSON line instead of the table.")
    var json = false

    func validate() throws {
        guard sessions > 0 else { throw ValidationError("--sessions must be positive") }
        guard lookups > 0 else { throw ValidationError("--lookups must be positive") }
        guard postgresLookups > 0 else { throw ValidationError("--postgres-lookups must be positive") }
        if let postgresSessions, postgresSessions <= 0 { throw ValidationError("--postgres-sessions must be positive") }
    }

    func run() async throws {
        try AttributionBench.run(
            AttributionBench.Options(
                sessions: sessions, lookups: lookups, postgresSessions: postgresSessions, postgresLookups: postgresLookups,
                postgres: !noPostgres, seed: seed, json: json))
    }
}

/// `mamori bench ingest`: FreeRADIUS detail parsing rate.
struct BenchIngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Records per second of AssignmentReader.stream over a generated FreeRADIUS detail file.",
        discussion: """
            Writes RECORDS realistic accounting records (Start/Interim-Update/Stop, with the attributes a \
            NAS sends) to a temporary directory and times the streaming parser; then, unless \
            --store-records 0, times `ingest aaa` of a smaller file into a temporary SQLite store.
            """
    )

    @Option(help: "Records in the detail file.")
    var records: Int = 1_000_000

    @Option(help: "Records of the end-to-end ingest into a temporary SQLite store (0 to skip).")
    var storeRecords: Int = 100_000

    @Option(help: "Seed of the generated records.")
    var seed: UInt64 = 20_260_101

    @Flag(help: "Print one JSON line instead of the table.")
    var json = false

    func validate() throws {
        guard records > 0 else { throw ValidationError("--records must be positive") }
        guard storeRecords >= 0 else { throw ValidationError("--store-records must not be negative") }
    }

    func run() async throws {
        try await IngestBench.run(IngestBench.Options(records: records, storeRecords: storeRecords, seed: seed, json: json))
    }
}

/// `mamori bench cryptopan`: Crypto-PAn rate against yacryptopan.
struct BenchCryptoPAnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cryptopan",
        abstract: "IPv4 Crypto-PAn addresses per second, against yacryptopan (Python) with the same key.",
        discussion: "The peer is scripts/bench-yacryptopan.py (needs `pip install yacryptopan`); without it only ours is reported."
    )

    @Option(help: "Addresses pseudonymised by Mamori.")
    var count: Int = 5_000_000

    @Option(help: "Addresses pseudonymised by yacryptopan.")
    var peerCount: Int = 20_000

    @Flag(help: "Print one JSON line instead of the table.")
    var json = false

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard peerCount > 0 else { throw ValidationError("--peer-count must be positive") }
    }

    func run() async throws {
        try CryptoPAnBench.run(CryptoPAnBench.Options(count: count, peerCount: peerCount, json: json))
    }
}

/// `mamori bench sightings`: Shadowserver file → cases end to end, against IntelMQ's parser.
struct BenchSightingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sightings",
        abstract: "Sightings from a Shadowserver report to cases, end to end, against IntelMQ's Shadowserver parser on the same rows.")

    @Option(help: "Rows of the synthetic event4_sinkhole_http report.")
    var rows: Int = 1_000_000

    @Option(help: "Sessions in the attribution index.")
    var sessions: Int = 1_048_576

    @Option(help: "Rows given to IntelMQ (0 skips it; it is slow, so a smaller file of the same rows).")
    var peerRows: Int = 50_000

    @Flag(help: "Print one JSON line instead of the table.")
    var json = false

    func run() async throws {
        try await SightingsBench.run(SightingsBench.Options(rows: rows, sessions: sessions, peerRows: peerRows, json: json))
    }
}

/// `mamori bench stores`: the SQLite and PostgreSQL stores side by side.
struct BenchStoresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stores",
        abstract: "ingest aaa, sightings end to end and outbox delivery on SQLite and on PostgreSQL 15, in one run.",
        discussion: """
            Starts a throwaway PostgreSQL cluster on 127.0.0.1 (durable settings: fsync and \
            synchronous_commit on) and Postfix's smtp-sink on loopback; runs `ingest aaa` of RECORDS \
            generated RADIUS records and ROWS Shadowserver sightings end to end into a SQLite store \
            and a PostgreSQL store; then delivers NOTICES notices from one database with one \
            outbox worker, and from another with two workers (each its own store, as two \
            `mamori serve`).
            """)

    @Option(help: "RADIUS accounting records for `ingest aaa` (0 skips it).")
    var records: Int = 1_000_000

    @Option(help: "Shadowserver rows for sightings end to end (0 skips it).")
    var rows: Int = 1_000_000

    @Option(help: "Sessions in the sightings' attribution index.")
    var sessions: Int = 1_048_576

    @Option(help: "Notices delivered per outbox run (0 skips it).")
    var notices: Int = 2_000

    @Option(help: "Seed of the generated records.")
    var seed: UInt64 = 20_260_101

    @Flag(help: "Print one JSON line instead of the table.")
    var json = false

    func validate() throws {
        guard records >= 0, rows >= 0, notices >= 0 else { throw ValidationError("sizes must not be negative") }
        guard sessions > 0 else { throw ValidationError("--sessions must be positive") }
    }

    func run() async throws {
        try await StoreBackendsBench.run(
            StoreBackendsBench.Options(records: records, rows: rows, sessions: sessions, notices: notices, seed: seed, json: json))
    }
}

/// `mamori-bench dns`: the DNS guard against dnsdist and Unbound with RPZ.
struct BenchDNSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns",
        abstract: "The DNS guard in front of Unbound, against dnsdist (suffix rule, packet cache) and Unbound alone with an RPZ zone, with dnsperf.",
        discussion: """
            Generates a cnc list of ENTRIES names (m<N>.malware.test: NXDOMAIN from all three), \
            CACHED-NAMES Unbound local-data names under example.test. and a query file of 10 % \
            listed and 90 % cached names. Starts on 127.0.0.1 free ports: Unbound (the upstream \
            and the no-list baseline), Unbound with the list as an RPZ zone, dnsdist with the list \
            as a SuffixMatchNode rule and its packet cache, and the guard in this process (a \
            DNSServer with SiteWarningGuard, the list built with BlocklistBuilder). Each server \
            gets a warm pass, a saturating dnsperf run (QPS, average latency) and a fixed-rate \
            verbose run (p50/p99). Also times the list load and its RSS growth.
            """)

    @Option(help: "Names in the generated list.")
    var entries: Int = 1_000_000

    @Option(help: "Names Unbound answers from local-data (the cached 90 %).")
    var cachedNames: Int = 10_000

    @Option(help: "Lines in the query file (dnsperf loops over it).")
    var queries: Int = 200_000

    @Option(help: "Seconds of each saturating dnsperf run.")
    var duration: Int = 15

    @Option(help: "dnsperf clients (-c).")
    var clients: Int = 10

    @Option(help: "dnsperf queries outstanding (-q).")
    var outstanding: Int = 100

    @Option(help: "Seconds of each fixed-rate latency run.")
    var latencyDuration: Int = 10

    @Option(help: "Queries per second of the latency run (-Q).")
    var latencyQPS: Int = 5_000

    @Option(help: "Rounds over the four servers (the order alternates; each server's best round by QPS is reported).")
    var rounds: Int = 2

    @Option(help: "Seed of the generated queries.")
    var seed: UInt64 = 20_260_101

    @Flag(help: "Print one JSON line before the table.")
    var json = false

    func validate() throws {
        guard entries > 0, cachedNames > 0, queries >= 10 else {
            throw ValidationError("--entries, --cached-names must be positive, --queries at least 10")
        }
        guard duration > 0, latencyDuration > 0, clients > 0, outstanding > 0, latencyQPS > 0, rounds > 0 else {
            throw ValidationError("durations, clients, outstanding, latency QPS and rounds must be positive")
        }
    }

    func run() async throws {
        try await DNSGuardBench.run(
            DNSGuardBench.Options(
                entries: entries, cachedNames: cachedNames, queries: queries, duration: duration, clients: clients, outstanding: outstanding,
                latencyDuration: latencyDuration, latencyQPS: latencyQPS, rounds: rounds, seed: seed, json: json))
    }
}

/// `mamori-bench edge`: flow records and pcap packets through the DNS-amplification decoders
/// against nfdump and tshark, and 100,000 pool prefixes rendered to nftables.
struct BenchEdgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge",
        abstract: "Flow records and pcap packets classified per second against nfdump and tshark; pools rendered to nftables and checked by nft -c.",
        discussion: """
            Generates FLOWS NetFlow v9 records (template 256, 45 records a message) and a pcap of PACKETS \
            Ethernet frames from the seed, to 10.0.0.0/8 (POOL-PREFIXES /20 pools) from 172.16.0.0/12. \
            Mamori decodes and matches them in this process (the `mamori edge analyze` path, one thread); \
            the same messages go to nfcapd on a free 127.0.0.1 port and nfdump filters its files with \
            `proto udp and dst port 53 and (dst net …)`; tshark reads the pcap with \
            `udp.dstport == 53 && ip.dst in {…}`; both peers are pinned to one core (taskset -c 0). Then \
            RENDER-PREFIXES generated pool prefixes are rendered to nftables and checked with `nft -c -f`. \
            Every peer's matched count is compared with the generator's.
            """)

    @Option(help: "NetFlow v9 flow records (0 skips the nfdump comparison).")
    var flows: Int = 10_000_000

    @Option(help: "Packets in the pcap (0 skips the tshark comparison).")
    var packets: Int = 2_000_000

    @Option(help: "Pool prefixes (/20s in 10.0.0.0/8) the traffic is matched against, at most 2048.")
    var poolPrefixes: Int = 64

    @Option(help: "Pool prefixes rendered to nftables (0 skips it).")
    var renderPrefixes: Int = 100_000

    @Option(help: "Rounds of each timing (the best is reported).")
    var rounds: Int = 3

    @Option(help: "Seed of the generated records and packets.")
    var seed: UInt64 = 20_260_101

    @Flag(help: "Print one JSON line instead of the table.")
    var json = false

    func validate() throws {
        guard flows >= 0, packets >= 0, renderPrefixes >= 0 else { throw ValidationError("sizes must not be negative") }
        guard (1...2048).contains(poolPrefixes) else { throw ValidationError("--pool-prefixes must be 1 to 2048") }
        guard renderPrefixes <= 4_000_000 else { throw ValidationError("--render-prefixes must be at most 4,000,000") }
        guard rounds > 0 else { throw ValidationError("--rounds must be positive") }
    }

    func run() async throws {
        try EdgeBench.run(
            EdgeBench.Options(
                flows: flows, packets: packets, poolPrefixes: poolPrefixes, renderPrefixes: renderPrefixes, rounds: rounds, seed: seed,
                json: json))
    }
}
