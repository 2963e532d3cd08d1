import Synchronization

/// An append-only, hash-chained audit log, in a store.
///
/// `StoreSQLite` and `StorePostgres` implement it; ``InMemoryAuditLog`` serves unit tests. An
/// implementation must:
///
/// - in ``append(_:)``, read its last record, ``AuditChain/seal(_:after:)`` the entry after it
///   and insert the result, atomically (one transaction, with the head serialised among every
///   writer, also in other processes), and return the sealed record;
/// - never update or delete a record (retention purges are themselves appended as `purge`
///   entries and never touch the log);
/// - give records back byte-for-byte as sealed (time as whole milliseconds).
public protocol AuditLog: Sendable {
    /// Seals `entry` after the current last record and appends it.
    func append(_ entry: AuditEntry) async throws -> AuditRecord
    /// The records with `sequence >= from`, in sequence order.
    func records(from sequence: Int64) async throws -> [AuditRecord]
}

/// Where an identification writes its audit entry at once, without waiting: a collector whose
/// entries the caller writes in its own store transaction, or an in-memory log.
public protocol AuditSink: Sendable {
    /// Keeps `entry`; the record returned may be provisional (the store seals it when it writes it).
    func append(_ entry: AuditEntry) throws -> AuditRecord
}

extension AuditLog {
    /// Verifies the whole log (``AuditChain/verify(_:)``).
    public func verify() async throws -> AuditVerification {
        AuditChain.verify(try await records(from: 1))
    }

    /// Verifies the whole log and checks it against `checkpoints` (``AuditChain/verify(_:checkpoints:)``).
    public func verify(checkpoints: [Checkpoint]) async throws -> AuditVerification {
        AuditChain.verify(try await records(from: 1), checkpoints: checkpoints)
    }
}

/// Collects audit entries of one piece of work, to be written with that work's state in one
/// store transaction.
public final class AuditCollector: AuditSink {
    private let state = Mutex<[AuditEntry]>([])

    public init() {}

    /// Keeps the entry; the returned record is provisional (sequence 0, no hashes): the store
    /// seals the entries into the chain when it writes them.
    public func append(_ entry: AuditEntry) -> AuditRecord {
        state.withLock { $0.append(entry) }
        return AuditRecord(sequence: 0, entry: entry, previousHash: [], hash: [])
    }

    /// The entries kept, in order.
    public var entries: [AuditEntry] { state.withLock { $0 } }
}

/// An ``AuditLog`` in memory, for unit tests and `mamori demo`; lock-protected.
///
/// ``init(records:)`` takes records as they are, unchecked, so tests can build tampered logs.
public final class InMemoryAuditLog: AuditLog, AuditSink {
    private let state: Mutex<[AuditRecord]>

    /// A log holding `records` (unchecked; empty by default).
    public init(records: [AuditRecord] = []) {
        self.state = Mutex(records)
    }

    public func append(_ entry: AuditEntry) -> AuditRecord {
        state.withLock { records in
            let record = AuditChain.seal(entry, after: records.last)
            records.append(record)
            return record
        }
    }

    public func records(from sequence: Int64) -> [AuditRecord] {
        state.withLock { records in records.filter { $0.sequence >= sequence } }
    }

    /// The number of records.
    public var count: Int { state.withLock { $0.count } }
}
