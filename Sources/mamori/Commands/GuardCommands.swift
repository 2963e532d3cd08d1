public import ArgumentParser
import Foundation
import Logging
import Remediation
import Runtime
public import SiteWarning
import Storage
import TextScanning

extension ListKind: ExpressibleByArgument {}
extension ListFormat: ExpressibleByArgument {}
extension ConsentMeasure: ExpressibleByArgument {}
extension ConsentChoice: ExpressibleByArgument {}
extension ConsentChannel: ExpressibleByArgument {}
extension SiteReportFormat: ExpressibleByArgument {}

/// `mamori lists import|show`: the DNS guard's lists, kept in the store; every running guard
/// loads a change without a restart.
struct ListsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lists", abstract: "Manage the DNS guard's lists (malware sites, C&C names, allow lists).",
        subcommands: [ListsImportCommand.self, ListsShowCommand.self, ListsRemoveCommand.self, ListsReportCommand.self])
}

struct ListsImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a list file (replacing the list of that name); running guards load it within a second.",
        discussion: """
            Formats: domains (one name a line, # comments, hosts-file lines), rpz (an RPZ zone: QNAME \
            triggers; CNAME . is NXDOMAIN, the other actions mapped, other triggers refused with \
            file:line), urls (one URL a line; the host is listed when the URL names the whole host). \
            Without --format: rpz for .rpz/.zone/.db files or a file with an SOA, urls when lines hold \
            "://", else domains. Problems are printed as file:line: reason; the rest of the file loads.
            """)

    @OptionGroup var options: StoreOptions

    @Argument(help: "The list file.")
    var file: String

    @Option(help: "The list's name (letters, digits, '-', '_', '.').")
    var list: String

    @Option(help: "malware-site, cnc or allow.")
    var kind: ListKind

    @Option(help: "rpz, domains or urls (default: detected).")
    var format: ListFormat?

    @Flag(help: "End with one JSON object on stdout.")
    var json = false

    func run() async throws {
        let url = URL(fileURLWithPath: file)
        guard let data = FileManager.default.contents(atPath: file) else {
            throw MamoriExit(code: MamoriExit.noInput, message: "\(url.lastPathComponent): cannot read")
        }
        let bytes = [UInt8](data)
        let format = self.format ?? Self.detect(name: url.lastPathComponent, bytes: bytes)
        let source = ListSource(name: list, kind: kind, format: format, file: url.lastPathComponent, bytes: bytes, actor: "cli")
        do {
            try source.validate()
        } catch {
            throw ValidationError(error.description)
        }
        // Parse before storing, so what the guards will load is reported here.
        var builder = BlocklistBuilder()
        let report = try builder.load(source)
        for issue in report.issues { Output.error(issue.description) }
        if report.issueCount > report.issues.count {
            Output.error("\(url.lastPathComponent): \(report.issueCount - report.issues.count) more problems not shown")
        }
        let store = try await options.openStore()
        let stored = try await store.blocklists.importList(source)
        if json {
            let object: [String: Any] = [
                "list": list, "kind": kind.rawValue, "format": format.rawValue, "entries": report.entries,
                "duplicates": report.duplicates, "skipped": report.skipped.values.reduce(0, +), "rejected": report.issueCount,
                "revision": stored.revision, "sha256": stored.sha256,
            ]
            Output.line(Output.json(object))
        } else {
            Output.line(
                "\(url.lastPathComponent): list \(list) (\(kind), \(format)): \(report.entries) entries, "
                    + "\(report.issueCount) rejected; revision \(stored.revision)")
        }
    }

    static func detect(name: String, bytes: [UInt8]) -> ListFormat {
        let lower = name.lowercased()
        if lower.hasSuffix(".rpz") || lower.hasSuffix(".zone") || lower.hasSuffix(".db") { return .rpz }
        let head = String(decoding: bytes.prefix(65_536), as: UTF8.self)
        if head.contains(" SOA ") || head.contains("\tSOA\t") || head.contains("$ORIGIN") { return .rpz }
        if head.contains("://") { return .urls }
        return .domains
    }
}

