internal import Crypto
public import Foundation

#if canImport(Glibc)
    import Glibc
    private let systemWrite = Glibc.write
#elseif canImport(Darwin)
    import Darwin
    private let systemWrite = Darwin.write
#endif

/// A ``Checkpoint`` signed with Ed25519 by the store's checkpoint key, as one line of the
/// checkpoints file kept outside the store.
///
/// The signature covers `field("mamori-checkpoint-v1")`, the size (8 bytes big-endian), the
/// root (`field`), the time (8 bytes big-endian, whole milliseconds since 1970), the key id
/// (`field`) and the public key (`field`), where `field(b)` is a 4-byte big-endian length then `b`.
///
/// A line is JSON: `{"format":"mamori-checkpoint/1","size":N,"root":HEX,"time":RFC3339,
/// "time_ms":N,"key":ID,"public_key":BASE64,"signature":BASE64}`; it carries the public key so the
/// file can be checked on another machine (pin the key there: a forger can sign with their own).
public struct SignedCheckpoint: Sendable, Hashable {
    /// The checkpoint (time in whole milliseconds).
    public let checkpoint: Checkpoint
    /// The id of the signing key in the key file (e.g. `checkpoint-signing-key/1`).
    public let keyID: String
    /// The Ed25519 public key (32 bytes, raw).
    public let publicKey: [UInt8]
    /// The Ed25519 signature (64 bytes).
    public let signature: [UInt8]

    static let format = "mamori-checkpoint/1"
    private static let domainTag = Array("mamori-checkpoint-v1".utf8)

    /// A signed checkpoint as read.
    public init(checkpoint: Checkpoint, keyID: String, publicKey: [UInt8], signature: [UInt8]) {
        self.checkpoint = checkpoint
        self.keyID = keyID
        self.publicKey = publicKey
        self.signature = signature
    }

    /// Signs `checkpoint` (its time rounded to whole milliseconds) with the Ed25519 private key `key`.
    ///
    /// - Throws: ``CheckpointError/badKey(_:)`` when the key is not a 32-byte Ed25519 private key.
    public static func sign(_ checkpoint: Checkpoint, with key: SecretKey) throws(CheckpointError) -> SignedCheckpoint {
        let privateKey: Curve25519.Signing.PrivateKey
        do {
            privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: key.secret)
        } catch {
            throw .badKey(key.id)
        }
        let time = Date(timeIntervalSince1970: Double(milliseconds(checkpoint.time)) / 1000)
        let rounded = Checkpoint(size: checkpoint.size, root: checkpoint.root, time: time)
        let publicKey = [UInt8](privateKey.publicKey.rawRepresentation)
        let message = signedBytes(rounded, keyID: key.id, publicKey: publicKey)
        let signature: Data
        do {
            signature = try privateKey.signature(for: message)
        } catch {
            throw .badKey(key.id)
        }
        return SignedCheckpoint(checkpoint: rounded, keyID: key.id, publicKey: publicKey, signature: [UInt8](signature))
    }

    /// The raw Ed25519 public key of the private key `key`, or `nil` when it is not one.
    public static func publicKey(of key: SecretKey) -> [UInt8]? {
        (try? Curve25519.Signing.PrivateKey(rawRepresentation: key.secret)).map { [UInt8]($0.publicKey.rawRepresentation) }
    }

    /// Whether the signature is the public key's over this checkpoint.
    public var hasValidSignature: Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature, for: Self.signedBytes(checkpoint, keyID: keyID, publicKey: publicKey))
    }

    /// RFC 3339 in UTC with milliseconds, e.g. `2026-12-03T18:00:00.123Z`.
    public static func timeText(_ time: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: time)
    }

    static func milliseconds(_ time: Date) -> Int64 {
        Int64((time.timeIntervalSince1970 * 1000).rounded())
    }

    static func signedBytes(_ checkpoint: Checkpoint, keyID: String, publicKey: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        func integer<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
        }
        func field(_ bytes: some Collection<UInt8>) {
            integer(UInt32(truncatingIfNeeded: bytes.count))
            out.append(contentsOf: bytes)
        }
        field(domainTag)
        integer(checkpoint.size)
        field(checkpoint.root)
        integer(milliseconds(checkpoint.time))
        field(keyID.utf8)
        field(publicKey)
        return out
    }

    /// The checkpoint's line in the checkpoints file (no newline).
    public var jsonLine: String {
        let object: [String: Any] = [
            "format": Self.format, "size": checkpoint.size, "root": Hex.encode(checkpoint.root),
            "time": Self.timeText(checkpoint.time),
            "time_ms": Self.milliseconds(checkpoint.time), "key": keyID, "public_key": Data(publicKey).base64EncodedString(),
            "signature": Data(signature).base64EncodedString(),
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Parses one line of the checkpoints file (the time is taken from `time_ms`).
    public init?(jsonLine line: some StringProtocol) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            object["format"] as? String == Self.format,
            let size = (object["size"] as? NSNumber)?.int64Value,
            let root = (object["root"] as? String).flatMap({ Hex.decode($0) }),
            let milliseconds = (object["time_ms"] as? NSNumber)?.int64Value,
            let keyID = object["key"] as? String,
            let publicKey = (object["public_key"] as? String).flatMap({ Data(base64Encoded: $0) }),
            let signature = (object["signature"] as? String).flatMap({ Data(base64Encoded: $0) })
        else { return nil }
        self.init(
            checkpoint: Checkpoint(size: size, root: root, time: Date(timeIntervalSince1970: Double(milliseconds) / 1000)),
            keyID: keyID, publicKey: [UInt8](publicKey), signature: [UInt8](signature))
    }
}

