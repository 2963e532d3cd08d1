import Addressing
import Foundation
import TextScanning

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a snapshot was not used (it is then rebuilt from the store).
public enum IndexSnapshotError: Error, Sendable, Hashable, CustomStringConvertible {
    case missing(path: String)
    case stale(path: String)
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let path): "\(path): no index snapshot"
        case .stale(let path): "\(path): the snapshot is of other records or another configuration"
        case .unreadable(let path, let reason): "\(path): \(reason)"
        }
    }
}

/// The index persisted beside the store, so `mamori attribute` answers at once instead of
/// rebuilding from every stored event (10–21 s at 10 M sessions).
///
/// The file is the index's arrays as they are in memory (native byte order), after a header
/// naming the format version, the stored records it was built from (`stamp`, from the store)
/// and the configuration that shaped it; a snapshot whose stamp or configuration differs is
/// not used. It holds subscriber ids as the store does, so it is written with mode 0600, to a
/// temporary file renamed into place (a crash leaves the old one or none).
extension AttributionIndex {
    static let snapshotMagic: [UInt8] = Array("MAMORI-INDEX-1\n".utf8)

    /// Writes the index to `path` for records identified by `stamp`.
    public func writeSnapshot(to path: String, stamp: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw IndexSnapshotError.unreadable(path: path, reason: "cannot create the snapshot") }
        var ok = false
        defer {
            close(fd)
            if !ok { unlink(temporary) }
        }
        var writer = SnapshotWriter(fd: fd)
        writer.bytes(Self.snapshotMagic)
        writer.string(stamp)
        writer.string(Self.configKey(config))
        writer.string(String(decoding: try JSONEncoder().encode(report), as: UTF8.self))
        writer.int(subscribers.count)
        writer.array(subscribers.bytes)
        writer.int(sessions.count)
        writer.array(sessions.bytes)
        writer.int(groups.count)
        for g in groups {
            writer.int(Int(g.family.rawValue))
            writer.int(g.length)
            writer.int(g.count)
            writer.int(Int(g.slotShift))
            writer.buffer(g.keys32)
            writer.buffer(g.keysHi)
            writer.buffer(g.keysLo)
            writer.buffer(g.rows)
            writer.buffer(g.slots)
        }
        try writer.flush()
        guard writer.failed == false, fsync(fd) == 0 else { throw IndexSnapshotError.unreadable(path: path, reason: "write failed") }
        guard rename(temporary, path) == 0 else { throw IndexSnapshotError.unreadable(path: path, reason: "rename failed") }
        ok = true
    }

    /// Reads the snapshot at `path` if it was made for `stamp` with `config`; throws otherwise.
    public init(snapshotAt path: String, stamp: String, config: AttributionConfig) throws {
        let file: RawFile
        do {
            file = try RawFile(path: path, file: path)
        } catch {
            throw IndexSnapshotError.missing(path: path)
        }
        defer { file.close() }
        let reader = SnapshotReader(file: file, path: path)
        guard try reader.bytes(Self.snapshotMagic.count) == Self.snapshotMagic else {
            throw IndexSnapshotError.unreadable(path: path, reason: "not an index snapshot of this version")
        }
        guard try reader.string() == stamp, try reader.string() == Self.configKey(config) else {
            throw IndexSnapshotError.stale(path: path)
        }
        let report = try JSONDecoder().decode(BuildReport.self, from: Data(try reader.string().utf8))
        let subscriberCount = try reader.int()
        let subscribers = StringTable(bytes: try reader.array(UInt8.self), count: subscriberCount)
        let sessionCount = try reader.int()
        let sessions = StringTable(bytes: try reader.array(UInt8.self), count: sessionCount)
        var groups: [Group] = []
        let groupCount = try reader.int()
        guard groupCount >= 0, groupCount <= 260 else { throw IndexSnapshotError.unreadable(path: path, reason: "bad group count") }
        for _ in 0..<groupCount {
            guard let family = IPAddress.Family(rawValue: UInt8(truncatingIfNeeded: try reader.int())) else {
                throw IndexSnapshotError.unreadable(path: path, reason: "bad address family")
            }
            let length = try reader.int()
            let count = try reader.int()
            let slotShift = try reader.int()
            guard length >= 0, length <= family.bitWidth, count >= 0, slotShift > 0, slotShift < 64 else {
                throw IndexSnapshotError.unreadable(path: path, reason: "bad group header")
            }
            // Buffers read so far are freed when a later one fails (a truncated or corrupt file);
            // once the group holds them, its deinit does.
            let pending = PendingBuffers()
            let keys32 = pending.track(try reader.buffer(UInt32.self))
            let keysHi = pending.track(try reader.buffer(UInt64.self))
            let keysLo = pending.track(try reader.buffer(UInt64.self))
            let rows = pending.track(try reader.buffer(Group.Row.self))
            let slots = pending.track(try reader.buffer(UInt64.self))
            pending.handOver()
            let consistent =
                rows.count == count && (family == .v4 ? keys32.count == count : keysHi.count == count)
                && slots.count == 1 << (64 - slotShift)
            let group = Group(
                family: family, length: length, count: count, keys32: keys32, keysHi: keysHi, keysLo: keysLo, rows: rows, slots: slots,
                slotShift: UInt64(slotShift))
            guard consistent else { throw IndexSnapshotError.unreadable(path: path, reason: "inconsistent group") }
            groups.append(group)
        }
        self.init(config: config, report: report, groups: groups, subscribers: subscribers, sessions: sessions)
    }

    /// What of the configuration shapes the built index (skew applies at query time).
    static func configKey(_ config: AttributionConfig) -> String {
        "grace=\(config.graceMultiplier);default=\(config.defaultGrace)"
    }
}

