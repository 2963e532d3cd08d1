public import Foundation
import GRDB
import GRDBSQLite
public import Remediation
public import Secrecy

/// The remediation flow's storage in the store file.
///
/// Audit entries passed with a change are sealed into the chain inside the same transaction.
public final class SQLiteRemediationStore: RemediationStore {
    let store: MamoriStore

    init(store: MamoriStore) {
        self.store = store
    }

    /// One IMMEDIATE transaction; with `cacheKiB`, the connection's page cache is that large
    /// for the transaction and back to its own size after it.
    @discardableResult
    private func write<T>(cacheKiB: Int? = nil, _ body: (Database) throws -> T) throws -> T {
        try store.pool.writeWithoutTransaction { db in
            if let cacheKiB {
                let own = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -2000
                try db.execute(sql: "PRAGMA cache_size = \(-cacheKiB)")
                defer { try? db.execute(sql: "PRAGMA cache_size = \(own)") }
                return try transaction(db, body)
            }
            return try transaction(db, body)
        }
    }

    private func transaction<T>(_ db: Database, _ body: (Database) throws -> T) throws -> T {
        var result: T?
        try db.inTransaction(.immediate) {
            result = try body(db)
            return .commit
        }
        guard let result else { throw StoreError.corrupt(path: store.path, table: "-", row: 0, reason: "transaction did not commit") }
        return result
    }

    // MARK: directory

    public func upsert(contacts: [SubscriberContact], audit: AuditEntry) throws -> Int {
        try write { db in
            let now = Date().timeIntervalSince1970
            for c in contacts {
                try db.execute(
                    sql: """
                        INSERT INTO subscriber_contact(subscriber, email, language, updated_at) VALUES (?, ?, ?, ?)
                        ON CONFLICT(subscriber) DO UPDATE SET email = excluded.email, language = excluded.language, updated_at = excluded.updated_at
                        """,
                    arguments: [c.subscriber, c.email, c.language.rawValue, now])
            }
            try SQLiteAuditLog.append(audit, in: db)
            return contacts.count
        }
    }

