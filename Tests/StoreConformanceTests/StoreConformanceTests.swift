import Addressing
import Attribution
import Foundation
import Remediation
import Secrecy
import Testing

/// The domain store protocols' contract, written once and run on every backend (``Backend/all``).
@Suite("Store conformance")
struct StoreConformanceTests {
    static let t = Date(timeIntervalSince1970: 1_795_737_600)

    static func entry(_ action: String, subject: String = "p:abc", detail: [String: String] = [:]) -> AuditEntry {
        AuditEntry(
            time: t, countermeasure: .infectedHostNotification, action: action, actor: "test", subject: subject, detail: detail)
    }

    static func events(_ range: Range<Int>) -> [AssignmentEvent] {
        range.map { i in
            AssignmentEvent(
                format: .radiusDetail, kind: .start, subscriber: "u\(i)", session: "S\(i)", prefixes: [IPPrefix("192.0.2.\(i % 250)/32")!],
                eventTime: t.addingTimeInterval(Double(i)), sessionStart: t)
        }
    }

    static func newCase(_ subscriber: String, family: String = "mirai", at time: Date = t) -> CaseRecord {
        CaseRecord(
            countermeasure: .infectedHostNotification, kind: .infectedHost, subscriber: subscriber, family: family, firstSeen: time,
            lastSeen: time, sightings: 1, status: .open, evidence: "cowrie f.json:1")
    }

    /// Opens cases (one batch, no ledger) and returns them as stored.
    static func openCases(_ cases: [CaseRecord], in store: ConformingStore) async throws -> [CaseRecord] {
        let outcome = try await store.commitSightingBatch(
            file: nil, range: 0..<cases.count, attribute: { _ in Set(cases.map(\.subscriber)) },
            cases: { _ in SightingBatchWrite(cases: cases, counts: FeedCounts(feed: "cowrie"), audit: []) })
        #expect(outcome == .committed)
        return try await store.cases(status: .open)
    }

    static func notice(for c: CaseRecord, round: Int = 1, at time: Date = t, tag: String = "") throws -> (NoticeRecord, TokenRecord) {
        let id = try #require(c.id)
        let notice = NoticeRecord(
            caseID: id, subscriber: c.subscriber, recipient: "\(c.subscriber)@example.jp", language: .ja, type: .first, kind: .infectedHost,
            round: round, messageID: "<notice-\(id)-\(round)\(tag)@example.jp>", subject: "s", body: "b", nextAttemptAt: time, createdAt: time)
        let token = TokenRecord(
            hash: "h-\(id)-\(round)\(tag)", caseID: id, language: .ja, createdAt: time, expiresAt: time.addingTimeInterval(86_400))
        return (notice, token)
    }

    // MARK: assignment events

    @Test(arguments: Backend.all)
    func eventsAreIdempotentPurgeableAndStamped(_ backend: Backend) async throws {
        try await withHarness(backend) { h in
            let store = h.store
            let empty = try await store.assignmentStamp()
            let events = Self.events(0..<5)
            let first = try await store.insert(events: events, now: Self.t)
            #expect(first.added == 5 && first.duplicates == 0)
            let stamped = try await store.assignmentStamp()
            #expect(stamped != empty)
            let second = try await store.insert(events: events + events, now: Self.t)
            #expect(second.added == 0 && second.duplicates == 10)
            #expect(try await store.assignmentStamp() == stamped)
            #expect(try await store.allEvents() == events)
            #expect(try await store.eventCount() == 5)
            // A larger batch than one statement's chunk, overlapping what is stored.
            let many = Self.events(3..<12_003)
            let third = try await store.insert(events: many, now: Self.t)
            #expect(third.added == 11_998 && third.duplicates == 2)
            #expect(try await store.allEvents() == events + many.dropFirst(2))
            let grown = try await store.assignmentStamp()
            #expect(grown != stamped)
            #expect(try await store.purgeEvents(endedBefore: Self.t.addingTimeInterval(2.5)) == 3)
            #expect(try await store.eventCount() == 12_000)
            let purged = try await store.assignmentStamp()
            #expect(purged != grown)
            #expect(try await store.purgeEvents(endedBefore: Self.t.addingTimeInterval(2.5)) == 0)
            #expect(try await store.assignmentStamp() == purged)
            // Another instance (other connections) computes the same stable keys.
            let other = try await h.another()
            #expect(try await other.insert(events: Self.events(10..<12), now: Self.t).duplicates == 2)
        }
    }

