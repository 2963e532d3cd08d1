import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing

/// Real peers on loopback: smtp-sink (Debian `postfix`), a certificate from the openssl CLI,
/// free ports. A missing tool fails the test with the package to install; it never skips.
enum Loopback {
    static let smtpSinkPath = "/usr/sbin/smtp-sink"

    /// A free TCP port on 127.0.0.1 (bound, read, released).
    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try boundPort(channel.localAddress?.port)
        try await channel.close()
        return port
    }

    /// Waits until something accepts connections on the port.
    static func waitUntilListening(port: Int, timeout: Duration = .seconds(120)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            do {
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connect(host: "127.0.0.1", port: port).get()
                try await channel.close()
                return
            } catch {
                guard clock.now < deadline else { throw error }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    static func temporaryDirectory(_ prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// A self-signed certificate made by `openssl req -x509` (Debian package `openssl`), once per
/// test run and kind: ``make()`` names `localhost` and `127.0.0.1`; ``makeLocalhostOnly()`` only
/// `localhost`, so a client connecting to 127.0.0.1 must be told the name.
struct TestCertificate: Sendable {
    let certificatePath: String
    let keyPath: String

    private static let loopback = generate(subjectAltName: "DNS:localhost,IP:127.0.0.1")
    private static let localhostOnly = generate(subjectAltName: "DNS:localhost")

    static func make() throws -> TestCertificate { try loopback.get() }
    static func makeLocalhostOnly() throws -> TestCertificate { try localhostOnly.get() }

    private static func generate(subjectAltName: String) -> Result<TestCertificate, TestToolError> {
        guard let openssl = ["/usr/bin/openssl", "/bin/openssl"].first(where: FileManager.default.isExecutableFile)
        else {
            return .failure(TestToolError("openssl not found: install the Debian package openssl"))
        }
        do {
            let directory = try Loopback.temporaryDirectory("mamori-mailer-cert")
            let certificate = directory.appendingPathComponent("cert.pem").path
            let key = directory.appendingPathComponent("key.pem").path
            let (status, output) = try Loopback.run(
                openssl,
                [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate,
                    "-subj", "/CN=localhost", "-days", "1", "-addext", "subjectAltName=\(subjectAltName)",
                ])
            guard status == 0 else { return .failure(TestToolError("openssl req failed (\(status)): \(output)")) }
            return .success(TestCertificate(certificatePath: certificate, keyPath: key))
        } catch {
            return .failure(TestToolError("cannot run openssl: \(error)"))
        }
    }

    /// A server-side TLS context for ``TestSMTPServer``.
    func serverContext() throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        return try NIOSSLContext(
            configuration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)))
    }
}

struct TestToolError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Postfix's `smtp-sink` on a free loopback port, dumping each message to a file.
/// Stopped by PID (`stop()`, called in `defer`).
final class SMTPSink {
    let port: Int
    let directory: URL
    private let process: Process

    /// Starts `smtp-sink [extra] -d DIR/msg. 127.0.0.1:PORT 16` (`-u nobody` when run as root).
    init(extraArguments: [String] = []) async throws {
        guard FileManager.default.isExecutableFile(atPath: Loopback.smtpSinkPath) else {
            throw TestToolError(
                "\(Loopback.smtpSinkPath) not found: install the Debian package postfix (it ships smtp-sink)")
        }
        port = try await Loopback.freePort()
        directory = try Loopback.temporaryDirectory("mamori-smtp-sink")
        // smtp-sink drops privileges when started as root; the dump directory must be writable then.
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory.path)
        var arguments = extraArguments
        if getuid() == 0 { arguments += ["-u", "nobody"] }
        arguments += ["-d", directory.appendingPathComponent("msg.").path, "127.0.0.1:\(port)", "16"]
        process = Process()
        process.executableURL = URL(fileURLWithPath: Loopback.smtpSinkPath)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        do {
            try await Loopback.waitUntilListening(port: port)
        } catch {
            stop()
            throw TestToolError("smtp-sink did not listen on 127.0.0.1:\(port): \(error)")
        }
    }

    /// Sends SIGKILL to this smtp-sink's PID and waits for it; removes the dump directory.
    /// (Not SIGTERM: a child spawned from a Swift concurrency thread inherits that thread's
    /// blocked-signal mask, SIGTERM included, so smtp-sink would never see it.)
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The dumped messages so far, as text.
    func dumps() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted().map {
            String(decoding: try Data(contentsOf: directory.appendingPathComponent($0)), as: UTF8.self)
        }
    }

    /// Waits (at most `timeout`) until `count` messages were dumped and returns them.
    func waitForDumps(count: Int, timeout: Duration = .seconds(120)) async throws -> [String] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let found = try dumps()
            // smtp-sink writes a dump while the transaction runs; a complete one ends after the body.
            if found.count >= count || clock.now >= deadline { return found }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
