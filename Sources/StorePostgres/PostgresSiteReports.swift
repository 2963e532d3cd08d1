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
    var outbox: PostgresLeasedOutbox { PostgresLeasedOutbox(store: store, table: "site_report", columns: Self.columns, what: "a site-owner notice") }

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
        try await outbox.claim(owner: owner, dueBy: dueBy, now: now, lease: lease, decode: Self.records)
    }

    public func markReportSent(_ id: Int64, owner: String, at: Date, reply: String, audit: AuditEntry) async throws -> Bool {
        try await outbox.markSent(id, at: at, reply: reply, audit: audit)
    }

    public func markReportRetry(_ id: Int64, owner: String, next: Date, error: String) async throws {
        try await outbox.markRetry(id, owner: owner, next: next, error: error)
    }

    public func markReportFailed(_ id: Int64, owner: String, error: String, audit: AuditEntry) async throws {
        try await outbox.markFailed(id, owner: owner, error: error, audit: audit)
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
