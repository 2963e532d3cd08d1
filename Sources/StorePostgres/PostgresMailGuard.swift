public import Foundation
import Logging
public import MailGuard
import PostgresNIO
public import Secrecy

/// The mail guard's raised alerts, suspensions and blocks in PostgreSQL: what `mamori mail …`
/// reads and changes, and what every `mamori serve` on the database reconciles with memory.
///
/// Rows exist only for raised alerts, suspended IDs and blocked addresses: outside the alerts
/// nothing per ID or per address is written.
public struct PostgresMailGuardStore: MailGuardStore {
    let store: PostgresStore

    public func mailGuardSnapshot() async throws -> MailGuardSnapshot {
        try await store.read("read the mail guard's state") { connection in
            var snapshot = MailGuardSnapshot()
            for try await (name, since, sourceName) in try await connection.query(
                "SELECT alert, since, source FROM mail_alert", logger: store.logger
            ).decode((String, Double, String).self) {
                guard let alert = MailAlert(rawValue: name), let source = AlertSource(rawValue: sourceName) else { continue }
                snapshot.alerts[alert] = RaisedAlert(alert: alert, since: Date(timeIntervalSince1970: since), source: source)
            }
            for try await (id, since, until, reason) in try await connection.query(
                "SELECT auth_id, since, until, reason FROM mail_suspension", logger: store.logger
            ).decode((String, Double, Double, String).self) {
                snapshot.suspensions[id] = Suspension(
                    authID: id, since: Date(timeIntervalSince1970: since), until: Date(timeIntervalSince1970: until), reason: reason)
            }
            for try await (address, since, lastFailure, attempts) in try await connection.query(
                "SELECT address, since, last_failure, attempts FROM mail_block", logger: store.logger
            ).decode((String, Double, Double, Int).self) {
                snapshot.blocks[address] = Block(
                    address: address, since: Date(timeIntervalSince1970: since), lastFailure: Date(timeIntervalSince1970: lastFailure),
                    attempts: attempts)
            }
            return snapshot
        }
    }

    public func apply(_ changes: [MailGuardChange]) async throws {
        guard !changes.isEmpty else { return }
        try await store.transaction("change the mail guard's state", lockingAudit: false) { connection in
            for change in changes {
                switch change {
                case .alert(let alert, let raised?):
                    try await connection.query(
                        """
                        INSERT INTO mail_alert (alert, since, source) VALUES (\(alert.rawValue), \(raised.since.timeIntervalSince1970), \(raised.source.rawValue))
                        ON CONFLICT (alert) DO UPDATE SET since = EXCLUDED.since, source = EXCLUDED.source
                        """, logger: store.logger)
                case .alert(let alert, nil):
                    try await connection.query("DELETE FROM mail_alert WHERE alert = \(alert.rawValue)", logger: store.logger)
                case .suspension(let id, let suspension?):
                    try await connection.query(
                        """
                        INSERT INTO mail_suspension (auth_id, since, until, reason)
                        VALUES (\(id), \(suspension.since.timeIntervalSince1970), \(suspension.until.timeIntervalSince1970), \(suspension.reason))
                        ON CONFLICT (auth_id) DO UPDATE SET since = EXCLUDED.since, until = EXCLUDED.until, reason = EXCLUDED.reason
                        """, logger: store.logger)
                case .suspension(let id, nil):
                    try await connection.query("DELETE FROM mail_suspension WHERE auth_id = \(id)", logger: store.logger)
                case .block(let address, let block?):
                    try await connection.query(
                        """
                        INSERT INTO mail_block (address, since, last_failure, attempts)
                        VALUES (\(address), \(block.since.timeIntervalSince1970), \(block.lastFailure.timeIntervalSince1970), \(block.attempts))
                        ON CONFLICT (address) DO UPDATE SET since = EXCLUDED.since, last_failure = EXCLUDED.last_failure,
                            attempts = EXCLUDED.attempts
                        """, logger: store.logger)
                case .block(let address, nil):
                    try await connection.query("DELETE FROM mail_block WHERE address = \(address)", logger: store.logger)
                }
            }
        }
    }
}

