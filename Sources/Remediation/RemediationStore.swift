public import Foundation
public import Secrecy

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

/// A sightings file in the ingest ledger, named by its content hash.
public struct SightingFileRef: Sendable, Hashable {
    /// SHA-256 of the file's bytes, hex.
    public var sha256: String
    /// The file's name (last path component), for operators.
    public var name: String

    public init(sha256: String, name: String) {
        self.sha256 = sha256
        self.name = name
    }
}

/// How far a sightings file got: its first `committed` sightings are in the store.
public struct SightingFileProgress: Sendable, Hashable {
    public var committed: Int
    /// The whole file is in (its counts and audit record written).
    public var complete: Bool

    public init(committed: Int, complete: Bool) {
        self.committed = committed
        self.complete = complete
    }
}

/// The first step of a batch, run inside its transaction: given how many sightings at the start
/// of the batch were already committed (by an earlier run or a concurrent one; the intake skips
/// them), attribute the rest and name the subscribers whose cases the batch may touch.
public typealias SightingBatchAttribution = (_ alreadyCommitted: Int) throws -> Set<String>

/// The second step, in the same transaction: given the not-expired cases of those subscribers
/// (the cases a new sighting can join), say what to write.
public typealias SightingBatchCases = (_ activeCases: [CaseRecord]) throws -> SightingBatchWrite

/// What one batch writes: the changed and new cases, the per-feed counts to add, the audit entries.
public struct SightingBatchWrite: Sendable {
    public var cases: [CaseRecord]
    public var counts: FeedCounts
    public var audit: [AuditEntry]

    public init(cases: [CaseRecord], counts: FeedCounts, audit: [AuditEntry]) {
        self.cases = cases
        self.counts = counts
        self.audit = audit
    }
}

/// The outcome of a batch transaction.
public enum SightingBatchOutcome: Sendable, Hashable {
    /// Written.
    case committed
    /// Every sighting of the batch was already committed (an earlier or concurrent run); nothing written.
    case alreadyCommitted
    /// The file is already complete; nothing written.
    case fileComplete
}

/// The outcome of queuing one notice.
public enum EnqueueOutcome: Sendable, Hashable {
    case queued(NoticeRecord)
    /// The case changed since it was read (another run queued this round, or the case was
    /// remediated or expired): nothing written.
    case alreadyPlanned
    /// The subscriber got a notice within the minimum gap (maybe from a concurrent run).
    case rateLimited
}

/// What the remediation flow needs from storage. `StoreSQLite` and `StorePostgres` implement it.
///
/// Every method that changes state takes the audit entries describing the change and writes
/// them in the same transaction: a crash leaves both or neither.
///
/// ## Exactly once, also with several processes
/// The store, not a read before the write, keeps the flow exact when two runs overlap (a cron
/// job and `serve`'s outbox, two `ingest sightings` of one file):
/// - a sightings file is a ledger row holding how many of its sightings are committed; each
///   batch transaction reads it, skips what is already in and advances it;
/// - one not-expired case per countermeasure, subscriber and family (a unique index);
/// - one notice per case and round (a unique index); queuing checks, in its transaction, that
///   the case is as it was read and that the subscriber's minimum gap holds;
/// - the outbox hands a notice to one worker at a time: a lease (owner, expiry) taken in one
///   write transaction; an expired lease is taken over and the notice resent with the same
///   Message-ID.
public protocol RemediationStore: Sendable {
    // Subscriber directory
    func upsert(contacts: [SubscriberContact], audit: AuditEntry) async throws -> Int
    func contact(of subscriber: String) async throws -> SubscriberContact?

    // Sightings → cases
    /// The ledger row of a sightings file, if any run started it.
    func sightingFile(sha256: String) async throws -> SightingFileProgress?
    /// Inside one write transaction for the sightings `range` of `file` (nil: no ledger): runs
    /// `attribute`, reads the active cases of the subscribers it names, runs `cases` on them and
    /// writes what it returns, then advances the file's ledger row to `range.upperBound`. Both
    /// closures may run more than once (a backend may retry a transaction that lost a race).
    func commitSightingBatch(
        file: SightingFileRef?, range: Range<Int>, attribute: SightingBatchAttribution, cases: SightingBatchCases
    ) async throws -> SightingBatchOutcome
    /// Marks the file complete and adds the file's counts (parsed, rejected, not infected), with
    /// the audit entry, in one transaction. Returns false when it was already complete.
    func completeSightingFile(_ file: SightingFileRef?, counts: FeedCounts, audit: AuditEntry) async throws -> Bool
    func cases(status: CaseStatus?) async throws -> [CaseRecord]
    /// The cases a notice may still be due for (`open`, `notified`, `reopened`), by id: what the
    /// outbox plans over, without reading the closed ones (most cases, once a store is old).
    func casesInProgress() async throws -> [CaseRecord]
    func caseRecord(id: Int64) async throws -> CaseRecord?
    func feedCounts() async throws -> [FeedCounts]

    // Notices
    /// The time of each subscriber's last notice (any case) among the notices created after
    /// `since` (the per-subscriber gap looks back no further).
    func lastNoticeTimes(since: Date) async throws -> [String: Date]
    /// Queues a notice (round `notice.round`) with its token, and marks the case notified, if the
    /// case still has `expectedNotices` notices and status `expectedStatus`, and the subscriber
    /// had no notice within `minimumGap` before `notice.createdAt`.
    func enqueue(
        _ notice: NoticeRecord, token: TokenRecord, expectedNotices: Int, expectedStatus: CaseStatus, minimumGap: TimeInterval,
        audit: AuditEntry
    ) async throws -> EnqueueOutcome
    /// Expires a case if it is still not expired or remediated and its last sighting is still
    /// `lastSeen`. Returns whether it did.
    func expire(caseID: Int64, lastSeen: Date, audit: AuditEntry) async throws -> Bool
    /// Takes the lease of the next notice due (queued with `nextAttemptAt <= dueBy`, or
    /// `sending` with an expired lease), counting an attempt. Nil when none is due.
    func claimNotice(owner: String, dueBy: Date, now: Date, lease: TimeInterval) async throws -> NoticeRecord?
    /// Records the relay's acceptance. Returns false when the notice was already recorded sent.
    func markSent(_ id: Int64, owner: String, at: Date, reply: String, audit: AuditEntry) async throws -> Bool
    func markRetry(_ id: Int64, owner: String, next: Date, error: String) async throws
    func markFailed(_ id: Int64, owner: String, error: String, audit: AuditEntry) async throws
    func notices() async throws -> [NoticeRecord]
    /// Stores a token for a dry-run preview (no notice queued, the case unchanged).
    func issuePreview(token: TokenRecord, audit: AuditEntry) async throws

    // Tokens and the page
    func token(hash: String) async throws -> TokenRecord?
    func append(audit: AuditEntry) async throws
}

/// What the remediation page needs from storage, asynchronously: a server's request never
/// blocks a cooperative thread on the database (the SQLite store suspends on GRDB's own queues).
public protocol RemediationPageStore: Sendable {
    /// The token record of a personal link, by the SHA-256 of the token.
    func pageToken(hash: String) async throws -> TokenRecord?
    /// A case, by id.
    func pageCase(id: Int64) async throws -> CaseRecord?
    /// Marks a case remediated (unless it already is) and writes `audit` with it; a targeted
    /// update, so sightings a concurrent ingest adds to the case are kept. Returns whether it changed.
    func markRemediated(caseID: Int64, at: Date, audit: AuditEntry) async throws -> Bool
    /// Appends one audit record (a page view, a refusal).
    func appendPageAudit(_ audit: AuditEntry) async throws
}
