public import CoreMetrics
public import DNS
public import Logging
public import NIOCore
public import NIOPosix
import NetServer
import Synchronization

/// Counts of the forwarder since start (the same numbers go to swift-metrics).
public struct DNSForwarderStats: Sendable, Equatable {
    /// Queries sent upstream over UDP and over TCP (retries after a truncated answer).
    public var udpQueries = 0
    public var tcpQueries = 0
    /// Upstream answers taken.
    public var answers = 0
    /// Datagrams or frames that did not match the outstanding query (id, question) and were dropped.
    public var mismatched = 0
    /// Upstream queries that timed out, or failed (refused connection, socket error).
    public var timeouts = 0
    public var errors = 0
    /// Upstream answers of SERVFAIL or REFUSED (the next upstream is tried).
    public var refusals = 0
    /// Client queries no upstream answered (the client got SERVFAIL).
    public var failures = 0

    public init() {}
}

/// Why one upstream exchange failed (the next upstream is tried).
public enum DNSForwarderError: Error, Sendable, CustomStringConvertible {
    case timeout(after: Duration)
    case closedWithoutAnswer
    case unencodable(DNSWireError)

    public var description: String {
        switch self {
        case .timeout(let after): "no matching answer within \(after)"
        case .closedWithoutAnswer: "the upstream closed the connection without a matching answer"
        case .unencodable(let error): "the query cannot be encoded: \(error)"
        }
    }
}

/// Sends a client's query to the upstream resolvers in turn and returns the first good answer.
///
/// Each upstream query has a fresh random id and goes out from a fresh UDP socket bound to port
/// 0 (the kernel picks a random ephemeral port), so an off-path attacker must guess both
/// (RFC 5452). A datagram from another address, or that does not repeat the id and question, is
/// dropped and counted; the wait goes on until the timeout. A truncated UDP answer is asked again
/// over TCP. A timeout, an error, SERVFAIL or REFUSED moves on to the next upstream; when none is
/// left, the client gets SERVFAIL.
public final class DNSForwarder: Sendable {
    public let upstreams: [SocketAddress]
    public let timeout: Duration
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    /// The warnings (no upstream answered): at most one a reason in `logInterval`.
    let log: RateLimitedLogger
    let state = Mutex(DNSForwarderStats())
    let counters: [String: Counter]

    public init(
        upstreams: [SocketAddress], timeout: Duration, server: String = "dns",
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger, logInterval: Duration = .seconds(10), metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.log = RateLimitedLogger(logger: logger, interval: logInterval)
        self.upstreams = upstreams
        self.timeout = timeout
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        var counters: [String: Counter] = [:]
        for transport in ["udp", "tcp"] {
            for outcome in ["answered", "mismatched", "timeout", "error", "refused"] {
                counters["\(transport) \(outcome)"] = Counter(
                    label: "mamori_dns_upstream_total", dimensions: [("server", server), ("transport", transport), ("outcome", outcome)],
                    factory: metricsFactory)
            }
        }
        counters["failure"] = Counter(label: "mamori_dns_upstream_failures_total", dimensions: [("server", server)], factory: metricsFactory)
        self.counters = counters
    }

    /// The counts so far.
    public var stats: DNSForwarderStats { state.withLock { $0 } }

    func count(_ transport: String, _ outcome: String, _ update: (inout DNSForwarderStats) -> Void) {
        counters["\(transport) \(outcome)"]?.increment()
        state.withLock { update(&$0) }
    }

