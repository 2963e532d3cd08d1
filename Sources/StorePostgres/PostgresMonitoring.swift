public import Foundation
import Logging
import PostgresNIO
public import Secrecy
public import Storage

extension PostgresStore {
    /// Answers a read and compares the applied migrations with this build's.
    public func readiness() async -> StoreReadiness {
        do {
            let applied = try await read("read the applied migrations") { connection in
                try await PostgresSchema.appliedIDs(connection, logger: logger)
            }
            return StoreReadiness.comparing(applied: applied, known: Set(PostgresSchema.ids))
        } catch {
            return StoreReadiness(answers: false, migrationsCurrent: false, problem: "the store does not answer: \(error)")
        }
    }

    /// The ids of the migrations this build applies, in order.
    public static var migrationIDs: [String] { PostgresSchema.ids }

    /// Notices counted per status (`queued`, `sending`, `sent`, `failed`).
    public func noticeCounts() async throws -> [String: Int] {
        try await read("count notices") { connection in
            var out: [String: Int] = [:]
            for try await (status, n) in try await connection.query("SELECT status, COUNT(*) FROM notice GROUP BY status", logger: logger)
                .decode((String, Int).self)
            {
                out[status] = n
            }
            return out
        }
    }

    /// The highest audit sequence number (0 for an empty log).
    public func auditHead() async throws -> Int64 {
        try await read("read the audit head") { connection in
            var head: Int64 = 0
            for try await seq in try await connection.query("SELECT COALESCE(MAX(seq), 0) FROM audit", logger: logger).decode(Int64.self) {
                head = seq
            }
            return head
        }
    }

    /// The audit records with `after < seq <= through`, counted (see ``AuditActivity``).
    /// No subject, actor or detail value other than the identification's `status` is read.
    public func auditActivity(after: Int64, through: Int64) async throws -> [AuditActivity] {
        try await read("count audit activity") { connection in
            var out: [AuditActivity] = []
            for try await (countermeasure, action, outcome, n) in try await connection.query(
                """
                SELECT COALESCE(countermeasure, ''), action,
                       CASE WHEN action = 'identification' THEN mamori_detail_field(detail, 'status') ELSE '' END,
                       COUNT(*)
                FROM audit WHERE seq > \(after) AND seq <= \(through) GROUP BY 1, 2, 3
                """, logger: logger
            ).decode((String, String, String, Int).self) {
                out.append(AuditActivity(countermeasure: countermeasure, action: action, outcome: outcome, count: n))
            }
            return out
        }
    }

    /// The AAA files ingested with an id above `afterFile`, summed per format, and the highest id.
    public func aaaIngests(afterFile: Int64) async throws -> (totals: [AAAIngestTotals], lastFile: Int64) {
        try await read("sum AAA ingests") { connection in
            var totals: [AAAIngestTotals] = []
            for try await (format, files, records, events, rejected) in try await connection.query(
                """
                SELECT format, COUNT(*), SUM(records)::bigint, SUM(events)::bigint, SUM(rejected)::bigint
                FROM aaa_file WHERE id > \(afterFile) GROUP BY format ORDER BY format
                """, logger: logger
            ).decode((String, Int, Int, Int, Int).self) {
                totals.append(AAAIngestTotals(format: format, files: files, records: records, events: events, rejected: rejected))
            }
            var last: Int64 = 0
            for try await id in try await connection.query("SELECT COALESCE(MAX(id), 0) FROM aaa_file", logger: logger).decode(Int64.self) {
                last = id
            }
            return (totals, max(last, afterFile))
        }
    }

    /// The cases held now, counted per countermeasure and state (`open`, `notified`, …). Counts
    /// only: no subscriber, family or evidence is read.
    public func caseCounts() async throws -> [CountermeasureID: [String: Int]] {
        try await read("count cases") { connection in
            var out: [CountermeasureID: [String: Int]] = [:]
            for try await (countermeasure, status, n) in try await connection.query(
                "SELECT countermeasure, status, COUNT(*) FROM infection_case GROUP BY countermeasure, status", logger: logger
            ).decode((String, String, Int).self) {
                out[CountermeasureID(rawValue: countermeasure), default: [:]][status] = n
            }
            return out
        }
    }

    // MARK: retention

    /// The data classes this store keeps rows of, and how each row's age is read (as in the
    /// SQLite store):
    ///
    /// | class | table | a row's time |
    /// |---|---|---|
    /// | `assignment-records` | `aaa_event` | the end of the holding (`held_until`) |
    /// | `sightings` | `sighting_file` (the ledger: file hash and name) | its ingest |
    /// | `cases` | `infection_case` (with its notices and links, `ON DELETE CASCADE`) | its last sighting, notice or remediation |
    /// | `notices` | `notice`, `access_token` (personal links), `site_report` (site-owner notices), `mail_notice` (mail owners' notices) | its creation |
    ///
    /// The audit log is not purged.
    static let retentionTables: [DataClass: [(table: String, time: String)]] = [
        .assignmentRecords: [("aaa_event", "held_until")],
        .sightings: [("sighting_file", "ingested_at")],
        .cases: [
            ("infection_case", "GREATEST(last_seen, COALESCE(last_notice_at, 0), COALESCE(remediated_at, 0), COALESCE(updated_at, 0))")
        ],
        .notices: [("notice", "created_at"), ("access_token", "created_at"), ("site_report", "created_at"), ("mail_notice", "created_at")],
    ]

    /// The classes the store holds rows of.
    public static var dataClasses: [DataClass] {
        DataClass.allCases.filter { retentionTables[$0] != nil }
    }

    /// Deletes the rows of `dataClass` whose time is before `cutoff`, and writes `audit` (given
    /// the counts: one record per class) in the same transaction.
    public func purge(
        _ dataClass: DataClass, before cutoff: Date, audit: (PurgeResult) -> AuditEntry
    ) async throws -> PurgeResult {
        try await transaction("purge \(dataClass.rawValue)", lockingAudit: true) { connection in
            var result = PurgeResult(dataClass: dataClass, deleted: [:], cutoff: cutoff)
            for (table, time) in Self.retentionTables[dataClass] ?? [] {
                if table == "aaa_event" {
                    result.deleted[table] = try await Self.purgeEvents(before: cutoff, on: connection, logger: logger)
                    continue
                }
                var deleted = 0
                for try await n in try await connection.query(
                    "WITH gone AS (DELETE FROM \(unescaped: table) WHERE \(unescaped: time) < \(cutoff.timeIntervalSince1970) RETURNING 1) SELECT COUNT(*) FROM gone",
                    logger: logger
                ).decode(Int.self) {
                    deleted = n
                }
                result.deleted[table] = deleted
            }
            try await self.appendAudit([audit(result)], on: connection)
            return result
        }
    }

    /// For each stored class: rows held and the oldest row's time.
    public func retentionStates() async throws -> [RetentionState] {
        try await read("read retention states") { connection in
            var out: [RetentionState] = []
            for dataClass in Self.dataClasses {
                var state = RetentionState(dataClass: dataClass, count: 0, oldest: nil)
                for (table, time) in Self.retentionTables[dataClass] ?? [] {
                    for try await (n, t) in try await connection.query(
                        "SELECT COUNT(*), MIN(\(unescaped: time)) FROM \(unescaped: table)", logger: logger
                    ).decode((Int, Double?).self) {
                        state.count += n
                        if let t {
                            let date = Date(timeIntervalSince1970: t)
                            state.oldest = min(state.oldest ?? date, date)
                        }
                    }
                }
                out.append(state)
            }
            return out
        }
    }
}
