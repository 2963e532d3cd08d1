public import ArgumentParser
import Attribution
import Foundation
import Remediation
import Runtime
import Secrecy
import Sightings
import Storage
import TextScanning

/// Options of the notification flow shared by `ingest sightings`, `notify`, `serve` and `demo`.
struct FlowOptions: ParsableArguments {
    @Option(help: "The portal's public base URL used in personal links.")
    var baseURL: String = "http://127.0.0.1:8080"

    @Option(help: "The domain of notice Message-IDs and of the From address.")
    var mailDomain: String = "mamori.isp.example"

    @Option(help: "A directory with the whole set of notice templates and page.json (default: bundled).")
    var templates: String?

    @Option(help: "Sightings of one subscriber and family within this many days form one case.")
    var caseWindowDays: Double = 7

    @Option(help: "A case with no sighting for this many days expires.")
    var caseExpiryDays: Double = 30

    @Option(help: "Send a reminder this many days after the last notice if sightings continue.")
    var reminderDays: Double = 7

    @Option(help: "Never more than one notice per subscriber within this many days.")
    var minimumGapDays: Double = 3

    @Option(help: "Personal links expire after this many days.")
    var tokenDays: Double = 30

    @Option(help: "Clock-skew tolerance of attribution, seconds.")
    var skew: Double = 60

    @Option(help: "Seconds a delivering worker holds a notice before another may take it over (longer than one SMTP transaction).")
    var outboxLeaseSeconds: Double = 300

    /// The flow's configuration.
    var configuration: FlowConfiguration {
        var flow = FlowConfiguration()
        flow.baseURL = baseURL
        flow.mailDomain = mailDomain
        flow.templatesDirectory = templates
        flow.casePolicy = CasePolicy(window: caseWindowDays * 86_400, expireAfter: caseExpiryDays * 86_400)
        flow.noticePolicy = NoticePolicy(
            reminderAfter: reminderDays * 86_400, minimumGap: minimumGapDays * 86_400, tokenLifetime: tokenDays * 86_400)
        flow.attribution = AttributionConfig(skew: skew)
        flow.outboxLease = outboxLeaseSeconds
        return flow
    }
}

/// `mamori subscribers import FILE.csv` (header `subscriber,email,language`).
struct SubscribersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscribers", abstract: "Manage the subscriber contact directory.", subcommands: [SubscribersImportCommand.self])
}

struct SubscribersImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import subscriber contacts from CSV (subscriber,email,language); used only to send notices.")

    @OptionGroup var options: StoreOptions

    @Argument(help: "The CSV file.")
    var file: String

    func run() async throws {
        let url = URL(fileURLWithPath: file)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw MamoriExit(code: MamoriExit.noInput, message: "\(url.lastPathComponent): cannot read")
        }
        let (contacts, issues) = SubscriberDirectoryCSV.parse(text, file: url.lastPathComponent)
        for issue in issues { Output.error(issue.description) }
        let store = try await options.openStore()
        let count = try await store.remediation.upsert(
            contacts: contacts,
            audit: AuditEntry(
                countermeasure: .infectedHostNotification, action: "directory-import", actor: "cli", subject: "subscriber_contact",
                detail: ["imported": "\(contacts.count)", "rejected": "\(issues.count)"]))
        Output.line("\(url.lastPathComponent): \(count) subscribers imported, \(issues.count) rejected")
        if !issues.isEmpty { throw MamoriExit(code: MamoriExit.dataError) }
    }
}

