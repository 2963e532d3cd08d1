import Foundation
import Runtime
import Secrecy
import StoreSQLite
import Synchronization

/// Signed checkpoints made without an operator: every store a command opened is checkpointed
/// when the command ends, if its audit log grew meanwhile (``Mamori/main()`` calls ``finish()``).
enum AutoCheckpoint {
    private struct Opened: Sendable {
        let store: MamoriStore
        let file: CheckpointFile
        let headAtOpen: Int64
    }

    private static let opened = Mutex<[String: Opened]>([:])

    /// Remembers `store` and the size of its log now (the first time a path is opened).
    static func register(_ store: MamoriStore, file: CheckpointFile) throws {
        let head = try store.auditLog().headSequence()
        opened.withLock { stores in
            if stores[store.path] == nil { stores[store.path] = Opened(store: store, file: file, headAtOpen: head) }
        }
    }

    /// Signs a checkpoint for every opened store whose log grew; a failure is reported on
    /// stderr (the command's own outcome stands).
    static func finish() {
        let stores = opened.withLock { stores in
            defer { stores = [:] }
            return Array(stores.values)
        }
        for entry in stores {
            do {
                let log = try entry.store.auditLog()
                guard try log.headSequence() != entry.headAtOpen else { continue }
                try log.signCheckpoint(to: entry.file)
            } catch {
                Output.error("audit checkpoint: \(error)")
            }
        }
    }
}
