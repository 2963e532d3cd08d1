import Foundation
import Runtime
import Secrecy
import Storage
import Synchronization

/// Signed checkpoints made without an operator: every store a command opened is checkpointed
/// when the command ends, if its audit log grew meanwhile (``Mamori/main()`` calls ``finish()``).
enum AutoCheckpoint {
    private struct Opened: Sendable {
        let store: any Storage
        let file: CheckpointFile
        let headAtOpen: Int64
    }

    private static let opened = Mutex<[String: Opened]>([:])

    /// Remembers `store` and the size of its log now (the first time a location is opened).
    static func register(_ store: any Storage, file: CheckpointFile) async throws {
        let head = try await store.audit.headSequence()
        opened.withLock { stores in
            if stores[store.location] == nil { stores[store.location] = Opened(store: store, file: file, headAtOpen: head) }
        }
    }

    /// Signs a checkpoint for every opened store whose log grew, and closes every opened store;
    /// a failure is reported on stderr (the command's own outcome stands).
    static func finish() async {
        let stores = opened.withLock { stores in
            defer { stores = [:] }
            return Array(stores.values)
        }
        for entry in stores {
            do {
                if try await entry.store.audit.headSequence() != entry.headAtOpen {
                    try await entry.store.signCheckpoint(to: entry.file)
                }
            } catch {
                Output.error("audit checkpoint: \(error)")
            }
            await entry.store.close()
        }
    }
}
