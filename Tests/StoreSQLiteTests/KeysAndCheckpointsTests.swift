import Foundation
import GRDB
import Secrecy
import Storage
import Testing

@testable import StoreSQLite

/// The store's keys live in its key file; its audit log signs checkpoints into a file outside it.
@Suite struct KeysAndCheckpointsTests {
    func temporaryPath() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-store-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("s.sqlite").path
    }

    func entry(_ n: Int) -> AuditEntry {
        AuditEntry(countermeasure: nil, action: "test", actor: "test", subject: "-", detail: ["n": "\(n)"])
    }

    @Test func secretsOfAnOldStoreMoveToTheKeyFileOnce() throws {
        let path = temporaryPath()
        // A store as an older Mamori left it: migrated up to v2, its key in the secret table.
        do {
            let pool = try DatabasePool(path: path)
            try Schema.migrator.migrate(pool, upTo: "v2 remediation")
            try pool.write { db in
                try db.execute(
                    sql: "INSERT INTO secret(name, value) VALUES (?, ?)", arguments: ["pseudonym-key", Data(repeating: 0x5A, count: 32)])
            }
        }
        let store = try MamoriStore(path: path)
        #expect(try store.secret(named: "pseudonym-key") == [UInt8](repeating: 0x5A, count: 32))
        #expect(store.keys.ring.current("pseudonym-key")?.id == "pseudonym-key/1")
        #expect(try store.pool.read { db in try db.tableExists("secret") } == false)
        #expect(FileManager.default.fileExists(atPath: path + ".keys"))
        // Reopening keeps the same key and moves nothing again.
        let again = try MamoriStore(path: path)
        #expect(again.keys.ring.keys.count == 1)
        let expected = try Pseudonymizer(key: [UInt8](repeating: 0x5A, count: 32)).pseudonym(subscriber: "C-1")
        #expect(try again.pseudonymizer().pseudonym(subscriber: "C-1") == expected)
    }

    @Test func aStoreKeyDifferentFromTheKeyFilesIsRefused() throws {
        let path = temporaryPath()
        _ = try KeyFile(path: path + ".keys").secret(named: "index-key")
        do {
            let pool = try DatabasePool(path: path)
            try Schema.migrator.migrate(pool, upTo: "v2 remediation")
            try pool.write { db in
                try db.execute(sql: "INSERT INTO secret(name, value) VALUES ('index-key', zeroblob(32))")
            }
        }
        #expect(throws: KeyFileError.conflict(path: path + ".keys", name: "index-key")) { try MamoriStore(path: path) }
    }

    @Test func recordsNameThePseudonymisationKeyTheyWereWrittenUnder() throws {
        let store = try MamoriStore(path: temporaryPath())
        let log = try store.auditLog()
        _ = try log.append(entry(1))  // no pseudonymisation key yet: nothing to name
        _ = try store.pseudonymizer()
        _ = try log.append(entry(2))
        try store.keys.rotate(KeyName.pseudonym)
        _ = try log.append(entry(3))
        let records = try log.records(from: 1)
        #expect(records.map { $0.entry.detail["key"] } == [nil, "pseudonym-key/1", "pseudonym-key/2"])
        #expect(AuditChain.verify(records).isIntact)
        #expect(try store.pseudonymizer(keyID: "pseudonym-key/1") != nil)
        #expect(try store.pseudonymizer(keyID: "index-key/1") == nil)
    }

    @Test func checkpointsAreSignedOnlyOverALogThatExtendsTheLastOne() async throws {
        let path = temporaryPath()
        let store = try MamoriStore(path: path)
        let log = try store.auditLog()
        let file = CheckpointFile(path: path + ".checkpoints")
        #expect(try await store.signCheckpoint(to: file) == nil)  // empty log
        for n in 1...5 { _ = try log.append(entry(n)) }
        let first = try #require(try await store.signCheckpoint(to: file))
        #expect(first.checkpoint.size == 5)
        #expect(first.keyID == "checkpoint-signing-key/1")
        #expect(try await store.signCheckpoint(to: file) == nil)  // nothing new
        _ = try log.append(entry(6))
        #expect(try await store.signCheckpoint(to: file)?.checkpoint.size == 6)
        #expect(try file.lines().count == 2)
        let verified = AuditTail.verify(try log.records(from: 1), signed: try file.lines(), trustedKeys: store.trustedCheckpointKeys())
        #expect(verified.status == .intact)

        // Delete the newest records behind the store's back: signing now would bless the truncation.
        // (Deleting exactly the records since the last checkpoint would look like a rollback to it.)
        try await store.pool.write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq >= 5")
        }
        await #expect(throws: CheckpointError.self) { try await store.signCheckpoint(to: file) }
        #expect(try file.lines().count == 2)
        let truncated = AuditTail.verify(try log.records(from: 1), signed: try file.lines(), trustedKeys: store.trustedCheckpointKeys())
        #expect(truncated.status == .truncated)
    }
}
