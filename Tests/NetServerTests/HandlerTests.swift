import DNS
import DNSServer
import Logging
import NIOCore
import NIOEmbedded
import NetServer
import NetTesting
import Synchronization
import Testing

/// The channel handlers and helpers of NetServer, without sockets.
struct HandlerTests {
    final class Count: Sendable {
        let value = Mutex(0)
        func add() { value.withLock { $0 += 1 } }
        var count: Int { value.withLock { $0 } }
    }

    /// Records the user events that reach the end of the pipeline.
    final class EventRecorder: ChannelInboundHandler {
        typealias InboundIn = NIOAny
        var events: [String] = []
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) { events.append("\(event)") }
    }

    @Test func idleCloseHandlerClosesOnAReadTimeoutOnly() throws {
        let idle = Count()
        let recorder = EventRecorder()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(IdleCloseHandler { idle.add() })
        try channel.pipeline.syncOperations.addHandler(recorder)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 53)).wait()

        channel.pipeline.fireUserInboundEventTriggered(IdleStateHandler.IdleStateEvent.write)
        #expect(channel.isActive && idle.count == 0)
        #expect(recorder.events.count == 1)

        channel.pipeline.fireUserInboundEventTriggered(IdleStateHandler.IdleStateEvent.read)
        #expect(!channel.isActive && idle.count == 1)
        #expect(recorder.events.count == 1)
    }

    @Test func datagramErrorFilterKeepsErrorsFromTheStream() throws {
        let errors = Count()
        let channel = EmbeddedChannel(handler: DatagramErrorFilter { _ in errors.add() })
        channel.pipeline.fireErrorCaught(IOError(errnoCode: 111, reason: "recvmsg"))
        #expect(errors.count == 1)
        // Nothing reached the end of the pipeline: EmbeddedChannel would throw it here.
        #expect(throws: Never.self) { try channel.throwIfErrorCaught() }
        #expect(try channel.finish().isClean)
    }

    @Test func dnsStreamCodecFramesBothWays() throws {
        let channel = EmbeddedChannel()
        let configuration = DNSServerConfiguration(port: 53, upstreams: [])
        let processor = DNSQueryProcessor(
            configuration: configuration, policy: ForwardAll(),
            forwarder: DNSForwarder(upstreams: [], timeout: .seconds(1), logger: Logger(label: "test")))
        try DNSStreamHandler(processor: processor).addCodec(to: channel.pipeline.syncOperations, configuration: configuration.listener(.tcp))
        var query = DNSMessage(header: DNSHeader(id: 7))
        query.questions = [DNSQuestion(name: try DNSName("www.example.test"), type: .a)]
        let bytes = try query.bytes()
        // Two frames, fed one byte at a time.
        for byte in ([UInt8(0), UInt8(bytes.count)] + bytes) + ([UInt8(0), UInt8(bytes.count)] + bytes) {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        #expect(try channel.readInbound(as: ByteBuffer.self).map { Array($0.readableBytesView) } == bytes)
        #expect(try channel.readInbound(as: ByteBuffer.self).map { Array($0.readableBytesView) } == bytes)
        try channel.writeOutbound(ByteBuffer(bytes: bytes))
        #expect(try channel.readOutbound(as: ByteBuffer.self).map { Array($0.readableBytesView) } == [0, UInt8(bytes.count)] + bytes)
        #expect(try channel.finish().isClean)
    }

    @Test func rateLimitedLoggerLogsOncePerIntervalAndCountsTheRest() {
        let logs = CapturedLogs()
        let start = ContinuousClock.now
        let now = Mutex(start)
        let log = RateLimitedLogger(logger: logs.logger(), interval: .seconds(10), now: { now.withLock { $0 } })
        #expect(log.warning(key: "malformed", "bad"))
        #expect(!log.warning(key: "malformed", "bad"))
        #expect(!log.warning(key: "malformed", "bad"))
        #expect(log.warning(key: "overload", "busy"))  // another key: its own interval
        now.withLock { $0 = start + .seconds(10) }
        #expect(log.warning(key: "malformed", "bad"))
        #expect(logs.all.map(\.message) == ["bad", "busy", "bad"])
        #expect(logs.all.last?.metadata["suppressed"] == "2")
    }
}
