public import Foundation

/// One audited act: an identification, an action (warning shown, notice sent, id suspended,
/// address blocked), a disclosure, a purge, a page view.
///
/// **Nothing in an entry may identify a subscriber or reveal an address.** `subject` is a keyed
/// pseudonym (``Pseudonymizer``) or a row reference such as `aaa_event#123`; `detail` holds only
/// pseudonymised or non-secret values (counts, data classes, template names). The audit log is
/// kept longer than the data it talks about and is shown to the legal team; a raw address or
/// subscriber id in it would itself be a leak.
///
/// `time` is kept in whole milliseconds (rounded when the entry is made), because the audit
/// hash covers it and stores must give it back exactly: persist ``millisecondsSince1970``.
///
/// ```swift
/// let entry = AuditEntry(countermeasure: .infectedHostNotification, action: AuditEntry.Action.identification,
///                        actor: "service:attribution", subject: pseudonymizer.pseudonym(subscriber: id),
///                        detail: ["sighting": "sighting#812"])
/// try log.append(entry)
/// ```
public struct AuditEntry: Sendable, Hashable, Codable {
    /// When the act happened, in whole milliseconds.
    public let time: Date
    /// The declared countermeasure the act served, or `nil` for acts outside any (e.g. a purge
    /// of several classes, an alert's start).
    public let countermeasure: CountermeasureID?
    /// What happened, e.g. `identification`, `notice-sent`, `disclosure`, `purge`, `page-view`
    /// (see ``Action``).
    public let action: String
    /// Who or what did it, e.g. `cli`, `service:portal`, `operator:<pseudonym>`.
    public let actor: String
    /// What it was about: a keyed pseudonym or a row reference, never a raw address or subscriber id.
    public let subject: String
    /// Further facts, pseudonymised or non-secret only, in ascending order of their keys' UTF-8
    /// bytes (the order the hash covers them in), each key once.
    public let fields: [AuditField]

    /// Further facts, pseudonymised or non-secret only (``fields`` as a dictionary).
    public var detail: [String: String] {
        var out: [String: String] = [:]
        out.reserveCapacity(fields.count)
        for field in fields { out[field.key] = field.value }
        return out
    }

    /// An entry; `time` is rounded to the nearest millisecond.
    public init(
        time: Date = Date(), countermeasure: CountermeasureID?, action: String, actor: String, subject: String,
        detail: [String: String] = [:]
    ) {
        self.init(
            time: time, countermeasure: countermeasure, action: action, actor: actor, subject: subject,
            fields: detail.map { AuditField($0.key, $0.value) })
    }

    /// An entry whose detail is given as fields (no dictionary is built: the cheap form for
    /// records written once per identification). Fields already in ascending key order (by
    /// UTF-8 bytes) are kept as they are; otherwise they are sorted. A key given twice keeps its
    /// last value, as a dictionary would.
    public init(
        time: Date = Date(), countermeasure: CountermeasureID?, action: String, actor: String, subject: String,
        fields: [AuditField]
    ) {
        self.time = Date(timeIntervalSince1970: Double(AuditEntry.milliseconds(time)) / 1000)
        self.countermeasure = countermeasure
        self.action = action
        self.actor = actor
        self.subject = subject
        self.fields = AuditField.normalized(fields)
    }

    /// The same entry with one more detail field, unless the detail already has `key`.
    public func adding(_ key: String, _ value: String) -> AuditEntry {
        var index = fields.endIndex
        for (i, field) in fields.enumerated() {
            if field.key == key { return self }
            if !field.key.utf8.lexicographicallyPrecedes(key.utf8) {
                index = i
                break
            }
        }
        var copy = fields
        copy.insert(AuditField(key, value), at: index)
        return AuditEntry(
            millisecondsSince1970: millisecondsSince1970, countermeasure: countermeasure, action: action, actor: actor,
            subject: subject, fields: copy)
    }

    /// An entry whose time is given in milliseconds since 1970 (for stores reading it back).
    public init(
        millisecondsSince1970: Int64, countermeasure: CountermeasureID?, action: String, actor: String, subject: String,
        detail: [String: String] = [:]
    ) {
        self.init(
            time: Date(timeIntervalSince1970: Double(millisecondsSince1970) / 1000), countermeasure: countermeasure,
            action: action, actor: actor, subject: subject, detail: detail)
    }