    @Test(arguments: Backend.all)
    func ingestedFilesAreRecordedOnceWithTheirAudit(_ backend: Backend) async throws {
        try await withHarness(backend) { h in
            let store = h.store
            let file = AssignmentFileRecord(
                sha256: String(repeating: "ab", count: 32), name: "detail-1", format: "radius-detail", records: 10, events: 8, rejected: 2,
                ingestedAt: Self.t)
            #expect(try await store.hasIngestedFile(sha256: file.sha256) == false)
            try await store.recordIngestedFile(file, audit: Self.entry("ingest"))
            #expect(try await store.hasIngestedFile(sha256: file.sha256))
            #expect(try await store.records(from: 1).count == 1)
            // A concurrent ingest of the same file that finishes second writes nothing.
            try await store.recordIngestedFile(file, audit: Self.entry("ingest"))
            #expect(try await store.records(from: 1).count == 1)
        }
    }

    // MARK: audit

    @Test(arguments: Backend.all)
    func auditRecordsRoundTripExactly(_ backend: Backend) async throws {
        try await withHarness(backend) { h in
            let store = h.store
            var sealed: [AuditRecord] = []
            sealed.append(try await store.append(Self.entry("identification", detail: ["status": "found", "sighting": "sighting#1"])))
            sealed.append(
                try await store.append(
                    AuditEntry(
                        time: Self.t.addingTimeInterval(0.0015), countermeasure: nil, action: "purge", actor: "cli", subject: "notices",
                        detail: ["quote\"back\\slash": "line\nbreak\u{1}", "日本語": "値 / ✓", "": ""])))
            sealed.append(try await store.append(Self.entry("page-view", subject: "")))
            #expect(sealed.map(\.sequence) == [1, 2, 3])
            #expect(try await store.records(from: 1) == sealed)
            #expect(try await store.records(from: 2) == Array(sealed.dropFirst()))
            #expect(try await store.records(from: 4).isEmpty)
            #expect(try await store.verify() == .intact(count: 3, head: sealed[2].hash))
        }
    }

