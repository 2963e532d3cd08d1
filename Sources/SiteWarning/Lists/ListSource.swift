public import Foundation
public import Secrecy

/// One list as imported by an operator: the file's bytes as given, and what it is.
///
/// Stores keep every import as a revision (``BlocklistStore``); every running guard compiles
/// the current revisions into its ``Blocklist`` and swaps it in when the store's
/// ``BlocklistStore/listsVersion()`` moves, so an import reaches every instance without a
/// restart. The bytes are kept as given so that a later Mamori parses them again the same way.
public struct ListSource: Sendable, Hashable {
    /// The operator's name for the list (`--list NAME`), unique among current lists.
    public var name: String
    public var kind: ListKind
    public var format: ListFormat
    /// The file name as shown in issues and to operators (not a path).
    public var file: String
    /// The file's bytes.
    public var bytes: [UInt8]
    /// Lower-case hex SHA-256 of ``bytes``.
    public var sha256: String
    public var importedAt: Date
    /// Who imported it (`cli`, `api`, …).
    public var actor: String
    /// The store's revision number (0 until stored); higher is newer, across all lists.
    public var revision: Int64

    public init(
        name: String, kind: ListKind, format: ListFormat, file: String, bytes: [UInt8], importedAt: Date = Date(), actor: String,
        revision: Int64 = 0
    ) {
        self.name = name
        self.kind = kind
        self.format = format
        self.file = file
        self.bytes = bytes
        self.sha256 = Hex.encode(Digest.sha256(bytes))
        self.importedAt = importedAt
        self.actor = actor
        self.revision = revision
    }

    /// Checks the name: 1 to 64 bytes of letters, digits, `-`, `_`, `.`.
    public func validate() throws(ListSourceError) {
        let ok =
            !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F || b == 0x2E
            }
        guard ok else { throw .invalidName(name) }
    }
}

/// A list import the store refused.
public enum ListSourceError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidName(String)

    public var description: String {
        switch self {
        case .invalidName(let name): "list name \"\(name)\": use 1 to 64 letters, digits, '-', '_' or '.'"
        }
    }
}

/// A current list without its bytes, for `mamori lists show`.
public struct ListSummary: Sendable, Hashable {
    public var name: String
    public var kind: ListKind
    public var format: ListFormat
    public var file: String
    public var sha256: String
    public var bytes: Int
    public var importedAt: Date
    public var actor: String
    public var revision: Int64

    public init(_ source: ListSource) {
        name = source.name
        kind = source.kind
        format = source.format
        file = source.file
        sha256 = source.sha256
        bytes = source.bytes.count
        importedAt = source.importedAt
        actor = source.actor
        revision = source.revision
    }

    public init(
        name: String, kind: ListKind, format: ListFormat, file: String, sha256: String, bytes: Int, importedAt: Date, actor: String,
        revision: Int64
    ) {
        self.name = name
        self.kind = kind
        self.format = format
        self.file = file
        self.sha256 = sha256
        self.bytes = bytes
        self.importedAt = importedAt
        self.actor = actor
        self.revision = revision
    }
}

/// Where the guard's lists are kept: each import a revision, the newest revision per name current.
///
/// Stores implement it (SQLite, PostgreSQL) and audit every import and removal in the same
/// transaction.
public protocol BlocklistStore: Sendable {
    /// Stores `source` as its name's current revision; returns it with its revision number.
    @discardableResult func importList(_ source: ListSource) async throws -> ListSource
    /// Removes the list named `name` (a revision that says so); false when there is none.
    @discardableResult func removeList(named name: String, actor: String) async throws -> Bool
    /// The current lists, with their bytes, oldest import first.
    func currentLists() async throws -> [ListSource]
    /// The current lists without their bytes.
    func listSummaries() async throws -> [ListSummary]
    /// The newest revision number (0 when nothing was ever imported): it moves on every import
    /// and removal, by any process.
    func listsVersion() async throws -> Int64
}

extension BlocklistBuilder {
    /// Loads a stored list (its bytes parsed as the file they were).
    @discardableResult
    public mutating func load(_ source: ListSource) throws -> ListLoadReport {
        try load(
            text: String(decoding: source.bytes, as: UTF8.self), file: source.file, list: source.name, kind: source.kind,
            format: source.format, at: source.importedAt)
    }
}

extension ListSource {
    /// The audit record of this import.
    public func importAudit(entries: Int? = nil) -> AuditEntry {
        var detail = ["list": name, "kind": kind.rawValue, "format": format.rawValue, "sha256": sha256, "bytes": "\(bytes.count)"]
        if let entries { detail["entries"] = "\(entries)" }
        return AuditEntry(
            time: importedAt, countermeasure: kind.countermeasure, action: "list-imported", actor: actor, subject: "list:\(name)",
            detail: detail)
    }
}

extension ListKind {
    /// The measure a list of this kind serves (an allow list serves both; recorded under the warning).
    public var countermeasure: CountermeasureID {
        switch self {
        case .cnc: .cncDNSBlock
        case .malwareSite, .allow: .malwareSiteWarning
        }
    }
}
