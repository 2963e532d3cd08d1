import Addressing
import DNSServer
import Foundation
import Logging
import MamoriTesting
import NIOCore
import Runtime
import ServiceLifecycle
import SiteWarning

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `mamori-bench dns`: the DNS guard in front of Unbound, against dnsdist with a suffix rule and
/// its packet cache, and Unbound alone with the list as an RPZ zone; Unbound alone without a list
/// is the latency baseline.
///
/// One generated `cnc` list of ENTRIES names (`m<N>.malware.test`), so every listed name is
/// answered NXDOMAIN by all three (the guard's default for a line that never chose: C&C block
/// on). The cached names are Unbound `local-data` under `example.test.`. The query file is 10 %
/// listed names and 90 % cached ones; every server gets the same file, a warm pass, then a
/// saturating dnsperf run (QPS, average latency) and a fixed-rate verbose run (p50/p99 from the
/// per-query latencies). Every peer listens on a free 127.0.0.1 port; nothing leaves loopback
/// (the Unbounds send from 127.0.0.1 only, dnsdist's security polling is off).
enum DNSGuardBench {
    struct Options: Sendable {
        var entries: Int
        var cachedNames: Int
        var queries: Int
        var duration: Int
        var clients: Int
        var outstanding: Int
        var latencyDuration: Int
        var latencyQPS: Int
        var rounds: Int
        var seed: UInt64
        var json: Bool
    }

    /// One server under test.
    struct Target: Sendable {
        let key: String
        let title: String
        let port: Int
    }

    /// What dnsperf said of one run.
    struct Measurement: Sendable {
        var qps: Double
        var averageLatency: Double
        var latencyStdDev: Double
        var completed: Int
        var lost: Int
        var responseCodes: String
        var p50: Double? = nil
        var p99: Double? = nil
        var latencySamples = 0
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static let dnsperf = "/usr/bin/dnsperf"
    static let dnsdist = "/usr/bin/dnsdist"

