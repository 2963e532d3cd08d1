import Logging
import MetricsTestKit
import NIOCore
import NIOPosix
import NetServer
import NetTesting
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
import Testing

/// A datagram handler for the tests: echoes, except `bad…` (malformed, answered `malformed!!!`), `throw…`
/// (throws) and `slow…` (echoes after `delay`).
struct TestDatagramHandler: DatagramHandler {
    var delay: Duration = .milliseconds(300)

    struct Failure: Error {}

    func handle(_ datagram: ByteBuffer, from peer: SocketAddress) async throws -> HandlerResult<ByteBuffer> {
        let text = String(buffer: datagram)
        if text.hasPrefix("bad") { return .malformed(reason: "test says bad", reply: ByteBuffer(string: "malformed!!!")) }
        if text.hasPrefix("throw") { throw Failure() }
        if text.hasPrefix("quiet") { return .noReply }
        if text.hasPrefix("slow") { try await Task.sleep(for: delay) }
        return .reply(datagram)
    }
}

/// Runs `server` in a task while `body` runs, under a graceful-shutdown trigger; shuts it down
/// gracefully after `body` and waits for `run()` to return.
func withServer<S: Service, T: Sendable>(
    _ server: S, listening: @escaping @Sendable () async throws -> SocketAddress,
    _ body: @escaping @Sendable (SocketAddress, GracefulShutdownTestTrigger) async throws -> T
) async throws -> T {
    try await testGracefulShutdown { trigger in
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await server.run()
                return nil
            }
            let address = try await listening()
            let result = try await body(address, trigger)
            trigger.triggerGracefulShutdown()
            // run() must return on its own after a graceful shutdown (the suites have a time limit).
            while let next = try await group.next() { _ = next }
            return result
        }
    }
}

