public import Foundation
public import Secrecy

/// The format of a site-owner notice.
public enum SiteReportFormat: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// RFC 5965 (ARF): `multipart/report; report-type=feedback-report` with the human-readable
    /// part and the `message/feedback-report` part (`Feedback-Type: other`, `Reported-Domain`,
    /// `Reported-URI`). There is no original message for a web site, so no third part.
    case arf
    /// X-ARF (XARF v4) sent as XARF's SMTP transport does: the ARF envelope above, with the XARF
    /// JSON report (`content`/`malware`, or `infrastructure`/`botnet` for a C&C name) as the
    /// third part, `application/json`, `xarf.json`.
    case xarf

    public var description: String { rawValue }
}

/// Who sends site-owner notices: the ISP's abuse desk, as the reports name it.
public struct SiteReporter: Sendable, Hashable {
    /// The organisation (`reporter.org`), e.g. `Example ISP`.
    public var organization: String
    /// The desk's address (`reporter.contact`, and the notice's From).
    public var contact: String
    /// The organisation's domain (`reporter.domain`).
    public var domain: String

    public init(organization: String, contact: String, domain: String) {
        self.organization = organization
        self.contact = contact
        self.domain = domain
    }
}

/// One listed site to tell its owner about: the data items of `site-owner-notice` (the site's
/// URL, its published contact, the time) plus where the listing came from (list, reason).
/// Nothing about subscribers: who tried to reach the site is not known here and never asked.
public struct ListedSite: Sendable, Hashable {
    /// The listed name (lower case, no trailing dot).
    public var domain: String
    /// `malware-site` or `cnc`.
    public var kind: ListKind
    /// The list it is on, and when that list revision was imported.
    public var list: String
    public var listedAt: Date
    /// The list's reason for the entry (its line comment, without any `contact=`), if any.
    public var reason: String?
    /// The contact the feed gives for the site (`contact=ADDR` in the entry's comment), if any.
    public var feedContact: String?

    public init(domain: String, kind: ListKind, list: String, listedAt: Date, reason: String?, feedContact: String?) {
        self.domain = domain
        self.kind = kind
        self.list = list
        self.listedAt = listedAt
        self.reason = reason
        self.feedContact = feedContact
    }

    /// The listed sites of `blocklist`'s list `name` (malware-site and cnc entries; allow-list
    /// entries are never reported), one per name.
    public static func sites(of blocklist: Blocklist, list name: String) -> [ListedSite] {
        var seen: Set<String> = []
        var sites: [ListedSite] = []
        for index in 0..<blocklist.entryCount {
            let entry = blocklist.entry(BlocklistEntryID(rawValue: UInt32(index)))
            guard entry.list.name == name, entry.list.kind != .allow, seen.insert(entry.name).inserted else { continue }
            let (reason, contact) = Self.splitComment(entry.comment)
            sites.append(
                ListedSite(
                    domain: entry.name, kind: entry.list.kind, list: name, listedAt: entry.list.loadedAt, reason: reason,
                    feedContact: contact))
        }
        return sites
    }

    /// `"dropper for family X contact=abuse@host.example"` → (`"dropper for family X"`, `"abuse@host.example"`).
    static func splitComment(_ comment: String?) -> (reason: String?, contact: String?) {
        guard let comment else { return (nil, nil) }
        var words: [Substring] = []
        var contact: String?
        for word in comment.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            if word.lowercased().hasPrefix("contact="), contact == nil {
                let value = word.dropFirst("contact=".count)
                if SiteOwnerReport.isPlausibleAddress(value) { contact = String(value) }
            } else {
                words.append(word)
            }
        }
        let reason = words.joined(separator: " ")
        return (reason.isEmpty ? nil : reason, contact)
    }
}

/// A site-owner notice (ACTIVE ①-③: the owner of a listed site is told, through the contact
/// the site publishes), composed as ARF or X-ARF: a subject, a bilingual (ja, then en) text
/// part, and the machine-readable parts of a `multipart/report`.
///
/// ```swift
/// let report = try SiteOwnerReport(site: site, recipient: "abuse@host.example", reporter: desk, format: .xarf, reportID: UUID(), now: Date())
/// report.parts  // message/feedback-report, application/json (xarf.json)
/// ```
public struct SiteOwnerReport: Sendable, Hashable {
    public var site: ListedSite
    public var recipient: String
    public var format: SiteReportFormat
    public var reportID: UUID
    public var createdAt: Date
    public var subject: String
    public var text: String
    /// `feedback-report`: the `multipart/report` type.
    public var reportType: String { "feedback-report" }
    public var parts: [Part]

    /// A machine-readable part.
    public struct Part: Sendable, Hashable, Codable {
        public var contentType: String
        public var fileName: String?
        public var content: String

        public init(contentType: String, fileName: String? = nil, content: String) {
            self.contentType = contentType
            self.fileName = fileName
            self.content = content
        }
    }

