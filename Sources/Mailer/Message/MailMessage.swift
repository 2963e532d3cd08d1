public import Foundation

/// One e-mail, rendered as RFC 5322 + MIME by ``rfc5322()``.
///
/// The rendering is 7-bit clean whatever the text: a non-ASCII `Subject` or display name is
/// written as RFC 2047 encoded-words (`=?UTF-8?B?…?=`, lines of at most 76 characters), a
/// non-ASCII body as `base64`, and an HTML alternative makes the message `multipart/alternative`.
/// Lines end in CRLF. The same message renders to the same bytes, so a retried delivery sends
/// exactly what the first attempt sent.
///
/// ```swift
/// let message = MailMessage(
///     from: try EmailAddress("abuse@isp.example", displayName: "ISP セキュリティ窓口"),
///     to: [try EmailAddress("taro@example.jp")],
///     subject: "【重要】お使いの機器がウイルスに感染している可能性があります",
///     textBody: "お客様の回線から…",
///     messageID: "<notice-123.abcd@mamori.isp.example>",
///     date: Date(),
///     extraHeaders: [("Auto-Submitted", "auto-generated"), ("Content-Language", "ja")])
/// let bytes = try message.rfc5322()
/// ```
public struct MailMessage: Sendable {
    /// The author, used for `From` and for the SMTP envelope sender (`MAIL FROM`).
    public var from: EmailAddress
    /// The recipients, used for `To` and for the SMTP envelope (`RCPT TO`, one each).
    public var to: [EmailAddress]
    /// The subject, any text; line breaks are refused.
    public var subject: String
    /// The plain-text body (UTF-8). Line breaks of any kind are sent as CRLF.
    public var textBody: String
    /// An optional HTML alternative; when given the message is `multipart/alternative`.
    public var htmlBody: String?
    /// The caller's stable `Message-ID`, `<left@right>` (the angle brackets are added when
    /// missing). Keep it the same across retries so a recipient's system can recognise a duplicate.
    public var messageID: String
    /// The `Date` header's instant.
    public var date: Date
    /// The zone the `Date` header is written in (default UTC; `Asia/Tokyo` writes `+0900`).
    public var timeZone: TimeZone
    /// Further header fields, in order, e.g. `("Auto-Submitted", "auto-generated")`,
    /// `("Content-Language", "ja")`, `("Reply-To", …)`. A non-ASCII value is written as
    /// encoded-words (treated as unstructured text). Names the renderer writes itself, and `Bcc`,
    /// are refused.
    public var extraHeaders: [(String, String)]
    /// When set, the message is a `multipart/report` (RFC 6522): ``textBody`` is its
    /// human-readable first part, these its further parts (``htmlBody`` is then not used).
    public var report: MailReport?

    /// Creates a message; nothing is validated until ``rfc5322()``.
    public init(
        from: EmailAddress,
        to: [EmailAddress],
        subject: String,
        textBody: String,
        htmlBody: String? = nil,
        messageID: String,
        date: Date,
        timeZone: TimeZone = .gmt,
        extraHeaders: [(String, String)] = []
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.textBody = textBody
        self.htmlBody = htmlBody
        self.messageID = messageID
        self.date = date
        self.timeZone = timeZone
        self.extraHeaders = extraHeaders
    }

    /// Header names written by ``rfc5322()`` itself (lower-cased), plus `bcc`.
    static let reservedHeaderNames: Set<String> = [
        "date", "from", "to", "subject", "message-id", "mime-version", "content-type",
        "content-transfer-encoding", "bcc",
    ]

