public import TextScanning

/// A record a sighting parser could not use (`file:line: reason`, the reason naming the
/// field, never the record's content): the one issue type of ``TextScanning``.
public typealias SightingParseIssue = RecordIssue

/// The counts of one parsed file, and its issues.
///
/// Every record is accounted for exactly once:
/// `recordsSeen == sightings + notInfected + ignored + rejected`.
/// A *record* is a JSON line or a CSV row (a header row is not a record; blank lines are
/// not records).
public struct SightingSummary: Sendable, Hashable {
    /// The feed as it appears in ``Sighting/feed`` (`shadowserver:event4_sinkhole_http`, `cowrie`, …).
    public var feed: String
    /// The file name (last path component).
    public var file: String
    /// Records seen, good or bad.
    public var recordsSeen: Int
    /// Sightings produced.
    public var sightings: Int
    /// Well-formed records that do not mean "this host is infected" (an open resolver, a
    /// vulnerable device, a DDoS reflection victim…): counted and dropped, their fields unread.
    public var notInfected: Int
    /// Well-formed records that are not sightings by design: honeypot events other than the
    /// session's connect, a repeated session, a Dionaea outbound connection.
    public var ignored: Int
    /// Records skipped because they are malformed (each one is an issue).
    public var rejected: Int
    /// The issues, in file order (at most the reader's `issueLimit`; the rest only counted).
    public var issues: [SightingParseIssue]
    /// Issues beyond the limit, counted but not kept.
    public var issuesSuppressed: Int

    /// Creates a summary.
    public init(
        feed: String, file: String, recordsSeen: Int = 0, sightings: Int = 0, notInfected: Int = 0, ignored: Int = 0,
        rejected: Int = 0, issues: [SightingParseIssue] = [], issuesSuppressed: Int = 0
    ) {
        self.feed = feed
        self.file = file
        self.recordsSeen = recordsSeen
        self.sightings = sightings
        self.notInfected = notInfected
        self.ignored = ignored
        self.rejected = rejected
        self.issues = issues
        self.issuesSuppressed = issuesSuppressed
    }

    /// The number of issues, kept or suppressed.
    public var issueCount: Int { issues.count + issuesSuppressed }
}

/// All sightings of a file and its summary (see ``SightingReader/parse(contentsOf:feed:)``).
public struct SightingParseResult: Sendable, Hashable {
    /// The sightings, in file order.
    public var sightings: [Sighting]
    /// The counts and issues.
    public var summary: SightingSummary

    /// Creates a result.
    public init(sightings: [Sighting], summary: SightingSummary) {
        self.sightings = sightings
        self.summary = summary
    }
}

/// Failures that stop a whole file or configuration. A bad record never does: it becomes a
/// ``SightingParseIssue`` and parsing goes on.
public enum SightingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file could not be opened or read.
    case unreadable(file: String, reason: String)
    /// The feed could not be recognised from the file name and first bytes.
    case unknownFeed(file: String)
    /// The Shadowserver report type is not in the mappings (add an entry; no code is needed).
    case unknownReportType(file: String, type: String)
    /// The Shadowserver report type could not be told from the file name or the header.
    case undetectableReportType(file: String, reason: String)
    /// The header lacks a column the mapping or layout needs.
    case missingColumn(file: String, role: String, candidates: [String])
    /// The file has no header row, or the header is malformed.
    case badHeader(file: String, reason: String)
    /// The Shadowserver mappings file is invalid; names the entry and the field.
    case invalidMappings(entry: String, field: String, reason: String)
    /// A C&C log layout is invalid.
    case invalidLayout(field: String, reason: String)
    /// A report e-mail or its attachment cannot be taken apart.
    case malformedMail(file: String, reason: String)

    /// The error as a sentence naming the place (never a record's content).
    public var description: String {
        switch self {
        case .unreadable(let file, let reason): "\(file): cannot read (\(reason))"
        case .unknownFeed(let file): "\(file): unknown sighting feed (name it explicitly)"
        case .unknownReportType(let file, let type):
            "\(file): Shadowserver report type \(type) is not in the mappings (add an entry to shadowserver-mappings.json)"
        case .undetectableReportType(let file, let reason):
            "\(file): cannot tell the Shadowserver report type (\(reason)); "
                + "name the file YYYY-MM-DD-<type>-….csv or give the type"
        case .missingColumn(let file, let role, let candidates):
            "\(file): header has no \(role) column (looked for \(candidates.joined(separator: ", ")))"
        case .badHeader(let file, let reason): "\(file): header: \(reason)"
        case .invalidMappings(let entry, let field, let reason): "shadowserver mappings: \(entry): \(field): \(reason)"
        case .invalidLayout(let field, let reason): "C&C log layout: \(field): \(reason)"
        case .malformedMail(let file, let reason): "\(file): report mail: \(reason)"
        }
    }
}
