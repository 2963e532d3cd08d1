import DNS
import MetricsTestKit
import NIOCore
import NIOPosix
import NetServer
import NetTesting
import ServiceLifecycleTestKit
import Testing

/// The same framing as ``TestStreamHandler``, answered on the event loop: echoes, except `bad…`
/// (malformed, answered `malformed!!!`), `throw…` (throws) and `quiet…` (no reply).
struct TestImmediateHandler: ImmediateStreamHandler {
    typealias Inbound = ByteBuffer
    typealias Outbound = ByteBuffer

    struct Failure: Error {}

    func addCodec(to pipeline: ChannelPipeline.SynchronousOperations, configuration: NetServerConfiguration) throws {
        try pipeline.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder()))
        try pipeline.addHandler(MessageToByteHandler(DNSTCPFrameEncoder()))
    }

    func handleNow(_ message: ByteBuffer, from peer: SocketAddress) throws -> HandlerResult<ByteBuffer> {
        let text = String(buffer: message)
        if text.hasPrefix("bad") { return .malformed(reason: "test says bad", reply: ByteBuffer(string: "malformed!!!")) }
        if text.hasPrefix("throw") { throw Failure() }
        if text.hasPrefix("quiet") { return .noReply }
        return .reply(message)
    }
}

/// ``TCPServer`` with an ``ImmediateStreamHandler``: the same contract as the task-per-message
/// path (order, counters, malformed input, errors, graceful shutdown), over loopback; the
/// connection limit is `TCPServerTests.connectionsOverTheLimitAreClosed`, run for both paths.
@Suite(.timeLimit(.minutes(1))) struct ImmediateTCPServerTests {
    static func server(
        _ configure: (inout NetServerConfiguration) -> Void = { _ in }, logs: CapturedLogs = CapturedLogs()
    ) -> TCPServer<TestImmediateHandler> {
        var configuration = NetServerConfiguration(name: "test", host: "127.0.0.1", port: 0)
        configuration.idleTimeout = .seconds(120)
        configure(&configuration)
        return TCPServer(configuration: configuration, handler: TestImmediateHandler(), logger: logs.logger(), metricsFactory: TestMetrics())
    }

    @Test func pipelinedMessagesAreAnsweredInOrder() async throws {
        let server = Self.server()
        try await withServer(server, listening: server.listeningAddress) { address, _ in
            // Three frames in one write (one read on the server side, most likely), then one more.
            let raw = try await connectRaw(to: address)
            let replies: [String] = try await raw.executeThenClose { inbound, outbound in
                var batch = ByteBuffer()
                for text in ["first message", "quiet message", "third message"] {
                    let body = frame(text)
                    batch.writeInteger(UInt16(body.readableBytes))
                    batch.writeImmutableBuffer(body)
                }
                try await outbound.write(batch)
                var received = ByteBuffer()
                var iterator = inbound.makeAsyncIterator()
                while received.readableBytes < 2 * (2 + 13) {
                    guard var chunk = try await iterator.next() else { break }
                    received.writeBuffer(&chunk)
                }
                var texts: [String] = []
                while let length = received.readInteger(as: UInt16.self), let text = received.readString(length: Int(length)) { texts.append(text) }
                return texts
            }
            #expect(replies == ["first message", "third message"])
        }
        #expect(server.stats.requests[.replied] == 2)
        #expect(server.stats.requests[.noReply] == 1)
        #expect(server.stats.connectionsAccepted == 1)
        #expect(server.stats.connections == 0)
    }

    @Test func garbageAndHandlerErrorsCloseThatConnectionOnly() async throws {
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
            // A handler error closes its connection after what was answered before it.
            let failing = try await connectFramed(to: address)
            let (before, closedAfterError) = try await TCPServerTests.exchange(
                failing, [frame("fine before error"), frame("throw now please")], expecting: 2)
            #expect(before == ["fine before error"] && closedAfterError)
            // A malformed message the handler recognises is answered; the connection stays.
            let connection = try await connectFramed(to: address)
            let (replies, _) = try await TCPServerTests.exchange(connection, [frame("bad input here"), frame("fine input here")], expecting: 2)
            #expect(replies == ["malformed!!!", "fine input here"])
        }
        #expect(server.stats.dropped[.malformed] == 2)
        #expect(server.stats.dropped[.handlerError] == 1)
        #expect(server.stats.requests[.failed] == 1)
        #expect(server.stats.connections == 0)
        #expect(!logs.text.contains("127.0.0.1"))
    }

    @Test func gracefulShutdownClosesOpenConnections() async throws {
        let server = Self.server()
        let (replies, closed) = try await withServer(server, listening: server.listeningAddress) { address, trigger in
            let connection = try await connectFramed(to: address)
            return try await connection.executeThenClose { inbound, outbound in
                try await outbound.write(frame("answered before shutdown"))
                var iterator = inbound.makeAsyncIterator()
                var replies: [String] = []
                if let reply = try await iterator.next() { replies.append(String(buffer: reply)) }
                trigger.triggerGracefulShutdown()
                do {
                    while let reply = try await iterator.next() { replies.append(String(buffer: reply)) }
                } catch {}
                return (replies, true)
            }
        }
        #expect(replies == ["answered before shutdown"] && closed)
        #expect(server.stats.connections == 0)
    }
}
