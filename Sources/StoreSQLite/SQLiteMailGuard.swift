public import Foundation
import GRDB
public import MailGuard
public import Secrecy

/// The mail guard's raised alerts, suspensions and blocks in the SQLite store: what `mamori
/// mail …` reads and changes, and what `mamori serve` reconciles with memory every second.
///
/// Rows exist only for raised alerts, suspended IDs and blocked addresses (class `blocks`):
/// outside the alerts nothing per ID or per address is written.
public struct SQLiteMailGuardStore: MailGuardStore {
    let store: MamoriStore

    public func mailGuardSnapshot() async throws -> MailGuardSnapshot {
        try await store.pool.read { db in
            var snapshot = MailGuardSnapshot()
            for row in try Row.fetchAll(db, sql: "SELECT alert, since, source FROM mail_alert") {
                guard let alert = MailAlert(rawValue: row["alert"]), let source = AlertSource(rawValue: row["source"]) else { continue }
                snapshot.alerts[alert] = RaisedAlert(alert: alert, since: Date(timeIntervalSince1970: row["since"]), source: source)
            }
            for row in try Row.fetchAll(db, sql: "SELECT auth_id, since, until, reason FROM mail_suspension") {
                let suspension = Suspension(
                    authID: row["auth_id"], since: Date(timeIntervalSince1970: row["since"]), until: Date(timeIntervalSince1970: row["until"]),
                    reason: row["reason"])
                snapshot.suspensions[suspension.authID] = suspension
            }
            for row in try Row.fetchAll(db, sql: "SELECT address, since, last_failure, attempts FROM mail_block") {
                let block = Block(
                    address: row["address"], since: Date(timeIntervalSince1970: row["since"]),
                    lastFailure: Date(timeIntervalSince1970: row["last_failure"]), attempts: row["attempts"])
                snapshot.blocks[block.address] = block
            }
            return snapshot
        }
    }

    public func apply(_ changes: [MailGuardChange]) async throws {
        guard !changes.isEmpty else { return }
        try await store.pool.write { db in
            for change in changes {
                switch change {
                case .alert(let alert, let raised?):
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO mail_alert(alert, since, source) VALUES (?, ?, ?)",
                        arguments: [alert.rawValue, raised.since.timeIntervalSince1970, raised.source.rawValue])
                case .alert(let alert, nil):
                    try db.execute(sql: "DELETE FROM mail_alert WHERE alert = ?", arguments: [alert.rawValue])
                case .suspension(let id, let suspension?):
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO mail_suspension(auth_id, since, until, reason) VALUES (?, ?, ?, ?)",
                        arguments: [id, suspension.since.timeIntervalSince1970, suspension.until.timeIntervalSince1970, suspension.reason])
                case .suspension(let id, nil):
                    try db.execute(sql: "DELETE FROM mail_suspension WHERE auth_id = ?", arguments: [id])
                case .block(let address, let block?):
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO mail_block(address, since, last_failure, attempts) VALUES (?, ?, ?, ?)",
                        arguments: [address, block.since.timeIntervalSince1970, block.lastFailure.timeIntervalSince1970, block.attempts])
                case .block(let address, nil):
                    try db.execute(sql: "DELETE FROM mail_block WHERE address = ?", arguments: [address])
                }
            }
        }
    }
}

extension MamoriStore {
    /// The mail guard's alerts, suspensions and blocks.
    public var mailGuard: SQLiteMailGuardStore { SQLiteMailGuardStore(store: self) }
}

/// The owners' notices of suspensions in the SQLite store: one row per login and suspension
/// start, each change one IMMEDIATE transaction with its audit record.
public struct SQLiteMailNoticeStore: MailNoticeStore {
    let store: MamoriStore
    static let outbox = LeasedOutboxTable(table: "mail_notice")

    private func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await store.immediateWrite(body)
    }

    public func enqueueMailNotice(_ notice: MailNoticeRecord, audit: AuditEntry) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO mail_notice (auth_id, suspended_at, recipient, message_id, subject, body, status, attempts, next_attempt_at,
                        created_at)
                        VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)
                        ON CONFLICT (auth_id, suspended_at) DO NOTHING
                    """,
                arguments: [
                    notice.login, notice.suspendedAt.timeIntervalSince1970, notice.recipient, notice.messageID, notice.subject, notice.text,
                    notice.nextAttemptAt.timeIntervalSince1970, notice.createdAt.timeIntervalSince1970,
                ])
            guard db.changesCount == 1 else { return false }
            try SQLiteAuditLog.append(audit, in: db)
            return true
        }
    }

    public func claimMailNotice(owner: String, dueBy: Date, now: Date, lease: TimeInterval) async throws -> MailNoticeRecord? {
        try await write { db in
            try Self.outbox.claim(db, owner: owner, dueBy: dueBy, now: now, lease: lease).map(Self.record)
        }
    }

    public func markMailNoticeSent(_ id: Int64, owner: String, at: Date, reply: String, audit: AuditEntry) async throws -> Bool {
        try await write { db in try Self.outbox.markSent(db, id: id, at: at, reply: reply, audit: audit) }
    }

    public func markMailNoticeRetry(_ id: Int64, owner: String, next: Date, error: String) async throws {
        try await write { db in try Self.outbox.markRetry(db, id: id, owner: owner, next: next, error: error) }
    }

    public func markMailNoticeFailed(_ id: Int64, owner: String, error: String, audit: AuditEntry) async throws {
        try await write { db in try Self.outbox.markFailed(db, id: id, owner: owner, error: error, audit: audit) }
    }

    public func mailNotices() async throws -> [MailNoticeRecord] {
        try await store.pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM mail_notice ORDER BY id").map(Self.record) }
    }

    static func record(_ row: Row) -> MailNoticeRecord {
        let status: String = row["status"]
        return MailNoticeRecord(
            id: row["id"], login: row["auth_id"], suspendedAt: Date(timeIntervalSince1970: row["suspended_at"]), recipient: row["recipient"],
            messageID: row["message_id"], subject: row["subject"], text: row["body"], status: MailNoticeStatus(rawValue: status) ?? .queued,
            attempts: row["attempts"], nextAttemptAt: Date(timeIntervalSince1970: row["next_attempt_at"]), lastError: row["last_error"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]), sentAt: (row["sent_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }
}

extension MamoriStore {
    /// The owners' notices of suspensions.
    public var mailNoticeStore: SQLiteMailNoticeStore { SQLiteMailNoticeStore(store: self) }
}
