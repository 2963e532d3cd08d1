public import Foundation
import GRDB
public import Secrecy
public import SiteWarning
import Storage

/// The site-owner notices' outbox in the SQLite store: one row per listed name and recipient,
/// each change one IMMEDIATE transaction with its audit record.
public struct SQLiteSiteReportStore: SiteReportStore {
    let store: MamoriStore

    private func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await store.pool.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }

    public func enqueue(_ report: SiteReportRecord, audit: AuditEntry) async throws -> Bool {
        let parts = try SiteReportRows.encodeParts(report.parts)
        return try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO site_report (list, domain, kind, recipient, format, message_id, subject, body, parts, status, attempts,
                        next_attempt_at, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)
                        ON CONFLICT (domain, recipient) DO NOTHING
                    """,
                arguments: [
                    report.list, report.domain, report.kind.rawValue, report.recipient, report.format.rawValue, report.messageID,
                    report.subject, report.text, parts, report.nextAttemptAt.timeIntervalSince1970, report.createdAt.timeIntervalSince1970,
                ])
            guard db.changesCount == 1 else { return false }
            try SQLiteAuditLog.append(audit, in: db)
            return true
        }
    }

    public func claimReport(owner: String, dueBy: Date, now: Date, lease: TimeInterval) async throws -> SiteReportRecord? {
        try await write { db -> SiteReportRecord? in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT * FROM site_report
                            WHERE (status = 'queued' AND next_attempt_at <= ?)
                               OR (status = 'sending' AND (lease_until IS NULL OR lease_until <= ?))
                            ORDER BY id LIMIT 1
                        """, arguments: [dueBy.timeIntervalSince1970, now.timeIntervalSince1970])
            else { return nil }
            var report = try Self.record(row)
            guard let id = report.id else { return nil }
            report.attempts += 1
            report.status = .sending
            try db.execute(
                sql: "UPDATE site_report SET status = 'sending', attempts = ?, lease_owner = ?, lease_until = ? WHERE id = ?",
                arguments: [report.attempts, owner, now.timeIntervalSince1970 + lease, id])
            return report
        }
    }

    public func markReportSent(_ id: Int64, owner: String, at: Date, reply: String, audit: AuditEntry) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE site_report SET status = 'sent', sent_at = ?, reply = ?, last_error = NULL, lease_owner = NULL, lease_until = NULL
                        WHERE id = ? AND status != 'sent'
                    """, arguments: [at.timeIntervalSince1970, String(reply.prefix(500)), id])
            guard db.changesCount == 1 else { return false }
            try SQLiteAuditLog.append(audit, in: db)
            return true
        }
    }

    public func markReportRetry(_ id: Int64, owner: String, next: Date, error: String) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE site_report SET status = 'queued', next_attempt_at = ?, last_error = ?, lease_owner = NULL, lease_until = NULL
                        WHERE id = ? AND status = 'sending' AND lease_owner = ?
                    """, arguments: [next.timeIntervalSince1970, String(error.prefix(500)), id, owner])
        }
    }

    public func markReportFailed(_ id: Int64, owner: String, error: String, audit: AuditEntry) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE site_report SET status = 'failed', last_error = ?, lease_owner = NULL, lease_until = NULL
                        WHERE id = ? AND status = 'sending' AND lease_owner = ?
                    """, arguments: [String(error.prefix(500)), id, owner])
            guard db.changesCount == 1 else { return }
            try SQLiteAuditLog.append(audit, in: db)
        }
    }

    public func siteReports() async throws -> [SiteReportRecord] {
        try await store.pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM site_report ORDER BY id").map(Self.record) }
    }

    static func record(_ row: Row) throws -> SiteReportRecord {
        let kind: String = row["kind"]
        let format: String = row["format"]
        let status: String = row["status"]
        let parts: String = row["parts"]
        return SiteReportRecord(
            id: row["id"], list: row["list"], domain: row["domain"], kind: ListKind(rawValue: kind) ?? .malwareSite,
            recipient: row["recipient"], format: SiteReportFormat(rawValue: format) ?? .xarf, messageID: row["message_id"],
            subject: row["subject"], text: row["body"], parts: try SiteReportRows.decodeParts(parts),
            status: SiteReportStatus(rawValue: status) ?? .queued, attempts: row["attempts"],
            nextAttemptAt: Date(timeIntervalSince1970: row["next_attempt_at"]), lastError: row["last_error"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]), sentAt: (row["sent_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }
}

extension MamoriStore {
    public var siteReportStore: SQLiteSiteReportStore { SQLiteSiteReportStore(store: self) }
}
