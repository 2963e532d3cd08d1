import Addressing
import ArgumentParser
import Attribution
import Foundation
import Logging
import Mailer
import Remediation
import Runtime
import Secrecy
import ServiceLifecycle
import Storage
import TextScanning
import UnixSignals

/// `mamori demo`: the embedded default, seeded. Loads the bundled declarations, ingests the
/// bundled sample AAA records (RADIUS detail, Kea CSV, dhcpd.leases, CGN CSV) into the SQLite
/// store, answers sample attributions for `infected-host-notification`, checkpoints and
/// verifies the audit log. Safe to run again: ingest is idempotent.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run Mamori on its embedded default with bundled sample data.")

    @OptionGroup var options: StoreOptions
    @OptionGroup var flow: FlowOptions
    @OptionGroup var portal: PortalOptions

    @Option(help: "Where the dry-run notices (.eml) are written.")
    var noticesOut: String = "./mamori-demo-notices"

    @Flag(help: "Stop after the dry-run notices instead of serving the portal.")
    var noServe = false

    static let samples = ["radius-detail.txt", "kea-leases4.csv", "dhcpd.leases", "cgn-blocks.csv"]

    static let queries: [(ip: String, at: String, port: UInt16?, note: String)] = [
        ("192.0.2.10", "2026-11-27T09:15:00+09:00", nil, "RADIUS session, Start to Stop"),
        ("192.0.2.10", "2026-11-27T09:45:00+09:00", nil, "the same address, reassigned; session still open (grace)"),
        ("2001:db8:1000:1ab::1", "2026-11-27T00:15:00Z", nil, "inside a Delegated-IPv6-Prefix"),
        ("192.0.2.50", "2026-11-27T00:45:00Z", nil, "Kea lease, renewed"),
        ("192.0.2.71", "2026-11-27T00:10:00Z", nil, "dhcpd lease, now free"),
        ("203.0.113.5", "2026-11-27T03:00:00Z", 1500, "CGN address with a source port"),
        ("203.0.113.5", "2026-11-27T03:00:00Z", nil, "CGN address without a port"),
        ("198.51.100.200", "2026-11-27T03:00:00Z", nil, "nobody's address"),
    ]

    func run() async throws {
        let declarations = try options.loadDeclarations()
        Output.line("Mamori demo — store \(options.storePath), \(declarations.all.count) countermeasures declared")
        let store = try await options.openStore()
        let audit = store.audit
        let runtime = MamoriRuntime(
            store: store, configuration: MamoriConfiguration(declarations: declarations, flow: flow.configuration, portal: portal.settings))
        guard let samplesURL = Bundle.module.url(forResource: "Samples", withExtension: nil) else {
            throw MamoriExit(code: 1, message: "the bundled samples are missing from this build")
        }
        Output.line("\n1. Ingest the sample address-assignment records")
        for name in Self.samples {
            let report = try await AAAIngest.ingest(
                url: samplesURL.appendingPathComponent(name), format: nil, headerTimeZone: TimeZone(identifier: "Asia/Tokyo") ?? .gmt,
                store: store.assignments, actor: "demo")
            for issue in report.issues { Output.error(issue.description) }
            Output.line("   " + report.summaryLine(name: name))
        }

        Output.line("\n2. Attribute sample sightings for infected-host-notification (each audited)")
        let desk = try await runtime.operatorAttribution(actor: "demo")
        for query in Self.queries {
            guard case .success(let q) = Query.parse(ip: query.ip, at: query.at, port: query.port) else { continue }
            let answer = try await desk.attribute(purpose: .infectedHostNotification, address: q.address, at: q.time, port: q.port)
            let port = query.port.map { " port \($0)" } ?? ""
            Output.line("   \(query.ip)\(port) at \(query.at) (\(query.note))")
            Output.line("     → \(AttributeCommand.render(answer))")
        }

        Output.line("\n3. A purpose whose declaration does not allow attribution is refused")
        do {
            _ = try await desk.attribute(
                purpose: .dnsAmplificationPrevention, address: IPAddress(v4: 0xC000_020A), at: Date(), port: nil)
        } catch {
            Output.line("   dns-amplification-prevention → \(error)")
        }

        Output.line("\n4. Audit log")
        let checkpoint = try await audit.checkpoint(now: Date())
        let verification = AuditChain.verify(try await audit.records(from: 1), checkpoints: try await audit.checkpoints())
        switch verification {
        case .intact(let count, _):
            Output.line("   intact: \(count) records; checkpoint root \(Hex.encode(checkpoint.root).prefix(16))…")
        case .broken(let sequence, let reason):
            throw MamoriExit(code: MamoriExit.brokenChain, message: "audit log broken at record \(sequence): \(reason)")
        }
        Output.line("   see it with: mamori audit show --store \(options.storePath)")

        Output.line("\n5. Import the subscriber directory, ingest sample sightings, open cases")
        let directoryURL = samplesURL.appendingPathComponent("subscribers.csv")
        let (contacts, _) = SubscriberDirectoryCSV.parse(try String(contentsOf: directoryURL, encoding: .utf8), file: "subscribers.csv")
        _ = try await store.remediation.upsert(
            contacts: contacts,
            audit: AuditEntry(
                countermeasure: .infectedHostNotification, action: "directory-import", actor: "demo", subject: "subscriber_contact",
                detail: ["imported": "\(contacts.count)"]))
        Output.line("   subscribers.csv: \(contacts.count) subscribers")
        let intake = try await runtime.caseIntake(actor: "demo")
        for name in Self.sightingSamples {
            let counts = try await SightingsIngest.ingest(url: samplesURL.appendingPathComponent(name), feed: nil, intake: intake)
            Output.line("   \(name): \(counts.line)")
        }
        for c in try await intake.summaries() {
            Output.line(
                "   case \(c.id) \(c.status.rawValue) \(c.countermeasure.rawValue) \(c.subscriberPseudonym) \(c.family.isEmpty ? "-" : c.family) "
                    + "\(c.sightings) sightings")
        }

        Output.line("\n6. Notices (dry run: written to \(noticesOut), nothing recorded as sent)")
        let plan = try await runtime.noticeOutbox(actor: "demo").planNotices(dryRun: true)
        let folder = FolderNoticeTransport(directory: URL(fileURLWithPath: noticesOut), from: try EmailAddress("security-desk@" + flow.mailDomain))
        var links: [String] = []
        for notice in plan.previews {
            Output.line("   " + (try await folder.deliver(notice)) + " (\(notice.language.rawValue))")
            if let range = notice.body.range(of: flow.baseURL + "/r/[A-Za-z0-9_-]{22}", options: .regularExpression) {
                links.append(String(notice.body[range]))
            }
        }
        let verified = AuditChain.verify(try await audit.records(from: 1), checkpoints: try await audit.checkpoints())
        Output.line("   audit log: \(verified.isIntact ? "intact" : "BROKEN")")
        guard !noServe else {
            if let link = links.first { Output.line("\nA sample remediation page: \(link)") }
            for other in links.dropFirst() { Output.line("Another case's page: \(other)") }
            return
        }
        Output.line("\n7. The remediation portal (Ctrl-C to stop)")
        if let link = links.first {
            Output.line("   Open a sample remediation page: \(link)")
            Output.line("   English: \(link)?lang=en")
        }
        let logger = Logger(label: "mamori.demo")
        try await ServiceGroup(
            configuration: .init(
                services: [try runtime.portalService(logger: Logger(label: "mamori.portal"))],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        ).run()
    }

    static let sightingSamples = ["event4_sinkhole_http-sample.csv", "cowrie-sample.json"]
}
