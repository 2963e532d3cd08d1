public import Foundation
import TextScanning

/// What one Shadowserver report type means and which of its columns Mamori reads.
///
/// Kept as data (`Resources/shadowserver-mappings.json`, replaceable): a new report type is a
/// new entry, no code. See `docs/formats/sightings.md` for the file's fields.
public struct ShadowserverReport: Sendable, Hashable {
    /// What a row of a report means for the infected-host notification.
    public enum Meaning: String, Sendable, Hashable, CaseIterable {
        /// The row's source host is infected (or compromised): it becomes a sighting and may open a case.
        case infected
        /// The row says something else (an open service, a vulnerability, a reflection victim, a
        /// resolver that looked up a sinkholed name): counted and dropped, its fields unread.
        case notInfected = "not-infected"
    }

    /// A per-row exception to the report's meaning, decided by one column's value.
    public struct Rule: Sendable, Hashable {
        /// The column tested (header name).
        public var column: String
        /// The rule matches when the value equals one of these (ignoring case)…
        public var equals: [String]
        /// …or contains this text (ignoring case).
        public var contains: String?
        /// The meaning of a matching row.
        public var meaning: Meaning
        /// The sighting kind of a matching infected row (default: the report's).
        public var kind: Sighting.Kind?
        /// The family of a matching infected row (default: from the family columns).
        public var family: String?

        /// Creates a rule.
        public init(
            column: String, equals: [String] = [], contains: String? = nil, meaning: Meaning, kind: Sighting.Kind? = nil,
            family: String? = nil
        ) {
            self.column = column
            self.equals = equals
            self.contains = contains
            self.meaning = meaning
            self.kind = kind
            self.family = family
        }
    }

    /// The report type, as in Shadowserver's file names (`event4_sinkhole_http`).
    public var type: String
    /// Other names of the same layout and meaning (`event6_sinkhole_http`).
    public var aliases: [String]
    /// Shadowserver's title of the report.
    public var title: String
    /// What a row means (rules may say otherwise for some rows).
    public var meaning: Meaning
    /// The kind of the sightings of infected rows (`sinkholeContact` or `thirdPartyReport`).
    public var kind: Sighting.Kind?
    /// Why the report has this meaning, for the legal team and the operators.
    public var why: String
    /// Columns giving the time, first present wins (`YYYY-MM-DD HH:MM:SS`, UTC).
    public var timeColumns: [String]
    /// Columns giving the infected host's address, first present wins.
    public var ipColumns: [String]
    /// Columns giving its source port, first present wins (kept for CGN attribution).
    public var portColumns: [String]
    /// Columns giving the family or signature, first non-empty value wins.
    public var familyColumns: [String]
    /// Per-row exceptions, first match wins.
    public var rules: [Rule]
    /// Header columns that identify this report when the file name does not.
    public var detectColumns: [String]

    /// All names of the report: its type, then its aliases.
    public var names: [String] { [type] + aliases }

    /// Whether any row of this report can be a sighting.
    public var canBeInfected: Bool { meaning == .infected || rules.contains { $0.meaning == .infected } }

    /// Creates a report mapping (validated by ``ShadowserverMappings/init(reports:)``).
    public init(
        type: String, aliases: [String] = [], title: String, meaning: Meaning, kind: Sighting.Kind? = nil, why: String,
        timeColumns: [String] = ["timestamp"], ipColumns: [String] = ["src_ip", "ip"],
        portColumns: [String] = ["src_port", "port"], familyColumns: [String] = ["family", "infection", "tag"],
        rules: [Rule] = [], detectColumns: [String] = []
    ) {
        self.type = type
        self.aliases = aliases
        self.title = title
        self.meaning = meaning
        self.kind = kind
        self.why = why
        self.timeColumns = timeColumns
        self.ipColumns = ipColumns
        self.portColumns = portColumns
        self.familyColumns = familyColumns
        self.rules = rules
        self.detectColumns = detectColumns
    }
}

/// The Shadowserver report types Mamori knows: for each, what a row means and which columns
/// give the time, address, port and family.
///
/// ```swift
/// let mappings = try ShadowserverMappings.bundled()
/// mappings.report(named: "event4_sinkhole_dns")?.meaning   // .notInfected: resolvers, not victims
/// let custom = try ShadowserverMappings(contentsOf: URL(fileURLWithPath: "/etc/mamori/shadowserver-mappings.json"))
/// ```
public struct ShadowserverMappings: Sendable, Hashable {
    /// The report types, in file order.
    public private(set) var reports: [ShadowserverReport]
    private var byName: [String: Int]

