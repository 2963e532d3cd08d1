import Foundation
import GRDB
import Secrecy

/// Errors of the store, each naming the store file and what went wrong (never a stored value).
public enum StoreError: Error, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case corrupt(path: String, table: String, row: Int64, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): "\(path): cannot open the store: \(reason)"
        case .corrupt(let path, let table, let row, let reason): "\(path): table \(table), row \(row): \(reason)"
        }
    }
}

/// The embedded SQLite store: one file in WAL mode, migrated on open.
///
/// ```swift
/// let store = try MamoriStore(path: "mamori.sqlite")
/// let audit = store.auditLog
/// ```
/// Every write is a transaction; a crash leaves the last committed state (SQLite WAL with
/// `synchronous = FULL`).
public final class MamoriStore: Sendable {
    /// The path of the store file.
    public let path: String
    let pool: DatabasePool

    /// Opens (creating if needed) and migrates the store at `path`.
    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.publicStatementArguments = false  // SQL arguments never reach errors or logs
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            pool = try DatabasePool(path: path, configuration: configuration)
            try Schema.migrator.migrate(pool)
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: error.message ?? "SQLite error \(error.resultCode)")
        } catch {
            throw StoreError.cannotOpen(path: path, reason: "\(error)")
        }
    }

    /// A named secret, created with `length` random bytes the first time it is asked for.
    public func secret(named name: String, length: Int = 32) throws -> [UInt8] {
        try pool.write { db in
            if let existing = try Data.fetchOne(db, sql: "SELECT value FROM secret WHERE name = ?", arguments: [name]) {
                return [UInt8](existing)
            }
            let bytes = try Digest.randomBytes(count: length)
            try db.execute(sql: "INSERT INTO secret(name, value) VALUES (?, ?)", arguments: [name, Data(bytes)])
            return bytes
        }
    }
}
