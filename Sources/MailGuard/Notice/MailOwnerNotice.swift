public import Foundation
public import Secrecy

/// Where the owner of a suspended SMTP AUTH ID is written to: a template over the ID.
///
/// At most ISPs the AUTH ID is the mail address itself (`{login}`); where it is a bare user
/// name, give the domain (`{login}@example.jp`). `{local}` is the part of the ID before its
/// last `@` (the whole ID when there is none).
///
/// ```swift
/// let owner = try MailOwnerAddress("{local}@example.jp")
/// owner.address(for: "alice@old.example.jp")  // "alice@example.jp"
/// ```
public struct MailOwnerAddress: Sendable, Hashable, CustomStringConvertible {
    public let template: String

    /// `{login}`: the AUTH ID is the owner's address (the default).
    public static let login = MailOwnerAddress(checked: "{login}")

    private init(checked template: String) { self.template = template }

    /// Checks the template: it must use `{login}` or `{local}` and nothing else in braces.
    public init(_ template: String) throws(MailNoticeError) {
        guard template.contains("{login}") || template.contains("{local}") else { throw .badOwnerAddress(template) }
        let rest = template.replacingOccurrences(of: "{login}", with: "").replacingOccurrences(of: "{local}", with: "")
        guard !rest.contains("{"), !rest.contains("}") else { throw .badOwnerAddress(template) }
        self.template = template
    }

    /// The owner's address for `login`, or nil when the result is not a mail address.
    public func address(for login: String) -> String? {
        let local = login.lastIndex(of: "@").map { String(login[..<$0]) } ?? login
        let address = template.replacingOccurrences(of: "{login}", with: login).replacingOccurrences(of: "{local}", with: local)
        return Self.isPlausible(address) ? address : nil
    }

    public var description: String { template }

    /// `local@domain`, printable ASCII, no spaces, angle brackets or commas.
    static func isPlausible(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".")
            && text.utf8.count <= 254
            && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") && $0 != UInt8(ascii: ",") }
    }
}

/// The notice's wording: one template per language (`password-change.ja.txt`,
/// `password-change.en.txt`; first line `Subject: …`). The bundled set is used unless a
/// directory holding both files is given.
///
/// Placeholders: `{{isp_name}}`, `{{login}}` (the owner's own ID), `{{since_ja}}`,
/// `{{since_en}}`, `{{support_ja}}`, `{{support_en}}`. Nothing else can be put in a notice: no
/// address the ID was used from, nothing about other subscribers.
public struct MailNoticeTemplates: Sendable, Hashable {
    struct Template: Sendable, Hashable {
        var subject: String
        var body: String
    }

    static let placeholders: Set<String> = ["isp_name", "login", "since_ja", "since_en", "support_ja", "support_en"]
    static let languages = ["ja", "en"]

    let templates: [String: Template]

    /// The bundled wording.
    public static func bundled() throws(MailNoticeError) -> MailNoticeTemplates {
        guard let url = Bundle.module.url(forResource: "Templates", withExtension: nil) else { throw .missingTemplate(file: "Templates (bundle)") }
        return try MailNoticeTemplates(directory: url)
    }

