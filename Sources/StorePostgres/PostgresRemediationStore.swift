public import Foundation
import Logging
import PostgresNIO
public import Remediation
public import Secrecy

/// The remediation flow's storage, with the SQLite store's SQL semantics.
///
/// Every method that writes audit entries takes the audit advisory lock first and writes them in
/// the same transaction as the state they describe; the lock also serialises those transactions
/// among themselves (in every process), as SQLite's single writer does, so the checks they make
/// before writing (the ledger, the per-subscriber gap, the case as it was read) hold until commit.
extension PostgresStore: RemediationStore {
    // MARK: directory

    public func upsert(contacts: [SubscriberContact], audit: AuditEntry) async throws -> Int {
        try await transaction("store subscriber contacts", lockingAudit: true) { connection in
            let now = Date().timeIntervalSince1970
            var start = 0
            while start < contacts.count {
                let chunk = contacts[start..<min(contacts.count, start + 5_000)]
                start += chunk.count
                // The last of two contacts of one subscriber wins, as one-by-one upserts would.
                var seen: Set<String> = []
                var subscribers: [String] = []
                var emails: [String] = []
                var languages: [String] = []
                for c in chunk.reversed() where seen.insert(c.subscriber).inserted {
                    subscribers.append(c.subscriber)
                    emails.append(c.email)
                    languages.append(c.language.rawValue)
                }
                try await connection.query(
                    """
                    INSERT INTO subscriber_contact(subscriber, email, language, updated_at)
                    SELECT u.s, u.e, u.l, \(now) FROM unnest(\(subscribers)::text[], \(emails)::text[], \(languages)::text[]) AS u(s, e, l)
                    ON CONFLICT (subscriber) DO UPDATE SET email = excluded.email, language = excluded.language, updated_at = excluded.updated_at
                    """, logger: logger)
            }
            try await self.appendAudit([audit], on: connection)
            return contacts.count
        }
    }

    public func contact(of subscriber: String) async throws -> SubscriberContact? {
        try await read("read a subscriber contact") { connection in
            var out: SubscriberContact?
            for try await (s, email, language) in try await connection.query(
                "SELECT subscriber, email, language FROM subscriber_contact WHERE subscriber = \(subscriber)", logger: logger
            ).decode((String, String, String).self) {
                out = SubscriberContact(subscriber: s, email: email, language: Language(rawValue: language) ?? .ja)
            }
            return out
        }
    }

    // MARK: sightings and cases

    public func sightingFile(sha256: String) async throws -> SightingFileProgress? {
        try await read("read the sightings ledger") { connection in
            var out: SightingFileProgress?
            for try await (committed, complete) in try await connection.query(
                "SELECT committed, complete FROM sighting_file WHERE sha256 = \(sha256)", logger: logger
            ).decode((Int, Bool).self) {
                out = SightingFileProgress(committed: committed, complete: complete)
            }
            return out
        }
    }

    public func commitSightingBatch(
        file: SightingFileRef?, range: Range<Int>, attribute: SightingBatchAttribution, cases: SightingBatchCases
    ) async throws -> SightingBatchOutcome {
        try await transaction("commit a sightings batch", lockingAudit: true) { connection in
            var committed = 0
            if let file {
                var complete = false
                for try await (done, isComplete) in try await connection.query(
                    "SELECT committed, complete FROM sighting_file WHERE sha256 = \(file.sha256) FOR UPDATE", logger: logger
                ).decode((Int, Bool).self) {
                    complete = isComplete
                    committed = done
                }
                if complete { return .fileComplete }
                if committed >= range.upperBound { return .alreadyCommitted }
            }
            let subscribers = try attribute(max(0, committed - range.lowerBound))
            let active = try await self.activeCases(of: subscribers, on: connection)
            let batch = try cases(active)
            try await self.save(batch.cases, on: connection)
            try await Self.addCounts(batch.counts, on: connection, logger: logger)
            if let file {
                try await connection.query(
                    """
                    INSERT INTO sighting_file(sha256, name, feed, ingested_at, committed, complete)
                    VALUES (\(file.sha256), \(file.name), \(batch.counts.feed), \(Date().timeIntervalSince1970), \(range.upperBound), false)
                    ON CONFLICT (sha256) DO UPDATE SET committed = excluded.committed
                    """, logger: logger)
            }
            try await self.appendAudit(batch.audit, on: connection)
            return .committed
        }
    }

