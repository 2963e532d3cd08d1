import Foundation
import MamoriTesting
import Runtime
import TextScanning

/// A throwaway PostgreSQL cluster on loopback for side-by-side benchmarks.
///
/// `initdb` into a temporary directory, start on a free 127.0.0.1 port (Unix socket in the same
/// directory), run SQL through `psql`, stop and delete on `stop()`. When running as root the
/// server runs as the `postgres` user (PostgreSQL refuses root).
final class PostgresPeer {
    let directory: URL
    let port: Int
    let binDirectory: String
    private let asUser: [String]

    init() throws {
        let candidates = ["/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"]
        guard let bin = candidates.first(where: { FileManager.default.fileExists(atPath: $0 + "/initdb") }) else {
            throw BenchError.peerMissing("PostgreSQL server binaries (Debian package postgresql-15)")
        }
        binDirectory = bin
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        asUser = getuid() == 0 ? ["runuser", "-u", "postgres", "--"] : []
        do {
            if getuid() == 0 {
                try Subprocess.run(["chown", "postgres:postgres", directory.path])
            }
            port = try PostgresPeer.freePort()
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        let data = directory.appendingPathComponent("data").path
        do {
            try Subprocess.run(asUser + ["\(bin)/initdb", "-D", data, "-A", "trust", "-U", "mamori", "--no-sync", "-E", "UTF8"])
            let options =
                "-p \(port) -k \(directory.path) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                + "-c full_page_writes=off -c shared_buffers=1GB -c maintenance_work_mem=1GB -c max_wal_size=8GB -c work_mem=64MB"
            PostgresPeer.running.add(self)
            try Subprocess.run(asUser + ["\(bin)/pg_ctl", "-D", data, "-o", options, "-l", directory.path + "/server.log", "-w", "start"])
        } catch {
            stop()
            throw error
        }
    }

    /// The settings the cluster runs with (for the report).
    static let settings =
        "fsync=off, synchronous_commit=off, full_page_writes=off, shared_buffers=1GB, maintenance_work_mem=1GB, "
        + "max_wal_size=8GB, work_mem=64MB; listen 127.0.0.1 only, trust authentication"

    /// Runs SQL (from a string, through stdin) and returns psql's stdout.
    @discardableResult
    func psql(_ sql: String, extra: [String] = []) throws -> String {
        try Subprocess.run(
            ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U", "mamori", "-d", "postgres"]
                + extra, stdin: sql
        ).stdout
    }

    /// Runs a SQL file through psql (`extra` arguments such as `-o /dev/null` are added).
    @discardableResult
    func psql(file: URL, extra: [String] = []) throws -> String {
        try Subprocess.run(
            [
                "psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U", "mamori", "-d", "postgres",
                "-f", file.path,
            ] + extra
        ).stdout
    }

    /// A path in the cluster's directory that the server can read (for COPY FROM).
    func sharedFile(_ name: String) -> URL { directory.appendingPathComponent(name) }

    func stop() {
        PostgresPeer.running.remove(self)
        _ = try? Subprocess.run(
            asUser + ["\(binDirectory)/pg_ctl", "-D", directory.appendingPathComponent("data").path, "-m", "immediate", "-w", "stop"],
            check: false)
        // The server's last processes may still be writing as they exit: retry briefly.
        for attempt in 0..<20 {
            try? FileManager.default.removeItem(at: directory)
            guard FileManager.default.fileExists(atPath: directory.path) else { break }
            usleep(UInt32(50_000 * (attempt + 1)))
        }
    }

    /// Clusters started and not yet stopped (stopped by ``stopAllOnSignals()`` on SIGINT/SIGTERM).
    private static let running = Registry()

    private final class Registry: @unchecked Sendable {
        private let lock = NSLock()
        private var peers: [ObjectIdentifier: PostgresPeer] = [:]
        func add(_ p: PostgresPeer) { lock.withLock { peers[ObjectIdentifier(p)] = p } }
        func remove(_ p: PostgresPeer) { lock.withLock { _ = peers.removeValue(forKey: ObjectIdentifier(p)) } }
        func all() -> [PostgresPeer] { lock.withLock { Array(peers.values) } }
    }

    nonisolated(unsafe) private static var signalSources: [any DispatchSourceSignal] = []

    /// On SIGINT or SIGTERM, stops every running cluster (and deletes its directory), then exits 130.
    static func stopAllOnSignals() {
        guard signalSources.isEmpty else { return }
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                for peer in running.all() { peer.stop() }
                exit(130)
            }
            source.resume()
            signalSources.append(source)
        }
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError.peerMissing("a free loopback port") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else { throw BenchError.peerMissing("a free loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

enum BenchError: Error, CustomStringConvertible {
    case peerMissing(String)
    var description: String {
        switch self {
        case .peerMissing(let what): "benchmark peer not available: \(what)"
        }
    }
}
