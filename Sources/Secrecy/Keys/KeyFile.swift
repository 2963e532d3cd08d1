public import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
    private let systemWrite = Glibc.write
#elseif canImport(Darwin)
    import Darwin
    private let systemWrite = Darwin.write
#endif

/// One secret of a ``KeyRing``: a name (what it is for), an id (which generation of it), when it
/// was made, and the bytes.
///
/// The bytes are never in `description`, `debugDescription` or a mirror.
public struct SecretKey: Sendable, Hashable {
    /// What the key is for, e.g. `pseudonym-key`; several generations share a name.
    public let name: String
    /// This generation's id, `NAME/N` (N counts from 1). Audit records name it.
    public let id: String
    /// When it was made (or moved into the key file).
    public let created: Date
    /// The secret bytes.
    public let secret: [UInt8]

    /// A key as stored.
    public init(name: String, id: String, created: Date, secret: [UInt8]) {
        self.name = name
        self.id = id
        self.created = created
        self.secret = secret
    }
}

extension SecretKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `SecretKey(id, redacted)`.
    public var description: String { "SecretKey(\(id), redacted)" }
    /// Same as ``description``.
    public var debugDescription: String { description }
    /// A mirror without the secret.
    public var customMirror: Mirror { Mirror(self, children: ["id": id], displayStyle: .struct) }
}

/// The keys of one store, every generation of each, as read from a ``KeyFile``.
///
/// The current key of a name is its newest generation; older ones stay for reading what was
/// written under them (an audit record names the id of the pseudonymisation key it used).
public struct KeyRing: Sendable, Hashable {
    /// Every key, oldest first.
    public private(set) var keys: [SecretKey]

    /// A ring of `keys` (oldest first).
    public init(keys: [SecretKey] = []) {
        self.keys = keys
    }

    /// The newest generation of `name`, if any.
    public func current(_ name: String) -> SecretKey? {
        keys.last { $0.name == name }
    }

    /// The key with this id, current or older.
    public func key(id: String) -> SecretKey? {
        keys.first { $0.id == id }
    }

    /// Every generation of `name`, oldest first.
    public func generations(of name: String) -> [SecretKey] {
        keys.filter { $0.name == name }
    }

    /// Adds a new generation of `name` holding `secret`; it becomes current.
    @discardableResult
    public mutating func add(name: String, secret: [UInt8], created: Date = Date()) -> SecretKey {
        var number = generations(of: name).count + 1
        while key(id: "\(name)/\(number)") != nil { number += 1 }
        // Whole seconds: the file keeps RFC 3339 times without fractions.
        let seconds = Date(timeIntervalSince1970: created.timeIntervalSince1970.rounded(.down))
        let key = SecretKey(name: name, id: "\(name)/\(number)", created: seconds, secret: secret)
        keys.append(key)
        return key
    }
}

/// The names of the keys Mamori itself uses.
public enum KeyName {
    /// The pseudonymisation secret (``Pseudonymizer``): rotatable, old generations kept for reading.
    public static let pseudonym = "pseudonym-key"
    /// The HMAC key of the assignment index's unique keys.
    public static let index = "index-key"
    /// The HMAC key of the portal's "I have cleaned" forms.
    public static let portalForm = "portal-form-key"
    /// The Ed25519 private key (32 bytes) that signs audit checkpoints.
    public static let checkpointSigning = "checkpoint-signing-key"
}

