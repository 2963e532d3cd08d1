import Foundation
import Logging
import PostgresNIO
import Secrecy
public import SiteWarning
import Storage

/// The DNS guard's consent registry and lists in PostgreSQL.
///
/// Each change is one transaction with its audit record and a `NOTIFY mamori_changes`
/// (payload `consent` or `lists`), delivered to every listening instance when it commits
/// (``PostgresStore/followChanges(poll:_:)``).
public struct PostgresSiteWarningStore: ConsentRegistry, BlocklistStore {
    let store: PostgresStore

    /// The channel every instance listens on.
    static let channel = "mamori_changes"

    /// The newest revision of each name, unless it is a removal, oldest first (as SQLite's
    /// `SQLiteSiteWarningStore.current(columns:)`).
    static let currentRevisions = """
        FROM site_list_revision r
        WHERE r.id = (SELECT MAX(id) FROM site_list_revision WHERE name = r.name) AND r.bytes IS NOT NULL
        ORDER BY r.id
        """

    // MARK: consent

    public func choice(line: LineID, measure: ConsentMeasure) async throws -> ConsentChoice? {
        try await store.read("read a consent choice") { connection in
            var choice: ConsentChoice?
            for try await text in try await connection.query(
                """
                SELECT choice FROM consent_change WHERE line = \(line.rawValue) AND measure = \(measure.rawValue)
                ORDER BY id DESC LIMIT 1
                """, logger: store.logger
            ).decode(String.self) {
                choice = ConsentChoice(rawValue: text)
            }
            return choice
        }
    }

    @discardableResult
    public func set(_ change: ConsentChange) async throws -> ConsentChange {
        try change.validate()
        let audit = change.audit(try store.pseudonymizer())
        return try await store.transaction("record a consent change", lockingAudit: true) { connection in
            try await connection.query(
                """
                INSERT INTO consent_change(line, measure, choice, time, channel, terms_version)
                VALUES (\(change.line.rawValue), \(change.measure.rawValue), \(change.choice.rawValue),
                        \(change.time.timeIntervalSince1970), \(change.channel.rawValue), \(change.termsVersion))
                """, logger: store.logger)
            _ = try await store.appendAudit([audit], on: connection)
            try await connection.query("SELECT pg_notify(\(Self.channel), 'consent')", logger: store.logger)
            return change
        }
    }

    public func history(line: LineID) async throws -> [ConsentChange] {
        try await store.read("read a consent history") { connection in
            try await Self.changes(
                try await connection.query(
                    """
                    SELECT id, line, measure, choice, time, channel, terms_version FROM consent_change
                    WHERE line = \(line.rawValue) ORDER BY id
                    """, logger: store.logger), place: store.place
            ).changes
        }
    }

    public func changes(since cursor: ConsentCursor, limit: Int) async throws -> ConsentChanges {
        try await store.read("read consent changes") { connection in
            let read = try await Self.changes(
                try await connection.query(
                    """
                    SELECT id, line, measure, choice, time, channel, terms_version FROM consent_change
                    WHERE id > \(cursor.rawValue) ORDER BY id LIMIT \(max(1, limit))
                    """, logger: store.logger), place: store.place)
            return ConsentChanges(changes: read.changes, cursor: read.last.map(ConsentCursor.init(rawValue:)) ?? cursor)
        }
    }

    static func changes(_ rows: PostgresRowSequence, place: String) async throws -> (changes: [ConsentChange], last: Int64?) {
        var out: [ConsentChange] = []
        var last: Int64?
        for try await (id, line, measure, choice, time, channel, terms) in rows.decode(
            (Int64, String, String, String, Double, String, String).self)
        {
            guard let m = ConsentMeasure(rawValue: measure), let c = ConsentChoice(rawValue: choice),
                let ch = ConsentChannel(rawValue: channel)
            else {
                throw PostgresStoreError.corrupt(place: place, table: "consent_change", row: id, reason: "unknown measure, choice or channel")
            }
            out.append(
                ConsentChange(
                    line: LineID(rawValue: line), measure: m, choice: c, time: Date(timeIntervalSince1970: time), channel: ch,
                    termsVersion: terms))
            last = id
        }
        return (out, last)
    }

    // MARK: lists

    @discardableResult
    public func importList(_ source: ListSource) async throws -> ListSource {
        try source.validate()
        return try await store.transaction("import a list", lockingAudit: true) { connection in
            var stored = source
            for try await id in try await connection.query(
                """
                INSERT INTO site_list_revision(name, kind, format, file, sha256, bytes, imported_at, actor)
                VALUES (\(source.name), \(source.kind.rawValue), \(source.format.rawValue), \(source.file), \(source.sha256),
                        \(ByteBuffer(bytes: source.bytes)), \(source.importedAt.timeIntervalSince1970), \(source.actor))
                RETURNING id
                """, logger: store.logger
            ).decode(Int64.self) {
                stored.revision = id
            }
            _ = try await store.appendAudit([source.importAudit()], on: connection)
            try await connection.query("SELECT pg_notify(\(Self.channel), 'lists')", logger: store.logger)
            return stored
        }
    }

