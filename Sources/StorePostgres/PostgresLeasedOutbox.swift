import Foundation
import PostgresNIO
import Secrecy

/// The lease steps an outbox table shares with the others (`notice`, `site_report`, `mail_notice`): rows
/// `queued` → `sending` (leased to one worker until `lease_until`) → `sent` or `failed`, or back
/// to `queued` for a retry. Claims take the oldest due row with `FOR UPDATE SKIP LOCKED`, so
/// that several `serve` never lease one row twice; a step that changes a row's outcome appends
/// its audit record in the same transaction.
struct PostgresLeasedOutbox {
    let store: PostgresStore
    /// The table: `id`, `status`, `attempts`, `next_attempt_at`, `last_error`, `reply`,
    /// `lease_owner`, `lease_until`, `sent_at` columns.
    let table: String
    /// What of a row the caller reads back (its record decoder's columns).
    let columns: String
    /// What the steps are, in errors and logs ("a site-owner notice").
    let what: String
    /// Text columns emptied when a row ends, sent or failed (the subscriber notice's `body`, which
    /// holds the personal link). Names of the schema's, never input.
    var clearedAtEnd: [String] = []

    /// `col = '', ` for each of ``clearedAtEnd``.
    private var clearing: String { clearedAtEnd.map { "\($0) = '', " }.joined() }

    /// Leases the oldest due row to `owner` and decodes it as it is after the lease.
    func claim<Record: Sendable>(
        owner: String, dueBy: Date, now: Date, lease: TimeInterval, decode: (PostgresRowSequence) async throws -> [Record]
    ) async throws -> Record? {
        try await store.transaction("claim \(what)", lockingAudit: false) { connection in
            try await decode(
                connection.query(
                    """
                    UPDATE \(unescaped: table) SET status = 'sending', attempts = attempts + 1, lease_owner = \(owner),
                        lease_until = \(now.timeIntervalSince1970 + lease)
                    WHERE id = (
                        SELECT id FROM \(unescaped: table)
                        WHERE (status = 'queued' AND next_attempt_at <= \(dueBy.timeIntervalSince1970))
                           OR (status = 'sending' AND (lease_until IS NULL OR lease_until <= \(now.timeIntervalSince1970)))
                        ORDER BY id
                        FOR UPDATE SKIP LOCKED
                        LIMIT 1)
                    RETURNING \(unescaped: columns)
                    """, logger: store.logger)
            ).first
        }
    }

    /// Marks the row sent (once: false when it already was) and audits it.
    func markSent(_ id: Int64, at: Date, reply: String, audit: AuditEntry) async throws -> Bool {
        try await store.transaction("mark \(what) sent", lockingAudit: true) { connection in
            var changed = false
            for try await _ in try await connection.query(
                """
                UPDATE \(unescaped: table) SET status = 'sent', sent_at = \(at.timeIntervalSince1970), reply = \(String(reply.prefix(500))),
                    \(unescaped: clearing)last_error = NULL, lease_owner = NULL, lease_until = NULL
                WHERE id = \(id) AND status <> 'sent'
                RETURNING id
                """, logger: store.logger
            ).decode(Int64.self) {
                changed = true
            }
            guard changed else { return false }
            _ = try await store.appendAudit([audit], on: connection)
            return true
        }
    }

    /// Puts the row back in the queue for `next`, if `owner` still holds its lease (not audited:
    /// a retry is not an outcome).
    func markRetry(_ id: Int64, owner: String, next: Date, error: String) async throws {
        try await store.transaction("mark \(what) for retry", lockingAudit: false) { connection in
            try await connection.query(
                """
                UPDATE \(unescaped: table) SET status = 'queued', next_attempt_at = \(next.timeIntervalSince1970),
                    last_error = \(String(error.prefix(500))), lease_owner = NULL, lease_until = NULL
                WHERE id = \(id) AND status = 'sending' AND lease_owner = \(owner)
                """, logger: store.logger)
        }
    }

    /// Marks the row failed, if `owner` still holds its lease, and audits it.
    func markFailed(_ id: Int64, owner: String, error: String, audit: AuditEntry) async throws {
        try await store.transaction("mark \(what) failed", lockingAudit: true) { connection in
            var changed = false
            for try await _ in try await connection.query(
                """
                UPDATE \(unescaped: table) SET status = 'failed', last_error = \(String(error.prefix(500))), \(unescaped: clearing)lease_owner = NULL,
                    lease_until = NULL
                WHERE id = \(id) AND status = 'sending' AND lease_owner = \(owner)
                RETURNING id
                """, logger: store.logger
            ).decode(Int64.self) {
                changed = true
            }
            if changed { _ = try await store.appendAudit([audit], on: connection) }
        }
    }
}
