import ArgumentParser
import Attribution
import Foundation
import Runtime
import Secrecy
import Storage
import TextScanning

/// `mamori purge`: deletes every stored item past its declared lifetime and audits the purge.
///
/// Lifetimes come from the declarations (`retention`, per data class; the longest among the
/// declarations that use a class). The audit log is not purged: it holds no raw identifier.
struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "purge", abstract: "Delete stored data past its declared retention (audited).")

    @OptionGroup var options: StoreOptions

    @Option(help: "Purge as of this RFC 3339 time instead of now (for tests and replays).")
    var now: String?

    @Flag(help: "One JSON line per data class instead of text.")
    var json = false

    func run() async throws {
        let declarations = try options.loadDeclarations()
        var asOf = Date()
        if let now {
            switch Query.parseTime(now, field: "--now") {
            case .success(let d): asOf = d
            case .failure(let f): throw ValidationError(f.message)
            }
        }
        let store = try await options.openStore()
        let policy = RetentionPolicy(declarations: declarations)
        // The attribution index snapshot holds assignment records too: it goes with them (the next
        // command that attributes rebuilds it from what is left).
        if FileManager.default.fileExists(atPath: store.indexSnapshotPath) {
            try? FileManager.default.removeItem(atPath: store.indexSnapshotPath)
        }
        defer {
            // And again after: an `attribute` run meanwhile may have rebuilt it from rows now purged.
            try? FileManager.default.removeItem(atPath: store.indexSnapshotPath)
        }
        for dataClass in store.storedDataClasses {
            // A class no declaration keeps has no lifetime: nothing of it may stay.
            let lifetime = policy.lifetime(for: dataClass)
            let cutoff = policy.cutoff(for: dataClass, now: asOf) ?? Date.distantFuture
            let result = try await store.purge(dataClass, before: cutoff) { result in
                var detail = ["class": dataClass.rawValue, "as_of": RFC3339.format(asOf), "deleted": "\(result.total)"]
                detail["retention_days"] = lifetime.map { "\($0.days)" } ?? "undeclared"
                detail["cutoff"] = lifetime == nil ? "all" : RFC3339.format(cutoff)
                for (table, count) in result.deleted { detail["deleted_\(table)"] = "\(count)" }
                return AuditEntry(
                    time: Date(), countermeasure: nil, action: "purge", actor: "cli", subject: "retention:\(dataClass.rawValue)", detail: detail)
            }
            let tables = result.deleted.sorted { $0.key < $1.key }
            if json {
                Output.line(
                    Output.json([
                        "class": dataClass.rawValue, "retention_days": lifetime.map { $0.days as Any } ?? NSNull(),
                        "cutoff": lifetime == nil ? "all" : RFC3339.format(cutoff), "deleted": result.total,
                        "tables": Dictionary(uniqueKeysWithValues: tables.map { ($0.key, $0.value) }),
                    ]))
            } else {
                let what = tables.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
                let limit = lifetime.map { "older than \($0.days) days (before \(RFC3339.format(cutoff)))" } ?? "all (no declaration keeps it)"
                Output.line("\(dataClass.rawValue): \(what) deleted, \(limit)")
            }
        }
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
            Output.line(
                "\(d.id)\tbasis: \(d.bases.map(\.rawValue).joined(separator: "+"))\ttrigger: \(d.trigger)\tattribution: \(d.allowsAttribution ? "yes" : "no")"
            )
        }
        Output.line("\(loaded.all.count) declarations valid")
    }
}
