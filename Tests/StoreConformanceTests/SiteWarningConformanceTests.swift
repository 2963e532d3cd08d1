import Foundation
import Secrecy
import SiteWarning
import Storage
import Synchronization
import Testing

/// The guard's consent registry and lists, on every backend: choices and their history, list
/// revisions, the audit of each change, and a change made through one store reaching a follower
/// on another (as another process would see it).
@Suite("Site-warning store conformance")
struct SiteWarningConformanceTests {
    static let t = Date(timeIntervalSince1970: 1_795_737_600)

    /// The harness's store as a `Storage` (SQLite's comes wrapped in the facade).
    static func storage(_ store: ConformingStore) throws -> any Storage {
        if let facade = store as? StorageFacade { return facade.storage }
        return try #require(store as? any Storage)
    }

    static func change(
        _ line: String, _ measure: ConsentMeasure, _ choice: ConsentChoice, at seconds: Double = 0, channel: ConsentChannel = .cli
    ) -> ConsentChange {
        ConsentChange(
            line: LineID(line), measure: measure, choice: choice, time: t.addingTimeInterval(seconds), channel: channel, termsVersion: "2026-04")
    }

    @Test(arguments: Backend.all)
    func choicesKeepTheirHistoryAndAreAudited(_ backend: Backend) async throws {
        try await withHarness(backend) { h in
            let storage = try Self.storage(h.store)
            let consent = storage.consent
            #expect(try await consent.choice(line: LineID("line-a"), measure: .cncDNSBlock) == nil)
            try await consent.set(Self.change("line-a", .cncDNSBlock, .off, at: 1, channel: .page))
            try await consent.set(Self.change("line-a", .malwareSiteWarning, .on, at: 2, channel: .api))
            try await consent.set(Self.change("line-b", .cncDNSBlock, .off, at: 3))
            try await consent.set(Self.change("line-a", .cncDNSBlock, .on, at: 4))
            #expect(try await consent.choice(line: LineID("line-a"), measure: .cncDNSBlock) == .on)
            #expect(try await consent.choice(line: LineID("line-a"), measure: .malwareSiteWarning) == .on)
            #expect(try await consent.choice(line: LineID("line-b"), measure: .cncDNSBlock) == .off)
            #expect(try await consent.choice(line: LineID("line-b"), measure: .malwareSiteWarning) == nil)

            let history = try await consent.history(line: LineID("line-a"))
            #expect(history.map(\.choice) == [.off, .on, .on])
            #expect(history.map(\.channel) == [.page, .api, .cli])
            #expect(history.map(\.measure) == [.cncDNSBlock, .malwareSiteWarning, .cncDNSBlock])
            #expect(history.allSatisfy { $0.termsVersion == "2026-04" })
            #expect(history.first?.time == Self.t.addingTimeInterval(1))

            // Followers page through every change in order.
            let first = try await consent.changes(since: .start, limit: 3)
            #expect(first.changes.count == 3)
            let rest = try await consent.changes(since: first.cursor, limit: 10)
            #expect(rest.changes.map(\.line) == [LineID("line-a")])
            #expect(rest.cursor > first.cursor)
            let none = try await consent.changes(since: rest.cursor, limit: 10)
            #expect(none.changes.isEmpty && none.cursor == rest.cursor)

            // Each change is audited under its measure, the line pseudonymised.
            let audit = try await storage.audit.records(from: 1).filter { $0.entry.action == AuditEntry.Action.consentChange }
            #expect(audit.count == 4)
            #expect(audit.map(\.entry.countermeasure) == [.cncDNSBlock, .malwareSiteWarning, .cncDNSBlock, .cncDNSBlock])
            #expect(audit.allSatisfy { !$0.entry.subject.contains("line-") })
            #expect(audit.first?.entry.actor == "consent:page")
            #expect(try await storage.audit.verify().isIntact)

            // A change without a line or terms version is refused, and nothing is stored.
            await #expect(throws: ConsentError.invalidLine) { try await consent.set(Self.change("", .cncDNSBlock, .off)) }
            #expect(try await consent.changes(since: rest.cursor).changes.isEmpty)
        }
    }

