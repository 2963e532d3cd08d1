public import Foundation

/// When to notify. All of it is configurable.
public struct NoticePolicy: Sendable, Hashable {
    /// A reminder goes this long after the last notice if sightings continued after it.
    public var reminderAfter: TimeInterval
    /// Never more than one notice per subscriber within this long, whatever the case.
    public var minimumGap: TimeInterval
    /// A personal link is valid this long.
    public var tokenLifetime: TimeInterval
    /// Delivery retries: first retry after `retryBase`, doubling, at most `maxAttempts` attempts.
    public var retryBase: TimeInterval
    public var maxAttempts: Int

    /// Defaults: reminder after 7 days, at most one notice per subscriber per 3 days, links valid
    /// 30 days, retries from 60 s doubling, 8 attempts.
    public init(
        reminderAfter: TimeInterval = 7 * 86_400, minimumGap: TimeInterval = 3 * 86_400,
        tokenLifetime: TimeInterval = 30 * 86_400, retryBase: TimeInterval = 60, maxAttempts: Int = 8
    ) {
        self.reminderAfter = reminderAfter
        self.minimumGap = minimumGap
        self.tokenLifetime = tokenLifetime
        self.retryBase = retryBase
        self.maxAttempts = maxAttempts
    }

    /// The notice a case needs now, if any.
    ///
    /// - open / reopened, never noticed in this episode → `.first`;
    /// - notified, sightings after the last notice, and `reminderAfter` elapsed → `.reminder`;
    /// - otherwise nothing. The per-subscriber gap is checked by the caller across cases.
    public func noticeDue(for c: CaseRecord, now: Date) -> NoticeType? {
        switch c.status {
        case .open:
            return .first
        case .reopened:
            if let last = c.lastNoticeAt, let remediatedAt = c.remediatedAt, last > remediatedAt { return nil }
            return .first
        case .notified:
            guard let last = c.lastNoticeAt, c.lastSeen > last, now.timeIntervalSince(last) >= reminderAfter else { return nil }
            return .reminder
        case .remediated, .expired:
            return nil
        }
    }

    /// The delay before attempt `attempts + 1` after a transient failure.
    public func backoff(afterAttempts attempts: Int) -> TimeInterval {
        retryBase * pow(2, Double(max(0, attempts - 1)))
    }
}

/// First notice or reminder.
public enum NoticeType: String, Sendable, Hashable, Codable, CaseIterable {
    case first
    case reminder
}
