import Addressing
import Attribution
import Foundation
import Logging
import MamoriTesting
import RADIUSServer
import ServiceLifecycle
@_spi(LineLookup) import SiteWarning
import StoreSQLite
import Testing

/// The detail follower on a real file that grows, is renamed away and replaced, and truncated.
@Suite(.timeLimit(.minutes(1))) struct RadiusDetailFollowerTests {
    static func record(_ status: String, user: String, session: String, ip: String?, time: Int) -> String {
        var text = "Fri Nov 27 10:00:00 2026\n\tAcct-Session-Id = \"\(session)\"\n\tUser-Name = \"\(user)\"\n\tAcct-Status-Type = \(status)\n"
        if let ip { text += "\tFramed-IP-Address = \(ip)\n" }
        text += "\tTimestamp = \(time)\n\n"
        return text
    }

    static func append(_ text: String, to url: URL) throws {
        if !FileManager.default.fileExists(atPath: url.path) { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }

    /// Polls the store's event count until it is `expected` (5 s at most).
    static func eventCount(of store: any AssignmentRecordStore, reaches expected: Int) async throws -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while try await store.eventCount() != expected {
            if Date() > deadline { return false }
            try await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    static func eventually(_ condition: @escaping @Sendable () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while try await !condition() {
            if Date() > deadline { return false }
            try await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    // Driven by a plain task and cancellation: under `testGracefulShutdown` with a task group
    // and these polls, the test process died (a job with a null resume function, Swift 6.3);
    // the follower's graceful shutdown path is the same loop condition as cancellation.
    @Test
    func followsGrowthRotationAndTruncationWholeRecordsOnly() async throws {
        let directory = try Loopback.temporaryDirectory()
        let detail = directory.appendingPathComponent("detail")
        let store: any AssignmentRecordStore = try MamoriStore(path: directory.appendingPathComponent("mamori.sqlite").path)
        let now = Int(Date().timeIntervalSince1970)
        let sessions = LiveSessions(expiry: 600)
        try Self.append(Self.record("Start", user: "line-1", session: "A", ip: "198.51.100.1", time: now), to: detail)
        let follower = RadiusDetailFollower(
            path: detail.path, store: store, sessions: sessions, pollInterval: .milliseconds(20), logger: Logger(label: "test"))
        let ip1 = IPAddress("198.51.100.1")!
        let ip2 = IPAddress("198.51.100.2")!
        let ip3 = IPAddress("198.51.100.3")!
        let task = Task { try await follower.run() }
        #expect(try await Self.eventually { sessions.line(for: ip1, now: Date()) == LineID("line-1") })
        // The live table is updated before the insert: wait for the store too.
        #expect(try await Self.eventCount(of: store, reaches: 1))

        // Half a record: nothing until its blank line.
        let second = Self.record("Start", user: "line-2", session: "B", ip: "198.51.100.2", time: now)
        let cut = second.index(second.startIndex, offsetBy: 60)
        try Self.append(String(second[..<cut]), to: detail)
        try await Task.sleep(for: .milliseconds(150))
        #expect(sessions.line(for: ip2, now: Date()) == nil)
        #expect(follower.stats.issues == 0)
        try Self.append(String(second[cut...]), to: detail)
        #expect(try await Self.eventually { sessions.line(for: ip2, now: Date()) == LineID("line-2") })

        // Rotation: the old file gets a last record (no blank line), is renamed; a new file starts.
        var last = Self.record("Stop", user: "line-1", session: "A", ip: nil, time: now + 5)
        last.removeLast()
        try Self.append(last, to: detail)
        try FileManager.default.moveItem(at: detail, to: directory.appendingPathComponent("detail.1"))
        try Self.append(Self.record("Start", user: "line-3", session: "C", ip: "198.51.100.3", time: now + 6), to: detail)
        #expect(try await Self.eventually { sessions.line(for: ip3, now: Date()) == LineID("line-3") })
        // The Stop without an address ended line-1's session (its Start's address).
        #expect(sessions.line(for: ip1, now: Date()) == nil)
        #expect(try await store.eventCount() == 4)

        // Truncation in place, then a new record: read from the start again.
        try Data().write(to: detail)
        try await Task.sleep(for: .milliseconds(100))
        try Self.append(Self.record("Stop", user: "line-2", session: "B", ip: "198.51.100.2", time: now + 9), to: detail)
        #expect(try await Self.eventually { sessions.line(for: ip2, now: Date()) == nil })
        #expect(try await store.eventCount() == 5)

        task.cancel()
        _ = try? await task.value
        #expect(follower.stats.rotations == 1)
        #expect(follower.stats.truncations == 1)
        #expect(follower.stats.events == 5)
        #expect(follower.stats.issues == 0)
    }
}
