public import Attribution
import DNSServer
import Foundation
public import Logging
import Mailer
import NIOCore
import Portal
import RADIUSServer
public import Remediation
import Secrecy
public import ServiceLifecycle
import SiteWarning
public import Storage

/// The application: the store, the configuration, and the flows and services built from them.
///
/// The command line parses arguments into a ``MamoriConfiguration`` and calls this; tests do
/// the same in process. Each flow is built here once: the attribution index and `Attributor`
/// wiring, the case intake, the notice outbox, the portal, and ``services(logger:)`` for `serve`.
public struct MamoriRuntime: Sendable {
    public let store: any Storage
    public let configuration: MamoriConfiguration

    public init(store: any Storage, configuration: MamoriConfiguration) {
        self.store = store
        self.configuration = configuration
    }

    /// The attribution index over every stored assignment event: read from the snapshot beside
    /// the store (`<store>.index`) when it was made of the records stored now, else built from
    /// them and saved as the new snapshot (see `AttributionIndex.writeSnapshot`).
    public func attributionIndex() async throws -> AttributionIndex {
        let config = configuration.flow.attribution
        let stamp = try await store.assignments.assignmentStamp()
        if let snapshot = try? AttributionIndex(snapshotAt: store.indexSnapshotPath, stamp: stamp, config: config) {
            return snapshot
        }
        let index = AttributionIndex(events: try await store.assignments.allEvents(), config: config)
        do {
            try index.writeSnapshot(to: store.indexSnapshotPath, stamp: stamp)
        } catch {
            // The index is still good; the next command rebuilds it.
            Output.error("attribution index snapshot: \(error)")
        }
        return index
    }

    /// An attributor over a fresh index, auditing to the store as `actor`.
    public func attributor(actor: String) async throws -> Attributor {
        Attributor(
            index: try await attributionIndex(), declarations: configuration.declarations, audit: store.audit,
            pseudonymizer: try store.pseudonymizer(), actor: actor)
    }

    /// Operators' attribution (`mamori attribute`), purpose-checked and audited.
    public func operatorAttribution(actor: String) async throws -> OperatorAttribution {
        OperatorAttribution(attributor: try await attributor(actor: actor))
    }

    /// Case intake (sightings → identification → cases); builds the attribution index.
    public func caseIntake(actor: String) async throws -> CaseIntake {
        CaseIntake(
            store: store.remediation, attributor: try await attributor(actor: actor), casePolicy: configuration.flow.casePolicy,
            actor: actor)
    }

    /// The notice outbox (it never attributes: no index is built).
    public func noticeOutbox(actor: String) throws -> NoticeOutbox {
        let flow = configuration.flow
        return NoticeOutbox(
            store: store.remediation, templates: try flow.loadTemplates(), pseudonymizer: try store.pseudonymizer(),
            casePolicy: flow.casePolicy, noticePolicy: flow.noticePolicy, baseURL: flow.baseURL, mailDomain: flow.mailDomain,
            actor: actor, lease: flow.outboxLease)
    }

    /// The site-owner notices' outbox: the reporter is the ISP (its English name in the notice
    /// templates), its contact the relay's From address (or `abuse@` the mail domain).
    public func siteReportOutbox(actor: String) throws -> SiteReportOutbox {
        let flow = configuration.flow
        let names = try flow.loadTemplates().ispNames
        let contact = configuration.relay?.from.address ?? "abuse@\(flow.mailDomain)"
        return SiteReportOutbox(
            store: store.siteReports, reporter: SiteReporter(organization: names.en, contact: contact, domain: flow.mailDomain),
            mailDomain: flow.mailDomain, noticePolicy: flow.noticePolicy, actor: actor, lease: flow.outboxLease)
    }

    /// The SMTP transport to the configured relay, or nil when none is configured.
    public func relayTransport(logger: Logger) throws -> SMTPNoticeTransport? {
        guard let relay = configuration.relay else { return nil }
        return SMTPNoticeTransport(client: try SMTPClient(configuration: relay.smtp, logger: logger), from: relay.from)
    }

    /// The subscriber portal as a service.
    public func portalService(logger: Logger) throws -> any Service {
        let templates = try configuration.flow.loadTemplates()
        let desk = StoreDesk(store: store.page, templates: templates, pseudonymizer: try store.pseudonymizer())
        let names = templates.ispNames
        let portal = configuration.portal
        let portalConfiguration = PortalConfiguration(
            host: portal.host, port: portal.port, ispName: BilingualText(ja: names.ja, en: names.en),
            contact: BilingualText(ja: templates.supportTexts.ja, en: templates.supportTexts.en), publicBaseURL: configuration.flow.baseURL,
            formKey: try store.secret(named: "portal-form-key"))
        return makePortalApplication(desk: desk, configuration: portalConfiguration, logger: logger)
    }