    /// Mappings from report entries; throws when a name repeats or an entry is incomplete.
    public init(reports: [ShadowserverReport]) throws(SightingError) {
        self.reports = reports
        self.byName = [:]
        for (i, report) in reports.enumerated() {
            try Self.validate(report)
            for name in report.names {
                guard byName[name] == nil else {
                    throw .invalidMappings(entry: name, field: "type", reason: "report type named twice")
                }
                byName[name] = i
            }
        }
    }

    /// The mapping for a report type or alias (case-sensitive, as in the file names).
    public func report(named name: String) -> ShadowserverReport? {
        byName[name].map { reports[$0] }
    }

    /// The mappings bundled with Mamori (`Resources/shadowserver-mappings.json`).
    public static func bundled() throws(SightingError) -> ShadowserverMappings {
        try bundledResult.get()
    }

    private static let bundledResult: Result<ShadowserverMappings, SightingError> = {
        guard let url = Bundle.module.url(forResource: "shadowserver-mappings", withExtension: "json") else {
            return .failure(.invalidMappings(entry: "(bundle)", field: "file", reason: "shadowserver-mappings.json missing"))
        }
        do throws(SightingError) {
            return .success(try ShadowserverMappings(contentsOf: url))
        } catch {
            return .failure(error)
        }
    }()

