/// One listener's configuration: where it listens and its limits. Loaded and validated once.
///
/// ```swift
/// var configuration = NetServerConfiguration(name: "dns", host: "127.0.0.1", port: 5353)
/// configuration.maxInFlightDatagrams = 4096
/// let udp = UDPServer(configuration: configuration, handler: handler, logger: logger)
/// ```
public struct NetServerConfiguration: Sendable {
    /// The server's name: the `server` label of its metrics and its logger's metadata.
    public var name: String
    /// The address to bind (an IP literal: `127.0.0.1`, `::1`, `0.0.0.0`).
    public var host: String
    /// The port to bind; 0 lets the kernel choose (see `listeningAddress()`).
    public var port: Int
    /// TCP: connections served at once; a connection over the limit is closed at once and
    /// counted (`dropped{reason="connection_limit"}`). Default 512.
    public var maxConnections: Int = 512
    /// TCP: a connection that sends nothing for this long is closed and counted
    /// (`dropped{reason="idle_timeout"}`). Default 10 seconds (RFC 7766 suggests seconds).
    public var idleTimeout: Duration = .seconds(10)
    /// UDP: datagrams being handled at once; one more is dropped and counted
    /// (`dropped{reason="overload"}`). Default 1024.
    public var maxInFlightDatagrams: Int = 1024
    /// The largest message accepted, in bytes: a larger datagram is dropped and counted
    /// (`dropped{reason="too_large"}`); stream codecs are given it to bound their buffers.
    /// Default 65,535.
    public var maxMessageSize: Int = 65_535
    /// At most one log line per reason in this interval; the others are counted in the next
    /// line's `suppressed`. Default 10 seconds.
    public var logInterval: Duration = .seconds(10)

    public init(name: String, host: String = "127.0.0.1", port: Int) {
        self.name = name
        self.host = host
        self.port = port
    }
}
