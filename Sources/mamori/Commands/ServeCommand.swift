import ArgumentParser
import Foundation
import Logging
import Metrics
import Portal
import Remediation
import Secrecy
import ServiceLifecycle
import Store
import UnixSignals

/// Portal options of `serve` and `demo`.
struct PortalOptions: ParsableArguments {
    @Option(help: "The address the portal listens on.")
    var host: String = "127.0.0.1"

    @Option(help: "The portal's port (0 picks a free one).")
    var port: Int = 8080

    @Option(help: "Seconds between outbox runs (queue due notices, deliver).")
    var outboxInterval: Double = 60
}

/// The outbox worker: every interval, queue the notices due and deliver them. Stops on graceful shutdown.
struct OutboxWorker: Service {
    let service: NotificationService
    let transport: any NoticeTransport
    let interval: Duration
    let logger: Logger

    func run() async throws {
        let sent = Counter(label: "mamori_notices_sent_total")
        let failed = Counter(label: "mamori_notices_failed_total")
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let plan = try service.planNotices()
                let delivery = try await service.deliver(transport: transport)
                sent.increment(by: delivery.sent)
                failed.increment(by: delivery.failed)
                logger.info(
                    "outbox run",
                    metadata: ["queued": "\(plan.queued)", "sent": "\(delivery.sent)", "retry": "\(delivery.retried)", "failed": "\(delivery.failed)"])
            } catch {
                // Keep serving: a store or relay problem is retried on the next run.
                logger.error("outbox run failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}

/// `mamori serve`: the portal and the outbox worker in one ServiceGroup, shut down gracefully on
/// SIGTERM/SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve the remediation portal and run the notice outbox.")

    @OptionGroup var options: StoreOptions
    @OptionGroup var flow: FlowOptions
    @OptionGroup var portal: PortalOptions
    @OptionGroup var relay: RelayOptions
    @OptionGroup var checkpointing: CheckpointOptions

    func run() async throws {
        let logger = Logger(label: "mamori.serve")
        let store = try options.openStore()
        let service = try flow.service(store: store, declarations: try options.loadDeclarations(), actor: "service:outbox")
        var services: [any Service] = [
            try Serving.portal(store: store, flow: flow, portal: portal, logger: logger)
        ]
        if let transport = try relay.transport(logger: logger) {
            services.append(OutboxWorker(service: service, transport: transport, interval: .seconds(portal.outboxInterval), logger: logger))
        } else {
            logger.notice("no --smtp-host: the outbox worker is off (use `mamori notify --dry-run` to preview notices)")
        }
        services.append(
            CheckpointService(
                log: try store.auditLog(), file: CheckpointFile(path: options.checkpointsPath),
                everyRecords: Int64(checkpointing.checkpointEveryRecords), everySeconds: checkpointing.checkpointEverySeconds,
                logger: logger))
        logger.notice("portal listening", metadata: ["address": "\(portal.host):\(portal.port)"])
        try await ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        ).run()
    }
}

enum Serving {
    static func portal(store: MamoriStore, flow: FlowOptions, portal: PortalOptions, logger: Logger) throws -> any Service {
        let templates = try flow.loadTemplates()
        let desk = StoreDesk(store: store.remediationStore(), templates: templates, pseudonymizer: try store.pseudonymizer())
        let names = templates.ispNames
        let configuration = PortalConfiguration(
            host: portal.host, port: portal.port, ispName: BilingualText(ja: names.ja, en: names.en),
            contact: BilingualText(ja: templates.supportTexts.ja, en: templates.supportTexts.en), publicBaseURL: flow.baseURL,
            formKey: try store.secret(named: "portal-form-key"))
        return makePortalApplication(desk: desk, configuration: configuration, logger: Logger(label: "mamori.portal"))
    }
}
