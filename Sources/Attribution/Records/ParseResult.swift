public import TextScanning

/// A record an AAA parser could not use (`file:line: reason`, the reason naming the field,
/// never the record's content): the one issue type of ``TextScanning``.
public typealias AttributionParseIssue = RecordIssue

/// What a parser produced from a file or a stream of lines.
///
/// Every record is accounted for: `recordsSeen` = records that became events +
/// `recordsSkipped` (well-formed but not about an assignment, such as RADIUS
/// `Accounting-On`) + records reported in `issues`. (Stray lines outside any record can
/// add issues without adding records.)
public struct ParseResult: Sendable {
    /// The events, in file order.
    public var events: [AssignmentEvent] = []
    /// Problems, in file order (at most `issueLimit` kept; the rest only counted).
    public var issues: [AttributionParseIssue] = []
    /// Issues beyond `issueLimit`, counted but not kept.
    public var issuesSuppressed: Int = 0
    /// How many issues to keep before counting only.
    public var issueLimit: Int
    /// Records seen (RADIUS records, CSV rows, dhcpd lease blocks), good or bad.
    public var recordsSeen: Int = 0
    /// Well-formed records that carry no assignment and were skipped on purpose.
    public var recordsSkipped: Int = 0

    /// An empty result keeping at most `issueLimit` issues.
    public init(issueLimit: Int = 10_000) {
        self.issueLimit = issueLimit
    }

    /// The total number of issues, kept or suppressed.
    public var issueCount: Int { issues.count + issuesSuppressed }

    /// Records an issue (or counts it when the limit is reached).
    public mutating func report(_ issue: AttributionParseIssue) {
        if issues.count < issueLimit { issues.append(issue) } else { issuesSuppressed += 1 }
    }

    /// Records an issue at `file:line`.
    public mutating func report(file: String, line: Int, _ reason: String) {
        report(AttributionParseIssue(file: file, line: line, reason: reason))
    }
}

/// Counts of a whole streamed parse (see ``AssignmentReader/stream(contentsOf:format:headerTimeZone:batchSize:onBatch:)``).
public struct ParseSummary: Sendable, Hashable {
    /// The format parsed.
    public var format: AssignmentFormat
    /// Records seen, good or bad.
    public var recordsSeen: Int
    /// Records skipped on purpose (no assignment in them).
    public var recordsSkipped: Int
    /// Events produced.
    public var events: Int
    /// Issues reported.
    public var issues: Int
}

/// Failures that stop a whole file (a bad record never does: it becomes an issue).
public enum AttributionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file could not be opened or read.
    case unreadable(file: String, reason: String)
    /// The format could not be recognised from the file's first bytes.
    case unknownFormat(file: String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): "\(file): cannot read (\(reason))"
        case .unknownFormat(let file): "\(file): unknown assignment-record format (name it explicitly)"
        }
    }
}
