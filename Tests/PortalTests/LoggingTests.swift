import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Portal
import Remediation
import Synchronization
import Testing

/// Shared by the handler copies `Logger` makes.
final class LogRecorder: Sendable {
    let lines = Mutex<[String]>([])

    var logger: Logger {
        var logger = Logger(label: "mamori.portal.test") { _ in RecordingLogHandlerBox(recorder: self) }
        logger.logLevel = .trace
        return logger
    }

    var all: [String] { lines.withLock { $0 } }
}

/// A value-type handler writing into a ``LogRecorder``.
struct RecordingLogHandlerBox: LogHandler {
    let recorder: LogRecorder
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let error = event.error.map { " error: \($0)" } ?? ""
        recorder.lines.withLock { $0.append("\(event.level) \(event.message) \(all)\(error)") }
    }
}

@Suite("Logging")
struct LoggingTests {
    @Test("no log line carries a token, whatever the outcome")
    func tokensAreNeverLogged() async throws {
        let recorder = LogRecorder()
        let desk = Fixtures.desk()
        let tokens = [Fixtures.japaneseToken, Fixtures.unknownToken, Fixtures.expiredToken, "shortBadToken"]
        try await Fixtures.app(desk: desk, logger: recorder.logger).test(.router) { client in
            for token in tokens {
                try await client.execute(uri: "/r/\(token)", method: .get)
                try await client.execute(uri: "/r/\(token)?lang=en", method: .get)
                try await client.execute(uri: "/r/\(token)/extra", method: .get)
                try await client.execute(
                    uri: "/r/\(token)/remediated", method: .post, headers: Form.headers(), body: Form.body([("check", "x")]))
            }
            let check = try await client.execute(uri: "/r/\(Fixtures.japaneseToken)", method: .get) { $0.hiddenField("check") }
            try await client.execute(
                uri: "/r/\(Fixtures.japaneseToken)/remediated", method: .post, headers: Form.headers(),
                body: Form.body([("check", check ?? "")]))
            desk.setFailing(true)
            try await client.execute(uri: "/r/\(Fixtures.japaneseToken)", method: .get)
        }
        let lines = recorder.all
        #expect(lines.contains { $0.contains("remediation page shown") })
        #expect(lines.contains { $0.contains("remediated reported") })
        #expect(lines.contains { $0.contains("personal link refused") })
        #expect(lines.contains { $0.contains("portal request failed") })
        for line in lines {
            for token in tokens {
                #expect(!line.contains(token), "\(line)")
            }
        }
    }
}
