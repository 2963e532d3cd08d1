import Addressing
import Attribution
import GRDB
import Foundation
import Remediation
import Secrecy
import Testing

@testable import Store

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
            _ = try log.append(AuditEntry(countermeasure: .infectedHostNotification, action: "identification", actor: "test", subject: "sub:\(i)", detail: ["n": "\(i)", "quote": "a\"b\\c\n"]))
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
        try r.commitSightings(cases: [c], counts: counts, file: ("abc", "f.json"), audit: [audit, audit])
        try r.commitSightings(cases: [], counts: counts, file: nil, audit: [])
        #expect(try r.hasIngestedSightingFile(sha256: "abc"))
        #expect(try r.feedCounts().first?.parsed == 6)
        let stored = try #require(try r.activeCases().first)
        #expect(stored.family == "mirai")
        #expect(stored.id != nil)
        let token = TokenRecord(hash: "h", caseID: try #require(stored.id), language: .ja, createdAt: t, expiresAt: t.addingTimeInterval(60))
        var notified = stored
        notified.status = .notified
        let notice = try r.enqueue(
            NoticeRecord(
                caseID: try #require(stored.id), subscriber: "a", recipient: "a@example.jp", language: .ja, type: .first, kind: .infectedHost,
                messageID: "<n-1@x>", subject: "s", body: "b", nextAttemptAt: t, createdAt: t),
            token: token, case: notified, audit: audit)
        #expect(try r.token(hash: "h")?.caseID == stored.id)
        #expect(try r.dueNotices(now: t).count == 1)
        try r.markSending(try #require(notice.id), attempts: 1)
        #expect(try r.dueNotices(now: t).first?.status == .sending)  // a crash leaves it due again
        try r.markSent(try #require(notice.id), at: t, reply: "250 ok", audit: audit)
        #expect(try r.dueNotices(now: t).isEmpty)
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
