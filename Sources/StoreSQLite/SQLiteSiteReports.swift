public import Foundation
import GRDB
public import Secrecy
public import SiteWarning
import Storage

/// The site-owner notices' outbox in the SQLite store: one row per listed name and recipient,
/// each change one IMMEDIATE transaction with its audit record.
public struct SQLiteSiteReportStore: SiteReportStore {
    let store: MamoriStore
    static let outbox = LeasedOutboxTable(table: "site_report")

    private func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await store.immediateWrite(body)
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
        try await write { db in
            try Self.outbox.claim(db, owner: owner, dueBy: dueBy, now: now, lease: lease).map({ try Self.record($0) })
        }
    }

    public func markReportSent(_ id: Int64, owner: String, at: Date, reply: String, audit: AuditEntry) async throws -> Bool {
        try await write { db in try Self.outbox.markSent(db, id: id, at: at, reply: reply, audit: audit) }
    }

    public func markReportRetry(_ id: Int64, owner: String, next: Date, error: String) async throws {
        try await write { db in try Self.outbox.markRetry(db, id: id, owner: owner, next: next, error: error) }
    }

    public func markReportFailed(_ id: Int64, owner: String, error: String, audit: AuditEntry) async throws {
        try await write { db in try Self.outbox.markFailed(db, id: id, owner: owner, error: error, audit: audit) }
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
