import ArgumentParser
import Foundation
import Logging
import MailGuard
import MailGuardServer
import MamoriTesting
import NetServer
import Runtime
import Secrecy
import ServiceLifecycle
import TextScanning

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `mamori-bench mail`: the Postfix log parser against `fail2ban-regex` with the
/// `postfix[mode=auth]` filter on the same file, and the policy server's throughput and p99 at 1,
/// 10 and 50 connections against postfwd and policyd-rate-limit (Debian) with the equivalent rule.
struct BenchMailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail",
        abstract: "The mail guard: Postfix log parsing against fail2ban-regex, policy server against postfwd and policyd-rate-limit.",
        discussion: """
            Builds a Postfix log of LINES lines from the corpus's real Postfix logs (repeated), parses \
            it with the guard's parser and queue-id join, then runs fail2ban-regex FILE \
            'postfix[mode=auth]' on the same file. Then serves the policy server in this process on a \
            free loopback port, starts postfwd2 and policyd-rate-limit on others, each with the same \
            rule (the SASL login suspended@mamori.test refused, every other DUNNO), and sends each the \
            captured Postfix 3.7.11 requests of the corpus over 1, 10 and 50 persistent connections \
            (one blocking client thread each; a connection the server closes is opened again, as \
            Postfix does).
            """)

    @Option(help: "Lines in the generated Postfix log.")
    var lines: Int = 1_000_000

    @Option(help: "Policy requests sent to Mamori per connection count (shared among the connections).")
    var requests: Int = 100_000

    @Option(help: "Policy requests sent to each peer per connection count.")
    var peerRequests: Int = 20_000

    @Flag(help: "Skip fail2ban-regex.")
    var noFail2ban = false

    @Flag(help: "Skip postfwd and policyd-rate-limit.")
    var noPeers = false

    @Flag(help: "Also print the figures as one JSON line.")
    var json = false

    /// The login every policy server is told to refuse (one of the corpus requests carries it).
    static let suspendedLogin = "suspended@mamori.test"
    static let suspendedText = "5.7.1 suspended"

    func run() async throws {
        guard Corpus.isPresent else { throw ValidationError(Corpus.missingMessage) }
        let directory = try Loopback.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let loadBefore = LoadAverage.oneMinute()
        var figures: [String: Any] = ["bench": "mail"]
        try benchLog(directory, into: &figures)
        try await benchPolicy(directory, into: &figures)
        if let loadBefore { figures["load_before"] = loadBefore }
        if let loadAfter = LoadAverage.oneMinute() { figures["load_after"] = loadAfter }
        if json { Output.line(Output.json(figures)) }
    }

    func benchLog(_ directory: URL, into figures: inout [String: Any]) throws {
        var source: [Substring] = []
        for file in ["smtp/generated/postfix-3.7.11-maillog.log", "smtp/postfix_exporter/mail.log", "smtp/fail2ban/postfix-sasl.log"] {
            let text = try String(contentsOf: Corpus.file(file), encoding: .utf8)
            source += text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
        }
        var out = ""
        out.reserveCapacity(lines * 140)
        for i in 0..<lines { out += source[i % source.count] + "\n" }
        let path = directory.appendingPathComponent("postfix.log")
        try out.write(to: path, atomically: false, encoding: .utf8)
        let parser = PostfixLogParser(time: SyslogTime(reference: Date()))
        // As the follower reads: the file's bytes, cut at each newline, each line parsed in place.
        let (counts, seconds) = try Stopwatch.seconds { () throws -> (Int, Int) in
            let data = try Data(contentsOf: path)
            var joiner = SubmissionJoiner()
            var failures = 0
            var submissions = 0
            data.withUnsafeBytes { raw in
                let bytes = raw.bindMemory(to: UInt8.self)
                var start = 0
                while start < bytes.count {
                    let end = bytes.index(of: 0x0A, from: start) ?? bytes.count
                    defer { start = end + 1 }
                    guard let event = parser.parse(bytes: bytes.sub(start..<end)) else { continue }
                    if case .authFailure = event { failures += 1 }
                    if joiner.take(event) != nil { submissions += 1 }
                }
            }
            return (failures, submissions)
        }
        let rate = Double(lines) / seconds
        figures["log_lines"] = lines
        figures["log_auth_failures"] = counts.0
        figures["log_joined_submissions"] = counts.1
        figures["log_lines_per_s"] = BenchFormat.json(rate, 0)
        Output.line(
            "log: \(BenchFormat.count(lines)) lines, \(counts.0) AUTH failures, \(counts.1) joined submissions: \(BenchFormat.seconds(seconds)), "
                + "\(BenchFormat.rate(rate)) (goal ≥ 1,000,000/s: \(BenchFormat.goal(rate >= 1_000_000)))")
        guard !noFail2ban else { return }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/fail2ban-regex") else {
            throw MissingPeer("/usr/bin/fail2ban-regex not found (Debian package fail2ban)")
        }
        let (result, f2bSeconds) = try Stopwatch.seconds {
            try Subprocess.run(["/usr/bin/fail2ban-regex", "--print-no-missed", path.path, "postfix[mode=auth]"], check: false)
        }
        let matched = result.stdout.split(separator: "\n").first { $0.contains("Failregex:") }.map(String.init) ?? "?"
        let ratio = f2bSeconds / seconds
        figures["fail2ban_lines_per_s"] = BenchFormat.json(Double(lines) / f2bSeconds, 0)
        figures["fail2ban_failregex"] = matched.trimmingCharacters(in: .whitespaces)
        figures["ratio_log_fail2ban"] = BenchFormat.json(ratio, 2)
        Output.line(
            "fail2ban-regex postfix[mode=auth]: \(BenchFormat.seconds(f2bSeconds)), \(BenchFormat.rate(Double(lines) / f2bSeconds)) "
                + "(\(matched.trimmingCharacters(in: .whitespaces))); Mamori / fail2ban-regex \(String(format: "%.1f", ratio))× "
                + "(goal ≥ 20×: \(BenchFormat.goal(ratio >= 20)))")
    }

    /// One policy server measured at one connection count.
    struct PolicyMeasurement {
        let requests: Int
        let seconds: Double
        let p50: Double
        let p99: Double
        let refused: Int
        var rate: Double { Double(requests) / seconds }
    }

    func benchPolicy(_ directory: URL, into figures: inout [String: Any]) async throws {
        let text = try String(contentsOf: Corpus.file("smtp/generated/postfix-policy-requests.jsonl"), encoding: .utf8)
        var wire: [[UInt8]] = []
        for line in text.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let request = object["request"] as? [String: String]
            else { continue }
            wire.append(Array((request.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined() + "\n").utf8))
        }
        let requests = wire
        var configuration = MailGuardConfiguration()
        configuration.suspendedText = Self.suspendedText
        let guardian = MailGuard(
            configuration: configuration, audit: InMemoryAuditLog(), pseudonymizer: try Pseudonymizer(key: try Pseudonymizer.generateKey()))
        guardian.suspend(authID: Self.suspendedLogin)
        let port = try Loopback.freePort()
        var listener = NetServerConfiguration(name: "policy", port: port)
        listener.maxConnections = 256
        listener.idleTimeout = .seconds(60)
        let logger = Logger(label: "bench.mail")
        let server = TCPServer(configuration: listener, handler: PolicyStreamHandler(guardian: guardian), logger: logger)
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        let task = Task { try await group.run() }
        defer { task.cancel() }
        try Loopback.waitUntilListening(port: port)

        var targets: [(key: String, title: String, port: Int, requests: Int)] = [("mamori", "Mamori policy server", port, self.requests)]
        var peers: [PolicyPeer] = []
        defer { peers.forEach { $0.stop() } }
        if !noPeers {
            let postfwd = try PolicyPeer.postfwd(directory: directory)
            peers.append(postfwd)
            let rateLimit = try PolicyPeer.policydRateLimit(directory: directory)
            peers.append(rateLimit)
            targets.append(("postfwd", "postfwd2 (sasl_username== rule, Debian's request cache)", postfwd.port, peerRequests))
            targets.append(("policyd_rate_limit", "policyd-rate-limit (limits_by_id, SQLite)", rateLimit.port, peerRequests))
        }
        var results: [String: [Int: PolicyMeasurement]] = [:]
        var table = BenchTable("Policy delegation: \(requests.count) captured Postfix 3.7.11 requests in turn, one refused login")
        for target in targets {
            for connections in [1, 10, 50] {
                let m = Self.measure(port: target.port, connections: connections, total: target.requests, wire: requests)
                results[target.key, default: [:]][connections] = m
                table.row(
                    "\(target.title), \(connections) conn.",
                    "\(BenchFormat.count(m.requests)) requests, \(BenchFormat.rate(m.rate)), p50 \(String(format: "%.3f", m.p50 * 1000)) ms, "
                        + "p99 \(String(format: "%.3f", m.p99 * 1000)) ms, \(m.refused) refused")
                figures["policy_\(target.key)_\(connections)"] = [
                    "requests": m.requests, "per_s": BenchFormat.json(m.rate, 0), "p50_ms": BenchFormat.json(m.p50 * 1000, 3),
                    "p99_ms": BenchFormat.json(m.p99 * 1000, 3), "refused": m.refused,
                ]
            }
        }
        if let mamori = results["mamori"]?[10] {
            table.row(
                "Mamori at 10 conn.",
                "\(BenchFormat.rate(mamori.rate)) (goal ≥ 50,000/s: \(BenchFormat.goal(mamori.rate >= 50_000))), p99 "
                    + "\(String(format: "%.3f", mamori.p99 * 1000)) ms (goal ≤ 1 ms: \(BenchFormat.goal(mamori.p99 <= 0.001)))")
            let peerRates = targets.dropFirst().compactMap { results[$0.key]?[10]?.rate }
            if let faster = peerRates.max() {
                let ratio = mamori.rate / faster
                figures["ratio_policy_faster_peer_10"] = BenchFormat.json(ratio, 2)
                table.row("Mamori / faster peer at 10 conn.", String(format: "%.1f×", ratio) + " (goal ≥ 5×: \(BenchFormat.goal(ratio >= 5)))")
            }
        }
        for peer in peers { table.row(peer.name, peer.version) }
        table.print()
    }

    /// Sends `total` requests over `connections` blocking clients; the rate and latency quantiles.
    static func measure(port: Int, connections: Int, total: Int, wire: [[UInt8]]) -> PolicyMeasurement {
        let perConnection = max(1, total / connections)
        let latencies = LatencyBox()
        let (_, seconds) = Stopwatch.seconds {
            let threads = (0..<connections).map { index in
                Thread { latencies.add(Self.client(port: port, requests: perConnection, wire: wire, offset: index)) }
            }
            threads.forEach { $0.start() }
            while !latencies.done(connections) { usleep(1000) }
        }
        let all = latencies.all.map(\.seconds).sorted()
        let refused = latencies.all.count { $0.refused }
        guard !all.isEmpty else { return PolicyMeasurement(requests: 0, seconds: seconds, p50: 0, p99: 0, refused: 0) }
        return PolicyMeasurement(
            requests: all.count, seconds: seconds, p50: all[all.count / 2], p99: all[min(all.count - 1, all.count * 99 / 100)], refused: refused)
    }

    /// One answered request: its latency, and whether the answer refused the mail.
    struct Sample {
        let seconds: Double
        let refused: Bool
    }

    /// One blocking client: send a request, read `action=…\n\n`, repeat. A connection the server
    /// closes (postfwd's children end after `max_requests`) is opened again and the request sent
    /// again, the reconnect counted in its latency, as Postfix would see it.
    static func client(port: Int, requests: Int, wire: [[UInt8]], offset: Int) -> [Sample] {
        var fd = connectLoopback(port: port)
        defer { if fd >= 0 { close(fd) } }
        var samples: [Sample] = []
        samples.reserveCapacity(requests)
        var buffer = [UInt8](repeating: 0, count: 512)
        var i = 0
        var retries = 0
        while i < requests, fd >= 0 {
            let request = wire[(i + offset) % wire.count]
            let start = DispatchTime.now().uptimeNanoseconds
            var received: [UInt8] = []
            var ok = request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count
            while ok, !(received.count >= 2 && received[received.count - 1] == 0x0A && received[received.count - 2] == 0x0A) {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n > 0 { received += buffer[0..<n] } else { ok = false }
            }
            guard ok else {
                close(fd)
                retries += 1
                fd = retries > 1000 ? -1 : connectLoopback(port: port)
                continue
            }
            let refused = received.starts(with: Array("action=REJECT".utf8)) || received.starts(with: Array("action=reject".utf8))
            samples.append(Sample(seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, refused: refused))
            i += 1
        }
        return samples
    }

    /// A TCP connection to 127.0.0.1:`port` with Nagle off, or -1.
    static func connectLoopback(port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else {
            close(fd)
            return -1
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }
}