/// `mamori ingest sightings FILE… [--feed NAME] [--json]`.
struct IngestSightingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sightings",
        abstract: "Ingest sightings (Cowrie, Dionaea, Shadowserver, C&C takedown logs, IoT reports), attribute them and update cases.")

    @OptionGroup var options: StoreOptions
    @OptionGroup var flow: FlowOptions

    @Option(help: "The feed: cowrie, dionaea, shadowserver[:REPORT], cnc-takedown, iot-report, darknet (detected when omitted; darknet never is).")
    var feed: String?

    @OptionGroup var darknetOptions: DarknetOptions

    @Option(help: "A JSON file giving the C&C takedown log layout (docs/formats/cnc-takedown.md); implies --feed cnc-takedown.")
    var cncLayout: String?

    func resolvedFeed() throws -> SightingFeed? {
        if let cncLayout {
            guard let data = FileManager.default.contents(atPath: cncLayout) else { throw ValidationError("--cnc-layout: cannot read \(cncLayout)") }
            do {
                return .cncTakedown(try JSONDecoder().decode(CnCLogLayout.self, from: data))
            } catch {
                throw ValidationError("--cnc-layout: \(cncLayout): \(error)")
            }
        }
        guard let feed else { return nil }
        switch feed {
        case "cowrie": return .cowrie
        case "dionaea": return .dionaea
        case "shadowserver": return .shadowserver(report: nil)
        case "cnc-takedown": return .cncTakedown(.default)
        case "iot-report": return .iotReport
        default:
            if feed.hasPrefix("shadowserver:") { return .shadowserver(report: String(feed.dropFirst("shadowserver:".count))) }
            throw ValidationError("--feed: unknown feed \(feed); use cowrie, dionaea, shadowserver[:REPORT], cnc-takedown or iot-report")
        }
    }

    @Flag(help: "End with one JSON object of counts on stdout.")
    var json = false

    @Option(help: "Sightings per store transaction (each batch is attributed and written at once).")
    var batchSize: Int = 65_536

    @Argument(help: "The files to ingest.")
    var files: [String]

    func run() async throws {
        if feed == "darknet" {
            try await DarknetIngest(options: options, flow: flow, darknet: darknetOptions, json: json, files: files).run()
            return
        }
        if darknetOptions.darknet != nil { throw ValidationError("--darknet needs --feed darknet") }
        let store = try await options.openStore()
        let feed = try resolvedFeed()
        let runtime = MamoriRuntime(
            store: store, configuration: MamoriConfiguration(declarations: try options.loadDeclarations(), flow: flow.configuration))
        var intake = try await runtime.caseIntake(actor: "cli")
        intake.batchSize = max(1, batchSize)
        var totals = SightingIngestCounts()
        var unreadable = false
        for file in files {
            let url = URL(fileURLWithPath: file)
            do {
                let counts = try await SightingsIngest.ingest(url: url, feed: feed, intake: intake)
                totals.add(counts)
                if !json { Output.line("\(url.lastPathComponent): \(counts.line)") }
            } catch let error as CaseIntake.Unreadable {
                Output.error(error.description)
                unreadable = true
            }
        }
        if json {
            Output.line(Output.json(totals.dictionary))
        } else {
            Output.line("total: \(totals.line)")
        }
        if unreadable { throw MamoriExit(code: MamoriExit.noInput) }
        if totals.rejected > 0 { throw MamoriExit(code: MamoriExit.dataError) }
    }
}

/// The ingest of one sightings file, shared by `ingest sightings` and `demo`.
enum SightingsIngest {
    static func ingest(url: URL, feed: SightingFeed?, intake: CaseIntake) async throws -> SightingIngestCounts {
        var shown = 0
        return try await intake.ingest(contentsOf: url, feed: feed) { issue in
            shown += 1
            if shown <= 1000 { Output.error(issue.description) }
        }
    }
}

extension SightingIngestCounts {
    var dictionary: [String: Any] {
        [
            "parsed": parsed, "rejected": rejected, "not_infected": notInfected, "attributed": attributed, "not_found": notFound,
            "ambiguous": ambiguous, "cases_opened": casesOpened, "cases_updated": casesUpdated, "already_committed": alreadyCommitted,
        ]
    }

    var line: String {
        if alreadyIngested { return "already ingested (same content), nothing done" }
        let shared = alreadyCommitted > 0 ? ", \(alreadyCommitted) already committed by another run" : ""
        return "\(parsed) parsed, \(rejected) rejected, \(notInfected) not infected, \(attributed) attributed, \(notFound) not found, "
            + "\(ambiguous) ambiguous, \(casesOpened) cases opened, \(casesUpdated) cases updated" + shared
    }
}

/// `mamori cases [--status …]`: cases with subscribers pseudonymised.
struct CasesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cases", abstract: "List infection cases (subscribers pseudonymised).")

    @OptionGroup var options: StoreOptions

    @Option(help: "Only cases with this status (open, notified, remediated, expired, reopened).")
    var status: CaseStatus?

    @Flag(help: "JSON lines instead of a table.")
    var json = false

    func run() async throws {
        let store = try await options.openStore()
        let pseudonymizer = try store.pseudonymizer()
        let cases = try await store.remediation.cases(status: status)
        for c in cases {
            guard let id = c.id else { continue }
            let who = pseudonymizer.pseudonym(subscriber: c.subscriber)
            if json {
                Output.line(
                    Output.json([
                        "id": id, "countermeasure": c.countermeasure.rawValue, "subscriber": who, "family": c.family,
                        "first_seen": RFC3339.format(c.firstSeen), "last_seen": RFC3339.format(c.lastSeen), "sightings": c.sightings,
                        "status": c.status.rawValue, "notices": c.notices,
                    ]))
            } else {
                Output.line(
                    "\(id)\t\(c.status.rawValue)\t\(c.countermeasure.rawValue)\t\(who)\t\(c.family.isEmpty ? "-" : c.family)\t"
                        + "\(RFC3339.format(c.firstSeen))\t\(RFC3339.format(c.lastSeen))\t\(c.sightings) sightings\t\(c.notices) notices")
            }
        }
        if !json {
            for f in try await store.remediation.feedCounts() {
                Output.line(
                    "feed \(f.feed): \(f.parsed) parsed, \(f.rejected) rejected, \(f.notInfected) not infected, \(f.attributed) attributed, "
                        + "\(f.notFound) not found, \(f.ambiguous) ambiguous")
            }
        }
    }
}

extension CaseStatus: ExpressibleByArgument {}
