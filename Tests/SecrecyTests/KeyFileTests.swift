import Foundation
import Secrecy
import Testing

@Suite struct KeyFileTests {
    func temporaryPath() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-keys-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("store.sqlite.keys").path
    }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func keysAreMadeOnceAndKeptWithMode0600() throws {
        let path = temporaryPath()
        let keys = try KeyFile(path: path)
        #expect(!keys.exists)
        let first = try keys.secret(named: KeyName.pseudonym)
        #expect(first.id == "pseudonym-key/1")
        #expect(first.secret.count == 32)
        #expect(try mode(path) == 0o600)
        #expect(try keys.secret(named: KeyName.pseudonym) == first)
        #expect(try KeyFile(path: path).secret(named: KeyName.pseudonym) == first)
        #expect(!"\(first)".contains(Data(first.secret).base64EncodedString()))
        // No temporary file is left beside it.
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.contains(".tmp-") }.isEmpty)
    }

    @Test(arguments: [0o640, 0o604, 0o644, 0o660, 0o606])
    func keyFileOthersCanReadOrWriteIsRefused(mode: Int) throws {
        let path = temporaryPath()
        _ = try KeyFile(path: path).secret(named: "k")
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        #expect(throws: KeyFileError.tooOpen(path: path, mode: UInt16(mode))) { try KeyFile(path: path) }
        let text = "\(KeyFileError.tooOpen(path: path, mode: UInt16(mode)))"
        #expect(text.contains(path) && text.contains("0" + String(mode, radix: 8)))
    }

    @Test func rotationKeepsOldGenerations() throws {
        let keys = try KeyFile(path: temporaryPath())
        let first = try keys.secret(named: KeyName.pseudonym)
        let second = try keys.rotate(KeyName.pseudonym)
        #expect(second.id == "pseudonym-key/2")
        #expect(second.secret != first.secret)
        let reread = try KeyFile(path: keys.path).ring
        #expect(reread.current(KeyName.pseudonym) == second)
        #expect(reread.key(id: "pseudonym-key/1") == first)
        #expect(reread.generations(of: KeyName.pseudonym).count == 2)
    }

    @Test func adoptingMovesNewNamesAndRefusesADifferentKey() throws {
        let keys = try KeyFile(path: temporaryPath())
        let existing = try keys.secret(named: "index-key")
        let moved = [(name: "index-key", secret: existing.secret), (name: "pseudonym-key", secret: [UInt8](repeating: 3, count: 32))]
        #expect(try keys.adopt(moved) == 1)
        #expect(try keys.secret(named: "pseudonym-key").secret == [UInt8](repeating: 3, count: 32))
        #expect(throws: KeyFileError.conflict(path: keys.path, name: "index-key")) {
            try keys.adopt([(name: "index-key", secret: [UInt8](repeating: 4, count: 32))])
        }
    }

    @Test func twoHandlesCreatingKeysLoseNone() throws {
        let path = temporaryPath()
        let a = try KeyFile(path: path)
        let b = try KeyFile(path: path)
        let fromA = try a.secret(named: "a-key")
        let fromB = try b.secret(named: "b-key")
        // b re-read the file under the lock before writing: a's key survived.
        let ring = try KeyFile(path: path).ring
        #expect(ring.current("a-key") == fromA)
        #expect(ring.current("b-key") == fromB)
        // And b, asked for a's key, gives the one a made.
        #expect(try b.secret(named: "a-key") == fromA)
    }

    @Test func malformedFileIsNamed() throws {
        let path = temporaryPath()
        _ = FileManager.default.createFile(atPath: path, contents: Data("{}".utf8), attributes: [.posixPermissions: 0o600])
        #expect(throws: KeyFileError.self) { try KeyFile(path: path) }
    }
}
