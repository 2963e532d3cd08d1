import ArgumentParser
import Foundation
import Logging
import Runtime
import TextScanning

/// The `mamori` command line: the ISP's scripts call these subcommands, so their names,
/// options and JSON outputs are a contract (see README.md).
@main
struct Mamori: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mamori",
        abstract: "Cyber-attack countermeasures for ISPs that keep the secrecy of communications (通信の秘密).",
        discussion: """
            Exit codes: 0 success; 1 error (message on stderr); 3 the audit log is broken, truncated, \
            rolled back or forked, or a checkpoint's signature is bad; \
            64 usage error; 65 input records rejected (the rest was processed, each rejection named \
            on stderr); 66 an input file cannot be read; 75 notices deferred for a retry (notify).
            """,
        subcommands: [
            DemoCommand.self, IngestCommand.self, AttributeCommand.self, AuditCommand.self, PurgeCommand.self,
            DeclarationsCommand.self, SubscribersCommand.self, CasesCommand.self, NotifyCommand.self, ServeCommand.self, ReportCommand.self,
            KeysCommand.self, ListsCommand.self, ConsentCommand.self, MailCommand.self, EdgeCommand.self,
        ]
    )

    static func main() async {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = ProcessInfo.processInfo.environment["MAMORI_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .notice
            return handler
        }
        var failure: (any Error)?
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            failure = error
        }
        // Every command that appended to an audit log leaves a signed checkpoint of it behind,
        // whether it succeeded or not.
        await AutoCheckpoint.finish()
        if let exit = failure as? MamoriExit {
            if let message = exit.message { Output.error(message) }
            Foundation.exit(exit.code)
        } else if let failure {
            exit(withError: failure)
        }
    }
}