    /// Mappings read from a JSON file (the layout of the bundled one).
    public init(contentsOf url: URL) throws(SightingError) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadable(file: url.lastPathComponent, reason: "cannot read mappings")
        }
        try self.init(json: data)
    }

    /// Mappings from JSON text. Errors name the entry and the field.
    public init(json data: Data) throws(SightingError) {
        let top: Any
        do {
            top = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw .invalidMappings(entry: "(file)", field: "json", reason: "not valid JSON")
        }
        guard let root = top as? [String: Any] else {
            throw .invalidMappings(entry: "(file)", field: "json", reason: "not a JSON object")
        }
        guard let version = root["version"] as? Int, version == 1 else {
            throw .invalidMappings(entry: "(file)", field: "version", reason: "must be 1")
        }
        let defaults = root["defaults"] as? [String: Any] ?? [:]
        guard let list = root["reports"] as? [Any] else {
            throw .invalidMappings(entry: "(file)", field: "reports", reason: "missing or not a list")
        }
        var reports: [ShadowserverReport] = []
        for (index, item) in list.enumerated() {
            guard let entry = item as? [String: Any] else {
                throw .invalidMappings(entry: "reports[\(index)]", field: "entry", reason: "not an object")
            }
            reports.append(try Self.report(entry, index: index, defaults: defaults))
        }
        try self.init(reports: reports)
    }

    private static let knownKeys: Set<String> = [
        "type", "aliases", "title", "meaning", "kind", "why", "time", "ip", "port", "family", "rules", "detect",
    ]

    private static func report(
        _ e: [String: Any], index: Int, defaults: [String: Any]
    ) throws(SightingError)
        -> ShadowserverReport
    {
        guard let type = e["type"] as? String, !type.isEmpty else {
            throw .invalidMappings(entry: "reports[\(index)]", field: "type", reason: "missing or empty")
        }
        for key in e.keys where !knownKeys.contains(key) {
            throw .invalidMappings(entry: type, field: key, reason: "unknown field")
        }
        func strings(_ key: String, required: Bool = false) throws(SightingError) -> [String]? {
            guard let value = e[key] ?? defaults[key] else {
                if required { throw .invalidMappings(entry: type, field: key, reason: "missing") }
                return nil
            }
            guard let list = value as? [String], list.allSatisfy({ !$0.isEmpty }) else {
                throw .invalidMappings(entry: type, field: key, reason: "must be a list of non-empty strings")
            }
            return list
        }
        guard let title = e["title"] as? String else {
            throw .invalidMappings(entry: type, field: "title", reason: "missing")
        }
        guard let meaningText = e["meaning"] as? String, let meaning = ShadowserverReport.Meaning(rawValue: meaningText) else {
            throw .invalidMappings(entry: type, field: "meaning", reason: "must be infected or not-infected")
        }
        guard let why = e["why"] as? String, !why.isEmpty else {
            throw .invalidMappings(entry: type, field: "why", reason: "missing: say why rows mean what they mean")
        }
        var kind: Sighting.Kind?
        if let k = e["kind"] {
            guard let text = k as? String, let parsed = Sighting.Kind(rawValue: text) else {
                throw .invalidMappings(entry: type, field: "kind", reason: "must be sinkholeContact or thirdPartyReport")
            }
            kind = parsed
        }
        var rules: [ShadowserverReport.Rule] = []
        if let r = e["rules"] {
            guard let list = r as? [Any] else { throw .invalidMappings(entry: type, field: "rules", reason: "must be a list") }
            for (i, item) in list.enumerated() {
                rules.append(try rule(item, entry: type, index: i))
            }
        }
        return ShadowserverReport(
            type: type, aliases: try strings("aliases") ?? [], title: title, meaning: meaning, kind: kind, why: why,
            timeColumns: try strings("time", required: true) ?? [], ipColumns: try strings("ip", required: true) ?? [],
            portColumns: try strings("port") ?? [], familyColumns: try strings("family") ?? [], rules: rules,
            detectColumns: try strings("detect") ?? [])
    }

    private static func rule(_ item: Any, entry: String, index: Int) throws(SightingError) -> ShadowserverReport.Rule {
        let field = "rules[\(index)]"
        guard let r = item as? [String: Any] else { throw .invalidMappings(entry: entry, field: field, reason: "not an object") }
        for key in r.keys where !["column", "equals", "contains", "meaning", "kind", "family"].contains(key) {
            throw .invalidMappings(entry: entry, field: field + "." + key, reason: "unknown field")
        }
        guard let column = r["column"] as? String, !column.isEmpty else {
            throw .invalidMappings(entry: entry, field: field + ".column", reason: "missing")
        }
        guard let meaningText = r["meaning"] as? String, let meaning = ShadowserverReport.Meaning(rawValue: meaningText) else {
            throw .invalidMappings(entry: entry, field: field + ".meaning", reason: "must be infected or not-infected")
        }
        var equals: [String] = []
        if let e = r["equals"] {
            guard let list = e as? [String] else {
                throw .invalidMappings(entry: entry, field: field + ".equals", reason: "must be a list of strings")
            }
            equals = list
        }
        var contains: String?
        if let c = r["contains"] {
            guard let text = c as? String, !text.isEmpty else {
                throw .invalidMappings(entry: entry, field: field + ".contains", reason: "must be a non-empty string")
            }
            contains = text
        }
        var kind: Sighting.Kind?
        if let k = r["kind"] {
            guard let text = k as? String, let parsed = Sighting.Kind(rawValue: text) else {
                throw .invalidMappings(entry: entry, field: field + ".kind", reason: "must be sinkholeContact or thirdPartyReport")
            }
            kind = parsed
        }
        var family: String?
        if let f = r["family"] {
            guard let text = f as? String, !text.isEmpty else {
                throw .invalidMappings(entry: entry, field: field + ".family", reason: "must be a non-empty string")
            }
            family = text
        }
        return ShadowserverReport.Rule(
            column: column, equals: equals, contains: contains, meaning: meaning, kind: kind, family: family)
    }

    private static func validate(_ r: ShadowserverReport) throws(SightingError) {
        let entry = r.type.isEmpty ? "(unnamed)" : r.type
        for name in r.names {
            guard !name.isEmpty, !name.contains("-"), !name.contains("/"), !name.contains(".") else {
                throw .invalidMappings(entry: entry, field: "type", reason: "a report type is non-empty, without '-', '/' or '.'")
            }
        }
        guard !r.why.isEmpty else { throw .invalidMappings(entry: entry, field: "why", reason: "missing") }
        let allowedKinds: Set<Sighting.Kind> = [.sinkholeContact, .thirdPartyReport]
        if let kind = r.kind, !allowedKinds.contains(kind) {
            throw .invalidMappings(entry: entry, field: "kind", reason: "must be sinkholeContact or thirdPartyReport")
        }
        if r.meaning == .infected && r.kind == nil {
            throw .invalidMappings(entry: entry, field: "kind", reason: "required when rows mean infected")
        }
        for (i, rule) in r.rules.enumerated() {
            let field = "rules[\(i)]"
            guard !rule.equals.isEmpty || rule.contains != nil else {
                throw .invalidMappings(entry: entry, field: field, reason: "needs equals or contains")
            }
            if rule.meaning == .infected && (rule.kind ?? r.kind) == nil {
                throw .invalidMappings(entry: entry, field: field + ".kind", reason: "required when the rule means infected")
            }
            if let kind = rule.kind, !allowedKinds.contains(kind) {
                throw .invalidMappings(entry: entry, field: field + ".kind", reason: "must be sinkholeContact or thirdPartyReport")
            }
            if let family = rule.family, family.utf8.count > FamilyNames.maximumLength {
                throw .invalidMappings(entry: entry, field: field + ".family", reason: "too long")
            }
        }
        if r.canBeInfected {
            guard !r.timeColumns.isEmpty else { throw .invalidMappings(entry: entry, field: "time", reason: "no column") }
            guard !r.ipColumns.isEmpty else { throw .invalidMappings(entry: entry, field: "ip", reason: "no column") }
        }
    }
}

