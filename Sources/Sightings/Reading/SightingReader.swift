public import Foundation
import TextScanning

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads sighting feeds: detects the feed, splits the bytes into records and drives the
/// feed's parser, streaming.
///
/// Files are read in chunks (4 MiB by default) into one buffer; only that buffer, a partial
/// record and the sightings not yet handed over are in memory, so a report of millions of
/// rows streams in constant memory. A bad record never stops a file: it is counted as
/// rejected and reported as a ``SightingParseIssue`` (`file:line: field: reason`), and the
/// rest is read. What stops a file is a ``SightingError`` (unreadable, unknown feed or report
/// type, a header without a needed column).
///
/// ```swift
/// let reader = SightingReader()
/// let summary = try reader.stream(contentsOf: url, feed: nil, batchSize: 10_000) { batch in
///     try cases.apply(batch)            // attribution and cases, a batch at a time
/// }
/// for issue in summary.issues { log(issue.description) }   // "x.csv:17: src_ip: not an IP address"
/// ```
public struct SightingReader: Sendable {
    /// The longest record (line, or CSV row) accepted, in bytes; a longer one is rejected.
    public static let maximumRecordLength = 1 << 20

    /// The Shadowserver mappings; nil uses the bundled ones.
    public var mappings: ShadowserverMappings?
    /// How many issues a summary keeps (the rest are counted in `issuesSuppressed`).
    public var issueLimit: Int
    /// Bytes read per chunk.
    public var chunkSize: Int

    /// A reader. `mappings` nil uses ``ShadowserverMappings/bundled()``.
    public init(mappings: ShadowserverMappings? = nil, issueLimit: Int = 10_000, chunkSize: Int = 4 << 20) {
        self.mappings = mappings
        self.issueLimit = max(0, issueLimit)
        self.chunkSize = max(4096, chunkSize)
    }

    /// Parses a whole file into memory. The feed is detected when nil.
    public func parse(contentsOf url: URL, feed: SightingFeed? = nil) throws(SightingError) -> SightingParseResult {
        var all: [Sighting] = []
        do {
            let summary = try stream(contentsOf: url, feed: feed, batchSize: 1 << 16) { all.append(contentsOf: $0) }
            return SightingParseResult(sightings: all, summary: summary)
        } catch let error as SightingError {
            throw error
        } catch {
            throw .unreadable(file: url.lastPathComponent, reason: "unexpected failure")  // the handler above never throws
        }
    }

    /// Parses bytes already in memory; `fileName` names them in issues and evidence and helps
    /// detection. The feed is detected when nil.
    public func parse(
        bytes: some Collection<UInt8>, fileName: String, feed: SightingFeed? = nil
    ) throws(SightingError)
        -> SightingParseResult
    {
        var array = Array(bytes)
        if array.starts(with: [0xEF, 0xBB, 0xBF]) { array.removeFirst(3) }
        let name = Self.displayName(fileName)
        guard let feed = feed ?? SightingFeed.detect(fileName: name, firstBytes: array.prefix(8192)) else {
            throw .unknownFeed(file: name)
        }
        var all: [Sighting] = []
        do {
            let summary = try run(
                feed: feed, file: name, input: .memory(array), batchSize: 1 << 16, onBatch: { all.append(contentsOf: $0) })
            return SightingParseResult(sightings: all, summary: summary)
        } catch let error as SightingError {
            throw error
        } catch {
            throw .unreadable(file: name, reason: "unexpected failure")
        }
    }

    /// Parses a file in chunks, handing sightings over in batches of about `batchSize` (and the
    /// rest at the end). Returns the counts and issues of the whole file.
    ///
    /// Throws ``SightingError`` when the file cannot be read, its feed or report type is not
    /// known, or its header lacks a needed column; rethrows unchanged whatever `onBatch` throws
    /// (reading stops there).
    public func stream(
        contentsOf url: URL, feed: SightingFeed? = nil, batchSize: Int = 65_536, onBatch: ([Sighting]) throws -> Void
    ) throws -> SightingSummary {
        let name = url.lastPathComponent
        let file: RawFile
        do {
            file = try RawFile(path: url.path, file: name)
        } catch {
            throw SightingError.unreadable(file: name, reason: error.reason)
        }
        defer { file.close() }
        let chosen: SightingFeed
        if let feed {
            chosen = feed
        } else {
            var head = [UInt8](repeating: 0, count: 8192)
            let got = head.withUnsafeMutableBytes { pread(file.descriptor, $0.baseAddress, $0.count, 0) }
            guard got >= 0 else { throw SightingError.unreadable(file: name, reason: "read failed") }
            guard let detected = SightingFeed.detect(fileName: name, firstBytes: head.prefix(got)) else {
                throw SightingError.unknownFeed(file: name)
            }
            chosen = detected
        }
        return try run(
            feed: chosen, file: name, input: .file(file, chunkSize: chunkSize), batchSize: batchSize, onBatch: onBatch)
    }

    /// The name used in issues and evidence: the last path component.
    static func displayName(_ fileName: String) -> String {
        fileName.split(separator: "/").last.map(String.init) ?? fileName
    }