    static func run(_ o: Options) async throws {
        for path in [dnsperf, dnsdist, Unbound.path] where !FileManager.default.isExecutableFile(atPath: path) {
            throw MissingPeer("\(path) not found (Debian packages dnsperf, dnsdist, unbound)")
        }
        let loadBefore = LoadAverage.oneMinute()
        let directory = try BenchTemporaryDirectory(prefix: "mamori-bench-dns")
        defer { directory.remove() }
        let files = try writeInputs(o, in: directory.url)

        // The list load, in this process: seconds to build the Blocklist and the RSS it adds.
        let rssBefore = residentKilobytes()
        let (blocklist, loadSeconds) = try Stopwatch.seconds { () throws -> Blocklist in
            var builder = BlocklistBuilder()
            let report = try builder.load(path: files.list.path, list: "bench-cnc", kind: .cnc, format: .domains)
            guard report.issueCount == 0 else { throw Failure("the generated list has \(report.issueCount) issues") }
            return builder.build()
        }
        let rssAfter = residentKilobytes()
        guard blocklist.entryCount == o.entries else {
            throw Failure("the blocklist has \(blocklist.entryCount) entries, \(o.entries) were written")
        }
        let rssGrowth = (rssAfter ?? 0) - (rssBefore ?? 0)

        let localData = (0..<o.cachedNames).map { "h\($0).example.test. 3600 IN A 192.0.2.\($0 % 250 + 1)" }
        let common = ["outgoing-interface: 127.0.0.1", "num-threads: 2", "so-reuseport: yes", "msg-cache-size: 64m", "rrset-cache-size: 64m"]

        // The upstream of the guard and of dnsdist, and the baseline: no list; every name under
        // malware.test. is answered from memory with one address (a redirect zone), so a listed
        // name that got past a list would show as NOERROR, not NXDOMAIN.
        let upstream = try Unbound(
            localZones: ["example.test. static", "malware.test. redirect"], localData: localData + ["malware.test. 3600 IN A 192.0.2.99"],
            serverOptions: common)
        defer { upstream.stop() }

        // Unbound with the list as an RPZ zone (local zones win over RPZ in Unbound, so the
        // built-in `test.` zone is dropped for the listed names to reach the RPZ).
        let rpzOptions =
            common + [
                "module-config: \"respip iterator\"", "rpz:", "name: rpz.bench.test.", "zonefile: \"\(files.rpz.path)\"", "rpz-log: no",
            ]
        let (rpzUnbound, rpzStartSeconds) = try Stopwatch.seconds {
            try Unbound(localZones: ["example.test. static", "test. nodefault"], localData: localData, serverOptions: rpzOptions)
        }
        defer { rpzUnbound.stop() }

        let (dnsdistPeer, dnsdistStartSeconds) = try Stopwatch.seconds {
            try DNSDist(upstreamPort: upstream.port, list: files.list, directory: directory.url)
        }
        defer { dnsdistPeer.stop() }

        // The guard, in this process, under a ServiceGroup.
        var siteWarning = SiteWarningConfiguration(warningConsent: .terms)
        siteWarning.warningIPv4 = IPAddress("192.0.2.80")
        let sessions = LiveSessions(expiry: 7200)
        if let loopback = IPPrefix("127.0.0.0/8") { sessions.start(line: LineID("bench-line"), prefixes: [loopback], at: Date()) }
        let guardian = SiteWarningGuard(configuration: siteWarning, sessions: sessions)
        guardian.replace(blocklist: blocklist, version: 1)
        var logger = Logger(label: "mamori-bench.dns")
        logger.logLevel = .error
        let guardPort = try Loopback.freePort()
        var dnsConfiguration = DNSServerConfiguration(port: guardPort, upstreams: [try SocketAddress(ipAddress: "127.0.0.1", port: upstream.port)])
        dnsConfiguration.cacheCapacity = max(100_000, o.cachedNames * 2)
        dnsConfiguration.maxInFlightDatagrams = 4096
        let server = DNSServer(configuration: dnsConfiguration, policy: guardian, logger: logger)
        let group = ServiceGroup(services: [server], logger: logger)

        let targets = [
            Target(key: "unbound", title: "Unbound alone, no list (baseline)", port: upstream.port),
            Target(key: "mamori", title: "Mamori guard → Unbound", port: guardPort),
            Target(key: "dnsdist", title: "dnsdist (suffix rule, packet cache) → Unbound", port: dnsdistPeer.port),
            Target(key: "unbound_rpz", title: "Unbound alone, RPZ zone", port: rpzUnbound.port),
        ]

        let results: [String: [Measurement]] = try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await server.waitUntilListening()
                var results: [String: [Measurement]] = [:]
                for round in 0..<o.rounds {
                    // Alternate the order between rounds, so no server always goes first.
                    for target in round % 2 == 0 ? targets : Array(targets.reversed()) {
                        try await warm(target, files: files)
                        var measurement = try await throughput(target, files: files, o)
                        if target.key != "unbound", !measurement.responseCodes.contains("NXDOMAIN") {
                            throw Failure("\(target.key) answered no listed name NXDOMAIN: \(measurement.responseCodes)")
                        }
                        let latency = try await latencies(target, files: files, o)
                        measurement.p50 = latency.p50
                        measurement.p99 = latency.p99
                        measurement.latencySamples = latency.count
                        results[target.key, default: []].append(measurement)
                    }
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return results
            } catch {
                await group.triggerGracefulShutdown()
                tasks.cancelAll()
                throw error
            }
        }
        let cache = server.processor.cacheStats
        let loadAfter = LoadAverage.oneMinute()

        // Per server, the round with the highest QPS (the least disturbed by the rest of the machine).
        var best: [String: Measurement] = [:]
        for (key, runs) in results { best[key] = runs.max { $0.qps < $1.qps } }
        guard let mamori = best["mamori"], let dnsdistBest = best["dnsdist"], let rpz = best["unbound_rpz"], let baseline = best["unbound"] else {
            throw Failure("a server was not measured")
        }
        let versions = peerVersions()
        let p99Added: Double? = if let a = mamori.p99, let b = baseline.p99 { a - b } else { nil }
        let p99AddedMin = minimumP99Added(results)