    public func contact(of subscriber: String) throws -> SubscriberContact? {
        try store.pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM subscriber_contact WHERE subscriber = ?", arguments: [subscriber]) else {
                return nil
            }
            let language: String = row["language"]
            return SubscriberContact(subscriber: row["subscriber"], email: row["email"], language: Language(rawValue: language) ?? .ja)
        }
    }

    // MARK: sightings and cases

    public func sightingFile(sha256: String) throws -> SightingFileProgress? {
        try store.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT committed, complete FROM sighting_file WHERE sha256 = ?", arguments: [sha256]).map {
                SightingFileProgress(committed: $0["committed"], complete: $0["complete"])
            }
        }
    }

    /// The not-expired cases of `subscribers`, inside the caller's transaction.
    private static func activeCases(of subscribers: Set<String>, in db: Database) throws -> [CaseRecord] {
        var out: [CaseRecord] = []
        let all = Array(subscribers)
        var start = 0
        while start < all.count {
            let chunk = all[start..<min(all.count, start + 500)]
            start += chunk.count
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            out += try Row.fetchAll(
                db, sql: "SELECT * FROM infection_case WHERE status != 'expired' AND subscriber IN (\(marks))",
                arguments: StatementArguments(Array(chunk))
            ).map(SQLiteRemediationStore.caseRecord)
        }
        return out.sorted { ($0.id ?? 0) < ($1.id ?? 0) }
    }

    public func commitSightingBatch(
        file: SightingFileRef?, range: Range<Int>, attribute: SightingBatchAttribution, cases: SightingBatchCases
    ) throws -> SightingBatchOutcome {
        // A batch writes tens of megabytes (an audit record per sighting): a page cache that holds
        // it (128 MiB) avoids spilling pages to the WAL and reading them back before the commit.
        try write(cacheKiB: 131_072) { db in
            var committed = 0
            if let file {
                if let row = try Row.fetchOne(db, sql: "SELECT committed, complete FROM sighting_file WHERE sha256 = ?", arguments: [file.sha256]) {
                    let complete: Bool = row["complete"]
                    if complete { return .fileComplete }
                    committed = row["committed"]
                }
                if committed >= range.upperBound { return .alreadyCommitted }
            }
            let subscribers = try attribute(max(0, committed - range.lowerBound))
            let batch = try cases(try Self.activeCases(of: subscribers, in: db))
            for c in batch.cases { _ = try Self.save(c, in: db) }
            try Self.addCounts(batch.counts, in: db)
            if let file {
                try db.execute(
                    sql: """
                        INSERT INTO sighting_file(sha256, name, feed, ingested_at, committed, complete) VALUES (?, ?, ?, ?, ?, 0)
                        ON CONFLICT(sha256) DO UPDATE SET committed = excluded.committed
                        """,
                    arguments: [file.sha256, file.name, batch.counts.feed, Date().timeIntervalSince1970, range.upperBound])
            }
            try SQLiteAuditLog.append(contentsOf: batch.audit, in: db) { _ in }
            return .committed
        }
    }

    public func completeSightingFile(_ file: SightingFileRef?, counts: FeedCounts, audit: AuditEntry) throws -> Bool {
        try write { db in
            if let file {
                let complete = try Bool.fetchOne(db, sql: "SELECT complete FROM sighting_file WHERE sha256 = ?", arguments: [file.sha256])
                if complete == true { return false }
                try db.execute(
                    sql: """
                        INSERT INTO sighting_file(sha256, name, feed, ingested_at, committed, complete) VALUES (?, ?, ?, ?, 0, 1)
                        ON CONFLICT(sha256) DO UPDATE SET complete = 1, feed = excluded.feed, ingested_at = excluded.ingested_at
                        """,
                    arguments: [file.sha256, file.name, counts.feed, Date().timeIntervalSince1970])
            }
            try Self.addCounts(counts, in: db)
            try SQLiteAuditLog.append(audit, in: db)
            return true
        }
    }

    static func addCounts(_ counts: FeedCounts, in db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO feed_counter(feed, parsed, rejected, not_infected, attributed, not_found, ambiguous) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(feed) DO UPDATE SET parsed = parsed + excluded.parsed, rejected = rejected + excluded.rejected,
                    not_infected = not_infected + excluded.not_infected, attributed = attributed + excluded.attributed,
                    not_found = not_found + excluded.not_found, ambiguous = ambiguous + excluded.ambiguous
                """
        ).execute(arguments: [
            counts.feed, counts.parsed, counts.rejected, counts.notInfected, counts.attributed, counts.notFound, counts.ambiguous,
        ])
    }

    public func cases(status: CaseStatus?) throws -> [CaseRecord] {
        try store.pool.read { db in
            if let status {
                return try Row.fetchAll(db, sql: "SELECT * FROM infection_case WHERE status = ? ORDER BY id", arguments: [status.rawValue])
                    .map(Self.caseRecord)
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM infection_case ORDER BY id").map(Self.caseRecord)
        }
    }

    public func casesInProgress() throws -> [CaseRecord] {
        try store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM infection_case WHERE status IN ('open', 'notified', 'reopened') ORDER BY id")
                .map(Self.caseRecord)
        }
    }

    public func caseRecord(id: Int64) throws -> CaseRecord? {
        try store.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM infection_case WHERE id = ?", arguments: [id]).map(Self.caseRecord)
        }
    }

    public func feedCounts() throws -> [FeedCounts] {
        try store.pool.read(Self.feedCounts)
    }

    /// Every feed's counts, by feed (one query for the CLI and for `/metrics`).
    static func feedCounts(_ db: Database) throws -> [FeedCounts] {
        try Row.fetchAll(db, sql: "SELECT * FROM feed_counter ORDER BY feed").map { row in
            var c = FeedCounts(feed: row["feed"])
            c.parsed = row["parsed"]
            c.rejected = row["rejected"]
            c.notInfected = row["not_infected"]
            c.attributed = row["attributed"]
            c.notFound = row["not_found"]
            c.ambiguous = row["ambiguous"]
            return c
        }
    }

    static func caseRecord(_ row: Row) -> CaseRecord {
        let kind: String = row["kind"]
        let status: String = row["status"]
        let countermeasure: String = row["countermeasure"]
        return CaseRecord(
            id: row["id"], countermeasure: CountermeasureID(rawValue: countermeasure), kind: NoticeKind(rawValue: kind) ?? .infectedHost,
            subscriber: row["subscriber"], family: row["family"], firstSeen: date(row["first_seen"]) ?? Date(timeIntervalSince1970: 0),
            lastSeen: date(row["last_seen"]) ?? Date(timeIntervalSince1970: 0), sightings: row["sightings"],
            status: CaseStatus(rawValue: status) ?? .open, lastNoticeAt: date(row["last_notice_at"]), notices: row["notices"],
            remediatedAt: date(row["remediated_at"]), reopenCount: row["reopen_count"], evidence: row["evidence"])
    }

    static func date(_ value: Double?) -> Date? { value.map { Date(timeIntervalSince1970: $0) } }

    @discardableResult
    static func save(_ c: CaseRecord, in db: Database) throws -> Int64 {
        let now = Date().timeIntervalSince1970
        let statement: Statement
        if c.id != nil {
            statement = try db.cachedStatement(
                sql: """
                    UPDATE infection_case SET countermeasure = ?, kind = ?, subscriber = ?, family = ?, first_seen = ?, last_seen = ?,
                        sightings = ?, status = ?, last_notice_at = ?, notices = ?, remediated_at = ?, reopen_count = ?, evidence = ?,
                        updated_at = ? WHERE id = ?
                    """)
        } else {
            statement = try db.cachedStatement(
                sql: """
                    INSERT INTO infection_case(countermeasure, kind, subscriber, family, first_seen, last_seen, sightings, status,
                        last_notice_at, notices, remediated_at, reopen_count, evidence, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
        }
        // Bound directly (texts copied by SQLite), not through argument arrays: a batch of
        // sightings saves one case per subscriber and family.
        let raw = statement.sqliteStatement
        sqlite3_reset(raw)
        defer {
            sqlite3_reset(raw)
            sqlite3_clear_bindings(raw)
        }
        RawBind.text(c.countermeasure.rawValue, at: 1, to: raw)
        RawBind.text(c.kind.rawValue, at: 2, to: raw)
        RawBind.text(c.subscriber, at: 3, to: raw)
        RawBind.text(c.family, at: 4, to: raw)
        sqlite3_bind_double(raw, 5, c.firstSeen.timeIntervalSince1970)
        sqlite3_bind_double(raw, 6, c.lastSeen.timeIntervalSince1970)
        sqlite3_bind_int64(raw, 7, Int64(c.sightings))
        RawBind.text(c.status.rawValue, at: 8, to: raw)
        RawBind.double(c.lastNoticeAt?.timeIntervalSince1970, at: 9, to: raw)
        sqlite3_bind_int64(raw, 10, Int64(c.notices))
        RawBind.double(c.remediatedAt?.timeIntervalSince1970, at: 11, to: raw)
        sqlite3_bind_int64(raw, 12, Int64(c.reopenCount))
        RawBind.text(c.evidence, at: 13, to: raw)
        sqlite3_bind_double(raw, 14, now)
        if let id = c.id { sqlite3_bind_int64(raw, 15, id) }
        let code = sqlite3_step(raw)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage)
        }
        return c.id ?? db.lastInsertedRowID
    }

    // MARK: notices

    public func lastNoticeTimes(since: Date) throws -> [String: Date] {
        try store.pool.read { db in
            var out: [String: Date] = [:]
            let sql = "SELECT subscriber, MAX(created_at) AS t FROM notice WHERE created_at > ? GROUP BY subscriber"
            for row in try Row.fetchAll(db, sql: sql, arguments: [since.timeIntervalSince1970]) {
                let t: Double = row["t"]
                out[row["subscriber"]] = Date(timeIntervalSince1970: t)
            }
            return out
        }
    }

    public func enqueue(
        _ notice: NoticeRecord, token: TokenRecord, expectedNotices: Int, expectedStatus: CaseStatus, minimumGap: TimeInterval,
        audit: AuditEntry
    ) throws -> EnqueueOutcome {
        try write { db in
            let created = notice.createdAt.timeIntervalSince1970
            if let last = try Double.fetchOne(
                db, sql: "SELECT MAX(created_at) FROM notice WHERE subscriber = ?", arguments: [notice.subscriber]),
                created - last < minimumGap
            {
                return .rateLimited
            }
            if try Bool.fetchOne(
                db, sql: "SELECT 1 FROM notice WHERE case_id = ? AND round = ?", arguments: [notice.caseID, notice.round]) == true
            {
                return .alreadyPlanned
            }
            try db.execute(
                sql: """
                    UPDATE infection_case SET status = 'notified', last_notice_at = ?, notices = notices + 1, updated_at = ?
                        WHERE id = ? AND notices = ? AND status = ?
                    """,
                arguments: [created, Date().timeIntervalSince1970, notice.caseID, expectedNotices, expectedStatus.rawValue])
            guard db.changesCount == 1 else { return .alreadyPlanned }
            try db.execute(
                sql: """
                    INSERT INTO notice(case_id, subscriber, recipient, language, type, kind, round, message_id, subject, body, status,
                        attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)
                    """,
                arguments: [
                    notice.caseID, notice.subscriber, notice.recipient, notice.language.rawValue, notice.type.rawValue, notice.kind.rawValue,
                    notice.round, notice.messageID, notice.subject, notice.body, notice.nextAttemptAt.timeIntervalSince1970, created,
                ])
            var stored = notice
            stored.id = db.lastInsertedRowID
            try Self.insert(token, in: db)
            try SQLiteAuditLog.append(audit, in: db)
            return .queued(stored)
        }
    }

    public func expire(caseID: Int64, lastSeen: Date, audit: AuditEntry) throws -> Bool {
        try write { db in
            try db.execute(
                sql: """
                    UPDATE infection_case SET status = 'expired', updated_at = ?
                        WHERE id = ? AND last_seen = ? AND status NOT IN ('expired', 'remediated')
                    """,
                arguments: [Date().timeIntervalSince1970, caseID, lastSeen.timeIntervalSince1970])
            guard db.changesCount == 1 else { return false }
            try SQLiteAuditLog.append(audit, in: db)
            return true
        }
    }

    static func insert(_ token: TokenRecord, in db: Database) throws {
        try db.execute(
            sql: "INSERT INTO access_token(hash, case_id, language, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [
                token.hash, token.caseID, token.language.rawValue, token.createdAt.timeIntervalSince1970, token.expiresAt.timeIntervalSince1970,
            ])
    }

    public func issuePreview(token: TokenRecord, audit: AuditEntry) throws {
        try write { db in
            try Self.insert(token, in: db)
            try SQLiteAuditLog.append(audit, in: db)
        }
    }

    /// The subscriber notices' lease steps: those of every outbox, the body (it held the personal
    /// link) emptied when a notice is sent or fails.
    static let noticeOutbox = LeasedOutboxTable(table: "notice", clearedAtEnd: ["body"])

    public func claimNotice(owner: String, dueBy: Date, now: Date, lease: TimeInterval) throws -> NoticeRecord? {
        try write { db in
            try Self.noticeOutbox.claim(db, owner: owner, dueBy: dueBy, now: now, lease: lease).map(Self.noticeRecord)
        }
    }

    public func notices() throws -> [NoticeRecord] {
        try store.pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM notice ORDER BY id").map(Self.noticeRecord) }
    }

    static func noticeRecord(_ row: Row) -> NoticeRecord {
        let language: String = row["language"]
        let type: String = row["type"]
        let kind: String = row["kind"]
        let status: String = row["status"]
        return NoticeRecord(
            id: row["id"], caseID: row["case_id"], subscriber: row["subscriber"], recipient: row["recipient"],
            language: Language(rawValue: language) ?? .ja, type: NoticeType(rawValue: type) ?? .first,
            kind: NoticeKind(rawValue: kind) ?? .infectedHost,
            round: row["round"], messageID: row["message_id"], subject: row["subject"], body: row["body"],
            status: NoticeStatus(rawValue: status) ?? .queued,
            attempts: row["attempts"], nextAttemptAt: date(row["next_attempt_at"]) ?? Date(timeIntervalSince1970: 0), lastError: row["last_error"],
            createdAt: date(row["created_at"]) ?? Date(timeIntervalSince1970: 0), sentAt: date(row["sent_at"]))
    }

    /// Records the relay's acceptance, once. A worker whose lease was taken over still records
    /// its delivery (the relay accepted it); the body (it held the personal link) is cleared.
    public func markSent(_ id: Int64, owner: String, at: Date, reply: String, audit: AuditEntry) throws -> Bool {
        try write { db in try Self.noticeOutbox.markSent(db, id: id, at: at, reply: reply, audit: audit) }
    }

    public func markRetry(_ id: Int64, owner: String, next: Date, error: String) throws {
        try write { db in try Self.noticeOutbox.markRetry(db, id: id, owner: owner, next: next, error: error) }
    }

    public func markFailed(_ id: Int64, owner: String, error: String, audit: AuditEntry) throws {
        try write { db in try Self.noticeOutbox.markFailed(db, id: id, owner: owner, error: error, audit: audit) }
    }

    // MARK: tokens, the page

    public func token(hash: String) throws -> TokenRecord? {
        try store.pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM access_token WHERE hash = ?", arguments: [hash]) else { return nil }
            return Self.tokenRecord(row)
        }
    }

    static func tokenRecord(_ row: Row) -> TokenRecord {
        let language: String = row["language"]
        return TokenRecord(
            hash: row["hash"], caseID: row["case_id"], language: Language(rawValue: language) ?? .ja,
            createdAt: Self.date(row["created_at"]) ?? Date(timeIntervalSince1970: 0),
            expiresAt: Self.date(row["expires_at"]) ?? Date(timeIntervalSince1970: 0))
    }

    public func append(audit: AuditEntry) throws {
        try write { db in try SQLiteAuditLog.append(audit, in: db) }
    }
}