    /// The message as RFC 5322 bytes: CRLF line endings, 7-bit clean, ready for SMTP `DATA`
    /// (the SMTP client dot-stuffs it; this output is not dot-stuffed).
    ///
    /// - Throws: ``MailMessageError`` when a header value carries CR/LF or another control
    ///   character (header injection), an extra header is reserved or badly named, the
    ///   `Message-ID` is malformed, there is no recipient, or a header cannot be folded.
    public func rfc5322() throws -> [UInt8] {
        guard !to.isEmpty else { throw MailMessageError.noRecipients }
        if subject.unicodeScalars.contains(where: HeaderText.isForbiddenControl) {
            throw MailMessageError.headerInjection(header: "Subject")
        }
        let messageID = try Self.normalizedMessageID(self.messageID)

        var headers: [String] = []
        headers.append(try HeaderText.fold(name: "Date", value: RFC5322Date.format(date, in: timeZone)))
        headers.append(try HeaderText.fold(name: "From", value: Self.mailbox(from)))
        headers.append(try HeaderText.fold(name: "To", value: to.map(Self.mailbox).joined(separator: ", ")))
        headers.append(
            try HeaderText.fold(name: "Subject", value: HeaderText.unstructured(subject, nameWidth: "Subject: ".count)))
        headers.append(try HeaderText.fold(name: "Message-ID", value: messageID))
        headers.append("MIME-Version: 1.0")
        for (name, value) in extraHeaders {
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }) else {
                throw MailMessageError.invalidHeaderName
            }
            guard !Self.reservedHeaderNames.contains(name.lowercased()) else {
                throw MailMessageError.reservedHeader(name: name)
            }
            guard !value.unicodeScalars.contains(where: HeaderText.isForbiddenControl) else {
                throw MailMessageError.headerInjection(header: name)
            }
            headers.append(
                try HeaderText.fold(name: name, value: HeaderText.unstructured(value, nameWidth: name.count + 2)))
        }

        var output: [UInt8] = []
        let text = BodyPart(text: textBody, subtype: "plain")
        if let report {
            guard report.type.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: "\"") }) else {
                throw MailMessageError.headerInjection(header: "Content-Type")
            }
            let parts = try [text] + report.parts.map { try BodyPart(report: $0) }
            let boundary = Self.boundary(for: messageID, avoiding: parts)
            headers.append("Content-Type: multipart/report; report-type=\(report.type);\r\n boundary=\"\(boundary)\"")
            for header in headers { output.append(contentsOf: Array(header.utf8) + [0x0D, 0x0A]) }
            output.append(contentsOf: [0x0D, 0x0A])
            for part in parts {
                output.append(contentsOf: Array("--\(boundary)\r\n".utf8))
                output.append(contentsOf: Array(part.headers.utf8))
                output.append(contentsOf: [0x0D, 0x0A])
                output.append(contentsOf: part.content)
                if !part.content.ends(with: [0x0D, 0x0A]) { output.append(contentsOf: [0x0D, 0x0A]) }
            }
            output.append(contentsOf: Array("--\(boundary)--\r\n".utf8))
        } else if let htmlBody {
            let html = BodyPart(text: htmlBody, subtype: "html")
            let boundary = Self.boundary(for: messageID, avoiding: [text, html])
            headers.append("Content-Type: multipart/alternative;\r\n boundary=\"\(boundary)\"")
            for header in headers { output.append(contentsOf: Array(header.utf8) + [0x0D, 0x0A]) }
            output.append(contentsOf: [0x0D, 0x0A])
            for part in [text, html] {
                output.append(contentsOf: Array("--\(boundary)\r\n".utf8))
                output.append(contentsOf: Array(part.headers.utf8))
                output.append(contentsOf: [0x0D, 0x0A])
                output.append(contentsOf: part.content)
                output.append(contentsOf: [0x0D, 0x0A])
            }
            output.append(contentsOf: Array("--\(boundary)--\r\n".utf8))
        } else {
            for header in headers { output.append(contentsOf: Array(header.utf8) + [0x0D, 0x0A]) }
            output.append(contentsOf: Array(text.headers.utf8))
            output.append(contentsOf: [0x0D, 0x0A])
            output.append(contentsOf: text.content)
            if !output.ends(with: [0x0D, 0x0A]) { output.append(contentsOf: [0x0D, 0x0A]) }
        }
        return output
    }

    // MARK: - Pieces

    static func mailbox(_ address: EmailAddress) -> String {
        guard let name = address.displayName else { return address.addrSpec }
        return HeaderText.phrase(name) + " <" + address.addrSpec + ">"
    }

    static func normalizedMessageID(_ id: String) throws -> String {
        var inner = Substring(id)
        if inner.first == "<", inner.last == ">" { inner = inner.dropFirst().dropLast() }
        guard let at = inner.lastIndex(of: "@") else { throw MailMessageError.invalidMessageID }
        let left = inner[..<at]
        let right = inner[inner.index(after: at)...]
        let rightOK =
            EmailAddress.isDotAtom(right)
            || (right.first == "[" && right.last == "]"
                && right.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") })
        guard EmailAddress.isDotAtom(left), rightOK, inner.utf8.count <= 900 else {
            throw MailMessageError.invalidMessageID
        }
        return "<" + inner + ">"
    }

    /// A boundary derived from the Message-ID (so rendering is deterministic) that occurs in no
    /// part. `=_` cannot occur in base64, and 7-bit parts are checked.
    static func boundary(for messageID: String, avoiding parts: [BodyPart]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in messageID.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        var candidate = "=_mamori_" + String(repeating: "0", count: 16 - hex.count) + hex
        var counter = 0
        while parts.contains(where: { $0.content.contains(subsequence: Array(candidate.utf8)) }) {
            counter += 1
            candidate = "=_mamori_\(hex)_\(counter)"
        }
        return candidate
    }
}

