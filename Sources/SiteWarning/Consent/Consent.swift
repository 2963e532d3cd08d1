public import Foundation
public import Secrecy

/// A subscriber line, as its sessions name it: the RADIUS `User-Name` of the line's sessions.
///
/// The guard uses it only to find the line's choice. It is not the subscriber's name or
/// contract, and it goes into no log, metric or counter: its description, debug description and
/// mirror are redacted, so printing a value that holds one (a ``ConsentChange``) shows no id.
/// Read ``rawValue`` where the id itself is needed (a store, the audit pseudonym).
public struct LineID: RawRepresentable, Sendable, Hashable, Comparable, Codable, CustomStringConvertible,
    CustomDebugStringConvertible, CustomReflectable
{
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public static func < (lhs: LineID, rhs: LineID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "LineID(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:], displayStyle: .struct) }
}

/// A measure a line can turn on or off: the two DNS-guard countermeasures.
public enum ConsentMeasure: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// The malware-site warning: consent under (ア)(イ)(ウ) or opt-in, as the ISP configures.
    case malwareSiteWarning = "malware-site-warning"
    /// The C&C DNS block: consent in the terms, on by default, opt-out per line.
    case cncDNSBlock = "cnc-dns-block"

    /// The declared countermeasure.
    public var countermeasure: CountermeasureID {
        switch self {
        case .malwareSiteWarning: .malwareSiteWarning
        case .cncDNSBlock: .cncDNSBlock
        }
    }

    /// The list kind the measure acts on.
    public var listKind: ListKind {
        switch self {
        case .malwareSiteWarning: .malwareSite
        case .cncDNSBlock: .cnc
        }
    }

    public var description: String { rawValue }
}

/// A line's choice for a measure.
public enum ConsentChoice: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case on
    case off

    public var description: String { rawValue }
}

/// Where a choice was made.
public enum ConsentChannel: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// The warning page's link (a signed token bound to the line).
    case page
    /// The ISP's member site, through the authenticated JSON API.
    case api
    /// An operator, with `mamori consent set`.
    case cli
    /// The terms' default, recorded when a line is first seen or the terms change.
    case termsDefault = "terms-default"

    public var description: String { rawValue }
}

/// One change of one line's choice for one measure: the history the declarations keep.
public struct ConsentChange: Sendable, Hashable, Codable {
    public var line: LineID
    public var measure: ConsentMeasure
    public var choice: ConsentChoice
    public var time: Date
    public var channel: ConsentChannel
    /// The version of the terms in force when the choice was made.
    public var termsVersion: String

    public init(line: LineID, measure: ConsentMeasure, choice: ConsentChoice, time: Date, channel: ConsentChannel, termsVersion: String) {
        self.line = line
        self.measure = measure
        self.choice = choice
        self.time = time
        self.channel = channel
        self.termsVersion = termsVersion
    }
}

/// A follower's place in the stream of changes (opaque; start at ``ConsentCursor/start``).
public struct ConsentCursor: RawRepresentable, Sendable, Hashable, Comparable, Codable {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    /// Before the first change.
    public static let start = ConsentCursor(rawValue: 0)
    public static func < (lhs: ConsentCursor, rhs: ConsentCursor) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Changes after a cursor, in order, and the cursor to ask from next.
public struct ConsentChanges: Sendable, Hashable {
    public var changes: [ConsentChange]
    public var cursor: ConsentCursor

    public init(changes: [ConsentChange], cursor: ConsentCursor) {
        self.changes = changes
        self.cursor = cursor
    }
}

/// A change the registry refused.
public enum ConsentError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The line id is empty or over 253 bytes.
    case invalidLine
    /// The terms version is empty.
    case missingTermsVersion

    public var description: String {
        switch self {
        case .invalidLine: "consent change: the line id is empty or over 253 bytes"
        case .missingTermsVersion: "consent change: the terms version is missing"
        }
    }
}

/// Where lines' choices are kept: the current choice per line and measure, and the full history.
///
/// Stores implement it (SQLite, PostgreSQL); every running guard follows it with
/// ``changes(since:limit:)`` and applies the changes to its ``ConsentSnapshot``, so that a
/// change made by any process reaches every guard. ``InMemoryConsentRegistry`` is the one for
/// unit tests.
public protocol ConsentRegistry: Sendable {
    /// The line's current choice for `measure`, or nil when it never chose (the default applies).
    func choice(line: LineID, measure: ConsentMeasure) async throws -> ConsentChoice?
    /// Records a change; returns it as stored.
    @discardableResult func set(_ change: ConsentChange) async throws -> ConsentChange
    /// Every change of the line, oldest first.
    func history(line: LineID) async throws -> [ConsentChange]
    /// The changes after `cursor`, oldest first, at most `limit`.
    func changes(since cursor: ConsentCursor, limit: Int) async throws -> ConsentChanges
}

extension ConsentChange {
    /// Checks what every registry requires of a change.
    public func validate() throws(ConsentError) {
        guard !line.rawValue.isEmpty, line.rawValue.utf8.count <= 253 else { throw .invalidLine }
        guard !termsVersion.isEmpty else { throw .missingTermsVersion }
    }
}

extension ConsentRegistry {
    /// The changes after `cursor`, oldest first, at most 1000 (ask again from the returned cursor).
    public func changes(since cursor: ConsentCursor) async throws -> ConsentChanges {
        try await changes(since: cursor, limit: 1000)
    }
}

extension ConsentChange {
    /// The audit entry of this change: action `consent-change` under the measure's
    /// countermeasure, the line as its keyed pseudonym (never the line id itself), and the
    /// measure, the choice, the channel and the terms version as detail.
    ///
    /// ```swift
    /// try await registry.set(change)
    /// _ = try await auditLog.append(change.auditEntry(actor: "service:portal", pseudonymizer: pseudonymizer))
    /// ```
    public func auditEntry(actor: String, pseudonymizer: Pseudonymizer) -> AuditEntry {
        AuditEntry(
            time: time, countermeasure: measure.countermeasure, action: AuditEntry.Action.consentChange, actor: actor,
            subject: pseudonymizer.pseudonym(subscriber: line.rawValue),
            fields: [
                AuditField("channel", channel.rawValue), AuditField("choice", choice.rawValue), AuditField("measure", measure.rawValue),
                AuditField("terms-version", termsVersion),
            ])
    }
}
