import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing

/// Tools of the Mailer tests: the openssl CLI and temporary directories. The loopback peers
/// (free ports, Postfix's smtp-sink) are MamoriTesting's. A missing tool fails the test with the
/// package to install; it never skips.
enum Tools {
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
            let directory = try Tools.temporaryDirectory("mamori-mailer-cert")
            let certificate = directory.appendingPathComponent("cert.pem").path
            let key = directory.appendingPathComponent("key.pem").path
            let (status, output) = try Tools.run(
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
