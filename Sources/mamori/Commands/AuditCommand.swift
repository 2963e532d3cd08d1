import ArgumentParser
import Foundation
import Runtime
import Secrecy
import Storage
import TextScanning

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify and show the hash-chained audit log.",
        subcommands: [AuditVerifyCommand.self, AuditShowCommand.self, AuditCheckpointCommand.self]
    )
}

/// `mamori audit verify`: checks the chain, the signed checkpoints of the checkpoints file
/// (truncation, rollback, fork, bad signature) and the store's own Merkle checkpoints; names the
/// first problem. Exit 0 when intact, 3 otherwise.
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check the audit chain, the signed checkpoints file and the store's checkpoints.")

    @OptionGroup var options: StoreOptions

    @Flag(help: "One JSON line instead of text.")
    var json = false

    @Option(
        name: .customLong("public-key"),
        help: "A trusted checkpoint signing key (base64, as in the checkpoints file); repeatable. Default: the key file's.")
    var publicKeys: [String] = []

    func run() async throws {
        var pinned: Set<[UInt8]> = []
        for text in publicKeys {
            guard let key = Data(base64Encoded: text), key.count == 32 else {
                throw ValidationError("--public-key must be a base64 Ed25519 public key (32 bytes)")
            }
            pinned.insert([UInt8](key))
        }
        let store = try await options.openStore()
        let log = store.audit
        let records = try await log.records(from: 1)
        let file = CheckpointFile(path: try options.checkpointsPath)
        let lines = try file.lines()
        // Checked against --public-key, else the key file's signing keys; with neither (the file
        // checked on another machine), against the key each line carries.
        let trusted = pinned.isEmpty ? store.trustedCheckpointKeys() : pinned
        var tail = AuditTail.verify(records, signed: lines, trustedKeys: trusted.isEmpty ? nil : trusted)
        let stored = try await log.checkpoints()
        if tail.status == .intact, case .broken(let sequence, let reason) = AuditChain.verify(records, checkpoints: stored) {
            tail = AuditTailVerification(
                status: .broken, reason: reason, records: records.count, checkpoint: nil, sequence: sequence,
                checkpointsChecked: tail.checkpointsChecked)
        }
        let checkpoint: Any = tail.checkpoint.map { ["size": $0.checkpoint.size, "time": SignedCheckpoint.timeText($0.checkpoint.time)] } ?? NSNull()
        if tail.status == .intact {
            let head = Hex.encode(records.last?.hash ?? AuditChain.genesisHash)
            if json {
                Output.line(
                    Output.json([
                        "status": "intact", "reason": NSNull(), "records": records.count, "head": head, "checkpoint": checkpoint,
                        "checkpoints": stored.count, "signed_checkpoints": tail.checkpointsChecked,
                    ]))
            } else {
                let against = trusted.isEmpty ? " (against the keys they carry: no key file)" : ""
                let signed =
                    lines.isEmpty
                    ? "no signed checkpoints in \(file.path)" : "\(tail.checkpointsChecked) signed checkpoints verified\(against)"
                Output.line(
                    "audit log intact: \(records.count) records, \(signed), \(stored.count) stored checkpoints verified, head \(head.prefix(16))…")
            }
            return
        }
        if json {
            var object: [String: Any] = [
                "status": tail.status.rawValue, "reason": tail.reason ?? "", "records": records.count, "checkpoint": checkpoint,
            ]
            if let sequence = tail.sequence { object["sequence"] = sequence }
            Output.line(Output.json(object))
        } else if let sequence = tail.sequence {
            Output.line("audit log BROKEN at record \(sequence): \(tail.reason ?? "")")
        } else {
            Output.line("audit log \(tail.status.rawValue.uppercased()): \(tail.reason ?? "")")
        }
        throw MamoriExit(code: MamoriExit.brokenChain)
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
        let store = try await options.openStore()
        for record in try await store.audit.records(from: from).prefix(limit) {
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
                    "\(record.sequence)\t\(RFC3339Text.format(e.time))\t\(e.countermeasure?.rawValue ?? "-")\t\(e.action)\t\(e.actor)\t\(e.subject)\t\(detail)"
                )
            }
        }
    }
}

/// `mamori audit checkpoint`: records the Merkle root over the log now (RFC 9162 hashing) in the
/// store and, signed, in the checkpoints file.
struct AuditCheckpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint", abstract: "Record a Merkle checkpoint of the audit log (signed, in the checkpoints file too).")

    @OptionGroup var options: StoreOptions

    func run() async throws {
        let store = try await options.openStore()
        let checkpoint = try await store.audit.checkpoint(now: Date())
        let signed = try await store.signCheckpoint(to: CheckpointFile(path: try options.checkpointsPath))
        Output.line(
            "checkpoint: \(checkpoint.size) records, root \(Hex.encode(checkpoint.root))"
                + (signed.map { ", signed with \($0.keyID)" } ?? ", already signed"))
    }
}

/// RFC 3339 text for display (UTC, seconds).
enum RFC3339Text {
    static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
