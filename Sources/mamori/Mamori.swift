import ArgumentParser
import Foundation
import Logging

/// The `mamori` command line: the ISP's scripts call these subcommands, so their names,
/// options and JSON outputs are a contract (see README.md).
@main
struct Mamori: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mamori",
        abstract: "Cyber-attack countermeasures for ISPs that keep the secrecy of communications (通信の秘密).",
        discussion: """
            Exit codes: 0 success; 1 error (message on stderr); 3 the audit chain is broken; \
            64 usage error; 65 input records rejected (the rest was processed, each rejection named \
            on stderr); 66 an input file cannot be read; 75 notices deferred for a retry (notify).
            """,
        subcommands: [
            DemoCommand.self, IngestCommand.self, AttributeCommand.self, AuditCommand.self, PurgeCommand.self,
            DeclarationsCommand.self, SubscribersCommand.self, CasesCommand.self, NotifyCommand.self, ServeCommand.self, ReportCommand.self, BenchCommand.self,
        ]
    )

    static func main() async {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = ProcessInfo.processInfo.environment["MAMORI_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .notice
            return handler
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as MamoriExit {
            if let message = exit.message { Output.error(message) }
            Foundation.exit(exit.code)
        } catch {
            exit(withError: error)
        }
    }
}

/// A documented exit with a code and an optional message for stderr.
struct MamoriExit: Error {
    var code: Int32
    var message: String?

    static let brokenChain: Int32 = 3
    static let dataError: Int32 = 65
    static let noInput: Int32 = 66
    static let temporaryFailure: Int32 = 75
}

/// Writing to stdout/stderr. The CLI's results go to stdout (they are its output, read by
/// scripts); diagnostics go to stderr.
enum Output {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data(("mamori: " + text + "\n").utf8))
    }

    static func json(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }
}
