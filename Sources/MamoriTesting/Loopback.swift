import Foundation

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

    /// Starts one; `delayDataSeconds` makes it wait before answering DATA (to kill a sender midway).
    public init(delayDataSeconds: Int? = nil) throws {
        let path = "/usr/sbin/smtp-sink"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw MissingPeer("\(path) not found: install the Debian package postfix (it ships smtp-sink)")
        }
        port = try Loopback.freePort()
        directory = try Loopback.temporaryDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory.path)
        var arguments: [String] = []
        if let delayDataSeconds { arguments += ["-w", "\(delayDataSeconds)"] }
        if getuid() == 0 { arguments += ["-u", "nobody"] }
        arguments += ["-d", directory.appendingPathComponent("msg.").path, "127.0.0.1:\(port)", "16"]
        process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try Loopback.waitUntilListening(port: port)
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
