import Foundation
import GRDB
import Secrecy
public import SiteWarning
import Storage

/// The DNS guard's consent registry and lists in the SQLite store.
///
/// Each change is one IMMEDIATE transaction with its audit record. Other processes on the same
/// file see it at their next poll (``MamoriStore/changeSignals()``).
public struct SQLiteSiteWarningStore: ConsentRegistry, BlocklistStore {
    let store: MamoriStore

    // MARK: consent

    public func choice(line: LineID, measure: ConsentMeasure) async throws -> ConsentChoice? {
        try await store.pool.read { db in
            let text = try String.fetchOne(
                db, sql: "SELECT choice FROM consent_change WHERE line = ? AND measure = ? ORDER BY id DESC LIMIT 1",
                arguments: [line.rawValue, measure.rawValue])
            return text.flatMap(ConsentChoice.init(rawValue:))
        }
    }

    @discardableResult
    public func set(_ change: ConsentChange) async throws -> ConsentChange {
        try change.validate()
        let audit = change.audit(try store.pseudonymizer())
        return try await store.pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                try db.execute(
                    sql: """
                        INSERT INTO consent_change(line, measure, choice, time, channel, terms_version)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        change.line.rawValue, change.measure.rawValue, change.choice.rawValue, change.time.timeIntervalSince1970,
                        change.channel.rawValue, change.termsVersion,
                    ])
                try SQLiteAuditLog.append(audit, in: db)
                return .commit
            }
            return change
        }
    }

    public func history(line: LineID) async throws -> [ConsentChange] {
        try await store.pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT id, line, measure, choice, time, channel, terms_version FROM consent_change WHERE line = ? ORDER BY id",
                arguments: [line.rawValue]
            ).map { try Self.change($0, path: store.path) }
        }
    }

    public func changes(since cursor: ConsentCursor, limit: Int) async throws -> ConsentChanges {
        try await store.pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, line, measure, choice, time, channel, terms_version FROM consent_change
                    WHERE id > ? ORDER BY id LIMIT ?
                    """,
                arguments: [cursor.rawValue, max(1, limit)])
            let last: Int64? = rows.last?["id"]
            return ConsentChanges(
                changes: try rows.map { try Self.change($0, path: store.path) }, cursor: last.map(ConsentCursor.init(rawValue:)) ?? cursor)
        }
    }

    static func change(_ row: Row, path: String) throws -> ConsentChange {
        let id: Int64 = row["id"]
        guard let measure = ConsentMeasure(rawValue: row["measure"]), let choice = ConsentChoice(rawValue: row["choice"]),
            let channel = ConsentChannel(rawValue: row["channel"])
        else { throw StoreError.corrupt(path: path, table: "consent_change", row: id, reason: "unknown measure, choice or channel") }
        return ConsentChange(
            line: LineID(rawValue: row["line"]), measure: measure, choice: choice, time: Date(timeIntervalSince1970: row["time"]),
            channel: channel, termsVersion: row["terms_version"])
    }

    // MARK: lists

    @discardableResult
    public func importList(_ source: ListSource) async throws -> ListSource {
        try source.validate()
        return try await store.pool.writeWithoutTransaction { db in
            var stored = source
            try db.inTransaction(.immediate) {
                try db.execute(
                    sql: """
                        INSERT INTO site_list_revision(name, kind, format, file, sha256, bytes, imported_at, actor)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        source.name, source.kind.rawValue, source.format.rawValue, source.file, source.sha256, Data(source.bytes),
                        source.importedAt.timeIntervalSince1970, source.actor,
                    ])
                stored.revision = db.lastInsertedRowID
                try SQLiteAuditLog.append(source.importAudit(), in: db)
                return .commit
            }
            return stored
        }
    }

    @discardableResult
    public func removeList(named name: String, actor: String) async throws -> Bool {
        try await store.pool.writeWithoutTransaction { db in
            var removed = false
            try db.inTransaction(.immediate) {
                guard
                    let row = try Row.fetchOne(
                        db, sql: "SELECT kind, format, file, bytes IS NULL AS gone FROM site_list_revision WHERE name = ? ORDER BY id DESC LIMIT 1",
                        arguments: [name]), !(row["gone"] as Bool)
                else { return .rollback }
                try db.execute(
                    sql: """
                        INSERT INTO site_list_revision(name, kind, format, file, sha256, bytes, imported_at, actor)
                        VALUES (?, ?, ?, ?, '', NULL, ?, ?)
                        """,
                    arguments: [name, row["kind"] as String, row["format"] as String, row["file"] as String, Date().timeIntervalSince1970, actor])
                let kind = ListKind(rawValue: row["kind"]) ?? .malwareSite
                try SQLiteAuditLog.append(
                    AuditEntry(countermeasure: kind.countermeasure, action: "list-removed", actor: actor, subject: "list:\(name)"), in: db)
                removed = true
                return .commit
            }
            return removed
        }
    }

    public func currentLists() async throws -> [ListSource] {
        try await store.pool.read { db in
            try Row.fetchAll(db, sql: Self.current(columns: "r.bytes")).map { row in
                let summary = try Self.summary(row, path: store.path)
                let bytes: Data = row["bytes"]
                let list = ListSource(
                    name: summary.name, kind: summary.kind, format: summary.format, file: summary.file, bytes: [UInt8](bytes),
                    importedAt: summary.importedAt, actor: summary.actor, revision: summary.revision)
                guard list.sha256 == summary.sha256 else {
                    throw StoreError.corrupt(
                        path: store.path, table: "site_list_revision", row: summary.revision, reason: "the bytes do not match their SHA-256")
                }
                return list
            }
        }
    }

    public func listSummaries() async throws -> [ListSummary] {
        try await store.pool.read { db in
            try Row.fetchAll(db, sql: Self.current(columns: "length(r.bytes) AS size")).map { try Self.summary($0, path: store.path) }
        }
    }

    public func listsVersion() async throws -> Int64 {
        try await store.pool.read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM site_list_revision") ?? 0 }
    }

    /// The newest revision of each name, unless it is a removal, oldest first.
    static func current(columns: String) -> String {
        """
        SELECT r.id, r.name, r.kind, r.format, r.file, r.sha256, r.imported_at, r.actor, \(columns)
        FROM site_list_revision r
        WHERE r.id = (SELECT MAX(id) FROM site_list_revision WHERE name = r.name) AND r.bytes IS NOT NULL
        ORDER BY r.id
        """
    }

    static func summary(_ row: Row, path: String) throws -> ListSummary {
        let id: Int64 = row["id"]
        guard let kind = ListKind(rawValue: row["kind"]), let format = ListFormat(rawValue: row["format"]) else {
            throw StoreError.corrupt(path: path, table: "site_list_revision", row: id, reason: "unknown kind or format")
        }
        return ListSummary(
            name: row["name"], kind: kind, format: format, file: row["file"], sha256: row["sha256"], bytes: row["size"] ?? 0,
            importedAt: Date(timeIntervalSince1970: row["imported_at"]), actor: row["actor"], revision: id)
    }
}

extension MamoriStore {
    /// The guard's consent registry and lists.
    public var siteWarning: SQLiteSiteWarningStore { SQLiteSiteWarningStore(store: self) }
}
