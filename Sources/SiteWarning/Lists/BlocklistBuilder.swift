import Addressing
public import Foundation
import TextScanning

/// Loads lists into one ``Blocklist``: domain lists, RPZ zone files and URL lists, from files
/// (streamed in constant memory) or text.
///
/// Every list has a name and a ``ListKind``. Lines the guard cannot use are refused one by one
/// as `file:line: reason` issues (an `rpz-ip` trigger, a malformed name) while the rest of the
/// file loads; the ``ListLoadReport`` says what was added, skipped and refused.
///
/// ```swift
/// var builder = BlocklistBuilder()
/// let report = try builder.load(path: "feeds/cnc.rpz", list: "cnc-feed", kind: .cnc, format: .rpz)
/// for issue in report.issues { print(issue) }   // cnc.rpz:12: rpz-ip trigger: not supported …
/// let blocklist = builder.build()
/// ```
public struct BlocklistBuilder: Sendable {
    var storage = BlocklistStorage()
    /// The reports of the lists loaded so far.
    public private(set) var reports: [ListLoadReport] = []

    public init() {}

    /// Loads the list file at `path`. `file` names it in issues (default: the last path component).
    /// `zone` is an RPZ file's zone name when its text does not say it (else the SOA owner,
    /// else the first `$ORIGIN`, else the root). `override` replaces every entry's action (as
    /// BIND's `policy`, Unbound's `rpz-action-override`, PowerDNS's `defpol`).
    ///
    /// Throws when the file cannot be opened or read, or the snapshot would be too large; the
    /// builder then holds part of the list: discard it and keep serving the previous snapshot.
    @discardableResult
    public mutating func load(
        path: String, file: String? = nil, list name: String, kind: ListKind, format: ListFormat, zone: String? = nil,
        override: ActionOverride? = nil, at time: Date = Date()
    ) throws -> ListLoadReport {
        let shown = file ?? URL(fileURLWithPath: path).lastPathComponent
        let raw = try RawFile(path: path, file: shown)
        defer { raw.close() }
        var status = stat()
        if fstat(raw.descriptor, &status) == 0, status.st_size > 0 { storage.reserve(forFileBytes: Int(status.st_size)) }
        return try load(file: shown, list: name, kind: kind, format: format, zone: zone, override: override, at: time) { loader in
            var framer = LineFramer(maximumLength: 1 << 16)
            try ChunkLoop.run(
                raw, chunkSize: 1 << 20, maximumRecordLength: 1 << 16,
                consume: { bytes, atEOF, full in
                    framer.consume(
                        bytes, atEOF: atEOF, full: full, line: { loader.line($0, $1) },
                        overlong: { loader.report.issue(line: $0, "a line over 65536 bytes") })
                }, afterChunk: {})
        }
    }

    /// Loads a list from text (tests, small lists, an API upload).
    @discardableResult
    public mutating func load(
        text: String, file: String, list name: String, kind: ListKind, format: ListFormat, zone: String? = nil,
        override: ActionOverride? = nil, at time: Date = Date()
    ) throws -> ListLoadReport {
        let bytes = Array(text.utf8)
        return try load(file: file, list: name, kind: kind, format: format, zone: zone, override: override, at: time) { loader in
            bytes.withUnsafeBufferPointer { buffer in
                var framer = LineFramer(maximumLength: 1 << 16)
                _ = framer.consume(
                    buffer, atEOF: true, full: false, line: { loader.line($0, $1) },
                    overlong: { loader.report.issue(line: $0, "a line over 65536 bytes") })
            }
        }
    }

    private mutating func load(
        file: String, list name: String, kind: ListKind, format: ListFormat, zone: String?, override: ActionOverride?, at time: Date,
        _ body: (inout ListLoader) throws -> Void
    ) throws -> ListLoadReport {
        guard storage.lists.count < Int(UInt16.max) else { throw BlocklistError.tooManyLists }
        let info = ListInfo(name: name, kind: kind, format: format, file: file, loadedAt: time)
        let id = ListID(rawValue: UInt16(storage.lists.count))
        storage.lists.append(info)
        var taken = BlocklistStorage()
        swap(&taken, &storage)
        var loader = ListLoader(storage: taken, report: ListLoadReport(list: info, id: id), format: format, zone: zone)
        loader.override = override
        defer {
            swap(&loader.storage, &storage)
        }
        try body(&loader)
        loader.finish()
        if loader.overflow { throw BlocklistError.tooManyEntries(file: file) }
        reports.append(loader.report)
        return loader.report
    }