    /// Where the bytes come from.
    private enum Input {
        case file(RawFile, chunkSize: Int)
        case memory([UInt8])

        /// How many sightings to reserve room for: a batch (at most 64 Ki), but for bytes in
        /// memory no more than they can hold (a record is longer than 16 bytes), so that a small
        /// attachment does not reserve room for 64 Ki sightings (megabytes) per parse.
        func capacityHint(batchSize: Int) -> Int {
            let batch = max(0, min(batchSize, 1 << 16))
            switch self {
            case .file: return batch
            case .memory(let bytes): return min(batch, bytes.count / 16 + 1)
            }
        }

        /// Hands all bytes to `consume(bytes, atEOF, full)`, calling `afterChunk` after each call.
        func drive(consume: (Bytes, Bool, Bool) throws -> Int, afterChunk: () throws -> Void) throws {
            switch self {
            case .file(let file, let chunkSize):
                do {
                    try ChunkLoop.run(
                        file, chunkSize: chunkSize, maximumRecordLength: SightingReader.maximumRecordLength, consume: consume,
                        afterChunk: afterChunk)
                } catch let error as FileReadError {
                    throw SightingError.unreadable(file: error.file, reason: error.reason)
                }
            case .memory(let bytes):
                try bytes.withUnsafeBufferPointer { _ = try consume($0, true, true) }
                try afterChunk()
            }
        }
    }

    private func run(
        feed: SightingFeed, file: String, input: Input, batchSize: Int, onBatch: ([Sighting]) throws -> Void
    ) throws -> SightingSummary {
        switch feed {
        case .cowrie:
            return try runLines(CowrieParser(file: file), file: file, input: input, batchSize: batchSize, onBatch: onBatch)
        case .dionaea:
            return try runLines(DionaeaParser(file: file), file: file, input: input, batchSize: batchSize, onBatch: onBatch)
        case .shadowserver(let report):
            let m = try mappings ?? ShadowserverMappings.bundled()
            if let report, m.report(named: report) == nil { throw SightingError.unknownReportType(file: file, type: report) }
            let parser = ShadowserverParser(file: file, mappings: m, report: report)
            return try runCSV(parser, file: file, input: input, batchSize: batchSize, onBatch: onBatch)
        case .cncTakedown(let layout):
            try layout.validate()
            switch layout.format {
            case .csv:
                return try runCSV(
                    CnCCSVParser(file: file, layout: layout), file: file, input: input, batchSize: batchSize, onBatch: onBatch)
            case .jsonLines:
                return try runLines(
                    CnCJSONParser(file: file, layout: layout), file: file, input: input, batchSize: batchSize, onBatch: onBatch)
            }
        case .iotReport:
            return try runCSV(IoTReportParser(file: file), file: file, input: input, batchSize: batchSize, onBatch: onBatch)
        }
    }

    private func runLines<P: LineRecordParser>(
        _ initial: P, file: String, input: Input, batchSize: Int, onBatch: ([Sighting]) throws -> Void
    ) throws -> SightingSummary {
        var parser = initial
        var framer = LineRecordFramer()
        var out = SightingOutput(feed: parser.feedName, file: file, issueLimit: issueLimit)
        out.sightings.reserveCapacity(input.capacityHint(batchSize: batchSize))
        try input.drive(
            consume: { bytes, atEOF, full in framer.consume(bytes, atEOF: atEOF, full: full, parser: &parser, into: &out) },
            afterChunk: { try Self.handOver(&out, batchSize: batchSize, force: false, onBatch) })
        try Self.handOver(&out, batchSize: batchSize, force: true, onBatch)
        out.summary.feed = parser.feedName
        return out.summary
    }

    private func runCSV<P: CSVRecordParser>(
        _ initial: P, file: String, input: Input, batchSize: Int, onBatch: ([Sighting]) throws -> Void
    ) throws -> SightingSummary {
        var parser = initial
        var framer = CSVFramer()
        defer { framer.deallocate() }
        var out = SightingOutput(feed: parser.feedName, file: file, issueLimit: issueLimit)
        out.sightings.reserveCapacity(input.capacityHint(batchSize: batchSize))
        try input.drive(
            consume: { bytes, atEOF, full in try framer.consume(bytes, atEOF: atEOF, full: full, parser: &parser, into: &out) },
            afterChunk: { try Self.handOver(&out, batchSize: batchSize, force: false, onBatch) })
        if parser.expectsHeader { throw SightingError.badHeader(file: file, reason: "no header row") }
        try Self.handOver(&out, batchSize: batchSize, force: true, onBatch)
        out.summary.feed = parser.feedName
        return out.summary
    }

    private static func handOver(
        _ out: inout SightingOutput, batchSize: Int, force: Bool, _ onBatch: ([Sighting]) throws -> Void
    ) throws {
        guard !out.sightings.isEmpty, force || out.sightings.count >= batchSize else { return }
        try onBatch(out.sightings)
        out.sightings.removeAll(keepingCapacity: true)
    }
}
