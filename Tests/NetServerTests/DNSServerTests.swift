import DNS
import DNSServer
import Foundation
import Logging
import MamoriTesting
import MetricsTestKit
import NIOCore
import NIOPosix
import NetServer
import NetTesting
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
import Testing

/// The forwarding DNS server between real peers on loopback: Unbound upstream (local zones only),
/// dig and kdig as clients.
@Suite(
    .serialized, .timeLimit(.minutes(2)),
    .enabled(if: Unbound.isInstalled && FileManager.default.isExecutableFile(atPath: "/usr/bin/dig"), "needs unbound and dig (dnsutils)"))
struct DNSServerTests {
    static let dig = "/usr/bin/dig"
    static let kdig = "/usr/bin/kdig"

    /// 15 TXT records of 200 octets: about 3.2 KB, over 512 and 1232, under 4096.
    static let bigTXT = (0..<15).map { i in "big.example.test. 300 IN TXT \"\(String(repeating: String(UnicodeScalar(UInt8(97 + i))), count: 200))\""
    }

    static let zone =
        [
            "example.test. 3600 IN SOA ns.example.test. host.example.test. 1 3600 600 86400 60",
            "www.example.test. 300 IN A 192.0.2.1",
            "www.example.test. 300 IN AAAA 2001:db8::1",
        ] + bigTXT

    /// A hand-moved clock for the cache.
    final class TestClock: Sendable {
        let now = Mutex(ContinuousClock.now)
        func advance(_ duration: Duration) { now.withLock { $0 += duration } }
        var read: @Sendable () -> ContinuousClock.Instant { { self.now.withLock { $0 } } }
    }

    /// Answers `blocked.example.test` itself (192.0.2.200); forwards the rest.
    struct TestPolicy: DNSPolicy {
        func decide(_ query: DNSMessage, client: SocketAddress) async -> DNSPolicyDecision {
            guard let question = query.questions.first, question.name == (try? DNSName("blocked.example.test")) else { return .forward }
            var answer = DNSForwarding.errorResponse(to: query, rcode: DNSRCode.noError)
            answer.answers = [DNSRecord(name: question.name, type: .a, ttl: 60, data: .a([192, 0, 2, 200]))]
            return .answer(answer)
        }
    }

    /// Starts the server on a free port forwarding to `upstreams`, runs `body`, shuts it down gracefully.
    static func withDNSServer<T: Sendable>(
        host: String = "127.0.0.1", upstreams: [SocketAddress], clock: TestClock = TestClock(), timeout: Duration = .seconds(2),
        logs: CapturedLogs = CapturedLogs(),
        _ body: @escaping @Sendable (DNSServer<TestPolicy>, Int) async throws -> T
    ) async throws -> T {
        var configuration = DNSServerConfiguration(host: host, port: try Loopback.freePort(), upstreams: upstreams)
        configuration.upstreamTimeout = timeout
        configuration.now = clock.read
        let server = DNSServer(configuration: configuration, policy: TestPolicy(), logger: logs.logger(), metricsFactory: TestMetrics())
        return try await withServer(
            server,
            listening: {
                try await server.waitUntilListening()
                return try await server.udp.listeningAddress()
            }
        ) { address, _ in try await body(server, address.port!) }
    }

    /// dig against 127.0.0.1:`port`; its output.
    static func dig(_ port: Int, _ arguments: [String]) async throws -> String {
        let (status, output) = try await Command.run(dig, ["@127.0.0.1", "-p", "\(port)", "+time=10", "+tries=2"] + arguments)
        #expect(status == 0, "dig \(arguments): \(output)")
        return output
    }

    static func upstream(_ unbound: Unbound) throws -> SocketAddress { try SocketAddress(ipAddress: "127.0.0.1", port: unbound.port) }

