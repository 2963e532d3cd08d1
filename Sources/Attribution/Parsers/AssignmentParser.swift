public import Foundation
import TextScanning

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A streaming, line-by-line parser of one assignment-record format.
///
/// Feed it every line of a file in order (without the line terminator; a trailing CR is
/// ignored), then call ``finish(into:)`` once. Completed events and issues are appended
/// to the ``ParseResult`` passed in, so a caller can drain it between lines (the
/// ``AssignmentReader`` does, per batch) and a file never sits in memory whole. A parser
/// never traps on bad input: a bad record becomes an ``AttributionParseIssue`` and the
/// parser continues with the next record.
public protocol AssignmentParser {
    /// The format this parser reads.
    var format: AssignmentFormat { get }
    /// The file name used in issues.
    var fileName: String { get }
    /// Feeds one line (its UTF-8 bytes, valid only during the call). `number` is 1-based.
    mutating func feed(line: UnsafeBufferPointer<UInt8>, number: Int, into result: inout ParseResult)
    /// Ends the input: completes or reports a record left open.
    mutating func finish(into result: inout ParseResult)
}

extension AssignmentParser {
    /// Feeds one line given as text.
    public mutating func feed(line: some StringProtocol, number: Int, into result: inout ParseResult) {
        var s = String(line)
        s.withUTF8 { feed(line: $0, number: number, into: &result) }
    }
}

extension AssignmentFormat {
    /// A fresh parser for this format. `fileName` is used in issues; `headerTimeZone` only
    /// by ``RadiusDetailParser`` (see there).
    public func makeParser(
        fileName: String, headerTimeZone: TimeZone = .gmt
    )
        -> any AssignmentParser
    {
        switch self {
        case .radiusDetail: RadiusDetailParser(fileName: fileName, headerTimeZone: headerTimeZone)
        case .keaCSV: KeaLeaseParser(fileName: fileName)
        case .dhcpdLeases: DhcpdLeasesParser(fileName: fileName)
        case .cgnCSV: CGNPortBlockParser(fileName: fileName)
        }
    }
}

/// Reads assignment-record files: detects the format, splits lines over UTF-8 bytes and
/// drives the right ``AssignmentParser``.
///
/// Files are read in chunks (1 MiB by default); only the current chunk, one partial line
/// and the events not yet handed over are in memory. ``parse(contentsOf:format:headerTimeZone:)``
/// collects all events (convenient for small files and tests);
/// ``stream(contentsOf:format:headerTimeZone:batchSize:onBatch:)`` hands them over in
/// batches for files of millions of records. A line longer than 1 MiB is reported and skipped.
public enum AssignmentReader {
    /// The longest line accepted, in bytes.
    public static let maximumLineLength = 1 << 20

    /// Parses a whole file into one result. The format is detected when nil.
    /// Issues name the file by its last path component.
    public static func parse(
        contentsOf url: URL, format: AssignmentFormat? = nil,
        headerTimeZone: TimeZone = .gmt
    ) throws(AttributionError) -> ParseResult {
        var all = ParseResult()
        var kept = ParseResult()
        let summary: ParseSummary
        do {
            summary = try stream(contentsOf: url, format: format, headerTimeZone: headerTimeZone, batchSize: 1 << 16) {
                batch in
                all.events.append(contentsOf: batch.events)
                for issue in batch.issues { kept.report(issue) }
                kept.issuesSuppressed += batch.issuesSuppressed
            }
        } catch let error as AttributionError {
            throw error
        } catch {
            throw .unreadable(file: url.lastPathComponent, reason: "unexpected failure")  // the handler above never throws
        }
        all.issues = kept.issues
        all.issuesSuppressed = kept.issuesSuppressed
        all.recordsSeen = summary.recordsSeen
        all.recordsSkipped = summary.recordsSkipped
        return all
    }

    /// Parses bytes already in memory (`fileName` is used in issues).
    public static func parse(
        bytes: some Collection<UInt8>, fileName: String, format: AssignmentFormat? = nil,
        headerTimeZone: TimeZone = .gmt
    ) throws(AttributionError) -> ParseResult {
        guard let format = format ?? AssignmentFormat.detect(firstBytes: bytes.prefix(4096)) else {
            throw .unknownFormat(file: fileName)
        }
        var parser = format.makeParser(fileName: fileName, headerTimeZone: headerTimeZone)
        var result = ParseResult()
        var array = Array(bytes)
        if array.starts(with: [0xEF, 0xBB, 0xBF]) { array.removeFirst(3) }  // BOM
        array.withUnsafeBufferPointer { buffer in
            var framer = LineFramer(maximumLength: maximumLineLength)
            _ = frame(buffer, atEOF: true, full: true, framer: &framer, parser: &parser, into: &result)
            parser.finish(into: &result)
        }
        return result
    }