    /// Composes the notice; throws when the recipient or the reporter's contact is not an address.
    public init(
        site: ListedSite, recipient: String, reporter: SiteReporter, format: SiteReportFormat, reportID: UUID, now: Date
    ) throws(SiteReportError) {
        guard Self.isPlausibleAddress(Substring(recipient)) else { throw .badRecipient(recipient) }
        guard Self.isPlausibleAddress(Substring(reporter.contact)) else { throw .badReporter(reporter.contact) }
        guard !site.domain.isEmpty, site.domain.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw .badDomain(site.domain) }
        self.site = site
        self.recipient = recipient
        self.format = format
        self.reportID = reportID
        self.createdAt = now
        let url = "http://\(site.domain)/"
        let what =
            site.kind == .cnc ? ("C&C（ボットネットの指令）サーバ", "a botnet command-and-control (C&C) server") : ("マルウェア配布サイト", "a malware-distribution site")
        subject = "[\(reporter.organization)] \(site.domain): \(site.kind == .cnc ? "C&C server" : "malware distribution") report / 不正サイト掲載のお知らせ"
        let listed = Self.iso8601(site.listedAt)
        var lines: [String] = []
        lines.append("\(site.domain) のご担当者様")
        lines.append("")
        lines.append("\(reporter.organization) の不正利用対策窓口です。貴サイト \(site.domain) は、当社が利用するリスト「\(site.list)」に\(what.0)として掲載されています（掲載確認: \(listed)）。")
        if let reason = site.reason { lines.append("リストに記載された理由: \(reason)") }
        lines.append("当社の利用者がこのサイトに接続しようとすると、注意喚起の画面が表示されることがあります。")
        lines.append("サイトが改ざんされていないか、不正なファイルが置かれていないかをご確認のうえ、適切な対策をお願いいたします。対策が済みましたら、このメールにご返信ください。")
        lines.append("この通知には、当社利用者の通信に関する情報は含まれていません。")
        lines.append("")
        lines.append("To the administrator of \(site.domain),")
        lines.append("")
        lines.append(
            "This is the abuse desk of \(reporter.organization). Your site \(site.domain) is on the list \"\(site.list)\" we use, as \(what.1) (listing seen: \(listed))."
        )
        if let reason = site.reason { lines.append("Reason given by the list: \(reason)") }
        lines.append("Our subscribers who try to reach it may be shown a warning first.")
        lines.append(
            "Please check the site for tampering or malicious files and take the appropriate measures; reply to this message once it is clean.")
        lines.append("This notice contains nothing about our subscribers' communications.")
        lines.append("")
        lines.append("\(reporter.organization) <\(reporter.contact)>")
        lines.append("Report-ID: \(reportID.uuidString.lowercased())")
        text = lines.joined(separator: "\n") + "\n"

        var feedback = [
            "Feedback-Type: other", "User-Agent: Mamori/1.0", "Version: 1", "Arrival-Date: \(Self.rfc5322(site.listedAt))",
            "Reported-Domain: \(site.domain)", "Reported-URI: \(url)",
        ]
        if format == .xarf { feedback.append("X-XARF: PLAIN") }
        parts = [Part(contentType: "message/feedback-report", content: feedback.joined(separator: "\n") + "\n")]
        if format == .xarf {
            parts.append(
                Part(
                    contentType: "application/json; charset=utf-8", fileName: "xarf.json",
                    content: Self.xarf(site: site, url: url, reporter: reporter, reportID: reportID)))
        }
    }

    /// The XARF v4 report (keys sorted, so the same notice renders the same bytes).
    static func xarf(site: ListedSite, url: String, reporter: SiteReporter, reportID: UUID) -> String {
        var object: [String: Any] = [
            "xarf_version": "4.2.0",
            "report_id": reportID.uuidString.lowercased(),
            "timestamp": iso8601(site.listedAt),
            "reporter": ["org": reporter.organization, "contact": reporter.contact, "domain": reporter.domain],
            "sender": ["org": reporter.organization, "contact": reporter.contact, "domain": reporter.domain],
            "source_identifier": site.domain,
            "evidence_source": "threat_intelligence",
            "description": "Listed on \"\(site.list)\"" + (site.reason.map { ": \($0)" } ?? ""),
        ]
        switch site.kind {
        case .cnc:
            object["category"] = "infrastructure"
            object["type"] = "botnet"
            object["c2_server"] = site.domain
        case .malwareSite, .allow:
            object["category"] = "content"
            object["type"] = "malware"
            object["url"] = url
            object["domain"] = site.domain
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// The audit entry of an act on this notice, under `site-owner-notice`.
    public func auditEntry(action: String, actor: String, time: Date, detail extra: [String: String] = [:]) -> AuditEntry {
        Self.auditEntry(
            action: action, domain: site.domain, list: site.list, kind: site.kind, format: format, recipient: recipient, actor: actor, time: time,
            detail: extra)
    }

    /// The audit entry of an act on a site-owner notice: the site and the recipient's domain
    /// (the contact is the site's published one; its local part is not needed to prove the act).
    public static func auditEntry(
        action: String, domain: String, list: String, kind: ListKind, format: SiteReportFormat, recipient: String, actor: String, time: Date,
        detail extra: [String: String] = [:]
    ) -> AuditEntry {
        var detail = ["list": list, "kind": kind.rawValue, "format": format.rawValue, "recipient_domain": Self.domain(of: recipient)]
        detail.merge(extra) { _, new in new }
        return AuditEntry(time: time, countermeasure: .siteOwnerNotice, action: action, actor: actor, subject: "site:\(domain)", detail: detail)
    }

    static func domain(of address: String) -> String {
        address.split(separator: "@").last.map(String.init) ?? ""
    }

    /// `local@domain`, printable ASCII, no spaces or angle brackets.
    static func isPlausibleAddress(_ text: Substring) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && text.utf8.count <= 254
            && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") && $0 != UInt8(ascii: ",") }
    }

    /// `2026-12-04T10:00:00Z`.
    static func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    static func rfc5322(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .gmt
        formatter.dateFormat = "EEE, d MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}

/// Why a site-owner notice could not be composed.
public enum SiteReportError: Error, Sendable, Hashable, CustomStringConvertible {
    case badRecipient(String)
    case badReporter(String)
    case badDomain(String)

    public var description: String {
        switch self {
        case .badRecipient(let text): "the site's contact \"\(text)\" is not an e-mail address"
        case .badReporter(let text): "the reporter's contact \"\(text)\" is not an e-mail address"
        case .badDomain(let text): "the listed name \"\(text)\" cannot be reported"
        }
    }
}
