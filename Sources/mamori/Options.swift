import ArgumentParser
import Runtime
import TextScanning
import Foundation
import Secrecy
import Store

/// Options every command that touches the store takes.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "The store file (SQLite). Default: $MAMORI_STORE, else ./mamori.sqlite.")
    var store: String?

    @Option(name: .long, help: "A countermeasure declarations file that replaces the bundled one.")
    var declarations: String?

    /// The store path after the environment default.
    var storePath: String {
        store ?? ProcessInfo.processInfo.environment["MAMORI_STORE"] ?? "./mamori.sqlite"
    }

    func openStore() throws -> MamoriStore {
        try MamoriStore(path: storePath)
    }

    func loadDeclarations() throws -> Declarations {
        if let declarations {
            return try Declarations.load(contentsOf: URL(fileURLWithPath: declarations))
        }
        return try Declarations.bundled()
    }
}
