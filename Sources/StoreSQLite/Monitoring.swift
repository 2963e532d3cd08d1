import Foundation
import GRDB
public import Remediation
public import Storage

extension MamoriStore {
    /// Answers a read and compares the applied migrations with this build's.
    public func readiness() async -> StoreReadiness {
        do {
            return try await pool.read { db in
                StoreReadiness.comparing(applied: try Schema.migrator.appliedIdentifiers(db), known: Set(Schema.migrator.migrations))
            }
        } catch {
            return StoreReadiness(answers: false, migrationsCurrent: false, problem: "the store does not answer: \(error)")
        }
    }

    /// Notices counted per status (`queued`, `sending`, `retry`, `sent`, `failed`, …).
    public func noticeCounts() async throws -> [String: Int] {
        try await pool.read { db in
            var out: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM notice GROUP BY status") {
                out[row["status"] as String] = row["n"] as Int
            }
            return out
        }
    }

    /// The highest audit sequence number (0 for an empty log).
    public func auditHead() async throws -> Int64 {
        try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM audit") ?? 0 }
    }

    /// The audit records with `after < seq <= through`, counted (see ``AuditActivity``).
    public func auditActivity(after: Int64, through: Int64) async throws -> [AuditActivity] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT COALESCE(countermeasure, '') AS countermeasure, action,
                           CASE WHEN action = 'identification' AND json_valid(detail)
                                THEN COALESCE(json_extract(detail, '$.status'), '') ELSE '' END AS outcome,
                           COUNT(*) AS n
                    FROM audit WHERE seq > ? AND seq <= ? GROUP BY 1, 2, 3
                    """, arguments: [after, through]
            ).map { row in
                AuditActivity(countermeasure: row["countermeasure"], action: row["action"], outcome: row["outcome"], count: row["n"])
            }
        }
    }
}

extension MamoriStore {
    /// Sighting counts per feed, as every `ingest sightings` run left them (GRDB's async API).
    public func feedCounts() async throws -> [FeedCounts] {
        try await pool.read(SQLiteRemediationStore.feedCounts)
    }

    /// The AAA files ingested with an id above `afterFile`, summed per format, and the highest id.
    public func aaaIngests(afterFile: Int64) async throws -> (totals: [AAAIngestTotals], lastFile: Int64) {
        try await pool.read { db in
            let totals = try Row.fetchAll(
                db,
                sql: """
                    SELECT format, COUNT(*) AS files, SUM(records) AS records, SUM(events) AS events, SUM(rejected) AS rejected
                    FROM aaa_file WHERE id > ? GROUP BY format
                    """, arguments: [afterFile]
            ).map { row in
                AAAIngestTotals(format: row["format"], files: row["files"], records: row["records"], events: row["events"], rejected: row["rejected"])
            }
            let last = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM aaa_file") ?? 0
            return (totals, max(last, afterFile))
        }
    }
}
