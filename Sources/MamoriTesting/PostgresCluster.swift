public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A throwaway PostgreSQL cluster on loopback, for tests and benchmarks.
///
/// `initdb` into a temporary directory (trust authentication, superuser `mamori`), start on a
/// free 127.0.0.1 port with the Unix socket in the same directory, run SQL through `psql`,
/// stop and delete on ``stop()``. Run as root, the server runs as the `postgres` user
/// (PostgreSQL refuses root). Binaries come from `/usr/lib/postgresql/{15,16,17}/bin`.
///
/// ```swift
/// let cluster = try PostgresCluster()
/// defer { cluster.stop() }
/// try cluster.createDatabase("t1")
/// let url = cluster.url(database: "t1")   // postgres://mamori@127.0.0.1:PORT/t1
/// ```
public final class PostgresCluster: @unchecked Sendable {
    /// The cluster's directory (data in `data/`, the socket, `server.log`).
    public let directory: URL
    /// The loopback port the server listens on.
    public let port: Int
    /// Where `initdb`, `pg_ctl` and `psql` are.
    public let binDirectory: String
    private let asUser: [String]
    private let lock = NSLock()
    private var stopped = false
    private var databases = 0

    /// The settings a cluster made for tests runs with: durable defaults except `fsync=off`, and
    /// room for the connections of tests running side by side (each store a pool).
    public static let testSettings = ["fsync=off", "max_connections=400"]

    /// Settings for side-by-side benchmarks (the bench's peer): no durability, large memory.
    public static let benchmarkSettings = [
        "fsync=off", "synchronous_commit=off", "full_page_writes=off", "shared_buffers=1GB", "maintenance_work_mem=1GB",
        "max_wal_size=8GB", "work_mem=64MB",
    ]