    /// Feeds the whole lines of `bytes` to `parser`; returns how many bytes were consumed.
    @inline(__always)
    static func frame<P: AssignmentParser>(
        _ bytes: Bytes, atEOF: Bool, full: Bool, framer: inout LineFramer, parser: inout P, into result: inout ParseResult
    ) -> Int {
        framer.consume(
            bytes, atEOF: atEOF, full: full, line: { parser.feed(line: $0, number: $1, into: &result) },
            overlong: { reportOverlong(file: parser.fileName, line: $0, into: &result) })
    }

    static func reportOverlong(file: String, line: Int, into result: inout ParseResult) {
        result.report(file: file, line: line, "line longer than \(maximumLineLength) bytes, skipped")
    }

    /// Parses a file in chunks, handing events and issues over in batches of about
    /// `batchSize` events (and at the end). Returns the counts of the whole file.
    ///
    /// Throws ``AttributionError`` when the file cannot be opened, read or recognised, and
    /// rethrows unchanged whatever `onBatch` throws (parsing stops there).
    public static func stream(
        contentsOf url: URL, format: AssignmentFormat? = nil,
        headerTimeZone: TimeZone = .gmt, batchSize: Int = 1 << 16,
        onBatch: (ParseResult) throws -> Void
    ) throws -> ParseSummary {
        let name = url.lastPathComponent
        let file: RawFile
        do {
            file = try RawFile(path: url.path, file: name)
        } catch {
            throw AttributionError.unreadable(file: name, reason: error.reason)
        }
        defer { file.close() }
        var head = [UInt8](repeating: 0, count: 4096)
        let got = head.withUnsafeMutableBytes { pread(file.descriptor, $0.baseAddress, $0.count, 0) }
        guard got >= 0 else { throw AttributionError.unreadable(file: name, reason: "read failed") }
        var first = head.prefix(got)
        if first.starts(with: [0xEF, 0xBB, 0xBF]) { first = first.dropFirst(3) }
        guard let format = format ?? AssignmentFormat.detect(firstBytes: first) else {
            throw AttributionError.unknownFormat(file: name)
        }
        switch format {
        case .radiusDetail:
            return try run(
                RadiusDetailParser(fileName: name, headerTimeZone: headerTimeZone), file: file, batchSize: batchSize, onBatch: onBatch)
        case .keaCSV:
            return try run(KeaLeaseParser(fileName: name), file: file, batchSize: batchSize, onBatch: onBatch)
        case .dhcpdLeases:
            return try run(DhcpdLeasesParser(fileName: name), file: file, batchSize: batchSize, onBatch: onBatch)
        case .cgnCSV:
            return try run(CGNPortBlockParser(fileName: name), file: file, batchSize: batchSize, onBatch: onBatch)
        }
    }

    private static let chunkSize = 1 << 20

    private static func run<P: AssignmentParser>(
        _ initial: P, file: RawFile, batchSize: Int, onBatch: (ParseResult) throws -> Void
    ) throws -> ParseSummary {
        var parser = initial
        let name = parser.fileName
        var result = ParseResult(issueLimit: Int.max)
        var framer = LineFramer(maximumLength: maximumLineLength)
        var events = 0
        var issues = 0

        func handOver(force: Bool) throws {
            guard force || result.events.count >= batchSize || result.issues.count >= batchSize else { return }
            events += result.events.count
            issues += result.issueCount
            try onBatch(result)
            result.events.removeAll(keepingCapacity: true)
            result.issues.removeAll(keepingCapacity: true)
            result.issuesSuppressed = 0
        }

        do {
            // The closure captures the locals once a chunk; the lines are framed in `frame`,
            // where parser and result are inout parameters (no run-time exclusivity check a line).
            try ChunkLoop.run(
                file, chunkSize: chunkSize, maximumRecordLength: maximumLineLength,
                consume: { bytes, atEOF, full in frame(bytes, atEOF: atEOF, full: full, framer: &framer, parser: &parser, into: &result) },
                afterChunk: { try handOver(force: false) })
        } catch let error as FileReadError {
            throw AttributionError.unreadable(file: name, reason: error.reason)
        }
        parser.finish(into: &result)
        try handOver(force: true)
        return ParseSummary(
            format: parser.format, recordsSeen: result.recordsSeen, recordsSkipped: result.recordsSkipped,
            events: events, issues: issues)
    }
}