/// The owners' notices of suspensions in PostgreSQL: one row per login and suspension start;
/// claims take the oldest due row with `FOR UPDATE SKIP LOCKED`, as the other outboxes do.
public struct PostgresMailNoticeStore: MailNoticeStore {
    let store: PostgresStore
    var outbox: PostgresLeasedOutbox {
        PostgresLeasedOutbox(store: store, table: "mail_notice", columns: Self.columns, what: "a mail owner's notice")
    }

    public func enqueueMailNotice(_ notice: MailNoticeRecord, audit: AuditEntry) async throws -> Bool {
        try await store.transaction("queue a mail owner's notice", lockingAudit: true) { connection in
            var inserted = false
            for try await _ in try await connection.query(
                """
                INSERT INTO mail_notice (auth_id, suspended_at, recipient, message_id, subject, body, status, attempts, next_attempt_at,
                    created_at)
                VALUES (\(notice.login), \(notice.suspendedAt.timeIntervalSince1970), \(notice.recipient), \(notice.messageID),
                    \(notice.subject), \(notice.text), 'queued', 0, \(notice.nextAttemptAt.timeIntervalSince1970),
                    \(notice.createdAt.timeIntervalSince1970))
                ON CONFLICT (auth_id, suspended_at) DO NOTHING
                RETURNING id
                """, logger: store.logger
            ).decode(Int64.self) {
                inserted = true
            }
            if inserted { _ = try await store.appendAudit([audit], on: connection) }
            return inserted
        }
    }

    public func claimMailNotice(owner: String, dueBy: Date, now: Date, lease: TimeInterval) async throws -> MailNoticeRecord? {
        try await outbox.claim(owner: owner, dueBy: dueBy, now: now, lease: lease, decode: Self.records)
    }

    public func markMailNoticeSent(_ id: Int64, owner: String, at: Date, reply: String, audit: AuditEntry) async throws -> Bool {
        try await outbox.markSent(id, at: at, reply: reply, audit: audit)
    }

    public func markMailNoticeRetry(_ id: Int64, owner: String, next: Date, error: String) async throws {
        try await outbox.markRetry(id, owner: owner, next: next, error: error)
    }

    public func markMailNoticeFailed(_ id: Int64, owner: String, error: String, audit: AuditEntry) async throws {
        try await outbox.markFailed(id, owner: owner, error: error, audit: audit)
    }

    public func mailNotices() async throws -> [MailNoticeRecord] {
        try await store.read("read mail owners' notices") { connection in
            try await Self.records(connection.query("SELECT \(unescaped: Self.columns) FROM mail_notice ORDER BY id", logger: store.logger))
        }
    }

    static let columns =
        "id, auth_id, suspended_at, recipient, message_id, subject, body, status, attempts, next_attempt_at, last_error, created_at, sent_at"

    static func records(_ rows: PostgresRowSequence) async throws -> [MailNoticeRecord] {
        var out: [MailNoticeRecord] = []
        for try await row in rows {
            let (id, login, suspendedAt, recipient, messageID, subject, body, status, attempts) =
                try row.decode((Int64, String, Double, String, String, String, String, String, Int).self)
            let rest = row.makeRandomAccess()
            out.append(
                MailNoticeRecord(
                    id: id, login: login, suspendedAt: Date(timeIntervalSince1970: suspendedAt), recipient: recipient, messageID: messageID,
                    subject: subject, text: body, status: MailNoticeStatus(rawValue: status) ?? .queued, attempts: attempts,
                    nextAttemptAt: Date(timeIntervalSince1970: try rest[9].decode(Double.self)), lastError: try rest[10].decode(String?.self),
                    createdAt: Date(timeIntervalSince1970: try rest[11].decode(Double.self)),
                    sentAt: try rest[12].decode(Double?.self).map(Date.init(timeIntervalSince1970:))))
        }
        return out
    }
}
