import ArgumentParser
import Runtime
import Foundation
import Secrecy
import Store
import TextScanning

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify and show the hash-chained audit log.",
        subcommands: [AuditVerifyCommand.self, AuditShowCommand.self, AuditCheckpointCommand.self]
    )
}

/// `mamori audit verify`: checks the chain and every Merkle checkpoint; names the first broken
/// record. Exit 0 when intact, 3 when broken.
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Check the audit chain and its checkpoints.")

    @OptionGroup var options: StoreOptions

    @Flag(help: "One JSON line instead of text.")
    var json = false

    func run() async throws {
        let store = try options.openStore()
        let log = try store.auditLog()
        let records = try log.records(from: 1)
        let checkpoints = try log.checkpoints()
        let verification = AuditChain.verify(records, checkpoints: checkpoints)
        switch verification {
        case .intact(let count, let head):
            if json {
                Output.line(Output.json(["status": "intact", "records": count, "head": Hex.encode(head), "checkpoints": checkpoints.count]))
            } else {
                Output.line("audit log intact: \(count) records, \(checkpoints.count) checkpoints verified, head \(Hex.encode(head).prefix(16))…")
            }
        case .broken(let sequence, let reason):
            if json {
                Output.line(Output.json(["status": "broken", "sequence": sequence, "reason": reason]))
            } else {
                Output.line("audit log BROKEN at record \(sequence): \(reason)")
            }
            throw MamoriExit(code: MamoriExit.brokenChain)
        }
    }
}

/// `mamori audit show`: lists records. Addresses and identities in records are already
/// pseudonymised when written (Crypto-PAn, keyed pseudonyms).
struct AuditShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "List audit records (pseudonymised).")

    @OptionGroup var options: StoreOptions

    @Option(help: "First sequence number to show.")
    var from: Int64 = 1

    @Option(help: "At most this many records.")
    var limit: Int = 1000

    @Flag(help: "JSON lines instead of text.")
    var json = false

    func run() async throws {
        let store = try options.openStore()
        for record in try store.auditLog().records(from: from).prefix(limit) {
            let e = record.entry
            let detail = e.detail.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            if json {
                Output.line(
                    Output.json([
                        "seq": record.sequence, "time": RFC3339Text.format(e.time), "countermeasure": e.countermeasure?.rawValue ?? NSNull(),
                        "action": e.action, "actor": e.actor, "subject": e.subject, "detail": e.detail,
                        "hash": Hex.encode(record.hash),
                    ]))
            } else {
                Output.line(
                    "\(record.sequence)\t\(RFC3339Text.format(e.time))\t\(e.countermeasure?.rawValue ?? "-")\t\(e.action)\t\(e.actor)\t\(e.subject)\t\(detail)")
            }
        }
    }
}

/// `mamori audit checkpoint`: records the Merkle root over the log now (RFC 9162 hashing).
struct AuditCheckpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "checkpoint", abstract: "Record a Merkle checkpoint of the audit log.")

    @OptionGroup var options: StoreOptions

    func run() async throws {
        let checkpoint = try options.openStore().auditLog().checkpoint()
        Output.line("checkpoint: \(checkpoint.size) records, root \(Hex.encode(checkpoint.root))")
    }
}

/// RFC 3339 text for display (UTC, seconds).
enum RFC3339Text {
    static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
