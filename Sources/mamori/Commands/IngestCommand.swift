public import ArgumentParser
import Attribution
import Foundation
import Runtime
import Secrecy
import Storage
import TextScanning

struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Load records into the store.",
        subcommands: [IngestAAACommand.self, IngestSightingsCommand.self]
    )
}

/// `mamori ingest aaa FILE… [--format …]`: address-assignment records (RADIUS detail, Kea lease
/// CSV, ISC dhcpd leases, CGN port-block CSV) into the store.
///
/// Idempotent (a file already ingested is skipped; an event already stored is not added again)
/// and crash-safe (events are committed in batches; re-running after a kill adds exactly what is
/// missing). A malformed record is reported as `file:line: reason` on stderr, skipped and counted;
/// the rest is ingested and the run exits 65.
struct IngestAAACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aaa",
        abstract: "Ingest address-assignment records (RADIUS detail, Kea CSV, dhcpd.leases, CGN CSV)."
    )

    @OptionGroup var options: StoreOptions

    @Option(help: "The format (radius-detail, kea-csv, dhcpd-leases, cgn-csv); detected when omitted.")
    var format: AssignmentFormat?

    @Option(help: "The time zone of RADIUS detail header lines, used only when a record has no Event-Timestamp or Timestamp.")
    var headerTimeZone: String = "UTC"

    @Flag(help: "End with one JSON line of counts on stdout.")
    var json = false

    @Flag(help: "Do not rebuild the attribution index snapshot after adding events (the next command that attributes does).")
    var noIndexSnapshot = false

    @Argument(help: "The files to ingest.")
    var files: [String]

    func run() async throws {
        let store = try await options.openStore()
        guard let zone = TimeZone(identifier: headerTimeZone) else {
            throw ValidationError("--header-time-zone: unknown time zone \(headerTimeZone)")
        }
        var totals = IngestTotals()
        var unreadable = false
        for file in files {
            let url = URL(fileURLWithPath: file)
            let name = url.lastPathComponent
            do {
                let report = try await AAAIngest.ingest(url: url, format: format, headerTimeZone: zone, store: store.assignments, actor: "cli")
                totals.add(report)
                for issue in report.issues { Output.error(issue.description) }
                if report.issuesSuppressed > 0 {
                    Output.error("\(name): \(report.issuesSuppressed) more rejected records not listed")
                }
                if !json {
                    Output.line(report.summaryLine(name: name))
                }
            } catch let error as AttributionError {
                Output.error(error.description)
                unreadable = true
                totals.unreadableFiles += 1
            }
        }
        if json {
            Output.line(Output.json(totals.dictionary))
        } else {
            Output.line(
                "total: \(totals.files) files, \(totals.records) records, \(totals.added) events added, "
                    + "\(totals.duplicates) already stored, \(totals.rejected) rejected, \(totals.skippedFiles) files already ingested")
        }
        if totals.added > 0 && !noIndexSnapshot {
            // Rebuild the attribution index snapshot now, so that `attribute` answers at once.
            let runtime = MamoriRuntime(store: store, configuration: MamoriConfiguration(declarations: try options.loadDeclarations()))
            _ = try await runtime.attributionIndex()
        }
        if unreadable { throw MamoriExit(code: MamoriExit.noInput) }
        if totals.rejected > 0 { throw MamoriExit(code: MamoriExit.dataError) }
    }
}

extension AssignmentFormat: ExpressibleByArgument {}

struct IngestTotals {
    var files = 0
    var skippedFiles = 0
    var unreadableFiles = 0
    var records = 0
    var added = 0
    var duplicates = 0
    var rejected = 0
    var skippedRecords = 0

    mutating func add(_ report: AAAIngest.Report) {
        files += 1
        if report.alreadyIngested { skippedFiles += 1 }
        records += report.records
        added += report.added
        duplicates += report.duplicates
        rejected += report.rejected
        skippedRecords += report.skipped
    }

    var dictionary: [String: Any] {
        [
            "files": files, "files_already_ingested": skippedFiles, "files_unreadable": unreadableFiles,
            "records": records, "added": added, "duplicates": duplicates, "rejected": rejected,
            "skipped": skippedRecords,
        ]
    }
}
