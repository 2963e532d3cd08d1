public import Attribution
public import Foundation
public import Logging
public import ServiceLifecycle
public import SiteWarning
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Follows a FreeRADIUS `detail` file as it grows, across rotation, feeding the same two sinks
/// as the accounting listener: the live sessions at once, the attribution store (one insert per
/// poll).
///
/// ```swift
/// let follower = RadiusDetailFollower(path: "/var/log/freeradius/radacct/detail", store: store, sessions: live, logger: logger)
/// try await ServiceGroup(services: [follower], logger: logger).run()
/// ```
///
/// - Whole records only: bytes are handed to ``RadiusDetailParser`` up to the last blank line;
///   a record still being written waits for its blank line. The last record of a rotated file
///   is taken when the file is left (it needs no blank line then).
/// - Rotation: when the path names another file (rename and a new file), the old one is read
///   to its end first, then the new one from its start. A file that shrinks (truncated in
///   place, `copytruncate`) is read again from its start. A missing file is waited for.
/// - The offset lives in memory only: a restart reads the current file from its start (or its
///   end, with `startAtEnd`); the store's stable keys keep re-read events from being stored twice.
/// - Live sessions: Start/Interim at the record's event time (old records expire as they
///   should), Stop removes (with the addresses of the session's earlier records when the Stop
///   carries none). A store failure keeps the events and retries them at the next poll.
public final class RadiusDetailFollower: Service, Sendable {
    public let path: String
    let store: any AssignmentRecordStore
    let sessions: LiveSessions
    let pollInterval: Duration
    let headerTimeZone: TimeZone
    let startAtEnd: Bool
    let logger: Logger
    let tracked: NASSessions
    let counts = Counts()

    /// What the follower did so far (for tests and status pages).
    public struct Stats: Sendable, Equatable {
        public var records = 0
        public var events = 0
        public var issues = 0
        public var rotations = 0
        public var truncations = 0
        public var storeFailures = 0
    }

    final class Counts: Sendable {
        let state = Mutex(Stats())
    }

    public init(
        path: String, store: any AssignmentRecordStore, sessions: LiveSessions, pollInterval: Duration = .milliseconds(200),
        headerTimeZone: TimeZone = .gmt, startAtEnd: Bool = false, logger: Logger
    ) {
        self.path = path
        self.store = store
        self.sessions = sessions
        self.pollInterval = pollInterval
        self.headerTimeZone = headerTimeZone
        self.startAtEnd = startAtEnd
        var logger = logger
        logger[metadataKey: "follower"] = "radius-detail"
        self.logger = logger
        self.tracked = NASSessions(expiry: sessions.expiry, capacity: 1_000_000)
    }

    public var stats: Stats { counts.state.withLock { $0 } }

    /// One open file: descriptor, identity, read offset, bytes after the last whole record.
    struct Open {
        var fd: Int32
        var device: UInt64
        var inode: UInt64
        var offset: Int64
        var partial: [UInt8] = []
    }

