import ArgumentParser
import Foundation
import Logging
import Metrics
import Portal
import Remediation
import Runtime
import Secrecy
import ServiceLifecycle
import SiteWarning
import Storage
import TextScanning
import UnixSignals

/// Portal options of `serve` and `demo`.
struct PortalOptions: ParsableArguments {
    @Option(help: "The address the portal listens on.")
    var host: String = "127.0.0.1"

    @Option(help: "The portal's port (0 picks a free one).")
    var port: Int = 8080

    @Option(help: "Seconds between outbox runs (queue due notices, deliver).")
    var outboxInterval: Double = 60

    var settings: PortalSettings {
        var settings = PortalSettings()
        settings.host = host
        settings.port = port
        settings.outboxInterval = outboxInterval
        return settings
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
    @OptionGroup var monitoring: MonitoringOptions
    @OptionGroup var guardOptions: GuardOptions
    @OptionGroup var mailOptions: MailServeOptions

    func run() async throws {
        let logger = Logger(label: "mamori.serve")
        var configuration = MamoriConfiguration(
            declarations: try options.loadDeclarations(), flow: flow.configuration, portal: portal.settings, relay: try relay.settings())
        configuration.checkpoints = CheckpointSettings(
            file: CheckpointFile(path: try options.checkpointsPath), everyRecords: Int64(checkpointing.checkpointEveryRecords),
            everySeconds: checkpointing.checkpointEverySeconds)
        configuration.monitoring = monitoring.settings
        let guardFile = try guardOptions.loadFile()
        configuration.guardSettings = try guardOptions.settings(file: guardFile)
        configuration.consentAPI = try guardOptions.consentAPI(file: guardFile)
        configuration.mailGuard = try mailOptions.settings()
        let services = try MamoriRuntime(store: try await options.openStore(), configuration: configuration).services(logger: logger)
        logger.notice("portal listening", metadata: ["address": "\(portal.host):\(portal.port)"])
        if let settings = configuration.monitoring {
            logger.notice("metrics and health listening", metadata: ["address": "\(settings.host):\(settings.port)"])
        }
        if let settings = configuration.guardSettings {
            logger.notice(
                "DNS guard listening",
                metadata: [
                    "address": "\(settings.listenHost):\(settings.listenPort)",
                    "upstreams": "\(settings.upstreams.map { "\($0.host):\($0.port)" }.joined(separator: ","))",
                ])
        }
        try await ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        ).run()
    }
}

/// Options of `serve`'s checkpointing.
struct CheckpointOptions: ParsableArguments {
    @Option(help: "Sign an audit checkpoint once this many records were appended since the last one.")
    var checkpointEveryRecords: Int = 1000

    @Option(help: "Sign an audit checkpoint at least this often (seconds) while records are being appended.")
    var checkpointEverySeconds: Double = 60

    func validate() throws {
        guard checkpointEveryRecords > 0 else { throw ValidationError("--checkpoint-every-records must be at least 1") }
        guard checkpointEverySeconds > 0, checkpointEverySeconds.isFinite else {
            throw ValidationError("--checkpoint-every-seconds must be a positive number")
        }
    }
}

/// Options of `serve`'s monitoring listener (`/metrics`, `/healthz`, `/readyz`).
struct MonitoringOptions: ParsableArguments {
    @Option(help: "The address /metrics, /healthz and /readyz listen on (apart from the portal).")
    var metricsHost: String = "127.0.0.1"

    @Option(help: "Their port (0 picks a free one).")
    var metricsPort: Int = 9464

    @Option(help: "Seconds between reads of the store's gauges (cases, outbox, audit).")
    var metricsStorePoll: Double = 15

    @Flag(help: "No monitoring listener.")
    var noMetrics = false

    func validate() throws {
        guard (0...65535).contains(metricsPort) else { throw ValidationError("--metrics-port must be 0 to 65535") }
        guard metricsStorePoll > 0, metricsStorePoll.isFinite else { throw ValidationError("--metrics-store-poll must be a positive number") }
    }

    var settings: MonitoringSettings? {
        guard !noMetrics else { return nil }
        var settings = MonitoringSettings()
        settings.host = metricsHost
        settings.port = metricsPort
        settings.storePollInterval = metricsStorePoll
        return settings
    }
}

/// The DNS guard's options of `serve` (each off unless given; the same keys may come from
/// `--guard-config`, and an option here wins over the file).
struct GuardOptions: ParsableArguments {
    @Option(help: "The guard's configuration file (JSON: the terms, the warning addresses, listeners; see docs/dns-guard.md).")
    var guardConfig: String?

    @Option(help: "ADDR:PORT the DNS guard answers on (UDP and TCP); off unless given here or in --guard-config.")
    var dnsListen: String?

