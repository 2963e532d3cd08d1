import Foundation
import Secrecy

/// Per-feed counts of what happened to sightings.
public struct FeedCounts: Sendable, Hashable {
    public var feed: String
    public var parsed = 0
    public var rejected = 0
    public var notInfected = 0
    public var attributed = 0
    public var notFound = 0
    public var ambiguous = 0

    public init(feed: String) {
        self.feed = feed
    }
}

/// What the remediation flow needs from storage. `Store` implements it over SQLite.
///
/// Every method that changes state takes the audit entries describing the change and writes
/// them in the same transaction: a crash leaves both or neither.
public protocol RemediationStore: Sendable {
    // Subscriber directory
    func upsert(contacts: [SubscriberContact], audit: AuditEntry) throws -> Int
    func contact(of subscriber: String) throws -> SubscriberContact?

    // Sightings → cases
    func hasIngestedSightingFile(sha256: String) throws -> Bool
    /// Cases not expired (the ones a new sighting can join).
    func activeCases() throws -> [CaseRecord]
    /// Writes the changed and new cases, the feed counts and (if given) the file record, and the
    /// audit entries, in one transaction.
    func commitSightings(
        cases: [CaseRecord], counts: FeedCounts, file: (sha256: String, name: String)?, audit: [AuditEntry]
    ) throws
    func cases(status: CaseStatus?) throws -> [CaseRecord]
    func caseRecord(id: Int64) throws -> CaseRecord?
    func feedCounts() throws -> [FeedCounts]

    // Notices
    /// The time of each subscriber's last notice (any case).
    func lastNoticeTimes() throws -> [String: Date]
    /// Queues a notice with its token and the case's new state.
    func enqueue(_ notice: NoticeRecord, token: TokenRecord, case: CaseRecord, audit: AuditEntry) throws -> NoticeRecord
    /// Notices due for an attempt (queued with `nextAttemptAt <= now`, and any left `sending`).
    func dueNotices(now: Date) throws -> [NoticeRecord]
    func markSending(_ id: Int64, attempts: Int) throws
    func markSent(_ id: Int64, at: Date, reply: String, audit: AuditEntry) throws
    func markRetry(_ id: Int64, next: Date, error: String) throws
    func markFailed(_ id: Int64, error: String, audit: AuditEntry) throws
    func notices() throws -> [NoticeRecord]
    /// Stores a token for a dry-run preview (no notice queued, the case unchanged).
    func issuePreview(token: TokenRecord, audit: AuditEntry) throws

    // Tokens and the page
    func token(hash: String) throws -> TokenRecord?
    func update(case: CaseRecord, audit: AuditEntry) throws
    func append(audit: AuditEntry) throws
}
