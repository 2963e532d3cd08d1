import Attribution
import Foundation
import Logging
import MamoriTesting
import NIOCore
import NIOPosix
import Secrecy
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Why a test helper gave up.
struct TestTimeout: Error, CustomStringConvertible {
    var description: String { "timed out" }
}

/// `body`'s result, or `TestTimeout` after `timeout` (`body` is then cancelled).
func withTimeout<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw TestTimeout()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// Runs `server` while `body` runs, under a graceful-shutdown trigger; shuts it down gracefully
/// after `body` and waits for `run()` to return.
func withServer<S: Service, T: Sendable>(
    _ server: S, listening: @escaping @Sendable () async throws -> SocketAddress,
    _ body: @escaping @Sendable (SocketAddress) async throws -> T
) async throws -> T {
    try await testGracefulShutdown { trigger in
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await server.run()
                return nil
            }
            let address = try await listening()
            let result: T
            do {
                result = try await body(address)
            } catch {
                trigger.triggerGracefulShutdown()
                throw error
            }
            trigger.triggerGracefulShutdown()
            while let next = try await group.next() { _ = next }
            return result
        }
    }
}

/// A UDP socket on 127.0.0.1 that sends datagrams and collects the replies.
enum UDPProbe {
    static func exchange(
        _ payloads: [[UInt8]], with server: SocketAddress, expecting count: Int, timeout: Duration = .seconds(30)
    ) async throws -> [[UInt8]] {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(inboundType: AddressedEnvelope<ByteBuffer>.self, outboundType: AddressedEnvelope<ByteBuffer>.self))
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            for payload in payloads { try await outbound.write(AddressedEnvelope(remoteAddress: server, data: ByteBuffer(bytes: payload))) }
            let replies = Mutex<[[UInt8]]>([])
            guard count > 0 else {
                try await Task.sleep(for: timeout)
                return []
            }
            _ = try? await withTimeout(timeout) {
                for try await envelope in inbound {
                    let n = replies.withLock {
                        $0.append(Array(envelope.data.readableBytesView))
                        return $0.count
                    }
                    if n >= count { return }
                }
            }
            return replies.withLock { $0 }
        }
    }
}

/// Debian's `radclient` (freeradius-utils): the real NAS-side peer.
enum Radclient {
    static let path = "/usr/bin/radclient"

    /// Sends one accounting request (`attributes`: `Name = value` lines) to 127.0.0.1:`port`;
    /// its exit status and output. `-r 1 -t 1`: one try, one second.
    static func send(
        _ attributes: String, port: Int, secret: String, retries: Int = 1, timeout: Int = 10
    ) async throws -> (
        status: Int32, output: String
    ) {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw MissingPeer("\(path) not found: install the Debian package freeradius-utils")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-x", "-r", "\(retries)", "-t", "\(timeout)", "127.0.0.1:\(port)", "acct", secret]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                continuation.resume(throwing: error)
                return
            }
            input.fileHandleForWriting.write(Data(attributes.utf8))
            try? input.fileHandleForWriting.close()
            // A stuck radclient is killed (by its pid) well after its own timeout.
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(retries * timeout + 15)) {
                if process.isRunning { kill(pid, SIGKILL) }
            }
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (status, text)
    }
}

/// Log records kept in memory, to check what the server logs (and what it must not).
final class CapturedLogs: Sendable {
    let records = Mutex<[String]>([])

    var text: String { records.withLock { $0.joined(separator: "\n") } }

    func logger() -> Logger {
        var logger = Logger(label: "test") { _ in Handler(logs: self) }
        logger.logLevel = .debug
        return logger
    }

    struct Handler: LogHandler {
        let logs: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            let line = (["\(event.message)"] + merged.map { "\($0.key)=\($0.value)" }).joined(separator: " ")
            logs.records.withLock { $0.append(line) }
        }
    }
}

/// A store that fails every insert (or holds events in memory when `failing` is false).
final class ScriptedStore: AssignmentRecordStore {
    struct Failure: Error {}
    let failing: Bool
    let events = Mutex<[AssignmentEvent]>([])
    let inserts = Mutex(0)

    init(failing: Bool) { self.failing = failing }

    func insert(events: [AssignmentEvent], now: Date) async throws -> (added: Int, duplicates: Int) {
        inserts.withLock { $0 += 1 }
        if failing { throw Failure() }
        self.events.withLock { $0 += events }
        return (events.count, 0)
    }
    func allEvents() async throws -> [AssignmentEvent] { events.withLock { $0 } }
    func purgeEvents(endedBefore cutoff: Date) async throws -> Int { 0 }
    func eventCount() async throws -> Int { events.withLock { $0.count } }
    func assignmentStamp() async throws -> String { "" }
    func hasIngestedFile(sha256: String) async throws -> Bool { false }
    func recordIngestedFile(_ file: AssignmentFileRecord, audit: AuditEntry) async throws {}
}
