public import Foundation
import GRDB
public import Secrecy
public import Storage

extension MamoriStore {
    /// The data classes this store keeps rows of, and how each row's age is read.
    ///
    /// | class | table | a row's time |
    /// |---|---|---|
    /// | `assignment-records` | `aaa_event` | the end of the holding (`held_until`) |
    /// | `sightings` | `sighting_file` (the ledger: file hash and name) | its ingest |
    /// | `cases` | `infection_case` (with its notices and links) | its last sighting, notice or remediation |
    /// | `notices` | `notice`, `access_token` (personal links), `site_report` (site-owner notices), `mail_notice` (mail owners' notices) | its creation |
    ///
    /// The audit log is not purged: it holds pseudonyms only, and deleting from it would break the
    /// chain that proves what was done.
    static let retentionTables: [DataClass: [(table: String, time: String)]] = [
        .assignmentRecords: [("aaa_event", "held_until")],
        .sightings: [("sighting_file", "ingested_at")],
        .cases: [
            (
                "infection_case",
                "MAX(last_seen, COALESCE(last_notice_at, 0), COALESCE(remediated_at, 0), COALESCE(updated_at, 0))"
            )
        ],
        .notices: [("notice", "created_at"), ("access_token", "created_at"), ("site_report", "created_at"), ("mail_notice", "created_at")],
    ]

    /// The classes the store holds rows of.
    public static var dataClasses: [DataClass] {
        DataClass.allCases.filter { retentionTables[$0] != nil }
    }

    /// Deletes the rows of `dataClass` whose time is before `cutoff`, and writes `audit` (given
    /// the counts) in the same transaction.
    public func purge(
        _ dataClass: DataClass, before cutoff: Date, audit: (PurgeResult) -> AuditEntry
    ) throws -> PurgeResult {
        try pool.writeWithoutTransaction { db in
            var result = PurgeResult(dataClass: dataClass, deleted: [:], cutoff: cutoff)
            try db.inTransaction(.immediate) {
                for (table, time) in Self.retentionTables[dataClass] ?? [] {
                    try db.execute(sql: "DELETE FROM \(table) WHERE \(time) < ?", arguments: [cutoff.timeIntervalSince1970])
                    result.deleted[table] = db.changesCount
                }
                try SQLiteAuditLog.append(audit(result), in: db)
                return .commit
            }
            return result
        }
    }

    /// For each stored class: rows held and the oldest row's time.
    public func retentionStates() throws -> [RetentionState] {
        try pool.read { db in
            try Self.dataClasses.map { dataClass in
                var state = RetentionState(dataClass: dataClass, count: 0, oldest: nil)
                for (table, time) in Self.retentionTables[dataClass] ?? [] {
                    guard let row = try Row.fetchOne(db, sql: "SELECT COUNT(*) AS n, MIN(\(time)) AS t FROM \(table)") else { continue }
                    let n: Int = row["n"]
                    state.count += n
                    if let t: Double = row["t"] {
                        let date = Date(timeIntervalSince1970: t)
                        state.oldest = min(state.oldest ?? date, date)
                    }
                }
                return state
            }
        }
    }
}