/// Buffered writes of the snapshot's fields.
private struct SnapshotWriter {
    let fd: Int32
    var pending: [UInt8] = []
    var failed = false

    init(fd: Int32) {
        self.fd = fd
        pending.reserveCapacity(1 << 20)
    }

    mutating func bytes(_ b: [UInt8]) {
        pending.append(contentsOf: b)
        if pending.count >= 1 << 20 { try? flush() }
    }

    mutating func int(_ v: Int) {
        withUnsafeBytes(of: Int64(v).littleEndian) { pending.append(contentsOf: $0) }
    }

    mutating func string(_ s: String) {
        int(s.utf8.count)
        bytes(Array(s.utf8))
    }

    mutating func array(_ a: [UInt8]) {
        int(a.count)
        bytes(a)
    }

    mutating func buffer<T>(_ b: UnsafeMutableBufferPointer<T>) {
        int(b.count)
        try? flush()
        raw(UnsafeRawBufferPointer(b))
    }

    mutating func raw(_ b: UnsafeRawBufferPointer) {
        guard let base = b.baseAddress else { return }
        var done = 0
        while done < b.count {
            let r = write(fd, base + done, b.count - done)
            if r > 0 {
                done += r
            } else if r < 0 && errno == EINTR {
                continue
            } else {
                failed = true
                return
            }
        }
    }

    mutating func flush() throws {
        let data = pending
        pending.removeAll(keepingCapacity: true)
        data.withUnsafeBytes { raw($0) }
    }
}

/// Reads the snapshot's fields, refusing sizes the file cannot hold.
private struct SnapshotReader {
    let file: RawFile
    let path: String

    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws {
        let got: Int
        do {
            got = try file.read(into: buffer)
        } catch {
            throw IndexSnapshotError.unreadable(path: path, reason: "read failed")
        }
        guard got == buffer.count else { throw IndexSnapshotError.unreadable(path: path, reason: "truncated") }
    }

    func bytes(_ n: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n)
        try out.withUnsafeMutableBytes { try fill($0) }
        return out
    }

    func int() throws -> Int {
        var v: Int64 = 0
        try withUnsafeMutableBytes(of: &v) { try fill($0) }
        return Int(Int64(littleEndian: v))
    }

    func string() throws -> String {
        let n = try int()
        guard n >= 0, n < 1 << 20 else { throw IndexSnapshotError.unreadable(path: path, reason: "bad string length") }
        return String(decoding: try bytes(n), as: UTF8.self)
    }

    func array<T>(_: T.Type) throws -> [UInt8] {
        let n = try int()
        guard n >= 0, n < 1 << 40 else { throw IndexSnapshotError.unreadable(path: path, reason: "bad array length") }
        return try bytes(n)
    }

    func buffer<T>(_: T.Type) throws -> UnsafeMutableBufferPointer<T> {
        let n = try int()
        guard n >= 0, n < 1 << 36 else { throw IndexSnapshotError.unreadable(path: path, reason: "bad buffer length") }
        let b = UnsafeMutableBufferPointer<T>.allocate(capacity: n)
        do {
            try fill(UnsafeMutableRawBufferPointer(b))
        } catch {
            b.deallocate()
            throw error
        }
        return b
    }
}

/// Buffers allocated while a snapshot group is read: freed at the end of scope unless handed
/// over to the group.
private final class PendingBuffers {
    private var frees: [() -> Void] = []

    func track<T>(_ buffer: UnsafeMutableBufferPointer<T>) -> UnsafeMutableBufferPointer<T> {
        frees.append { buffer.deallocate() }
        return buffer
    }

    func handOver() { frees = [] }

    deinit { for free in frees { free() } }
}