/// The client threads' samples, collected under a lock.
final class LatencyBox: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [BenchMailCommand.Sample] = []
    private var finished = 0

    func add(_ samples: [BenchMailCommand.Sample]) {
        lock.lock()
        values += samples
        finished += 1
        lock.unlock()
    }

    func done(_ count: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return finished >= count
    }

    var all: [BenchMailCommand.Sample] {
        lock.lock()
        defer { lock.unlock() }
        return values
    }
}

/// A peer policy server on a free loopback port, with the rule equivalent to Mamori's: the SASL
/// login `suspended@mamori.test` refused with `5.7.1 suspended`, every other request DUNNO.
final class PolicyPeer: Sendable {
    let name: String
    let version: String
    let port: Int
    /// Stops the peer (and its children).
    private let stopper: @Sendable () -> Void

    private init(name: String, version: String, port: Int, stopper: @escaping @Sendable () -> Void) {
        self.name = name
        self.version = version
        self.port = port
        self.stopper = stopper
    }

    func stop() { stopper() }

    static let postfwd2 = "/usr/sbin/postfwd2"
    static let policydRateLimit = "/usr/bin/policyd-rate-limit"

    /// A directory the peers (which drop to nobody) can write their pid, socket and database in.
    static func peerDirectory(_ directory: URL, _ name: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        chmod(url.path, 0o777)
        chmod(directory.path, 0o755)
        return url
    }

