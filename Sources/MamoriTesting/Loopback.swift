public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A real peer a test needs is not installed; the message names the Debian package.
public struct MissingPeer: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Loopback ports for tests: only 127.0.0.1, never another address.
public enum Loopback {
    /// A free TCP port on 127.0.0.1.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { throw MissingPeer("no free loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Waits until something accepts connections on 127.0.0.1:`port`.
    public static func waitUntilListening(port: Int, timeout: TimeInterval = 10) throws {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            close(fd)
            if connected { return }
            if Date() >= deadline { break }
            usleep(50_000)
        } while true
        throw MissingPeer("nothing listens on 127.0.0.1:\(port)")
    }

    /// Waits until `process` itself listens on 127.0.0.1:`port`, and says whether it does: `false`
    /// when it exited first (another process took the port between ``freePort()`` and its bind; a
    /// plain connect would then reach that other process). Linux: the listening socket's inode in
    /// `/proc/net/tcp` among the process's descriptors; elsewhere a connect.
    public static func waitUntilListening(port: Int, process: Process, timeout: TimeInterval = 180) throws -> Bool {
        #if os(Linux)
            let deadline = Date().addingTimeInterval(timeout)
            let portHex = String(format: ":%04X", port)
            repeat {
                guard process.isRunning else { return false }
                let table = (try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8)) ?? ""
                let inodes = table.split(separator: "\n").dropFirst().compactMap { line -> String? in
                    let fields = line.split(separator: " ")
                    // local_address, rem_address, st (0A = LISTEN), …, inode at index 9
                    guard fields.count > 9, fields[1].hasSuffix(portHex), fields[3] == "0A" else { return nil }
                    return "socket:[\(fields[9])]"
                }
                if !inodes.isEmpty {
                    let fdDirectory = "/proc/\(process.processIdentifier)/fd"
                    let links = ((try? FileManager.default.contentsOfDirectory(atPath: fdDirectory)) ?? []).compactMap {
                        try? FileManager.default.destinationOfSymbolicLink(atPath: fdDirectory + "/" + $0)
                    }
                    if links.contains(where: inodes.contains) { return true }
                }
                usleep(20_000)
            } while Date() < deadline
            throw MissingPeer("process \(process.processIdentifier) does not listen on 127.0.0.1:\(port) after \(Int(timeout)) s")
        #else
            try waitUntilListening(port: port, timeout: timeout)
            return process.isRunning
        #endif
    }

    /// A fresh temporary directory.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Postfix's `smtp-sink` on a free loopback port, dumping each transaction to a file: the real
/// SMTP server that receives notices in the tests.
public final class SMTPSink: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    let process: Process

    /// Starts `smtp-sink [extra] -d DIR/msg. 127.0.0.1:PORT 16` (`-u nobody` when run as root);
    /// `delayDataSeconds` makes it wait before answering DATA (to kill a sender midway), and
    /// `extraArguments` are smtp-sink's own options (e.g. `["-r", "RCPT"]` to reject at RCPT).
    public init(delayDataSeconds: Int? = nil, extraArguments: [String] = []) throws {
        let path = "/usr/sbin/smtp-sink"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw MissingPeer("\(path) not found: install the Debian package postfix (it ships smtp-sink)")
        }
        directory = try Loopback.temporaryDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory.path)
        // A port is free when chosen, and another process may bind it before smtp-sink does: then
        // smtp-sink exits, and the next port is tried.
        for _ in 1...8 {
            let port = try Loopback.freePort()
            var arguments = extraArguments
            if let delayDataSeconds { arguments += ["-w", "\(delayDataSeconds)"] }
            if getuid() == 0 { arguments += ["-u", "nobody"] }
            arguments += ["-d", directory.appendingPathComponent("msg.").path, "127.0.0.1:\(port)", "16"]
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            if try Loopback.waitUntilListening(port: port, process: process) {
                self.port = port
                self.process = process
                return
            }
            process.waitUntilExit()
        }
        throw MissingPeer("smtp-sink could not bind a free loopback port in 8 attempts")
    }

    /// Every transaction dumped so far (complete or not), as text.
    public func dumps() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted().map {
            String(decoding: try Data(contentsOf: directory.appendingPathComponent($0)), as: UTF8.self)
        }
    }

    /// Waits (at most `timeout`) until `count` transactions were dumped, and returns them.
    public func waitForDumps(count: Int, timeout: Duration = .seconds(120)) async throws -> [String] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let found = try dumps()
            if found.count >= count || clock.now >= deadline { return found }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The complete messages received (dumps that hold a Message-ID header), as text.
    public func messages() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted().compactMap {
            let text = String(decoding: try Data(contentsOf: directory.appendingPathComponent($0)), as: UTF8.self)
            return text.contains("Message-ID:") ? text : nil
        }
    }

    /// The Message-ID of each message received.
    public func messageIDs() throws -> [String] {
        try messages().compactMap { text in
            text.split(separator: "\n").first { $0.hasPrefix("Message-ID:") }.map { $0.dropFirst(11).trimmingCharacters(in: .whitespacesAndNewlines) }
        }
    }

    /// Stops it (SIGKILL: a child started from a Swift concurrency thread inherits a mask that blocks SIGTERM).
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
