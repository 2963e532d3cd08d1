public import Foundation
import Logging
import PostgresNIO
public import Secrecy
import TextScanning

/// The hash-chained audit log in the `audit` table.
///
/// ``append(_:)`` takes the audit advisory lock, reads the last record, and inserts the sealed
/// next one, in one transaction: concurrent writers (other connections, other processes) still
/// form one chain. Triggers refuse UPDATE, DELETE and TRUNCATE; `audit verify` detects what a
/// tamperer who bypasses them changes.
///
/// The detail is stored as a JSON object with sorted keys (the SQLite store's encoding); records
/// are given back as sealed, time in whole milliseconds.
extension PostgresStore: AuditLog {
    public func append(_ entry: AuditEntry) async throws -> AuditRecord {
        let sealed = try await transaction("append an audit record", lockingAudit: true) { connection in
            try await self.appendAudit([entry], on: connection)
        }
        guard let record = sealed.first else {
            throw PostgresStoreError.corrupt(place: place, table: "audit", row: 0, reason: "append did not commit")
        }
        return record
    }

    public func records(from sequence: Int64) async throws -> [AuditRecord] {
        try await read("read the audit log") { connection in
            try await Self.auditRecords(
                connection.query(
                    "SELECT seq, time, countermeasure, action, actor, subject, detail, prev_hash, hash FROM audit WHERE seq >= \(sequence) ORDER BY seq",
                    logger: logger))
        }
    }

    /// Seals and inserts `entries`, in order, after the current head, inside the caller's
    /// transaction, which must hold the audit advisory lock (``transaction(_:lockingAudit:_:)``
    /// with `lockingAudit: true`). Each record names the current pseudonymisation key (detail
    /// `key`), as the SQLite store's records do.
    @discardableResult
    func appendAudit(_ entries: [AuditEntry], on connection: PostgresConnection) async throws -> [AuditRecord] {
        guard !entries.isEmpty else { return [] }
        var sequence: Int64 = 0
        var previousHash = AuditChain.genesisHash
        for try await (seq, hash) in try await connection.query("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", logger: logger)
            .decode((Int64, ByteBuffer).self)
        {
            sequence = seq
            previousHash = hash.bytes
        }
        let keyID = keys.ring.current(KeyName.pseudonym)?.id
        var sealed: [AuditRecord] = []
        sealed.reserveCapacity(entries.count)
        var buffer: [UInt8] = []
        var detail: [UInt8] = []
        var columns = AuditColumns()
        for var entry in entries {
            if let keyID { entry = entry.adding("key", keyID) }
            sequence += 1
            let record = AuditChain.seal(entry, sequence: sequence, previousHash: previousHash, buffer: &buffer)
            Self.encodeDetail(entry.fields, into: &detail)
            columns.append(record, detail: String(decoding: detail, as: UTF8.self))
            sealed.append(record)
            previousHash = record.hash
            if columns.count >= 5_000 {
                try await columns.insert(on: connection, logger: logger)
                columns = AuditColumns()
            }
        }
        try await columns.insert(on: connection, logger: logger)
        return sealed
    }

    /// Audit records from rows of `seq, time, countermeasure, action, actor, subject, detail,
    /// prev_hash, hash`.
    static func auditRecords(_ rows: PostgresRowSequence) async throws -> [AuditRecord] {
        var out: [AuditRecord] = []
        for try await (seq, milliseconds, countermeasure, action, actor, subject, detailText, previous, hash) in rows.decode(
            (Int64, Int64, String?, String, String, String, String, ByteBuffer, ByteBuffer).self)
        {
            let detail =
                (try? JSONSerialization.jsonObject(with: Data(detailText.utf8)) as? [String: String]) ?? ["_undecodable": detailText]
            let entry = AuditEntry(
                millisecondsSince1970: milliseconds, countermeasure: countermeasure.map(CountermeasureID.init(rawValue:)), action: action,
                actor: actor, subject: subject, detail: detail)
            out.append(AuditRecord(sequence: seq, entry: entry, previousHash: previous.bytes, hash: hash.bytes))
        }
        return out
    }

