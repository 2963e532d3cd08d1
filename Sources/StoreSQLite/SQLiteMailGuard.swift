import Foundation
import GRDB
public import MailGuard

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
