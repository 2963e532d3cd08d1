public import Foundation
import GRDB
public import Secrecy
import TextScanning

/// The hash-chained audit log in the store's `audit` table.
///
/// `append` reads the last record and inserts the sealed next one inside one IMMEDIATE
/// transaction, so concurrent writers (several processes on one file) still form one chain.
/// Triggers refuse UPDATE and DELETE on the table; `audit verify` detects what a tamperer who
/// bypasses them changes.
public final class SQLiteAuditLog: AuditLog {
    let store: MamoriStore

    init(store: MamoriStore) {
        self.store = store
    }

    public func append(_ entry: AuditEntry) throws -> AuditRecord {
        try store.pool.writeWithoutTransaction { db in
            var sealed: [AuditRecord] = []
            try db.inTransaction(.immediate) {
                sealed = try Self.append(contentsOf: [entry], in: db)
                return .commit
            }
            guard let record = sealed.first else {
                throw StoreError.corrupt(path: store.path, table: "audit", row: 0, reason: "append did not commit")
            }
            return record
        }
    }

    /// Seals and inserts one entry inside the caller's write transaction.
    @discardableResult
    static func append(_ entry: AuditEntry, in db: Database) throws -> AuditRecord? {
        try append(contentsOf: [entry], in: db).first
    }

    /// Seals and inserts entries, in order, after the current head, inside the caller's write transaction.
    @discardableResult
    static func append(contentsOf entries: [AuditEntry], in db: Database) throws -> [AuditRecord] {
        guard !entries.isEmpty else { return [] }
        var previous = try fetch(db, sql: "SELECT * FROM audit ORDER BY seq DESC LIMIT 1", arguments: []).first
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO audit(seq, time, countermeasure, action, actor, subject, detail, prev_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        // Each record names the pseudonymisation key it was written under (not part of the
        // hash's encoding: it is one more detail field, so old records verify as before).
        let keyID = try String.fetchOne(db, sql: "SELECT mamori_pseudonym_key_id()")
        var out: [AuditRecord] = []
        out.reserveCapacity(entries.count)
        for var entry in entries {
            if let keyID, entry.detail["key"] == nil {
                var detail = entry.detail
                detail["key"] = keyID
                entry = AuditEntry(
                    millisecondsSince1970: entry.millisecondsSince1970, countermeasure: entry.countermeasure, action: entry.action,
                    actor: entry.actor, subject: entry.subject, detail: detail)
            }
            let record = AuditChain.seal(entry, after: previous)
            try statement.execute(arguments: [
                record.sequence, entry.millisecondsSince1970, entry.countermeasure?.rawValue, entry.action, entry.actor, entry.subject,
                encodeDetail(entry.detail), Data(record.previousHash), Data(record.hash),
            ])
            out.append(record)
            previous = record
        }
        return out
    }

    public func records(from sequence: Int64) throws -> [AuditRecord] {
        try store.pool.read { db in
            try Self.fetch(db, sql: "SELECT * FROM audit WHERE seq >= ? ORDER BY rowid", arguments: [sequence])
        }
    }

    /// The stored Merkle checkpoints, oldest first.
    public func checkpoints() throws -> [Checkpoint] {
        try store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT size, root, time FROM audit_checkpoint ORDER BY size").map { row in
                let root: Data = row["root"]
                let time: Double = row["time"]
                return Checkpoint(size: row["size"], root: [UInt8](root), time: Date(timeIntervalSince1970: time))
            }
        }
    }

    /// Records a checkpoint: the Merkle root over all records now in the log.
    @discardableResult
    public func checkpoint(now: Date = Date()) throws -> Checkpoint {
        try store.pool.write { db in
            let records = try Self.fetch(db, sql: "SELECT * FROM audit ORDER BY seq", arguments: [])
            let checkpoint = Checkpoint(
                size: Int64(records.count), root: MerkleTree.root(leaves: records.map(\.hash)), time: now)
            try db.execute(
                sql: "INSERT OR REPLACE INTO audit_checkpoint(size, root, time) VALUES (?, ?, ?)",
                arguments: [checkpoint.size, Data(checkpoint.root), now.timeIntervalSince1970])
            return checkpoint
        }
    }

    /// The detail as a JSON object with sorted keys (hand-written: this runs once per audit record).
    static func encodeDetail(_ detail: [String: String]) -> String {
        var out = "{"
        for (i, key) in detail.keys.sorted().enumerated() {
            if i > 0 { out += "," }
            appendJSONString(key, to: &out)
            out += ":"
            appendJSONString(detail[key] ?? "", to: &out)
        }
        out += "}"
        return out
    }

    static func appendJSONString(_ text: String, to out: inout String) {
        JSONText.appendString(text, to: &out)
    }

    /// Reads rows in physical order (rowid), so that a reordering or an insertion made directly
    /// in the file shows up as it is stored, not as the sequence numbers claim.
    static func fetch(_ db: Database, sql: String, arguments: StatementArguments) throws -> [AuditRecord] {
        try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            let detailText: String = row["detail"]
            let detail = (try? JSONSerialization.jsonObject(with: Data(detailText.utf8)) as? [String: String]) ?? ["_undecodable": detailText]
            let countermeasure: String? = row["countermeasure"]
            let milliseconds: Int64 = row["time"]
            let time = Double(milliseconds) / 1000
            let previous: Data = row["prev_hash"]
            let hash: Data = row["hash"]
            let entry = AuditEntry(
                time: Date(timeIntervalSince1970: time), countermeasure: countermeasure.map(CountermeasureID.init(rawValue:)),
                action: row["action"], actor: row["actor"], subject: row["subject"], detail: detail)
            return AuditRecord(sequence: row["seq"], entry: entry, previousHash: [UInt8](previous), hash: [UInt8](hash))
        }
    }
}

extension MamoriStore {
    /// The store's audit log.
    public func auditLog() throws -> SQLiteAuditLog {
        SQLiteAuditLog(store: self)
    }

    /// The store's pseudonymiser, keyed by the current `pseudonym-key` of the key file (made at
    /// first use). Audit records written from then on name that key's id (detail `key`).
    public func pseudonymizer() throws -> Pseudonymizer {
        try Pseudonymizer(key: secret(named: KeyName.pseudonym))
    }

    /// The pseudonymiser of an older (or the current) pseudonymisation key, by id: to read
    /// records written under it.
    public func pseudonymizer(keyID: String) throws -> Pseudonymizer? {
        guard let key = keys.ring.key(id: keyID), key.name == KeyName.pseudonym else { return nil }
        return try Pseudonymizer(key: key.secret)
    }
}