    @Test func answersOverUDPAndTCPWithDigAndKdig() async throws {
        let unbound = try Unbound(localData: Self.zone)
        defer { unbound.stop() }
        try await Self.withDNSServer(upstreams: [try Self.upstream(unbound)]) { server, port in
            let udp = try await Self.dig(port, ["www.example.test", "A"])
            #expect(udp.contains("status: NOERROR"))
            #expect(udp.contains("192.0.2.1"))
            let tcp = try await Self.dig(port, ["+tcp", "www.example.test", "AAAA"])
            #expect(tcp.contains("2001:db8::1"))
            let nx = try await Self.dig(port, ["nothing.example.test"])
            #expect(nx.contains("status: NXDOMAIN"))
            // The policy hook answers on its own.
            let blocked = try await Self.dig(port, ["blocked.example.test"])
            #expect(blocked.contains("192.0.2.200"))
            if FileManager.default.isExecutableFile(atPath: Self.kdig) {
                for transport in ["+notcp", "+tcp"] {
                    let (status, output) = try await Command.run(
                        Self.kdig, ["@127.0.0.1", "-p", "\(port)", transport, "+time=10", "+retry=1", "www.example.test", "A"])
                    #expect(status == 0 && output.contains("NOERROR") && output.contains("192.0.2.1"), "kdig \(transport): \(output)")
                }
            }
            #expect(server.udp.stats.requests[.replied] ?? 0 >= 4)
            #expect(server.tcp.stats.requests[.replied] ?? 0 >= 1)
        }
    }

    @Test func ipv6LoopbackBothWays() async throws {
        let unbound = try Unbound(localData: Self.zone, ipv6: true)
        defer { unbound.stop() }
        let upstream = try SocketAddress(ipAddress: "::1", port: unbound.port)
        try await Self.withDNSServer(host: "::1", upstreams: [upstream]) { server, port in
            for transport in ["+notcp", "+tcp"] {
                let (status, output) = try await Command.run(
                    Self.dig, ["-6", "@::1", "-p", "\(port)", "+time=10", "+tries=2", transport, "www.example.test"])
                #expect(status == 0 && output.contains("192.0.2.1"), "dig \(transport): \(output)")
            }
            #expect(server.forwarder.stats.answers == 1)  // the second from the cache
        }
    }

    @Test func ednsIsKept() async throws {
        let unbound = try Unbound(localData: Self.zone)
        defer { unbound.stop() }
        try await Self.withDNSServer(upstreams: [try Self.upstream(unbound)]) { _, port in
            // The client's OPT goes upstream: Unbound echoes its DO bit, and an OPT comes back.
            let withEDNS = try await Self.dig(port, ["+bufsize=1400", "+dnssec", "www.example.test"])
            #expect(withEDNS.contains("; EDNS: version: 0, flags: do;"))
            // No OPT asked, none answered.
            let without = try await Self.dig(port, ["+noedns", "www.example.test"])
            #expect(!without.contains("EDNS:"))
            #expect(without.contains("192.0.2.1"))
        }
    }

    @Test func theCacheAnswersTheSecondTimeWithLowerTTLs() async throws {
        let unbound = try Unbound(localData: Self.zone)
        defer { unbound.stop() }
        let clock = TestClock()
        try await Self.withDNSServer(upstreams: [try Self.upstream(unbound)], clock: clock) { server, port in
            let first = try await Self.dig(port, ["+noall", "+answer", "www.example.test"])
            #expect(first.contains("300\tIN\tA\t192.0.2.1"))
            let sent = server.forwarder.stats.udpQueries
            clock.advance(.seconds(100))
            let second = try await Self.dig(port, ["+noall", "+answer", "WWW.EXAMPLE.TEST"])
            #expect(second.contains("200\tIN\tA\t192.0.2.1"))
            #expect(second.contains("WWW.EXAMPLE.TEST."))  // the question as asked
            #expect(server.forwarder.stats.udpQueries == sent)
            #expect(server.processor.cacheStats.hits == 1)
            // Expired: asked upstream again.
            clock.advance(.seconds(200))
            let third = try await Self.dig(port, ["+noall", "+answer", "www.example.test"])
            #expect(third.contains("300\tIN\tA\t192.0.2.1"))
            #expect(server.forwarder.stats.udpQueries == sent + 1)
        }
    }

