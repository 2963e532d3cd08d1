import Foundation
import Logging
import MailGuard
import Metrics
import ServiceLifecycle

/// The lookup-table types `postmap` builds that Debian's base `postfix` package reads.
public enum PostfixTableType: String, Sendable, CaseIterable {
    case hash, btree

    /// The file `postmap` makes beside the source.
    var suffix: String { ".db" }
}

/// Keeps `sasl_access` and `sasl_exceptions` as Postfix lookup tables in a directory, rebuilt
/// with `postmap` when the guard's suspensions or blocks change (checked each tick).
///
/// Postfix reads them locally, so while Mamori is down it goes on with the last tables instead
/// of failing each lookup (a `socketmap:` table makes every EHLO fail with 421 then). Postfix's
/// daemons see a rebuilt table by themselves, with no reload: `smtpd` restarts before its next
/// connection when a table it opened has changed.
///
/// Crash-safe: each table is built under a temporary name, synced, then renamed over the old
/// one, so Postfix only ever opens a whole table. Files are mode 0640 (they hold logins and
/// addresses under enforcement, nothing else); Postfix opens its tables as root.
struct PostfixTableWriter: Service {
    let guardian: MailGuard
    let directory: URL
    let type: PostfixTableType
    /// `postmap`'s path.
    let postmap: String
    /// Postfix's configuration directory (`postmap -c`), or nil for the default.
    let configDirectory: String?
    let tick: Duration
    let logger: Logger

    func run() async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var written: [String: String] = [:]
        // The store sync restores the guard's state in its first tick: write after it, so that a
        // restart does not blank tables that were right.
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: tick) }
        repeat {
            await rebuildChanged(&written)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: tick) }
        } while !Task.isShuttingDownGracefully && !Task.isCancelled
        // The last state stays on disk: enforcement goes on across a restart.
        await rebuildChanged(&written)
    }

    /// Rebuilds each table whose text differs from what was last written; a failure is logged
    /// (naming the table and the command) and retried next tick.
    func rebuildChanged(_ written: inout [String: String]) async {
        let tables = guardian.postfixTables()
        for (name, source) in tables.byName where written[name] != source || !exists(name) {
            // Said when the table changes, not every tick.
            if name == "sasl_access", tables.unrepresentable > 0 {
                logger.warning(
                    "mail guard: suspended logins left out of sasl_access (whitespace, control character or leading #); the policy server and socketmap still refuse them",
                    metadata: ["count": "\(tables.unrepresentable)"])
            }
            do {
                try await rebuild(name, source: source)
                written[name] = source
                Counter(label: "mamori_mail_postfix_table_rebuilds_total", dimensions: [("table", name), ("outcome", "ok")]).increment()
            } catch {
                written[name] = nil
                Counter(label: "mamori_mail_postfix_table_rebuilds_total", dimensions: [("table", name), ("outcome", "failed")]).increment()
                logger.error("mail guard: Postfix table not rebuilt; retried next tick", metadata: ["table": "\(name)", "error": "\(error)"])
            }
        }
    }

    func exists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(name + type.suffix).path)
    }

    /// Writes `source` as table `name`: the source and the built table under temporary names,
    /// synced, then renamed into place.
    func rebuild(_ name: String, source: String) async throws {
        let final = directory.appendingPathComponent(name)
        let next = directory.appendingPathComponent(".\(name).next")
        let built = URL(fileURLWithPath: next.path + type.suffix)
        try? FileManager.default.removeItem(at: built)
        try Self.writeSynced(Data(source.utf8), to: next)
        let config = configDirectory.map { ["-c", $0] } ?? []
        _ = try await ChildProcess.run(postmap, config + ["\(type.rawValue):\(next.path)"])
        try Self.sync(built, mode: 0o640)
        try Self.rename(built, to: URL(fileURLWithPath: final.path + type.suffix))
        try Self.rename(next, to: final)
        try Self.sync(directory)
    }

    static func writeSynced(_ data: Data, to url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw TableFileError(url.path, "open", errno) }
        defer { close(fd) }
        _ = fchmod(fd, 0o640)
        try data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw TableFileError(url.path, "write", errno)
                }
                offset += n
            }
        }
        guard fsync(fd) == 0 else { throw TableFileError(url.path, "fsync", errno) }
    }

    /// fsync of a file or directory, giving it `mode` on the way when one is given.
    static func sync(_ url: URL, mode: mode_t? = nil) throws {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TableFileError(url.path, "open", errno) }
        defer { close(fd) }
        if let mode { _ = fchmod(fd, mode) }
        guard fsync(fd) == 0 else { throw TableFileError(url.path, "fsync", errno) }
    }

    static func rename(_ from: URL, to: URL) throws {
        guard Foundation.rename(from.path, to.path) == 0 else { throw TableFileError(to.path, "rename", errno) }
    }
}

/// A table file that could not be written: the path, the step and the system's reason.
struct TableFileError: Error, CustomStringConvertible {
    let path: String
    let step: String
    let code: Int32

    init(_ path: String, _ step: String, _ code: Int32) {
        self.path = path
        self.step = step
        self.code = code
    }

    var description: String { "\(path): \(step) failed: \(String(cString: strerror(code)))" }
}