    /// Every service `serve` runs: the portal, the outbox worker when a relay is configured, the
    /// monitoring listener and its store gauges, and the signing of audit checkpoints when configured.
    public func services(logger: Logger) throws -> [any Service] {
        var services: [any Service] = [try portalService(logger: Logger(label: "mamori.portal"))]
        if let transport = try relayTransport(logger: logger) {
            services.append(
                OutboxWorker(
                    outbox: try noticeOutbox(actor: "service:outbox"), siteReports: try siteReportOutbox(actor: "service:outbox"),
                    mailNotices: try configuration.mailGuard.flatMap { $0.isOn ? $0 : nil }.map {
                        try mailNoticeOutbox(ownerAddress: $0.ownerAddress, actor: "service:outbox")
                    },
                    transport: transport,
                    interval: .milliseconds(Int64(configuration.portal.outboxInterval * 1000)), logger: logger))
        } else {
            logger.notice("no SMTP relay configured: the outbox worker is off (use `mamori notify --dry-run` to preview notices)")
        }
        if let monitoring = configuration.monitoring {
            let monitoringLogger = Logger(label: "mamori.monitoring")
            services.append(makeMonitoringApplication(store: store, settings: monitoring, logger: monitoringLogger))
            services.append(
                StoreMetricsService(store: store, interval: .milliseconds(Int64(monitoring.storePollInterval * 1000)), logger: monitoringLogger))
        }
        if let settings = configuration.guardSettings {
            services += try guardServices(settings, logger: Logger(label: "mamori.guard"))
        }
        if let api = configuration.consentAPI {
            services.append(
                makeConsentAPIApplication(
                    consent: store.consent, token: api.token, host: api.host, port: api.port, termsVersion: api.termsVersion,
                    logger: Logger(label: "mamori.consent-api")))
        }
        if let mail = configuration.mailGuard, mail.isOn {
            services += try mailGuardServices(mail, logger: Logger(label: "mamori.mail-guard")).services
        }
        if let checkpoints = configuration.checkpoints {
            services.append(
                CheckpointService(
                    store: store, file: checkpoints.file, everyRecords: checkpoints.everyRecords,
                    everySeconds: checkpoints.everySeconds, logger: logger))
        }
        return services
    }

    /// The DNS guard's services: the DNS server with the guard as its policy, and the follower
    /// that keeps the guard's lists and choices those of the store. Returns the guard too, for
    /// the RADIUS listener and the warning page to share its live sessions and bypasses.
    public func makeGuard(_ settings: GuardSettings, logger: Logger) throws -> (guardian: SiteWarningGuard, services: [any Service]) {
        let sessions = LiveSessions(expiry: settings.siteWarning.sessionExpiry)
        let guardian = SiteWarningGuard(configuration: settings.siteWarning, sessions: sessions)
        let upstreams = try settings.upstreams.map { try SocketAddress(ipAddress: $0.host, port: $0.port) }
        let server = DNSServer(
            configuration: DNSServerConfiguration(host: settings.listenHost, port: settings.listenPort, upstreams: upstreams), policy: guardian,
            logger: logger)
        let follower = SiteWarningFollower(store: store, guard: guardian, poll: settings.poll, logger: logger)
        var services: [any Service] = [follower, server]
        if let listen = settings.radiusListen {
            let secret = try settings.radiusSecretFile.map { try RADIUSSharedSecret(contentsOfFile: $0) }
            let clients: RADIUSClients
            if let clientsFile = settings.radiusClientsFile {
                do {
                    clients = try RADIUSClients(contentsOfFile: clientsFile, defaultSecret: secret)
                } catch let error as RADIUSServerError {
                    throw GuardSettingsError(error.description)
                }
            } else if let secret {
                clients = RADIUSClients(defaultSecret: secret)
            } else {
                throw GuardSettingsError("the RADIUS listener needs --radius-secret-file or --radius-clients")
            }
            services.append(
                RADIUSAccountingServer(
                    configuration: RADIUSAccountingConfiguration(host: listen.host, port: listen.port), clients: clients,
                    store: store.assignments, sessions: sessions, logger: Logger(label: "mamori.radius")))
        }
        for path in settings.radiusDetailFiles {
            services.append(
                RadiusDetailFollower(
                    path: path, store: store.assignments, sessions: sessions, startAtEnd: settings.radiusDetailFromEnd,
                    logger: Logger(label: "mamori.radius-detail")))
        }
        if let listen = settings.warningListen {
            guard let terms = settings.siteWarning.terms else { throw GuardSettingsError("the warning page needs the terms (--guard-config)") }
            let names = try configuration.flow.loadTemplates().ispNames
            let page = WarningPageConfiguration(
                host: listen.host, port: listen.port, ispName: BilingualText(ja: names.ja, en: names.en), terms: terms,
                bypassDuration: settings.siteWarning.bypassDuration, tokenKey: try store.secret(named: "warning-page-key"))
            if let problem = page.problems.first { throw GuardSettingsError("the warning page: \(problem)") }
            services.append(
                makeWarningApplication(
                    configuration: page, consent: store.consent, sessions: sessions, bypass: guardian.bypass,
                    logger: Logger(label: "mamori.warning-page")))
        }
        return (guardian, services)
    }

    func guardServices(_ settings: GuardSettings, logger: Logger) throws -> [any Service] {
        try makeGuard(settings, logger: logger).services
    }
}
