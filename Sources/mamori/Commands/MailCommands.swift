import Addressing
public import ArgumentParser
import Foundation
public import MailGuard
import Runtime
import Secrecy
import Storage

extension MailAlert: ExpressibleByArgument {}

/// The mail guard's options of `serve` (each listener off unless given).
struct MailServeOptions: ParsableArguments {
    @Option(help: "ADDR:PORT of the Postfix policy delegation server (check_policy_service inet:ADDR:PORT).")
    var policyListen: String?

    @Option(help: "ADDR:PORT of the socketmap server: maps sasl_access (login) and sasl_exceptions (client IP).")
    var socketmapListen: String?

    @Option(help: "ADDR:PORT of Dovecot's auth-policy HTTP API (auth_policy_server_url).")
    var authPolicyListen: String?

    @Option(help: "A Postfix log file to follow (across rotation) for the aggregate counters and, during alerts, the measures.")
    var postfixLog: String?

    @Option(help: "ADDR:PORT of the password-changed API for the ISP's systems (POST /api/v1/mail/password-changed).")
    var mailAPIListen: String?

    @Option(help: "A file whose first line is the password-changed API's bearer token (at least 16 characters).")
    var mailAPITokenFile: String?

    @Option(
        help: ArgumentHelp(
            "Where a suspended ID's owner is told: {login} (the AUTH ID is the address) or e.g. {local}@example.jp.",
            valueName: "template"))
    var mailOwnerAddress: String = "{login}"

    @Option(help: "ADDR:PORT (loopback) where Postfix's log arrives over syslog, UDP and TCP (RFC 3164 or 5424; octet-counted or LF-delimited).")
    var postfixSyslogListen: String?

    @Flag(
        help: "Put a suspended ID's mail already in Postfix's queue on hold (postsuper -h; found with postqueue -j and postcat -e, envelopes only).")
    var holdQueuedMail = false

    @Option(help: "Postfix's configuration directory for postqueue, postcat, postsuper and postmap (-c DIR; default: Postfix's own).")
    var postfixConfigDir: String?

    @Option(
        help: ArgumentHelp(
            "Keep sasl_access and sasl_exceptions as Postfix lookup tables in this directory (rebuilt with postmap on change; Postfix keeps answering from them while Mamori is down).",
            valueName: "dir"))
    var postfixTableDir: String?

    @Option(help: "The type of those tables: hash or btree.")
    var postfixTableType: String = "hash"

    @Option(help: "The policy answer for a suspended ID: REJECT, DEFER or HOLD.")
    var suspendedReply: String = "REJECT"

    @Option(help: "The text of that answer.")
    var suspendedText: String = MailGuardConfiguration().suspendedText

    @Option(help: "Measure 2: seconds after an address's last AUTH failure before its block lifts.")
    var quietPeriod: Double = MailGuardConfiguration().quietPeriod

    @Option(help: "Measure 2: AUTH failures in the window that block an address.")
    var failuresToBlock: Int = MailGuardConfiguration().failuresToBlock

    @Option(help: "Measure 1: distinct addresses of one ID in the window that suspend it.")
    var distinctAddresses: Int = MailGuardConfiguration().distinctAddresses

    @Option(help: "Raise the load alert at this many authenticated submissions a minute (off unless given).")
    var loadAlertPerMinute: Int?

    @Option(help: "Raise the auth-failure alert at this many AUTH failures a minute (off unless given).")
    var authFailureAlertPerMinute: Int?

