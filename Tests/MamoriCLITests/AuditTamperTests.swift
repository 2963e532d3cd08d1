import Foundation
import MamoriTesting
import Testing

/// Tampering with the audit table directly in the SQLite file (with the real sqlite3 shell,
/// dropping the append-only triggers first, as an attacker with file access would) is detected
/// by `mamori audit verify`, which names the first broken record.
@Suite struct AuditTamperTests {
    func demoStore() throws -> (URL, Int) { try CLI.demoStore() }

    func verify(_ store: URL) throws -> (Int32, [String: Any]) { try CLI.verifyAudit(store) }

    static let unlock = "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;"

    @Test func triggersRefuseUpdateAndDelete() throws {
        let (store, _) = try demoStore()
        let update = try CLI.exec(
            URL(fileURLWithPath: "/usr/bin/env"), ["sqlite3", store.path], stdin: "UPDATE audit SET actor = 'x' WHERE seq = 2;")
        #expect(update.stderr.contains("append-only"))
        let delete = try CLI.exec(URL(fileURLWithPath: "/usr/bin/env"), ["sqlite3", store.path], stdin: "DELETE FROM audit WHERE seq = 2;")
        #expect(delete.stderr.contains("append-only"))
        #expect(try verify(store).0 == 0)
    }

    @Test func editedRecordIsNamed() throws {
        let (store, _) = try demoStore()
        try CLI.sqlite(store, Self.unlock + "UPDATE audit SET subject = 'sub:forged' WHERE seq = 5;")
        let (status, object) = try verify(store)
        #expect(status == 3)
        #expect(object["sequence"] as? Int == 5)
        #expect((object["reason"] as? String)?.contains("edit") == true)
    }

    @Test func deletedRecordIsNamed() throws {
        let (store, _) = try demoStore()
        try CLI.sqlite(store, Self.unlock + "DELETE FROM audit WHERE seq = 4;")
        let (status, object) = try verify(store)
        #expect(status == 3)
        // The first record that no longer chains is the one after the gap.
        #expect(object["sequence"] as? Int == 5)
        #expect((object["reason"] as? String)?.contains("delet") == true)
    }

    @Test func deletedTailIsCaughtByCheckpoint() throws {
        let (store, count) = try demoStore()
        #expect(try CLI.run(["audit", "checkpoint", "--store", store.path]).status == 0)
        try CLI.sqlite(store, Self.unlock + "DELETE FROM audit WHERE seq = \(count);")
        let (status, object) = try verify(store)
        #expect(status == 3, "a truncated log must not verify against its checkpoint: \(object)")
    }

    @Test func insertedRecordIsNamed() throws {
        let (store, _) = try demoStore()
        // Shift records 6… up by one and insert a forged record 6 copied from record 3.
        try CLI.sqlite(
            store,
            Self.unlock + """
                UPDATE audit SET seq = seq + 1000000 WHERE seq >= 6;
                UPDATE audit SET seq = seq - 1000000 + 1 WHERE seq >= 1000000;
                INSERT INTO audit(seq, time, countermeasure, action, actor, subject, detail, prev_hash, hash)
                    SELECT 6, time, countermeasure, action, actor, subject, detail, prev_hash, hash FROM audit WHERE seq = 3;
                """)
        let (status, object) = try verify(store)
        #expect(status == 3)
        #expect(object["sequence"] as? Int == 6)
    }

    @Test func reorderedRecordsAreNamed() throws {
        let (store, _) = try demoStore()
        try CLI.sqlite(
            store,
            Self.unlock + """
                UPDATE audit SET seq = -7 WHERE seq = 7;
                UPDATE audit SET seq = 7 WHERE seq = 8;
                UPDATE audit SET seq = 8 WHERE seq = -7;
                """)
        let (status, object) = try verify(store)
        #expect(status == 3)
        #expect(object["sequence"] as? Int == 7)
        #expect((object["reason"] as? String)?.contains("reorder") == true)
    }
}