// MARK: - Report type from a file name or a header

extension ShadowserverMappings {
    /// What a file name says about the report type.
    public enum NameMatch: Sendable, Hashable {
        /// A known report type (or alias), as named.
        case known(String)
        /// The name has Shadowserver's dated form, but its type is not in the mappings.
        case unknown(String)
        /// The name does not tell.
        case none
    }

    /// The report type a file name gives.
    ///
    /// Shadowserver names files `YYYY-MM-DD-<type>-<identifier>.csv` (report_schema,
    /// `report-filename.md`): the type is the part between the date and the next `-`. A bare
    /// name such as `event4_sinkhole_http.csv` or `botnet_drone.csv` is matched against the
    /// known types: exactly, or as the longest known type followed by `-` or `_` and a digit
    /// (`event4_sinkhole_2021-05_malformed-row.csv` is `event4_sinkhole`).
    public func reportType(fromFileName fileName: String) -> NameMatch {
        let base = fileName.split(separator: "/").last.map(String.init) ?? fileName
        guard base.lowercased().hasSuffix(".csv") else { return .none }
        let stem = String(base.dropLast(4))
        if let dated = ShadowserverNames.datedType(stem) {
            return byName[dated] != nil ? .known(dated) : .unknown(dated)
        }
        if byName[stem] != nil { return .known(stem) }
        var best: String?
        for name in byName.keys where stem.hasPrefix(name) && stem.count > name.count {
            let rest = stem.dropFirst(name.count)
            let ok: Bool
            if rest.first == "-" {
                ok = true
            } else if rest.first == "_", let second = rest.dropFirst().first, second.isASCII, second.isNumber {
                ok = true
            } else {
                ok = false
            }
            if ok && name.count > (best?.count ?? 0) { best = name }
        }
        if let best { return .known(best) }
        if stem.hasPrefix("event4_") || stem.hasPrefix("event6_") { return .unknown(stem) }
        return .none
    }

    /// The report whose `detect` columns all appear in `header` (lower-case names); the one
    /// with the most such columns when that is unique; nil when none or a tie.
    public func reportType(fromHeader header: [String]) -> String? {
        let columns = Set(header)
        var best: (name: String, score: Int)?
        var tie = false
        for report in reports where !report.detectColumns.isEmpty && columns.isSuperset(of: report.detectColumns) {
            let score = report.detectColumns.count
            if let b = best, b.score == score {
                tie = true
            } else if score > best?.score ?? 0 {
                best = (report.type, score)
                tie = false
            }
        }
        return tie ? nil : best?.name
    }
}

enum ShadowserverNames {
    /// `YYYY-MM-DD-<type>[-…]` → `<type>`.
    static func datedType(_ stem: String) -> String? {
        let u = Array(stem.utf8)
        guard u.count > 11, u[4] == ASCII.minus, u[7] == ASCII.minus, u[10] == ASCII.minus else { return nil }
        for i in [0, 1, 2, 3, 5, 6, 8, 9] where !ASCII.isDigit(u[i]) { return nil }
        let rest = u[11...]
        let end = rest.firstIndex(of: ASCII.minus) ?? rest.endIndex
        guard end > 11 else { return nil }
        return String(decoding: rest[..<end], as: UTF8.self)
    }

    /// Whether a file name looks like a Shadowserver report (for feed detection).
    static func looksLikeReport(_ fileName: String) -> Bool {
        let base = fileName.split(separator: "/").last.map(String.init) ?? fileName
        guard base.lowercased().hasSuffix(".csv") else { return false }
        let stem = String(base.dropLast(4))
        if datedType(stem) != nil || stem.hasPrefix("event4_") || stem.hasPrefix("event6_") { return true }
        if let mappings = try? ShadowserverMappings.bundled(), case .known = mappings.reportType(fromFileName: base) {
            return true
        }
        return false
    }
}