    /// The wording in `directory` (both languages).
    public init(directory: URL) throws(MailNoticeError) {
        var templates: [String: Template] = [:]
        for language in Self.languages {
            let name = "password-change.\(language).txt"
            guard let text = try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8) else {
                throw .missingTemplate(file: name)
            }
            templates[language] = try Self.parse(text, file: name)
        }
        self.templates = templates
    }

    /// Whether `directory` holds this wording (then it overrides the bundled one).
    public static func present(in directory: URL) -> Bool {
        languages.allSatisfy { FileManager.default.fileExists(atPath: directory.appendingPathComponent("password-change.\($0).txt").path) }
    }

    static func parse(_ text: String, file: String) throws(MailNoticeError) -> Template {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        guard normalized.hasPrefix("Subject: "), let newline = normalized.firstIndex(of: "\n") else {
            throw .malformedTemplate(file: file, reason: "the first line must be \"Subject: …\"")
        }
        let subject = String(normalized[normalized.index(normalized.startIndex, offsetBy: 9)..<newline])
        let body = String(normalized[normalized.index(after: newline)...])
        var rest = (subject + body)[...]
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else { break }
            let name = String(rest[open.upperBound..<close.lowerBound])
            guard placeholders.contains(name) else { throw .malformedTemplate(file: file, reason: "unknown placeholder {{\(name)}}") }
            rest = rest[close.upperBound...]
        }
        return Template(subject: subject, body: body)
    }

    func render(_ language: String, _ values: [String: String]) -> (subject: String, body: String) {
        guard let template = templates[language] else { return ("", "") }
        func fill(_ text: String) -> String {
            values.reduce(text) { $0.replacingOccurrences(of: "{{\($1.key)}}", with: $1.value) }
        }
        return (fill(template.subject), fill(template.body))
    }
}

/// The ISP as the notice names it.
public struct MailNoticeSender: Sendable, Hashable {
    public var ispNameJA: String
    public var ispNameEN: String
    /// How to contact the ISP, per language.
    public var supportJA: String
    public var supportEN: String

    public init(ispName: (ja: String, en: String), support: (ja: String, en: String)) {
        self.ispNameJA = ispName.ja
        self.ispNameEN = ispName.en
        self.supportJA = support.ja
        self.supportEN = support.en
    }
}

/// The owner's notice of a suspension (`smtp-credential-abuse`): change the password; IMAP and
/// webmail still work; how to contact the ISP. Japanese first, then English, in one text part.
///
/// Only the owner's own ID and the suspension's start are put in: never an address the ID was
/// used from, the reason's details, or anything about another subscriber.
public struct MailOwnerNotice: Sendable, Hashable {
    public var login: String
    public var recipient: String
    public var suspendedAt: Date
    public var subject: String
    public var text: String

    public init(login: String, recipient: String, suspendedAt: Date, sender: MailNoticeSender, templates: MailNoticeTemplates) {
        self.login = login
        self.recipient = recipient
        self.suspendedAt = suspendedAt
        let values = [
            "login": login, "since_ja": Self.time(suspendedAt, ja: true), "since_en": Self.time(suspendedAt, ja: false),
            "support_ja": sender.supportJA, "support_en": sender.supportEN,
        ]
        var ja = values
        ja["isp_name"] = sender.ispNameJA
        var en = values
        en["isp_name"] = sender.ispNameEN
        let (subjectJA, bodyJA) = templates.render("ja", ja)
        let (subjectEN, bodyEN) = templates.render("en", en)
        subject = subjectJA + " / " + subjectEN
        text =
            bodyJA.trimmingCharacters(in: .newlines) + "\n\n----------------------------------------\n\n" + bodyEN.trimmingCharacters(in: .newlines)
            + "\n"
    }

    /// The audit entry of an act on the notice of `login`'s suspension: the ID pseudonymised,
    /// the recipient's domain only.
    public static func auditEntry(
        action: String, login: String, suspendedAt: Date, recipient: String?, actor: String, time: Date, pseudonymizer: Pseudonymizer,
        detail extra: [String: String] = [:]
    ) -> AuditEntry {
        var detail = ["suspended-at": String(Int64(suspendedAt.timeIntervalSince1970))]
        if let recipient { detail["recipient_domain"] = recipient.split(separator: "@").last.map(String.init) ?? "" }
        detail.merge(extra) { _, new in new }
        return AuditEntry(
            time: time, countermeasure: .smtpCredentialAbuse, action: action, actor: actor, subject: pseudonymizer.pseudonym(subscriber: login),
            detail: detail)
    }

