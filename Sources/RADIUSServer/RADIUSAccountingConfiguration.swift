public import Foundation
public import NetServer

/// The RADIUS accounting listener's configuration: where it listens, how it batches store
/// inserts, how long it remembers answers for retransmissions. Loaded and validated once.
///
/// ```swift
/// var configuration = RADIUSAccountingConfiguration(host: "0.0.0.0", port: 1813)
/// configuration.maxBatchEvents = 512
/// ```
public struct RADIUSAccountingConfiguration: Sendable {
    /// The UDP listener (name `radius`: the `server` label of the NetServer metrics). Its
    /// `maxMessageSize` is 4096, RADIUS's largest packet (RFC 2865 §3).
    public var listener: NetServerConfiguration
    /// At most this many events go into one store insert (one transaction). Default 256.
    public var maxBatchEvents: Int = 256
    /// How long the first request of a batch waits for others before the insert. Default 5 ms.
    public var maxBatchDelay: Duration = .milliseconds(5)
    /// How long an answer is kept for a retransmission of the same request (same NAS address
    /// and port, identifier and Request Authenticator), answered again without a second insert
    /// or session update. Default 30 seconds (NASes retransmit for a few seconds to a minute).
    public var retransmissionWindow: TimeInterval = 30
    /// At most this many answers are kept for retransmissions (the oldest go first). Default 65,536.
    public var maxRememberedRequests: Int = 65_536
    /// At most this many live sessions are tracked per NAS, to end them on Accounting-On/-Off
    /// and to find a Stop's addresses when it carries none. Default 1,000,000 over all NASes.
    public var maxTrackedSessions: Int = 1_000_000

    /// A listener on `host:port` (RADIUS accounting's port is 1813; 0 lets the kernel choose).
    public init(host: String = "127.0.0.1", port: Int = 1813) {
        var listener = NetServerConfiguration(name: "radius", host: host, port: port)
        listener.maxMessageSize = 4096
        self.listener = listener
    }
}
