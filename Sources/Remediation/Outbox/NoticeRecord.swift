public import Foundation
import Secrecy

/// The state of a notice in the durable outbox.
public enum NoticeStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Waiting to be sent (or to be retried at `nextAttemptAt`).
    case queued
    /// A delivery attempt started. After a crash a `sending` notice is sent again with the SAME
    /// Message-ID (the relay and the subscriber's mail client see one message id).
    case sending
    /// The relay accepted it (its reply is recorded).
    case sent
    /// Permanently refused, or out of attempts.
    case failed
}

/// One notice in the outbox.
///
/// `subject`/`body` hold the rendered mail until it is sent (the body holds the personal link);
/// the store clears the body once the notice is sent, keeping only its metadata.
public struct NoticeRecord: Sendable, Hashable {
    public var id: Int64?
    public var caseID: Int64
    public var subscriber: String
    public var recipient: String
    public var language: Language
    public var type: NoticeType
    public var kind: NoticeKind
    /// The case's notice number (1 for the first notice, then 2, 3… for reminders and notices
    /// after a reopening): the store holds one notice per case and round.
    public var round: Int
    /// Stable, unique: `<notice-CASE-N.RANDOM@DOMAIN>`; the same on every attempt.
    public var messageID: String
    public var subject: String
    public var body: String
    public var status: NoticeStatus
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var createdAt: Date
    public var sentAt: Date?

    public init(
        id: Int64? = nil, caseID: Int64, subscriber: String, recipient: String, language: Language, type: NoticeType,
        kind: NoticeKind, round: Int, messageID: String, subject: String, body: String, status: NoticeStatus = .queued, attempts: Int = 0,
        nextAttemptAt: Date, lastError: String? = nil, createdAt: Date, sentAt: Date? = nil
    ) {
        self.id = id
        self.caseID = caseID
        self.subscriber = subscriber
        self.recipient = recipient
        self.language = language
        self.type = type
        self.kind = kind
        self.round = round
        self.messageID = messageID
        self.subject = subject
        self.body = body
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.createdAt = createdAt
        self.sentAt = sentAt
    }
}

/// A notice ready for the wire.
public struct OutgoingNotice: Sendable, Hashable {
    public var messageID: String
    public var recipient: String
    public var subject: String
    public var body: String
    public var language: Language
    public var date: Date
    /// For an abuse report (ARF, X-ARF): the `multipart/report` type and the parts after the
    /// text body; nil for a subscriber notice.
    public var report: Report?
    /// The `Content-Language` values (default: the notice's language).
    public var contentLanguages: [String]

    public init(
        messageID: String, recipient: String, subject: String, body: String, language: Language, date: Date, report: Report? = nil,
        contentLanguages: [String]? = nil
    ) {
        self.messageID = messageID
        self.recipient = recipient
        self.subject = subject
        self.body = body
        self.language = language
        self.date = date
        self.report = report
        self.contentLanguages = contentLanguages ?? [language.rawValue]
    }

    /// A `multipart/report` (RFC 6522) body's type and machine-readable parts.
    public struct Report: Sendable, Hashable, Codable {
        public var type: String
        public var parts: [Part]

        public init(type: String, parts: [Part]) {
            self.type = type
            self.parts = parts
        }

        public struct Part: Sendable, Hashable, Codable {
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
}

/// A delivery failure a transport reports; `isPermanent` decides bounce versus retry.
public protocol DeliveryFailure: Error {
    var isPermanent: Bool { get }
}

/// Sends notices: SMTP to the ISP's relay, or a folder of `.eml` files for `--dry-run`.
public protocol NoticeTransport: Sendable {
    /// Delivers one notice; returns the relay's reply (e.g. `250 2.0.0 Ok: queued as ABC`).
    func deliver(_ notice: OutgoingNotice) async throws -> String
}
