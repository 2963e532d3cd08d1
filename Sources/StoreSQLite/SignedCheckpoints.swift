import Foundation
import GRDB

extension SQLiteAuditLog {
    /// The number of records in the log (its head's sequence number; 0 when empty).
    public func headSequence() throws -> Int64 {
        try store.pool.read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM audit") ?? 0 }
    }

    /// Every record's hash, in sequence order.
    public func hashes() throws -> [[UInt8]] {
        try store.pool.read { db in try Data.fetchAll(db, sql: "SELECT hash FROM audit ORDER BY seq").map { [UInt8]($0) } }
    }
}
