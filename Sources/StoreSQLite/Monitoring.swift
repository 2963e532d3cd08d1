import Foundation
import GRDB
public import Remediation

/// Whether the store can serve: it answers, and its schema is the one this build migrates to.
public struct StoreReadiness: Sendable, Equatable {
    /// The store answered a read.
    public var answers: Bool
    /// Every migration this build knows is applied (none missing, none unknown).
    public var migrationsCurrent: Bool
    /// Why it is not ready, for the `/readyz` body and the log; nil when ready.
    public var problem: String?

    public var isReady: Bool { answers && migrationsCurrent }
}

/// Audit records appended in a range of sequence numbers, counted per countermeasure, action
/// and (for identifications) outcome: the aggregates `/metrics` exposes. No subject, actor or
/// detail value other than the outcome is read.
public struct AuditActivity: Sendable, Hashable {
    public var countermeasure: String
    public var action: String
    /// `found`, `not_found` or `ambiguous` for `identification`; empty otherwise.
    public var outcome: String
    public var count: Int
}

extension MamoriStore {
    /// Answers a read and compares the applied migrations with this build's.
    public func readiness() async -> StoreReadiness {
        do {
            return try await pool.read { db in
                let applied = try Schema.migrator.appliedIdentifiers(db)
                let known = Set(Schema.migrator.migrations)
                if applied == known { return StoreReadiness(answers: true, migrationsCurrent: true, problem: nil) }
                let missing = known.subtracting(applied).sorted()
                let unknown = applied.subtracting(known).sorted()
                let problem =
                    missing.isEmpty
                    ? "the store has migrations this build does not know (\(unknown.joined(separator: ", "))): a newer mamori wrote it"
                    : "migrations not applied: \(missing.joined(separator: ", "))"
                return StoreReadiness(answers: true, migrationsCurrent: false, problem: problem)
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

/// AAA files ingested after a given file id, summed per format.
public struct AAAIngestTotals: Sendable, Hashable {
    public var format: String
    public var files: Int
    public var records: Int
    public var events: Int
    public var rejected: Int
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
