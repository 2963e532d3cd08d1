import ArgumentParser
import Foundation
import Runtime
import Secrecy
import Storage

/// `mamori keys`: the key file.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Show and rotate the keys of the key file (never their bytes).",
        subcommands: [KeysListCommand.self, KeysRotateCommand.self])
}

/// `mamori keys list`: ids, names and creation times; never a secret.
struct KeysListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the keys' ids (current ones marked).")

    @OptionGroup var options: StoreOptions

    @Flag(help: "JSON lines instead of text.")
    var json = false

    func run() async throws {
        let ring = try await options.openStore().keys.ring
        for key in ring.keys {
            let current = ring.current(key.name)?.id == key.id
            if json {
                Output.line(Output.json(["id": key.id, "name": key.name, "created": SignedCheckpoint.timeText(key.created), "current": current]))
            } else {
                Output.line("\(key.id)\t\(SignedCheckpoint.timeText(key.created))\(current ? "\tcurrent" : "")")
            }
        }
    }
}

/// `mamori keys rotate`: a new pseudonymisation key becomes current; the old ones stay in the key
/// file, for reading records written under them (each audit record names its key id). Audited.
struct KeysRotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Make a new pseudonymisation key current (old ones are kept for reading).",
        discussion: "Restart a running `mamori serve` afterwards: it keeps the key it started with.")

    @OptionGroup var options: StoreOptions

    func run() async throws {
        let store = try await options.openStore()
        let previous = store.keys.ring.current(KeyName.pseudonym)?.id
        let key = try store.keys.rotate(KeyName.pseudonym)
        var detail = ["key": key.id]
        if let previous { detail["previous"] = previous }
        _ = try await store.audit.append(
            AuditEntry(countermeasure: nil, action: "key-rotation", actor: "cli", subject: KeyName.pseudonym, detail: detail))
        Output.line("pseudonymisation key \(key.id) is current" + (previous.map { "; \($0) kept for reading" } ?? ""))
    }
}