        if o.json {
            var json: [String: Any] = [
                "bench": "dns", "entries": o.entries, "cached_names": o.cachedNames, "query_lines": o.queries, "listed_share": 0.1,
                "duration_s": o.duration, "clients": o.clients, "outstanding": o.outstanding, "latency_qps": o.latencyQPS,
                "latency_duration_s": o.latencyDuration, "rounds": o.rounds, "answer": "NXDOMAIN (cnc list, cnc-dns-block default on)",
                "list_load_s": BenchFormat.json(loadSeconds, 3), "list_rss_growth_mib": BenchFormat.json(Double(rssGrowth) / 1024, 1),
                "list_approx_mib": BenchFormat.json(Double(blocklist.approximateByteCount) / 1_048_576, 1),
                "rpz_unbound_start_s": BenchFormat.json(rpzStartSeconds, 2), "dnsdist_start_s": BenchFormat.json(dnsdistStartSeconds, 2),
                "ratio_qps_dnsdist": BenchFormat.json(mamori.qps / dnsdistBest.qps, 3),
                "ratio_qps_unbound_rpz": BenchFormat.json(mamori.qps / rpz.qps, 3),
                "guard_cache_hits": cache.hits, "guard_cache_misses": cache.misses, "versions": versions,
            ]
            if let p99Added { json["p99_added_ms"] = BenchFormat.json(p99Added * 1000, 3) }
            if let p99AddedMin { json["p99_added_best_round_ms"] = BenchFormat.json(p99AddedMin * 1000, 3) }
            if let loadBefore { json["load_before"] = loadBefore }
            if let loadAfter { json["load_after"] = loadAfter }
            for (key, runs) in results {
                json[key] = runs.map { m -> [String: Any] in
                    var entry: [String: Any] = [
                        "qps": BenchFormat.json(m.qps, 0), "avg_latency_ms": BenchFormat.json(m.averageLatency * 1000, 3),
                        "latency_stddev_ms": BenchFormat.json(m.latencyStdDev * 1000, 3), "completed": m.completed, "lost": m.lost,
                        "rcodes": m.responseCodes, "latency_samples": m.latencySamples,
                    ]
                    if let p50 = m.p50 { entry["p50_ms"] = BenchFormat.json(p50 * 1000, 3) }
                    if let p99 = m.p99 { entry["p99_ms"] = BenchFormat.json(p99 * 1000, 3) }
                    return entry
                }
            }
            Output.line(Output.json(json))
        }

