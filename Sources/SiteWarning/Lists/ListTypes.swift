public import Addressing
public import Foundation
public import TextScanning

/// What a list designates, and so which measure acts on its entries.
///
/// - `malwareSite`: the malware-site warning (`malware-site-warning`) answers with the warning
///   server's address, for lines whose choice is on.
/// - `cnc`: the C&C DNS block (`cnc-dns-block`) answers NXDOMAIN or a sinkhole address, silently,
///   for lines that have not opted out.
/// - `allow`: names neither measure touches. An allow entry wins over every list, however
///   specific the listed name (an RPZ `rpz-passthru.` entry is an allow entry too).
public enum ListKind: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case malwareSite = "malware-site"
    case cnc
    case allow

    public var description: String { rawValue }
}

/// The text format of a list file.
public enum ListFormat: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// One name a line, `#` comments; hosts-file lines (`0.0.0.0 name …`) accepted; `*.name` for subdomains only.
    case domains
    /// An RPZ zone file (QNAME triggers only).
    case rpz
    /// One URL a line; the host is taken when the URL marks the whole host (no path, or `/`).
    case urls

    public var description: String { rawValue }
}

/// Which names an entry covers.
public enum MatchScope: UInt8, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The name itself only (an RPZ `name` trigger, a URL list's host).
    case exact = 0
    /// Names strictly below it only (an RPZ `*.name` trigger).
    case subdomains = 1
    /// The name and every name below it (a plain domain list's entry).
    case nameAndSubdomains = 2

    public var description: String {
        switch self {
        case .exact: "exact"
        case .subdomains: "subdomains"
        case .nameAndSubdomains: "name-and-subdomains"
        }
    }
}

/// What an entry asks for, as its list wrote it.
///
/// Plain domain and URL lists say only `listed`: the measure's configured answer applies. RPZ
/// entries carry their action; a `malware-site` list's RPZ actions other than PASSTHRU all mean
/// "listed" (the warning measure answers with the warning server), a `cnc` list's are obeyed.
public enum ListAction: UInt8, Sendable, Hashable, Codable, CustomStringConvertible {
    /// Listed, with no action of its own (domain and URL lists).
    case listed = 0
    /// RPZ `CNAME .`.
    case nxdomain = 1
    /// RPZ `CNAME *.`.
    case nodata = 2
    /// RPZ `CNAME rpz-passthru.` (or a CNAME to the trigger itself): allowed.
    case passthru = 3
    /// RPZ `CNAME rpz-drop.`: no answer.
    case drop = 4
    /// RPZ `CNAME rpz-tcp-only.`: a truncated answer over UDP.
    case tcpOnly = 5
    /// RPZ local data: answer with the entry's A/AAAA records.
    case localData = 6

    public var description: String {
        switch self {
        case .listed: "listed"
        case .nxdomain: "nxdomain"
        case .nodata: "nodata"
        case .passthru: "passthru"
        case .drop: "drop"
        case .tcpOnly: "tcp-only"
        case .localData: "local-data"
        }
    }
}

/// One action for every entry of a list, whatever the list says (a zone-wide policy override).
public enum ActionOverride: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case nxdomain
    case nodata
    case passthru
    case drop
    case tcpOnly = "tcp-only"
    /// Listed, with the measure's configured answer (NXDOMAIN or the sinkhole for `cnc`).
    case listed

    var action: ListAction {
        switch self {
        case .nxdomain: .nxdomain
        case .nodata: .nodata
        case .passthru: .passthru
        case .drop: .drop
        case .tcpOnly: .tcpOnly
        case .listed: .listed
        }
    }

    public var description: String { rawValue }
}

/// A list's index in a ``Blocklist`` (its load order).
public struct ListID: RawRepresentable, Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static func < (lhs: ListID, rhs: ListID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "list#\(rawValue)" }
}

/// One entry of one list in a ``Blocklist`` (valid for that snapshot only).
public struct BlocklistEntryID: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public var description: String { "entry#\(rawValue)" }
}

/// A list as loaded: its name, kind, format, file and load time.
public struct ListInfo: Sendable, Hashable, Codable {
    /// The operator's name for the list (`--list NAME`).
    public var name: String
    public var kind: ListKind
    public var format: ListFormat
    /// The file name as shown to operators (not a path).
    public var file: String
    public var loadedAt: Date

    public init(name: String, kind: ListKind, format: ListFormat, file: String, loadedAt: Date) {
        self.name = name
        self.kind = kind
        self.format = format
        self.file = file
        self.loadedAt = loadedAt
    }
}

/// An entry with its provenance, for operators and the warning page ("why was this listed?").
public struct BlocklistEntry: Sendable, Hashable {
    /// The listed name, lower case, without a trailing dot (no `*.` even for subdomain entries).
    public var name: String
    public var scope: MatchScope
    public var action: ListAction
    /// The A/AAAA records of a local-data entry (also when an ``ActionOverride`` replaced its
    /// action: what the list said); empty otherwise.
    public var localData: [IPAddress]
    public var list: ListInfo
    /// The line of the list file the entry came from.
    public var line: Int
    /// The comment on the entry's line (`# …` or `; …`), if any: the list's reason.
    public var comment: String?

    public init(
        name: String, scope: MatchScope, action: ListAction, localData: [IPAddress], list: ListInfo, line: Int, comment: String?
    ) {
        self.name = name
        self.scope = scope
        self.action = action
        self.localData = localData
        self.list = list
        self.line = line
        self.comment = comment
    }
}

/// What loading one list did: entries added, duplicates, lines skipped by reason, issues.
///
/// Skipped lines are valid lines the guard does not use (a URL with a path, a hosts-file system
/// name); issues are lines refused as `file:line: reason` (an `rpz-ip` trigger, a malformed
/// name). Neither stops the rest of the file from loading.
public struct ListLoadReport: Sendable, Hashable, Codable {
    public var list: ListInfo
    public var id: ListID
    /// Entries added.
    public var entries: Int = 0
    /// Entries already in this list (the first is kept).
    public var duplicates: Int = 0
    /// Lines skipped, by reason.
    public var skipped: [String: Int] = [:]
    /// The first ``ListLoadReport/maximumIssues`` issues.
    public var issues: [RecordIssue] = []
    /// Every issue, also those beyond the first ``ListLoadReport/maximumIssues``.
    public var issueCount = 0

    /// Issues kept in ``issues``; the rest are only counted.
    public static let maximumIssues = 1000

    public init(list: ListInfo, id: ListID) {
        self.list = list
        self.id = id
    }

    mutating func issue(line: Int, _ reason: String) {
        issueCount += 1
        if issues.count < Self.maximumIssues { issues.append(RecordIssue(file: list.file, line: line, reason: reason)) }
    }

    mutating func skip(_ reason: String) { skipped[reason, default: 0] += 1 }
}

/// A list that could not be loaded at all (not a line of it: those are ``ListLoadReport`` issues).
public enum BlocklistError: Error, Sendable, Hashable, CustomStringConvertible {
    /// More than 65,535 lists in one snapshot.
    case tooManyLists
    /// More entries than a snapshot indexes (2^32 − 2), or a name arena over 4 GiB.
    case tooManyEntries(file: String)

    public var description: String {
        switch self {
        case .tooManyLists: "too many lists in one blocklist (at most 65535)"
        case .tooManyEntries(let file): "\(file): too many entries for one blocklist"
        }
    }
}