    /// An entry whose time is given in milliseconds since 1970 and whose detail is given as fields.
    public init(
        millisecondsSince1970: Int64, countermeasure: CountermeasureID?, action: String, actor: String, subject: String,
        fields: [AuditField]
    ) {
        self.init(
            time: Date(timeIntervalSince1970: Double(millisecondsSince1970) / 1000), countermeasure: countermeasure,
            action: action, actor: actor, subject: subject, fields: fields)
    }

    /// `time` as whole milliseconds since 1970-01-01T00:00:00Z: the form the hash covers and the
    /// form a store should persist.
    public var millisecondsSince1970: Int64 { AuditEntry.milliseconds(time) }

    static func milliseconds(_ time: Date) -> Int64 {
        Int64((time.timeIntervalSince1970 * 1000).rounded())
    }

    private enum CodingKeys: String, CodingKey { case time, countermeasure, action, actor, subject, detail }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            time: try c.decode(Date.self, forKey: .time),
            countermeasure: try c.decodeIfPresent(CountermeasureID.self, forKey: .countermeasure),
            action: try c.decode(String.self, forKey: .action), actor: try c.decode(String.self, forKey: .actor),
            subject: try c.decode(String.self, forKey: .subject),
            detail: try c.decodeIfPresent([String: String].self, forKey: .detail) ?? [:])
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(time, forKey: .time)
        try c.encodeIfPresent(countermeasure, forKey: .countermeasure)
        try c.encode(action, forKey: .action)
        try c.encode(actor, forKey: .actor)
        try c.encode(subject, forKey: .subject)
        try c.encode(detail, forKey: .detail)
    }

    /// The actions Mamori's modules record, so that they spell them alike.
    public enum Action {
        /// An address and time were matched to a subscriber.
        public static let identification = "identification"
        /// A notice was sent to a subscriber or site owner.
        public static let noticeSent = "notice-sent"
        /// Data was shown or handed to a person or system (including a pseudonym reveal).
        public static let disclosure = "disclosure"
        /// Data past its retention was removed (detail: data class and count, never content).
        public static let purge = "purge"
        /// A subscriber or operator page that shows secret data was viewed.
        public static let pageView = "page-view"
        /// A warning page was shown.
        public static let warningShown = "warning-shown"
        /// An AUTH id was suspended.
        public static let suspension = "suspension"
        /// An address was blocked.
        public static let block = "block"
        /// A consent choice changed.
        public static let consentChange = "consent-change"
        /// An alert window opened.
        public static let alertStart = "alert-start"
        /// An alert window closed.
        public static let alertEnd = "alert-end"
    }
}

/// One detail field of an ``AuditEntry``: a key and its value (pseudonymised or non-secret).
public struct AuditField: Sendable, Hashable {
    public let key: String
    public let value: String

    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }

    /// `fields` in ascending order of their keys' UTF-8 bytes, each key once (the last value wins).
    static func normalized(_ fields: [AuditField]) -> [AuditField] {
        var ordered = true
        var i = 1
        while i < fields.count {
            if !fields[i - 1].key.utf8.lexicographicallyPrecedes(fields[i].key.utf8) {
                ordered = false
                break
            }
            i += 1
        }
        if ordered { return fields }
        var out: [AuditField] = []
        out.reserveCapacity(fields.count)
        for (offset, field) in fields.enumerated().sorted(by: {
            $0.element.key == $1.element.key ? $0.offset < $1.offset : $0.element.key.utf8.lexicographicallyPrecedes($1.element.key.utf8)
        }) {
            _ = offset
            if let last = out.last, last.key == field.key {
                out[out.count - 1] = field
            } else {
                out.append(field)
            }
        }
        return out
    }
}

/// An ``AuditEntry`` sealed into the hash chain.
///
/// Stores persist the four fields as they are and give them back unchanged;
/// ``AuditChain/verify(_:)`` recomputes ``hash`` from the other three.
public struct AuditRecord: Sendable, Hashable {
    /// The position in the log, 1-based and contiguous.
    public let sequence: Int64
    /// The audited act.
    public let entry: AuditEntry
    /// The previous record's ``hash``; 32 zero bytes for record 1.
    public let previousHash: [UInt8]
    /// SHA-256 of the canonical encoding of (`sequence`, `previousHash`, `entry`) (see ``AuditChain``).
    public let hash: [UInt8]

    /// A record as stored; nothing is checked here (``AuditChain/verify(_:)`` does that).
    public init(sequence: Int64, entry: AuditEntry, previousHash: [UInt8], hash: [UInt8]) {
        self.sequence = sequence
        self.entry = entry
        self.previousHash = previousHash
        self.hash = hash
    }
}
