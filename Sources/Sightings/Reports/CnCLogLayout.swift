import TextScanning

/// How a seized C&C server's connection log is laid out: which columns (CSV header names or
/// JSON keys) hold the client's address, port, time and malware family, and how the time is
/// written. Documented in `docs/formats/cnc-takedown.md`.
///
/// Only the named columns are ever read; every other column of the log (bot ids, commands,
/// stolen data the C&C kept) is stepped over unread.
///
/// ```swift
/// let layout = try CnCLogLayout(
///     format: .jsonLines, ipColumn: "client", portColumn: "cport", timeColumn: "seen",
///     timeFormat: .epochSeconds, family: "emotet")
/// let result = try SightingReader().parse(contentsOf: url, feed: .cncTakedown(layout))
/// ```
public struct CnCLogLayout: Sendable, Hashable, Codable {
    /// How records are written.
    public enum Format: String, Sendable, Hashable, Codable, CaseIterable {
        /// CSV (RFC 4180) with a header row naming the columns.
        case csv
        /// One JSON object per line; columns are top-level keys.
        case jsonLines = "json-lines"
    }

    /// How the time column is written.
    public enum TimeFormat: String, Sendable, Hashable, Codable, CaseIterable {
        /// RFC 3339 with a zone (`2026-11-27T10:00:00+09:00`, `…Z`); a zone-less time is refused.
        case rfc3339
        /// Seconds since 1970-01-01T00:00:00Z, optionally with a fraction (`1795741200.5`); in
        /// JSON, a number or a string of digits.
        case epochSeconds = "epoch-seconds"
    }

    /// The feed name of C&C takedown sightings.
    public static let feedName = "cnc-takedown"

    /// CSV `ip,port,time,family` with RFC 3339 times.
    public static let `default` = CnCLogLayout(
        uncheckedFormat: .csv, ipColumn: "ip", portColumn: "port", timeColumn: "time", familyColumn: "family",
        timeFormat: .rfc3339, family: nil)

    /// JSON lines with keys `ip`, `port`, `time`, `family` and RFC 3339 times.
    public static let defaultJSONLines = CnCLogLayout(
        uncheckedFormat: .jsonLines, ipColumn: "ip", portColumn: "port", timeColumn: "time", familyColumn: "family",
        timeFormat: .rfc3339, family: nil)

    /// CSV or JSON lines.
    public var format: Format
    /// The column with the client's (the infected host's) IP address. Required.
    public var ipColumn: String
    /// The column with the client's source port; nil when the log has none.
    public var portColumn: String?
    /// The column with the time of the contact. Required.
    public var timeColumn: String
    /// The column with the malware family; nil when the log has none.
    public var familyColumn: String?
    /// How the time is written.
    public var timeFormat: TimeFormat
    /// The family of the whole log (the takedown's botnet), used when `familyColumn` is nil or
    /// empty in a record; stored lower-case.
    public var family: String?

    /// A layout; throws when a column name is empty or named twice.
    public init(
        format: Format = .csv, ipColumn: String, portColumn: String? = nil, timeColumn: String,
        familyColumn: String? = nil, timeFormat: TimeFormat = .rfc3339, family: String? = nil
    ) throws(SightingError) {
        self.init(
            uncheckedFormat: format, ipColumn: ipColumn, portColumn: portColumn, timeColumn: timeColumn,
            familyColumn: familyColumn, timeFormat: timeFormat, family: family)
        try validate()
    }

    private init(
        uncheckedFormat format: Format, ipColumn: String, portColumn: String?, timeColumn: String, familyColumn: String?,
        timeFormat: TimeFormat, family: String?
    ) {
        self.format = format
        self.ipColumn = ipColumn
        self.portColumn = portColumn
        self.timeColumn = timeColumn
        self.familyColumn = familyColumn
        self.timeFormat = timeFormat
        let f = family?.trimmingSpaces.lowercased()
        self.family = f?.isEmpty == true ? nil : f
    }

    private enum CodingKeys: String, CodingKey {
        case format, ipColumn, portColumn, timeColumn, familyColumn, timeFormat, family
    }

    /// Decodes and validates a layout (the JSON keys are the property names).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            uncheckedFormat: try c.decodeIfPresent(Format.self, forKey: .format) ?? .csv,
            ipColumn: try c.decode(String.self, forKey: .ipColumn),
            portColumn: try c.decodeIfPresent(String.self, forKey: .portColumn),
            timeColumn: try c.decode(String.self, forKey: .timeColumn),
            familyColumn: try c.decodeIfPresent(String.self, forKey: .familyColumn),
            timeFormat: try c.decodeIfPresent(TimeFormat.self, forKey: .timeFormat) ?? .rfc3339,
            family: try c.decodeIfPresent(String.self, forKey: .family))
        do {
            try validate()
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    /// Checks the column names: non-empty, without commas, quotes or line breaks, all different.
    public func validate() throws(SightingError) {
        let named: [(String, String?)] = [
            ("ipColumn", ipColumn), ("portColumn", portColumn), ("timeColumn", timeColumn), ("familyColumn", familyColumn),
        ]
        var seen: Set<String> = []
        for (field, value) in named {
            guard let value else { continue }
            guard !value.isEmpty else { throw .invalidLayout(field: field, reason: "empty column name") }
            guard !value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
                throw .invalidLayout(field: field, reason: "column name with a comma, quote or line break")
            }
            guard seen.insert(value).inserted else {
                throw .invalidLayout(field: field, reason: "column named twice in the layout")
            }
        }
        if let family, family.utf8.count > FamilyNames.maximumLength {
            throw .invalidLayout(field: "family", reason: "longer than \(FamilyNames.maximumLength) bytes")
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }
}
