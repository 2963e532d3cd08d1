public import Attribution
public import Foundation
public import MailGuard
public import Remediation
public import Secrecy
public import SiteWarning

/// A store backend as the application sees it: the domain stores, and what operators and
/// monitoring need besides them (readiness, aggregates, retention, checkpoints, keys).
///
/// `StoreSQLite` (one file, the embedded default) and `StorePostgres` (several `mamori serve`
/// on one database) implement it; `Runtime` opens one from `--store` and builds every flow on
/// it. Key material never lives in a store: it is in the ``keys`` file, which every process
/// on one store shares.
public protocol Storage: Sendable {
    /// Where the store is, for operators: a path, or a URL without any password.
    var location: String { get }
    /// The key file.
    var keys: KeyFile { get }
    /// The address-assignment records.
    var assignments: any AssignmentRecordStore { get }
    /// The hash-chained audit log.
    var audit: any CheckpointedAuditLog { get }
    /// The remediation flow (sightings, cases, notices, tokens).
    var remediation: any RemediationStore { get }
    /// What the remediation page reads and writes.
    var page: any RemediationPageStore { get }
    /// Where this process keeps its attribution index snapshot.
    var indexSnapshotPath: String { get }
    /// The DNS guard's consent registry (every line's choices and their history).
    var consent: any ConsentRegistry { get }
    /// The DNS guard's lists.
    var blocklists: any BlocklistStore { get }
    /// The site-owner notices' outbox.
    var siteReports: any SiteReportStore { get }
    /// The mail guard's raised alerts, suspensions and blocks (SMTP measures 1 and 2).
    var mailGuardStore: any MailGuardStore { get }
    /// The owners' notices of SMTP AUTH suspensions.
    var mailNotices: any MailNoticeStore { get }

    /// Calls `onChange`, one call at a time, whenever consent or lists may have changed in this
    /// or another process, until cancelled. PostgreSQL calls it as soon as the change commits
    /// (LISTEN/NOTIFY) and at least every `poll` besides; SQLite has no notifications, so it
    /// calls it every `poll`. `onChange` compares versions itself (``ConsentRegistry`` cursors,
    /// ``BlocklistStore/listsVersion()``).
    func followChanges(poll: Duration, _ onChange: @escaping @Sendable () async throws -> Void) async throws

    /// Whether the store answers and its migrations are this build's.
    func readiness() async -> StoreReadiness
    /// Notices counted per status (`queued`, `sending`, `retry`, `sent`, `failed`, …).
    func noticeCounts() async throws -> [String: Int]
    /// The audit records with `after < seq <= through`, counted (see ``AuditActivity``).
    func auditActivity(after: Int64, through: Int64) async throws -> [AuditActivity]
    /// The AAA files ingested with an id above `afterFile`, summed per format, and the highest id.
    func aaaIngests(afterFile: Int64) async throws -> (totals: [AAAIngestTotals], lastFile: Int64)
    /// Cases counted per countermeasure and state.
    func caseCounts() async throws -> [CountermeasureID: [String: Int]]

    /// The data classes this store holds rows of.
    var storedDataClasses: [DataClass] { get }
    /// Deletes the rows of `dataClass` whose time is before `cutoff`, and writes `audit` (given
    /// the counts) in the same transaction.
    func purge(_ dataClass: DataClass, before cutoff: Date, audit: (PurgeResult) -> AuditEntry) async throws -> PurgeResult
    /// For each stored class: rows held and the oldest row's time.
    func retentionStates() async throws -> [RetentionState]

    /// Releases connections (a no-op for a file).
    func close() async
}

/// The audit log of a store, with what checkpoints need.
public protocol CheckpointedAuditLog: AuditLog {
    /// The number of records in the log (its head's sequence number; 0 when empty).
    func headSequence() async throws -> Int64
    /// Every record's hash, in sequence order (what a Merkle checkpoint covers).
    func hashes() async throws -> [[UInt8]]
    /// The Merkle checkpoints stored with the log, oldest first.
    func checkpoints() async throws -> [Checkpoint]
    /// Stores a checkpoint: the Merkle root over all records now in the log.
    @discardableResult
    func checkpoint(now: Date) async throws -> Checkpoint
}

extension Storage {
    /// The store's pseudonymiser, keyed by the current `pseudonym-key` of the key file (made at
    /// first use). Audit records written from then on name that key's id (detail `key`).
    public func pseudonymizer() throws -> Pseudonymizer {
        try Pseudonymizer(key: keys.secret(named: KeyName.pseudonym).secret)
    }

    /// The pseudonymiser of an older (or the current) pseudonymisation key, by id: to read
    /// records written under it.
    public func pseudonymizer(keyID: String) throws -> Pseudonymizer? {
        guard let key = keys.ring.key(id: keyID), key.name == KeyName.pseudonym else { return nil }
        return try Pseudonymizer(key: key.secret)
    }

    /// The current key named `name` from the key file, created with `length` random bytes the
    /// first time it is asked for.
    public func secret(named name: String, length: Int = 32) throws -> [UInt8] {
        try keys.secret(named: name, length: length).secret
    }
}
