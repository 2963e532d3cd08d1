import TextScanning

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What one parse accumulates: the sightings not yet handed over, the counts and the issues.
struct SightingOutput {
    var sightings: [Sighting] = []
    var summary: SightingSummary
    let issueLimit: Int

    init(feed: String, file: String, issueLimit: Int) {
        self.summary = SightingSummary(feed: feed, file: file)
        self.issueLimit = issueLimit
    }

    @inline(__always) mutating func add(_ sighting: Sighting) {
        sightings.append(sighting)
        summary.sightings += 1
    }

    /// Counts a malformed record and reports why.
    mutating func reject(line: Int, _ reason: String) {
        summary.rejected += 1
        if summary.issues.count < issueLimit {
            summary.issues.append(SightingParseIssue(file: summary.file, line: line, reason: reason))
        } else {
            summary.issuesSuppressed += 1
        }
    }
}

/// A parser of one JSON (or text) record per line.
protocol LineRecordParser {
    /// The feed name for summaries.
    var feedName: String { get }
    /// One non-blank line (without its terminator), 1-based `number`. Counts the record.
    mutating func line(_ b: Bytes, number: Int, into out: inout SightingOutput)
}

/// What a CSV parser says about a row it was handed.
enum RowVerdict {
    /// Handled (a sighting, not-infected, ignored or rejected).
    case done
    /// Rejected, and the row looked like a swallowed line break (an unbalanced quote): read on
    /// from the line after the row's first line.
    case resync
}

/// A parser of CSV records with a header row.
protocol CSVRecordParser {
    /// The feed name for summaries (may be known only after the header).
    var feedName: String { get }
    /// Whether the next record is the header.
    var expectsHeader: Bool { get }
    /// The header record.
    mutating func header(_ row: CSVRow, line: Int) throws(SightingError)
    /// A data record starting at `line`, spanning `newlines` line breaks. Counts the record.
    mutating func row(_ row: CSVRow, line: Int, newlines: Int, into out: inout SightingOutput) -> RowVerdict
    /// The header name of a 1-based field, for issue reasons.
    func columnName(_ field: Int) -> String?
}

/// Feeds the lines of a byte stream to a ``LineRecordParser`` (framing by ``LineFramer``):
/// blank lines are not records; an overlong line is a rejected record.
struct LineRecordFramer {
    private var framer = LineFramer(maximumLength: SightingReader.maximumRecordLength)

    /// Consumes whole lines from `b`; returns how many bytes were consumed (the rest is an
    /// incomplete line to present again with more bytes).
    @inline(__always)
    mutating func consume<P: LineRecordParser>(
        _ b: Bytes, atEOF: Bool, full: Bool, parser: inout P, into out: inout SightingOutput
    ) -> Int {
        framer.consume(
            b, atEOF: atEOF, full: full,
            line: { line, number in
                guard line.contains(where: { !ASCII.isSpace($0) }) else { return }
                parser.line(line, number: number, into: &out)
            },
            overlong: { number in
                out.summary.recordsSeen += 1
                out.reject(line: number, "line longer than \(SightingReader.maximumRecordLength) bytes, skipped")
            })
    }
}

/// Splits a byte stream into CSV records across chunk boundaries and feeds a ``CSVRecordParser``.
struct CSVFramer {
    /// The line where the next record starts.
    private var nextLine = 1
    private var skipping = false
    private let fields: UnsafeMutableBufferPointer<CSVField>

    init() {
        fields = .allocate(capacity: CSVScanner.maximumFields)
        fields.initialize(repeating: CSVField(start: 0, end: 0, escapedQuote: false))
    }

    /// Frees the field table; the framer is unusable afterwards.
    func deallocate() { fields.deallocate() }

    mutating func consume<P: CSVRecordParser>(
        _ b: Bytes, atEOF: Bool, full: Bool, parser: inout P, into out: inout SightingOutput
    ) throws(SightingError) -> Int {
        let n = b.count
        var i = 0
        while i < n {
            if skipping {
                guard let nl = Self.newline(b, from: i) else { return n }
                skipping = false
                i = nl + 1
                continue
            }
            switch CSVScanner.record(b, from: i, atEOF: atEOF, fields: fields) {
            case .record(let next, let newlines, let count):
                if Self.isBlank(b, i, next) {
                    nextLine += newlines
                    i = next
                    continue
                }
                if next - i > SightingReader.maximumRecordLength {
                    let reason = "record longer than \(SightingReader.maximumRecordLength) bytes"
                    if parser.expectsHeader { throw SightingError.badHeader(file: out.summary.file, reason: reason) }
                    out.summary.recordsSeen += 1
                    out.reject(line: nextLine, reason + ", skipped")
                    nextLine += newlines
                    i = next
                    continue
                }
                let row = CSVRow(
                    bytes: b, fields: UnsafeBufferPointer(rebasing: fields[0..<min(count, fields.count)]), fieldCount: count)
                if parser.expectsHeader {
                    guard count < CSVScanner.maximumFields else {
                        let reason = "more than \(CSVScanner.maximumFields - 1) columns"
                        throw SightingError.badHeader(file: out.summary.file, reason: reason)
                    }
                    try parser.header(row, line: nextLine)
                } else if parser.row(row, line: nextLine, newlines: newlines, into: &out) == .resync,
                    newlines > 1, let nl = Self.newline(b, from: i)
                {
                    nextLine += 1
                    i = nl + 1
                    continue
                }
                nextLine += newlines
                i = next
            case .needMore:
                guard full && i == 0 else { return i }
                let reason = "record longer than \(SightingReader.maximumRecordLength) bytes"
                if parser.expectsHeader { throw SightingError.badHeader(file: out.summary.file, reason: reason) }
                out.summary.recordsSeen += 1
                out.reject(line: nextLine, reason + ", skipped")
                nextLine += 1
                guard let nl = Self.newline(b, from: i) else {
                    skipping = true
                    return n
                }
                i = nl + 1
            case .malformed(let field, let reason):
                let name = parser.columnName(field).map { "\($0): " } ?? "field \(field): "
                if parser.expectsHeader { throw SightingError.badHeader(file: out.summary.file, reason: name + reason) }
                guard let nl = Self.newline(b, from: i) else {
                    if !atEOF && !full { return i }
                    out.summary.recordsSeen += 1
                    out.reject(line: nextLine, name + reason)
                    nextLine += 1
                    if atEOF { return n }
                    skipping = true
                    return n
                }
                out.summary.recordsSeen += 1
                out.reject(line: nextLine, name + reason)
                nextLine += 1
                i = nl + 1
            }
        }
        return n
    }

    @inline(__always) private static func isBlank(_ b: Bytes, _ from: Int, _ to: Int) -> Bool {
        var i = from
        while i < to {
            let c = b[i]
            if c != ASCII.newline && c != ASCII.cr { return false }
            i += 1
        }
        return true
    }

    private static func newline(_ b: Bytes, from: Int) -> Int? {
        guard let base = b.baseAddress, from < b.count else { return nil }
        guard let p = memchr(base + from, Int32(ASCII.newline), b.count - from) else { return nil }
        return UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self) - base
    }
}
