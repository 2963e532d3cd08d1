public import CoreMetrics
public import Logging
public import NIOCore
public import NIOPosix
public import ServiceLifecycle

/// A UDP listener as a `Service`: each datagram goes to the handler in a child task, at most
/// `maxInFlightDatagrams` at once (more are dropped and counted), and its reply goes back to the
/// sender.
///
/// ```swift
/// let udp = UDPServer(configuration: .init(name: "dns", port: 53), handler: handler, logger: logger)
/// try await ServiceGroup(services: [udp], logger: logger).run()
/// ```
///
/// Graceful shutdown: reading stops, the datagrams in flight are answered, then the socket closes.
/// Bad input and handler errors are counted and logged (rate-limited, without the peer's
/// address); the server keeps serving.
public final class UDPServer<Handler: DatagramHandler>: Service, Sendable {
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
        logger[metadataKey: "transport"] = "udp"
        self.log = RateLimitedLogger(logger: logger, interval: configuration.logInterval)
        self.metrics = NetServerMetrics(server: configuration.name, transport: .udp, factory: metricsFactory)
    }

    /// The address the socket is bound to, once it is (the port the kernel chose for port 0).
    /// Throws the bind error if binding failed.
    public func listeningAddress() async throws -> SocketAddress { try await bound.wait() }

    /// The counts so far.
    public var stats: NetServerStats { metrics.stats }

    public func run() async throws {
        let channel: NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>
        let metrics = metrics
        let log = log
        do {
            // One byte over the limit, so that a larger datagram is seen as such (and not cut).
            let capacity = configuration.maxMessageSize + 1
            channel = try await DatagramBootstrap(group: eventLoopGroup)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: capacity))
                .bind(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            DatagramErrorFilter { error in
                                metrics.dropped(.socketError)
                                log.warning(key: "socket", "socket error", metadata: ["error": "\(type(of: error))"])
                            })
                        return try NIOAsyncChannel(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(inboundType: AddressedEnvelope<ByteBuffer>.self, outboundType: AddressedEnvelope<ByteBuffer>.self))
                    }
                }
            guard let address = channel.channel.localAddress else { throw NetServerError.noLocalAddress(server: configuration.name) }
            bound.succeed(address)
        } catch {
            bound.fail(error)
            throw error
        }
        log.logger.info("listening", metadata: ["port": "\(channel.channel.localAddress?.port ?? 0)"])
        let limit = configuration.maxInFlightDatagrams
        let maxSize = configuration.maxMessageSize
        let handler = handler
        try await channel.executeThenClose { inbound, outbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await envelope in inbound.cancelOnGracefulShutdown() {
                    guard envelope.data.readableBytes <= maxSize else {
                        metrics.dropped(.tooLarge)
                        log.warning(key: "too_large", "datagram over the size limit dropped", metadata: ["limit": "\(maxSize)"])
                        continue
                    }
                    guard metrics.acquireInFlight(limit: limit) else {
                        metrics.dropped(.overload)
                        log.warning(key: "overload", "datagram dropped: too many in flight", metadata: ["limit": "\(limit)"])
                        continue
                    }
                    group.addTask {
                        defer { metrics.releaseInFlight() }
                        let reply: ByteBuffer?
                        do {
                            reply = try await handler.handle(envelope.data, from: envelope.remoteAddress)
                                .accounted(in: metrics, log: log, unit: "datagram")
                        } catch {
                            metrics.handlerFailed(error, log: log, "handler failed")
                            reply = nil
                        }
                        guard let reply else { return }
                        do {
                            try await outbound.write(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: reply))
                        } catch {
                            metrics.dropped(.socketError)
                            log.warning(key: "write", "reply not sent", metadata: ["error": "\(type(of: error))"])
                        }
                    }
                }
            }
        }
        log.logger.info("stopped")
    }
}
