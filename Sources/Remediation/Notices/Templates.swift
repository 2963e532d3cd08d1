public import Foundation

/// Errors of the notice templates and page texts, naming the file.
public enum TemplateError: Error, CustomStringConvertible {
    case missing(file: String)
    case malformed(file: String, reason: String)
    case unknownPlaceholder(file: String, name: String)

    public var description: String {
        switch self {
        case .missing(let file): "\(file): template missing"
        case .malformed(let file, let reason): "\(file): \(reason)"
        case .unknownPlaceholder(let file, let name): "\(file): unknown placeholder {{\(name)}}"
        }
    }
}

/// Editable notice templates (one set per notice kind, type and language) and page texts.
///
/// Files: `<kind>.<type>.<lang>.txt` (e.g. `infected-host.first.ja.txt`), whose first line is
/// `Subject: …` and the rest the body, and `page.json` (ISP name, support contact, the "why we
/// may tell you" note per kind, steps and links per language). The bundled set is used unless
/// a directory is given (`--templates DIR`); a directory must hold the whole set.
///
/// Placeholders: `{{isp_name}}`, `{{link}}`, `{{family_ja}}`, `{{family_en}}`,
/// `{{first_seen_ja}}`, `{{first_seen_en}}`, `{{last_seen_ja}}`, `{{last_seen_en}}`,
/// `{{expires_ja}}`, `{{expires_en}}`, `{{support_ja}}`, `{{support_en}}`.
public struct NoticeTemplates: Sendable {
    struct Template: Sendable {
        var subject: String
        var body: String
    }

    struct PageTexts: Codable, Sendable {
        struct Link: Codable, Sendable {
            var title: String
            var url: String
        }
        var isp_name: [String: String]
        var support: [String: String]
        var why: [String: [String: String]]
        var steps: [String: [String]]
        var links: [String: [Link]]
    }

    static let placeholders: Set<String> = [
        "isp_name", "link", "family_ja", "family_en", "first_seen_ja", "first_seen_en", "last_seen_ja", "last_seen_en",
        "expires_ja", "expires_en", "support_ja", "support_en",
    ]

    private let templates: [String: Template]
    let page: PageTexts

    /// The bundled templates.
    public static func bundled() throws -> NoticeTemplates {
        guard let url = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw TemplateError.missing(file: "Templates (bundle)")
        }
        return try NoticeTemplates(directory: url)
    }

    /// Templates from a directory holding the whole set.
    public init(directory: URL) throws {
        var templates: [String: Template] = [:]
        for kind in NoticeKind.allCases {
            for type in NoticeType.allCases {
                for language in Language.allCases {
                    let name = "\(kind.rawValue).\(type.rawValue).\(language.rawValue).txt"
                    let url = directory.appendingPathComponent(name)
                    guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw TemplateError.missing(file: name) }
                    templates[name] = try Self.parse(text, file: name)
                }
            }
        }
        self.templates = templates
        let pageURL = directory.appendingPathComponent("page.json")
        guard let data = try? Data(contentsOf: pageURL) else { throw TemplateError.missing(file: "page.json") }
        do {
            page = try JSONDecoder().decode(PageTexts.self, from: data)
        } catch {
            throw TemplateError.malformed(file: "page.json", reason: "\(error)")
        }
        for language in Language.allCases {
            guard page.isp_name[language.rawValue] != nil, page.support[language.rawValue] != nil,
                page.steps[language.rawValue] != nil, page.links[language.rawValue] != nil
            else { throw TemplateError.malformed(file: "page.json", reason: "missing \(language.rawValue) texts") }
            for kind in NoticeKind.allCases where page.why[kind.rawValue]?[language.rawValue] == nil {
                throw TemplateError.malformed(file: "page.json", reason: "why.\(kind.rawValue).\(language.rawValue) missing")
            }
        }
    }

    static func parse(_ text: String, file: String) throws -> Template {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        guard normalized.hasPrefix("Subject: "), let newline = normalized.firstIndex(of: "\n") else {
            throw TemplateError.malformed(file: file, reason: "the first line must be \"Subject: …\"")
        }
        let subject = String(normalized[normalized.index(normalized.startIndex, offsetBy: 9)..<newline])
        let body = String(normalized[normalized.index(after: newline)...])
        for name in placeholderNames(in: subject + body) where !placeholders.contains(name) {
            throw TemplateError.unknownPlaceholder(file: file, name: name)
        }
        return Template(subject: subject, body: body)
    }

    static func placeholderNames(in text: String) -> [String] {
        var names: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else { break }
            names.append(String(rest[open.upperBound..<close.lowerBound]))
            rest = rest[close.upperBound...]
        }
        return names
    }

    /// A rendered notice.
    public struct Rendered: Sendable, Hashable {
        public var subject: String
        public var body: String
    }

    /// Renders the notice for a case.
    func render(
        kind: NoticeKind, type: NoticeType, language: Language, family: String, firstSeen: Date, lastSeen: Date, link: String, expires: Date
    )
        -> Rendered
    {
        let template = templates["\(kind.rawValue).\(type.rawValue).\(language.rawValue).txt"] ?? Template(subject: "", body: "")
        let values: [String: String] = [
            "isp_name": page.isp_name[language.rawValue] ?? "",
            "link": link,
            "family_ja": family.isEmpty ? "ウイルス（種類は特定されていません）" : "ウイルス「\(family)」",
            "family_en": family.isEmpty ? "malware (family not identified)" : "malware \"\(family)\"",
            "first_seen_ja": Self.japaneseTime(firstSeen), "first_seen_en": Self.englishTime(firstSeen),
            "last_seen_ja": Self.japaneseTime(lastSeen), "last_seen_en": Self.englishTime(lastSeen),
            "expires_ja": Self.japaneseTime(expires), "expires_en": Self.englishTime(expires),
            "support_ja": page.support["ja"] ?? "", "support_en": page.support["en"] ?? "",
        ]
        return Rendered(subject: Self.fill(template.subject, values), body: Self.fill(template.body, values))
    }

    static func fill(_ text: String, _ values: [String: String]) -> String {
        var out = text
        for (name, value) in values { out = out.replacingOccurrences(of: "{{\(name)}}", with: value) }
        return out
    }

    /// `2026年11月27日 09:15（日本時間）`
    public static func japaneseTime(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Tokyo") ?? .gmt
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%d年%d月%d日 %02d:%02d（日本時間）", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0)
    }

    /// `27 November 2026, 09:15 JST`
    public static func englishTime(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Tokyo") ?? .gmt
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
        let month = months[max(0, min(11, (c.month ?? 1) - 1))]
        return "\(c.day ?? 0) \(month) \(c.year ?? 0), " + String(format: "%02d:%02d JST", c.hour ?? 0, c.minute ?? 0)
    }

    /// The ISP's name in both languages (from page.json).
    public var ispNames: (ja: String, en: String) { (page.isp_name["ja"] ?? "", page.isp_name["en"] ?? "") }

    /// The support contact text in both languages (from page.json).
    public var supportTexts: (ja: String, en: String) { (page.support["ja"] ?? "", page.support["en"] ?? "") }

    /// The remediation page texts for a case.
    func page(kind: NoticeKind, language: Language) -> (isp: String, why: String, steps: [String], links: [RemediationLink], support: String) {
        (
            page.isp_name[language.rawValue] ?? "",
            page.why[kind.rawValue]?[language.rawValue] ?? "",
            page.steps[language.rawValue] ?? [],
            (page.links[language.rawValue] ?? []).map { RemediationLink(title: $0.title, url: $0.url) },
            page.support[language.rawValue] ?? ""
        )
    }
}
