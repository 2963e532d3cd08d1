import Foundation
import Secrecy
import TextScanning

/// A JSON value with ordered object keys, so the report's JSON reads in a stable, logical order.
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    static func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    static func optional(_ value: Int?) -> JSONValue { value.map(JSONValue.int) ?? .null }
    static func time(_ value: Date?) -> JSONValue { value.map { .string(Vocabulary.rfc3339($0)) } ?? .null }

    /// Compact JSON (one line).
    func serialized() -> String {
        var out = ""
        write(to: &out, indent: nil, depth: 0)
        return out
    }

    /// Indented JSON (two spaces), for people.
    func pretty() -> String {
        var out = ""
        write(to: &out, indent: "  ", depth: 0)
        return out
    }

    private func write(to out: inout String, indent: String?, depth: Int) {
        func newline(_ depth: Int) {
            guard let indent else { return }
            out += "\n" + String(repeating: indent, count: depth)
        }
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let n): out += "\(n)"
        case .string(let s): Self.quote(s, into: &out)
        case .array(let items):
            guard !items.isEmpty else {
                out += "[]"
                return
            }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                newline(depth + 1)
                item.write(to: &out, indent: indent, depth: depth + 1)
            }
            newline(depth)
            out += "]"
        case .object(let members):
            guard !members.isEmpty else {
                out += "{}"
                return
            }
            out += "{"
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out += "," }
                newline(depth + 1)
                Self.quote(key, into: &out)
                out += indent == nil ? ":" : ": "
                value.write(to: &out, indent: indent, depth: depth + 1)
            }
            newline(depth)
            out += "}"
        }
    }

    private static func quote(_ text: String, into out: inout String) {
        JSONText.appendString(text, to: &out)
    }
}

extension ComplianceReport {
    /// The report as JSON (the contract of `mamori report --format json`).
    ///
    /// ```json
    /// {"period":{"from":…,"to":…},"audit":{"intact":true,"records":N,"head":"…","checkpoint":{"size":N,"time":…}|null},
    ///  "countermeasures":[{"id":…,"basis":[…],"identifications":{"found":N,"not_found":N,"ambiguous":N},"disclosures":N,
    ///    "notices":{"queued":N,"sent":N,"failed":N},"cases":{"open":N,…},"refusals":N,"purges":N,
    ///    "retention":[{"class":…,"days":N,"oldest":…|null,"overdue":false}]}],
    ///  "retention":[{"class":…,"days":N,"oldest":…|null,"overdue":false,…}]}
    /// ```
    /// Times are RFC 3339 in UTC. Keys may be added; none is removed or renamed.
    var json: JSONValue {
        .object([
            ("report", .string("mamori-compliance")),
            ("version", .int(1)),
            ("generated_at", .time(generatedAt)),
            ("declarations", .object([("source", .string(declarationsSource)), ("sha256", .string(declarationsSHA256))])),
            ("period", .object([("from", .time(period.from)), ("to", .time(period.to))])),
            ("audit", auditJSON),
            ("records_in_period", .int(recordsInPeriod)),
            ("countermeasures", .array(countermeasures.map(\.json))),
            ("retention", .array(retention.map(\.json))),
            (
                "purges",
                .array(
                    purges.map { p -> JSONValue in
                        .object([("class", .string(p.dataClass.rawValue)), ("runs", .int(p.runs)), ("deleted", .int(p.deleted))])
                    })
            ),
            ("unattributed", .object(unattributed.sorted { $0.key < $1.key }.map { (key, value) -> (String, JSONValue) in (key, .int(value)) })),
            ("undeclared", .object(undeclared.sorted { $0.key < $1.key }.map { (key, value) -> (String, JSONValue) in (key.rawValue, .int(value)) })),
        ])
    }

    private var auditJSON: JSONValue {
        var members: [(String, JSONValue)] = [
            ("intact", .bool(audit.intact)), ("records", .int(audit.records)), ("head", .optional(audit.head)),
            (
                "checkpoint",
                audit.lastCheckpoint.map { c -> JSONValue in
                    .object([("size", .int(Int(c.size))), ("time", .time(c.time)), ("root", .string(Hex.encode(c.root)))])
                } ?? JSONValue.null
            ),
            ("checkpoints", .int(audit.checkpoints)), ("signed_checkpoints", .int(audit.signedCheckpoints)),
        ]
        if let brokenAt = audit.brokenAt { members.append(("broken_at", .int(Int(brokenAt)))) }
        if let reason = audit.reason { members.append(("reason", .string(reason))) }
        return .object(members)
    }
}

extension ComplianceReport.Countermeasure {
    var json: JSONValue {
        let d = declaration
        return .object([
            ("id", .string(d.id.rawValue)),
            ("name", .object([("ja", .string(d.name.ja)), ("en", .string(d.name.en))])),
            ("basis", .array(d.bases.map { JSONValue.string($0.rawValue) })),
            ("trigger", .string(d.trigger.description)),
            ("attribution", .bool(d.allowsAttribution)),
            (
                "identifications",
                .object([
                    ("found", .int(identifications.found)), ("not_found", .int(identifications.notFound)),
                    ("ambiguous", .int(identifications.ambiguous)),
                ])
            ),
            ("disclosures", .int(disclosures)),
            ("notices", .object([("queued", .int(notices.queued)), ("sent", .int(notices.sent)), ("failed", .int(notices.failed))])),
            ("cases", .object(cases.map { c -> (String, JSONValue) in (c.state, .int(c.count)) })),
            ("refusals", .int(refusals)),
            ("purges", .int(purges)),
            (
                "purges_by_class",
                .object(
                    purgesByClass.map { p -> (String, JSONValue) in
                        (p.dataClass.rawValue, .object([("runs", .int(p.runs)), ("deleted", .int(p.deleted))]))
                    })
            ),
            ("actions", .object(actions.sorted { $0.key < $1.key }.map { (key, value) -> (String, JSONValue) in (key, .int(value)) })),
            ("retention", .array(retention.map(\.json))),
        ])
    }
}

extension ComplianceReport.Retention {
    var json: JSONValue {
        .object([
            ("class", .string(dataClass.rawValue)),
            ("days", .optional(days)),
            ("class_days", .optional(classDays)),
            ("set_by", .array(setBy.map { JSONValue.string($0.rawValue) })),
            ("tracked", .bool(tracked)),
            ("count", .optional(count)),
            ("oldest", .time(oldest)),
            ("overdue", .bool(overdue)),
        ])
    }
}
