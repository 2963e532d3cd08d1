/// A record a parser could not use: where it is and why, as `file:line: reason`.
///
/// Every parser of outside input (AAA records, sightings, directories) reports with this one
/// type. The reason names the field and the problem (`Framed-IP-Address: not an IP address`,
/// `src_ip: not an IP address`) and never repeats the record's content: user names, honeypot
/// passwords, commands or URLs must not leak into logs through parse errors.
public struct RecordIssue: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The file name as given to the parser (normally the last path component).
    public var file: String
    /// The 1-based line where the offending record starts.
    public var line: Int
    /// What is wrong, naming the field.
    public var reason: String

    /// Creates an issue.
    public init(file: String, line: Int, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    /// `file:line: reason`.
    public var description: String { "\(file):\(line): \(reason)" }
}