        var table = BenchTable(
            "DNS guard against dnsdist and Unbound RPZ: \(BenchFormat.count(o.entries)) listed names (cnc → NXDOMAIN), "
                + "10 % listed / 90 % cached queries, dnsperf -l \(o.duration) -c \(o.clients) -q \(o.outstanding), best of \(o.rounds) round(s)")
        table.row("list load (BlocklistBuilder, 1 list)", BenchFormat.seconds(loadSeconds) + " (goal ≤ 3 s: \(BenchFormat.goal(loadSeconds <= 3)))")
        table.row(
            "list RSS growth (VmRSS)",
            String(format: "%.1f MiB", Double(rssGrowth) / 1024) + " (goal ≤ 150 MB: \(BenchFormat.goal(Double(rssGrowth) * 1024 <= 150e6)))"
                + ", approx. \(BenchFormat.megabytes(blocklist.approximateByteCount)) in the snapshot")
        table.row("Unbound RPZ start to listening", BenchFormat.seconds(rpzStartSeconds))
        table.row("dnsdist start to listening (Lua smn:add)", BenchFormat.seconds(dnsdistStartSeconds))
        for target in targets {
            guard let runs = results[target.key], let m = best[target.key] else { continue }
            let p = latencyText(m)
            table.row(
                target.title,
                "\(BenchFormat.rate(m.qps)) avg \(String(format: "%.3f", m.averageLatency * 1000)) ms, \(p); lost \(m.lost); \(m.responseCodes)"
                    + (runs.count > 1 ? " [QPS of each round: \(runs.map { BenchFormat.count(Int($0.qps)) }.joined(separator: ", "))]" : ""))
        }
        table.row(
            "Mamori QPS / dnsdist QPS",
            String(format: "%.2f×", mamori.qps / dnsdistBest.qps) + " (goal ≥ 1.0: \(BenchFormat.goal(mamori.qps >= dnsdistBest.qps)))")
        table.row(
            "Mamori QPS / Unbound-RPZ QPS",
            String(format: "%.2f×", mamori.qps / rpz.qps) + " (goal ≥ 1.0: \(BenchFormat.goal(mamori.qps >= rpz.qps)))")
        if let p99Added {
            table.row(
                "p99 added over Unbound alone (at \(o.latencyQPS) q/s)",
                String(format: "%.3f ms", p99Added * 1000) + " (goal ≤ 0.2 ms: \(BenchFormat.goal(p99Added <= 0.0002)))"
                    + (p99AddedMin.map { String(format: "; best round %.3f ms", $0 * 1000) } ?? ""))
        }
        table.row("guard packet cache", "\(BenchFormat.count(cache.hits)) hits, \(BenchFormat.count(cache.misses)) misses")
        table.row(
            "load average (1 min)",
            "before \(loadBefore.map { String(format: "%.2f", $0) } ?? "?"), after \(loadAfter.map { String(format: "%.2f", $0) } ?? "?")")
        for (name, version) in versions.sorted(by: { $0.key < $1.key }) { table.row(name, version) }
        table.print()
    }

    // MARK: - Inputs

    struct Inputs: Sendable {
        let list: URL
        let rpz: URL
        let queries: URL
        let warm: URL
    }

    /// The list (one name a line: the guard's domain list and dnsdist's `smn:add` input), the
    /// same names as an RPZ zone, the query file and the warm-up file.
    static func writeInputs(_ o: Options, in directory: URL) throws -> Inputs {
        let inputs = Inputs(
            list: directory.appendingPathComponent("list.txt"), rpz: directory.appendingPathComponent("list.rpz"),
            queries: directory.appendingPathComponent("queries.txt"), warm: directory.appendingPathComponent("warm.txt"))
        var list = try BufferedWriter(creating: inputs.list)
        var rpz = try BufferedWriter(creating: inputs.rpz)
        rpz.append("$ORIGIN rpz.bench.test.\n$TTL 60\n@ SOA localhost. hostmaster.localhost. 1 3600 600 86400 60\n@ NS localhost.\n")
        for n in 0..<o.entries {
            list.byte(0x6D)
            list.decimal(n)
            list.append(".malware.test\n")
            rpz.byte(0x6D)
            rpz.decimal(n)
            rpz.append(".malware.test CNAME .\n")
            try list.flushIfFull()
            try rpz.flushIfFull()
        }
        try list.close()
        try rpz.close()

        // Exactly one line in ten is a listed name (random among the list), the others random
        // cached names.
        var random = BenchRandom(seed: o.seed)
        var queries = try BufferedWriter(creating: inputs.queries)
        for k in 0..<o.queries {
            if k % 10 == 0 {
                queries.byte(0x6D)
                queries.decimal(random.below(o.entries))
                queries.append(".malware.test A\n")
            } else {
                queries.byte(0x68)
                queries.decimal(random.below(o.cachedNames))
                queries.append(".example.test A\n")
            }
            try queries.flushIfFull()
        }
        try queries.close()
        var warm = try BufferedWriter(creating: inputs.warm)
        for n in 0..<o.cachedNames {
            warm.byte(0x68)
            warm.decimal(n)
            warm.append(".example.test A\n")
        }
        try warm.close()
        return inputs
    }

    // MARK: - dnsperf

