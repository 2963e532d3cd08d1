public import Attribution
public import Foundation
import Logging
import PostgresNIO
public import Secrecy
import Storage

extension PostgresStore: AssignmentRecordStore {
    /// Events per multi-row insert: a few MB of binds per statement.
    static let eventChunk = 5_000

    /// Stores `events`, skipping those already stored, in one transaction: a crash leaves all of
    /// the batch or none of it; re-running the same input adds exactly what is missing.
    ///
    /// The unique key is HMAC-SHA-256 (the key file's `index-key`) of the event's
    /// ``AssignmentEvent/stableKey``, hex, as the SQLite store computes it, so the index names no
    /// subscriber. The body is the event's `JSONEncoder` form with sorted keys, written by
    /// ``EventRowWriter`` (what the SQLite store writes, byte for byte). Rows go in as column arrays (`unnest`), several thousand per
    /// statement, `ON CONFLICT (stable_key) DO NOTHING`: concurrent inserts of overlapping events
    /// (other processes) store each event once.
    public func insert(events: [AssignmentEvent], now: Date) async throws -> (added: Int, duplicates: Int) {
        guard !events.isEmpty else { return (0, 0) }
        let key = try secret(named: KeyName.index)
        var row = EventRowWriter()
        var chunks: [EventColumns] = []
        var columns = EventColumns()
        var mac = [UInt8](repeating: 0, count: Digest.byteCount)
        for event in events {
            row.write(event)
            key.withUnsafeBytes { k in row.key.withUnsafeBytes { m in mac.withUnsafeMutableBytes { Digest.hmacSHA256(key: k, m, into: $0) } } }
            columns.stableKey.append(Hex.encode(mac))
            columns.format.append(event.format.rawValue)
            columns.eventTime.append(event.eventTime.timeIntervalSince1970)
            columns.heldUntil.append((event.end ?? event.eventTime).timeIntervalSince1970)
            columns.body.append(ByteBuffer(bytes: row.body))
            if columns.stableKey.count >= Self.eventChunk {
                chunks.append(columns)
                columns = EventColumns()
            }
        }
        if !columns.stableKey.isEmpty { chunks.append(columns) }
        let ingestedAt = now.timeIntervalSince1970
        let added = try await transaction("store assignment events", lockingAudit: false) { connection in
            var added = 0
            for chunk in chunks {
                let rows = try await connection.query(
                    """
                    WITH inserted AS (
                        INSERT INTO aaa_event(stable_key, format, event_time, held_until, body, ingested_at)
                        SELECT u.k, u.f, u.t, u.h, u.b, \(ingestedAt)
                        FROM unnest(\(chunk.stableKey)::text[], \(chunk.format)::text[], \(chunk.eventTime)::float8[],
                                    \(chunk.heldUntil)::float8[], \(chunk.body)::bytea[]) WITH ORDINALITY AS u(k, f, t, h, b, n)
                        ORDER BY u.n
                        ON CONFLICT (stable_key) DO NOTHING
                        RETURNING 1
                    )
                    SELECT COUNT(*) FROM inserted
                    """, logger: logger)
                for try await n in rows.decode(Int.self) { added += n }
            }
            return added
        }
        return (added, events.count - added)
    }

    /// Every stored assignment event, in storage (id) order.
    public func allEvents() async throws -> [AssignmentEvent] {
        let place = self.place
        return try await read("read assignment events") { connection in
            let decoder = JSONDecoder()
            var events: [AssignmentEvent] = []
            for try await (id, body) in try await connection.query("SELECT id, body FROM aaa_event ORDER BY id", logger: logger)
                .decode((Int64, ByteBuffer).self)
            {
                do {
                    events.append(try decoder.decode(AssignmentEvent.self, from: Data(body.readableBytesView)))
                } catch {
                    throw PostgresStoreError.corrupt(place: place, table: "aaa_event", row: id, reason: "undecodable event")
                }
            }
            return events
        }
    }

    /// Deletes the events whose holding ended before `cutoff`; returns how many. A purge that
    /// deletes any bumps the `aaa-purges` counter, so ``assignmentStamp()`` changes.
    public func purgeEvents(endedBefore cutoff: Date) async throws -> Int {
        try await transaction("purge assignment events", lockingAudit: false) { connection in
            try await Self.purgeEvents(before: cutoff, on: connection, logger: logger)
        }
    }

    static func purgeEvents(before cutoff: Date, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        var deleted = 0
        let rows = try await connection.query(
            """
            WITH gone AS (DELETE FROM aaa_event WHERE held_until < \(cutoff.timeIntervalSince1970) RETURNING 1)
            SELECT COUNT(*) FROM gone
            """, logger: logger)
        for try await n in rows.decode(Int.self) { deleted += n }
        if deleted > 0 {
            try await connection.query(
                """
                INSERT INTO mamori_counter(name, value) VALUES ('aaa-purges', 1)
                ON CONFLICT (name) DO UPDATE SET value = mamori_counter.value + 1
                """, logger: logger)
        }
        return deleted
    }

    /// The number of stored events.
    public func eventCount() async throws -> Int {
        try await read("count assignment events") { connection in
            var count = 0
            for try await n in try await connection.query("SELECT COUNT(*) FROM aaa_event", logger: logger).decode(Int.self) { count = n }
            return count
        }
    }

    /// `events-through=<highest id>;purges=<purges that deleted events>`: ids only grow, so an
    /// insert raises the first part and a purge the second. Two index reads.
    public func assignmentStamp() async throws -> String {
        try await read("read the assignment stamp") { connection in
            var stamp = ""
            for try await (maxID, purges) in try await connection.query(
                """
                SELECT COALESCE((SELECT MAX(id) FROM aaa_event), 0),
                       COALESCE((SELECT value FROM mamori_counter WHERE name = 'aaa-purges'), 0)
                """, logger: logger
            ).decode((Int64, Int64).self) {
                stamp = "events-through=\(maxID);purges=\(purges)"
            }
            return stamp
        }
    }

    public func hasIngestedFile(sha256: String) async throws -> Bool {
        try await read("read the AAA file ledger") { connection in
            var found = false
            for try await _ in try await connection.query("SELECT 1 FROM aaa_file WHERE sha256 = \(sha256)", logger: logger).decode(Int.self) {
                found = true
            }
            return found
        }
    }

    /// Records the file in the ledger and writes `audit`, in one transaction; when the ledger
    /// already holds the file (a concurrent ingest of the same file finished first), nothing is
    /// written, so a file's ingest is audited once, as when the ingests ran one after the other.
    public func recordIngestedFile(_ file: AssignmentFileRecord, audit: AuditEntry) async throws {
        try await transaction("record an ingested AAA file", lockingAudit: true) { connection in
            var inserted = false
            for try await _ in try await connection.query(
                """
                INSERT INTO aaa_file(sha256, name, format, records, events, rejected, ingested_at)
                VALUES (\(file.sha256), \(file.name), \(file.format), \(file.records), \(file.events), \(file.rejected),
                        \(file.ingestedAt.timeIntervalSince1970))
                ON CONFLICT (sha256) DO NOTHING
                RETURNING 1
                """, logger: logger
            ).decode(Int.self) {
                inserted = true
            }
            if inserted { try await self.appendAudit([audit], on: connection) }
        }
    }
}

/// Assignment events as column arrays for one multi-row insert.
private struct EventColumns: Sendable {
    var stableKey: [String] = []
    var format: [String] = []
    var eventTime: [Double] = []
    var heldUntil: [Double] = []
    var body: [ByteBuffer] = []
}