    @Test func aDeadUpstreamIsSkippedAndNoneLeftIsSERVFAIL() async throws {
        let unbound = try Unbound(localData: Self.zone)
        defer { unbound.stop() }
        // A port nothing listens on (UDP datagrams to it vanish): the query times out there.
        let dead = try SocketAddress(ipAddress: "127.0.0.1", port: try Loopback.freePort())
        try await Self.withDNSServer(upstreams: [dead, try Self.upstream(unbound)], timeout: .milliseconds(400)) { server, port in
            let answer = try await Self.dig(port, ["www.example.test"])
            #expect(answer.contains("192.0.2.1"))
            #expect(server.forwarder.stats.timeouts + server.forwarder.stats.errors == 1)
        }
        try await Self.withDNSServer(upstreams: [dead], timeout: .milliseconds(300)) { server, port in
            let answer = try await Self.dig(port, ["www.example.test"])
            #expect(answer.contains("status: SERVFAIL"))
            #expect(server.forwarder.stats.failures == 1)
        }
    }

    @Test func truncationTowardUDPClientsAndTheTCPRetryUpstream() async throws {
        let unbound = try Unbound(localData: Self.zone)
        defer { unbound.stop() }
        try await Self.withDNSServer(upstreams: [try Self.upstream(unbound)]) { server, port in
            // 512 bytes: the upstream truncates too, the server asks again over TCP, then cuts to 512 with TC.
            let small = try await Self.dig(port, ["+bufsize=512", "+ignore", "big.example.test", "TXT"])
            #expect(small.contains(" tc"))
            #expect(small.contains("MSG SIZE  rcvd: ") && Self.messageSize(small).map { $0 <= 512 } == true)
            #expect(server.forwarder.stats.tcpQueries >= 1)
            let noEDNS = try await Self.dig(port, ["+noedns", "+ignore", "big.example.test", "TXT"])
            #expect(noEDNS.contains(" tc") && Self.messageSize(noEDNS).map { $0 <= 512 } == true)
            // 4096 bytes: everything fits over UDP (from the cache now).
            let large = try await Self.dig(port, ["+bufsize=4096", "+ignore", "big.example.test", "TXT"])
            #expect(!large.contains(" tc"))
            #expect(large.contains("ANSWER: 15"))
            // Over TCP, everything.
            let tcp = try await Self.dig(port, ["+tcp", "big.example.test", "TXT"])
            #expect(tcp.contains("ANSWER: 15"))
        }
    }

    /// The `MSG SIZE  rcvd:` of dig's output.
    static func messageSize(_ output: String) -> Int? {
        guard let range = output.range(of: "MSG SIZE  rcvd: ") else { return nil }
        return Int(output[range.upperBound...].prefix { $0.isNumber })
    }