    /// The not-expired cases of `subscribers`, by id.
    private func activeCases(of subscribers: Set<String>, on connection: PostgresConnection) async throws -> [CaseRecord] {
        guard !subscribers.isEmpty else { return [] }
        let list = Array(subscribers)
        return try await Self.caseRecords(
            connection.query(
                "SELECT \(unescaped: Self.caseColumns) FROM infection_case WHERE status <> 'expired' AND subscriber = ANY(\(list)::text[]) ORDER BY id",
                logger: logger))
    }

    public func completeSightingFile(_ file: SightingFileRef?, counts: FeedCounts, audit: AuditEntry) async throws -> Bool {
        try await transaction("complete a sightings file", lockingAudit: true) { connection in
            if let file {
                var complete = false
                for try await done in try await connection.query(
                    "SELECT complete FROM sighting_file WHERE sha256 = \(file.sha256) FOR UPDATE", logger: logger
                ).decode(Bool.self) {
                    complete = done
                }
                if complete { return false }
                try await connection.query(
                    """
                    INSERT INTO sighting_file(sha256, name, feed, ingested_at, committed, complete)
                    VALUES (\(file.sha256), \(file.name), \(counts.feed), \(Date().timeIntervalSince1970), 0, true)
                    ON CONFLICT (sha256) DO UPDATE SET complete = true, feed = excluded.feed, ingested_at = excluded.ingested_at
                    """, logger: logger)
            }
            try await Self.addCounts(counts, on: connection, logger: logger)
            try await self.appendAudit([audit], on: connection)
            return true
        }
    }