    /// Every cached name once, then one pass of the query file.
    static func warm(_ target: Target, files: Inputs) async throws {
        for file in [files.warm, files.queries] {
            let output = try await perf(target, ["-d", file.path, "-n", "1", "-c", "4", "-q", "50", "-t", "2"])
            let m = try parse(output)
            guard m.completed > 0 else { throw Failure("\(target.key): the warm-up got no answers:\n\(output.suffix(2000))") }
        }
    }

    /// The saturating run.
    static func throughput(_ target: Target, files: Inputs, _ o: Options) async throws -> Measurement {
        let output = try await perf(
            target, ["-d", files.queries.path, "-l", "\(o.duration)", "-c", "\(o.clients)", "-q", "\(o.outstanding)", "-t", "2", "-S", "1"])
        return try parse(output)
    }

    /// The fixed-rate verbose run: p50 and p99 of the answered queries' latencies.
    static func latencies(_ target: Target, files: Inputs, _ o: Options) async throws -> (p50: Double?, p99: Double?, count: Int) {
        let output = try await perf(
            target,
            ["-d", files.queries.path, "-l", "\(o.latencyDuration)", "-c", "\(o.clients)", "-Q", "\(o.latencyQPS)", "-t", "2", "-v"])
        var samples: [Double] = []
        samples.reserveCapacity(o.latencyQPS * o.latencyDuration)
        for line in output.split(separator: "\n") where line.hasPrefix("> ") {
            if let last = line.split(separator: " ").last, let seconds = Double(last) { samples.append(seconds) }
        }
        guard !samples.isEmpty else { return (nil, nil, 0) }
        samples.sort()
        func quantile(_ q: Double) -> Double { samples[min(samples.count - 1, Int((Double(samples.count) * q).rounded(.up)) - 1)] }
        return (quantile(0.5), quantile(0.99), samples.count)
    }

    static func perf(_ target: Target, _ arguments: [String]) async throws -> String {
        let (status, output) = try await Command.run(dnsperf, ["-s", "127.0.0.1", "-p", "\(target.port)", "-T", "1"] + arguments)
        guard status == 0 else { throw Failure("dnsperf against \(target.key) exited with status \(status):\n\(output.suffix(2000))") }
        return output
    }

    /// The statistics block of dnsperf's output.
    static func parse(_ output: String) throws -> Measurement {
        var m = Measurement(qps: 0, averageLatency: 0, latencyStdDev: 0, completed: 0, lost: 0, responseCodes: "")
        var sawQPS = false
        for raw in output.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            func value(after prefix: String) -> Substring? {
                guard line.hasPrefix(prefix) else { return nil }
                return line.dropFirst(prefix.count).drop { $0 == " " }
            }
            func firstNumber(_ s: Substring) -> Substring { s.prefix { !$0.isWhitespace } }
            if let v = value(after: "Queries per second:"), let qps = Double(firstNumber(v)) {
                m.qps = qps
                sawQPS = true
            } else if let v = value(after: "Average Latency (s):"), let x = Double(firstNumber(v)) {
                m.averageLatency = x
            } else if let v = value(after: "Latency StdDev (s):"), let x = Double(firstNumber(v)) {
                m.latencyStdDev = x
            } else if let v = value(after: "Queries completed:"), let x = Int(firstNumber(v)) {
                m.completed = x
            } else if let v = value(after: "Queries lost:"), let x = Int(firstNumber(v)) {
                m.lost = x
            } else if let v = value(after: "Response codes:") {
                m.responseCodes = String(v)
            }
        }
        guard sawQPS else { throw Failure("no statistics in dnsperf's output:\n\(output.suffix(2000))") }
        return m
    }

    // MARK: - Figures

    static func latencyText(_ m: Measurement) -> String {
        guard let p50 = m.p50, let p99 = m.p99 else { return "no latency samples" }
        return String(format: "p50 %.3f ms, p99 %.3f ms", p50 * 1000, p99 * 1000) + " (\(BenchFormat.count(m.latencySamples)) samples)"
    }

    /// The smallest p99 added over the baseline of the same round.
    static func minimumP99Added(_ results: [String: [Measurement]]) -> Double? {
        guard let ours = results["mamori"], let base = results["unbound"] else { return nil }
        return zip(ours, base).compactMap { pair -> Double? in
            guard let a = pair.0.p99, let b = pair.1.p99 else { return nil }
            return a - b
        }.min()
    }

    /// VmRSS of this process in KiB, from `/proc/self/status`.
    static func residentKilobytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        }
        return nil
    }

    /// The first line of each peer's version output.
    static func peerVersions() -> [String: String] {
        var versions: [String: String] = [:]
        let probes: [(String, [String], String)] = [
            ("dnsperf", [dnsperf, "-h"], "Version"), ("dnsdist", [dnsdist, "--version"], "dnsdist"), ("unbound", [Unbound.path, "-V"], "Version"),
        ]
        for (name, arguments, marker) in probes {
            guard let result = try? Subprocess.run(arguments, check: false) else { continue }
            let text = result.stdout + "\n" + result.stderr
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix(marker) }) {
                versions[name] = line.trimmingCharacters(in: .whitespaces)
            }
        }
        return versions
    }
}