    /// The answer to the client's `query` (its id and question), or SERVFAIL when no upstream gave one.
    public func resolve(_ query: DNSMessage) async -> DNSMessage {
        for upstream in upstreams {
            guard let (udpQuery, outstanding) = DNSForwarding.upstreamQuery(for: query, id: DNSForwarding.randomID()) else {
                return DNSForwarding.errorResponse(to: query, rcode: DNSRCode.formatError)
            }
            var transport = "udp"
            do {
                state.withLock { $0.udpQueries += 1 }
                var response = try await exchangeUDP(udpQuery, outstanding, with: upstream)
                if response.header.truncated {
                    let (tcpQuery, tcpOutstanding) = DNSForwarding.upstreamQuery(for: query, id: DNSForwarding.randomID())!
                    state.withLock { $0.tcpQueries += 1 }
                    transport = "tcp"
                    response = try await exchangeTCP(tcpQuery, tcpOutstanding, with: upstream)
                }
                if response.header.rcode == DNSRCode.serverFailure || response.header.rcode == DNSRCode.refused {
                    count(transport, "refused") { $0.refusals += 1 }
                    continue
                }
                return DNSForwarding.clientResponse(response, to: query)
            } catch let error as DNSForwarderError {
                if case .timeout = error {
                    count(transport, "timeout") { $0.timeouts += 1 }
                } else {
                    count(transport, "error") { $0.errors += 1 }
                }
                logger.debug("upstream failed", metadata: ["upstream": "\(upstream)", "error": "\(error)"])
            } catch {
                count(transport, "error") { $0.errors += 1 }
                logger.debug("upstream failed", metadata: ["upstream": "\(upstream)", "error": "\(error)"])
            }
        }
        counters["failure"]?.increment()
        state.withLock { $0.failures += 1 }
        log.warning(key: "failure", "no upstream answered, SERVFAIL", metadata: ["upstreams": "\(upstreams.count)"])
        return DNSForwarding.errorResponse(to: query, rcode: DNSRCode.serverFailure)
    }

    /// One query over a fresh UDP socket; the first matching answer.
    func exchangeUDP(_ query: DNSMessage, _ outstanding: DNSOutstandingQuery, with upstream: SocketAddress) async throws -> DNSMessage {
        let bytes: [UInt8]
        do { bytes = try query.bytes() } catch { throw DNSForwarderError.unencodable(error) }
        let any = upstream.protocol == .inet6 ? "::" : "0.0.0.0"
        let channel = try await DatagramBootstrap(group: eventLoopGroup)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .bind(host: any, port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(inboundType: AddressedEnvelope<ByteBuffer>.self, outboundType: AddressedEnvelope<ByteBuffer>.self))
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(AddressedEnvelope(remoteAddress: upstream, data: ByteBuffer(bytes: bytes)))
            return try await self.withTimeout {
                for try await envelope in inbound {
                    guard envelope.remoteAddress == upstream, let response = outstanding.match(envelope.data) else {
                        self.count("udp", "mismatched") { $0.mismatched += 1 }
                        continue
                    }
                    self.count("udp", "answered") { $0.answers += 1 }
                    return response
                }
                throw DNSForwarderError.closedWithoutAnswer
            }
        }
    }

    /// One query over a new TCP connection (RFC 7766 framing); the first matching answer.
    func exchangeTCP(_ query: DNSMessage, _ outstanding: DNSOutstandingQuery, with upstream: SocketAddress) async throws -> DNSMessage {
        let bytes: [UInt8]
        do { bytes = try query.bytes() } catch { throw DNSForwarderError.unencodable(error) }
        return try await withTimeout {
            let channel = try await ClientBootstrap(group: self.eventLoopGroup)
                .connect(to: upstream) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder()))
                        try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(DNSTCPFrameEncoder()))
                        return try NIOAsyncChannel(
                            wrappingChannelSynchronously: channel, configuration: .init(inboundType: ByteBuffer.self, outboundType: ByteBuffer.self))
                    }
                }
            return try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(bytes: bytes))
                for try await frame in inbound {
                    guard let response = outstanding.match(frame) else {
                        self.count("tcp", "mismatched") { $0.mismatched += 1 }
                        continue
                    }
                    self.count("tcp", "answered") { $0.answers += 1 }
                    return response
                }
                throw DNSForwarderError.closedWithoutAnswer
            }
        }
    }

    /// `body`'s result, or `DNSForwarderError.timeout` once `timeout` has passed (`body` is then cancelled).
    func withTimeout<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let timeout = timeout
        return try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw DNSForwarderError.timeout(after: timeout)
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw DNSForwarderError.timeout(after: timeout) }
            return first
        }
    }
}