    static func addCounts(_ c: FeedCounts, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO feed_counter(feed, parsed, rejected, not_infected, attributed, not_found, ambiguous)
            VALUES (\(c.feed), \(c.parsed), \(c.rejected), \(c.notInfected), \(c.attributed), \(c.notFound), \(c.ambiguous))
            ON CONFLICT (feed) DO UPDATE SET parsed = feed_counter.parsed + excluded.parsed,
                rejected = feed_counter.rejected + excluded.rejected, not_infected = feed_counter.not_infected + excluded.not_infected,
                attributed = feed_counter.attributed + excluded.attributed, not_found = feed_counter.not_found + excluded.not_found,
                ambiguous = feed_counter.ambiguous + excluded.ambiguous
            """, logger: logger)
    }

    /// Writes changed cases (an id: update) and new ones (no id: insert), updates first (a batch
    /// may expire a case and open its successor), each kind in one statement.
    private func save(_ cases: [CaseRecord], on connection: PostgresConnection) async throws {
        let now = Date().timeIntervalSince1970
        let updates = CaseColumns(cases.filter { $0.id != nil })
        let inserts = CaseColumns(cases.filter { $0.id == nil })
        if !updates.ids.isEmpty {
            let u = updates
            try await connection.query(
                """
                UPDATE infection_case AS c SET countermeasure = u.cm, kind = u.kind, subscriber = u.sub, family = u.fam,
                    first_seen = u.fs, last_seen = u.ls, sightings = u.n, status = u.st, last_notice_at = NULLIF(u.lna, 'NaN'::float8),
                    notices = u.notices, remediated_at = NULLIF(u.ra, 'NaN'::float8), reopen_count = u.rc, evidence = u.ev, updated_at = \(now)
                FROM unnest(\(u.ids)::bigint[], \(u.countermeasure)::text[], \(u.kind)::text[], \(u.subscriber)::text[], \(u.family)::text[],
                            \(u.firstSeen)::float8[], \(u.lastSeen)::float8[], \(u.sightings)::bigint[], \(u.status)::text[],
                            \(u.lastNoticeAt)::float8[], \(u.notices)::bigint[], \(u.remediatedAt)::float8[], \(u.reopenCount)::bigint[],
                            \(u.evidence)::text[])
                    AS u(id, cm, kind, sub, fam, fs, ls, n, st, lna, notices, ra, rc, ev)
                WHERE c.id = u.id
                """, logger: logger)
        }
        if !inserts.countermeasure.isEmpty {
            let u = inserts
            try await connection.query(
                """
                INSERT INTO infection_case(countermeasure, kind, subscriber, family, first_seen, last_seen, sightings, status,
                    last_notice_at, notices, remediated_at, reopen_count, evidence, updated_at)
                SELECT u.cm, u.kind, u.sub, u.fam, u.fs, u.ls, u.n, u.st, NULLIF(u.lna, 'NaN'::float8), u.notices,
                    NULLIF(u.ra, 'NaN'::float8), u.rc, u.ev, \(now)
                FROM unnest(\(u.countermeasure)::text[], \(u.kind)::text[], \(u.subscriber)::text[], \(u.family)::text[],
                            \(u.firstSeen)::float8[], \(u.lastSeen)::float8[], \(u.sightings)::bigint[], \(u.status)::text[],
                            \(u.lastNoticeAt)::float8[], \(u.notices)::bigint[], \(u.remediatedAt)::float8[], \(u.reopenCount)::bigint[],
                            \(u.evidence)::text[]) WITH ORDINALITY
                    AS u(cm, kind, sub, fam, fs, ls, n, st, lna, notices, ra, rc, ev, ord)
                ORDER BY u.ord
                """, logger: logger)
        }
    }

    public func cases(status: CaseStatus?) async throws -> [CaseRecord] {
        try await read("read cases") { connection in
            if let status {
                return try await Self.caseRecords(
                    connection.query(
                        "SELECT \(unescaped: Self.caseColumns) FROM infection_case WHERE status = \(status.rawValue) ORDER BY id", logger: logger))
            }
            return try await Self.caseRecords(
                connection.query("SELECT \(unescaped: Self.caseColumns) FROM infection_case ORDER BY id", logger: logger))
        }
    }

    public func casesInProgress() async throws -> [CaseRecord] {
        try await read("read cases in progress") { connection in
            try await Self.caseRecords(
                connection.query(
                    "SELECT \(unescaped: Self.caseColumns) FROM infection_case WHERE status IN ('open', 'notified', 'reopened') ORDER BY id",
                    logger: logger))
        }
    }

    public func caseRecord(id: Int64) async throws -> CaseRecord? {
        try await read("read a case") { connection in
            try await Self.caseRecords(
                connection.query("SELECT \(unescaped: Self.caseColumns) FROM infection_case WHERE id = \(id)", logger: logger)
            ).first
        }
    }

    public func feedCounts() async throws -> [FeedCounts] {
        try await read("read feed counts") { connection in
            var out: [FeedCounts] = []
            for try await (feed, parsed, rejected, notInfected, attributed, notFound, ambiguous) in try await connection.query(
                "SELECT feed, parsed, rejected, not_infected, attributed, not_found, ambiguous FROM feed_counter ORDER BY feed",
                logger: logger
            ).decode((String, Int, Int, Int, Int, Int, Int).self) {
                var c = FeedCounts(feed: feed)
                c.parsed = parsed
                c.rejected = rejected
                c.notInfected = notInfected
                c.attributed = attributed
                c.notFound = notFound
                c.ambiguous = ambiguous
                out.append(c)
            }
            return out
        }
    }

    static let caseColumns =
        "id, countermeasure, kind, subscriber, family, first_seen, last_seen, sightings, status, last_notice_at, notices, remediated_at, reopen_count, evidence"

    static func caseRecords(_ rows: PostgresRowSequence) async throws -> [CaseRecord] {
        var out: [CaseRecord] = []
        for try await row in rows {
            let (id, countermeasure, kind, subscriber, family, firstSeen, lastSeen, sightings, status, lastNoticeAt, notices, remediatedAt) =
                try row.decode((Int64, String, String, String, String, Double, Double, Int, String, Double?, Int, Double?).self)
            let rest = row.makeRandomAccess()
            let (reopenCount, evidence) = (try rest[12].decode(Int.self), try rest[13].decode(String.self))
            out.append(
                CaseRecord(
                    id: id, countermeasure: CountermeasureID(rawValue: countermeasure), kind: NoticeKind(rawValue: kind) ?? .infectedHost,
                    subscriber: subscriber, family: family, firstSeen: Date(timeIntervalSince1970: firstSeen),
                    lastSeen: Date(timeIntervalSince1970: lastSeen), sightings: sightings, status: CaseStatus(rawValue: status) ?? .open,
                    lastNoticeAt: lastNoticeAt.map(Date.init(timeIntervalSince1970:)), notices: notices,
                    remediatedAt: remediatedAt.map(Date.init(timeIntervalSince1970:)), reopenCount: reopenCount, evidence: evidence))
        }
        return out
    }

    // MARK: notices

    public func lastNoticeTimes(since: Date) async throws -> [String: Date] {
        try await read("read the last notice times") { connection in
            var out: [String: Date] = [:]
            for try await (subscriber, time) in try await connection.query(
                "SELECT subscriber, MAX(created_at) FROM notice WHERE created_at > \(since.timeIntervalSince1970) GROUP BY subscriber",
                logger: logger
            ).decode((String, Double).self) {
                out[subscriber] = Date(timeIntervalSince1970: time)
            }
            return out
        }
    }

    public func enqueue(
        _ notice: NoticeRecord, token: TokenRecord, expectedNotices: Int, expectedStatus: CaseStatus, minimumGap: TimeInterval,
        audit: AuditEntry
    ) async throws -> EnqueueOutcome {
        try await transaction("queue a notice", lockingAudit: true) { connection in
            let created = notice.createdAt.timeIntervalSince1970
            var last: Double?
            for try await time in try await connection.query(
                "SELECT MAX(created_at) FROM notice WHERE subscriber = \(notice.subscriber)", logger: logger
            ).decode(Double?.self) {
                last = time
            }
            if let last, created - last < minimumGap { return .rateLimited }
            var planned = false
            for try await _ in try await connection.query(
                "SELECT 1 FROM notice WHERE case_id = \(notice.caseID) AND round = \(notice.round)", logger: logger
            ).decode(Int.self) {
                planned = true
            }
            if planned { return .alreadyPlanned }
            var updated = false
            for try await _ in try await connection.query(
                """
                UPDATE infection_case SET status = 'notified', last_notice_at = \(created), notices = notices + 1,
                    updated_at = \(Date().timeIntervalSince1970)
                WHERE id = \(notice.caseID) AND notices = \(expectedNotices) AND status = \(expectedStatus.rawValue)
                RETURNING id
                """, logger: logger
            ).decode(Int64.self) {
                updated = true
            }
            guard updated else { return .alreadyPlanned }
            var stored = notice
            for try await id in try await connection.query(
                """
                INSERT INTO notice(case_id, subscriber, recipient, language, type, kind, round, message_id, subject, body, status,
                    attempts, next_attempt_at, created_at)
                VALUES (\(notice.caseID), \(notice.subscriber), \(notice.recipient), \(notice.language.rawValue), \(notice.type.rawValue),
                    \(notice.kind.rawValue), \(notice.round), \(notice.messageID), \(notice.subject), \(notice.body), 'queued', 0,
                    \(notice.nextAttemptAt.timeIntervalSince1970), \(created))
                RETURNING id
                """, logger: logger
            ).decode(Int64.self) {
                stored.id = id
            }
            try await Self.insert(token, on: connection, logger: logger)
            try await self.appendAudit([audit], on: connection)
            return .queued(stored)
        }
    }

    public func expire(caseID: Int64, lastSeen: Date, audit: AuditEntry) async throws -> Bool {
        try await transaction("expire a case", lockingAudit: true) { connection in
            var changed = false
            for try await _ in try await connection.query(
                """
                UPDATE infection_case SET status = 'expired', updated_at = \(Date().timeIntervalSince1970)
                WHERE id = \(caseID) AND last_seen = \(lastSeen.timeIntervalSince1970) AND status NOT IN ('expired', 'remediated')
                RETURNING id
                """, logger: logger
            ).decode(Int64.self) {
                changed = true
            }
            guard changed else { return false }
            try await self.appendAudit([audit], on: connection)
            return true
        }
    }

    static func insert(_ token: TokenRecord, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO access_token(hash, case_id, language, created_at, expires_at)
            VALUES (\(token.hash), \(token.caseID), \(token.language.rawValue), \(token.createdAt.timeIntervalSince1970),
                    \(token.expiresAt.timeIntervalSince1970))
            """, logger: logger)
    }

    public func issuePreview(token: TokenRecord, audit: AuditEntry) async throws {
        try await transaction("issue a preview token", lockingAudit: true) { connection in
            try await Self.insert(token, on: connection, logger: logger)
            try await self.appendAudit([audit], on: connection)
        }
    }

    /// The subscriber notices' lease steps: those of every outbox, the body (it held the personal
    /// link) emptied when a notice is sent or fails.
    var noticeOutbox: PostgresLeasedOutbox {
        PostgresLeasedOutbox(store: self, table: "notice", columns: Self.noticeColumns, what: "a notice", clearedAtEnd: ["body"])
    }

    /// Takes the next due notice in one statement: the candidate row is locked with
    /// `FOR UPDATE SKIP LOCKED`, so concurrent claimers (other connections, other processes)
    /// each take a different notice and never wait on one another.
    public func claimNotice(owner: String, dueBy: Date, now: Date, lease: TimeInterval) async throws -> NoticeRecord? {
        try await noticeOutbox.claim(owner: owner, dueBy: dueBy, now: now, lease: lease, decode: Self.noticeRecords)
    }

    public func notices() async throws -> [NoticeRecord] {
        try await read("read notices") { connection in
            try await Self.noticeRecords(connection.query("SELECT \(unescaped: Self.noticeColumns) FROM notice ORDER BY id", logger: logger))
        }
    }

    static let noticeColumns =
        "id, case_id, subscriber, recipient, language, type, kind, round, message_id, subject, body, status, attempts, next_attempt_at, last_error, created_at, sent_at"

    static func noticeRecords(_ rows: PostgresRowSequence) async throws -> [NoticeRecord] {
        var out: [NoticeRecord] = []
        for try await row in rows {
            let (id, caseID, subscriber, recipient, language, type, kind, round, messageID, subject, body, status) =
                try row.decode((Int64, Int64, String, String, String, String, String, Int, String, String, String, String).self)
            let rest = row.makeRandomAccess()
            let attempts = try rest[12].decode(Int.self)
            let nextAttemptAt = try rest[13].decode(Double.self)
            let lastError = try rest[14].decode(String?.self)
            let createdAt = try rest[15].decode(Double.self)
            let sentAt = try rest[16].decode(Double?.self)
            out.append(
                NoticeRecord(
                    id: id, caseID: caseID, subscriber: subscriber, recipient: recipient, language: Language(rawValue: language) ?? .ja,
                    type: NoticeType(rawValue: type) ?? .first, kind: NoticeKind(rawValue: kind) ?? .infectedHost, round: round,
                    messageID: messageID, subject: subject, body: body, status: NoticeStatus(rawValue: status) ?? .queued,
                    attempts: attempts, nextAttemptAt: Date(timeIntervalSince1970: nextAttemptAt), lastError: lastError,
                    createdAt: Date(timeIntervalSince1970: createdAt), sentAt: sentAt.map(Date.init(timeIntervalSince1970:))))
        }
        return out
    }

    /// Records the relay's acceptance, once. A worker whose lease was taken over still records
    /// its delivery (the relay accepted it), as in the SQLite store; the body (it held the
    /// personal link) is cleared.
    public func markSent(_ id: Int64, owner: String, at: Date, reply: String, audit: AuditEntry) async throws -> Bool {
        try await noticeOutbox.markSent(id, at: at, reply: reply, audit: audit)
    }

    public func markRetry(_ id: Int64, owner: String, next: Date, error: String) async throws {
        try await noticeOutbox.markRetry(id, owner: owner, next: next, error: error)
    }

    public func markFailed(_ id: Int64, owner: String, error: String, audit: AuditEntry) async throws {
        try await noticeOutbox.markFailed(id, owner: owner, error: error, audit: audit)
    }

    // MARK: tokens

    public func token(hash: String) async throws -> TokenRecord? {
        try await read("read a token") { connection in
            var out: TokenRecord?
            for try await (h, caseID, language, createdAt, expiresAt) in try await connection.query(
                "SELECT hash, case_id, language, created_at, expires_at FROM access_token WHERE hash = \(hash)", logger: logger
            ).decode((String, Int64, String, Double, Double).self) {
                out = TokenRecord(
                    hash: h, caseID: caseID, language: Language(rawValue: language) ?? .ja, createdAt: Date(timeIntervalSince1970: createdAt),
                    expiresAt: Date(timeIntervalSince1970: expiresAt))
            }
            return out
        }
    }

    public func append(audit: AuditEntry) async throws {
        try await transaction("append an audit record", lockingAudit: true) { connection in
            try await self.appendAudit([audit], on: connection)
        }
    }
}

