import Attribution
import Foundation
import MamoriTesting
import Remediation
import Secrecy
import Storage
import StorePostgres
import StoreSQLite
import Synchronization

/// A store as the domain sees it: every protocol the conformance suite checks.
typealias ConformingStore = any AssignmentRecordStore & AuditLog & RemediationStore & RemediationPageStore

/// One store backend under test.
///
/// To add a backend, add a case, list it in ``all``, and give it a ``makeHarness()`` and an
/// ``openConcurrently(_:)``.
enum Backend: String, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    /// The backends every conformance test runs on.
    static let all: [Backend] = [.sqlite, .postgres]

    var description: String { rawValue }

    /// A fresh, empty store, with the hooks the suite needs.
    func makeHarness() async throws -> Harness {
        switch self {
        case .sqlite: try await SQLiteBackend.makeHarness()
        case .postgres: try await PostgresBackend.makeHarness()
        }
    }

    /// Opens `count` stores at once on one new, empty database (the first open migrates it)
    /// and says, for each, whether its readiness check reports the schema current.
    func openConcurrently(_ count: Int) async throws -> [Bool] {
        switch self {
        case .sqlite: try await SQLiteBackend.openConcurrently(count)
        case .postgres: try await PostgresBackend.openConcurrently(count)
        }
    }
}

/// A store under test, and what the suite needs beyond the protocols.
struct Harness: Sendable {
    /// The store.
    let store: ConformingStore
    /// Another store on the same data, with its own connections (as another process has).
    let another: @Sendable () async throws -> ConformingStore
    /// Changes the subject of an audit record behind the store's back (bypassing its guards),
    /// as a tamperer with database access would.
    let forgeAuditSubject: @Sendable (_ sequence: Int64, _ subject: String) throws -> Void
    /// Tries a plain UPDATE of an audit record (the store must refuse it: it throws).
    let plainAuditUpdate: @Sendable (_ sequence: Int64) throws -> Void
    /// Closes every store this harness opened.
    let close: @Sendable () async -> Void
}

/// Runs `body` on a fresh store of `backend`, closing it afterwards (also when `body` throws).
func withHarness(_ backend: Backend, _ body: (Harness) async throws -> Void) async throws {
    let harness = try await backend.makeHarness()
    do {
        try await body(harness)
    } catch {
        await harness.close()
        throw error
    }
    await harness.close()
}

/// SQLite: a new store file per test, edited behind the store's back with the real sqlite3 shell.
enum SQLiteBackend {
    static func makeHarness() async throws -> Harness {
        let directory = try Loopback.temporaryDirectory()
        let path = directory.appendingPathComponent("store.sqlite").path
        let store = try MamoriStore(path: path)
        return Harness(
            store: StorageFacade(storage: store),
            another: { StorageFacade(storage: try MamoriStore(path: path)) },
            forgeAuditSubject: { sequence, subject in
                try sqlite3(
                    path,
                    """
                    DROP TRIGGER audit_no_update;
                    UPDATE audit SET subject = '\(subject.replacingOccurrences(of: "'", with: "''"))' WHERE seq = \(sequence);
                    """)
            },
            plainAuditUpdate: { sequence in try sqlite3(path, "UPDATE audit SET subject = 'x' WHERE seq = \(sequence);") },
            close: { try? FileManager.default.removeItem(at: directory) })
    }

    static func openConcurrently(_ count: Int) async throws -> [Bool] {
        let directory = try Loopback.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("store.sqlite").path
        return try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<count {
                group.addTask { await (try MamoriStore(path: path)).readiness().isReady }
            }
            var out: [Bool] = []
            for try await ready in group { out.append(ready) }
            return out
        }
    }

    /// Runs SQL through the real `sqlite3` shell; throws when it fails.
    static func sqlite3(_ path: String, _ sql: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = ["-bail", path]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data(sql.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw SQLiteShellError(status: process.terminationStatus) }
    }

    struct SQLiteShellError: Error {
        let status: Int32
    }
}

/// PostgreSQL: one throwaway cluster per test process (made at first use, stopped at exit), a
/// new database per test.
enum PostgresBackend {
    static func cluster() throws -> PostgresCluster { try PostgresCluster.shared() }

    /// How long an open may wait: a hang guard only. In a full test run, blocking tests can hold
    /// every cooperative thread for tens of seconds, and the open's continuations wait for one.
    static let hangGuard: Duration = .seconds(600)

    /// A new empty database on the shared cluster, and its URL.
    static func newDatabase() throws -> (name: String, url: String) {
        try cluster().newDatabase("conformance")
    }

    static func makeHarness() async throws -> Harness {
        let cluster = try cluster()
        let (name, url) = try newDatabase()
        let keyFile = try Loopback.temporaryDirectory().appendingPathComponent("keys").path
        let opened = Mutex<[PostgresStore]>([])
        let store = try await PostgresStore.open(url: url, keyFile: keyFile, connectTimeout: PostgresBackend.hangGuard)
        opened.withLock { $0.append(store) }
        return Harness(
            store: store,
            another: {
                let other = try await PostgresStore.open(url: url, keyFile: keyFile, connectTimeout: PostgresBackend.hangGuard)
                opened.withLock { $0.append(other) }
                return other
            },
            forgeAuditSubject: { sequence, subject in
                try cluster.psql(
                    """
                    ALTER TABLE audit DISABLE TRIGGER ALL;
                    UPDATE audit SET subject = '\(subject.replacingOccurrences(of: "'", with: "''"))' WHERE seq = \(sequence);
                    ALTER TABLE audit ENABLE TRIGGER ALL;
                    """, database: name)
            },
            plainAuditUpdate: { sequence in
                try cluster.psql("UPDATE audit SET subject = 'x' WHERE seq = \(sequence)", database: name)
            },
            close: {
                for store in opened.withLock({ $0 }) { await store.close() }
                try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: keyFile).deletingLastPathComponent().path)
            })
    }

    static func openConcurrently(_ count: Int) async throws -> [Bool] {
        let (_, url) = try newDatabase()
        let directory = try Loopback.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyFile = directory.appendingPathComponent("keys").path
        return try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<count {
                group.addTask {
                    let store = try await PostgresStore.open(url: url, keyFile: keyFile, connectTimeout: PostgresBackend.hangGuard)
                    let ready = await store.readiness()
                    await store.close()
                    return ready.isReady
                }
            }
            var out: [Bool] = []
            for try await ready in group { out.append(ready) }
            return out
        }
    }
}
