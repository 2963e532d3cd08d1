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