    @Test func malformedDatagramsAreCountedAndTheServerKeepsServing() async throws {
        let unbound = try Unbound(localData: Self.zone)
        defer { unbound.stop() }
        let logs = CapturedLogs()
        try await Self.withDNSServer(upstreams: [try Self.upstream(unbound)], logs: logs) { server, port in
            let address = try SocketAddress(ipAddress: "127.0.0.1", port: port)
            // Too short for a header: dropped. A header claiming a question that is not there: FORMERR.
            // A response sent to us: dropped (no loops).
            var response = DNSMessage(header: DNSHeader(id: 5))
            response.header.isResponse = true
            let replies = try await UDPProbe.exchange(
                [[1, 2, 3], [0xAB, 0xCD, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x07], try response.bytes()], with: address, expecting: 1,
                timeout: .seconds(10))
            #expect(replies.count == 1)
            let formerr = try DNSMessage(decoding: try #require(replies.first))
            #expect(formerr.header.id == 0xABCD && formerr.header.rcode == DNSRCode.formatError)
            // A TCP frame too short for a header closes that connection.
            let raw = try await connectRaw(to: address)
            try await raw.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(bytes: [0, 2, 0xFF, 0xFF]))
                for try await _ in inbound {}
            }
            let answer = try await Self.dig(port, ["www.example.test"])
            #expect(answer.contains("192.0.2.1"))
            #expect(server.udp.stats.dropped[.malformed] == 3)
            #expect(server.tcp.stats.dropped[.malformed] == 1)
        }
        #expect(!logs.text.contains("127.0.0.1:"))
    }

    @Test func answersThatDoNotMatchTheQueryAreDroppedAndEachQueryHasItsOwnPort() async throws {
        let sourcePorts = SourcePorts()
        try await withMismatchingUpstream(sourcePorts: sourcePorts) { fake in
            try await Self.withDNSServer(upstreams: [fake]) { server, port in
                let answer = try await Self.dig(port, ["www.example.test"])
                #expect(answer.contains("192.0.2.77"))
                #expect(!answer.contains("192.0.2.66") && !answer.contains("192.0.2.55"))
                // The three wrong answers arrive before the right one; later ones would be dropped with the socket.
                #expect(server.forwarder.stats.mismatched == 3)
                #expect(server.forwarder.stats.answers == 1)
                // Another query (not cached): another socket, another source port.
                let other = try await Self.dig(port, ["other.example.test"])
                #expect(other.contains("192.0.2.77"))
            }
        }
        let ports = sourcePorts.ports.withLock { $0 }
        #expect(ports.count == 2 && Set(ports).count == 2 && !ports.contains(0))
    }
}

/// The source ports a fake upstream saw.
final class SourcePorts: Sendable {
    let ports = Mutex<[Int]>([])
}

/// A fake upstream on 127.0.0.1 that answers each query four times: first correctly but from
/// another socket (another source port: 192.0.2.55), then with the wrong id (192.0.2.66), then for
/// another name (192.0.2.66), then correctly (192.0.2.77). Serves while `body` runs; the source
/// port of each query it gets goes to `sourcePorts`.
func withMismatchingUpstream<T: Sendable>(sourcePorts: SourcePorts? = nil, _ body: (SocketAddress) async throws -> T) async throws -> T {
    func udpSocket() async throws -> NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>> {
        try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(inboundType: AddressedEnvelope<ByteBuffer>.self, outboundType: AddressedEnvelope<ByteBuffer>.self))
                }
            }
    }
    let channel = try await udpSocket()
    let spoofer = try await udpSocket()
    let address = try #require(channel.channel.localAddress)
    return try await spoofer.executeThenClose { _, spoofed in
        try await channel.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await envelope in inbound {
                        guard let query = try? DNSMessage(decoding: envelope.data), let question = query.questions.first else { continue }
                        sourcePorts?.ports.withLock { $0.append(envelope.remoteAddress.port ?? 0) }
                        func response(_ message: DNSMessage, _ octet: UInt8) throws -> AddressedEnvelope<ByteBuffer> {
                            var response = message
                            response.header.isResponse = true
                            response.answers = [DNSRecord(name: question.name, type: .a, ttl: 60, data: .a([192, 0, 2, octet]))]
                            return AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: try response.bytes()))
                        }
                        try await spoofed.write(try response(query, 55))
                        // Let the spoofed one arrive first (another socket: no order between the two).
                        try await Task.sleep(for: .milliseconds(50))
                        var wrongID = query
                        wrongID.header.id &+= 1
                        var wrongName = query
                        wrongName.questions[0].name = try DNSName("evil.example.test")
                        for (message, octet) in [(wrongID, UInt8(66)), (wrongName, 66), (query, 77)] {
                            try await outbound.write(try response(message, octet))
                        }
                    }
                }
                defer { group.cancelAll() }
                return try await body(address)
            }
        }
    }
}
