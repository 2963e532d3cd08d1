import Foundation
import MamoriTesting
import Testing

/// The tail of the audit log against the signed checkpoints file that every appending command
/// leaves behind: deleting the newest records, putting an older copy of the store back, and
/// rewriting the tail with a different (validly chained) history are named by `audit verify`
/// (exit 3), with the real `mamori` binary and the real `sqlite3` shell as the tamperer.
@Suite struct SignedCheckpointTests {
    func demoStore() throws -> (URL, Int) { try CLI.demoStore() }

    func verify(_ store: URL) throws -> (Int32, [String: Any]) { try CLI.verifyAudit(store) }

    func checkpointLines(_ store: URL) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: store.path + ".checkpoints", encoding: .utf8)
        return text.split(separator: "\n").map { CLI.object(String($0)) }
    }

    /// One `attribute` query: appends one identification record (and, as the command ends, a checkpoint).
    @discardableResult
    func attribute(_ store: URL, _ address: String = "192.0.2.1") throws -> CLI.Result {
        try CLI.run([
            "attribute", "--store", store.path, "--purpose", "infected-host-notification", "--ip", address, "--at", "2026-01-01T00:00:00Z",
        ])
    }

    static let unlock = "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;"

    @Test func everyAppendingCommandSignsACheckpoint() throws {
        let (store, count) = try demoStore()
        var lines = try checkpointLines(store)
        #expect(lines.last?["size"] as? Int == count)
        #expect((lines.last?["public_key"] as? String)?.isEmpty == false)
        #expect((lines.last?["signature"] as? String)?.isEmpty == false)
        #expect(try attribute(store).status == 0)
        lines = try checkpointLines(store)
        #expect(lines.last?["size"] as? Int == count + 1)
        // A command that appends nothing adds no checkpoint.
        let (status, object) = try verify(store)
        #expect(status == 0, "\(object)")
        #expect(object["status"] as? String == "intact")
        #expect(object["records"] as? Int == count + 1)
        #expect((object["checkpoint"] as? [String: Any])?["size"] as? Int == count + 1)
        #expect((object["checkpoint"] as? [String: Any])?["time"] is String)
        #expect(try checkpointLines(store).count == lines.count)
    }

    @Test func deletedTailIsNamedTruncation() throws {
        let (store, count) = try demoStore()
        try CLI.sqlite(store, Self.unlock + "DELETE FROM audit WHERE seq = \(count);")
        let (status, object) = try verify(store)
        #expect(status == 3, "\(object)")
        #expect(object["status"] as? String == "truncated")
        #expect((object["reason"] as? String)?.contains("truncation") == true, "\(object)")
        #expect(object["records"] as? Int == count - 1)
        #expect((object["checkpoint"] as? [String: Any])?["size"] as? Int == count)
    }

    @Test func olderCopyPutBackIsNamedRollback() throws {
        let (store, count) = try demoStore()
        let backup = store.deletingLastPathComponent().appendingPathComponent("backup.sqlite")
        try FileManager.default.copyItem(at: store, to: backup)
        let wal = URL(fileURLWithPath: store.path + "-wal")
        let backupWAL = URL(fileURLWithPath: backup.path + "-wal")
        if FileManager.default.fileExists(atPath: wal.path) { try FileManager.default.copyItem(at: wal, to: backupWAL) }
        #expect(try attribute(store).status == 0)
        #expect(try attribute(store, "192.0.2.2").status == 0)
        #expect(try verify(store).0 == 0)
        // Put the older copy back.
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: store.path + suffix) }
        try FileManager.default.copyItem(at: backup, to: store)
        if FileManager.default.fileExists(atPath: backupWAL.path) { try FileManager.default.copyItem(at: backupWAL, to: wal) }
        let (status, object) = try verify(store)
        #expect(status == 3, "\(object)")
        #expect(object["status"] as? String == "rolled_back")
        #expect((object["reason"] as? String)?.contains("rollback") == true, "\(object)")
        #expect(object["records"] as? Int == count)
        #expect((object["checkpoint"] as? [String: Any])?["size"] as? Int == count + 1)  // the first signed state it lacks
    }

    @Test func rewrittenTailIsNamedFork() throws {
        let (store, count) = try demoStore()
        // Remove the last two records, then let the CLI append two others: the chain is valid again.
        try CLI.sqlite(store, Self.unlock + "DELETE FROM audit WHERE seq >= \(count - 1);")
        let first = try attribute(store, "198.51.100.1")
        #expect(first.status == 0)
        // The command refuses to sign over a log that no longer extends the signed one.
        #expect(first.stderr.contains("not signing"), "\(first.stderr)")
        #expect(try attribute(store, "198.51.100.2").status == 0)
        let records = try CLI.run(["audit", "show", "--store", store.path, "--json"]).lines.count
        #expect(records == count)
        let (status, object) = try verify(store)
        #expect(status == 3, "\(object)")
        #expect(object["status"] as? String == "forked")
        #expect((object["reason"] as? String)?.contains("fork") == true, "\(object)")
        #expect((object["checkpoint"] as? [String: Any])?["size"] as? Int == count)
    }

    @Test func editedCheckpointLineIsABadSignature() throws {
        let (store, _) = try demoStore()
        let path = store.path + ".checkpoints"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        // Claim a smaller size for the newest checkpoint.
        guard let size = try checkpointLines(store).last?["size"] as? Int else {
            Issue.record("no checkpoint line")
            return
        }
        let edited = text.replacingOccurrences(of: "\"size\":\(size),", with: "\"size\":\(size - 1),")
        #expect(edited != text)
        try edited.write(toFile: path, atomically: true, encoding: .utf8)
        let (status, object) = try verify(store)
        #expect(status == 3, "\(object)")
        #expect(object["status"] as? String == "bad_signature")
        #expect((object["reason"] as? String)?.contains("bad signature") == true, "\(object)")
    }

    @Test func checkpointsFromAnotherKeyAreRefused() throws {
        let (store, _) = try demoStore()
        let (other, _) = try demoStore()
        // Someone replaces the checkpoints file by one signed with another store's key.
        try FileManager.default.removeItem(atPath: store.path + ".checkpoints")
        try FileManager.default.copyItem(atPath: other.path + ".checkpoints", toPath: store.path + ".checkpoints")
        let (status, object) = try verify(store)
        #expect(status == 3, "\(object)")
        #expect(object["status"] as? String == "bad_signature")
        #expect((object["reason"] as? String)?.contains("not in the key file") == true, "\(object)")
    }

    @Test func checkpointsFileAndKeyFileCanBeNamed() throws {
        let dir = try CLI.temporaryDirectory()
        let store = dir.appendingPathComponent("s.sqlite")
        let keys = dir.appendingPathComponent("elsewhere/keys.json")
        try FileManager.default.createDirectory(at: keys.deletingLastPathComponent(), withIntermediateDirectories: true)
        let checkpoints = dir.appendingPathComponent("elsewhere/audit.checkpoints")
        let environment = ["MAMORI_KEY_FILE": keys.path, "MAMORI_CHECKPOINTS": checkpoints.path]
        let attributed = try CLI.run(
            ["attribute", "--store", store.path, "--purpose", "infected-host-notification", "--ip", "192.0.2.1", "--at", "2026-01-01T00:00:00Z"],
            environment: environment)
        #expect(attributed.status == 0, "\(attributed.stderr)")
        #expect(FileManager.default.fileExists(atPath: keys.path))
        #expect(FileManager.default.fileExists(atPath: checkpoints.path))
        #expect(!FileManager.default.fileExists(atPath: store.path + ".keys"))
        #expect(!FileManager.default.fileExists(atPath: store.path + ".checkpoints"))
        let verified = try CLI.run(
            ["audit", "verify", "--store", store.path, "--key-file", keys.path, "--checkpoints", checkpoints.path, "--json"])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(CLI.object(verified.lines.last ?? "")["status"] as? String == "intact")
    }

    @Test func serveSignsCheckpointsAsRecordsArrive() throws {
        let (store, count) = try demoStore()
        let port = try Loopback.freePort()
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = [
            "serve", "--store", store.path, "--port", "\(port)", "--metrics-port", "0", "--checkpoint-every-seconds", "1",
            "--checkpoint-every-records", "1000",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        try Loopback.waitUntilListening(port: port)
        // Two records appended by another process whose own end-of-command checkpoint goes nowhere:
        // only serve can sign them into the real file.
        for address in ["192.0.2.1", "192.0.2.2"] {
            let result = try CLI.run([
                "attribute", "--store", store.path, "--checkpoints", "/dev/null", "--purpose", "infected-host-notification", "--ip", address,
                "--at", "2026-01-01T00:00:00Z",
            ])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let deadline = Date().addingTimeInterval(20)
        var newest = 0
        while Date() < deadline {
            newest = try checkpointLines(store).compactMap { $0["size"] as? Int }.max() ?? 0
            if newest == count + 2 { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(newest == count + 2, "serve did not sign a checkpoint of the new records")
        let (status, object) = try verify(store)
        #expect(status == 0, "\(object)")
    }

    @Test func checkpointsVerifyElsewhereAgainstAPinnedKey() throws {
        let (store, _) = try demoStore()
        let publicKey = try #require(try checkpointLines(store).first?["public_key"] as? String)
        // Another machine: a copy of the store and the shipped checkpoints, no key file.
        let remote = try CLI.temporaryDirectory()
        let copy = remote.appendingPathComponent("copy.sqlite")
        try FileManager.default.copyItem(at: store, to: copy)
        if FileManager.default.fileExists(atPath: store.path + "-wal") {
            try FileManager.default.copyItem(atPath: store.path + "-wal", toPath: copy.path + "-wal")
        }
        let shipped = remote.appendingPathComponent("received.checkpoints")
        try FileManager.default.copyItem(atPath: store.path + ".checkpoints", toPath: shipped.path)
        let pinned = try CLI.run(["audit", "verify", "--store", copy.path, "--checkpoints", shipped.path, "--public-key", publicKey, "--json"])
        #expect(pinned.status == 0, "\(pinned.stdout)\(pinned.stderr)")
        #expect(CLI.object(pinned.lines.last ?? "")["status"] as? String == "intact")
        #expect(!FileManager.default.fileExists(atPath: copy.path + ".keys"), "verifying must not make keys")
        let stranger = Data(repeating: 7, count: 32).base64EncodedString()
        let refused = try CLI.run(["audit", "verify", "--store", copy.path, "--checkpoints", shipped.path, "--public-key", stranger, "--json"])
        #expect(refused.status == 3)
        #expect(CLI.object(refused.lines.last ?? "")["status"] as? String == "bad_signature")
    }
}
