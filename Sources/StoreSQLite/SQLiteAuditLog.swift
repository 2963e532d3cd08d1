public import Foundation
import GRDB
import GRDBSQLite
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
        var out: [AuditRecord] = []
        out.reserveCapacity(entries.count)
        try append(contentsOf: entries, in: db) { out.append($0) }
        return out
    }

    /// Seals and inserts entries, in order, after the current head, inside the caller's write
    /// transaction, handing each sealed record to `sealed` (a batch of sightings keeps none).
    ///
    /// One prepared statement, bound directly (no argument arrays), one reused buffer for the
    /// canonical bytes: this runs once per identification.
    static func append(contentsOf entries: [AuditEntry], in db: Database, sealed: (AuditRecord) -> Void) throws {
        guard !entries.isEmpty else { return }
        var sequence: Int64 = 0
        var previousHash = AuditChain.genesisHash
        if let head = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1") {
            sequence = head[0]
            let hash: Data = head[1]
            previousHash = [UInt8](hash)
        }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO audit(seq, time, countermeasure, action, actor, subject, detail, prev_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        // Each record names the pseudonymisation key it was written under: one more detail
        // field, covered by the hash like every other (`AuditChain`'s encoding is unchanged).
        let keyID = try String.fetchOne(db, sql: "SELECT mamori_pseudonym_key_id()")
        var buffer: [UInt8] = []
        var detail: [UInt8] = []
        let sqlite = statement.sqliteStatement
        defer {
            sqlite3_reset(sqlite)
            sqlite3_clear_bindings(sqlite)
        }
        for var entry in entries {
            if let keyID { entry = entry.adding("key", keyID) }
            sequence += 1
            let record = AuditChain.seal(entry, sequence: sequence, previousHash: previousHash, buffer: &buffer)
            encodeDetail(entry.fields, into: &detail)
            sqlite3_reset(sqlite)
            sqlite3_bind_int64(sqlite, 1, sequence)
            sqlite3_bind_int64(sqlite, 2, entry.millisecondsSince1970)
            let code: Int32 = try withText(entry.countermeasure?.rawValue) { countermeasure in
                try withText(entry.action) { action in
                    try withText(entry.actor) { actor in
                        try withText(entry.subject) { subject in
                            bind(countermeasure, at: 3, to: sqlite)
                            bind(action, at: 4, to: sqlite)
                            bind(actor, at: 5, to: sqlite)
                            bind(subject, at: 6, to: sqlite)
                            return detail.withUnsafeBufferPointer { d in
                                sqlite3_bind_text(
                                    sqlite, 7, UnsafeRawPointer(d.baseAddress)?.assumingMemoryBound(to: CChar.self), Int32(d.count), nil)
                                return record.previousHash.withUnsafeBytes { p in
                                    sqlite3_bind_blob(sqlite, 8, p.baseAddress, Int32(p.count), nil)
                                    return record.hash.withUnsafeBytes { h in
                                        sqlite3_bind_blob(sqlite, 9, h.baseAddress, Int32(h.count), nil)
                                        return sqlite3_step(sqlite)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            guard code == SQLITE_DONE else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage)
            }
            sealed(record)
            previousHash = record.hash
        }
    }

    /// Calls `body` with the UTF-8 bytes of `text` (nil for no text), valid during the call.
    private static func withText<T>(_ text: String?, _ body: (UnsafeBufferPointer<UInt8>?) throws -> T) throws -> T {
        guard var text else { return try body(nil) }
        return try text.withUTF8 { try body($0) }
    }

    /// Binds text (not copied: SQLite uses it until the statement steps) or NULL.
    private static func bind(_ text: UnsafeBufferPointer<UInt8>?, at index: Int32, to statement: OpaquePointer) {
        guard let text else {
            sqlite3_bind_null(statement, index)
            return
        }
        // A zero-length buffer may have no base address; SQLite needs a pointer for "".
        let empty: StaticString = ""
        let pointer = text.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(empty.utf8Start)
        sqlite3_bind_text(statement, index, pointer.assumingMemoryBound(to: CChar.self), Int32(text.count), nil)
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

    static func appendJSONString(_ text: String, to out: inout String) {
        JSONText.appendString(text, to: &out)
    }

    /// A JSON string as UTF-8; text with nothing to escape (pseudonyms, counts, times) is copied
    /// as it is.
    static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        var text = text
        let plain = text.withUTF8 { bytes -> Bool in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else { return false }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: bytes)
            out.append(UInt8(ascii: "\""))
            return true
        }
        if plain { return }
        var escaped = ""
        JSONText.appendString(text, to: &escaped)
        out.append(contentsOf: escaped.utf8)
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
}
