import Foundation
public import Logging
import NIOSSL
import PostgresNIO
public import Secrecy

/// The domain stores on PostgreSQL: several `mamori serve` processes on one database.
///
/// ```swift
/// let store = try await PostgresStore.open(
///     url: "postgres://mamori@db.example.net/mamori?sslmode=require", keyFile: "/etc/mamori/keys")
/// defer { Task { await store.close() } }
/// try await store.append(entry)          // AuditLog
/// ```
///
/// It is an ``AssignmentRecordStore``, an `AuditLog`, a `RemediationStore` and a
/// `RemediationPageStore`, with the semantics of the SQLite store (`StoreSQLite`), also when
/// several processes write at once:
///
/// - every transaction that appends audit records first takes a transaction advisory lock
///   (``PostgresSchema/auditLock``), then reads the head, seals and inserts (READ COMMITTED: each
///   statement after the lock sees what the previous holder committed), so the chain never forks;
///   state changes and their audit records commit together;
/// - the outbox claims with `FOR UPDATE SKIP LOCKED`: two workers never take one notice;
/// - migrations run under a session advisory lock: several processes may open a new database.
///
/// Key material never lives in the database: it is in a ``KeyFile`` (`index-key` keys the event
/// index, `pseudonym-key` the pseudonyms; each audit record names the current pseudonym key's id
/// in its `key` detail field, as the SQLite store does).
///
/// The connection pool (`PostgresClient`) runs in a task this store owns, from ``open(url:keyFile:logger:maximumConnections:connectTimeout:)``
/// to ``close()``.
public final class PostgresStore: Sendable {
    /// Where the store is (no password).
    public let url: PostgresURL
    /// The key file.
    public let keys: KeyFile
    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>

    /// `host:port/database`, as errors name the store.
    public var place: String { url.place }

    private init(url: PostgresURL, keys: KeyFile, client: PostgresClient, logger: Logger) {
        self.url = url
        self.keys = keys
        self.client = client
        self.logger = logger
        self.runner = Task { await client.run() }
    }

    /// Connects to the database at `url` (see ``PostgresURL`` for the URL and the password
    /// rules), applies the migrations it lacks, and returns the store; its connection pool runs
    /// until ``close()``.
    ///
    /// - Parameters:
    ///   - keyFile: the key file (mode 0600; made on first use).
    ///   - maximumConnections: the pool's size (each concurrent transaction holds one).
    ///   - connectTimeout: how long to wait for the first connection and the migrations (the
    ///     pool retries a refused connection without end; the open gives up then).
    /// - Throws: ``PostgresStoreError`` naming `host:port/database`; a `KeyFileError` for the key file.
    public static func open(
        url text: String, keyFile: String, logger: Logger = Logger(label: "mamori.store.postgres"), maximumConnections: Int = 20,
        connectTimeout: Duration = .seconds(30)
    ) async throws -> PostgresStore {
        let url = try PostgresURL(text)
        let password = try url.password()
        let keys = try KeyFile(path: keyFile)
        let tls: PostgresClient.Configuration.TLS
        switch url.sslMode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(.makeClientConfiguration())
        case .require: tls = .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.user, password: password, database: url.database, tls: tls)
        configuration.options.maximumConnections = max(1, maximumConnections)
        // One connection of its own first, so that what stops it (refused, authentication, no
        // such database, too many clients) is the error, not a pool retrying without end.
        let single = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: password, database: url.database,
            tls: try Self.connectionTLS(url.sslMode))
        do {
            try await Self.withTimeout(connectTimeout, place: url.place, operation: "connect and migrate") {
                let connection = try await PostgresConnection.connect(configuration: single, id: 0, logger: logger)
                do {
                    try await PostgresSchema.migrate(connection, logger: logger)
                } catch {
                    try? await connection.close()
                    throw error
                }
                try await connection.close()
            }
        } catch {
            throw PostgresStoreError.wrap(error, place: url.place, operation: "open the store")
        }
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return PostgresStore(url: url, keys: keys, client: client, logger: logger)
    }

    /// Stops the connection pool (open connections are closed) and waits for it.
    public func close() async {
        runner.cancel()
        await runner.value
    }

    /// The TLS of `mode` for a single connection.
    static func connectionTLS(_ mode: PostgresURL.SSLMode) throws -> PostgresConnection.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
    }

    // MARK: transactions

    /// Runs `body` in one READ COMMITTED transaction on a pooled connection; with `lockingAudit`,
    /// the audit advisory lock is taken first (required before appending audit records, and it
    /// serialises the transaction with every other writer of audit records, as SQLite's write
    /// lock does). A transaction that loses a deadlock or serialization race is run again (up to
    /// five times): `body` may run more than once.
    @discardableResult
    func transaction<T: Sendable>(
        _ operation: String, lockingAudit: Bool, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await client.withConnection { connection in
                    try await connection.query("BEGIN ISOLATION LEVEL READ COMMITTED", logger: logger)
                    do {
                        if lockingAudit {
                            try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.auditLock))", logger: logger)
                        }
                        let value = try await body(connection)
                        try await connection.query("COMMIT", logger: logger)
                        return value
                    } catch {
                        _ = try? await connection.query("ROLLBACK", logger: logger)
                        throw error
                    }
                }
            } catch  where attempt < 5 && PostgresStoreError.isRetryable(error) {
                logger.debug("transaction retried", metadata: ["operation": "\(operation)", "attempt": "\(attempt)"])
                continue
            } catch {
                throw PostgresStoreError.wrap(error, place: place, operation: operation)
            }
        }
    }

    /// Runs `body` on a pooled connection (reads; each statement sees the latest committed data).
    func read<T: Sendable>(_ operation: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch {
            throw PostgresStoreError.wrap(error, place: place, operation: operation)
        }
    }

    /// Runs `body`, failing with ``PostgresStoreError/cannotConnect(place:reason:)`` after `limit`
    /// (the pool retries a refused connection without end).
    static func withTimeout<T: Sendable>(
        _ limit: Duration, place: String, operation: String, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw PostgresStoreError.cannotConnect(place: place, reason: "no connection within \(limit) (\(operation))")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            return first
        }
    }
}

extension PostgresRowSequence {
    /// Every row, collected.
    func rows() async throws -> [PostgresRow] {
        try await collect()
    }
}

extension [UInt8] {
    /// The bytes as a buffer (binds `bytea`; a plain `[UInt8]` would bind as an array).
    var buffer: ByteBuffer { ByteBuffer(bytes: self) }
}

extension ByteBuffer {
    /// The readable bytes.
    var bytes: [UInt8] { Array(readableBytesView) }
}
