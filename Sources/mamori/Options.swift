import ArgumentParser
import Foundation
import Runtime
import Secrecy
import Storage
import TextScanning

/// Options every command that touches the store takes.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .long,
        help: """
            The store: a SQLite file, or postgres://user@host:port/db (password from PGPASSFILE or ~/.pgpass, never in the URL). \
            Default: $MAMORI_STORE, else ./mamori.sqlite.
            """)
    var store: String?

    @Option(name: .long, help: "A countermeasure declarations file that replaces the bundled one.")
    var declarations: String?

    @Option(
        name: .customLong("key-file"),
        help: """
            The key file (mode 0600; never inside the store; every process on one PostgreSQL store uses the same). \
            Default: $MAMORI_KEY_FILE, else <store file>.keys (required for PostgreSQL).
            """)
    var keyFile: String?

    @Option(
        name: .customLong("checkpoints"),
        help: """
            The signed audit checkpoints file (append-only, keep a copy off this host). \
            Default: $MAMORI_CHECKPOINTS, else <store file>.checkpoints (<key file>.checkpoints for PostgreSQL).
            """)
    var checkpoints: String?

    /// The store's location after the environment default.
    var storeLocation: StoreLocation {
        StoreLocation(store ?? ProcessInfo.processInfo.environment["MAMORI_STORE"] ?? "./mamori.sqlite")
    }

    /// The store for messages: the path, or the URL (which holds no password).
    var storePath: String {
        switch storeLocation {
        case .file(let path): path
        case .postgres(let url): url
        }
    }

    /// The key file path after the environment default.
    var keyFilePath: String {
        get throws {
            if let path = keyFile ?? ProcessInfo.processInfo.environment["MAMORI_KEY_FILE"] { return path }
            guard let path = storeLocation.defaultKeyFile else {
                throw ValidationError("a PostgreSQL store needs --key-file (or MAMORI_KEY_FILE): every instance must use the same key file")
            }
            return path
        }
    }

    /// The checkpoints file path after the environment default.
    var checkpointsPath: String {
        get throws {
            if let path = checkpoints ?? ProcessInfo.processInfo.environment["MAMORI_CHECKPOINTS"] { return path }
            switch storeLocation {
            case .file(let path): return path + ".checkpoints"
            case .postgres: return try keyFilePath + ".checkpoints"
            }
        }
    }

    /// Opens the store with its key file; the audit log is checkpointed automatically when the
    /// command ends if it appended records (``AutoCheckpoint``).
    func openStore() async throws -> any Storage {
        let store = try await storeLocation.open(keyFile: try keyFilePath)
        try await AutoCheckpoint.register(store, file: CheckpointFile(path: try checkpointsPath))
        return store
    }

    func loadDeclarations() throws -> Declarations {
        if let declarations {
            return try Declarations.load(contentsOf: URL(fileURLWithPath: declarations))
        }
        return try Declarations.bundled()
    }
}
