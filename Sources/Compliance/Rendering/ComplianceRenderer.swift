public import Foundation

/// The output formats of a compliance report.
public enum ReportFormat: String, Sendable, Hashable, CaseIterable {
    /// Markdown (pipe tables), mirroring the HTML.
    case md
    /// A standalone printable HTML page (inline CSS, A4, no JavaScript).
    case html
    /// The JSON contract (``ComplianceReport``'s `json`).
    case json
}

/// Renders a ``ComplianceReport`` in one format and language.
///
/// ```swift
/// let renderer = ComplianceRenderer(report: report, language: .ja)
/// try renderer.render(.html).write(to: url, atomically: true, encoding: .utf8)
/// ```
/// Times are shown in `timeZone` (Japan for Japanese, UTC for English, by default), each with its
/// offset; JSON times are always RFC 3339 UTC and its keys do not depend on the language.
public struct ComplianceRenderer: Sendable {
    public let report: ComplianceReport
    public let language: ReportLanguage
    public let timeZone: TimeZone

    public init(report: ComplianceReport, language: ReportLanguage = .ja, timeZone: TimeZone? = nil) {
        self.report = report
        self.language = language
        self.timeZone = timeZone ?? language.defaultTimeZone
    }

    /// The report in `format`.
    public func render(_ format: ReportFormat) -> String {
        switch format {
        case .md: markdown()
        case .html: html()
        case .json: json()
        }
    }

    /// Indented JSON with a trailing newline.
    public func json() -> String { report.json.pretty() + "\n" }

    /// One line of JSON.
    public func compactJSON() -> String { report.json.serialized() }

    public func html() -> String { HTMLWriter.write(document) }

    public func markdown() -> String { MarkdownWriter.write(document) + "\n" }

    private var document: Document { ReportDocumentBuilder(report: report, language: language, timeZone: timeZone).build() }
}
