import Foundation
import MamoriTesting
import Testing

/// Keys live in the key file, not in the store: a copy of the store file alone holds none; a key
/// file others can read is refused; an old store's `secret` rows are moved out once; the
/// pseudonymisation key rotates and each audit record names the key it was written under.
@Suite struct KeyFileTests {
    func demoStore() throws -> URL {
        let dir = try CLI.temporaryDirectory()
        let store = dir.appendingPathComponent("keys.sqlite")
        let demo = try CLI.run(["demo", "--no-serve", "--store", store.path, "--notices-out", dir.appendingPathComponent("notices").path])
        try #require(demo.status == 0, "\(demo.stderr)")
        return store
    }

    /// The secrets of the key file, decoded.
    func secrets(_ keyFile: String) throws -> [String: [UInt8]] {
        let object = CLI.object(try String(contentsOfFile: keyFile, encoding: .utf8))
        var out: [String: [UInt8]] = [:]
        for key in object["keys"] as? [[String: Any]] ?? [] {
            if let id = key["id"] as? String, let secret = (key["secret"] as? String).flatMap({ Data(base64Encoded: $0) }) {
                out[id] = [UInt8](secret)
            }
        }
        return out
    }

    /// The bytes of the store file and of its WAL, if any.
    func storeBytes(_ store: URL) throws -> [UInt8] {
        var bytes = [UInt8](try Data(contentsOf: store))
        if let wal = try? Data(contentsOf: URL(fileURLWithPath: store.path + "-wal")) { bytes += wal }
        return bytes
    }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func storeFileHoldsNoKey() throws {
        let store = try demoStore()
        let keyFile = store.path + ".keys"
        #expect(try mode(keyFile) == 0o600)
        let keys = try secrets(keyFile)
        for name in ["pseudonym-key/1", "index-key/1", "checkpoint-signing-key/1"] {
            #expect(keys[name]?.count == 32, "\(name) missing from the key file")
        }
        let tables = try CLI.sqlite(store, "SELECT count(*) FROM sqlite_master WHERE name = 'secret';").stdout
        #expect(tables.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        let bytes = try storeBytes(store)
        for (id, secret) in keys {
            #expect(bytes.firstRange(of: secret) == nil, "the store file holds \(id)")
        }
    }

    @Test func keyFileOthersCanReadIsRefused() throws {
        let store = try demoStore()
        let keyFile = store.path + ".keys"
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyFile)
        let result = try CLI.run(["audit", "verify", "--store", store.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains(keyFile), "\(result.stderr)")
        #expect(result.stderr.contains("0644"), "\(result.stderr)")
        #expect(result.stderr.contains("group or others can read"), "\(result.stderr)")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile)
        #expect(try CLI.run(["audit", "verify", "--store", store.path]).status == 0)
    }

    @Test func oldStoreSecretsAreMovedOutOnce() throws {
        let store = try demoStore()
        let keyFile = store.path + ".keys"
        // Make it look like a store from before keys left it: a secret table with a row, and the
        // migration that drops it not yet applied.
        let legacy = (0..<32).map { UInt8(0xA0 &+ $0) }
        let hex = legacy.map { String(format: "%02X", $0) }.joined()
        try CLI.sqlite(
            store,
            """
            CREATE TABLE secret (name TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL);
            INSERT INTO secret(name, value) VALUES ('legacy-key', X'\(hex)');
            DELETE FROM grdb_migrations WHERE identifier = 'v4 keys out of store';
            """)
        #expect(try storeBytes(store).firstRange(of: legacy) != nil)
        let opened = try CLI.run(["audit", "verify", "--store", store.path])
        #expect(opened.status == 0, "\(opened.stdout)\(opened.stderr)")
        #expect(try secrets(keyFile)["legacy-key/1"] == legacy)
        let tables = try CLI.sqlite(store, "SELECT count(*) FROM sqlite_master WHERE name = 'secret';").stdout
        #expect(tables.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        #expect(try storeBytes(store).firstRange(of: legacy) == nil, "the moved key is still in the store file")
        #expect(try mode(keyFile) == 0o600)
    }

    @Test func rotationKeepsOldRecordsVerifiableAndNamesTheKey() throws {
        let store = try demoStore()
        func lastRecord() throws -> [String: Any] {
            CLI.object(try CLI.run(["audit", "show", "--store", store.path, "--json"]).lines.last ?? "")
        }
        let query = [
            "attribute", "--store", store.path, "--purpose", "infected-host-notification", "--ip", "192.0.2.1", "--at",
            "2026-01-01T00:00:00Z",
        ]
        #expect(try CLI.run(query).status == 0)
        let before = try lastRecord()
        #expect((before["detail"] as? [String: String])?["key"] == "pseudonym-key/1")
        let rotated = try CLI.run(["keys", "rotate", "--store", store.path])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        #expect(rotated.stdout.contains("pseudonym-key/2"))
        #expect(try CLI.run(query).status == 0)
        let after = try lastRecord()
        #expect((after["detail"] as? [String: String])?["key"] == "pseudonym-key/2")
        // The same address gets another pseudonym under the new key.
        let address = { (record: [String: Any]) in (record["detail"] as? [String: String])?["address"] }
        #expect(address(before) != nil && address(before) != address(after))
        let keys = try secrets(store.path + ".keys")
        #expect(keys["pseudonym-key/1"] != nil && keys["pseudonym-key/2"] != nil)
        let verified = try CLI.run(["audit", "verify", "--store", store.path, "--json"])
        #expect(verified.status == 0, "\(verified.stdout)")
        let listed = try CLI.run(["keys", "list", "--store", store.path]).stdout
        #expect(listed.contains("pseudonym-key/1") && listed.contains("pseudonym-key/2\t"))
        #expect(!listed.contains(Data(keys["pseudonym-key/1"] ?? []).base64EncodedString()))
    }
}
