/// One SMTP reply (RFC 5321 §4.2): a three-digit code and one or more lines of text.
///
/// A multi-line reply (`250-smtp.example`, `250-PIPELINING`, `250 SMTPUTF8`) is one value whose
/// ``lines`` are the texts after the code and separator.
public struct SMTPReply: Sendable, Hashable, CustomStringConvertible {
    /// The reply code, 200–599.
    public var code: Int
    /// The text of each line, without the code, the `-`/space separator and the CRLF.
    public var lines: [String]

    /// Creates a reply.
    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines.isEmpty ? [""] : lines
    }

    /// 2xx: the command succeeded.
    public var isPositiveCompletion: Bool { (200..<300).contains(code) }
    /// 3xx: the server waits for more (`354` after `DATA`, `334` during `AUTH`).
    public var isPositiveIntermediate: Bool { (300..<400).contains(code) }
    /// 4xx: a transient failure; the same command may succeed later.
    public var isTransientNegative: Bool { (400..<500).contains(code) }
    /// 5xx: a permanent failure.
    public var isPermanentNegative: Bool { (500..<600).contains(code) }

    /// The RFC 3463 enhanced status code of the first line (`2.0.0`, `5.1.1`), if it has one.
    public var enhancedStatusCode: String? {
        guard let first = lines.first,
            let token = first.split(separator: " ", maxSplits: 1).first
        else { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let klass = parts[0].first, "245".contains(klass), parts[0].count == 1,
            parts.dropFirst().allSatisfy({
                (1...3).contains($0.count) && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber)
            })
        else { return nil }
        return String(token)
    }

    /// The reply as the server wrote it: `250 2.0.0 Ok: queued as ABC`; the lines of a
    /// multi-line reply are joined by a newline (`250-…`, `250 …`).
    public var description: String {
        lines.enumerated().map { index, line in
            let separator = index == lines.count - 1 ? " " : "-"
            return line.isEmpty && index == lines.count - 1 ? "\(code)" : "\(code)\(separator)\(line)"
        }.joined(separator: "\n")
    }
}

/// What a server said it supports in its `EHLO` reply.
struct SMTPExtensions: Sendable, Hashable {
    /// Extension keywords, upper-cased, with their parameters (`SIZE` → `["10240000"]`).
    var keywords: [String: [String]] = [:]

    init() {}

    init(ehloReply: SMTPReply) {
        for line in ehloReply.lines.dropFirst() {
            // `AUTH=LOGIN PLAIN` is an old Microsoft form of `AUTH LOGIN PLAIN`.
            let words = line.split(whereSeparator: { $0 == " " || $0 == "=" }).map(String.init)
            guard let keyword = words.first?.uppercased() else { continue }
            let parameters = words.dropFirst().map { $0.uppercased() }
            keywords[keyword, default: []].append(contentsOf: parameters)
        }
    }

    func supports(_ keyword: String) -> Bool { keywords[keyword] != nil }

    var supportsStartTLS: Bool { supports("STARTTLS") }

    /// The SASL mechanisms offered after `AUTH`, upper-cased.
    var authMechanisms: Set<String> { Set(keywords["AUTH"] ?? []) }

    /// `SIZE`: whether it is offered (a limit of 0 or none means no fixed limit).
    var supportsSize: Bool { supports("SIZE") }
}