    @discardableResult
    public func removeList(named name: String, actor: String) async throws -> Bool {
        try await store.transaction("remove a list", lockingAudit: true) { connection in
            var current: (kind: String, format: String, file: String)?
            for try await (kind, format, file, gone) in try await connection.query(
                """
                SELECT kind, format, file, bytes IS NULL FROM site_list_revision WHERE name = \(name)
                ORDER BY id DESC LIMIT 1
                """, logger: store.logger
            ).decode((String, String, String, Bool).self) where !gone {
                current = (kind, format, file)
            }
            guard let current else { return false }
            try await connection.query(
                """
                INSERT INTO site_list_revision(name, kind, format, file, sha256, bytes, imported_at, actor)
                VALUES (\(name), \(current.kind), \(current.format), \(current.file), '', NULL, \(Date().timeIntervalSince1970), \(actor))
                """, logger: store.logger)
            let kind = ListKind(rawValue: current.kind) ?? .malwareSite
            _ = try await store.appendAudit(
                [AuditEntry(countermeasure: kind.countermeasure, action: "list-removed", actor: actor, subject: "list:\(name)")],
                on: connection)
            try await connection.query("SELECT pg_notify(\(Self.channel), 'lists')", logger: store.logger)
            return true
        }
    }

    public func currentLists() async throws -> [ListSource] {
        let place = store.place
        return try await store.read("read the lists") { connection in
            var lists: [ListSource] = []
            for try await (id, name, kind, format, file, sha256, importedAt, actor, bytes) in try await connection.query(
                """
                SELECT r.id, r.name, r.kind, r.format, r.file, r.sha256, r.imported_at, r.actor, r.bytes
                \(unescaped: Self.currentRevisions)
                """, logger: store.logger
            ).decode((Int64, String, String, String, String, String, Double, String, ByteBuffer).self) {
                guard let k = ListKind(rawValue: kind), let f = ListFormat(rawValue: format) else {
                    throw PostgresStoreError.corrupt(place: place, table: "site_list_revision", row: id, reason: "unknown kind or format")
                }
                let list = ListSource(
                    name: name, kind: k, format: f, file: file, bytes: Array(bytes.readableBytesView),
                    importedAt: Date(timeIntervalSince1970: importedAt), actor: actor, revision: id)
                guard list.sha256 == sha256 else {
                    throw PostgresStoreError.corrupt(
                        place: place, table: "site_list_revision", row: id, reason: "the bytes do not match their SHA-256")
                }
                lists.append(list)
            }
            return lists
        }
    }

    public func listSummaries() async throws -> [ListSummary] {
        let place = store.place
        return try await store.read("read the lists") { connection in
            var lists: [ListSummary] = []
            for try await (id, name, kind, format, file, sha256, importedAt, actor, size) in try await connection.query(
                """
                SELECT r.id, r.name, r.kind, r.format, r.file, r.sha256, r.imported_at, r.actor, length(r.bytes)
                \(unescaped: Self.currentRevisions)
                """, logger: store.logger
            ).decode((Int64, String, String, String, String, String, Double, String, Int32).self) {
                guard let k = ListKind(rawValue: kind), let f = ListFormat(rawValue: format) else {
                    throw PostgresStoreError.corrupt(place: place, table: "site_list_revision", row: id, reason: "unknown kind or format")
                }
                lists.append(
                    ListSummary(
                        name: name, kind: k, format: f, file: file, sha256: sha256, bytes: Int(size),
                        importedAt: Date(timeIntervalSince1970: importedAt), actor: actor, revision: id))
            }
            return lists
        }
    }

    public func listsVersion() async throws -> Int64 {
        try await store.read("read the lists' version") { connection in
            var version: Int64 = 0
            for try await v in try await connection.query("SELECT COALESCE(MAX(id), 0) FROM site_list_revision", logger: store.logger)
                .decode(Int64.self)
            {
                version = v
            }
            return version
        }
    }
}

extension PostgresStore {
    /// The guard's consent registry and lists.
    public var siteWarning: PostgresSiteWarningStore { PostgresSiteWarningStore(store: self) }

    /// Calls `onChange` (one call at a time) whenever consent or lists may have changed: on each
    /// `NOTIFY mamori_changes` (sent by the writing transaction, in any process, as it commits),
    /// once when listening starts, and at least every `poll` besides, in case a notification
    /// was lost with a connection. Listens on one pooled connection, reconnecting after a
    /// failure. Returns when cancelled.
    public func followChanges(poll: Duration, _ onChange: @escaping @Sendable () async throws -> Void) async throws {
        let (signals, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let logger = self.logger
        let client = self.client
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    do {
                        try await client.withConnection { connection in
                            try await connection.listen(on: PostgresSiteWarningStore.channel) { notifications in
                                signal.yield()
                                for try await _ in notifications { signal.yield() }
                            }
                        }
                    } catch {
                        if Task.isCancelled { break }
                        logger.warning("change notifications lost; listening again", metadata: ["error": "\(error)"])
                        signal.yield()
                        try? await Task.sleep(for: .seconds(1))
                    }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: poll)
                    signal.yield()
                }
            }
            group.addTask {
                for await _ in signals { try await onChange() }
            }
            defer {
                signal.finish()
                group.cancelAll()
            }
            try await group.next()
        }
    }
}
