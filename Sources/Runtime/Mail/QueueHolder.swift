import Foundation
import MailGuard

/// Puts a suspended ID's mail already in Postfix's queue on hold (`postsuper -h`), so that what
/// was queued before the suspension is not sent either (optional, off by default).
///
/// The queue ids come from `postqueue -j` (which has neither AUTH ID nor client address); for
/// each, `postcat -e -q ID` prints the envelope only, never a header or the body, and
/// ``PostcatEnvelope`` keeps its four measure 1 items. Mail whose `sasl_username` is the ID is
/// held; an operator releases it with `postsuper -H` or deletes it with `postsuper -d`.
struct QueueHolder: Sendable {
    /// Postfix's configuration directory (`-c DIR`), or nil for the default.
    let configDirectory: String?
    /// Where `postqueue`, `postcat` and `postsuper` are.
    let commandDirectory: String

    /// Holds the queued mail of `authID`; returns how many messages were put on hold.
    func hold(authID: String) async throws -> Int {
        let config = configDirectory.map { ["-c", $0] } ?? []
        let listing = try await Self.run("\(commandDirectory)/postqueue", config + ["-j"])
        var ids: [String] = []
        for line in listing.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let id = object["queue_id"] as? String, let queue = object["queue_name"] as? String, queue != "hold",
                id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
            else { continue }
            let envelope = try await Self.run("\(commandDirectory)/postcat", config + ["-e", "-q", id], check: false)
            if PostcatEnvelope.parse(envelope)?.authID == authID { ids.append(id) }
        }
        guard !ids.isEmpty else { return 0 }
        _ = try await Self.run("\(commandDirectory)/postsuper", config + ["-h", "-"], input: ids.joined(separator: "\n") + "\n")
        return ids.count
    }

    /// Runs `path` and returns its standard output; throws naming the command when it fails.
    static func run(_ path: String, _ arguments: [String], input: String? = nil, check: Bool = true) async throws -> String {
        try await ChildProcess.run(path, arguments, input: input, check: check).output
    }
}
