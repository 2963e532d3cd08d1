public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A real Unbound resolver on a free loopback port with a configuration of its own in a temporary
/// directory: no chroot, no daemon, no remote control, run as the current user, answering local
/// zones only (so no test needs the Internet). Stopped by PID in `stop()` (call it in `defer`).
///
/// ```swift
/// let unbound = try Unbound(localData: ["www.example.test. 300 IN A 192.0.2.1"])
/// defer { unbound.stop() }
/// // dig @127.0.0.1 -p \(unbound.port) www.example.test
/// ```
public final class Unbound: @unchecked Sendable {
    public static let path = "/usr/sbin/unbound"
    static let timeout = "/usr/bin/timeout"

    /// Whether Unbound is installed (Debian package `unbound`).
    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: path) }

    public let port: Int
    public let directory: URL
    let child: CleanChild

    /// Starts Unbound serving `localZones` (each `NAME TYPE`, e.g. `example.test. static`) with
    /// `localData` (each one record in zone-file form) on 127.0.0.1, UDP and TCP; `serverOptions`
    /// are more `server:` lines; `ipv6` adds ::1 on the same port. Waits until it accepts connections.
    public init(localZones: [String] = ["example.test. static"], localData: [String], serverOptions: [String] = [], ipv6: Bool = false) throws {
        guard Self.isInstalled else { throw MissingPeer("\(Self.path) not found: install the Debian package unbound") }
        directory = try Loopback.temporaryDirectory()
        // A port free when chosen may be taken before Unbound binds it: then Unbound exits and the
        // next port is tried.
        for _ in 1...8 {
            let port = try Loopback.freePort()
            let configuration = directory.appendingPathComponent("unbound.conf")
            let options = ipv6 ? ["interface: ::1@\(port)", "do-ip6: yes", "access-control: ::1/128 allow"] + serverOptions : serverOptions
            try Self.configuration(port: port, directory: directory, localZones: localZones, localData: localData, serverOptions: options)
                .write(to: configuration, atomically: true, encoding: .utf8)
            // Under coreutils' `timeout`, so that a test process that crashes before `stop()`
            // does not leave Unbound running for more than ten minutes (SIGTERM to `timeout`
            // reaches Unbound too).
            let (executable, arguments) =
                FileManager.default.isExecutableFile(atPath: Self.timeout)
                ? (Self.timeout, ["--kill-after=5", "600", Self.path, "-d", "-c", configuration.path])
                : (Self.path, ["-d", "-c", configuration.path])
            let child = try CleanChild(
                executable: URL(fileURLWithPath: executable), arguments: arguments, output: directory.appendingPathComponent("unbound.log"))
            if Self.waitUntilListening(port: port, child: child) {
                self.port = port
                self.child = child
                return
            }
            child.signal(SIGKILL)
            _ = child.wait(timeout: 5)
        }
        throw MissingPeer("unbound could not bind a free loopback port in 8 attempts (see \(directory.path)/unbound.log)")
    }

    /// The configuration file's text: 127.0.0.1@`port` plus what `serverOptions` add (more
    /// `interface:` and `access-control:` lines, say, for Unbound in a network namespace).
    public static func configuration(port: Int, directory: URL, localZones: [String], localData: [String], serverOptions: [String]) -> String {
        var lines = [
            "server:",
            "    verbosity: 1",
            "    interface: 127.0.0.1@\(port)",
            "    port: \(port)",
            "    do-ip4: yes",
            "    do-udp: yes",
            "    do-tcp: yes",
            "    do-daemonize: no",
            "    chroot: \"\"",
            "    username: \"\"",
            "    directory: \"\(directory.path)\"",
            "    pidfile: \"\"",
            "    logfile: \"\"",
            "    use-syslog: no",
            "    num-threads: 1",
            "    outgoing-range: 32",
            "    num-queries-per-thread: 16",
            "    so-reuseport: no",
            "    do-not-query-localhost: no",
            "    module-config: \"iterator\"",
            "    access-control: 127.0.0.0/8 allow",
        ]
        lines += localZones.map { "    local-zone: \($0)" }
        lines += localData.map { "    local-data: '\($0)'" }
        if !serverOptions.contains(where: { $0.hasPrefix("do-ip6:") }) { lines.append("    do-ip6: no") }
        lines += serverOptions.map { "    \($0)" }
        lines += ["remote-control:", "    control-enable: no", ""]
        return lines.joined(separator: "\n")
    }

    /// Waits until something accepts TCP connections on the port while the child still runs.
    static func waitUntilListening(port: Int, child: CleanChild, timeout: TimeInterval = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var status: Int32 = 0
            if waitpid(child.pid, &status, WNOHANG) == child.pid { return false }
            if (try? Loopback.waitUntilListening(port: port, timeout: 0)) != nil { return true }
            usleep(50_000)
        }
        return false
    }

    /// What Unbound logged so far.
    public func log() -> String {
        (try? String(contentsOf: directory.appendingPathComponent("unbound.log"), encoding: .utf8)) ?? ""
    }

    /// Stops Unbound (SIGTERM, then SIGKILL after 5 seconds) and removes its directory.
    public func stop() {
        child.signal(SIGTERM)
        _ = child.wait(timeout: 5)
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A command-line tool run to completion without blocking a thread of the concurrency pool
/// (the servers under test answer on that pool).
public enum Command {
    /// Runs `path` with `arguments`; its exit status and output (stdout and stderr together).
    /// The tool's own time limits apply (`dig +time=2 +tries=1`): there is no other.
    public static func run(_ path: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        guard FileManager.default.isExecutableFile(atPath: path) else { throw MissingPeer("\(path) not found") }
        let directory = try Loopback.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outputURL = directory.appendingPathComponent("output")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputURL)
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
                return
            }
        }
        let text = String(decoding: (try? Data(contentsOf: outputURL)) ?? Data(), as: UTF8.self)
        return (status, text)
    }
}
