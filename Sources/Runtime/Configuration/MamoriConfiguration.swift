public import Attribution
public import Foundation
public import Mailer
public import Remediation
public import Secrecy

/// How Mamori runs: one `Sendable` value, loaded and validated once (by the command line from
/// its options, or by a test), then passed to ``MamoriRuntime``. Nothing reads the environment
/// after it is made.
///
/// ```swift
/// var configuration = MamoriConfiguration(declarations: try .bundled())
/// configuration.flow.baseURL = "https://kujo.isp.example"
/// let runtime = try MamoriRuntime(store: store, configuration: configuration)
/// try await ServiceGroup(configuration: .init(services: try runtime.services(logger: logger), logger: logger)).run()
/// ```
public struct MamoriConfiguration: Sendable {
    /// The countermeasure declarations (bundled, or the legal team's file).
    public var declarations: Declarations
    /// The notification flow.
    public var flow: FlowConfiguration
    /// The subscriber portal.
    public var portal: PortalSettings
    /// The ISP's SMTP relay; nil turns the outbox worker off.
    public var relay: RelaySettings?
    /// Signed audit checkpoints while serving; nil: none from `serve` (commands still sign as they end).
    public var checkpoints: CheckpointSettings?
    /// `/metrics`, `/healthz` and `/readyz` while serving; nil: none.
    public var monitoring: MonitoringSettings?
    /// The DNS guard (malware-site warning, C&C block) while serving; nil: off.
    public var guardSettings: GuardSettings?
    /// The consent API for the member site while serving; nil: off.
    public var consentAPI: ConsentAPISettings?
    /// The mail guard (SMTP measures 1 and 2) while serving; nil: off.
    public var mailGuard: MailGuardSettings?

    public init(
        declarations: Declarations, flow: FlowConfiguration = FlowConfiguration(), portal: PortalSettings = PortalSettings(),
        relay: RelaySettings? = nil
    ) {
        self.declarations = declarations
        self.flow = flow
        self.portal = portal
        self.relay = relay
    }
}

/// The infected-host notification flow's settings. Defaults are the documented ones.
public struct FlowConfiguration: Sendable {
    /// The portal's public base URL used in personal links.
    public var baseURL = "http://127.0.0.1:8080"
    /// The domain of notice Message-IDs and of the From address.
    public var mailDomain = "mamori.isp.example"
    /// A directory with the whole set of notice templates and `page.json`; nil: bundled.
    public var templatesDirectory: String?
    /// Case grouping and expiry.
    public var casePolicy = CasePolicy()
    /// Reminders, the per-subscriber gap, link lifetime, retries.
    public var noticePolicy = NoticePolicy()
    /// Attribution semantics (skew, grace).
    public var attribution = AttributionConfig()
    /// Seconds a delivering worker holds a notice before another may take it over.
    public var outboxLease: TimeInterval = 300

    public init() {}

    /// The notice templates (bundled unless a directory is set).
    public func loadTemplates() throws -> NoticeTemplates {
        if let templatesDirectory { return try NoticeTemplates(directory: URL(fileURLWithPath: templatesDirectory)) }
        return try NoticeTemplates.bundled()
    }
}

/// Where the portal listens and how often the outbox runs.
public struct PortalSettings: Sendable {
    /// The address the portal listens on (loopback by default).
    public var host = "127.0.0.1"
    /// The portal's port (0 picks a free one).
    public var port = 8080
    /// Seconds between outbox runs (queue due notices, deliver).
    public var outboxInterval: TimeInterval = 60

    public init() {}
}

/// The ISP's outbound relay and the notices' sender.
public struct RelaySettings: Sendable {
    public var smtp: SMTPConfiguration
    public var from: EmailAddress

    public init(smtp: SMTPConfiguration, from: EmailAddress) {
        self.smtp = smtp
        self.from = from
    }
}

/// When `serve` signs audit checkpoints, and where they go.
public struct CheckpointSettings: Sendable {
    /// The append-only file outside the store.
    public var file: CheckpointFile
    /// Sign once this many records were appended since the last checkpoint.
    public var everyRecords: Int64
    /// Sign at least this often (seconds) while records are being appended.
    public var everySeconds: Double

    public init(file: CheckpointFile, everyRecords: Int64 = 1000, everySeconds: Double = 60) {
        self.file = file
        self.everyRecords = everyRecords
        self.everySeconds = everySeconds
    }
}
