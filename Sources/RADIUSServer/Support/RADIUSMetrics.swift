import CoreMetrics
import Synchronization

/// What became of one datagram: the `outcome` label of `mamori_radius_requests_total`.
public enum RADIUSOutcome: String, Sendable, CaseIterable {
    /// A Start, Interim-Update or Stop: sessions updated, event stored, answered.
    case accepted
    /// A retransmission of an answered request: answered again, nothing else done.
    case retransmission
    /// A retransmission of a request still being stored: not answered (the NAS retries).
    case inProgress = "in-progress"
    /// Accounting-On/-Off: the NAS's tracked sessions ended, answered.
    case nasRestart = "nas-restart"
    /// Tunnel or Failed status: answered, nothing kept.
    case skipped
    /// A Start/Interim/Stop without User-Name or Acct-Session-Id (or an impossible time):
    /// answered (a retransmission would not help), nothing kept.
    case incomplete
    /// The Request Authenticator does not match the shared secret: dropped, not answered.
    case badAuthenticator = "bad-authenticator"
    /// From an address that is no configured client's (and no default secret): dropped.
    case unknownClient = "unknown-client"
    /// Not a RADIUS accounting packet, or an attribute Mamori reads is malformed: dropped.
    case malformed
    /// The store insert failed: not answered (the NAS retries).
    case storeFailed = "store-failed"
}

/// Counts since start (for tests and status pages); the same numbers go to swift-metrics.
public struct RADIUSStats: Sendable, Equatable {
    public var requests: [RADIUSOutcome: Int] = [:]
    /// Store inserts done (one per batch) and the events they carried.
    public var batches = 0
    public var batchedEvents = 0
    public var failedBatches = 0

    public init() {}
}

/// The listener's metrics, bounded labels only (never an address, a user or a session):
///
/// - `mamori_radius_requests_total{outcome}` (``RADIUSOutcome``)
/// - `mamori_radius_store_batches_total{result="stored|failed"}`
/// - `mamori_radius_stored_events_total`
final class RADIUSMetrics: Sendable {
    let requestCounters: [RADIUSOutcome: Counter]
    let storedBatches: Counter
    let failedBatches: Counter
    let storedEvents: Counter
    let state = Mutex(RADIUSStats())

    init(factory: any MetricsFactory) {
        var counters: [RADIUSOutcome: Counter] = [:]
        for outcome in RADIUSOutcome.allCases {
            counters[outcome] = Counter(label: "mamori_radius_requests_total", dimensions: [("outcome", outcome.rawValue)], factory: factory)
        }
        requestCounters = counters
        storedBatches = Counter(label: "mamori_radius_store_batches_total", dimensions: [("result", "stored")], factory: factory)
        failedBatches = Counter(label: "mamori_radius_store_batches_total", dimensions: [("result", "failed")], factory: factory)
        storedEvents = Counter(label: "mamori_radius_stored_events_total", factory: factory)
    }

    var stats: RADIUSStats { state.withLock { $0 } }

    func request(_ outcome: RADIUSOutcome) {
        requestCounters[outcome]?.increment()
        state.withLock { $0.requests[outcome, default: 0] += 1 }
    }

    func batch(events: Int, stored: Bool) {
        if stored {
            storedBatches.increment()
            storedEvents.increment(by: Int64(events))
        } else {
            failedBatches.increment()
        }
        state.withLock {
            if stored {
                $0.batches += 1
                $0.batchedEvents += events
            } else {
                $0.failedBatches += 1
            }
        }
    }
}