extension SQLiteRemediationStore: RemediationPageStore {
    public func pageToken(hash: String) async throws -> TokenRecord? {
        try await store.pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM access_token WHERE hash = ?", arguments: [hash]) else { return nil }
            return Self.tokenRecord(row)
        }
    }

    public func pageCase(id: Int64) async throws -> CaseRecord? {
        try await store.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM infection_case WHERE id = ?", arguments: [id]).map(Self.caseRecord)
        }
    }

    public func markRemediated(caseID: Int64, at: Date, audit: AuditEntry) async throws -> Bool {
        // IMMEDIATE, as every write here: the audit append reads the head, then inserts.
        try await store.pool.writeWithoutTransaction { db in
            var changed = false
            try db.inTransaction(.immediate) {
                try db.execute(
                    sql: "UPDATE infection_case SET status = 'remediated', remediated_at = ?, updated_at = ? WHERE id = ? AND status != 'remediated'",
                    arguments: [at.timeIntervalSince1970, Date().timeIntervalSince1970, caseID])
                changed = db.changesCount == 1
                if changed { try SQLiteAuditLog.append(audit, in: db) }
                return .commit
            }
            return changed
        }
    }

    public func appendPageAudit(_ audit: AuditEntry) async throws {
        try await store.pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                try SQLiteAuditLog.append(audit, in: db)
                return .commit
            }
        }
    }
}

extension MamoriStore {
    /// The remediation flow's storage.
    public func remediationStore() -> SQLiteRemediationStore {
        SQLiteRemediationStore(store: self)
    }
}

/// Direct SQLite bindings for the hot inserts (no argument arrays).
enum RawBind {
    /// SQLite copies the bytes (`SQLITE_TRANSIENT`).
    static var transient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }

    static func text(_ text: String, at index: Int32, to statement: OpaquePointer) {
        var text = text
        text.withUTF8 { bytes in
            let empty: StaticString = ""
            let pointer = bytes.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(empty.utf8Start)
            sqlite3_bind_text(statement, index, pointer.assumingMemoryBound(to: CChar.self), Int32(bytes.count), transient)
        }
    }

    static func double(_ value: Double?, at index: Int32, to statement: OpaquePointer) {
        if let value { sqlite3_bind_double(statement, index, value) } else { sqlite3_bind_null(statement, index) }
    }
}
