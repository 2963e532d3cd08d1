public import CoreMetrics
public import Logging
public import NIOCore
public import NIOPosix
public import ServiceLifecycle

/// A TCP listener as a `Service`: each connection is served in a child task, its messages framed
/// by the handler's codec and handled one at a time, in order (an ``ImmediateStreamHandler``'s on
/// the connection's event loop, without a task hop per message).
///
/// ```swift
/// let tcp = TCPServer(configuration: .init(name: "dns", port: 53), handler: handler, logger: logger)
/// try await ServiceGroup(services: [tcp], logger: logger).run()
/// ```
///
/// Limits: `maxConnections` (a connection over it is closed at once), `idleTimeout` (a connection
/// that sends nothing for that long is closed). Graceful shutdown: no new connection is accepted,
/// each connection finishes the message it is handling, then closes. A codec or handler error
/// closes that connection only; it is counted and logged (rate-limited, without the peer's address).
public final class TCPServer<Handler: StreamHandler>: Service, Sendable {
    public let configuration: NetServerConfiguration
    public let metrics: NetServerMetrics
    let handler: Handler
    let eventLoopGroup: any EventLoopGroup
    let log: RateLimitedLogger
    let bound = BoundAddress()

    public init(
        configuration: NetServerConfiguration, handler: Handler, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger, metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.configuration = configuration
        self.handler = handler
        self.eventLoopGroup = eventLoopGroup
        var logger = logger
        logger[metadataKey: "server"] = "\(configuration.name)"
        logger[metadataKey: "transport"] = "tcp"
        self.log = RateLimitedLogger(logger: logger, interval: configuration.logInterval)
        self.metrics = NetServerMetrics(server: configuration.name, transport: .tcp, factory: metricsFactory)
    }

    /// The address the socket is bound to, once it is (the port the kernel chose for port 0).
    /// Throws the bind error if binding failed.
    public func listeningAddress() async throws -> SocketAddress { try await bound.wait() }

    /// The counts so far.
    public var stats: NetServerStats { metrics.stats }

    public func run() async throws {
        typealias Connection = NIOAsyncChannel<Handler.Inbound, Handler.Outbound>
        // The peer's address is taken when the connection is accepted: a channel the peer has
        // already closed (a sender that writes and closes at once) no longer has one, and its
        // messages must still be served.
        let server: NIOAsyncChannel<(Connection, SocketAddress?), Never>
        let metrics = metrics
        let handler = handler
        let configuration = configuration
        let log = log
        do {
            server = try await ServerBootstrap(group: eventLoopGroup)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(.backlog, value: 256)
                .childChannelOption(.socketOption(.so_keepalive), value: 1)
                .bind(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        try pipeline.addHandler(IdleStateHandler(readTimeout: TimeAmount(configuration.idleTimeout)))
                        try pipeline.addHandler(IdleCloseHandler { metrics.dropped(.idleTimeout) })
                        try handler.addCodec(to: pipeline, configuration: configuration)
                        if let immediate = handler as? any ImmediateStreamHandler {
                            try Self.addImmediate(immediate, to: pipeline, peer: channel.remoteAddress, metrics: metrics, log: log)
                        }
                        let connection = try Connection(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(inboundType: Handler.Inbound.self, outboundType: Handler.Outbound.self))
                        return (connection, channel.remoteAddress)
                    }
                }
            guard let address = server.channel.localAddress else { throw NetServerError.noLocalAddress(server: configuration.name) }
            bound.succeed(address)
        } catch {
            bound.fail(error)
            throw error
        }
        log.logger.info("listening", metadata: ["port": "\(server.channel.localAddress?.port ?? 0)"])
        // On graceful shutdown the listening socket closes: the stream of connections then ends
        // after the ones already accepted, and each of those is served (it sees the shutdown
        // at once and closes). Leaving one in the stream would leave its channel unclosed.
        let listener = server.channel
        try await server.executeThenClose { connections in
            try await withGracefulShutdownHandler {
                try await withThrowingDiscardingTaskGroup { group in
                    for try await (connection, peer) in connections {
                        guard metrics.openConnections < configuration.maxConnections else {
                            metrics.dropped(.connectionLimit)
                            log.warning(
                                key: "connection_limit", "connection refused: limit reached", metadata: ["limit": "\(configuration.maxConnections)"])
                            group.addTask { try? await connection.executeThenClose { _, _ in } }
                            continue
                        }
                        metrics.connectionOpened()
                        if handler is any ImmediateStreamHandler {
                            connection.channel.pipeline.fireUserInboundEventTriggered(ConnectionAdmitted())
                        }
                        group.addTask {
                            defer { metrics.connectionClosed() }
                            await self.serve(connection, peer: peer ?? connection.channel.remoteAddress)
                        }
                    }
                }
            } onGracefulShutdown: {
                listener.close(promise: nil)
            }
        }
        log.logger.info("stopped")
    }

    /// Puts an ``ImmediateReplyHandler`` behind the codec: the connection's messages are then
    /// answered on its event loop, and ``serve(_:peer:)`` only waits for the connection to end.
    static func addImmediate<Immediate: ImmediateStreamHandler>(
        _ handler: Immediate, to pipeline: ChannelPipeline.SynchronousOperations, peer: SocketAddress?, metrics: NetServerMetrics,
        log: RateLimitedLogger
    ) throws {
        try pipeline.addHandler(ImmediateReplyHandler(handler: handler, peer: peer, metrics: metrics, log: log))
    }

    /// Serves one connection until the peer closes it, it fails, it idles out or the server shuts down.
    func serve(_ connection: NIOAsyncChannel<Handler.Inbound, Handler.Outbound>, peer: SocketAddress?) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var messages = inbound.cancelOnGracefulShutdown().makeAsyncIterator()
                while true {
                    let message: Handler.Inbound?
                    do {
                        message = try await messages.next()
                    } catch let error as IOError {
                        // The peer reset the connection, or similar: nothing of ours to count as malformed.
                        log.logger.debug("connection ended", metadata: ["error": "\(type(of: error))"])
                        return
                    } catch let error as ChannelError {
                        log.logger.debug("connection ended", metadata: ["error": "\(error)"])
                        return
                    } catch {
                        // The codec refused the bytes.
                        metrics.dropped(.malformed)
                        log.warning(key: "malformed", "malformed stream input, connection closed", metadata: ["reason": "\(error)"])
                        return
                    }
                    guard let message, let peer else { return }
                    let result: HandlerResult<Handler.Outbound>
                    do {
                        result = try await handler.handle(message, from: peer)
                    } catch {
                        metrics.handlerFailed(error, log: log, "handler failed, connection closed")
                        return
                    }
                    if let reply = result.accounted(in: metrics, log: log, unit: "message") { try await outbound.write(reply) }
                }
            }
        } catch {
            metrics.dropped(.socketError)
            log.warning(key: "write", "connection failed", metadata: ["error": "\(type(of: error))"])
        }
    }
}
