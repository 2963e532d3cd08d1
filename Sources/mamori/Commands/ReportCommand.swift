import ArgumentParser
import Compliance
import Foundation
import Runtime
import Secrecy
import Storage

/// `mamori report [--from TIME] [--to TIME] [--format html|json|md] [--lang ja|en] [--out FILE]`:
/// the compliance report for the legal team.
///
/// Per declared countermeasure: the declaration (basis and the justification of every
/// requirement, data items, retention, trigger, conditions) and what was done under it in the
/// period, counted from the audit log; the retention state of every stored class; whether the
/// audit log verifies. Counts only: no address, subscriber id or mail address appears.
///
/// Exit 0, or 3 when the audit chain is broken (the report is still written and says so).
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "The compliance report: per countermeasure, its declared basis and what was done (counts only).")

    @OptionGroup var options: StoreOptions

    @Option(help: "Count acts from this RFC 3339 time on (inclusive). Default: the first record.")
    var from: String?

    @Option(help: "Count acts before this RFC 3339 time (exclusive). Default: now.")
    var to: String?

    @Option(help: "md, html (a standalone printable page) or json.")
    var format: String = "md"

    @Option(help: "ja or en.")
    var lang: String = "ja"

    @Option(help: "Write the report to this file instead of stdout.")
    var out: String?

    func validate() throws {
        guard ReportFormat(rawValue: format) != nil else { throw ValidationError("--format: use html, json or md") }
        guard ReportLanguage(rawValue: lang) != nil else { throw ValidationError("--lang: use ja or en") }
        let period = try self.period()
        if let from = period.from, let to = period.to, to <= from { throw ValidationError("--to must be after --from") }
    }

    private func period() throws -> ReportPeriod {
        func time(_ text: String?, _ field: String) throws -> Date? {
            guard let text else { return nil }
            switch Query.parseTime(text, field: field) {
            case .success(let date): return date
            case .failure(let failure): throw ValidationError(failure.message)
            }
        }
        return ReportPeriod(from: try time(from, "--from"), to: try time(to, "--to"))
    }

    func run() async throws {
        let declarations = try options.loadDeclarations()
        let store = try await options.openStore()
        let log = store.audit
        let records = try await log.records(from: 1)
        // The signed checkpoints outside the store, checked as `audit verify` does.
        let trusted = store.trustedCheckpointKeys()
        let signed = AuditTail.verify(
            records, signed: try CheckpointFile(path: try options.checkpointsPath).lines(), trustedKeys: trusted.isEmpty ? nil : trusted)
        let input = ComplianceInput(
            declarations: declarations, records: records, checkpoints: try await log.checkpoints(),
            caseCounts: try await store.caseCounts(),
            held: try await store.retentionStates().map { HeldData(dataClass: $0.dataClass, count: $0.count, oldest: $0.oldest) },
            period: try period(), generatedAt: Date(), signedCheckpoints: signed)
        let report = ComplianceReport(input)
        let text = ComplianceRenderer(report: report, language: ReportLanguage(rawValue: lang) ?? .ja)
            .render(ReportFormat(rawValue: format) ?? .md)
        if let out {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
            } catch {
                throw MamoriExit(code: 1, message: "\(out): cannot write the report (\(error.localizedDescription))")
            }
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        if !report.audit.intact {
            throw MamoriExit(
                code: MamoriExit.brokenChain, message: "the audit log is broken at record \(report.audit.brokenAt ?? 0); the report says so")
        }
    }
}
