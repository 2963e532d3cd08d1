import Foundation
import GRDB
public import Secrecy

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

/// The embedded SQLite store: one file in WAL mode, migrated on open, and its key file.
///
/// ```swift
/// let store = try MamoriStore(path: "mamori.sqlite")   // keys in mamori.sqlite.keys
/// let audit = store.auditLog
/// ```
/// Every write is a transaction; a crash leaves the last committed state (SQLite WAL with
/// `synchronous = FULL`). Deleted content is overwritten (`secure_delete`).
///
/// Key material never lives in the store file: it is in a ``KeyFile`` (default
/// `<path>.keys`, mode 0600). A store made before that kept its keys in a `secret` table; on
/// open, those rows are written to the key file, then deleted, and the WAL is checkpointed, so a
/// copy of the store file alone holds no key.
public final class MamoriStore: Sendable {
    /// The path of the store file.
    public let path: String
    /// The key file.
    public let keys: KeyFile
    let pool: DatabasePool

    /// The default key file of the store at `path`: `<path>.keys`.
    public static func defaultKeyFile(for path: String) -> String { path + ".keys" }

    /// Opens (creating if needed) and migrates the store at `path`, with its keys in `keyFile`
    /// (default ``defaultKeyFile(for:)``).
    ///
    /// - Throws: ``StoreError`` naming the file; a ``KeyFileError`` when the key file is readable
    ///   by group or others, or malformed.
    public init(path: String, keyFile: String? = nil) throws {
        self.path = path
        let keys = try KeyFile(path: keyFile ?? Self.defaultKeyFile(for: path))
        self.keys = keys
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.publicStatementArguments = false  // SQL arguments never reach errors or logs
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL; PRAGMA secure_delete = ON")
            // The id of the pseudonymisation key this process uses: each audit record names it.
            db.add(
                function: DatabaseFunction("mamori_pseudonym_key_id", argumentCount: 0, pure: false) { _ in
                    keys.ring.current(KeyName.pseudonym)?.id
                })
        }
        do {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            pool = try Self.openPool(path: path, configuration: configuration)
            try Self.moveSecretsOut(of: pool, to: keys)
            try Self.migrate(pool)
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: error.message ?? "SQLite error \(error.resultCode)")
        } catch let error as KeyFileError {
            throw error
        } catch {
            throw StoreError.cannotOpen(path: path, reason: "\(error)")
        }
    }

    /// Opens the pool, waiting (up to 30 s, like every other statement) while another process
    /// holds the file. SQLite answers `PRAGMA journal_mode = WAL` with `SQLITE_BUSY` without
    /// calling the busy handler, so several processes creating one store at once (overlapping cron
    /// jobs) would otherwise fail with "database is locked".
    ///
    /// GRDB's WAL set-up lowers the writer's `synchronous` to NORMAL after `prepareDatabase`; it is
    /// put back to FULL, so a committed transaction survives a power loss too.
    static func openPool(path: String, configuration: Configuration) throws -> DatabasePool {
        let deadline = ContinuousClock.now + .seconds(30)
        var pauseMilliseconds = 5
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
                return pool
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && ContinuousClock.now < deadline {
                // Jittered, so that the openers that collided do not collide again.
                let milliseconds = pauseMilliseconds + Int.random(in: 0...pauseMilliseconds)
                Thread.sleep(forTimeInterval: Double(milliseconds) / 1000)
                pauseMilliseconds = min(pauseMilliseconds * 2, 200)
            }
        }
    }

    /// Applies the migrations this build has and the store lacks. Each runs in its own
    /// transaction, so when several processes open a new store at once one of them may find a
    /// migration applied by another after it read the list (`table … already exists`): it then
    /// reads the list again and goes on, as long as another process is making progress.
    static func migrate(_ pool: DatabasePool) throws {
        while true {
            let before = try pool.read { try Schema.migrator.appliedIdentifiers($0) }
            do {
                try Schema.migrator.migrate(pool)
                return
            } catch let error as DatabaseError {
                let after = try pool.read { try Schema.migrator.appliedIdentifiers($0) }
                guard after.count > before.count else { throw error }
            }
        }
    }

    /// Moves the rows of an old store's `secret` table to the key file (fsync'd there first),
    /// deletes them (overwritten: `secure_delete`), and truncates the WAL that still held them.
    static func moveSecretsOut(of pool: DatabasePool, to keys: KeyFile) throws {
        let rows = try pool.read { db -> [(name: String, secret: [UInt8])] in
            guard try db.tableExists("secret") else { return [] }
            return try Row.fetchAll(db, sql: "SELECT name, value FROM secret ORDER BY rowid").map { row in
                let value: Data = row["value"]
                return (name: row["name"], secret: [UInt8](value))
            }
        }
        guard !rows.isEmpty else { return }
        try keys.adopt(rows)
        try pool.write { db in try db.execute(sql: "DELETE FROM secret") }
        // Best effort: another process reading the store can make a truncating checkpoint busy;
        // the WAL frames are then overwritten as the WAL restarts.
        try? pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
    }
}