    static func time(_ date: Date, ja: Bool) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: ja ? "ja_JP" : "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Asia/Tokyo") ?? .gmt
        formatter.dateFormat = ja ? "yyyy年M月d日 H時mm分" : "d MMM yyyy, HH:mm 'JST'"
        return formatter.string(from: date)
    }
}

/// The state of an owner's notice in the outbox.
public enum MailNoticeStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case queued, sending, sent, failed
}

/// An owner's notice in the outbox: one per suspension (ID and start).
public struct MailNoticeRecord: Sendable, Hashable {
    public var id: Int64?
    public var login: String
    public var suspendedAt: Date
    public var recipient: String
    /// Stable, unique: `<mail-notice.UUID@DOMAIN>`, the same on every attempt.
    public var messageID: String
    public var subject: String
    public var text: String
    public var status: MailNoticeStatus
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var createdAt: Date
    public var sentAt: Date?

    public init(
        id: Int64? = nil, login: String, suspendedAt: Date, recipient: String, messageID: String, subject: String, text: String,
        status: MailNoticeStatus = .queued, attempts: Int = 0, nextAttemptAt: Date, lastError: String? = nil, createdAt: Date,
        sentAt: Date? = nil
    ) {
        self.id = id
        self.login = login
        self.suspendedAt = suspendedAt
        self.recipient = recipient
        self.messageID = messageID
        self.subject = subject
        self.text = text
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.createdAt = createdAt
        self.sentAt = sentAt
    }

    /// The record of a composed notice, due at once.
    public init(_ notice: MailOwnerNotice, mailDomain: String, now: Date) {
        self.init(
            login: notice.login, suspendedAt: notice.suspendedAt, recipient: notice.recipient,
            messageID: "<mail-notice.\(UUID().uuidString.lowercased())@\(mailDomain)>", subject: notice.subject, text: notice.text,
            nextAttemptAt: now, createdAt: now)
    }
}

/// Where owners' notices wait to be sent: one per suspension (login and suspension start), so
/// a suspension seen by several `mamori serve` is told once; claimed under a lease as the other
/// outboxes are. `StoreSQLite` and `StorePostgres` implement it.
public protocol MailNoticeStore: Sendable {
    /// Queues the notice with its audit entry (`notice-queued`), in one transaction, unless
    /// one for the same login and suspension start is there; returns whether it was queued.
    func enqueueMailNotice(_ notice: MailNoticeRecord, audit: AuditEntry) async throws -> Bool
    /// Claims the oldest due notice (queued and due by `dueBy`, or `sending` with an expired lease).
    func claimMailNotice(owner: String, dueBy: Date, now: Date, lease: TimeInterval) async throws -> MailNoticeRecord?
    /// Marks a claimed notice sent (with the relay's reply and an audit entry); false when it was already.
    func markMailNoticeSent(_ id: Int64, owner: String, at: Date, reply: String, audit: AuditEntry) async throws -> Bool
    /// Puts a claimed notice back in the queue until `next`.
    func markMailNoticeRetry(_ id: Int64, owner: String, next: Date, error: String) async throws
    /// Marks a claimed notice failed for good, with an audit entry.
    func markMailNoticeFailed(_ id: Int64, owner: String, error: String, audit: AuditEntry) async throws
    /// Every notice, oldest first.
    func mailNotices() async throws -> [MailNoticeRecord]
}

/// Why the owner's notice could not be set up: the place, never a login.
public enum MailNoticeError: Error, Sendable, Hashable, CustomStringConvertible {
    case badOwnerAddress(String)
    case missingTemplate(file: String)
    case malformedTemplate(file: String, reason: String)

    public var description: String {
        switch self {
        case .badOwnerAddress(let template):
            "owner address template \"\(template)\": use {login} (the AUTH ID is the address) or e.g. {local}@example.jp"
        case .missingTemplate(let file): "\(file): template missing"
        case .malformedTemplate(let file, let reason): "\(file): \(reason)"
        }
    }
}
