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

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `mamori-bench mail`: the Postfix log parser against `fail2ban-regex` with the
/// `postfix[mode=auth]` filter on the same file, and the policy server's throughput and p99 at 1,
/// 10 and 50 connections (postfwd and policyd-rate-limit are not driven yet: see docs/benchmarks.md).
struct BenchMailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail",
        abstract: "The mail guard: Postfix log parsing against fail2ban-regex, policy server throughput and p99.",
        discussion: """
            Builds a Postfix log of LINES lines from the corpus's real Postfix logs (repeated, times \
            shifted by a second per copy), parses it with the guard's parser and queue-id join, then \
            runs fail2ban-regex FILE 'postfix[mode=auth]' on the same file. Serves the policy server \
            in this process on a free loopback port and sends REQUESTS captured Postfix 3.7.11 requests \
            over 1, 10 and 50 persistent connections (one blocking client thread each).
            """)

    @Option(help: "Lines in the generated Postfix log.")
    var lines: Int = 1_000_000

    @Option(help: "Policy requests per connection count.")
    var requests: Int = 100_000

    @Flag(help: "Skip fail2ban-regex.")
    var noFail2ban = false

    func run() async throws {
        guard Corpus.isPresent else { throw ValidationError(Corpus.missingMessage) }
        let directory = try Loopback.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try benchLog(directory)
        try await benchPolicy()
    }

    func benchLog(_ directory: URL) throws {
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
        let (counts, seconds) = try Stopwatch.seconds { () throws -> (Int, Int) in
            let text = try String(contentsOf: path, encoding: .utf8)
            var joiner = SubmissionJoiner()
            var failures = 0
            var submissions = 0
            for line in text.split(separator: "\n") {
                guard let event = try? parser.parse(line) else { continue }
                if case .authFailure = event { failures += 1 }
                if joiner.take(event) != nil { submissions += 1 }
            }
            return (failures, submissions)
        }
        Output.line(
            "log: \(lines) lines, \(counts.0) AUTH failures, \(counts.1) joined submissions: \(String(format: "%.3f", seconds)) s, "
                + "\(Int(Double(lines) / seconds)) lines/s")
        guard !noFail2ban, FileManager.default.isExecutableFile(atPath: "/usr/bin/fail2ban-regex") else { return }
        let (result, f2bSeconds) = try Stopwatch.seconds {
            try Subprocess.run(["/usr/bin/fail2ban-regex", "--print-no-missed", path.path, "postfix[mode=auth]"], check: false)
        }
        let matched = result.stdout.split(separator: "\n").first { $0.contains("Failregex:") }.map(String.init) ?? "?"
        Output.line(
            "fail2ban-regex postfix[mode=auth]: \(String(format: "%.3f", f2bSeconds)) s, \(Int(Double(lines) / f2bSeconds)) lines/s (\(matched)); "
                + "ratio \(String(format: "%.1f", f2bSeconds / seconds))×")
    }

    func benchPolicy() async throws {
        let text = try String(contentsOf: Corpus.file("smtp/generated/postfix-policy-requests.jsonl"), encoding: .utf8)
        var wire: [[UInt8]] = []
        for line in text.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let request = object["request"] as? [String: String]
            else { continue }
            wire.append(Array((request.map { "\($0.key)=\($0.value)\n" }.joined() + "\n").utf8))
        }
        let requests = wire
        var configuration = MailGuardConfiguration()
        configuration.suspendedText = "5.7.1 suspended"
        let guardian = MailGuard(
            configuration: configuration, audit: InMemoryAuditLog(), pseudonymizer: try Pseudonymizer(key: try Pseudonymizer.generateKey()))
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
        for connections in [1, 10, 50] {
            let perConnection = max(1, self.requests / connections)
            let latencies = LatencyBox()
            let (_, seconds) = Stopwatch.seconds {
                let threads = (0..<connections).map { index in
                    Thread {
                        latencies.add(Self.client(port: port, requests: perConnection, wire: requests, offset: index))
                    }
                }
                threads.forEach { $0.start() }
                while !latencies.done(connections) { usleep(1000) }
            }
            let all = latencies.all.sorted()
            guard !all.isEmpty else { continue }
            let p50 = all[all.count / 2] * 1000
            let p99 = all[min(all.count - 1, all.count * 99 / 100)] * 1000
            Output.line(
                "policy \(connections) connection(s): \(all.count) requests, \(Int(Double(all.count) / seconds)) req/s, "
                    + "p50 \(String(format: "%.3f", p50)) ms, p99 \(String(format: "%.3f", p99)) ms")
        }
    }

    /// One blocking client: send a request, read `action=…\n\n`, repeat; the latencies in seconds.
    static func client(port: Int, requests: Int, wire: [[UInt8]], offset: Int) -> [Double] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { return [] }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var latencies: [Double] = []
        latencies.reserveCapacity(requests)
        var buffer = [UInt8](repeating: 0, count: 512)
        for i in 0..<requests {
            let request = wire[(i + offset) % wire.count]
            let start = DispatchTime.now().uptimeNanoseconds
            guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else { break }
            var received: [UInt8] = []
            while !(received.count >= 2 && received[received.count - 1] == 0x0A && received[received.count - 2] == 0x0A) {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { return latencies }
                received += buffer[0..<n]
            }
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return latencies
    }
}

/// The client threads' latencies, collected under a lock.
final class LatencyBox: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Double] = []
    private var finished = 0

    func add(_ latencies: [Double]) {
        lock.lock()
        values += latencies
        finished += 1
        lock.unlock()
    }

    func done(_ count: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return finished >= count
    }

    var all: [Double] {
        lock.lock()
        defer { lock.unlock() }
        return values
    }
}
