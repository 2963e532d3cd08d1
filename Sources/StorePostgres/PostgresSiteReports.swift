public import Foundation
import Logging
import PostgresNIO
public import Secrecy
public import SiteWarning
import Storage

/// The site-owner notices' outbox in PostgreSQL: one row per listed name and recipient; claims
/// take the oldest due row with `FOR UPDATE SKIP LOCKED`, as the subscriber notices do.
public struct PostgresSiteReportStore: SiteReportStore {
    let store: PostgresStore

    public func enqueue(_ report: SiteReportRecord, audit: AuditEntry) async throws -> Bool {
        let parts = try SiteReportRows.encodeParts(report.parts)
        return try await store.transaction("queue a site-owner notice", lockingAudit: true) { connection in
            var inserted = false
            for try await _ in try await connection.query(
                """
                INSERT INTO site_report (list, domain, kind, recipient, format, message_id, subject, body, parts, status, attempts,
                    next_attempt_at, created_at)
                VALUES (\(report.list), \(report.domain), \(report.kind.rawValue), \(report.recipient), \(report.format.rawValue),
                    \(report.messageID), \(report.subject), \(report.text), \(parts), 'queued', 0,
                    \(report.nextAttemptAt.timeIntervalSince1970), \(report.createdAt.timeIntervalSince1970))
                ON CONFLICT (domain, recipient) DO NOTHING
                RETURNING id
                """, logger: store.logger
            ).decode(Int64.self) {
                inserted = true
            }
            if inserted { _ = try await store.appendAudit([audit], on: connection) }
            return inserted
        }
    }

    public func claimReport(owner: String, dueBy: Date, now: Date, lease: TimeInterval) async throws -> SiteReportRecord? {
        try await store.transaction("claim a site-owner notice", lockingAudit: false) { connection in
            try await Self.records(
                connection.query(
                    """
                    UPDATE site_report SET status = 'sending', attempts = attempts + 1, lease_owner = \(owner),
                        lease_until = \(now.timeIntervalSince1970 + lease)
                    WHERE id = (
                        SELECT id FROM site_report
                        WHERE (status = 'queued' AND next_attempt_at <= \(dueBy.timeIntervalSince1970))
                           OR (status = 'sending' AND (lease_until IS NULL OR lease_until <= \(now.timeIntervalSince1970)))
                        ORDER BY id
                        FOR UPDATE SKIP LOCKED
                        LIMIT 1)
                    RETURNING \(unescaped: Self.columns)
                    """, logger: store.logger)
            ).first
        }
    }

    public func markReportSent(_ id: Int64, owner: String, at: Date, reply: String, audit: AuditEntry) async throws -> Bool {
        try await store.transaction("mark a site-owner notice sent", lockingAudit: true) { connection in
            var changed = false
            for try await _ in try await connection.query(
                """
                UPDATE site_report SET status = 'sent', sent_at = \(at.timeIntervalSince1970), reply = \(String(reply.prefix(500))),
                    last_error = NULL, lease_owner = NULL, lease_until = NULL
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

    public func markReportRetry(_ id: Int64, owner: String, next: Date, error: String) async throws {
        try await store.transaction("mark a site-owner notice for retry", lockingAudit: false) { connection in
            try await connection.query(
                """
                UPDATE site_report SET status = 'queued', next_attempt_at = \(next.timeIntervalSince1970),
                    last_error = \(String(error.prefix(500))), lease_owner = NULL, lease_until = NULL
                WHERE id = \(id) AND status = 'sending' AND lease_owner = \(owner)
                """, logger: store.logger)
        }
    }

    public func markReportFailed(_ id: Int64, owner: String, error: String, audit: AuditEntry) async throws {
        try await store.transaction("mark a site-owner notice failed", lockingAudit: true) { connection in
            var changed = false
            for try await _ in try await connection.query(
                """
                UPDATE site_report SET status = 'failed', last_error = \(String(error.prefix(500))), lease_owner = NULL, lease_until = NULL
                WHERE id = \(id) AND status = 'sending' AND lease_owner = \(owner)
                RETURNING id
                """, logger: store.logger
            ).decode(Int64.self) {
                changed = true
            }
            if changed { _ = try await store.appendAudit([audit], on: connection) }
        }
    }

    public func siteReports() async throws -> [SiteReportRecord] {
        try await store.read("read site-owner notices") { connection in
            try await Self.records(connection.query("SELECT \(unescaped: Self.columns) FROM site_report ORDER BY id", logger: store.logger))
        }
    }

    static let columns =
        "id, list, domain, kind, recipient, format, message_id, subject, body, parts, status, attempts, next_attempt_at, last_error, created_at, sent_at"

    static func records(_ rows: PostgresRowSequence) async throws -> [SiteReportRecord] {
        var out: [SiteReportRecord] = []
        for try await row in rows {
            let (id, list, domain, kind, recipient, format, messageID, subject, body, parts, status) =
                try row.decode((Int64, String, String, String, String, String, String, String, String, String, String).self)
            let rest = row.makeRandomAccess()
            out.append(
                SiteReportRecord(
                    id: id, list: list, domain: domain, kind: ListKind(rawValue: kind) ?? .malwareSite, recipient: recipient,
                    format: SiteReportFormat(rawValue: format) ?? .xarf, messageID: messageID, subject: subject, text: body,
                    parts: try SiteReportRows.decodeParts(parts), status: SiteReportStatus(rawValue: status) ?? .queued,
                    attempts: try rest[11].decode(Int.self), nextAttemptAt: Date(timeIntervalSince1970: try rest[12].decode(Double.self)),
                    lastError: try rest[13].decode(String?.self), createdAt: Date(timeIntervalSince1970: try rest[14].decode(Double.self)),
                    sentAt: try rest[15].decode(Double?.self).map(Date.init(timeIntervalSince1970:))))
        }
        return out
    }
}

extension PostgresStore {
    public var siteReportStore: PostgresSiteReportStore { PostgresSiteReportStore(store: self) }
}
