import Foundation
public import Logging
public import Storage
import StorePostgres
import StoreSQLite

/// Where a store is: a SQLite file (a path, the embedded default) or a PostgreSQL database (a
/// `postgres://user@host:port/db` URL; the password from `PGPASSFILE` or a passfile, never in
/// the URL).
public enum StoreLocation: Sendable, Equatable {
    case file(path: String)
    case postgres(url: String)

    /// Reads `--store` / `MAMORI_STORE`.
    public init(_ text: String) {
        let lower = text.lowercased()
        if lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else {
            self = .file(path: text)
        }
    }

    /// The key file beside a store file (`<path>.keys`); nil for a database, whose processes on
    /// several hosts must be given the same key file.
    public var defaultKeyFile: String? {
        switch self {
        case .file(let path): MamoriStore.defaultKeyFile(for: path)
        case .postgres: nil
        }
    }
}

extension StoreLocation {
    /// Opens (creating and migrating if needed) the store, with its keys in `keyFile`.
    public func open(keyFile: String, logger: Logger = Logger(label: "mamori.store")) async throws -> any Storage {
        switch self {
        case .file(let path):
            return try MamoriStore(path: path, keyFile: keyFile)
        case .postgres(let url):
            return try await PostgresStore.open(url: url, keyFile: keyFile, logger: logger)
        }
    }
}
