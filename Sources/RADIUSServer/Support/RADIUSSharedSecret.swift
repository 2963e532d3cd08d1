import Foundation

/// The shared secret of the NASes (RFC 2865 §3), from a file: its bytes less one trailing
/// line break. Never printed: its description is redacted.
///
/// ```swift
/// let secret = try RADIUSSharedSecret(contentsOfFile: "/etc/mamori/radius-secret")
/// ```
public struct RADIUSSharedSecret: Sendable, CustomStringConvertible {
    let bytes: [UInt8]

    /// A secret from its bytes; throws if empty.
    public init(bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { throw RADIUSServerError.emptySecret }
        self.bytes = bytes
    }

    /// A secret from a file (`--radius-secret-file`): the content less one trailing `\n` or `\r\n`.
    public init(contentsOfFile path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw RADIUSServerError.unreadableSecretFile(path: path)
        }
        var bytes = Array(data)
        if bytes.last == 0x0A { bytes.removeLast() }
        if bytes.last == 0x0D { bytes.removeLast() }
        try self.init(bytes: bytes)
    }

    public var description: String { "RADIUSSharedSecret(redacted)" }
}

/// Why the RADIUS listener could not start or serve.
public enum RADIUSServerError: Error, Sendable, CustomStringConvertible {
    /// The secret file cannot be read (the path only, never the content).
    case unreadableSecretFile(path: String)
    /// The shared secret is empty.
    case emptySecret
    /// The listener is shutting down: the request was not stored (and not answered).
    case shuttingDown
    /// A line of the clients file is wrong (the place and the reason, never a secret).
    case badClientLine(file: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .unreadableSecretFile(let path): "\(path): the RADIUS shared secret file cannot be read"
        case .emptySecret: "the RADIUS shared secret is empty"
        case .shuttingDown: "the RADIUS listener is shutting down"
        case .badClientLine(let file, let line, let reason): "\(file):\(line): \(reason)"
        }
    }
}
