import Foundation

/// Writes a ``Document`` as CommonMark with pipe tables (GitHub style), mirroring the HTML.
struct MarkdownWriter {
    /// Escapes what Markdown would read as markup; `inTable` also escapes `|` and line breaks.
    static func escape(_ text: String, inTable: Bool) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\", "`", "*", "_", "[", "]", "<", ">", "#": out += "\\" + String(character)
            case "|" where inTable: out += "\\|"
            case "\n" where inTable: out += " "
            default: out.append(character)
            }
        }
        return out
    }

    static func inline(_ spans: Document.Inline, inTable: Bool = false) -> String {
        spans.map { span in
            switch span {
            case .text(let s): escape(s, inTable: inTable)
            case .strong(let s): "**\(escape(s, inTable: inTable))**"
            case .code(let s): "`\(s.replacingOccurrences(of: "`", with: "'").replacingOccurrences(of: "|", with: inTable ? "\\|" : "|"))`"
            case .alert(let s): "**⚠ \(escape(s, inTable: inTable))**"
            case .ok(let s): escape(s, inTable: inTable)
            case .lineBreak: "<br>"
            }
        }.joined()
    }

    static func write(_ document: Document) -> String {
        var out = ""
        for block in document.blocks { write(block, into: &out) }
        while out.hasSuffix("\n\n") { out.removeLast() }
        return out
    }

    private static func write(_ block: Document.Block, into out: inout String) {
        switch block {
        case .heading(let level, let text, _):
            out += String(repeating: "#", count: level) + " " + inline(text) + "\n\n"
        case .paragraph(let text):
            out += inline(text) + "\n\n"
        case .note(let text):
            out += "> " + inline(text) + "\n\n"
        case .facts(let pairs):
            out += "| | |\n|---|---|\n"
            for (term, value) in pairs { out += "| **\(inline(term, inTable: true))** | \(inline(value, inTable: true)) |\n" }
            out += "\n"
        case .bullets(let items):
            for item in items { out += "- " + inline(item) + "\n" }
            out += "\n"
        case .table(let header, let rows, let numeric, _):
            out += "| " + header.map { inline($0, inTable: true) }.joined(separator: " | ") + " |\n"
            out += "|" + header.indices.map { numeric.contains($0) ? "---:|" : "---|" }.joined() + "\n"
            for row in rows { out += "| " + row.map { inline($0, inTable: true) }.joined(separator: " | ") + " |\n" }
            out += "\n"
        case .section(_, let blocks):
            for inner in blocks { write(inner, into: &out) }
        }
    }
}
