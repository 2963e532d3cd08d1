import DNS
import Foundation
import MetricsTestKit
import NIOCore
import NIOPosix
import NetServer
import NetTesting
import ServiceLifecycleTestKit
import Testing

/// A stream handler for the tests on DNS's two-octet framing: echoes, except `bad…` (malformed,
/// answered `E`), `throw…` (throws) and `slow…` (echoes after 300 ms).
struct TestStreamHandler: StreamHandler {
    typealias Inbound = ByteBuffer
    typealias Outbound = ByteBuffer

    func addCodec(to pipeline: ChannelPipeline.SynchronousOperations, configuration: NetServerConfiguration) throws {
        try pipeline.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder()))
        try pipeline.addHandler(MessageToByteHandler(DNSTCPFrameEncoder()))
    }

    func handle(_ message: ByteBuffer, from peer: SocketAddress) async throws -> HandlerResult<ByteBuffer> {
        try await TestDatagramHandler().handle(message, from: peer)
    }
}

/// 12 bytes or more, so that DNS framing takes it.
func frame(_ text: String) -> ByteBuffer { ByteBuffer(string: text.padding(toLength: max(12, text.count), withPad: ".", startingAt: 0)) }

@Suite(.timeLimit(.minutes(1))) struct TCPServerTests {
    static func server(
        _ configure: (inout NetServerConfiguration) -> Void = { _ in }, logs: CapturedLogs = CapturedLogs()
    ) -> TCPServer<TestStreamHandler> {
        var configuration = NetServerConfiguration(name: "test", host: "127.0.0.1", port: 0)
        // Long enough that a loaded machine never closes a connection mid-test (the idle test sets its own).
        configuration.idleTimeout = .seconds(120)
        configure(&configuration)
        return TCPServer(configuration: configuration, handler: TestStreamHandler(), logger: logs.logger(), metricsFactory: TestMetrics())
    }

    /// Sends `messages` on `connection` and reads `count` replies, or fewer if it closes.
    static func exchange(
        _ connection: FramedConnection, _ messages: [ByteBuffer], expecting count: Int
    ) async throws -> (replies: [String], closed: Bool) {
        try await connection.executeThenClose { inbound, outbound in
            var replies: [String] = []
            // A server that closes the connection first (over the limit, say) may do so before
            // the write: the write then fails (closed channel, reset), which is that answer too.
            do {
                for message in messages { try await outbound.write(message) }
            } catch {
                return (replies, true)
            }
            var iterator = inbound.makeAsyncIterator()
            while replies.count < count {
                guard let reply = try? await iterator.next() else { return (replies, true) }
                replies.append(String(buffer: reply))
            }
            return (replies, false)
        }
    }

    @Test func framedMessagesAreAnsweredInOrder() async throws {
        let server = Self.server()
        try await withServer(server, listening: server.listeningAddress) { address, _ in
            let connection = try await connectFramed(to: address)
            let (replies, _) = try await Self.exchange(connection, [frame("first message"), frame("second message")], expecting: 2)
            #expect(replies == ["first message", "second message"])
        }
        #expect(server.stats.requests[.replied] == 2)
        #expect(server.stats.connectionsAccepted == 1)
        #expect(server.stats.connections == 0)
    }

    @Test func garbageClosesThatConnectionOnly() async throws {
        let logs = CapturedLogs()
        let server = Self.server(logs: logs)
        try await withServer(server, listening: server.listeningAddress) { address, _ in
            // A frame of length 1 cannot hold a DNS header: the codec refuses it, the connection closes.
            let raw = try await connectRaw(to: address)
            let closed: Bool = try await raw.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(bytes: [0, 1, 0xFF]))
                for try await _ in inbound {}
                return true
            }
            #expect(closed)
            // A malformed message the handler recognises is answered, the connection stays.
            let connection = try await connectFramed(to: address)
            let (replies, _) = try await Self.exchange(connection, [frame("bad input here"), frame("fine input here")], expecting: 2)
            #expect(replies == ["malformed!!!", "fine input here"])
        }
        #expect(server.stats.dropped[.malformed] == 2)
        #expect(!logs.text.contains("127.0.0.1"))
    }

    /// The two ways a ``TCPServer`` serves its connections: a task per message, or on the event
    /// loop (``ImmediateStreamHandler``).
    enum Serving: CaseIterable, Sendable { case task, eventLoop }

    /// Runs a server of `serving` with `configure` under `body`; its counts afterwards.
    static func withServing(
        _ serving: Serving, _ configure: @escaping (inout NetServerConfiguration) -> Void,
        _ body: @escaping @Sendable (SocketAddress) async throws -> Void
    ) async throws -> NetServerStats {
        switch serving {
        case .task:
            let server = Self.server(configure)
            try await withServer(server, listening: server.listeningAddress) { address, _ in try await body(address) }
            return server.stats
        case .eventLoop:
            let server = ImmediateTCPServerTests.server(configure)
            try await withServer(server, listening: server.listeningAddress) { address, _ in try await body(address) }
            return server.stats
        }
    }

    @Test(arguments: Serving.allCases)
    func connectionsOverTheLimitAreClosed(_ serving: Serving) async throws {
        let stats = try await Self.withServing(serving, { $0.maxConnections = 1 }) { address in
            let first = try await connectFramed(to: address)
            try await first.executeThenClose { inbound, outbound in
                try await outbound.write(frame("hold the slot"))
                var iterator = inbound.makeAsyncIterator()
                #expect(try await iterator.next().map { String(buffer: $0) } == "hold the slot")
                // The second connection is accepted by the kernel, then closed by the server.
                let second = try await connectFramed(to: address)
                let (replies, closed) = try await Self.exchange(second, [frame("let me in now")], expecting: 1)
                #expect(replies.isEmpty && closed)
            }
        }
        #expect(stats.dropped[.connectionLimit] == 1)
        #expect(stats.connectionsAccepted == 1)
    }

    @Test func idleConnectionsAreClosed() async throws {
        let server = Self.server { $0.idleTimeout = .milliseconds(200) }
        try await withServer(server, listening: server.listeningAddress) { address, _ in
            let connection = try await connectFramed(to: address)
            let start = ContinuousClock.now
            let (_, closed) = try await Self.exchange(connection, [], expecting: 1)
            #expect(closed)
            #expect(ContinuousClock.now - start < .seconds(60))  // a hang guard: the idle timer is 200 ms
        }
        #expect(server.stats.dropped[.idleTimeout] == 1)
    }

    @Test func gracefulShutdownFinishesTheMessageInHandThenCloses() async throws {
        let server = Self.server()
        let (replies, closed) = try await withServer(server, listening: server.listeningAddress) { address, trigger in
            let connection = try await connectFramed(to: address)
            return try await connection.executeThenClose { inbound, outbound in
                try await outbound.write(frame("slow goodbye"))
                // Shut down once the server has accepted the connection (a loaded machine may
                // take a while), while the handler holds the message (it answers after 300 ms).
                while server.stats.connectionsAccepted == 0 { try await Task.sleep(for: .milliseconds(10)) }
                try await Task.sleep(for: .milliseconds(100))
                trigger.triggerGracefulShutdown()
                var replies: [String] = []
                do {
                    for try await reply in inbound { replies.append(String(buffer: reply)) }
                } catch {}
                return (replies, true)
            }
        }
        #expect(replies == ["slow goodbye"] && closed)
    }
}