@Suite(.timeLimit(.minutes(1))) struct UDPServerTests {
    static func server(
        _ configure: (inout NetServerConfiguration) -> Void = { _ in }, metrics: TestMetrics = TestMetrics(), logs: CapturedLogs = CapturedLogs()
    )
        -> UDPServer<TestDatagramHandler>
    {
        var configuration = NetServerConfiguration(name: "test", host: "127.0.0.1", port: 0)
        configure(&configuration)
        return UDPServer(configuration: configuration, handler: TestDatagramHandler(), logger: logs.logger(), metricsFactory: metrics)
    }

    @Test func echoesAndCountsWithBoundedLabels() async throws {
        let metrics = TestMetrics()
        let server = Self.server(metrics: metrics)
        try await withServer(server, listening: server.listeningAddress) { address, _ in
            #expect(address.port != 0)
            let replies = try await UDPProbe.exchange([Array("hello".utf8)], with: address, expecting: 1)
            #expect(replies.map { String(buffer: $0) } == ["hello"])
            _ = try await UDPProbe.exchange([Array("quiet".utf8)], with: address, expecting: 0, timeout: .milliseconds(200))
        }
        #expect(server.stats.requests == [.replied: 1, .noReply: 1])
        #expect(
            metrics.counterTotal(label: "mamori_net_requests_total", dimensions: [("server", "test"), ("transport", "udp"), ("outcome", "replied")])
                == 1)
        // Labels: only the bounded ones, never an address.
        for counter in metrics.counters {
            #expect(Set(counter.dimensions.map(\.0)).isSubset(of: ["server", "transport", "outcome", "reason"]))
            #expect(!counter.dimensions.contains { $0.1.contains("127.0.0.1") })
        }
    }

    @Test func malformedInputAndHandlerErrorsAreCountedAndServingGoesOn() async throws {
        let logs = CapturedLogs()
        let server = Self.server(logs: logs)
        try await withServer(server, listening: server.listeningAddress) { address, _ in
            let bad = try await UDPProbe.exchange([Array("bad one".utf8)], with: address, expecting: 1)
            #expect(bad.map { String(buffer: $0) } == ["malformed!!!"])
            _ = try await UDPProbe.exchange([Array("throw".utf8), Array("bad two".utf8)], with: address, expecting: 1)
            let ok = try await UDPProbe.exchange([Array("still here".utf8)], with: address, expecting: 1)
            #expect(ok.map { String(buffer: $0) } == ["still here"])
        }
        #expect(server.stats.dropped[.malformed] == 2)
        #expect(server.stats.dropped[.handlerError] == 1)
        #expect(server.stats.requests[.replied] == 1)
        // Logged once per reason in the interval (the second malformed is suppressed), never the peer.
        #expect(logs.all.filter { $0.message == "malformed datagram" }.count == 1)
        #expect(logs.text.contains("test says bad"))
        #expect(!logs.text.contains("127.0.0.1:"))
    }

    @Test func overloadAndOversizedDatagramsAreDropped() async throws {
        let server = Self.server {
            $0.maxInFlightDatagrams = 2
            $0.maxMessageSize = 100
        }
        try await withServer(server, listening: server.listeningAddress) { address, _ in
            let burst = (0..<10).map { Array("slow \($0)".utf8) }
            let replies = try await UDPProbe.exchange(burst, with: address, expecting: 10, timeout: .seconds(10))
            #expect(replies.count >= 2 && replies.count < 10)
            let big = try await UDPProbe.exchange([[UInt8](repeating: 0x41, count: 101)], with: address, expecting: 1, timeout: .milliseconds(300))
            #expect(big.isEmpty)
            let fits = try await UDPProbe.exchange([[UInt8](repeating: 0x41, count: 100)], with: address, expecting: 1)
            #expect(fits.count == 1)
        }
        let stats = server.stats
        #expect((stats.dropped[.overload] ?? 0) >= 1)
        #expect((stats.dropped[.overload] ?? 0) + (stats.requests[.replied] ?? 0) == 11)
        #expect(stats.dropped[.tooLarge] == 1)
    }

    /// Tells when a datagram reached the handler, then answers it after 300 ms.
    struct ArrivalHandler: DatagramHandler {
        let arrived = Arrivals()

        final class Arrivals: Sendable {
            let count = Atomic<Int>(0)
        }

        func handle(_ datagram: ByteBuffer, from peer: SocketAddress) async throws -> HandlerResult<ByteBuffer> {
            arrived.count.add(1, ordering: .sequentiallyConsistent)
            try await Task.sleep(for: .milliseconds(300))
            return .reply(datagram)
        }
    }

    @Test func gracefulShutdownAnswersWhatIsInFlight() async throws {
        let handler = ArrivalHandler()
        let server = UDPServer(
            configuration: NetServerConfiguration(name: "test", host: "127.0.0.1", port: 0), handler: handler, logger: CapturedLogs().logger(),
            metricsFactory: TestMetrics())
        let replies = try await withServer(server, listening: server.listeningAddress) { address, trigger in
            try await withThrowingTaskGroup(of: [ByteBuffer].self) { group in
                group.addTask { try await UDPProbe.exchange([Array("slow and steady".utf8)], with: address, expecting: 1) }
                // Shut down once the datagram is in the handler's hands (a fixed pause raced a
                // loaded machine: the shutdown came before the datagram and nothing was in flight).
                while handler.arrived.count.load(ordering: .sequentiallyConsistent) == 0 { try await Task.sleep(for: .milliseconds(10)) }
                trigger.triggerGracefulShutdown()
                return try await group.next()!
            }
        }
        #expect(replies.map { String(buffer: $0) } == ["slow and steady"])
    }

    @Test func aBindErrorReachesListeningAddressAndRun() async throws {
        // 192.0.2.1 (TEST-NET-1) is no address of this machine: the bind fails, nothing is sent.
        let server = Self.server { $0.host = "192.0.2.1" }
        await #expect(throws: (any Error).self) { try await server.run() }
        await #expect(throws: (any Error).self) { _ = try await server.listeningAddress() }
    }
}
