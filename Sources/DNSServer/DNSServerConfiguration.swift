public import NIOCore
public import NetServer

/// The forwarding DNS server's configuration: one struct, validated once at start.
///
/// ```swift
/// var configuration = DNSServerConfiguration(port: 53, upstreams: [try SocketAddress(ipAddress: "127.0.0.1", port: 5300)])
/// configuration.upstreamTimeout = .milliseconds(800)
/// ```
public struct DNSServerConfiguration: Sendable {
    /// The `server` label of the metrics.
    public var name = "dns"
    /// Where to listen, on UDP and TCP alike.
    public var host: String
    public var port: Int
    /// The resolvers to forward to, tried in order: the next one when one times out, fails or
    /// answers SERVFAIL or REFUSED.
    public var upstreams: [SocketAddress]
    /// How long one upstream has to answer one query (over UDP, and again over TCP when its UDP
    /// answer was truncated). Default 2 seconds.
    public var upstreamTimeout: Duration = .seconds(2)
    /// Answers kept in the packet cache; 0 turns the cache off. Default 10,000.
    public var cacheCapacity = 10_000
    /// The longest time a positive / negative answer is cached, in seconds. Defaults 1 day / 1 hour.
    public var maxTTL: UInt32 = 86_400
    public var maxNegativeTTL: UInt32 = 3_600
    /// The largest UDP answer sent, whatever the client's EDNS size (RFC 6891 §6.2.5). Default 4096.
    public var maxUDPPayload = 4096
    /// UDP queries handled at once (more are dropped and counted). Default 1024.
    public var maxInFlightDatagrams = 1024
    /// TCP connections at once, and how long one may stay silent. Defaults 256 and 10 seconds.
    public var maxConnections = 256
    public var idleTimeout: Duration = .seconds(10)
    /// At most one log line per reason in this interval. Default 10 seconds.
    public var logInterval: Duration = .seconds(10)
    /// The clock of the cache (tests move it by hand).
    public var now: @Sendable () -> ContinuousClock.Instant = { .now }

    public init(host: String = "127.0.0.1", port: Int, upstreams: [SocketAddress]) {
        self.host = host
        self.port = port
        self.upstreams = upstreams
    }

    /// The listener's configuration for `transport`: UDP queries up to 4096 bytes, TCP ones up
    /// to 65,535.
    public func listener(_ transport: NetTransport) -> NetServerConfiguration {
        var listener = NetServerConfiguration(name: name, host: host, port: port)
        listener.maxConnections = maxConnections
        listener.idleTimeout = idleTimeout
        listener.maxInFlightDatagrams = maxInFlightDatagrams
        listener.maxMessageSize = transport == .udp ? 4096 : 65_535
        listener.logInterval = logInterval
        return listener
    }
}
