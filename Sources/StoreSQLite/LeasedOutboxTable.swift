import Foundation
import GRDB
import Secrecy

/// The lease steps an outbox table shares with the others (`notice`, `site_report`, `mail_notice`): rows
/// `queued` → `sending` (leased to one worker until `lease_until`) → `sent` or `failed`, or back
/// to `queued` for a retry. Each step runs in the caller's IMMEDIATE transaction; a step that
/// changes a row's outcome appends its audit record in that transaction.
struct LeasedOutboxTable {
    /// The table: `id`, `status`, `attempts`, `next_attempt_at`, `last_error`, `reply`,
    /// `lease_owner`, `lease_until`, `sent_at` columns.
    let table: String
    /// Text columns emptied when a row ends, sent or failed (the subscriber notice's `body`, which
    /// holds the personal link). Names of the schema's, never input.
    var clearedAtEnd: [String] = []

    /// `col = '', ` for each of ``clearedAtEnd``.
    private var clearing: String { clearedAtEnd.map { "\($0) = '', " }.joined() }

    /// Leases the oldest due row (queued and due, or sending with its lease run out) to `owner`;
    /// the row as it is after the lease (status `sending`, its attempt counted), or nil.
    func claim(_ db: Database, owner: String, dueBy: Date, now: Date, lease: TimeInterval) throws -> Row? {
        guard
            let id = try Int64.fetchOne(
                db,
                sql: """
                    SELECT id FROM \(table)
                        WHERE (status = 'queued' AND next_attempt_at <= ?)
                           OR (status = 'sending' AND (lease_until IS NULL OR lease_until <= ?))
                        ORDER BY id LIMIT 1
                    """, arguments: [dueBy.timeIntervalSince1970, now.timeIntervalSince1970])
        else { return nil }
        try db.execute(
            sql: "UPDATE \(table) SET status = 'sending', attempts = attempts + 1, lease_owner = ?, lease_until = ? WHERE id = ?",
            arguments: [owner, now.timeIntervalSince1970 + lease, id])
        return try Row.fetchOne(db, sql: "SELECT * FROM \(table) WHERE id = ?", arguments: [id])
    }

    /// Marks the row sent (once: false when it already was) and audits it.
    func markSent(_ db: Database, id: Int64, at: Date, reply: String, audit: AuditEntry) throws -> Bool {
        try db.execute(
            sql: """
                UPDATE \(table) SET status = 'sent', sent_at = ?, reply = ?, \(clearing)last_error = NULL, lease_owner = NULL, lease_until = NULL
                    WHERE id = ? AND status != 'sent'
                """, arguments: [at.timeIntervalSince1970, String(reply.prefix(500)), id])
        guard db.changesCount == 1 else { return false }
        try SQLiteAuditLog.append(audit, in: db)
        return true
    }

    /// Puts the row back in the queue for `next`, if `owner` still holds its lease (not audited:
    /// a retry is not an outcome).
    func markRetry(_ db: Database, id: Int64, owner: String, next: Date, error: String) throws {
        try db.execute(
            sql: """
                UPDATE \(table) SET status = 'queued', next_attempt_at = ?, last_error = ?, lease_owner = NULL, lease_until = NULL
                    WHERE id = ? AND status = 'sending' AND lease_owner = ?
                """, arguments: [next.timeIntervalSince1970, String(error.prefix(500)), id, owner])
    }

    /// Marks the row failed, if `owner` still holds its lease, and audits it.
    func markFailed(_ db: Database, id: Int64, owner: String, error: String, audit: AuditEntry) throws {
        try db.execute(
            sql: """
                UPDATE \(table) SET status = 'failed', last_error = ?, \(clearing)lease_owner = NULL, lease_until = NULL
                    WHERE id = ? AND status = 'sending' AND lease_owner = ?
                """, arguments: [String(error.prefix(500)), id, owner])
        guard db.changesCount == 1 else { return }
        try SQLiteAuditLog.append(audit, in: db)
    }
}

extension MamoriStore {
    /// Runs `body` in one IMMEDIATE transaction (the write lock taken at its start, as an audit
    /// append needs: it reads the chain's head, then inserts) and returns its result.
    func immediateWrite<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            guard let result else { throw StoreError.corrupt(path: self.path, table: "-", row: 0, reason: "transaction did not commit") }
            return result
        }
    }
}