/// Why the key file could not be used; names the file, never a key.
public enum KeyFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Group or others may read or write the file.
    case tooOpen(path: String, mode: UInt16)
    /// The file exists but cannot be read.
    case unreadable(path: String, reason: String)
    /// The file is not a Mamori key file.
    case malformed(path: String, reason: String)
    /// The file (or its temporary copy, or its lock) cannot be written.
    case cannotWrite(path: String, reason: String)
    /// Moving a store's keys out would replace a different key of the same name.
    case conflict(path: String, name: String)

    public var description: String {
        switch self {
        case .tooOpen(let path, let mode):
            "\(path): the key file's mode is \(String(mode, radix: 8).leftPadded(to: 4)): group or others can read or write it; "
                + "refusing to use it (run `chmod 600 \(path)` if nobody else has read it, else replace the keys)"
        case .unreadable(let path, let reason): "\(path): cannot read the key file: \(reason)"
        case .malformed(let path, let reason): "\(path): not a Mamori key file: \(reason)"
        case .cannotWrite(let path, let reason): "\(path): cannot write the key file: \(reason)"
        case .conflict(let path, let name):
            "\(path): the key file already holds a different \(name) than the store's secret table; refusing to move the store's key"
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// The file that holds a store's keys, away from the data they protect.
///
/// Default `<store path>.keys`. Mode 0600: it is refused when group or others can read or write
/// it. Every change is made under an exclusive lock (`<path>.lock`), on the file as it is on disk
/// then, and written atomically (a temporary file in the same directory, fsync, rename, fsync
/// of the directory), so two processes creating keys at once never lose one.
///
/// ```swift
/// let keys = try KeyFile(path: "mamori.sqlite.keys")
/// let secret = try keys.secret(named: KeyName.pseudonym).secret   // made on first use
/// ```
///
/// The format is JSON: `{"format":"mamori-keys/1","keys":[{"name":…,"id":…,"created":…,"secret":BASE64},…]}`.
public final class KeyFile: Sendable {
    /// The file's path.
    public let path: String
    private let state: Mutex<KeyRing>

    static let format = "mamori-keys/1"

    /// Reads the key file at `path`; a missing file is an empty ring (the file is made on the
    /// first key asked for).
    ///
    /// - Throws: ``KeyFileError`` when the file is readable by group or others, unreadable or malformed.
    public init(path: String) throws(KeyFileError) {
        self.path = path
        self.state = Mutex(try Self.load(path))
    }

    /// The keys as last read or written by this process.
    public var ring: KeyRing { state.withLock { $0 } }

    /// Whether the file exists.
    public var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// The current key named `name`, made with `length` random bytes (and written to the file)
    /// the first time it is asked for.
    public func secret(named name: String, length: Int = 32) throws(KeyFileError) -> SecretKey {
        if let key = state.withLock({ $0.current(name) }) { return key }
        return try update { ring throws(KeyFileError) in
            if let key = ring.current(name) { return key }
            return ring.add(name: name, secret: try Self.random(length))
        }
    }

    /// Makes a new generation of `name` current (the old ones stay, for reading).
    @discardableResult
    public func rotate(_ name: String, length: Int = 32) throws(KeyFileError) -> SecretKey {
        try update { ring throws(KeyFileError) in ring.add(name: name, secret: try Self.random(length)) }
    }

    /// Adds keys moved from elsewhere (a store's old secret table) under their names, unless the
    /// file already holds the same bytes under that name; returns how many were added.
    ///
    /// - Throws: ``KeyFileError/conflict(path:name:)`` when the file holds a *different* current
    ///   key of that name (moving would change what existing data was keyed with).
    @discardableResult
    public func adopt(_ secrets: [(name: String, secret: [UInt8])], now: Date = Date()) throws(KeyFileError) -> Int {
        try update { ring throws(KeyFileError) in
            var added = 0
            for (name, secret) in secrets {
                if let existing = ring.current(name) {
                    if existing.secret == secret { continue }
                    throw KeyFileError.conflict(path: path, name: name)
                }
                ring.add(name: name, secret: secret, created: now)
                added += 1
            }
            return added
        }
    }

    private static func random(_ length: Int) throws(KeyFileError) -> [UInt8] {
        do {
            return try Digest.randomBytes(count: length)
        } catch {
            throw KeyFileError.cannotWrite(path: "(random)", reason: "\(error)")
        }
    }

    /// Runs `change` on the ring as it is on disk, under the lock, and writes the result when it changed.
    private func update<T>(_ change: (inout KeyRing) throws(KeyFileError) -> T) throws(KeyFileError) -> T {
        let lockPath = path + ".lock"
        let lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw KeyFileError.cannotWrite(path: lockPath, reason: Self.errnoText()) }
        defer { close(lock) }
        guard flock(lock, LOCK_EX) == 0 else { throw KeyFileError.cannotWrite(path: lockPath, reason: Self.errnoText()) }
        defer { flock(lock, LOCK_UN) }
        var ring = try Self.load(path)
        let before = ring
        let result = try change(&ring)
        if ring != before { try Self.write(ring, to: path) }
        state.withLock { $0 = ring }
        return result
    }

    // MARK: reading and writing

    static func load(_ path: String) throws(KeyFileError) -> KeyRing {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return KeyRing() }
            throw KeyFileError.unreadable(path: path, reason: errnoText())
        }
        let mode = UInt16(info.st_mode & 0o7777)
        guard mode & 0o077 == 0 else { throw KeyFileError.tooOpen(path: path, mode: mode) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw KeyFileError.unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw KeyFileError.malformed(path: path, reason: "not a JSON object")
        }
        guard object["format"] as? String == format else {
            throw KeyFileError.malformed(path: path, reason: "\"format\" is not \"\(format)\"")
        }
        guard let entries = object["keys"] as? [[String: Any]] else {
            throw KeyFileError.malformed(path: path, reason: "\"keys\" is not an array of objects")
        }
        var keys: [SecretKey] = []
        for (index, entry) in entries.enumerated() {
            guard let name = entry["name"] as? String, let id = entry["id"] as? String,
                let created = (entry["created"] as? String).flatMap(Self.parseTime),
                let secret = (entry["secret"] as? String).flatMap({ Data(base64Encoded: $0) })
            else {
                throw KeyFileError.malformed(path: path, reason: "key \(index + 1) lacks name, id, created or a base64 secret")
            }
            keys.append(SecretKey(name: name, id: id, created: created, secret: [UInt8](secret)))
        }
        return KeyRing(keys: keys)
    }

    static func write(_ ring: KeyRing, to path: String) throws(KeyFileError) {
        let entries: [[String: Any]] = ring.keys.map {
            ["name": $0.name, "id": $0.id, "created": formatTime($0.created), "secret": Data($0.secret).base64EncodedString()]
        }
        let data: Data
        do {
            data = try JSONSerialization.data(
                withJSONObject: ["format": format, "keys": entries], options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw KeyFileError.cannotWrite(path: path, reason: "cannot encode the keys")
        }
        try writeAtomically(data, to: path, mode: 0o600)
    }

    /// Writes `data` to a new file beside `path`, fsyncs it, renames it over `path` and fsyncs the directory.
    static func writeAtomically(_ data: Data, to path: String, mode: mode_t) throws(KeyFileError) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw KeyFileError.cannotWrite(path: path, reason: errnoText()) }
        var failure: String?
        if fchmod(fd, mode) != 0 { failure = errnoText() }
        if failure == nil {
            data.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return }
                var offset = 0
                while offset < raw.count {
                    let written = systemWrite(fd, base + offset, raw.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        failure = errnoText()
                        return
                    }
                    offset += written
                }
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = errnoText() }
        close(fd)
        if failure == nil, rename(temporary, path) != 0 { failure = errnoText() }
        if let failure {
            unlink(temporary)
            throw KeyFileError.cannotWrite(path: path, reason: failure)
        }
        let directoryFD = open(directory, O_RDONLY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    static func errnoText() -> String {
        String(cString: strerror(errno))
    }

    static func formatTime(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    static func parseTime(_ text: String) -> Date? {
        try? Date(text, strategy: .iso8601)
    }
}