    /// The snapshot of every list loaded so far. The builder can go on loading; later snapshots
    /// hold the later lists too (the first load after a snapshot copies the arrays once).
    public func build() -> Blocklist {
        Blocklist(storage: storage)
    }
}

/// One list being loaded: the storage, the report, and the format's parser state.
struct ListLoader {
    var storage: BlocklistStorage
    var report: ListLoadReport
    let format: ListFormat
    var rpz: RPZParser
    var name: [UInt8] = []
    var overflow = false
    var override: ActionOverride?

    init(storage: BlocklistStorage, report: ListLoadReport, format: ListFormat, zone: String?) {
        self.storage = storage
        self.report = report
        self.format = format
        self.rpz = RPZParser(zone: zone)
        name.reserveCapacity(256)
    }

    var listIndex: UInt16 { report.id.rawValue }
    var kind: ListKind { report.list.kind }

    mutating func line(_ b: Bytes, _ number: Int) {
        switch format {
        case .domains: domainLine(b, number)
        case .urls: urlLine(b, number)
        case .rpz: rpzLine(b, number)
        }
    }

    mutating func finish() {
        if format == .rpz { rpzFinish() }
    }

    enum Added {
        case added(UInt32)
        case duplicate(UInt32)
    }

    /// Adds the entry for ``name`` (normalised); a second entry of this list with the same
    /// name and scope is a duplicate (the first is kept).
    @discardableResult
    mutating func add(
        scope: MatchScope, action written: ListAction, line: Int, comment: Bytes?, data writtenData: [IPAddress]? = nil
    )
        -> Added?
    {
        let action = override?.action ?? written
        let data = writtenData  // kept under an override too: the entry shows what the list said
        guard storage.rules.count < Int(UInt32.max) - 2, storage.arena.count + name.count < Int(UInt32.max) else {
            overflow = true
            return nil
        }
        let node = name.withUnsafeBufferPointer { storage.findOrInsert($0) }
        if let existing = storage.rule(onNode: node, list: listIndex, scope: scope.rawValue) {
            report.duplicates += 1
            return .duplicate(existing)
        }
        var commentStart: UInt32 = 0
        if let comment, comment.count > 0, storage.comments.count < Int(UInt32.max) - 256 {
            let kept = comment.sub(0..<min(comment.count, 200))
            commentStart = UInt32(storage.comments.count)
            storage.comments.append(UInt8(kept.count))
            storage.comments.append(contentsOf: kept)
        }
        var dataIndex = Rule.none
        if let data {
            dataIndex = UInt32(storage.localData.count)
            storage.localData.append(data)
        }
        let decidingKind: ListKind = action == .passthru ? .allow : kind
        let index = storage.append(
            Rule(
                next: Rule.none, node: UInt32(node), line: UInt32(clamping: line), comment: commentStart, data: dataIndex,
                list: listIndex, scope: scope.rawValue, action: action.rawValue, kind: decidingKind.code))
        report.entries += 1
        return .added(index)
    }
}

/// Host names as lists write them, normalised to the form the blocklist stores.
enum HostName {
    /// Writes `b` lower-cased, without a trailing dot, into `out`; returns what is wrong with it
    /// (a reason without the name) or nil. Letters, digits, `-` and `_` only; labels of 1–63
    /// octets; at most 253 octets.
    static func normalize(_ b: Bytes, into out: inout [UInt8]) -> String? {
        out.removeAll(keepingCapacity: true)
        var n = b.count
        if n > 0 && b[n - 1] == ASCII.dot { n -= 1 }
        guard n > 0 else { return "an empty name" }
        guard n <= 253 else { return "a name over 253 octets" }
        var label = 0
        for i in 0..<n {
            let c = ASCII.lower(b[i])
            if c == ASCII.dot {
                guard label > 0 else { return "an empty label" }
                label = 0
            } else {
                let ok = (c >= 0x61 && c <= 0x7A) || ASCII.isDigit(c) || c == ASCII.minus || c == 0x5F
                guard ok else { return c >= 0x80 ? "a non-ASCII name (write it as xn--)" : "a character not allowed in a host name" }
                label += 1
                guard label <= 63 else { return "a label over 63 octets" }
            }
            out.append(c)
        }
        guard label > 0 else { return "an empty label" }
        return nil
    }

    /// Whether `b` is an IPv4 or IPv6 address rather than a name.
    static func isAddress(_ b: Bytes) -> Bool { IPAddress(ascii: b) != nil }
}