    @Test(arguments: Backend.all)
    func concurrentAppendersFormOneChain(_ backend: Backend) async throws {
        try await withHarness(backend) { h in
            let first = h.store
            let second = try await h.another()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<8 {
                    let store = writer % 2 == 0 ? first : second
                    group.addTask {
                        for i in 0..<50 {
                            _ = try await store.append(Self.entry("page-view", subject: "w\(writer)", detail: ["i": "\(i)"]))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let records = try await first.records(from: 1)
            #expect(records.map(\.sequence) == Array(1...400))
            #expect(try await second.verify().isIntact)
            for writer in 0..<8 {
                let mine = records.filter { $0.entry.subject == "w\(writer)" }.map { $0.entry.detail["i"] ?? "" }
                #expect(mine == (0..<50).map(String.init))
            }
        }
    }

    @Test(arguments: Backend.all)
    func tamperedAuditRecordsAreFound(_ backend: Backend) async throws {
        try await withHarness(backend) { h in
            for i in 0..<5 { _ = try await h.store.append(Self.entry("page-view", subject: "p\(i)")) }
            #expect(throws: (any Error).self) { try h.plainAuditUpdate(2) }
            #expect(try await h.store.verify().isIntact)
            try h.forgeAuditSubject(3, "forged")
            let verification = try await h.store.verify()
            guard case .broken(let sequence, let reason) = verification else {
                Issue.record("a forged record went unnoticed: \(verification)")
                return
            }
            #expect(sequence == 3)
            #expect(reason.hasPrefix("edited:"))
        }
    }

    // MARK: sightings and cases

    @Test(arguments: Backend.all)
    func sightingBatchesFollowTheLedger(_ backend: Backend) async throws {
        try await withHarness(backend) { h in
            let store = h.store
            var counts = FeedCounts(feed: "cowrie")
            counts.parsed = 3
            counts.attributed = 1
            let file = SightingFileRef(sha256: "abc", name: "f.json")
            let audit = Self.entry("identification", detail: ["status": "found"])
            var seen: [Int] = []
            let first = try await store.commitSightingBatch(
                file: file, range: 0..<2,
                attribute: { skip in
                    seen.append(skip)
                    return ["a"]
                },
                cases: { active in
                    #expect(active.isEmpty)
                    return SightingBatchWrite(cases: [Self.newCase("a")], counts: counts, audit: [audit, audit])
                })
            #expect(first == .committed)
            #expect(seen == [0])
            #expect(try await store.records(from: 1).count == 2)
            // The same range again (a second run of the file): nothing is asked, nothing written.
            let again = try await store.commitSightingBatch(
                file: file, range: 0..<2,
                attribute: { _ in
                    Issue.record("attributed twice")
                    return []
                },
                cases: { _ in
                    Issue.record("applied twice")
                    return SightingBatchWrite(cases: [], counts: counts, audit: [])
                })
            #expect(again == .alreadyCommitted)
            // An overlapping batch is told how much to skip, and sees the subscriber's active case.
            let overlapping = try await store.commitSightingBatch(
                file: file, range: 1..<3,
                attribute: { skip in
                    seen.append(skip)
                    return ["a", "nobody"]
                },
                cases: { active in
                    #expect(active.count == 1)
                    guard var c = active.first else { return SightingBatchWrite(cases: [], counts: FeedCounts(feed: "cowrie"), audit: []) }
                    c.sightings += 1
                    c.lastSeen = Self.t.addingTimeInterval(60)
                    c.evidence = "cowrie f.json:3"
                    return SightingBatchWrite(cases: [c], counts: FeedCounts(feed: "cowrie"), audit: [audit])
                })
            #expect(overlapping == .committed)
            #expect(seen == [0, 1])
            #expect(try await store.sightingFile(sha256: "abc") == SightingFileProgress(committed: 3, complete: false))
            #expect(try await store.completeSightingFile(file, counts: counts, audit: audit))
            #expect(try await store.completeSightingFile(file, counts: counts, audit: audit) == false)
            let late = try await store.commitSightingBatch(
                file: file, range: 3..<4, attribute: { _ in [] }, cases: { _ in SightingBatchWrite(cases: [], counts: counts, audit: []) })
            #expect(late == .fileComplete)
            #expect(try await store.sightingFile(sha256: "abc")?.complete == true)
            #expect(try await store.sightingFile(sha256: "unknown") == nil)
            #expect(try await store.feedCounts().map(\.parsed) == [6])
            #expect(try await store.feedCounts().map(\.attributed) == [2])
            let stored = try #require(try await store.cases(status: .open).first)
            #expect(stored.sightings == 2)
            #expect(stored.lastSeen == Self.t.addingTimeInterval(60))
            #expect(stored.evidence == "cowrie f.json:3")
            #expect(try await store.caseRecord(id: try #require(stored.id)) == stored)
            #expect(try await store.records(from: 1).count == 4)
            #expect(try await store.verify().isIntact)
        }
    }

    @Test(arguments: Backend.all)
    func oneActiveCasePerSubscriberAndFamily(_ backend: Backend) async throws {
        try await withHarness(backend) { h in
            let store = h.store
            let opened = try await Self.openCases([Self.newCase("a"), Self.newCase("a", family: "gafgyt")], in: store)
            #expect(opened.count == 2)
            // A second not-expired case for one subscriber and family is refused; nothing is written.
            await #expect(throws: (any Error).self) {
                _ = try await store.commitSightingBatch(
                    file: nil, range: 0..<1, attribute: { _ in ["a"] },
                    cases: { _ in SightingBatchWrite(cases: [Self.newCase("a")], counts: FeedCounts(feed: "x"), audit: [Self.entry("x")]) })
            }
            #expect(try await store.records(from: 1).isEmpty)
            // Expiring the old case and opening its successor in one batch is fine.
            var old = try #require(opened.first { $0.family == "mirai" })
            old.status = .expired
            let successor = Self.newCase("a", at: Self.t.addingTimeInterval(90 * 86_400))
            let outcome = try await store.commitSightingBatch(
                file: nil, range: 0..<1, attribute: { _ in ["a"] },
                cases: { _ in SightingBatchWrite(cases: [old, successor], counts: FeedCounts(feed: "x"), audit: []) })
            #expect(outcome == .committed)
            #expect(try await store.cases(status: .expired).map(\.id) == [old.id])
            #expect(try await store.cases(status: .open).count == 2)
            #expect(try await store.casesInProgress().count == 2)
            #expect(try await store.cases(status: nil).count == 3)
            // Expiry checks the case is as it was read.
            let current = try #require(try await store.cases(status: .open).first { $0.family == "mirai" })
            #expect(try await store.expire(caseID: try #require(current.id), lastSeen: Self.t, audit: Self.entry("expire")) == false)
            #expect(try await store.expire(caseID: try #require(current.id), lastSeen: current.lastSeen, audit: Self.entry("expire")))
            #expect(try await store.expire(caseID: try #require(current.id), lastSeen: current.lastSeen, audit: Self.entry("expire")) == false)
            #expect(try await store.records(from: 1).count == 1)
        }
    }

    // MARK: notices

    @Test(arguments: Backend.all)
    func enqueueIsExactlyOnce(_ backend: Backend) async throws {
        try await withHarness(backend) { h in
            let store = h.store
            let cases = try await Self.openCases([Self.newCase("a"), Self.newCase("a", family: "gafgyt"), Self.newCase("b")], in: store)
            let a1 = try #require(cases.first { $0.subscriber == "a" && $0.family == "mirai" })
            let a2 = try #require(cases.first { $0.subscriber == "a" && $0.family == "gafgyt" })
            let (record, token) = try Self.notice(for: a1)
            let queued = try await store.enqueue(
                record, token: token, expectedNotices: 0, expectedStatus: .open, minimumGap: 3_600, audit: Self.entry("queue"))
            guard case .queued(let stored) = queued else {
                Issue.record("not queued: \(queued)")
                return
            }
            #expect(stored.id != nil)
            #expect(try await store.caseRecord(id: record.caseID)?.status == .notified)
            #expect(try await store.caseRecord(id: record.caseID)?.notices == 1)
            #expect(try await store.token(hash: token.hash) == token)
            // A run that read the case before the first queued: refused, nothing written.
            let (again, againToken) = try Self.notice(for: a1, tag: "-again")
            #expect(
                try await store.enqueue(
                    again, token: againToken, expectedNotices: 0, expectedStatus: .open, minimumGap: 0, audit: Self.entry("queue"))
                    == .alreadyPlanned)
            #expect(try await store.token(hash: againToken.hash) == nil)
            // The same subscriber's other case, within the gap.
            let (other, otherToken) = try Self.notice(for: a2, at: Self.t.addingTimeInterval(60))
            #expect(
                try await store.enqueue(
                    other, token: otherToken, expectedNotices: 0, expectedStatus: .open, minimumGap: 3_600, audit: Self.entry("queue"))
                    == .rateLimited)
            // Another subscriber is not limited.
            let b = try #require(cases.first { $0.subscriber == "b" })
            let (forB, forBToken) = try Self.notice(for: b, at: Self.t.addingTimeInterval(60))
            guard
                case .queued = try await store.enqueue(
                    forB, token: forBToken, expectedNotices: 0, expectedStatus: .open, minimumGap: 3_600, audit: Self.entry("queue"))
            else {
                Issue.record("b not queued")
                return
            }
            #expect(try await store.notices().count == 2)
            #expect(try await store.lastNoticeTimes(since: Self.t.addingTimeInterval(-1)) == ["a": Self.t, "b": Self.t.addingTimeInterval(60)])
            #expect(try await store.records(from: 1).count == 2)
        }
    }

