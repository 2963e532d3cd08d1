import Synchronization

/// An append-only, hash-chained audit log.
///
/// The `Store` module implements it over SQLite/PostgreSQL; ``InMemoryAuditLog`` serves unit
/// tests. An implementation must:
///
/// - in ``append(_:)``, read its last record, ``AuditChain/seal(_:after:)`` the entry after it
///   and insert the result, atomically (one transaction), and return the sealed record;
/// - never update or delete a record (retention purges are themselves appended as `purge`
///   entries and never touch the log);
/// - give records back byte-for-byte as sealed (time as whole milliseconds).
public protocol AuditLog: Sendable {
    /// Seals `entry` after the current last record and appends it.
    func append(_ entry: AuditEntry) throws -> AuditRecord
    /// The records with `sequence >= from`, in sequence order.
    func records(from sequence: Int64) throws -> [AuditRecord]
}

extension AuditLog {
    /// Verifies the whole log (``AuditChain/verify(_:)``).
    public func verify() throws -> AuditVerification {
        AuditChain.verify(try records(from: 1))
    }

    /// Verifies the whole log and checks it against `checkpoints` (``AuditChain/verify(_:checkpoints:)``).
    public func verify(checkpoints: [Checkpoint]) throws -> AuditVerification {
        AuditChain.verify(try records(from: 1), checkpoints: checkpoints)
    }
}

/// An ``AuditLog`` in memory, for unit tests and `mamori demo`; lock-protected.
///
/// ``init(records:)`` takes records as they are, unchecked, so tests can build tampered logs.
public final class InMemoryAuditLog: AuditLog {
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
