import Addressing
import Foundation
import Logging
import MailGuard
import MamoriTesting
import NetTesting
import Secrecy
import StoreSQLite
import Testing

@testable import Runtime

/// `sasl_access` and `sasl_exceptions` as Postfix tables, built by the real `postmap` and read
/// back with `postmap -q` (what Postfix's daemons would find).
@Suite struct PostfixTableWriterTests {
    static let postmap = "/usr/sbin/postmap"
    static var postmapPresent: Bool { FileManager.default.isExecutableFile(atPath: postmap) }

    /// A guard with `192.0.2.66` blocked and `victim@mamori.test` suspended; a writer of
    /// `type` into a new directory, with a Postfix configuration directory of its own.
    static func fixture(type: PostfixTableType, postmap: String = postmap) throws -> (MailGuard, PostfixTableWriter, URL) {
        let directory = try Loopback.temporaryDirectory()
        let config = directory.appendingPathComponent("conf")
        try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
        try "compatibility_level = 3.6\n".write(to: config.appendingPathComponent("main.cf"), atomically: true, encoding: .utf8)
        var configuration = MailGuardConfiguration()
        configuration.failuresToBlock = 2
        let guardian = MailGuard(
            configuration: configuration, audit: InMemoryAuditLog(), pseudonymizer: try Pseudonymizer(key: Array(repeating: 3, count: 32)))
        let now = Date()
        guardian.raise(.authFailure, by: .cli, at: now)
        for i in 0..<2 { guardian.observe(AuthFailure(sourceIP: IPAddress("192.0.2.66")!, time: now.addingTimeInterval(Double(i)))) }
        guardian.suspend(authID: "victim@mamori.test", at: now)
        let writer = PostfixTableWriter(
            guardian: guardian, directory: directory.appendingPathComponent("tables"), type: type, postmap: postmap,
            configDirectory: config.path, tick: .milliseconds(50), logger: Logger(label: "test.postfix-tables"))
        try FileManager.default.createDirectory(at: writer.directory, withIntermediateDirectories: true)
        return (guardian, writer, config)
    }

    static func query(_ key: String, _ table: String, _ writer: PostfixTableWriter, config: URL) async throws -> String? {
        let result = try await ChildProcess.run(
            postmap, ["-c", config.path, "-q", key, "\(writer.type.rawValue):\(writer.directory.appendingPathComponent(table).path)"],
            check: false)
        return result.status == 0 ? result.output.trimmingCharacters(in: .newlines) : nil
    }

