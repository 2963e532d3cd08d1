/// A `multipart/report` body (RFC 6522): the message's text body first (the human-readable
/// part), then the machine-readable parts, e.g. ARF's `message/feedback-report` (RFC 5965) and an
/// X-ARF JSON report.
///
/// ```swift
/// var message = MailMessage(from: from, to: [abuse], subject: "…", textBody: "…", messageID: id, date: now)
/// message.report = MailReport(type: "feedback-report", parts: [
///     MailReport.Part(contentType: "message/feedback-report", content: "Feedback-Type: other\r\n…"),
/// ])
/// ```
public struct MailReport: Sendable, Hashable {
    /// The `report-type` parameter, e.g. `feedback-report`.
    public var type: String
    /// The parts after the text body, in order.
    public var parts: [Part]

    public init(type: String, parts: [Part]) {
        self.type = type
        self.parts = parts
    }

    /// One machine-readable part: its media type, an optional file name (`Content-Disposition`),
    /// and its text (7-bit text is sent as is, other text as base64).
    public struct Part: Sendable, Hashable {
        public var contentType: String
        public var fileName: String?
        public var content: String

        public init(contentType: String, fileName: String? = nil, content: String) {
            self.contentType = contentType
            self.fileName = fileName
            self.content = content
        }
    }
}