    /// postfwd2 1.35 (Debian): one rule, `sasl_username==LOGIN ; action=REJECT TEXT`, with the
    /// request cache of Debian's `/etc/default/postfwd` (`--cache=600 --cache-rdomain-only
    /// --cache-no-size`), no logging. It daemonizes (Net::Server::PreFork, 10–100 children);
    /// stopped by SIGTERM to the master named in its pid file.
    static func postfwd(directory: URL) throws -> PolicyPeer {
        guard FileManager.default.isExecutableFile(atPath: postfwd2) else { throw MissingPeer("\(postfwd2) not found (Debian package postfwd)") }
        let dir = try peerDirectory(directory, "postfwd")
        let rules = dir.appendingPathComponent("postfwd.cf")
        try "sasl_username==\(BenchMailCommand.suspendedLogin) ; action=REJECT \(BenchMailCommand.suspendedText)\n".write(
            to: rules, atomically: true, encoding: .utf8)
        let port = try Loopback.freePort()
        let pidFile = dir.appendingPathComponent("postfwd.pid")
        _ = try Subprocess.run([
            postfwd2, "--file", rules.path, "--interface", "127.0.0.1", "--port", String(port), "--user", "nobody", "--group", "nogroup",
            "--pidfile", pidFile.path, "--cache_proto", "unix", "--cache_port", dir.appendingPathComponent("cache.socket").path,
            "--cache=600", "--cache-rdomain-only", "--cache-no-size", "--perfmon",
        ])
        let stop: @Sendable () -> Void = {
            if let text = try? String(contentsOf: pidFile, encoding: .utf8), let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                kill(pid, SIGTERM)
                for _ in 0..<100 where kill(pid, 0) == 0 { usleep(50_000) }
            }
        }
        do {
            try Loopback.waitUntilListening(port: port, timeout: 30)
        } catch {
            stop()
            throw MissingPeer("postfwd2 did not listen on 127.0.0.1:\(port)")
        }
        let version = (try? Subprocess.run([postfwd2, "-V"], check: false))?.stdout.split(separator: "\n").first.map(String.init) ?? "?"
        return PolicyPeer(name: "postfwd2", version: version, port: port, stopper: stop)
    }

    /// policyd-rate-limit (Debian, Python): SASL-keyed limits, `limits_by_id` giving the refused
    /// login a limit of 0 and every other a limit never reached, in its default SQLite backend;
    /// in the foreground under coreutils' `timeout`.
    static func policydRateLimit(directory: URL) throws -> PolicyPeer {
        guard FileManager.default.isExecutableFile(atPath: policydRateLimit) else {
            throw MissingPeer("\(policydRateLimit) not found (Debian package policyd-rate-limit)")
        }
        let dir = try peerDirectory(directory, "policyd-rate-limit")
        let port = try Loopback.freePort()
        let configuration = dir.appendingPathComponent("policyd-rate-limit.yaml")
        try """
        debug: False
        user: "nobody"
        group: "nogroup"
        pidfile: "\(dir.appendingPathComponent("policyd.pid").path)"
        sqlite_config:
            database: "\(dir.appendingPathComponent("db.sqlite3").path)"
        backend: 0
        SOCKET: ["127.0.0.1", \(port)]
        limits:
            - [1000000000, 60]
        limits_by_id: {"\(BenchMailCommand.suspendedLogin)": [[0, 60]]}
        limit_by_sasl: True
        limit_by_sender: False
        limit_by_ip: False
        limited_networks: []
        success_action: "dunno"
        fail_action: "reject \(BenchMailCommand.suspendedText)"
        db_error_action: "dunno"
        report: False

        """.write(to: configuration, atomically: true, encoding: .utf8)
        let child = try CleanChild(
            executable: URL(fileURLWithPath: "/usr/bin/timeout"),
            arguments: ["--kill-after=5", "3600", policydRateLimit, "--file", configuration.path],
            output: dir.appendingPathComponent("policyd.log"))
        let stop: @Sendable () -> Void = {
            child.signal(SIGTERM)
            _ = child.wait(timeout: 10)
        }
        do {
            try Loopback.waitUntilListening(port: port, timeout: 30)
        } catch {
            stop()
            throw MissingPeer("policyd-rate-limit did not listen on 127.0.0.1:\(port)")
        }
        let version = (try? Subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "policyd-rate-limit"], check: false))?.stdout ?? "?"
        return PolicyPeer(name: "policyd-rate-limit", version: "policyd-rate-limit " + version, port: port, stopper: stop)
    }
}