/// dnsdist in the foreground (`--supervised`, no console) on a free loopback port, in front of
/// one Unbound: the list as a `SuffixMatchNode` loaded from the list file in Lua, answered
/// NXDOMAIN; the packet cache on; two UDP listeners (SO_REUSEPORT), one per core.
final class DNSDist: Sendable {
    let port: Int
    let child: CleanChild
    let log: URL

    init(upstreamPort: Int, list: URL, directory: URL) throws {
        log = directory.appendingPathComponent("dnsdist.log")
        for _ in 1...8 {
            let port = try Loopback.freePort()
            let configuration = directory.appendingPathComponent("dnsdist.conf")
            try Self.configuration(port: port, upstreamPort: upstreamPort, list: list).write(to: configuration, atomically: true, encoding: .utf8)
            // Under coreutils' `timeout`, so that a crash of the bench leaves nothing running for long.
            let child = try CleanChild(
                executable: URL(fileURLWithPath: "/usr/bin/timeout"),
                arguments: ["--kill-after=5", "1800", DNSGuardBench.dnsdist, "--supervised", "--disable-syslog", "-C", configuration.path],
                output: log)
            if Self.waitUntilListening(port: port, child: child, timeout: 300) {
                self.port = port
                self.child = child
                return
            }
            child.signal(SIGKILL)
            _ = child.wait(timeout: 5)
        }
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        throw MissingPeer("dnsdist did not start on a free loopback port: \(text.suffix(2000))")
    }

    static func configuration(port: Int, upstreamPort: Int, list: URL) -> String {
        """
        setSecurityPollSuffix("")
        setLocal("127.0.0.1:\(port)", { reusePort = true })
        addLocal("127.0.0.1:\(port)", { reusePort = true })
        newServer({ address = "127.0.0.1:\(upstreamPort)", name = "unbound", checkName = "h0.example.test.", checkInterval = 5 })
        pc = newPacketCache(200000, { maxTTL = 86400, minTTL = 0, temporaryFailureTTL = 60, staleTTL = 60, dontAge = false })
        getPool(""):setCache(pc)
        smn = newSuffixMatchNode()
        for line in io.lines("\(list.path)") do smn:add(line) end
        addAction(SuffixMatchNodeRule(smn, true), RCodeAction(DNSRCode.NXDOMAIN))
        """
    }

    /// Waits until something accepts TCP connections on the port while the child still runs.
    static func waitUntilListening(port: Int, child: CleanChild, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var status: Int32 = 0
            if waitpid(child.pid, &status, WNOHANG) == child.pid { return false }
            if (try? Loopback.waitUntilListening(port: port, timeout: 0)) != nil { return true }
            usleep(100_000)
        }
        return false
    }

    func stop() {
        child.signal(SIGTERM)
        _ = child.wait(timeout: 5)
    }
}
