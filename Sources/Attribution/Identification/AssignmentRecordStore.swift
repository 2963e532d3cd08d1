public import Foundation
public import Secrecy
import TextScanning

/// What attribution needs from storage: the ingested assignment events, idempotently.
///
/// `StoreSQLite` and `StorePostgres` implement it. Concurrent inserts (several processes) of
/// overlapping events store each event once.
public protocol AssignmentRecordStore: Sendable {
    /// Stores events, skipping those already stored (same ``AssignmentEvent/stableKey``);
    /// returns how many were added and how many were already there.
    func insert(events: [AssignmentEvent], now: Date) async throws -> (added: Int, duplicates: Int)
    /// Every stored event.
    func allEvents() async throws -> [AssignmentEvent]
    /// Deletes the events whose holding ended before `cutoff`; returns how many.
    func purgeEvents(endedBefore cutoff: Date) async throws -> Int
    /// The number of stored events.
    func eventCount() async throws -> Int
    /// Names the stored events as they are now, cheaply: an index snapshot made for another
    /// stamp is not used. It changes whenever events are added or deleted.
    func assignmentStamp() async throws -> String

    /// Whether a file with this content hash was already ingested completely.
    func hasIngestedFile(sha256: String) async throws -> Bool
    /// Records that a file was ingested completely (after all its events are stored), with the
    /// ingest's audit entry, in one transaction.
    func recordIngestedFile(_ file: AssignmentFileRecord, audit: AuditEntry) async throws
}

/// An AAA file in the ingest ledger.
public struct AssignmentFileRecord: Sendable, Hashable {
    /// SHA-256 of the file's bytes, hex.
    public var sha256: String
    /// The file's name (last path component), for operators.
    public var name: String
    public var format: String
    public var records: Int
    public var events: Int
    public var rejected: Int
    public var ingestedAt: Date

    public init(sha256: String, name: String, format: String, records: Int, events: Int, rejected: Int, ingestedAt: Date) {
        self.sha256 = sha256
        self.name = name
        self.format = format
        self.records = records
        self.events = events
        self.rejected = rejected
        self.ingestedAt = ingestedAt
    }
}
