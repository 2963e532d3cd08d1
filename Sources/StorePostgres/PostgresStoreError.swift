import PostgresNIO

/// Errors of the PostgreSQL store. Each names the store (`host:port/database`) and what was
/// being done, never a password nor a SQL argument (subscriber ids, addresses, e-mails): a
/// server error is reduced to its SQLSTATE, and the constraint or table it names.
public enum PostgresStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The URL is not a usable `postgres://user@host:port/database`.
    case invalidURL(reason: String)
    /// The URL holds a password.
    case passwordInURL
    /// The pgpass file cannot be used.
    case passfile(path: String, reason: String)
    /// The store did not answer or refused the connection.
    case cannotConnect(place: String, reason: String)
    /// A statement failed.
    case failed(place: String, operation: String, sqlState: String?, reason: String)
    /// A stored row cannot be read back.
    case corrupt(place: String, table: String, row: Int64, reason: String)
    /// The store was closed.
    case closed(place: String)

    public var description: String {
        switch self {
        case .invalidURL(let reason): "invalid PostgreSQL URL: \(reason)"
        case .passwordInURL:
            "the PostgreSQL URL holds a password: put the password in PGPASSFILE, never on the command line "
                + "(a pgpass file, mode 0600: host:port:database:user:password)"
        case .passfile(let path, let reason): "\(path): cannot use the pgpass file: \(reason)"
        case .cannotConnect(let place, let reason): "\(place): cannot connect to the store: \(reason)"
        case .failed(let place, let operation, let sqlState, let reason):
            "\(place): \(operation) failed: \(reason)\(sqlState.map { " (SQLSTATE \($0))" } ?? "")"
        case .corrupt(let place, let table, let row, let reason): "\(place): table \(table), row \(row): \(reason)"
        case .closed(let place): "\(place): the store is closed"
        }
    }

    /// `error` as a store error naming `place` and `operation`, with nothing of the statement's
    /// arguments: the SQLSTATE, the constraint or table the server names, and the server's
    /// message only for errors Mamori raises itself (class P0) or that name schema objects
    /// (class 42).
    static func wrap(_ error: any Error, place: String, operation: String) -> PostgresStoreError {
        if let error = error as? PostgresStoreError { return error }
        if let error = error as? PSQLError {
            if error.code == .server, let info = error.serverInfo {
                let state = info[.sqlState]
                var reason = "the server refused it"
                if let state, state.hasPrefix("P0") || state.hasPrefix("42"), let message = info[.message] {
                    reason = message
                } else if let constraint = info[.constraintName] {
                    reason = "constraint \(constraint) violated"
                } else if let table = info[.tableName] {
                    reason = "on table \(table)"
                }
                return .failed(place: place, operation: operation, sqlState: state, reason: reason)
            }
            switch error.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .sslUnsupported, .failedToAddSSLHandler,
                .authMechanismRequiresPassword, .unsupportedAuthMechanism, .saslError, .poolClosed:
                return .cannotConnect(place: place, reason: "\(error.code)")
            default:
                return .failed(place: place, operation: operation, sqlState: nil, reason: "\(error.code)")
            }
        }
        if let error = error as? PostgresDecodingError {
            return .failed(place: place, operation: operation, sqlState: nil, reason: "column \(error.columnName): cannot decode (\(error.code))")
        }
        if error is CancellationError { return .failed(place: place, operation: operation, sqlState: nil, reason: "cancelled") }
        return .failed(place: place, operation: operation, sqlState: nil, reason: String(describing: type(of: error)))
    }

    /// Whether a transaction that failed with `error` may be run again (serialization failure,
    /// deadlock).
    static func isRetryable(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, error.code == .server, let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }
}
