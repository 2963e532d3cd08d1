public import Logging
import Synchronization

/// Logs at most one line per key in each interval; the lines left out in between are counted and
/// reported in the next line's `suppressed` metadata. Keys must be bounded (a reason, never an
/// address), as they are kept.
///
/// ```swift
/// let log = RateLimitedLogger(logger: logger, interval: .seconds(10))
/// log.warning(key: "malformed", "malformed datagram", metadata: ["reason": "\(reason)"])
/// ```
public final class RateLimitedLogger: Sendable {
    public let logger: Logger
    let interval: Duration
    let now: @Sendable () -> ContinuousClock.Instant
    let state = Mutex<[String: (last: ContinuousClock.Instant, suppressed: Int)]>([:])

    public init(logger: Logger, interval: Duration, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.logger = logger
        self.interval = interval
        self.now = now
    }

    /// Logs a warning unless one with this key was logged less than an interval ago; says whether it logged.
    @discardableResult
    public func warning(key: String, _ message: @autoclosure () -> Logger.Message, metadata: Logger.Metadata = [:]) -> Bool {
        let now = now()
        let suppressed: Int? = state.withLock { entries in
            if let entry = entries[key], now - entry.last < interval {
                entries[key]?.suppressed += 1
                return nil
            }
            let suppressed = entries[key]?.suppressed ?? 0
            entries[key] = (now, 0)
            return suppressed
        }
        guard let suppressed else { return false }
        var metadata = metadata
        if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
        logger.warning(message(), metadata: metadata)
        return true
    }
}
