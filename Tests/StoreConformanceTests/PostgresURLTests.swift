import Foundation
import MamoriTesting
import StorePostgres
import Testing

/// The PostgreSQL URL and password rules (no server needed).
@Suite("PostgreSQL URL")
struct PostgresURLTests {
    @Test func parsesTheParts() throws {
        let url = try PostgresURL("postgresql://mamori@db.example.net:5433/mamori_prod?sslmode=require")
        #expect(url.user == "mamori")
        #expect(url.host == "db.example.net")
        #expect(url.port == 5433)
        #expect(url.database == "mamori_prod")
        #expect(url.sslMode == .require)
        #expect(url.place == "db.example.net:5433/mamori_prod")
        let defaults = try PostgresURL("postgres://ops@127.0.0.1")
        #expect(defaults.port == 5432)
        #expect(defaults.database == "ops")
        #expect(defaults.sslMode == .disable)
        #expect(try PostgresURL("postgres://ops@db/x").sslMode == .prefer)
        #expect(try PostgresURL("postgres://ops@[::1]:5432/x").place == "[::1]:5432/x")
    }

    @Test func refusesAPasswordInTheURL() throws {
        for text in ["postgres://mamori:s3cret@127.0.0.1/db", "postgres://mamori@127.0.0.1/db?password=s3cret"] {
            #expect(throws: PostgresStoreError.passwordInURL) { try PostgresURL(text) }
            do {
                _ = try PostgresURL(text)
            } catch {
                #expect(!"\(error)".contains("s3cret"))
                #expect("\(error)".contains("PGPASSFILE"))
            }
        }
        #expect(throws: PostgresStoreError.self) { try PostgresURL("mysql://mamori@127.0.0.1/db") }
        #expect(throws: PostgresStoreError.self) { try PostgresURL("postgres://127.0.0.1/db") }
        #expect(throws: PostgresStoreError.self) { try PostgresURL("postgres://u@127.0.0.1/db?sslmode=verify-full") }
    }

    @Test func readsThePasswordFromAPgpassFile() throws {
        let directory = try Loopback.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("pgpass").path
        let text = """
            # comment
            other.example:5432:*:mamori:wrong
            db.example.net:5433:mamori:mamori:pa\\:ss\\\\word
            *:*:*:*:fallback
            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        let url = try PostgresURL("postgres://mamori@db.example.net:5433/mamori")
        #expect(try url.password(environment: ["PGPASSFILE": path]) == "pa:ss\\word")
        #expect(try PostgresURL("postgres://x@elsewhere/db").password(environment: ["PGPASSFILE": path]) == "fallback")
        // passfile= wins over PGPASSFILE.
        let named = try PostgresURL("postgres://mamori@db.example.net:5433/mamori?passfile=\(path)")
        #expect(try named.password(environment: ["PGPASSFILE": "/nonexistent"]) == "pa:ss\\word")
        // ~/.pgpass when nothing is named; absent is no password.
        #expect(try url.password(environment: ["HOME": directory.path]) == nil)
        // A file others can read is refused, and the error holds no password.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: PostgresStoreError.self) { try url.password(environment: ["PGPASSFILE": path]) }
        do {
            _ = try url.password(environment: ["PGPASSFILE": path])
        } catch {
            #expect(!"\(error)".contains("pa:ss"))
        }
    }
}

/// Opening a store that does not answer fails with an error naming the place.
@Suite("PostgreSQL open")
struct PostgresOpenTests {
    @Test func anUnreachableServerIsNamed() async throws {
        let port = try Loopback.freePort()
        let directory = try Loopback.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            let store = try await PostgresStore.open(
                url: "postgres://mamori@127.0.0.1:\(port)/nowhere", keyFile: directory.appendingPathComponent("keys").path,
                connectTimeout: .seconds(2))
            await store.close()
            Issue.record("opened a store on a closed port")
        } catch {
            #expect("\(error)".contains("127.0.0.1:\(port)/nowhere"))
            #expect("\(error)".contains("cannot connect"))
        }
    }
}
