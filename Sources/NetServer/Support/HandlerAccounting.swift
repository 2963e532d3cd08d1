import Logging

/// What every serving path (UDP, TCP with a task per message, TCP on the event loop) counts and
/// logs of a handler's answer, in one place so the paths cannot drift apart.
extension HandlerResult {
    /// Counts this result (`requests`, and `dropped{reason="malformed"}` for a malformed one,
    /// logged with its reason only) and returns the reply to send, if any. `unit` names what
    /// was malformed in the log ("message", "datagram").
    func accounted(in metrics: NetServerMetrics, log: RateLimitedLogger, unit: String) -> Message? {
        switch self {
        case .reply(let reply):
            metrics.request(.replied)
            return reply
        case .noReply:
            metrics.request(.noReply)
            return nil
        case .malformed(let reason, let reply):
            metrics.request(.malformed)
            metrics.dropped(.malformed)
            log.warning(key: "malformed", "malformed \(unit)", metadata: ["reason": "\(reason)"])
            return reply
        }
    }
}

extension NetServerMetrics {
    /// Counts a handler that threw (`requests{outcome="failed"}`, `dropped{reason="handler-error"}`)
    /// and logs the error's type only (never its text: it may hold what the peer sent).
    func handlerFailed(_ error: any Error, log: RateLimitedLogger, _ message: Logger.Message) {
        request(.failed)
        dropped(.handlerError)
        log.warning(key: "handler", message, metadata: ["error": "\(type(of: error))"])
    }
}
