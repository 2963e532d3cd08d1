/// A small document model both the HTML and the Markdown renderers write, so that the two
/// formats say the same things under the same headings.
struct Document {
    /// A run of text with one style.
    enum Span {
        case text(String)
        case strong(String)
        case code(String)
        /// A fact a reader must not miss (a broken chain, an overdue class).
        case alert(String)
        /// A fact that is as it should be.
        case ok(String)
        /// A line break inside a cell (`<br>` in both formats: GitHub Markdown tables allow it).
        case lineBreak
    }

    typealias Inline = [Span]

    enum Block {
        case heading(level: Int, Inline, anchor: String?)
        case paragraph(Inline)
        case note(Inline)
        /// Term and description pairs.
        case facts([(Inline, Inline)])
        case bullets([Inline])
        /// A table; `numeric` marks right-aligned columns; `widths` are percentages (HTML only).
        case table(header: [Inline], rows: [[Inline]], numeric: Set<Int>, widths: [Int]?)
        /// A group kept together where it fits (HTML `section`).
        case section(anchor: String?, [Block])
    }

    var language: ReportLanguage
    var title: String
    var blocks: [Block] = []
}

extension Document.Span {
    var plain: String {
        switch self {
        case .text(let s), .strong(let s), .code(let s), .alert(let s), .ok(let s): s
        case .lineBreak: "\n"
        }
    }
}

extension Array where Element == Document.Span {
    static func t(_ s: String) -> Self { [.text(s)] }
}