    @Test(arguments: Backend.all)
    func twoClaimersTakeDisjointNotices(_ backend: Backend) async throws {
        try await withHarness(backend) { h in
            let first = h.store
            let second = try await h.another()
            let cases = try await Self.openCases((0..<200).map { Self.newCase("s\($0)") }, in: first)
            #expect(cases.count == 200)
            for c in cases {
                let (record, token) = try Self.notice(for: c)
                guard
                    case .queued = try await first.enqueue(
                        record, token: token, expectedNotices: 0, expectedStatus: .open, minimumGap: 0, audit: Self.entry("queue"))
                else {
                    Issue.record("not queued")
                    return
                }
            }
            let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for worker in 0..<4 {
                    let store = worker % 2 == 0 ? first : second
                    group.addTask {
                        var mine: [Int64] = []
                        while let notice = try await store.claimNotice(owner: "w\(worker)", dueBy: Self.t, now: Self.t, lease: 3_600) {
                            mine.append(try #require(notice.id))
                            #expect(notice.status == .sending)
                            #expect(notice.attempts == 1)
                        }
                        return mine
                    }
                }
                var all: [[Int64]] = []
                for try await ids in group { all.append(ids) }
                return all
            }
            let ids = claimed.flatMap { $0 }
            #expect(ids.count == 200)
            #expect(Set(ids).count == 200)
            #expect(Set(ids) == Set(try await first.notices().compactMap(\.id)))
            #expect(try await first.claimNotice(owner: "late", dueBy: Self.t, now: Self.t, lease: 60) == nil)
        }
    }

