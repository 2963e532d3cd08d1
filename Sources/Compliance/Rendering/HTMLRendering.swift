/// Writes a ``Document`` as one standalone, printable HTML page: inline CSS with A4 print
/// styles, no JavaScript, no external resource.
struct HTMLWriter {
    static let style = """
        @page { size: A4; margin: 15mm 13mm 16mm 13mm; }
        * { box-sizing: border-box; }
        html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
        body { font-family: "Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", "Yu Gothic", "Meiryo", sans-serif;
               font-size: 9pt; line-height: 1.5; color: #111; margin: 0 auto; max-width: 184mm; }
        h1 { font-size: 17pt; line-height: 1.3; margin: 0 0 4mm; padding-bottom: 2mm; border-bottom: 3px solid #1f3a5f; color: #1f3a5f; }
        h2 { font-size: 13pt; margin: 7mm 0 2.5mm; padding: 1mm 0 1mm 2.5mm; border-left: 5px solid #1f3a5f; background: #eef2f7;
             break-after: avoid; page-break-after: avoid; }
        h3 { font-size: 10.5pt; margin: 4.5mm 0 1.5mm; color: #1f3a5f; break-after: avoid; page-break-after: avoid; }
        h4 { font-size: 9.5pt; margin: 3mm 0 1mm; color: #333; break-after: avoid; page-break-after: avoid; }
        section.countermeasure { margin-top: 6mm; }
        section.countermeasure h3 { font-size: 12pt; margin: 0 0 1mm; padding: 1mm 0 1mm 2mm; border-bottom: 1.5px solid #1f3a5f; }
        p { margin: 1.5mm 0; }
        ul { margin: 1mm 0; padding-left: 5mm; }
        li { margin: 0.6mm 0; }
        table { width: 100%; border-collapse: collapse; table-layout: fixed; margin: 1.5mm 0 3mm; }
        th, td { border: 1px solid #9aa5b1; padding: 1.2mm 1.6mm; vertical-align: top; text-align: left;
                 overflow-wrap: anywhere; word-break: normal; line-break: strict; }
        th { background: #e3e8ef; font-weight: bold; font-size: 8.5pt; }
        thead { display: table-header-group; }
        tr { break-inside: avoid; page-break-inside: avoid; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        td.num { white-space: nowrap; }
        table.summary { font-size: 8pt; }
        table.summary td, table.summary th { padding: 1mm 1.2mm; }
        table.summary th { font-size: 7pt; overflow-wrap: normal; }
        dl.facts { display: grid; grid-template-columns: 42mm 1fr; margin: 2mm 0 3mm; border-top: 1px solid #c7cfd8; }
        dl.facts dt, dl.facts dd { margin: 0; padding: 1mm 1.5mm; border-bottom: 1px solid #c7cfd8; }
        dl.facts dt { font-weight: bold; background: #f4f6f9; }
        dl.facts dd { overflow-wrap: anywhere; }
        code { font-family: "Noto Sans Mono CJK JP", "DejaVu Sans Mono", monospace; font-size: 0.88em; color: #334;
               overflow-wrap: anywhere; }
        .alert { color: #a40000; font-weight: bold; }
        .ok { color: #1b5e20; }
        .note { font-size: 8.5pt; color: #444; }
        .keep { break-inside: avoid; page-break-inside: avoid; }
        @media screen {
          body { padding: 8mm 6mm; }
        }
        """

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static func inline(_ spans: Document.Inline) -> String {
        spans.map { span in
            switch span {
            case .text(let s): escape(s)
            case .strong(let s): "<strong>\(escape(s))</strong>"
            case .code(let s): "<code>\(escape(s))</code>"
            case .alert(let s): "<strong class=\"alert\">\(escape(s))</strong>"
            case .ok(let s): "<span class=\"ok\">\(escape(s))</span>"
            case .lineBreak: "<br>"
            }
        }.joined()
    }

    static func write(_ document: Document) -> String {
        var out = """
            <!DOCTYPE html>
            <html lang="\(document.language.rawValue)">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="mamori report">
            <title>\(escape(document.title))</title>
            <style>
            \(style)
            </style>
            </head>
            <body>

            """
        for block in document.blocks { write(block, into: &out) }
        out += "</body>\n</html>\n"
        return out
    }

    private static func write(_ block: Document.Block, into out: inout String) {
        switch block {
        case .heading(let level, let text, let anchor):
            let id = anchor.map { " id=\"\(escape($0))\"" } ?? ""
            out += "<h\(level)\(id)>\(inline(text))</h\(level)>\n"
        case .paragraph(let text):
            out += "<p>\(inline(text))</p>\n"
        case .note(let text):
            out += "<p class=\"note\">\(inline(text))</p>\n"
        case .facts(let pairs):
            out += "<dl class=\"facts\">\n"
            for (term, value) in pairs { out += "<dt>\(inline(term))</dt><dd>\(inline(value))</dd>\n" }
            out += "</dl>\n"
        case .bullets(let items):
            out += "<ul>\n"
            for item in items { out += "<li>\(inline(item))</li>\n" }
            out += "</ul>\n"
        case .table(let header, let rows, let numeric, let widths):
            let summary = header.count >= 8
            out += summary ? "<table class=\"summary\">\n" : "<table>\n"
            if let widths {
                out += "<colgroup>" + widths.map { "<col style=\"width:\($0)%\">" }.joined() + "</colgroup>\n"
            }
            out += "<thead><tr>"
            for (index, cell) in header.enumerated() {
                out += numeric.contains(index) ? "<th class=\"num\">" : "<th>"
                out += inline(cell) + "</th>"
            }
            out += "</tr></thead>\n<tbody>\n"
            for row in rows {
                out += "<tr>"
                for (index, cell) in row.enumerated() {
                    out += numeric.contains(index) ? "<td class=\"num\">" : "<td>"
                    out += inline(cell) + "</td>"
                }
                out += "</tr>\n"
            }
            out += "</tbody>\n</table>\n"
        case .section(let anchor, let blocks):
            if let anchor {
                out += "<section class=\"countermeasure\" data-id=\"\(escape(anchor))\">\n"
            } else {
                out += "<div class=\"keep\">\n"
            }
            for inner in blocks { write(inner, into: &out) }
            out += anchor == nil ? "</div>\n" : "</section>\n"
        }
    }
}
