public import Foundation
public import Remediation
import Secrecy
public import SiteWarning

/// What queuing site-owner notices for a list did.
public struct SiteReportPlan: Sendable, Hashable {
    /// Notices queued now.
    public var queued = 0
    /// Names already reported to that recipient (one notice per name and recipient, ever).
    public var alreadyQueued = 0
    /// Names with no contact (none in the feed, none configured): nothing sent.
    public var noContact = 0
    /// Names whose contact or name could not be used (reasons in ``problems``).
    public var refused = 0
    public var problems: [String] = []

    public init() {}
}

/// Site-owner notices (ACTIVE ①-③, `site-owner-notice`): composed as ARF or X-ARF for each
/// listed site with a contact, queued in the store's site-report outbox (audited), and
/// delivered through the same transport as subscriber notices, with the same retries.
///
/// Only the site's name, the list's provenance and the contact go into a notice: nothing about
/// subscribers or their lookups (the guard keeps no per-line query log to take it from).
public struct SiteReportOutbox: Sendable {
    public let store: any SiteReportStore
    public let reporter: SiteReporter
    public let mailDomain: String
    public let noticePolicy: NoticePolicy
    public let actor: String
    public let owner: String
    public let lease: TimeInterval

    public init(
        store: any SiteReportStore, reporter: SiteReporter, mailDomain: String, noticePolicy: NoticePolicy = NoticePolicy(), actor: String,
        owner: String? = nil, lease: TimeInterval = 300
    ) {
        self.store = store
        self.reporter = reporter
        self.mailDomain = mailDomain
        self.noticePolicy = noticePolicy
        self.actor = actor
        self.owner = owner ?? "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):site-reports"
        self.lease = max(1, lease)
    }

    /// Queues a notice for every site of the list `name` in `blocklist`: to the contact its feed
    /// gives, else to `contact` (the configured abuse address for the list), in `format`.
    public func enqueue(
        list name: String, of blocklist: Blocklist, contact: String?, format: SiteReportFormat, now: Date = Date()
    ) async throws -> SiteReportPlan {
        var plan = SiteReportPlan()
        for site in ListedSite.sites(of: blocklist, list: name) {
            guard let recipient = site.feedContact ?? contact else {
                plan.noContact += 1
                continue
            }
            let report: SiteOwnerReport
            do {
                report = try SiteOwnerReport(site: site, recipient: recipient, reporter: reporter, format: format, reportID: UUID(), now: now)
            } catch {
                plan.refused += 1
                if plan.problems.count < 20 { plan.problems.append("\(site.domain): \(error.description)") }
                continue
            }
            let record = SiteReportRecord(report, mailDomain: mailDomain)
            let queued = try await store.enqueue(record, audit: report.auditEntry(action: "notice-queued", actor: actor, time: now))
            if queued { plan.queued += 1 } else { plan.alreadyQueued += 1 }
        }
        return plan
    }

    /// Delivers the due notices through `transport`: each claimed under a lease, marked sent
    /// (audited) once the relay accepts it, retried with the notice policy's backoff, failed
    /// (audited) when permanent or out of attempts.
    public func deliver(transport: any NoticeTransport, now: @escaping @Sendable () -> Date = { Date() }) async throws -> DeliveryCounts {
        let dueBy = now()
        let (store, owner, lease, actor) = (store, owner, lease, actor)
        let delivery = LeasedDelivery<SiteReportRecord>(
            claim: { try await store.claimReport(owner: owner, dueBy: dueBy, now: now(), lease: lease) },
            row: { ($0.id, $0.attempts) },
            outgoing: { report in
                OutgoingNotice(
                    messageID: report.messageID, recipient: report.recipient, subject: report.subject, body: report.text, language: .ja,
                    date: report.createdAt,
                    report: OutgoingNotice.Report(
                        type: "feedback-report",
                        parts: report.parts.map {
                            OutgoingNotice.Report.Part(contentType: $0.contentType, fileName: $0.fileName, content: $0.content)
                        }),
                    contentLanguages: ["ja", "en"])
            },
            audit: { action, report, detail in Self.audit(action, report, actor: actor, time: now(), detail: detail) },
            markSent: { id, reply, audit in _ = try await store.markReportSent(id, owner: owner, at: now(), reply: reply, audit: audit) },
            markRetry: { id, next, error in try await store.markReportRetry(id, owner: owner, next: next, error: error) },
            markFailed: { id, error, audit in try await store.markReportFailed(id, owner: owner, error: error, audit: audit) })
        return try await delivery.run(transport: transport, policy: noticePolicy, now: now)
    }

    static func audit(_ action: String, _ report: SiteReportRecord, actor: String, time: Date, detail: [String: String]) -> AuditEntry {
        SiteOwnerReport.auditEntry(
            action: action, domain: report.domain, list: report.list, kind: report.kind, format: report.format, recipient: report.recipient,
            actor: actor, time: time, detail: detail)
    }
}
