public import Foundation

/// The countermeasure declarations: the one place that says, for every countermeasure, its
/// purpose, legal basis, the justification of each requirement of that basis, the data items it
/// may touch, their retention and its trigger.
///
/// The declarations are data the ISP's legal team reads and edits: the bundled
/// `declarations.json` (pretty-printed, Japanese and English). Loading validates the file and
/// refuses it with a ``DeclarationError`` naming every problem's place.
///
/// ```swift
/// let declarations = try Declarations.bundled()
/// guard let notice = declarations[.infectedHostNotification], notice.allowsAttribution else { … }
/// ```
///
/// ## The file
///
/// ```json
/// {
///   "version": 1,
///   "countermeasures": [
///     {
///       "id": "smtp-brute-force",
///       "name": {"ja": "…", "en": "…"},
///       "purpose": {"ja": "…", "en": "…"},
///       "basis": "legitimate-business-act",
///       "justifications": {"legitimate-purpose": {"ja": "…", "en": "…"}, "necessity": {…}, "appropriate-means": {…}},
///       "dataItems": {"mail-auth-events": ["source-ip", "timestamp", "attempt-count", "attempt-interval"], "blocks": ["source-ip"]},
///       "retention": {"mail-auth-events": 7, "blocks": 1},
///       "trigger": {"while-alert": "smtp-auth-failure"},
///       "conditions": [{"ja": "…", "en": "…"}],
///       "attribution": {"ja": "…", "en": "…"}
///     }
///   ]
/// }
/// ```
///
/// ## Rules
///
/// - `id`: lowercase words joined by `-`, unique in the file.
/// - `name`, `purpose`, every justification, condition and `attribution`: `{"ja", "en"}`, both non-empty.
/// - `basis`: one ``LegalBasis`` or a list of them.
/// - `justifications`: exactly the ``Requirement``s of the declared bases.
/// - `dataItems`: per ``DataClass``, a non-empty list of ``DataItem``s.
/// - `retention`: per data class used by `dataItems` (and only those), whole days ≥ 0;
///   `transient` must be 0.
/// - `trigger`: `"always"`, `"per-consent"` or `{"while-alert": "name"}`; `per-consent` exactly
///   when the bases include `consent`.
/// - `conditions` and `attribution` are optional. Unknown fields are refused (they are usually
///   misspellings).
public struct Declarations: Sendable {
    /// The declarations in file order.
    public let all: [Declaration]
    /// The name of the file they came from.
    public let source: String
    /// SHA-256 of the file's bytes, lowercase hex: names the version in force (the compliance
    /// report prints it).
    public let sha256: String
    private let byID: [CountermeasureID: Declaration]

    /// The declarations bundled with Mamori (`Resources/declarations.json`).
    public static func bundled() throws(DeclarationError) -> Declarations {
        guard let url = Bundle.module.url(forResource: "declarations", withExtension: "json") else {
            throw DeclarationError(problems: [
                .init(
                    source: "declarations.json", line: nil, column: nil, declarationIndex: nil, declarationID: nil, field: nil,
                    kind: .unreadable, reason: "the file is not in the Secrecy module's resource bundle")
            ])
        }
        return try load(contentsOf: url)
    }