    @Test(arguments: Backend.all)
    func listRevisionsImportReplaceAndRemove(_ backend: Backend) async throws {
        try await withHarness(backend) { h in
            let storage = try Self.storage(h.store)
            let lists = storage.blocklists
            #expect(try await lists.listsVersion() == 0)
            let cnc = ListSource(
                name: "cnc-feed", kind: .cnc, format: .domains, file: "cnc.txt", bytes: Array("c2.example\nbad.test\n".utf8), importedAt: Self.t,
                actor: "cli")
            let stored = try await lists.importList(cnc)
            #expect(stored.revision > 0)
            let rpz = ListSource(
                name: "malware.rpz", kind: .malwareSite, format: .rpz, file: "m.rpz",
                bytes: Array("$ORIGIN rpz.\nevil.example CNAME .\n".utf8), importedAt: Self.t, actor: "api")
            try await lists.importList(rpz)
            let v2 = try await lists.listsVersion()
            // A new import of a name replaces it; the others stay.
            let replaced = try await lists.importList(
                ListSource(name: "cnc-feed", kind: .cnc, format: .domains, file: "cnc2.txt", bytes: Array("c3.example\n".utf8), actor: "cli"))
            #expect(try await lists.listsVersion() == replaced.revision)
            #expect(replaced.revision > v2)
            let current = try await lists.currentLists()
            #expect(current.map(\.name) == ["malware.rpz", "cnc-feed"])
            #expect(current.last?.bytes == Array("c3.example\n".utf8))
            #expect(current.first?.sha256 == rpz.sha256)
            #expect(current.first?.kind == .malwareSite && current.first?.format == .rpz)
            let summaries = try await lists.listSummaries()
            #expect(summaries.map(\.bytes) == [rpz.bytes.count, 11])
            #expect(summaries.map(\.file) == ["m.rpz", "cnc2.txt"])

            // Removal is a revision too; removing what is not there changes nothing.
            #expect(try await lists.removeList(named: "malware.rpz", actor: "cli"))
            let afterRemoval = try await lists.listsVersion()
            #expect(afterRemoval > replaced.revision)
            #expect(try await !lists.removeList(named: "malware.rpz", actor: "cli"))
            #expect(try await lists.listsVersion() == afterRemoval)
            #expect(try await lists.currentLists().map(\.name) == ["cnc-feed"])

            // The stored bytes compile as the file did.
            var builder = BlocklistBuilder()
            for source in try await lists.currentLists() { try builder.load(source) }
            #expect(builder.reports.first?.entries == 1)

            let actions = try await storage.audit.records(from: 1).map(\.entry.action).filter { $0.hasPrefix("list-") }
            #expect(actions == ["list-imported", "list-imported", "list-imported", "list-removed"])
            await #expect(throws: ListSourceError.self) {
                try await lists.importList(ListSource(name: "a b", kind: .cnc, format: .domains, file: "x", bytes: [], actor: "cli"))
            }
        }
    }

    /// A follower on another store (its own connections, as another `mamori serve`) sees a
    /// change made through the first. On PostgreSQL the poll is a minute, so only the
    /// notification can bring it in time.
    @Test(arguments: Backend.all)
    func changesReachAFollowerOnAnotherStore(_ backend: Backend) async throws {
        try await withHarness(backend) { h in
            let writer = try Self.storage(h.store)
            let follower = try Self.storage(try await h.another())
            let poll: Duration = backend == .postgres ? .seconds(60) : .milliseconds(200)
            let seen = FollowerState()
            let consent = follower.consent
            let lists = follower.blocklists
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await follower.followChanges(poll: poll) {
                        let cursor = seen.state.withLock { $0.cursor }
                        let next = try await consent.changes(since: cursor)
                        let version = try await lists.listsVersion()
                        seen.state.withLock {
                            $0.cursor = next.cursor
                            $0.changes += next.changes
                            $0.listsVersion = version
                        }
                    }
                }
                // Let the follower start listening (it reads once when it does).
                try await Task.sleep(for: .milliseconds(500))
                let clock = ContinuousClock()
                let start = clock.now
                try await writer.consent.set(Self.change("line-x", .cncDNSBlock, .off))
                let imported = try await writer.blocklists.importList(
                    ListSource(name: "l", kind: .cnc, format: .domains, file: "l.txt", bytes: Array("x.example\n".utf8), actor: "cli"))
                while seen.state.withLock({ $0.changes.isEmpty || $0.listsVersion < imported.revision }), clock.now - start < .seconds(20) {
                    try await Task.sleep(for: .milliseconds(20))
                }
                let elapsed = clock.now - start
                group.cancelAll()
                let state = seen.state.withLock { $0 }
                #expect(state.changes.map(\.line) == [LineID("line-x")])
                #expect(state.listsVersion == imported.revision)
                // Well inside the poll interval: the notification brought it (PostgreSQL).
                if backend == .postgres { #expect(elapsed < .seconds(20)) }
            }
        }
    }
}

/// What a follower has seen, shared with its callback.
final class FollowerState: Sendable {
    let state = Mutex<(cursor: ConsentCursor, changes: [ConsentChange], listsVersion: Int64)>((.start, [], 0))
}