    @Test(.enabled(if: postmapPresent, "needs Postfix's postmap"), arguments: PostfixTableType.allCases)
    func tablesAreBuiltAndFollowTheGuard(_ type: PostfixTableType) async throws {
        let (guardian, writer, config) = try Self.fixture(type: type)
        var written: [String: String] = [:]
        await writer.rebuildChanged(&written)
        #expect(try await Self.query("192.0.2.66", "sasl_exceptions", writer, config: config) == "blocked")
        #expect(try await Self.query("192.0.2.67", "sasl_exceptions", writer, config: config) == nil)
        #expect(
            try await Self.query("victim@mamori.test", "sasl_access", writer, config: config)
                == "REJECT 5.7.1 SMTP AUTH suspended for this ID: change your password")
        #expect(try await Self.query("alice@mamori.test", "sasl_access", writer, config: config) == nil)
        // Only whole tables, readable by their owner and group only; no temporary file left.
        let names = try FileManager.default.contentsOfDirectory(atPath: writer.directory.path).sorted()
        #expect(names == ["sasl_access", "sasl_access.db", "sasl_exceptions", "sasl_exceptions.db"])
        for name in names {
            let mode = try FileManager.default.attributesOfItem(atPath: writer.directory.appendingPathComponent(name).path)[.posixPermissions]
            #expect((mode as? NSNumber)?.intValue == 0o640, "\(name)")
        }
        // A lift rebuilds that table only.
        let before = try FileManager.default.attributesOfItem(atPath: writer.directory.appendingPathComponent("sasl_access.db").path)
        guardian.lift(address: IPAddress("192.0.2.66")!)
        await writer.rebuildChanged(&written)
        #expect(try await Self.query("192.0.2.66", "sasl_exceptions", writer, config: config) == nil)
        let after = try FileManager.default.attributesOfItem(atPath: writer.directory.appendingPathComponent("sasl_access.db").path)
        #expect(before[.systemFileNumber] as? NSNumber == after[.systemFileNumber] as? NSNumber)
    }

    /// `postmap` failing (here: missing) leaves the tables that were there, and the next tick
    /// tries again.
    @Test(.enabled(if: postmapPresent, "needs Postfix's postmap"))
    func aFailedRebuildKeepsTheLastTablesAndIsRetried() async throws {
        let (guardian, writer, config) = try Self.fixture(type: .hash)
        var written: [String: String] = [:]
        await writer.rebuildChanged(&written)
        guardian.lift(address: IPAddress("192.0.2.66")!)
        let broken = PostfixTableWriter(
            guardian: guardian, directory: writer.directory, type: .hash, postmap: "/nonexistent/postmap", configDirectory: config.path,
            tick: writer.tick, logger: writer.logger)
        await broken.rebuildChanged(&written)
        #expect(written["sasl_exceptions"] == nil)
        #expect(try await Self.query("192.0.2.66", "sasl_exceptions", writer, config: config) == "blocked")
        await writer.rebuildChanged(&written)
        #expect(try await Self.query("192.0.2.66", "sasl_exceptions", writer, config: config) == nil)
    }
}

extension PostfixTableWriterTests {
    /// A login no table line can hold is left out, and said once per change, not every tick.
    @Test(.enabled(if: postmapPresent, "needs Postfix's postmap"))
    func anUnrepresentableLoginIsLeftOutAndSaidOnce() async throws {
        let (guardian, writer, config) = try Self.fixture(type: .hash)
        let logs = CapturedLogs()
        let logged = PostfixTableWriter(
            guardian: guardian, directory: writer.directory, type: .hash, postmap: writer.postmap, configDirectory: config.path,
            tick: writer.tick, logger: logs.logger())
        guardian.suspend(authID: "two words@mamori.test")
        var written: [String: String] = [:]
        for _ in 0..<3 { await logged.rebuildChanged(&written) }
        #expect(try await Self.query("victim@mamori.test", "sasl_access", writer, config: config) != nil)
        #expect(try await Self.query("two", "sasl_access", writer, config: config) == nil)
        let warnings = logs.all.filter { $0.message.contains("left out of sasl_access") }
        #expect(warnings.count == 1 && warnings.first?.metadata["count"] == "1")
        #expect(!logs.text.contains("two words"))
    }
}

/// `serve` with the socketmap and no local tables says, once at start, that Postfix will not
/// fail open; with the tables it does not.
@Suite struct SocketmapWarningTests {
    @Test func theSocketmapAloneIsWarnedAbout() throws {
        for tables in [nil, "tables"] as [String?] {
            let directory = try Loopback.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let store = try MamoriStore(path: directory.appendingPathComponent("s.sqlite").path)
            let runtime = MamoriRuntime(store: store, configuration: MamoriConfiguration(declarations: try .bundled()))
            var settings = MailGuardSettings()
            settings.socketmapListen = ("127.0.0.1", 0)
            settings.postfixTableDirectory = tables.map { directory.appendingPathComponent($0).path }
            let logs = CapturedLogs()
            _ = try runtime.mailGuardServices(settings, logger: logs.logger())
            let warned = logs.all.contains { $0.level == .warning && $0.message.contains("the socketmap is not fail-open") }
            #expect(warned == (tables == nil))
        }
    }
}