    @Option(help: "ADDR:PORT of a resolver the guard forwards to (repeatable; tried in order).")
    var dnsUpstream: [String] = []

    @Option(help: "The warning server's IPv4 address (the answer for a listed malware site).")
    var warningIpv4: String?

    @Option(help: "The warning server's IPv6 address.")
    var warningIpv6: String?

    @Option(help: "ADDR:PORT of the RADIUS accounting listener (RFC 2866) feeding the live sessions and the attribution store.")
    var radiusListen: String?

    @Option(help: "A RADIUS clients file: ADDRESS[/LENGTH] SECRET lines, a secret per NAS (with --radius-secret-file as the default).")
    var radiusClients: String?

    @Option(help: "A FreeRADIUS detail file to follow as it grows, across rotation (repeatable); feeds the live sessions and the store.")
    var radiusDetail: [String] = []

    @Flag(help: "Start following the detail files at their current end (default: from their start; stored events are not stored twice).")
    var radiusDetailFromEnd = false

    @Option(help: "ADDR:PORT of the warning page (the warning address, port 80); off unless given.")
    var warningListen: String?

    @Option(help: "The file holding the RADIUS shared secret (first line).")
    var radiusSecretFile: String?

    @Option(help: "The consent API's bearer token file (first line, ≥ 16 characters); the API is off unless given.")
    var apiTokenFile: String?

    @Option(help: "ADDR:PORT of the consent API for the member site.")
    var apiListen: String?

    /// The consent API's settings, or nil when no token file is given (here or in the file).
    /// The `--guard-config` file (read once), or an empty one.
    func loadFile() throws -> GuardFile {
        try guardConfig.map { try GuardFile.load($0) } ?? GuardFile()
    }

    func consentAPI(file: GuardFile) throws -> ConsentAPISettings? {
        guard let tokenFile = apiTokenFile ?? file.apiTokenFile else { return nil }
        let listenText = apiListen ?? file.apiListen ?? "127.0.0.1:8091"
        guard let listen = parseHostPort(listenText) else { throw ValidationError("--api-listen \(listenText): use ADDR:PORT") }
        do {
            return ConsentAPISettings(
                host: listen.host, port: listen.port, token: try loadAPIToken(tokenFile), termsVersion: file.terms?.version ?? "unspecified")
        } catch let error as GuardSettingsError {
            throw ValidationError(error.description)
        }
    }

    /// The guard's settings, or nil when no `--dns-listen` is given (here or in the file).
    func settings(file: GuardFile) throws -> GuardSettings? {
        guard let listenText = dnsListen ?? file.dnsListen else { return nil }
        guard let listen = parseHostPort(listenText) else { throw ValidationError("--dns-listen \(listenText): use ADDR:PORT") }
        let upstreamTexts = dnsUpstream.isEmpty ? (file.dnsUpstreams ?? []) : dnsUpstream
        guard !upstreamTexts.isEmpty else { throw ValidationError("the DNS guard needs at least one --dns-upstream ADDR:PORT") }
        let upstreams = try upstreamTexts.map { text in
            guard let hostPort = parseHostPort(text) else { throw ValidationError("--dns-upstream \(text): use ADDR:PORT") }
            return hostPort
        }
        do {
            var settings = GuardSettings(
                listenHost: listen.host, listenPort: listen.port, upstreams: upstreams,
                siteWarning: try file.siteWarning(warningIPv4: warningIpv4, warningIPv6: warningIpv6))
            if let text = radiusListen ?? file.radiusListen {
                guard let hostPort = parseHostPort(text) else { throw ValidationError("--radius-listen \(text): use ADDR:PORT") }
                settings.radiusListen = hostPort
                settings.radiusSecretFile = radiusSecretFile ?? file.radiusSecretFile
                settings.radiusClientsFile = radiusClients ?? file.radiusClientsFile
                guard settings.radiusSecretFile != nil || settings.radiusClientsFile != nil else {
                    throw ValidationError("--radius-listen needs --radius-secret-file or --radius-clients")
                }
            }
            settings.radiusDetailFiles = radiusDetail.isEmpty ? (file.radiusDetailFiles ?? []) : radiusDetail
            settings.radiusDetailFromEnd = radiusDetailFromEnd || (file.radiusDetailFromEnd ?? false)
            if let text = warningListen ?? file.warningListen {
                guard let hostPort = parseHostPort(text) else { throw ValidationError("--warning-listen \(text): use ADDR:PORT") }
                settings.warningListen = hostPort
            }
            return settings
        } catch let error as GuardSettingsError {
            throw ValidationError(error.description)
        }
    }
}
