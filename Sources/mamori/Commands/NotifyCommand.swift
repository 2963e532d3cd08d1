import ArgumentParser
import Foundation
import Logging
import Mailer
import Remediation
import Runtime
import Storage
import TextScanning

/// The SMTP relay options of `notify` and `serve`.
struct RelayOptions: ParsableArguments {
    @Option(help: "The SMTP relay host (the ISP's outbound relay).")
    var smtpHost: String?

    @Option(help: "The SMTP relay port.")
    var smtpPort: Int = 25

    @Option(help: "STARTTLS: auto (when offered), required, or off.")
    var smtpStarttls: String = "auto"

    @Option(help: "A CA file to trust for the relay's certificate (default: the system's roots).")
    var smtpCAFile: String?

    @Option(help: "SMTP AUTH user name.")
    var smtpUser: String?

    @Option(help: "A file holding the SMTP AUTH password (never given on the command line).")
    var smtpPasswordFile: String?

    @Option(help: "The name this host gives in EHLO.")
    var heloName: String = "mamori.localdomain"

    @Option(help: "The From address of notices.")
    var from: String = "security-desk@mamori.isp.example"

    /// The relay settings, or nil when no `--smtp-host` is given.
    func settings() throws -> RelaySettings? {
        guard let smtpHost else { return nil }
        let security: SMTPConfiguration.Security
        switch smtpStarttls {
        case "auto": security = .startTLSIfOffered
        case "required": security = .startTLSRequired
        case "off": security = .none
        default: throw ValidationError("--smtp-starttls: use auto, required or off")
        }
        var credentials: SMTPCredentials?
        if let smtpUser {
            guard let smtpPasswordFile, let password = try? String(contentsOfFile: smtpPasswordFile, encoding: .utf8) else {
                throw ValidationError("--smtp-user needs a readable --smtp-password-file")
            }
            credentials = SMTPCredentials(username: smtpUser, password: password.trimmingCharacters(in: .newlines))
        }
        let configuration = SMTPConfiguration(
            host: smtpHost, port: smtpPort, heloName: heloName, security: security,
            tlsTrust: smtpCAFile.map { .caFile($0) } ?? .systemRoots, credentials: credentials)
        return RelaySettings(smtp: configuration, from: try EmailAddress(from))
    }
}

/// `mamori notify [--dry-run --out DIR]`: queue the notices due under the notice policy and send
/// them through the relay (durable outbox, retries with backoff, each notice sent once).
struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify", abstract: "Queue due notices and deliver the outbox over SMTP (or write them to a folder with --dry-run).")

    @OptionGroup var options: StoreOptions
    @OptionGroup var flow: FlowOptions
    @OptionGroup var relay: RelayOptions

    @Flag(help: "Write the notices that would be sent as .eml files into --out; record nothing as sent.")
    var dryRun = false

    @Option(help: "The folder for --dry-run.")
    var out: String = "./mamori-notices"

    @Flag(help: "End with one JSON object of counts on stdout.")
    var json = false

    func run() async throws {
        let logger = Logger(label: "mamori.notify")
        let runtime = MamoriRuntime(
            store: try await options.openStore(),
            configuration: MamoriConfiguration(declarations: try options.loadDeclarations(), flow: flow.configuration, relay: try relay.settings()))
        let outbox = try runtime.noticeOutbox(actor: "cli")
        if dryRun {
            let plan = try await outbox.planNotices(dryRun: true)
            let folder = FolderNoticeTransport(directory: URL(fileURLWithPath: out), from: try EmailAddress(relay.from))
            for notice in plan.previews { _ = try await folder.deliver(notice) }
            if json {
                Output.line(
                    Output.json([
                        "would_send": plan.queued, "reminders": plan.reminders, "no_contact": plan.skippedNoContact,
                        "rate_limited": plan.skippedRateLimit, "out": out,
                    ]))
            } else {
                Output.line(
                    "dry run: \(plan.queued) notices written to \(out) (\(plan.reminders) reminders); \(plan.skippedNoContact) cases without contact, \(plan.skippedRateLimit) rate-limited; nothing recorded as sent"
                )
            }
            return
        }
        guard let transport = try runtime.relayTransport(logger: logger) else {
            throw ValidationError("give --smtp-host (the relay), or --dry-run")
        }
        let plan = try await outbox.planNotices()
        let delivery = try await outbox.deliver(transport: transport)
        if json {
            Output.line(
                Output.json([
                    "queued": plan.queued, "reminders": plan.reminders, "no_contact": plan.skippedNoContact, "rate_limited": plan.skippedRateLimit,
                    "already_planned": plan.alreadyPlanned, "expired": plan.expired, "sent": delivery.sent, "retry": delivery.retried,
                    "deferred": delivery.retried, "failed": delivery.failed,
                ]))
        } else {
            Output.line(
                "queued \(plan.queued) (\(plan.reminders) reminders), \(plan.skippedNoContact) without contact, \(plan.skippedRateLimit) rate-limited, "
                    + "\(plan.expired) cases expired; sent \(delivery.sent), deferred \(delivery.retried), failed \(delivery.failed)")
        }
        // cron and systemd must see a run that left notices behind: 1 when some failed for good,
        // 75 (EX_TEMPFAIL) when some were deferred for a retry (the relay down, say).
        if delivery.failed > 0 { throw MamoriExit(code: 1) }
        if delivery.retried > 0 { throw MamoriExit(code: MamoriExit.temporaryFailure) }
    }
}