struct ListsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the current lists.")

    @OptionGroup var options: StoreOptions

    @Flag(help: "One JSON object on stdout.")
    var json = false

    func run() async throws {
        let store = try await options.openStore()
        let lists = try await store.blocklists.listSummaries()
        let version = try await store.blocklists.listsVersion()
        if json {
            let items: [[String: Any]] = lists.map { l in
                [
                    "list": l.name, "kind": l.kind.rawValue, "format": l.format.rawValue, "file": l.file, "bytes": l.bytes,
                    "sha256": l.sha256, "imported_at": RFC3339.format(l.importedAt), "actor": l.actor, "revision": l.revision,
                ]
            }
            Output.line(Output.json(["version": version, "lists": items]))
            return
        }
        if lists.isEmpty { Output.line("no lists") }
        for l in lists {
            Output.line("\(l.name)\t\(l.kind)\t\(l.format)\t\(l.file)\t\(l.bytes) bytes\t\(RFC3339.format(l.importedAt))\trevision \(l.revision)")
        }
    }
}

struct ListsRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a list; running guards drop it within a second.")

    @OptionGroup var options: StoreOptions

    @Option(help: "The list's name.")
    var list: String

    func run() async throws {
        let store = try await options.openStore()
        guard try await store.blocklists.removeList(named: list, actor: "cli") else {
            throw MamoriExit(code: MamoriExit.dataError, message: "no list named \(list)")
        }
        Output.line("list \(list) removed")
    }
}

/// `mamori consent set|show|history`: a line's choices for the guard's two measures.
/// `mamori lists report`: site-owner notices (ARF or X-ARF) for a list's sites, queued in the
/// outbox (audited) and, with a relay, delivered now; `serve`'s outbox worker delivers the rest.
struct ListsReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Tell the owners of a list's sites: ARF or X-ARF notices through the outbox.",
        discussion: """
            Each listed name is reported once per recipient: to the contact its feed gives (contact=ADDR \
            in the entry's comment), else to --contact. The notice holds the site's name, the list, its \
            reason and the listing time, and nothing about subscribers. With --smtp-host the outbox is \
            delivered now; otherwise `mamori serve` (with a relay) delivers it.
            """)

    @OptionGroup var options: StoreOptions
    @OptionGroup var flow: FlowOptions
    @OptionGroup var relay: RelayOptions

    @Option(help: "The list's name.")
    var list: String

    @Option(help: "The abuse address to send to when the feed gives none for a site.")
    var contact: String?

    @Option(help: "xarf (ARF with the X-ARF JSON report) or arf.")
    var format: SiteReportFormat = .xarf

    @Flag(help: "End with one JSON object of counts on stdout.")
    var json = false

    func run() async throws {
        let logger = Logger(label: "mamori.lists")
        let store = try await options.openStore()
        let sources = try await store.blocklists.currentLists()
        guard let source = sources.first(where: { $0.name == list }) else {
            throw MamoriExit(code: MamoriExit.dataError, message: "no list named \(list)")
        }
        guard source.kind != .allow else { throw ValidationError("\(list) is an allow list: its names are not reported") }
        var builder = BlocklistBuilder()
        try builder.load(source)
        let runtime = MamoriRuntime(
            store: store,
            configuration: MamoriConfiguration(declarations: try options.loadDeclarations(), flow: flow.configuration, relay: try relay.settings()))
        let outbox = try runtime.siteReportOutbox(actor: "cli")
        let plan = try await outbox.enqueue(list: list, of: builder.build(), contact: contact, format: format)
        for problem in plan.problems { Output.error(problem) }
        var delivery = DeliveryCounts()
        if let transport = try runtime.relayTransport(logger: logger) {
            delivery = try await outbox.deliver(transport: transport)
        }
        if json {
            Output.line(
                Output.json([
                    "list": list, "format": format.rawValue, "queued": plan.queued, "already_queued": plan.alreadyQueued,
                    "no_contact": plan.noContact, "refused": plan.refused, "sent": delivery.sent, "deferred": delivery.retried,
                    "failed": delivery.failed,
                ]))
        } else {
            Output.line(
                "\(list): \(plan.queued) site-owner notices queued (\(format)), \(plan.alreadyQueued) already queued, "
                    + "\(plan.noContact) without contact, \(plan.refused) refused; sent \(delivery.sent), deferred \(delivery.retried), failed \(delivery.failed)"
            )
        }
        if delivery.failed > 0 { throw MamoriExit(code: 1) }
        if delivery.retried > 0 { throw MamoriExit(code: MamoriExit.temporaryFailure) }
    }
}