    /// The settings, or nil when no listener or log is given.
    func settings() throws -> MailGuardSettings? {
        var settings = MailGuardSettings()
        func hostPort(_ text: String?, _ option: String) throws -> (host: String, port: Int)? {
            guard let text else { return nil }
            guard let value = parseHostPort(text) else { throw ValidationError("--\(option) \(text): use ADDR:PORT") }
            return value
        }
        settings.policyListen = try hostPort(policyListen, "policy-listen")
        settings.socketmapListen = try hostPort(socketmapListen, "socketmap-listen")
        settings.authPolicyListen = try hostPort(authPolicyListen, "auth-policy-listen")
        settings.postfixLog = postfixLog
        settings.postfixSyslogListen = try hostPort(postfixSyslogListen, "postfix-syslog-listen")
        settings.holdQueuedMail = holdQueuedMail
        settings.postfixConfigDirectory = postfixConfigDir
        settings.postfixTableDirectory = postfixTableDir
        guard let tableType = PostfixTableType(rawValue: postfixTableType) else {
            throw ValidationError("--postfix-table-type \(postfixTableType): use hash or btree")
        }
        settings.postfixTableType = tableType
        if let listen = settings.postfixSyslogListen, !(listen.host.hasPrefix("127.") || listen.host == "::1") {
            throw ValidationError("--postfix-syslog-listen \(listen.host): syslog has no authentication; listen on loopback (127.0.0.1 or ::1)")
        }
        settings.adminListen = try hostPort(mailAPIListen, "mail-api-listen")
        guard settings.isOn else { return nil }
        if settings.adminListen != nil {
            guard let mailAPITokenFile else { throw ValidationError("--mail-api-listen needs --mail-api-token-file FILE") }
            settings.adminToken = try loadAPIToken(mailAPITokenFile)
        }
        do {
            settings.ownerAddress = try MailOwnerAddress(mailOwnerAddress)
        } catch {
            throw ValidationError("--mail-owner-address: \(error)")
        }
        guard let reply = SuspendedReply(rawValue: suspendedReply.uppercased()) else {
            throw ValidationError("--suspended-reply \(suspendedReply): use REJECT, DEFER or HOLD")
        }
        guard quietPeriod > 0, quietPeriod.isFinite else { throw ValidationError("--quiet-period must be a positive number of seconds") }
        guard failuresToBlock > 0, distinctAddresses > 1 else {
            throw ValidationError("--failures-to-block must be at least 1 and --distinct-addresses at least 2")
        }
        settings.configuration.suspendedReply = reply
        settings.configuration.suspendedText = suspendedText
        settings.configuration.quietPeriod = quietPeriod
        settings.configuration.failuresToBlock = failuresToBlock
        settings.configuration.distinctAddresses = distinctAddresses
        settings.configuration.loadRaisePerMinute = loadAlertPerMinute
        settings.configuration.authFailureRaisePerMinute = authFailureAlertPerMinute
        return settings
    }
}

/// `mamori mail …`: the SMTP AUTH abuse guard's alerts, suspensions and blocks in the store.
/// A running `mamori serve` picks a change up within a second.
struct MailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail", abstract: "The SMTP AUTH abuse guard: alerts, suspensions (measure 1), blocks (measure 2).",
        subcommands: [
            MailAlertCommand.self, MailStatusCommand.self, MailAlertsCommand.self, MailSuspensionsCommand.self, MailBlocksCommand.self,
            MailLiftCommand.self,
        ])
}

func openMailStore(_ options: StoreOptions) async throws -> (any Storage, any MailGuardStore) {
    let store = try await options.openStore()
    return (store, store.mailGuardStore)
}

/// `mamori mail alert raise|clear load|auth-failure`.
struct MailAlertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alert", abstract: "Raise or clear an alert: load (measure 1) or auth-failure (measure 2).",
        discussion: "The running guard opens or closes the measure's window and audits the alert's start or end.")

    enum Verb: String, ExpressibleByArgument, CaseIterable {
        case raise
        case clear
    }

    @OptionGroup var options: StoreOptions

    @Argument(help: "raise or clear.")
    var verb: Verb

    @Argument(help: "load or auth-failure.")
    var alert: MailAlert

    func run() async throws {
        let (_, mail) = try await openMailStore(options)
        switch verb {
        case .raise: try await mail.apply([.alert(alert, RaisedAlert(alert: alert, since: Date(), source: .cli))])
        case .clear: try await mail.apply([.alert(alert, nil)])
        }
        Output.line("\(alert): \(verb == .raise ? "raised" : "cleared")")
    }
}

/// What `status`, `alerts`, `suspensions` and `blocks` show: pseudonyms only (an operator who
/// needs a login or address in clear has it from the ISP's own systems; `lift` takes it).
struct MailListing {
    let snapshot: MailGuardSnapshot
    let pseudonymizer: Pseudonymizer

    func alerts() -> [[String: Any]] {
        snapshot.alerts.values.sorted { $0.alert.rawValue < $1.alert.rawValue }.map {
            ["alert": $0.alert.rawValue, "since": RFC3339Text.format($0.since), "source": $0.source.rawValue]
        }
    }

    func suspensions() -> [[String: Any]] {
        snapshot.suspensions.values.sorted { $0.since < $1.since }.map {
            [
                "login": pseudonymizer.pseudonym(subscriber: $0.authID), "since": RFC3339Text.format($0.since),
                "until": RFC3339Text.format($0.until), "reason": $0.reason,
            ]
        }
    }

    func blocks() -> [[String: Any]] {
        snapshot.blocks.values.sorted { $0.since < $1.since }.map {
            [
                "address": IPAddress($0.address).map { pseudonymizer.pseudonym(address: $0).description } ?? "?",
                "since": RFC3339Text.format($0.since), "last_failure": RFC3339Text.format($0.lastFailure), "attempts": $0.attempts,
            ]
        }
    }