    /// Makes and starts a cluster with `settings` (each `name=value`, passed as `-c`).
    ///
    /// - Throws: ``MissingPeer`` when the PostgreSQL server binaries are not installed (Debian:
    ///   `apt-get install postgresql-15`), or naming the step that failed and the server log.
    public init(settings: [String] = PostgresCluster.testSettings) throws {
        let candidates = ["/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"]
        guard let bin = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }) else {
            throw MissingPeer("PostgreSQL server binaries not found in /usr/lib/postgresql/{15,16,17}/bin: install postgresql-15")
        }
        binDirectory = bin
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        asUser = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []
        do {
            if getuid() == 0 { try Self.run(["/usr/bin/chown", "postgres:postgres", directory.path]) }
            port = try Loopback.freePort()
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        let data = directory.appendingPathComponent("data").path
        do {
            try Self.run(asUser + ["\(bin)/initdb", "-D", data, "-A", "trust", "-U", "mamori", "--no-sync", "-E", "UTF8", "--locale=C"])
            let options =
                (["-p \(port)", "-k \(directory.path)", "-c listen_addresses=127.0.0.1"] + settings.map { "-c \($0)" }).joined(separator: " ")
            Self.running.add(self)
            try Self.run(
                asUser + ["\(bin)/pg_ctl", "-D", data, "-o", options, "-l", directory.appendingPathComponent("server.log").path, "-w", "start"])
        } catch {
            let log = (try? String(contentsOf: directory.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
            stop()
            throw MissingPeer("PostgreSQL cluster did not start: \(error)\(log.isEmpty ? "" : "\nserver.log:\n" + log)")
        }
    }

    /// `postgres://mamori@127.0.0.1:PORT/postgres`.
    public var url: String { url(database: "postgres") }

    /// `postgres://mamori@127.0.0.1:PORT/<database>`.
    public func url(database: String) -> String { "postgres://mamori@127.0.0.1:\(port)/\(database)" }

    /// Runs SQL (through stdin) on `database` and returns psql's output (unaligned, tuples only).
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres", extra: [String] = []) throws -> String {
        try Self.run(psqlArguments(database: database) + extra, stdin: sql)
    }

    /// Runs a SQL file through psql on `database`.
    @discardableResult
    public func psql(file: URL, database: String = "postgres", extra: [String] = []) throws -> String {
        try Self.run(psqlArguments(database: database) + ["-f", file.path] + extra)
    }

    private func psqlArguments(database: String) -> [String] {
        ["\(binDirectory)/psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U", "mamori", "-d", database]
    }

    /// Creates an empty database `name` (a plain identifier).
    public func createDatabase(_ name: String) throws {
        precondition(name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }, "a plain identifier")
        try psql("CREATE DATABASE \(name)")
    }

    /// A path in the cluster's directory that the server can read (for `COPY FROM`).
    public func sharedFile(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// Stops the server (immediate shutdown) and deletes the directory; a second call does nothing.
    public func stop() {
        let first = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        Self.running.remove(self)
        _ = try? Self.run(
            asUser + ["\(binDirectory)/pg_ctl", "-D", directory.appendingPathComponent("data").path, "-m", "immediate", "-w", "stop"],
            check: false)
        // The server's last processes may still be writing as they exit: retry briefly.
        for attempt in 0..<20 {
            try? FileManager.default.removeItem(at: directory)
            guard FileManager.default.fileExists(atPath: directory.path) else { break }
            usleep(UInt32(50_000 * (attempt + 1)))
        }
    }

    /// The cluster of this test process: started at first use, stopped when the process exits.
    /// Tests share it and each makes its own database (``newDatabase(_:)``).
    public static func shared() throws -> PostgresCluster { try sharedCluster.get() }

    private static let sharedCluster: Result<PostgresCluster, any Error> = {
        do {
            let cluster = try PostgresCluster()
            atexit { PostgresCluster.stopAll() }
            return .success(cluster)
        } catch {
            return .failure(error)
        }
    }()

    /// A new, empty database named `prefix` and a number unique in this process; its URL.
    public func newDatabase(_ prefix: String) throws -> (name: String, url: String) {
        let n = lock.withLock {
            databases += 1
            return databases
        }
        let name = "\(prefix)_\(n)"
        try createDatabase(name)
        return (name, url(database: name))
    }

    /// Stops every cluster of this process still running (for an `atexit` handler or a signal).
    public static func stopAll() {
        for cluster in running.all() { cluster.stop() }
    }

    private static let running = Registry()

    private final class Registry: @unchecked Sendable {
        private let lock = NSLock()
        private var clusters: [ObjectIdentifier: PostgresCluster] = [:]
        func add(_ c: PostgresCluster) { lock.withLock { clusters[ObjectIdentifier(c)] = c } }
        func remove(_ c: PostgresCluster) { lock.withLock { _ = clusters.removeValue(forKey: ObjectIdentifier(c)) } }
        func all() -> [PostgresCluster] { lock.withLock { Array(clusters.values) } }
    }

    /// Runs `arguments` (an absolute executable path first), feeding `stdin`; returns stdout.
    /// With `check`, a non-zero exit throws with stderr.
    ///
    /// `posix_spawn` and a blocking `waitpid`, output through files: `pg_ctl start` leaves a
    /// server running that `Foundation.Process` can wait on forever.
    @discardableResult
    static func run(_ arguments: [String], stdin: String? = nil, check: Bool = true) throws -> String {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let input = scratch.appendingPathComponent("in")
        let output = scratch.appendingPathComponent("out")
        let errors = scratch.appendingPathComponent("err")
        try Data((stdin ?? "").utf8).write(to: input)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input.path, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errors.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let env = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { env.forEach { free($0) } }
        let name = URL(fileURLWithPath: arguments[arguments.firstIndex(of: "--").map { $0 + 1 } ?? 0]).lastPathComponent
        var child: pid_t = 0
        let rc = posix_spawn(&child, arguments[0], &actions, &attributes, argv, env)
        guard rc == 0 else { throw MissingPeer("cannot start \(name): posix_spawn error \(rc)") }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        let exited = (status & 0x7F) == 0
        let code = (status >> 8) & 0xFF
        let out = (try? Data(contentsOf: output)) ?? Data()
        if check && !(exited && code == 0) {
            let err = (try? Data(contentsOf: errors)) ?? Data()
            throw MissingPeer("\(name) failed (status \(status)): \(String(decoding: err, as: UTF8.self))")
        }
        return String(decoding: out, as: UTF8.self)
    }
}
