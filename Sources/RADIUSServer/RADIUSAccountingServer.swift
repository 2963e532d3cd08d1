public import Attribution
public import CoreMetrics
public import Foundation
public import Logging
public import NIOCore
public import NIOPosix
public import NetServer
public import ServiceLifecycle
public import SiteWarning

/// The RADIUS accounting listener (RFC 2866 over UDP) as a `Service`: it feeds the live
/// sessions of the DNS guard at once and the attribution store durably, so an ISP can feed
/// Mamori live instead of by detail files.
///
/// ```swift
/// let secret = try RADIUSSharedSecret(contentsOfFile: secretFile)          // --radius-secret-file
/// let radius = RADIUSAccountingServer(
///     configuration: .init(host: "0.0.0.0", port: 1813),                   // --radius-listen
///     secret: secret, store: store, sessions: liveSessions, logger: logger)
/// try await ServiceGroup(services: [radius], logger: logger).run()
/// ```
///
/// See ``RADIUSAccountingHandler`` for what one request does. One shared secret for every NAS,
/// or a secret per NAS (``RADIUSClients``, `--radius-clients`).
/// Events of concurrent requests go into one store insert (up to
/// ``RADIUSAccountingConfiguration/maxBatchEvents``, after at most
/// ``RADIUSAccountingConfiguration/maxBatchDelay``); each request is answered once its event
/// is stored. Graceful shutdown: no new datagrams are read, the requests in flight are stored
/// and answered, then the socket closes.
///
/// Metrics: NetServer's `mamori_net_*{server="radius",transport="udp"}` and
/// `mamori_radius_requests_total{outcome}`, `mamori_radius_store_batches_total{result}`,
/// `mamori_radius_stored_events_total` (see ``RADIUSOutcome``).
public final class RADIUSAccountingServer: Service, Sendable {
    public let configuration: RADIUSAccountingConfiguration
    public let udp: UDPServer<RADIUSAccountingHandler>
    let metrics: RADIUSMetrics
    let batcher: AssignmentBatcher

    /// A listener that is not yet running (see ``run()``). `now` is the clock of arrival times
    /// (tests may pin it).
    /// One shared secret for every NAS.
    public convenience init(
        configuration: RADIUSAccountingConfiguration, secret: RADIUSSharedSecret, store: any AssignmentRecordStore, sessions: LiveSessions,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger,
        metricsFactory: any MetricsFactory = MetricsSystem.factory, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.init(
            configuration: configuration, clients: RADIUSClients(defaultSecret: secret), store: store, sessions: sessions,
            eventLoopGroup: eventLoopGroup, logger: logger, metricsFactory: metricsFactory, now: now)
    }

    /// A secret per NAS (``RADIUSClients``).
    public init(
        configuration: RADIUSAccountingConfiguration, clients: RADIUSClients, store: any AssignmentRecordStore, sessions: LiveSessions,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger,
        metricsFactory: any MetricsFactory = MetricsSystem.factory, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        let metrics = RADIUSMetrics(factory: metricsFactory)
        self.metrics = metrics
        let batcher = AssignmentBatcher(
            store: store, maxEvents: configuration.maxBatchEvents, maxDelay: configuration.maxBatchDelay, metrics: metrics)
        self.batcher = batcher
        var handlerLogger = logger
        handlerLogger[metadataKey: "server"] = "\(configuration.listener.name)"
        let log = RateLimitedLogger(logger: handlerLogger, interval: configuration.listener.logInterval)
        let handler = RADIUSAccountingHandler(
            clients: clients, sessions: sessions, batcher: batcher, configuration: configuration, metrics: metrics, log: log, now: now)
        udp = UDPServer(
            configuration: configuration.listener, handler: handler, eventLoopGroup: eventLoopGroup, logger: logger,
            metricsFactory: metricsFactory)
    }

    /// The address the socket is bound to, once it is (the port the kernel chose for port 0).
    /// Throws the bind error if binding failed.
    public func listeningAddress() async throws -> SocketAddress { try await udp.listeningAddress() }

    /// The RADIUS counts so far (the listener's own: `udp.stats`).
    public var stats: RADIUSStats { metrics.stats }

    public func run() async throws {
        let batcher = batcher
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await batcher.run() }
            do {
                try await udp.run()
            } catch {
                batcher.finish()
                throw error
            }
            batcher.finish()
            try await group.waitForAll()
        }
    }
}