    /// The detail as a JSON object with sorted keys (the SQLite store's encoding, byte for byte).
    static func encodeDetail(_ fields: [AuditField], into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.append(UInt8(ascii: "{"))
        for (i, field) in fields.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendJSONString(field.key, to: &out)
            out.append(UInt8(ascii: ":"))
            appendJSONString(field.value, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// A JSON string as UTF-8; text with nothing to escape is copied as it is.
    static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: text.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        var escaped = ""
        JSONText.appendString(text, to: &escaped)
        out.append(contentsOf: escaped.utf8)
    }

    // MARK: checkpoints

    /// The number of records in the log (its head's sequence number; 0 when empty).
    public func headSequence() async throws -> Int64 {
        try await auditHead()
    }

    /// The stored Merkle checkpoints, oldest first.
    public func checkpoints() async throws -> [Checkpoint] {
        try await read("read the audit checkpoints") { connection in
            var out: [Checkpoint] = []
            for try await (size, root, time) in try await connection.query(
                "SELECT size, root, time FROM audit_checkpoint ORDER BY size", logger: logger
            ).decode((Int64, ByteBuffer, Double).self) {
                out.append(Checkpoint(size: size, root: root.bytes, time: Date(timeIntervalSince1970: time)))
            }
            return out
        }
    }

    /// Records a checkpoint: the Merkle root over all records now in the log.
    @discardableResult
    public func checkpoint(now: Date = Date()) async throws -> Checkpoint {
        try await transaction("record an audit checkpoint", lockingAudit: true) { connection in
            var hashes: [[UInt8]] = []
            for try await hash in try await connection.query("SELECT hash FROM audit ORDER BY seq", logger: logger).decode(ByteBuffer.self) {
                hashes.append(hash.bytes)
            }
            let checkpoint = Checkpoint(size: Int64(hashes.count), root: MerkleTree.root(leaves: hashes), time: now)
            try await connection.query(
                """
                INSERT INTO audit_checkpoint(size, root, time) VALUES (\(checkpoint.size), \(checkpoint.root.buffer), \(now.timeIntervalSince1970))
                ON CONFLICT (size) DO UPDATE SET root = excluded.root, time = excluded.time
                """, logger: logger)
            return checkpoint
        }
    }

    /// Every record's hash, in sequence order.
    public func hashes() async throws -> [[UInt8]] {
        try await read("read the audit hashes") { connection in
            var out: [[UInt8]] = []
            for try await hash in try await connection.query("SELECT hash FROM audit ORDER BY seq", logger: logger).decode(ByteBuffer.self) {
                out.append(hash.bytes)
            }
            return out
        }
    }
}

/// Sealed audit records as column arrays: one multi-row insert (`unnest`) per batch.
private struct AuditColumns {
    var seq: [Int64] = []
    var time: [Int64] = []
    var hasCountermeasure: [Bool] = []
    var countermeasure: [String] = []
    var action: [String] = []
    var actor: [String] = []
    var subject: [String] = []
    var detail: [String] = []
    var previous: [ByteBuffer] = []
    var hash: [ByteBuffer] = []

    var count: Int { seq.count }

    mutating func append(_ record: AuditRecord, detail text: String) {
        seq.append(record.sequence)
        time.append(record.entry.millisecondsSince1970)
        hasCountermeasure.append(record.entry.countermeasure != nil)
        countermeasure.append(record.entry.countermeasure?.rawValue ?? "")
        action.append(record.entry.action)
        actor.append(record.entry.actor)
        subject.append(record.entry.subject)
        detail.append(text)
        previous.append(record.previousHash.buffer)
        hash.append(record.hash.buffer)
    }

    func insert(on connection: PostgresConnection, logger: Logger) async throws {
        guard !seq.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO audit(seq, time, countermeasure, action, actor, subject, detail, prev_hash, hash)
            SELECT u.seq, u.time, CASE WHEN u.has_cm THEN u.cm END, u.action, u.actor, u.subject, u.detail, u.prev, u.hash
            FROM unnest(\(seq)::bigint[], \(time)::bigint[], \(hasCountermeasure)::boolean[], \(countermeasure)::text[], \(action)::text[],
                        \(actor)::text[], \(subject)::text[], \(detail)::text[], \(previous)::bytea[], \(hash)::bytea[])
                AS u(seq, time, has_cm, cm, action, actor, subject, detail, prev, hash)
            ORDER BY u.seq
            """, logger: logger)
    }
}