/// One `text/*` body: its MIME headers (each line ended by CRLF) and its encoded content.
struct BodyPart {
    let headers: String
    let content: [UInt8]

    /// A report part: 7-bit text as is (CRLF line breaks), anything else as base64.
    init(report part: MailReport.Part) throws {
        let type = part.contentType
        guard !type.isEmpty, type.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            throw MailMessageError.headerInjection(header: "Content-Type")
        }
        var headers = "Content-Type: \(type)\r\n"
        if let name = part.fileName {
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) else {
                throw MailMessageError.headerInjection(header: "Content-Disposition")
            }
            headers += "Content-Disposition: inline; filename=\"\(name)\"\r\n"
        }
        let canonical = Self.canonicalLineBreaks(part.content)
        if Self.isSevenBitSafe(canonical) {
            self.headers = headers + "Content-Transfer-Encoding: 7bit\r\n"
            self.content = canonical
        } else {
            self.headers = headers + "Content-Transfer-Encoding: base64\r\n"
            var encoded = Base64.mimeBody(canonical)
            if encoded.ends(with: [0x0D, 0x0A]) { encoded.removeLast(2) }
            self.content = encoded
        }
    }

    init(text: String, subtype: String) {
        let canonical = Self.canonicalLineBreaks(text)
        if Self.isSevenBitSafe(canonical) {
            headers = "Content-Type: text/\(subtype); charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n"
            content = canonical
        } else {
            headers = "Content-Type: text/\(subtype); charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n"
            var encoded = Base64.mimeBody(canonical)
            if encoded.ends(with: [0x0D, 0x0A]) { encoded.removeLast(2) }
            content = encoded
        }
    }

    /// CRLF, lone CR and lone LF all become CRLF (RFC 2045's canonical form of text).
    static func canonicalLineBreaks(_ text: String) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + text.utf8.count / 40)
        var previousWasCR = false
        for byte in text.utf8 {
            switch byte {
            case 0x0D:
                output.append(contentsOf: [0x0D, 0x0A])
                previousWasCR = true
            case 0x0A:
                if !previousWasCR { output.append(contentsOf: [0x0D, 0x0A]) }
                previousWasCR = false
            default:
                output.append(byte)
                previousWasCR = false
            }
        }
        return output
    }

    /// ASCII without NUL or stray controls, and no line longer than 998 octets.
    static func isSevenBitSafe(_ bytes: [UInt8]) -> Bool {
        var lineLength = 0
        for byte in bytes {
            switch byte {
            case 0x0A:
                lineLength = 0
                continue
            case 0x0D, 0x09, 0x20..<0x7F:
                break
            default:
                return false
            }
            lineLength += 1
            if lineLength > HeaderText.hardLineLimit + 1 { return false }
        }
        return true
    }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && self[(count - suffix.count)...].elementsEqual(suffix)
    }

    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        var start = 0
        while start + needle.count <= count {
            if self[start] == needle[0], self[start..<(start + needle.count)].elementsEqual(needle) { return true }
            start += 1
        }
        return false
    }
}