extension PostgresStore: RemediationPageStore {
    public func pageToken(hash: String) async throws -> TokenRecord? {
        try await token(hash: hash)
    }

    public func pageCase(id: Int64) async throws -> CaseRecord? {
        try await caseRecord(id: id)
    }

    public func markRemediated(caseID: Int64, at: Date, audit: AuditEntry) async throws -> Bool {
        try await transaction("mark a case remediated", lockingAudit: true) { connection in
            var changed = false
            for try await _ in try await connection.query(
                """
                UPDATE infection_case SET status = 'remediated', remediated_at = \(at.timeIntervalSince1970),
                    updated_at = \(Date().timeIntervalSince1970)
                WHERE id = \(caseID) AND status <> 'remediated'
                RETURNING id
                """, logger: logger
            ).decode(Int64.self) {
                changed = true
            }
            if changed { try await self.appendAudit([audit], on: connection) }
            return changed
        }
    }

    public func appendPageAudit(_ audit: AuditEntry) async throws {
        try await append(audit: audit)
    }
}

/// Cases as column arrays for one multi-row insert or update; a missing date is NaN (NULL
/// once written).
private struct CaseColumns {
    var ids: [Int64] = []
    var countermeasure: [String] = []
    var kind: [String] = []
    var subscriber: [String] = []
    var family: [String] = []
    var firstSeen: [Double] = []
    var lastSeen: [Double] = []
    var sightings: [Int64] = []
    var status: [String] = []
    var lastNoticeAt: [Double] = []
    var notices: [Int64] = []
    var remediatedAt: [Double] = []
    var reopenCount: [Int64] = []
    var evidence: [String] = []

    init(_ cases: [CaseRecord]) {
        for c in cases {
            if let id = c.id { ids.append(id) }
            countermeasure.append(c.countermeasure.rawValue)
            kind.append(c.kind.rawValue)
            subscriber.append(c.subscriber)
            family.append(c.family)
            firstSeen.append(c.firstSeen.timeIntervalSince1970)
            lastSeen.append(c.lastSeen.timeIntervalSince1970)
            sightings.append(Int64(c.sightings))
            status.append(c.status.rawValue)
            lastNoticeAt.append(c.lastNoticeAt?.timeIntervalSince1970 ?? .nan)
            notices.append(Int64(c.notices))
            remediatedAt.append(c.remediatedAt?.timeIntervalSince1970 ?? .nan)
            reopenCount.append(Int64(c.reopenCount))
            evidence.append(c.evidence)
        }
    }
}
