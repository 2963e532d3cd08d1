import ArgumentParser
import Attribution
import Foundation
import Secrecy
import Store

/// `mamori purge`: deletes every stored item past its declared lifetime and audits the purge.
///
/// Lifetimes come from the declarations (`retention`, per data class; the longest among the
/// declarations that use a class). The audit log is not purged: it holds no raw identifier.
struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "purge", abstract: "Delete stored data past its declared retention (audited).")

    @OptionGroup var options: StoreOptions

    @Option(help: "Purge as of this RFC 3339 time instead of now (for tests and replays).")
    var now: String?

    func run() async throws {
        let declarations = try options.loadDeclarations()
        var asOf = Date()
        if let now {
            switch Query.parseTime(now, field: "--now") {
            case .success(let d): asOf = d
            case .failure(let f): throw ValidationError(f.message)
            }
        }
        let store = try options.openStore()
        let policy = RetentionPolicy(declarations: declarations)
        var removed: [String: String] = [:]
        if let cutoff = policy.cutoff(for: .assignmentRecords, now: asOf) {
            let count = try store.purgeEvents(endedBefore: cutoff)
            removed["assignment-records"] = "\(count)"
            Output.line("assignment-records: \(count) events ended before \(RFC3339.format(cutoff)) deleted")
        }
        _ = try store.auditLog().append(
            AuditEntry(time: Date(), countermeasure: nil, action: "purge", actor: "cli", subject: "retention", detail: removed.merging(["as_of": RFC3339.format(asOf)]) { a, _ in a }))
    }
}

/// `mamori declarations`: prints or checks countermeasure declarations.
struct DeclarationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "declarations",
        abstract: "Show the countermeasure declarations, or check a declarations file.")

    @Option(name: .long, help: "A declarations file to check and show instead of the bundled one.")
    var declarations: String?

    func run() async throws {
        let loaded: Declarations
        if let declarations {
            loaded = try Declarations.load(contentsOf: URL(fileURLWithPath: declarations))
        } else {
            loaded = try Declarations.bundled()
        }
        for d in loaded.all {
            Output.line("\(d.id)\tbasis: \(d.bases.map(\.rawValue).joined(separator: "+"))\ttrigger: \(d.trigger)\tattribution: \(d.allowsAttribution ? "yes" : "no")")
        }
        Output.line("\(loaded.all.count) declarations valid")
    }
}