    public func run() async throws {
        var file: Open? = nil
        var first = true
        var pending: [AssignmentEvent] = []
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let records = poll(&file, atEnd: first && startAtEnd)
            first = false
            if !records.isEmpty { pending += feed(records) }
            if !pending.isEmpty {
                do {
                    _ = try await store.insert(events: pending, now: Date())
                    pending = []
                } catch {
                    counts.state.withLock { $0.storeFailures += 1 }
                    logger.warning("detail events not stored; retrying", metadata: ["error": "\(type(of: error))"])
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.pollInterval) }
        }
        if let file { close(file.fd) }
    }

    /// One look at the file: the whole records appended since the last look (rotation and
    /// truncation handled).
    private func poll(_ file: inout Open?, atEnd: Bool) -> [UInt8] {
        if file == nil { file = openFile(atEnd: atEnd) }
        guard var current = file else { return [] }
        var records = readWhole(&current)
        if let now = identity(), now.device != current.device || now.inode != current.inode {
            // Rotated: the old file to its end, its last record too, then the new one.
            records += readWhole(&current)
            records += current.partial
            if records.last != 0x0A { records.append(0x0A) }
            records.append(0x0A)
            close(current.fd)
            file = openFile(atEnd: false)
            counts.state.withLock { $0.rotations += 1 }
            logger.info("detail file rotated; following the new one")
            if var next = file {
                records += readWhole(&next)
                file = next
            }
        } else if let size = size(of: current.fd), size < current.offset {
            lseek(current.fd, 0, SEEK_SET)
            current.offset = 0
            current.partial = []
            counts.state.withLock { $0.truncations += 1 }
            logger.info("detail file truncated; reading it from its start")
            records += readWhole(&current)
            file = current
        } else {
            file = current
        }
        return records
    }

    private func identity() -> (device: UInt64, inode: UInt64)? {
        var s = stat()
        guard stat(path, &s) == 0 else { return nil }
        return (UInt64(s.st_dev), UInt64(s.st_ino))
    }

    private func size(of fd: Int32) -> Int64? {
        var s = stat()
        guard fstat(fd, &s) == 0 else { return nil }
        return Int64(s.st_size)
    }

    private func openFile(atEnd: Bool) -> Open? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var s = stat()
        guard fstat(fd, &s) == 0 else {
            close(fd)
            return nil
        }
        var file = Open(fd: fd, device: UInt64(s.st_dev), inode: UInt64(s.st_ino), offset: 0)
        if atEnd { file.offset = Int64(lseek(fd, 0, SEEK_END)) }
        return file
    }

    /// Reads what was appended; returns the bytes up to the last blank line (whole records)
    /// and keeps the rest in `partial`.
    private func readWhole(_ file: inout Open) -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(file.fd, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            file.partial.append(contentsOf: chunk[0..<n])
            file.offset += Int64(n)
        }
        guard let end = Self.endOfWholeRecords(file.partial) else { return [] }
        let whole = Array(file.partial[0..<end])
        file.partial.removeFirst(end)
        return whole
    }

    /// The index just past the last blank line (a line of spaces and tabs only, `\r` allowed).
    static func endOfWholeRecords(_ bytes: [UInt8]) -> Int? {
        var blank = true
        var end: Int? = nil
        for (i, b) in bytes.enumerated() {
            switch b {
            case 0x0A:
                if blank, i > 0 { end = i + 1 }
                blank = true
            case 0x20, 0x09, 0x0D:
                break
            default:
                blank = false
            }
        }
        return end
    }

    /// Parses whole records; updates the live sessions; returns the events to store.
    private func feed(_ records: [UInt8]) -> [AssignmentEvent] {
        let result: ParseResult
        do {
            result = try AssignmentReader.parse(
                bytes: records, fileName: URL(fileURLWithPath: path).lastPathComponent, format: .radiusDetail, headerTimeZone: headerTimeZone)
        } catch {
            logger.warning("detail records unreadable", metadata: ["error": "\(type(of: error))"])
            return []
        }
        if result.issueCount > 0 {
            // Issues name a line of the chunk and a field, never a value; only their count is logged.
            logger.warning("detail records refused", metadata: ["count": "\(result.issueCount)"])
        }
        let nas = RadiusNASIdentity.identifier("detail")
        for event in result.events {
            let line = LineID(event.subscriber)
            switch event.kind {
            case .stop:
                sessions.stop(line: line, prefixes: tracked.stop(nas: nas, session: event.session, line: line, prefixes: event.prefixes))
            default:
                let prefixes = tracked.update(nas: nas, session: event.session, line: line, prefixes: event.prefixes, now: event.eventTime)
                sessions.start(line: line, prefixes: prefixes, at: event.eventTime)
            }
        }
        counts.state.withLock {
            $0.records += result.recordsSeen
            $0.events += result.events.count
            $0.issues += result.issueCount
        }
        return result.events
    }
}
