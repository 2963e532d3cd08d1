public import CoreMetrics
import Synchronization

/// The transport a message came over: the `transport` label.
public enum NetTransport: String, Sendable, CaseIterable {
    case udp
    case tcp
}

/// Why a message or connection was not served: the `reason` label of `mamori_net_dropped_total`.
public enum NetDropReason: String, Sendable, CaseIterable {
    /// UDP: `maxInFlightDatagrams` reached.
    case overload
    /// Larger than `maxMessageSize`.
    case tooLarge = "too_large"
    /// Unreadable input (the handler said so, or the stream codec failed).
    case malformed
    /// The handler threw.
    case handlerError = "handler_error"
    /// TCP: `maxConnections` reached.
    case connectionLimit = "connection_limit"
    /// TCP: nothing read for `idleTimeout`.
    case idleTimeout = "idle_timeout"
    /// The reply could not be written, or the socket reported an error.
    case socketError = "socket_error"
}

/// What became of one message: the `outcome` label of `mamori_net_requests_total`.
public enum NetOutcome: String, Sendable, CaseIterable {
    case replied
    case noReply = "no_reply"
    case malformed
    case failed
}

/// Counts of one server since it started (for tests and status pages); the same numbers go to
/// swift-metrics.
public struct NetServerStats: Sendable, Equatable {
    /// Messages handed to the handler, by outcome.
    public var requests: [NetOutcome: Int] = [:]
    /// Messages and connections not served, by reason.
    public var dropped: [NetDropReason: Int] = [:]
    /// TCP connections open now.
    public var connections = 0
    /// TCP connections accepted and served since start.
    public var connectionsAccepted = 0

    public init() {}

    /// All requests handed to the handler.
    public var totalRequests: Int { requests.values.reduce(0, +) }
}

/// One server's metrics, bounded labels only (server name, transport, outcome or reason; never an
/// address):
///
/// - `mamori_net_requests_total{server,transport,outcome}`
/// - `mamori_net_dropped_total{server,transport,reason}`
/// - `mamori_net_connections{server,transport}` (a gauge: TCP connections open)
/// - `mamori_net_in_flight{server,transport}` (a gauge: UDP datagrams being handled)
public final class NetServerMetrics: Sendable {
    public let server: String
    public let transport: NetTransport
    let requestCounters: [NetOutcome: Counter]
    let dropCounters: [NetDropReason: Counter]
    let connectionsGauge: Gauge
    let inFlightGauge: Gauge
    let state = Mutex(NetServerStats())
    let inFlightCount = Atomic<Int>(0)

    public init(server: String, transport: NetTransport, factory: any MetricsFactory = MetricsSystem.factory) {
        self.server = server
        self.transport = transport
        let base = [("server", server), ("transport", transport.rawValue)]
        var requests: [NetOutcome: Counter] = [:]
        for outcome in NetOutcome.allCases {
            requests[outcome] = Counter(label: "mamori_net_requests_total", dimensions: base + [("outcome", outcome.rawValue)], factory: factory)
        }
        var drops: [NetDropReason: Counter] = [:]
        for reason in NetDropReason.allCases {
            drops[reason] = Counter(label: "mamori_net_dropped_total", dimensions: base + [("reason", reason.rawValue)], factory: factory)
        }
        requestCounters = requests
        dropCounters = drops
        connectionsGauge = Gauge(label: "mamori_net_connections", dimensions: base, factory: factory)
        inFlightGauge = Gauge(label: "mamori_net_in_flight", dimensions: base, factory: factory)
    }

    /// The counts so far.
    public var stats: NetServerStats { state.withLock { $0 } }

    func request(_ outcome: NetOutcome) {
        requestCounters[outcome]?.increment()
        state.withLock { $0.requests[outcome, default: 0] += 1 }
    }

    func dropped(_ reason: NetDropReason) {
        dropCounters[reason]?.increment()
        state.withLock { $0.dropped[reason, default: 0] += 1 }
    }

    func connectionOpened() {
        let open = state.withLock {
            $0.connections += 1
            $0.connectionsAccepted += 1
            return $0.connections
        }
        connectionsGauge.record(open)
    }

    func connectionClosed() {
        let open = state.withLock {
            $0.connections -= 1
            return $0.connections
        }
        connectionsGauge.record(open)
    }

    var openConnections: Int { state.withLock { $0.connections } }

    /// Takes one in-flight slot if fewer than `limit` are taken.
    func acquireInFlight(limit: Int) -> Bool {
        var current = inFlightCount.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = inFlightCount.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged {
                inFlightGauge.record(current + 1)
                return true
            }
            current = original
        }
        return false
    }

    func releaseInFlight() {
        let now = inFlightCount.subtract(1, ordering: .acquiringAndReleasing).newValue
        inFlightGauge.record(now)
    }
}
