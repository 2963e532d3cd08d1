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
        let notices = DeliveryMetrics(label: "mamori_notice_deliveries_total")
        let reports = DeliveryMetrics(label: "mamori_site_report_deliveries_total")
        let mail = DeliveryMetrics(label: "mamori_mail_notice_deliveries_total")
        let queued = Counter(label: "mamori_notices_queued_total")
        let runs = Counter(label: "mamori_outbox_runs_total", dimensions: [("outcome", "completed")])
        let failedRuns = Counter(label: "mamori_outbox_runs_total", dimensions: [("outcome", "failed")])
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let plan = try await outbox.planNotices()
                let delivery = try await outbox.deliver(transport: transport)
                notices.record(delivery)
                queued.increment(by: plan.queued)
                runs.increment()
                logger.info(
                    "outbox run",
                    metadata: [
                        "queued": "\(plan.queued)", "sent": "\(delivery.sent)", "deferred": "\(delivery.retried)", "failed": "\(delivery.failed)",
                    ])
                if let siteReports {
                    try await deliverQueued("site-owner notices", into: reports) { try await siteReports.deliver(transport: transport) }
                }
                if let mailNotices {
                    try await deliverQueued("mail owners' notices", into: mail) { try await mailNotices.deliver(transport: transport) }
                }
            } catch {
                // Keep serving: a store or relay problem is retried on the next run.
                failedRuns.increment()
                logger.error("outbox run failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// Runs one of the other leased outboxes' deliveries, counts it, and logs it when it did anything.
    func deliverQueued(_ what: Logger.Message, into metrics: DeliveryMetrics, _ deliver: () async throws -> DeliveryCounts) async throws {
        let counts = try await deliver()
        metrics.record(counts)
        guard counts.sent + counts.retried + counts.failed > 0 else { return }
        logger.info(what, metadata: ["sent": "\(counts.sent)", "deferred": "\(counts.retried)", "failed": "\(counts.failed)"])
    }
}

/// An outbox's delivery counters: `LABEL{outcome="sent"|"deferred"|"failed"}`.
struct DeliveryMetrics {
    let sent: Counter
    let deferred: Counter
    let failed: Counter

    init(label: String) {
        sent = Counter(label: label, dimensions: [("outcome", "sent")])
        deferred = Counter(label: label, dimensions: [("outcome", "deferred")])
        failed = Counter(label: label, dimensions: [("outcome", "failed")])
    }

    func record(_ counts: DeliveryCounts) {
        sent.increment(by: counts.sent)
        deferred.increment(by: counts.retried)
        failed.increment(by: counts.failed)
    }
}