    /// Loads and validates a declarations file (e.g. the legal team's edited copy).
    public static func load(contentsOf url: URL) throws(DeclarationError) -> Declarations {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DeclarationError(problems: [
                .init(
                    source: url.lastPathComponent, line: nil, column: nil, declarationIndex: nil, declarationID: nil, field: nil,
                    kind: .unreadable, reason: "the file cannot be read (\(error.localizedDescription))")
            ])
        }
        return try Declarations(json: data, source: url.lastPathComponent)
    }

    /// Parses and validates declarations from JSON; `source` names the file in error messages.
    public init(json: Data, source: String) throws(DeclarationError) {
        var parser = DeclarationParser(source: source)
        let declarations = parser.parse(Array(json))
        guard parser.problems.isEmpty else { throw DeclarationError(problems: parser.problems) }
        self.all = declarations
        self.source = source
        self.sha256 = Hex.encode(Digest.sha256(json))
        self.byID = Dictionary(declarations.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The declaration of `id`, or `nil` when the file does not declare it (the countermeasure
    /// must then not run).
    public subscript(id: CountermeasureID) -> Declaration? { byID[id] }

    /// The declared ids in file order.
    public var ids: [CountermeasureID] { all.map(\.id) }

    /// The ids of `required` that the file does not declare.
    public func missing(_ required: [CountermeasureID] = CountermeasureID.required) -> [CountermeasureID] {
        required.filter { byID[$0] == nil }
    }
}

/// Walks a parsed JSON document and collects every problem with its place.
struct DeclarationParser {
    let source: String
    private(set) var problems: [DeclarationError.Problem] = []
    private var declarationIndex: Int?
    private var declarationID: String?

    init(source: String) { self.source = source }

    private static let topFields = ["version", "about", "countermeasures"]
    private static let declarationFields = [
        "id", "name", "purpose", "basis", "justifications", "dataItems", "retention", "trigger", "conditions", "attribution",
    ]

    private mutating func report(_ kind: DeclarationError.Kind, _ field: String?, line: Int?, _ reason: String) {
        problems.append(
            .init(
                source: source, line: line, column: nil, declarationIndex: declarationIndex, declarationID: declarationID,
                field: field, kind: kind, reason: reason))
    }

    mutating func parse(_ bytes: [UInt8]) -> [Declaration] {
        let root: JSONNode
        do {
            root = try JSONReader.parse(bytes)
        } catch {
            problems.append(
                .init(
                    source: source, line: error.line, column: error.column, declarationIndex: nil, declarationID: nil, field: nil,
                    kind: .malformedJSON, reason: "malformed JSON: \(error.message)"))
            return []
        }
        guard case .object(let members) = root.value else {
            report(.wrongType, nil, line: root.line, "expected an object with \"version\" and \"countermeasures\", found \(root.kindName)")
            return []
        }
        for member in members where !Self.topFields.contains(member.key) {
            report(.unknownField, member.key, line: member.value.line, "unknown field; the file has \(Self.topFields.joined(separator: ", "))")
        }
        if let about = root["about"] { _ = text(about, "about") }
        switch root["version"]?.value {
        case nil: report(.missingField, "version", line: root.line, "missing; write \"version\": 1")
        case .number("1"): break
        default: report(.unsupportedVersion, "version", line: root["version"]?.line, "unsupported version; this Mamori reads version 1")
        }
        guard let list = root["countermeasures"] else {
            report(.missingField, "countermeasures", line: root.line, "missing; expected a list of declarations")
            return []
        }
        guard case .array(let elements) = list.value else {
            report(.wrongType, "countermeasures", line: list.line, "expected a list of declarations, found \(list.kindName)")
            return []
        }
        var declarations: [Declaration] = []
        var firstLine: [CountermeasureID: Int] = [:]
        for (offset, element) in elements.enumerated() {
            declarationIndex = offset + 1
            declarationID = nil
            if let declaration = self.declaration(element, firstLine: &firstLine) { declarations.append(declaration) }
        }
        declarationIndex = nil
        declarationID = nil
        return declarations
    }

    // MARK: one declaration

    private mutating func declaration(_ node: JSONNode, firstLine: inout [CountermeasureID: Int]) -> Declaration? {
        guard case .object(let members) = node.value else {
            report(.wrongType, nil, line: node.line, "expected an object, found \(node.kindName)")
            return nil
        }
        let before = problems.count
        if let idNode = node["id"], case .string(let raw) = idNode.value { declarationID = raw }

        for member in members where !Self.declarationFields.contains(member.key) {
            report(
                .unknownField, member.key, line: member.value.line,
                "unknown field; a declaration has \(Self.declarationFields.joined(separator: ", "))")
        }

        let id = self.id(node, firstLine: &firstLine)
        let name = required(node, "name").flatMap { text($0, "name") }
        let purpose = required(node, "purpose").flatMap { text($0, "purpose") }
        let basisProblems = problems.count
        let bases = required(node, "basis").map { self.bases($0) } ?? []
        // With a basis missing or misspelt, a justification cannot be told apart from a stray one.
        let justifications = self.justifications(node, bases: bases, basesComplete: problems.count == basisProblems)
        let dataItems = required(node, "dataItems").map { self.dataItems($0) } ?? [:]
        let retention = self.retention(node, used: Set(dataItems.keys))
        let trigger = required(node, "trigger").flatMap { self.trigger($0, bases: bases) }
        let conditions = node["conditions"].map { self.conditions($0) } ?? []
        let attribution = node["attribution"].flatMap { text($0, "attribution") }

        guard problems.count == before, let id, let name, let purpose, let trigger else { return nil }
        return Declaration(
            id: id, name: name, purpose: purpose, bases: bases, justifications: justifications, dataItemsByClass: dataItems,
            retention: retention, trigger: trigger, conditions: conditions, attributionNote: attribution)
    }

    private mutating func required(_ node: JSONNode, _ field: String) -> JSONNode? {
        guard let value = node[field] else {
            report(.missingField, field, line: node.line, "missing")
            return nil
        }
        return value
    }

    private mutating func id(_ node: JSONNode, firstLine: inout [CountermeasureID: Int]) -> CountermeasureID? {
        guard let idNode = required(node, "id") else { return nil }
        guard case .string(let raw) = idNode.value else {
            report(.wrongType, "id", line: idNode.line, "expected a text such as \"smtp-brute-force\", found \(idNode.kindName)")
            return nil
        }
        let id = CountermeasureID(raw)
        guard id.isWellFormed else {
            report(.invalidID, "id", line: idNode.line, "an id is lowercase letters and digits in words joined by '-'")
            return nil
        }
        if let earlier = firstLine[id] {
            report(.duplicateID, "id", line: idNode.line, "duplicate id; it is already declared at line \(earlier)")
            return nil
        }
        firstLine[id] = idNode.line
        return id
    }

    /// A `{"ja", "en"}` text; `nil` (with problems) when it is not one.
    private mutating func text(_ node: JSONNode, _ field: String, what: String = "text") -> LocalizedText? {
        guard case .object(let members) = node.value else {
            report(.wrongType, field, line: node.line, "expected {\"ja\": \"…\", \"en\": \"…\"}, found \(node.kindName)")
            return nil
        }
        var ok = true
        for member in members where member.key != "ja" && member.key != "en" {
            report(.unknownField, "\(field).\(member.key)", line: member.value.line, "unknown language; write \"ja\" and \"en\"")
            ok = false
        }
        var texts: [String: String] = [:]
        for (language, languageName) in [("ja", "Japanese"), ("en", "English")] {
            guard let value = node[language] else {
                report(
                    .missingLanguage, "\(field).\(language)", line: node.line,
                    "the \(what) has no \(languageName) text; both Japanese (ja) and English (en) are required")
                ok = false
                continue
            }
            guard case .string(let string) = value.value else {
                report(.wrongType, "\(field).\(language)", line: value.line, "expected a text, found \(value.kindName)")
                ok = false
                continue
            }
            guard !string.allSatisfy(\.isWhitespace) else {
                report(
                    .missingLanguage, "\(field).\(language)", line: value.line,
                    "the \(what)'s \(languageName) text is empty; both Japanese (ja) and English (en) are required")
                ok = false
                continue
            }
            texts[language] = string
        }
        guard ok, let ja = texts["ja"], let en = texts["en"] else { return nil }
        return LocalizedText(ja: ja, en: en)
    }

    private mutating func bases(_ node: JSONNode) -> [LegalBasis] {
        let allowed = LegalBasis.allCases.map(\.rawValue).joined(separator: ", ")
        let entries: [(node: JSONNode, path: String)]
        switch node.value {
        case .string: entries = [(node, "basis")]
        case .array(let elements) where !elements.isEmpty:
            entries = elements.enumerated().map { ($1, "basis[\($0)]") }
        default:
            report(.wrongType, "basis", line: node.line, "expected one of \(allowed), or a non-empty list of them; found \(node.kindName)")
            return []
        }
        var bases: [LegalBasis] = []
        for (entry, path) in entries {
            guard case .string(let raw) = entry.value else {
                report(.wrongType, path, line: entry.line, "expected one of \(allowed); found \(entry.kindName)")
                continue
            }
            guard let basis = LegalBasis(rawValue: raw) else {
                report(.unknownBasis, path, line: entry.line, "unknown basis \"\(raw)\"; one of \(allowed)")
                continue
            }
            guard !bases.contains(basis) else {
                report(.duplicateEntry, path, line: entry.line, "the basis \(raw) is named twice")
                continue
            }
            bases.append(basis)
        }
        return bases
    }

    private mutating func justifications(
        _ declaration: JSONNode, bases: [LegalBasis], basesComplete: Bool
    ) -> [Requirement: LocalizedText] {
        let node = declaration["justifications"]
        var members: [JSONNode.Member] = []
        if let node {
            if case .object(let list) = node.value {
                members = list
            } else {
                report(
                    .wrongType, "justifications", line: node.line,
                    "expected an object with one {\"ja\", \"en\"} text per requirement, found \(node.kindName)")
            }
        }
        let needed = bases.flatMap(\.requirements)
        var result: [Requirement: LocalizedText] = [:]
        for member in members {
            let path = "justifications.\(member.key)"
            guard let requirement = Requirement(rawValue: member.key) else {
                let hint = needed.isEmpty ? "" : "; the declared bases require \(needed.map(\.rawValue).joined(separator: ", "))"
                report(.unknownRequirement, path, line: member.value.line, "unknown requirement \"\(member.key)\"\(hint)")
                continue
            }
            guard needed.contains(requirement) else {
                guard basesComplete else { continue }
                report(
                    .unexpectedJustification, path, line: member.value.line,
                    "\(member.key) is a requirement of the \(requirement.basis) basis, which the declaration does not name")
                continue
            }
            if let text = text(member.value, path, what: "justification") { result[requirement] = text }
        }
        for requirement in needed where !members.contains(where: { $0.key == requirement.rawValue }) {
            report(
                .missingJustification, "justifications.\(requirement.rawValue)", line: node?.line ?? declaration.line,
                "the \(requirement.basis) basis requires a justification, none given")
        }
        return result
    }

    private mutating func dataItems(_ node: JSONNode) -> [DataClass: [DataItem]] {
        guard case .object(let members) = node.value, !members.isEmpty else {
            report(
                .wrongType, "dataItems", line: node.line,
                "expected an object listing the data items per data class, e.g. {\"sightings\": [\"source-ip\", \"timestamp\"]}")
            return [:]
        }
        var result: [DataClass: [DataItem]] = [:]
        for member in members {
            let path = "dataItems.\(member.key)"
            guard let dataClass = DataClass(rawValue: member.key) else {
                report(
                    .unknownDataClass, path, line: member.value.line,
                    "unknown data class \"\(member.key)\"; one of \(DataClass.allCases.map(\.rawValue).joined(separator: ", "))")
                continue
            }
            guard case .array(let elements) = member.value.value, !elements.isEmpty else {
                report(.wrongType, path, line: member.value.line, "expected a non-empty list of data items")
                continue
            }
            var items: [DataItem] = []
            for (offset, element) in elements.enumerated() {
                let itemPath = "\(path)[\(offset)]"
                guard case .string(let raw) = element.value else {
                    report(.wrongType, itemPath, line: element.line, "expected a data item, found \(element.kindName)")
                    continue
                }
                guard let item = DataItem(rawValue: raw) else {
                    report(
                        .unknownDataItem, itemPath, line: element.line,
                        "unknown data item \"\(raw)\"; one of \(DataItem.allCases.map(\.rawValue).joined(separator: ", "))")
                    continue
                }
                guard !items.contains(item) else {
                    report(.duplicateEntry, itemPath, line: element.line, "the data item \(raw) is listed twice")
                    continue
                }
                items.append(item)
            }
            result[dataClass] = items
        }
        return result
    }

    private mutating func retention(_ declaration: JSONNode, used: Set<DataClass>) -> [DataClass: Int] {
        var result: [DataClass: Int] = [:]
        var given: Set<String> = []
        let node = declaration["retention"]
        if let node {
            if case .object(let members) = node.value {
                for member in members {
                    given.insert(member.key)
                    let path = "retention.\(member.key)"
                    guard let dataClass = DataClass(rawValue: member.key) else {
                        report(
                            .unknownDataClass, path, line: member.value.line,
                            "unknown data class \"\(member.key)\"; one of \(DataClass.allCases.map(\.rawValue).joined(separator: ", "))")
                        continue
                    }
                    guard case .number(let literal) = member.value.value, let days = Int(literal), days >= 0 else {
                        report(.invalidRetention, path, line: member.value.line, "expected a whole number of days ≥ 0")
                        continue
                    }
                    guard dataClass != .transient || days == 0 else {
                        report(.invalidRetention, path, line: member.value.line, "transient data is never stored; its retention must be 0")
                        continue
                    }
                    guard used.contains(dataClass) else {
                        report(
                            .unusedRetention, path, line: member.value.line,
                            "a retention is given but no data item is kept in \(member.key); remove it or list the items under dataItems.\(member.key)"
                        )
                        continue
                    }
                    result[dataClass] = days
                }
            } else {
                report(.wrongType, "retention", line: node.line, "expected an object of days per data class, e.g. {\"sightings\": 90}")
            }
        }
        for dataClass in DataClass.allCases where used.contains(dataClass) && !given.contains(dataClass.rawValue) {
            report(
                .missingRetention, "retention.\(dataClass.rawValue)", line: node?.line ?? declaration.line,
                "data items are kept in the data class \(dataClass.rawValue) (dataItems.\(dataClass.rawValue)) but no retention is given")
        }
        return result
    }

    private mutating func trigger(_ node: JSONNode, bases: [LegalBasis]) -> Trigger? {
        let expected = "\"always\", \"per-consent\" or {\"while-alert\": \"alert-name\"}"
        let trigger: Trigger
        switch node.value {
        case .string("always"): trigger = .always
        case .string("per-consent"): trigger = .perConsent
        case .object(let members):
            guard members.count == 1, members[0].key == "while-alert", case .string(let name) = members[0].value.value,
                !name.allSatisfy(\.isWhitespace)
            else {
                report(.unknownTrigger, "trigger", line: node.line, "unknown trigger; expected \(expected)")
                return nil
            }
            trigger = .whileAlert(name)
        case .string(let other):
            report(.unknownTrigger, "trigger", line: node.line, "unknown trigger \"\(other)\"; expected \(expected)")
            return nil
        default:
            report(.unknownTrigger, "trigger", line: node.line, "unknown trigger; expected \(expected)")
            return nil
        }
        let consent = bases.contains(where: \.isConsent)
        if !bases.isEmpty, consent != (trigger == .perConsent) {
            report(
                .inconsistentTrigger, "trigger", line: node.line,
                consent
                    ? "a consent-based measure acts only per consent; write \"per-consent\""
                    : "\"per-consent\" needs the consent basis")
            return nil
        }
        return trigger
    }

    private mutating func conditions(_ node: JSONNode) -> [LocalizedText] {
        guard case .array(let elements) = node.value else {
            report(.wrongType, "conditions", line: node.line, "expected a list of {\"ja\", \"en\"} texts, found \(node.kindName)")
            return []
        }
        return elements.enumerated().compactMap { offset, element in text(element, "conditions[\(offset)]", what: "condition") }
    }
}
