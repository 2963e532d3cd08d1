public import Attribution
public import Foundation
import GRDB
public import Secrecy
import Storage

/// What one ingest batch added.
public struct IngestOutcome: Sendable, Equatable {
    /// Events newly stored.
    public var added: Int
    /// Events that were already stored (same stable key): ingest is idempotent.
    public var duplicates: Int
}

extension MamoriStore: AssignmentRecordStore {
    public func insert(events: [AssignmentEvent], now: Date) throws -> (added: Int, duplicates: Int) {
        let outcome: IngestOutcome = try insert(events: events, now: now)
        return (outcome.added, outcome.duplicates)
    }

    /// Stores `events`, skipping those already stored, in one transaction.
    ///
    /// The unique key is a keyed hash (HMAC-SHA-256 with the store's `index-key` secret) of the
    /// event's ``AssignmentEvent/stableKey``, so the index itself names no subscriber.
    /// A crash leaves either all of the batch or none of it; re-running the same input adds
    /// exactly what is missing.
    ///
    /// One cached prepared statement for the batch; each event's key and body are written into
    /// reusable buffers (``EventRowWriter``), not through `JSONEncoder` and `String`s.
    public func insert(events: [AssignmentEvent], now: Date = Date()) throws -> IngestOutcome {
        let key = try secret(named: "index-key")
        return try pool.write { db in
            // Random keys go into the stable_key index: the default 2 MiB page cache makes a
            // batch read back index pages it has just written (this connection only).
            try db.execute(sql: "PRAGMA cache_size = -65536")
            var outcome = IngestOutcome(added: 0, duplicates: 0)
            let statement = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO aaa_event(stable_key, format, event_time, held_until, body, ingested_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """)
            var row = EventRowWriter()
            var mac = [UInt8](repeating: 0, count: Digest.byteCount)
            let ingestedAt = now.timeIntervalSince1970
            for event in events {
                row.write(event)
                key.withUnsafeBytes { k in
                    row.key.withUnsafeBytes { m in mac.withUnsafeMutableBytes { Digest.hmacSHA256(key: k, m, into: $0) } }
                }
                let heldUntil = event.end ?? event.eventTime
                statement.setUncheckedArguments([
                    Hex.encode(mac), event.format.rawValue, event.eventTime.timeIntervalSince1970,
                    heldUntil.timeIntervalSince1970, Data(row.body), ingestedAt,
                ])
                try statement.execute()
                if db.changesCount > 0 { outcome.added += 1 } else { outcome.duplicates += 1 }
            }
            return outcome
        }
    }

    /// Whether a file with this content hash was already ingested completely.
    public func hasIngestedFile(sha256: String) throws -> Bool {
        try pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM aaa_file WHERE sha256 = ?", arguments: [sha256]) ?? false
        }
    }

    /// Records that a file was ingested completely (after all its events are stored), with the
    /// ingest's audit record, in one transaction; nothing when the file is already recorded.
    public func recordIngestedFile(_ file: AssignmentFileRecord, audit: AuditEntry) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO aaa_file(sha256, name, format, records, events, rejected, ingested_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    file.sha256, file.name, file.format, file.records, file.events, file.rejected, file.ingestedAt.timeIntervalSince1970,
                ])
            // A concurrent ingest of the same file recorded it first: as if they ran one after the other.
            guard db.changesCount > 0 else { return }
            try SQLiteAuditLog.append(audit, in: db)
        }
    }

    /// Every stored assignment event, in storage order.
    public func allEvents() throws -> [AssignmentEvent] {
        let decoder = JSONDecoder()
        return try pool.read { db in
            var events: [AssignmentEvent] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT id, body FROM aaa_event ORDER BY id")
            while let row = try rows.next() {
                let id: Int64 = row["id"]
                let body: Data = row["body"]
                do {
                    events.append(try decoder.decode(AssignmentEvent.self, from: body))
                } catch {
                    throw StoreError.corrupt(path: path, table: "aaa_event", row: id, reason: "undecodable event (\(error))")
                }
            }
            return events
        }
    }

    /// The number of stored assignment events.
    public func eventCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM aaa_event") ?? 0 }
    }

    /// Deletes assignment events whose holding ended before `cutoff`; returns how many.
    public func purgeEvents(endedBefore cutoff: Date) throws -> Int {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM aaa_event WHERE held_until < ?", arguments: [cutoff.timeIntervalSince1970])
            return db.changesCount
        }
    }

    /// Names the stored assignment events as they are now, cheaply: the highest row id (events are
    /// only appended, with ever-growing ids) and the count (a purge lowers it), a pair that never
    /// repeats. An index snapshot made for another stamp is not used.
    public func assignmentStamp() throws -> String {
        try pool.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) AS top, COUNT(*) AS n FROM aaa_event")
            let top: Int64 = row?["top"] ?? 0
            let count: Int64 = row?["n"] ?? 0
            return "events-through=\(top);count=\(count)"
        }
    }

    /// Where the attribution index snapshot of this store lives: `<store path>.index`.
    public var indexSnapshotPath: String { path + ".index" }
}
