public import Logging
import Metrics
public import Remediation
public import ServiceLifecycle

/// The outbox worker: every interval, queue the notices due and deliver them, then the queued
/// site-owner notices and mail owners' notices. Stops on graceful shutdown.
public struct OutboxWorker: Service {
    public let outbox: NoticeOutbox
    public let siteReports: SiteReportOutbox?
    public let mailNotices: MailNoticeOutbox?
    public let transport: any NoticeTransport
    public let interval: Duration
    public let logger: Logger

    public init(
        outbox: NoticeOutbox, siteReports: SiteReportOutbox? = nil, mailNotices: MailNoticeOutbox? = nil, transport: any NoticeTransport,
        interval: Duration, logger: Logger
    ) {
        self.outbox = outbox
        self.siteReports = siteReports
        self.mailNotices = mailNotices
        self.transport = transport
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let sent = Counter(label: "mamori_notice_deliveries_total", dimensions: [("outcome", "sent")])
        let deferred = Counter(label: "mamori_notice_deliveries_total", dimensions: [("outcome", "deferred")])
        let failed = Counter(label: "mamori_notice_deliveries_total", dimensions: [("outcome", "failed")])
        let queued = Counter(label: "mamori_notices_queued_total")
        let reportsSent = Counter(label: "mamori_site_report_deliveries_total", dimensions: [("outcome", "sent")])
        let reportsDeferred = Counter(label: "mamori_site_report_deliveries_total", dimensions: [("outcome", "deferred")])
        let reportsFailed = Counter(label: "mamori_site_report_deliveries_total", dimensions: [("outcome", "failed")])
        let mailSent = Counter(label: "mamori_mail_notice_deliveries_total", dimensions: [("outcome", "sent")])
        let mailDeferred = Counter(label: "mamori_mail_notice_deliveries_total", dimensions: [("outcome", "deferred")])
        let mailFailed = Counter(label: "mamori_mail_notice_deliveries_total", dimensions: [("outcome", "failed")])
        let runs = Counter(label: "mamori_outbox_runs_total", dimensions: [("outcome", "completed")])
        let failedRuns = Counter(label: "mamori_outbox_runs_total", dimensions: [("outcome", "failed")])
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let plan = try await outbox.planNotices()
                let delivery = try await outbox.deliver(transport: transport)
                sent.increment(by: delivery.sent)
                deferred.increment(by: delivery.retried)
                failed.increment(by: delivery.failed)
                queued.increment(by: plan.queued)
                runs.increment()
                logger.info(
                    "outbox run",
                    metadata: [
                        "queued": "\(plan.queued)", "sent": "\(delivery.sent)", "deferred": "\(delivery.retried)", "failed": "\(delivery.failed)",
                    ])
                if let siteReports {
                    let reports = try await siteReports.deliver(transport: transport)
                    reportsSent.increment(by: reports.sent)
                    reportsDeferred.increment(by: reports.retried)
                    reportsFailed.increment(by: reports.failed)
                    if reports.sent + reports.retried + reports.failed > 0 {
                        logger.info(
                            "site-owner notices",
                            metadata: ["sent": "\(reports.sent)", "deferred": "\(reports.retried)", "failed": "\(reports.failed)"])
                    }
                }
                if let mailNotices {
                    let notices = try await mailNotices.deliver(transport: transport)
                    mailSent.increment(by: notices.sent)
                    mailDeferred.increment(by: notices.retried)
                    mailFailed.increment(by: notices.failed)
                    if notices.sent + notices.retried + notices.failed > 0 {
                        logger.info(
                            "mail owners' notices",
                            metadata: ["sent": "\(notices.sent)", "deferred": "\(notices.retried)", "failed": "\(notices.failed)"])
                    }
                }
            } catch {
                // Keep serving: a store or relay problem is retried on the next run.
                failedRuns.increment()
                logger.error("outbox run failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
