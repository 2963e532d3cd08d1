import Foundation

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
    public func makeParser(fileName: String, headerTimeZone: TimeZone = .gmt)
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
        let array = Array(bytes)
        array.withUnsafeBufferPointer { buffer in
            var splitter = LineSplitter()
            splitter.consume(buffer, parser: &parser, into: &result)
            splitter.finish(parser: &parser, into: &result)
        }
        return result
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
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw AttributionError.unreadable(file: name, reason: "cannot open")
        }
        defer { try? handle.close() }
        var first: Data
        do {
            first = try handle.read(upToCount: chunkSize) ?? Data()
        } catch {
            throw AttributionError.unreadable(file: name, reason: "read failed")
        }
        guard let format = format ?? AssignmentFormat.detect(firstBytes: first.prefix(4096)) else {
            throw AttributionError.unknownFormat(file: name)
        }
        switch format {
        case .radiusDetail:
            return try run(
                RadiusDetailParser(fileName: name, headerTimeZone: headerTimeZone), handle: handle, first: first,
                batchSize: batchSize, onBatch: onBatch)
        case .keaCSV:
            return try run(KeaLeaseParser(fileName: name), handle: handle, first: first, batchSize: batchSize, onBatch: onBatch)
        case .dhcpdLeases:
            return try run(DhcpdLeasesParser(fileName: name), handle: handle, first: first, batchSize: batchSize, onBatch: onBatch)
        case .cgnCSV:
            return try run(CGNPortBlockParser(fileName: name), handle: handle, first: first, batchSize: batchSize, onBatch: onBatch)
        }
    }

    private static let chunkSize = 1 << 20

    private static func run<P: AssignmentParser>(
        _ initial: P, handle: FileHandle, first: Data, batchSize: Int, onBatch: (ParseResult) throws -> Void
    ) throws -> ParseSummary {
        var parser = initial
        let name = parser.fileName
        var result = ParseResult(issueLimit: Int.max)
        var splitter = LineSplitter()
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

        var chunk = first
        while !chunk.isEmpty {
            chunk.withUnsafeBytes { raw in
                splitter.consume(raw.bindMemory(to: UInt8.self), parser: &parser, into: &result)
            }
            try handOver(force: false)
            do {
                chunk = try handle.read(upToCount: chunkSize) ?? Data()
            } catch {
                throw AttributionError.unreadable(file: name, reason: "read failed")
            }
        }
        splitter.finish(parser: &parser, into: &result)
        try handOver(force: true)
        return ParseSummary(
            format: parser.format, recordsSeen: result.recordsSeen, recordsSkipped: result.recordsSkipped,
            events: events, issues: issues)
    }
}

/// Splits a byte stream into lines across chunk boundaries.
struct LineSplitter {
    private var carry: [UInt8] = []
    private var lineNumber = 0
    private var overlong = false
    private var started = false

    mutating func consume<P: AssignmentParser>(_ buffer: Bytes, parser: inout P, into result: inout ParseResult) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        var start = 0
        if !started {
            started = true
            if buffer.count >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { start = 3 }  // BOM
        }
        let n = buffer.count
        while start < n {
            let found = memchr(base + start, Int32(ASCII.newline), n - start)
            guard let nl = found.map({ UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self) - base }) else {
                // Partial line: keep it for the next chunk.
                if !overlong {
                    carry.append(contentsOf: buffer.sub(start..<n))
                    if carry.count > AssignmentReader.maximumLineLength { overlong = true }
                }
                return
            }
            lineNumber += 1
            if overlong || (!carry.isEmpty && carry.count + (nl - start) > AssignmentReader.maximumLineLength) {
                reportOverlong(parser: parser, into: &result)
            } else if carry.isEmpty {
                parser.feed(line: buffer.sub(start..<nl).withoutCR, number: lineNumber, into: &result)
            } else {
                carry.append(contentsOf: buffer.sub(start..<nl))
                carry.withUnsafeBufferPointer { parser.feed(line: $0.withoutCR, number: lineNumber, into: &result) }
            }
            if !carry.isEmpty { carry.removeAll(keepingCapacity: true) }
            overlong = false
            start = nl + 1
        }
    }

    mutating func finish<P: AssignmentParser>(parser: inout P, into result: inout ParseResult) {
        if overlong {
            lineNumber += 1
            reportOverlong(parser: parser, into: &result)
        } else if !carry.isEmpty {
            lineNumber += 1  // last line without a newline
            carry.withUnsafeBufferPointer { parser.feed(line: $0.withoutCR, number: lineNumber, into: &result) }
        }
        carry.removeAll()
        overlong = false
        parser.finish(into: &result)
    }

    private func reportOverlong<P: AssignmentParser>(parser: P, into result: inout ParseResult) {
        result.report(file: parser.fileName, line: lineNumber, "line longer than \(AssignmentReader.maximumLineLength) bytes, skipped")
    }
}

