public import CoreMetrics
public import Logging
public import NIOCore
public import NIOPosix
public import NetServer
public import ServiceLifecycle

/// A forwarding DNS server on UDP and TCP, one `Service`: the policy hook, then the packet
/// cache, then the upstream resolvers.
///
/// ```swift
/// let upstream = try SocketAddress(ipAddress: "127.0.0.1", port: 5300)
/// let dns = DNSServer(configuration: .init(port: 53, upstreams: [upstream]), policy: ForwardAll(), logger: logger)
/// try await ServiceGroup(services: [dns], logger: logger).run()
/// ```
///
/// Graceful shutdown stops both listeners from taking new queries and answers those in flight.
public final class DNSServer<Policy: DNSPolicy>: Service, Sendable {
    public let configuration: DNSServerConfiguration
    public let processor: DNSQueryProcessor<Policy>
    public let udp: UDPServer<DNSDatagramHandler<Policy>>
    public let tcp: TCPServer<DNSStreamHandler<Policy>>

    public init(
        configuration: DNSServerConfiguration, policy: Policy, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger, metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.configuration = configuration
        let forwarder = DNSForwarder(
            upstreams: configuration.upstreams, timeout: configuration.upstreamTimeout, server: configuration.name, eventLoopGroup: eventLoopGroup,
            logger: logger, logInterval: configuration.logInterval, metricsFactory: metricsFactory)
        processor = DNSQueryProcessor(configuration: configuration, policy: policy, forwarder: forwarder, metricsFactory: metricsFactory)
        udp = UDPServer(
            configuration: configuration.listener(.udp), handler: DNSDatagramHandler(processor: processor), eventLoopGroup: eventLoopGroup,
            logger: logger,
            metricsFactory: metricsFactory)
        tcp = TCPServer(
            configuration: configuration.listener(.tcp), handler: DNSStreamHandler(processor: processor), eventLoopGroup: eventLoopGroup,
            logger: logger,
            metricsFactory: metricsFactory)
    }

    /// The forwarder (its counts: `forwarder.stats`).
    public var forwarder: DNSForwarder { processor.forwarder }

    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await self.udp.run() }
            group.addTask { try await self.tcp.run() }
        }
    }

    /// Returns once both listeners are bound (throws if either could not bind).
    public func waitUntilListening() async throws {
        _ = try await udp.listeningAddress()
        _ = try await tcp.listeningAddress()
    }
}
