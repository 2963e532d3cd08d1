import ArgumentParser
import Foundation
import Runtime
import Secrecy
import StoreSQLite
import TextScanning

/// Options every command that touches the store takes.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "The store file (SQLite). Default: $MAMORI_STORE, else ./mamori.sqlite.")
    var store: String?

    @Option(name: .long, help: "A countermeasure declarations file that replaces the bundled one.")
    var declarations: String?

    @Option(
        name: .customLong("key-file"),
        help: "The key file (mode 0600; never inside the store). Default: $MAMORI_KEY_FILE, else <store>.keys.")
    var keyFile: String?

    @Option(
        name: .customLong("checkpoints"),
        help: "The signed audit checkpoints file (append-only, keep a copy off this host). Default: $MAMORI_CHECKPOINTS, else <store>.checkpoints.")
    var checkpoints: String?

    /// The store path after the environment default.
    var storePath: String {
        store ?? ProcessInfo.processInfo.environment["MAMORI_STORE"] ?? "./mamori.sqlite"
    }

    /// The key file path after the environment default.
    var keyFilePath: String {
        keyFile ?? ProcessInfo.processInfo.environment["MAMORI_KEY_FILE"] ?? MamoriStore.defaultKeyFile(for: storePath)
    }

    /// The checkpoints file path after the environment default.
    var checkpointsPath: String {
        checkpoints ?? ProcessInfo.processInfo.environment["MAMORI_CHECKPOINTS"] ?? storePath + ".checkpoints"
    }

    /// Opens the store with its key file; the audit log is checkpointed automatically when the
    /// command ends if it appended records (``AutoCheckpoint``).
    func openStore() throws -> MamoriStore {
        let store = try MamoriStore(path: storePath, keyFile: keyFilePath)
        try AutoCheckpoint.register(store, file: CheckpointFile(path: checkpointsPath))
        return store
    }

    func loadDeclarations() throws -> Declarations {
        if let declarations {
            return try Declarations.load(contentsOf: URL(fileURLWithPath: declarations))
        }
        return try Declarations.bundled()
    }
}