    static func print(_ rows: [[String: Any]], keys: [String], json: Bool, name: String) {
        if json {
            Output.line(Output.json([name: rows]))
            return
        }
        if rows.isEmpty { Output.line("no \(name)") }
        for row in rows { Output.line(keys.map { "\(row[$0] ?? "")" }.joined(separator: "  ")) }
    }
}

struct MailStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Alerts raised, suspensions and blocks in force.")
    @OptionGroup var options: StoreOptions
    @Flag(help: "One JSON object on stdout.") var json = false

    func run() async throws {
        let (store, mail) = try await openMailStore(options)
        let listing = MailListing(snapshot: try await mail.mailGuardSnapshot(), pseudonymizer: try store.pseudonymizer())
        let alerts = listing.alerts()
        if json {
            Output.line(Output.json(["alerts": alerts, "suspensions": listing.snapshot.suspensions.count, "blocks": listing.snapshot.blocks.count]))
        } else {
            let raised = alerts.compactMap { $0["alert"] as? String }
            Output.line("alerts raised: \(raised.isEmpty ? "none" : raised.joined(separator: ", "))")
            Output.line("suspensions: \(listing.snapshot.suspensions.count)")
            Output.line("blocks: \(listing.snapshot.blocks.count)")
        }
    }
}

struct MailAlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "alerts", abstract: "The alerts raised.")
    @OptionGroup var options: StoreOptions
    @Flag(help: "One JSON object on stdout.") var json = false

    func run() async throws {
        let (store, mail) = try await openMailStore(options)
        let listing = MailListing(snapshot: try await mail.mailGuardSnapshot(), pseudonymizer: try store.pseudonymizer())
        MailListing.print(listing.alerts(), keys: ["alert", "since", "source"], json: json, name: "alerts")
    }
}

struct MailSuspensionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "suspensions", abstract: "The suspended AUTH IDs (pseudonymised).")
    @OptionGroup var options: StoreOptions
    @Flag(help: "One JSON object on stdout.") var json = false

    func run() async throws {
        let (store, mail) = try await openMailStore(options)
        let listing = MailListing(snapshot: try await mail.mailGuardSnapshot(), pseudonymizer: try store.pseudonymizer())
        MailListing.print(listing.suspensions(), keys: ["login", "since", "until", "reason"], json: json, name: "suspensions")
    }
}

struct MailBlocksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "blocks", abstract: "The addresses not offered AUTH (pseudonymised).")
    @OptionGroup var options: StoreOptions
    @Flag(help: "One JSON object on stdout.") var json = false

    func run() async throws {
        let (store, mail) = try await openMailStore(options)
        let listing = MailListing(snapshot: try await mail.mailGuardSnapshot(), pseudonymizer: try store.pseudonymizer())
        MailListing.print(listing.blocks(), keys: ["address", "since", "last_failure", "attempts"], json: json, name: "blocks")
    }
}

/// `mamori mail lift --ip ADDR | --login ID`: ends a block or a suspension (audited here).
struct MailLiftCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lift", abstract: "Lift a block (--ip) or a suspension (--login).")
    @OptionGroup var options: StoreOptions
    @Option(help: "The blocked address.") var ip: String?
    @Option(help: "The suspended SMTP AUTH ID.") var login: String?
    @Option(help: "Why: operator or password-changed.") var reason: String = "operator"

    func validate() throws {
        guard (ip == nil) != (login == nil) else { throw ValidationError("give one of --ip ADDR or --login ID") }
        if let ip, IPAddress(ip) == nil { throw ValidationError("--ip \(ip): not an IP address") }
        guard ["operator", "password-changed"].contains(reason) else { throw ValidationError("--reason: operator or password-changed") }
    }

    func run() async throws {
        let (store, mail) = try await openMailStore(options)
        let snapshot = try await mail.mailGuardSnapshot()
        let pseudonymizer = try store.pseudonymizer()
        if let ip, let address = IPAddress(ip) {
            guard snapshot.blocks[address.description] != nil else { throw MamoriExit(code: 1, message: "--ip: not blocked") }
            try await mail.apply([.block(address.description, nil)])
            _ = try await store.audit.append(
                AuditEntry(
                    countermeasure: .smtpBruteForce, action: "lift", actor: "cli",
                    subject: "ip:" + pseudonymizer.pseudonym(address: address).description,
                    detail: ["reason": reason]))
            Output.line("lifted")
        } else if let login {
            guard snapshot.suspensions[login] != nil else { throw MamoriExit(code: 1, message: "--login: not suspended") }
            try await mail.apply([.suspension(login, nil)])
            _ = try await store.audit.append(
                AuditEntry(
                    countermeasure: .smtpCredentialAbuse, action: "lift", actor: "cli", subject: pseudonymizer.pseudonym(subscriber: login),
                    detail: ["reason": reason]))
            Output.line("lifted")
        }
    }
}