    @Test(arguments: Backend.all)
    func expiredLeasesAreTakenOverAndSentOnce(_ backend: Backend) async throws {
        try await withHarness(backend) { h in
            let store = h.store
            let other = try await h.another()
            let c = try #require(try await Self.openCases([Self.newCase("a")], in: store).first)
            let (record, token) = try Self.notice(for: c)
            _ = try await store.enqueue(record, token: token, expectedNotices: 0, expectedStatus: .open, minimumGap: 0, audit: Self.entry("q"))
            #expect(try await store.claimNotice(owner: "A", dueBy: Self.t.addingTimeInterval(-1), now: Self.t, lease: 60) == nil)
            let claimed = try #require(try await store.claimNotice(owner: "A", dueBy: Self.t, now: Self.t, lease: 60))
            #expect(claimed.messageID == record.messageID)
            #expect(try await other.claimNotice(owner: "B", dueBy: Self.t, now: Self.t.addingTimeInterval(30), lease: 60) == nil)
            let takenOver = try #require(try await other.claimNotice(owner: "B", dueBy: Self.t, now: Self.t.addingTimeInterval(61), lease: 60))
            #expect(takenOver.id == claimed.id)
            #expect(takenOver.attempts == 2)
            #expect(takenOver.messageID == claimed.messageID)
            let id = try #require(claimed.id)
            // The first worker lost its lease: its retry and its failure are ignored.
            try await store.markRetry(id, owner: "A", next: Self.t, error: "timeout")
            try await store.markFailed(id, owner: "A", error: "refused", audit: Self.entry("failed"))
            #expect(try await store.notices().first?.status == .sending)
            let before = try await store.records(from: 1).count
            #expect(try await other.markSent(id, owner: "B", at: Self.t.addingTimeInterval(62), reply: "250 ok", audit: Self.entry("sent")))
            #expect(try await store.markSent(id, owner: "A", at: Self.t.addingTimeInterval(63), reply: "250 ok", audit: Self.entry("sent")) == false)
            #expect(try await store.records(from: 1).count == before + 1)
            let sent = try #require(try await store.notices().first)
            #expect(sent.status == .sent)
            #expect(sent.body.isEmpty)
            #expect(sent.sentAt == Self.t.addingTimeInterval(62))
            // Retry and failure with the right owner.
            let c2 = try #require(try await Self.openCases([Self.newCase("b")], in: store).first { $0.subscriber == "b" })
            let (r2, t2) = try Self.notice(for: c2)
            _ = try await store.enqueue(r2, token: t2, expectedNotices: 0, expectedStatus: .open, minimumGap: 0, audit: Self.entry("q"))
            let n2 = try #require(try await store.claimNotice(owner: "A", dueBy: Self.t, now: Self.t, lease: 60))
            try await store.markRetry(try #require(n2.id), owner: "A", next: Self.t.addingTimeInterval(300), error: "421 busy")
            #expect(try await store.claimNotice(owner: "A", dueBy: Self.t, now: Self.t, lease: 60) == nil)
            let n3 = try #require(try await store.claimNotice(owner: "A", dueBy: Self.t.addingTimeInterval(300), now: Self.t, lease: 60))
            #expect(n3.attempts == 2)
            #expect(n3.body == r2.body)  // a retry keeps what is still to be sent
            try await store.markFailed(try #require(n3.id), owner: "A", error: "550 no", audit: Self.entry("failed"))
            let failed = try #require(try await store.notices().first { $0.id == n3.id })
            #expect(failed.status == .failed)
            #expect(failed.lastError == "550 no")
            #expect(failed.body.isEmpty)  // the personal link does not outlive the notice's end
            #expect(try await store.verify().isIntact)
        }
    }

    // MARK: the page

    @Test(arguments: Backend.all)
    func pageStoreMarksRemediatedOnce(_ backend: Backend) async throws {
        try await withHarness(backend) { h in
            let store = h.store
            let c = try #require(try await Self.openCases([Self.newCase("a")], in: store).first)
            let id = try #require(c.id)
            let token = TokenRecord(hash: "preview", caseID: id, language: .en, createdAt: Self.t, expiresAt: Self.t.addingTimeInterval(60))
            try await store.issuePreview(token: token, audit: Self.entry("preview"))
            #expect(try await store.pageToken(hash: "preview") == token)
            #expect(try await store.pageToken(hash: "missing") == nil)
            #expect(try await store.pageCase(id: id) == c)
            #expect(try await store.pageCase(id: id + 1000) == nil)
            #expect(try await store.markRemediated(caseID: id, at: Self.t.addingTimeInterval(10), audit: Self.entry("remediated")))
            #expect(try await store.markRemediated(caseID: id, at: Self.t.addingTimeInterval(20), audit: Self.entry("remediated")) == false)
            let remediated = try #require(try await store.pageCase(id: id))
            #expect(remediated.status == .remediated)
            #expect(remediated.remediatedAt == Self.t.addingTimeInterval(10))
            try await store.appendPageAudit(Self.entry("page-view"))
            try await store.append(audit: Self.entry("refusal"))
            #expect(try await store.records(from: 1).map(\.entry.action) == ["preview", "remediated", "page-view", "refusal"])
            // The directory.
            let contacts = [
                SubscriberContact(subscriber: "a", email: "a@example.jp", language: .ja),
                SubscriberContact(subscriber: "b", email: "b@example.jp", language: .en),
            ]
            #expect(try await store.upsert(contacts: contacts, audit: Self.entry("directory")) == 2)
            #expect(
                try await store.upsert(
                    contacts: [SubscriberContact(subscriber: "a", email: "a2@example.jp", language: .en)], audit: Self.entry("directory")) == 1)
            #expect(try await store.contact(of: "a") == SubscriberContact(subscriber: "a", email: "a2@example.jp", language: .en))
            #expect(try await store.contact(of: "b") == contacts[1])
            #expect(try await store.contact(of: "c") == nil)
        }
    }

    // MARK: migrations

    @Test(arguments: Backend.all)
    func severalProcessesOpenANewStoreAtOnce(_ backend: Backend) async throws {
        let ready = try await backend.openConcurrently(3)
        #expect(ready == [true, true, true])
    }
}