/// Why a checkpoint could not be made, written or read; names the place, never a key.
public enum CheckpointError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The signing key is not a 32-byte Ed25519 private key.
    case badKey(String)
    /// The checkpoints file cannot be written.
    case cannotWrite(path: String, reason: String)
    /// The checkpoints file cannot be read.
    case cannotRead(path: String, reason: String)
    /// The log no longer extends the last signed checkpoint: refusing to sign over it.
    case inconsistent(path: String, reason: String)

    public var description: String {
        switch self {
        case .badKey(let id): "the checkpoint signing key \(id) is not an Ed25519 private key"
        case .cannotWrite(let path, let reason): "\(path): cannot append the checkpoint: \(reason)"
        case .cannotRead(let path, let reason): "\(path): cannot read the checkpoints: \(reason)"
        case .inconsistent(let path, let reason): "\(path): not signing a checkpoint: \(reason); run `mamori audit verify`"
        }
    }
}

/// The checkpoints file: one ``SignedCheckpoint`` JSON line per checkpoint, appended with
/// `O_APPEND` and fsync'd; kept (or shipped) where the store's administrators cannot rewrite it.
public struct CheckpointFile: Sendable {
    /// The file's path (default `<store path>.checkpoints`).
    public let path: String

    /// The file at `path` (created on the first append).
    public init(path: String) {
        self.path = path
    }

    /// One line as read: the checkpoint, or `nil` when the line is not a signed checkpoint.
    public struct Line: Sendable, Hashable {
        /// 1-based line number.
        public let number: Int
        /// The parsed checkpoint, `nil` when malformed.
        public let checkpoint: SignedCheckpoint?

        /// A line as read.
        public init(number: Int, checkpoint: SignedCheckpoint?) {
            self.number = number
            self.checkpoint = checkpoint
        }
    }

    /// Appends one line and fsyncs the file.
    public func append(_ checkpoint: SignedCheckpoint) throws(CheckpointError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let bytes = Array((checkpoint.jsonLine + "\n").utf8)
        let written = bytes.withUnsafeBytes { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            return systemWrite(fd, base, raw.count)
        }
        guard written == bytes.count else {
            throw .cannotWrite(path: path, reason: written < 0 ? String(cString: strerror(errno)) : "short write")
        }
        guard fsync(fd) == 0 else { throw .cannotWrite(path: path, reason: String(cString: strerror(errno))) }
    }

    /// Every non-empty line, in file order; an absent file has none.
    public func lines() throws(CheckpointError) -> [Line] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .cannotRead(path: path, reason: error.localizedDescription)
        }
        return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, line in
            line.isEmpty ? nil : Line(number: index + 1, checkpoint: SignedCheckpoint(jsonLine: line))
        }
    }
}