struct ConsentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consent", abstract: "A line's choices for the malware-site warning and the C&C DNS block, and their history.",
        subcommands: [ConsentSetCommand.self, ConsentShowCommand.self, ConsentHistoryCommand.self])
}

struct ConsentSetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Record a line's choice; every running guard applies it within a second.")

    @OptionGroup var options: StoreOptions

    @Option(help: "malware-site-warning or cnc-dns-block.")
    var measure: ConsentMeasure

    @Option(help: "The line: the RADIUS User-Name of its sessions.")
    var line: String

    @Argument(help: "on or off.")
    var choice: ConsentChoice

    @Option(help: "Where the subscriber asked for it (cli, api, page).")
    var channel: ConsentChannel = .cli

    @Option(help: "The version of the terms in force (recorded with the choice).")
    var termsVersion: String = ProcessInfo.processInfo.environment["MAMORI_TERMS_VERSION"] ?? "unspecified"

    @Flag(help: "One JSON object on stdout.")
    var json = false

    func run() async throws {
        let change = ConsentChange(
            line: LineID(line), measure: measure, choice: choice, time: Date(), channel: channel, termsVersion: termsVersion)
        do {
            try change.validate()
        } catch {
            throw ValidationError(error.description)
        }
        let store = try await options.openStore()
        try await store.consent.set(change)
        if json {
            Output.line(Output.json(ConsentOutput.object(change)))
        } else {
            Output.line("\(measure) \(choice) for the line (\(channel), terms \(termsVersion))")
        }
    }
}

struct ConsentShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "A line's current choices (its own, or the default).")

    @OptionGroup var options: StoreOptions

    @Option(help: "The line: the RADIUS User-Name of its sessions.")
    var line: String

    @Flag(help: "One JSON object on stdout.")
    var json = false

    func run() async throws {
        let store = try await options.openStore()
        var object: [String: Any] = ["line": line]
        var text: [String] = []
        for measure in ConsentMeasure.allCases {
            let own = try await store.consent.choice(line: LineID(line), measure: measure)
            object[measure.rawValue] = own?.rawValue ?? "default"
            text.append("\(measure): \(own?.rawValue ?? "default (never chosen)")")
        }
        if json { Output.line(Output.json(object)) } else { text.forEach(Output.line) }
    }
}

struct ConsentHistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Every choice a line made, oldest first.")

    @OptionGroup var options: StoreOptions

    @Option(help: "The line: the RADIUS User-Name of its sessions.")
    var line: String

    @Flag(help: "One JSON object on stdout.")
    var json = false

    func run() async throws {
        let store = try await options.openStore()
        let history = try await store.consent.history(line: LineID(line))
        if json {
            Output.line(Output.json(["line": line, "changes": history.map(ConsentOutput.object)]))
            return
        }
        if history.isEmpty { Output.line("no choices recorded") }
        for c in history {
            Output.line("\(RFC3339.format(c.time))\t\(c.measure)\t\(c.choice)\t\(c.channel)\tterms \(c.termsVersion)")
        }
    }
}

enum ConsentOutput {
    static func object(_ c: ConsentChange) -> [String: Any] {
        [
            "measure": c.measure.rawValue, "choice": c.choice.rawValue, "time": RFC3339.format(c.time), "channel": c.channel.rawValue,
            "terms_version": c.termsVersion,
        ]
    }
}
