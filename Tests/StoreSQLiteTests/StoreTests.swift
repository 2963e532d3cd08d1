import Addressing
import Attribution
import Foundation
import GRDB
import Remediation
import Secrecy
import Storage
import Testing

@testable import StoreSQLite

@Suite struct StoreTests {
    func temporaryStore() throws -> MamoriStore {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-store-\(UUID().uuidString)")
        return try MamoriStore(path: dir.appendingPathComponent("s.sqlite").path)
    }

    @Test func opensInWALModeAndMigratesOnce() throws {
        let store = try temporaryStore()
        let mode = try store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        let migrations = try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM grdb_migrations") }
        #expect(migrations == Schema.migrator.migrations.count)
        // Reopening the same file migrates nothing and keeps the secrets.
        let key = try store.secret(named: "k")
        let again = try MamoriStore(path: store.path)
        #expect(try again.secret(named: "k") == key)
        #expect(key.count == 32)
    }

    /// GRDB's WAL set-up lowers `synchronous` to NORMAL; the store's writer runs with FULL.
    @Test func theWriterCommitsWithSynchronousFull() throws {
        let store = try temporaryStore()
        let level = try store.pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(level == 2)  // FULL
    }

    /// Several openers of one new store at once (overlapping cron jobs): SQLite refuses the switch
    /// to WAL with "database is locked" without waiting, and the store waits and retries instead.
    @Test func manyOpenersOfOneNewStoreAllSucceed() async throws {
        for _ in 0..<25 {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-store-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: dir) }
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            // One key file for all, as the CLI's processes would find it.
            let path = dir.appendingPathComponent("s.sqlite").path
            _ = try KeyFile(path: MamoriStore.defaultKeyFile(for: path))
            let failures = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        await Task.detached {
                            do {
                                _ = try MamoriStore(path: path)
                                return nil
                            } catch { return "\(error)" }
                        }.value
                    }
                }
                return try await group.reduce(into: [String]()) { if let failure = $1 { $0.append(failure) } }
            }
            #expect(failures.isEmpty)
        }
    }

    @Test func eventInsertIsIdempotentAndPurgeable() throws {
        let store = try temporaryStore()
        let t = Date(timeIntervalSince1970: 1_795_737_600)
        let events = (0..<5).map { i in
            AssignmentEvent(
                format: .radiusDetail, kind: .start, subscriber: "u\(i)", session: "S\(i)", prefixes: [IPPrefixFixture.host(i)],
                eventTime: t.addingTimeInterval(Double(i)), sessionStart: t)
        }
        let first: (added: Int, duplicates: Int) = try store.insert(events: events, now: t)
        #expect(first.added == 5)
        let second: (added: Int, duplicates: Int) = try store.insert(events: events + events, now: t)
        #expect(second.added == 0)
        #expect(second.duplicates == 10)
        #expect(try store.allEvents() == events)
        // The unique key names no subscriber.
        let keys = try store.pool.read { db in try String.fetchAll(db, sql: "SELECT stable_key FROM aaa_event") }
        #expect(keys.allSatisfy { !$0.contains("u1") && $0.count == 64 })
        #expect(try store.purgeEvents(endedBefore: t.addingTimeInterval(2.5)) == 3)
        #expect(try store.eventCount() == 2)
    }

    @Test func auditAppendsChainAcrossHandlesAndVerifies() throws {
        let store = try temporaryStore()
        let log = try store.auditLog()
        for i in 0..<20 {
            _ = try log.append(
                AuditEntry(
                    countermeasure: .infectedHostNotification, action: "identification", actor: "test", subject: "sub:\(i)",
                    detail: ["n": "\(i)", "quote": "a\"b\\c\n"]))
        }
        let other = try MamoriStore(path: store.path).auditLog()
        _ = try other.append(AuditEntry(countermeasure: nil, action: "purge", actor: "test", subject: "retention"))
        let records = try log.records(from: 1)
        #expect(records.count == 21)
        #expect(records.map(\.sequence) == Array(1...21))
        #expect(records[3].entry.detail["quote"] == "a\"b\\c\n")
        #expect(AuditChain.verify(records).isIntact)
        let checkpoint = try log.checkpoint()
        #expect(checkpoint.size == 21)
        #expect(AuditChain.verify(records, checkpoints: try log.checkpoints()).isIntact)
    }

    @Test func remediationStoreRoundTrips() throws {
        let store = try temporaryStore()
        let r = store.remediationStore()
        let t = Date(timeIntervalSince1970: 1_795_737_600)
        let audit = AuditEntry(countermeasure: .infectedHostNotification, action: "test", actor: "test", subject: "-")
        #expect(try r.upsert(contacts: [SubscriberContact(subscriber: "a", email: "a@example.jp", language: .en)], audit: audit) == 1)
        #expect(try r.contact(of: "a")?.language == .en)
        #expect(try r.contact(of: "b") == nil)
        var counts = FeedCounts(feed: "cowrie")
        counts.parsed = 3
        counts.attributed = 1
        let c = CaseRecord(
            countermeasure: .infectedHostNotification, kind: .infectedHost, subscriber: "a", family: "mirai", firstSeen: t, lastSeen: t,
            sightings: 1, status: .open)
        let file = SightingFileRef(sha256: "abc", name: "f.json")
        #expect(
            try r.commitSightingBatch(file: file, range: 0..<2) { _ in
                ["a"]
            } cases: { _ in
                SightingBatchWrite(cases: [c], counts: counts, audit: [audit, audit])
            } == .committed)
        // The same range again (a second run of the file): skipped, and `apply` sees nothing to do.
        #expect(
            try r.commitSightingBatch(file: file, range: 0..<2) { _ in
                Issue.record("attributed twice")
                return []
            } cases: { _ in
                Issue.record("applied twice")
                return SightingBatchWrite(cases: [], counts: counts, audit: [])
            } == .alreadyCommitted)
        // A batch overlapping what is committed is told how much of it to skip.
        var skipped = -1
        _ = try r.commitSightingBatch(file: file, range: 1..<3) { alreadyCommitted in
            skipped = alreadyCommitted
            return []
        } cases: { _ in
            SightingBatchWrite(cases: [], counts: FeedCounts(feed: "cowrie"), audit: [])
        }
        #expect(skipped == 1)
        #expect(try r.sightingFile(sha256: "abc") == SightingFileProgress(committed: 3, complete: false))
        #expect(try r.completeSightingFile(file, counts: counts, audit: audit))
        #expect(try r.completeSightingFile(file, counts: counts, audit: audit) == false)
        #expect(
            try r.commitSightingBatch(file: file, range: 3..<4) { _ in
                []
            } cases: { _ in
                SightingBatchWrite(cases: [], counts: counts, audit: [])
            } == .fileComplete)
        #expect(try r.sightingFile(sha256: "abc")?.complete == true)
        #expect(try r.feedCounts().first?.parsed == 6)
        let stored = try #require(try r.cases(status: .open).first)
        #expect(stored.family == "mirai")
        #expect(stored.id != nil)
        // The store refuses a second not-expired case for one subscriber and family.
        #expect(throws: (any Error).self) {
            _ = try r.commitSightingBatch(file: nil, range: 0..<1) { _ in
                ["a"]
            } cases: { _ in
                SightingBatchWrite(cases: [c], counts: counts, audit: [])
            }
        }
        let token = TokenRecord(hash: "h", caseID: try #require(stored.id), language: .ja, createdAt: t, expiresAt: t.addingTimeInterval(60))
        let record = NoticeRecord(
            caseID: try #require(stored.id), subscriber: "a", recipient: "a@example.jp", language: .ja, type: .first, kind: .infectedHost,
            round: 1, messageID: "<n-1@x>", subject: "s", body: "b", nextAttemptAt: t, createdAt: t)
        guard case .queued(let notice) = try r.enqueue(record, token: token, expectedNotices: 0, expectedStatus: .open, minimumGap: 0, audit: audit)
        else {
            Issue.record("not queued")
            return
        }
        // A second run that read the case before the first queued: refused, nothing written.
        var again = record
        again.messageID = "<n-1-again@x>"
        let token2 = TokenRecord(hash: "h2", caseID: token.caseID, language: .ja, createdAt: t, expiresAt: t)
        #expect(try r.enqueue(again, token: token2, expectedNotices: 0, expectedStatus: .open, minimumGap: 0, audit: audit) == .alreadyPlanned)
        #expect(try r.enqueue(again, token: token2, expectedNotices: 1, expectedStatus: .notified, minimumGap: 3600, audit: audit) == .rateLimited)
        #expect(try r.notices().count == 1)
        // The outbox plans over cases in progress only, and looks back no further than the gap.
        #expect(try r.casesInProgress().map(\.id) == [stored.id])
        #expect(try r.lastNoticeTimes(since: t.addingTimeInterval(-1)) == ["a": t])
        #expect(try r.lastNoticeTimes(since: t).isEmpty)
        #expect(try r.token(hash: "h")?.caseID == stored.id)
        #expect(try r.token(hash: "h2") == nil)
        // One worker holds the lease; another finds nothing until it expires.
        let claimed = try #require(try r.claimNotice(owner: "w1", dueBy: t, now: t, lease: 60))
        #expect(claimed.id == notice.id && claimed.attempts == 1 && claimed.status == .sending)
        #expect(try r.claimNotice(owner: "w2", dueBy: t, now: t.addingTimeInterval(59), lease: 60) == nil)
        // w1 "crashed": after the lease w2 takes it over, same Message-ID.
        let takenOver = try #require(try r.claimNotice(owner: "w2", dueBy: t, now: t.addingTimeInterval(61), lease: 60))
        #expect(takenOver.messageID == "<n-1@x>" && takenOver.attempts == 2)
        try r.markRetry(try #require(notice.id), owner: "w1", next: t, error: "late")  // not w1's any more: no effect
        #expect(try r.notices().first?.status == .sending)
        #expect(try r.markSent(try #require(notice.id), owner: "w2", at: t, reply: "250 ok", audit: audit))
        #expect(try r.markSent(try #require(notice.id), owner: "w1", at: t, reply: "250 ok", audit: audit) == false)
        #expect(try r.claimNotice(owner: "w3", dueBy: t.addingTimeInterval(999), now: t.addingTimeInterval(999), lease: 60) == nil)
        #expect(try r.notices().first?.body == "")
        #expect(try r.caseRecord(id: try #require(stored.id))?.status == .notified)
        #expect(AuditChain.verify(try store.auditLog().records(from: 1)).isIntact)
    }
}

enum IPPrefixFixture {
    static func host(_ i: Int) -> IPPrefix {
        IPPrefix(host: IPAddress(v4: 0xC000_0200 | UInt32(i)))
    }
}
