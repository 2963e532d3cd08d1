public import Foundation
public import Secrecy

/// The state of a site-owner notice in the outbox (as for subscriber notices: queued, a
/// delivery under a lease, sent, or failed for good).
public enum SiteReportStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case queued, sending, sent, failed
}

/// A site-owner notice in the outbox.
public struct SiteReportRecord: Sendable, Hashable {
    public var id: Int64?
    public var list: String
    public var domain: String
    public var kind: ListKind
    public var recipient: String
    public var format: SiteReportFormat
    /// Stable, unique: `<site-report.UUID@DOMAIN>`, the same on every attempt.
    public var messageID: String
    public var subject: String
    public var text: String
    public var parts: [SiteOwnerReport.Part]
    public var status: SiteReportStatus
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var createdAt: Date
    public var sentAt: Date?

    public init(
        id: Int64? = nil, list: String, domain: String, kind: ListKind, recipient: String, format: SiteReportFormat, messageID: String,
        subject: String, text: String, parts: [SiteOwnerReport.Part], status: SiteReportStatus = .queued, attempts: Int = 0,
        nextAttemptAt: Date, lastError: String? = nil, createdAt: Date, sentAt: Date? = nil
    ) {
        self.id = id
        self.list = list
        self.domain = domain
        self.kind = kind
        self.recipient = recipient
        self.format = format
        self.messageID = messageID
        self.subject = subject
        self.text = text
        self.parts = parts
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.createdAt = createdAt
        self.sentAt = sentAt
    }

    /// The record of a composed notice, due at once.
    public init(_ report: SiteOwnerReport, mailDomain: String) {
        self.init(
            list: report.site.list, domain: report.site.domain, kind: report.site.kind, recipient: report.recipient, format: report.format,
            messageID: "<site-report.\(report.reportID.uuidString.lowercased())@\(mailDomain)>", subject: report.subject,
            text: report.text, parts: report.parts, nextAttemptAt: report.createdAt, createdAt: report.createdAt)
    }
}

/// Where site-owner notices wait to be sent: one notice per listed name and recipient (a
/// relisting does not send it again), claimed under a lease as subscriber notices are.
/// `StoreSQLite` and `StorePostgres` implement it.
public protocol SiteReportStore: Sendable {
    /// Queues the notice with its audit entry, in one transaction, unless one for the same
    /// name and recipient is already there; returns whether it was queued.
    func enqueue(_ report: SiteReportRecord, audit: AuditEntry) async throws -> Bool
    /// Claims the oldest due notice (queued and due by `dueBy`, or `sending` with an expired lease).
    func claimReport(owner: String, dueBy: Date, now: Date, lease: TimeInterval) async throws -> SiteReportRecord?
    /// Marks a claimed notice sent (with the relay's reply and an audit entry); false when the lease was lost.
    func markReportSent(_ id: Int64, owner: String, at: Date, reply: String, audit: AuditEntry) async throws -> Bool
    func markReportRetry(_ id: Int64, owner: String, next: Date, error: String) async throws
    func markReportFailed(_ id: Int64, owner: String, error: String, audit: AuditEntry) async throws
    /// Every notice, oldest first.
    func siteReports() async throws -> [SiteReportRecord]
}
