/// A fragment of HTML whose interpolated strings are escaped.
///
/// Every `String` interpolated into an `HTML` literal is escaped (`&`, `<`, `>`, `"`, `'`), so a
/// value from a feed, the store or the request can never become markup; only another `HTML`
/// value is inserted as it is.
///
/// ```swift
/// let family = "<script>"
/// let html: HTML = "<dd>\(family)</dd>"  // <dd>&lt;script&gt;</dd>
/// ```
struct HTML: Sendable, Hashable, ExpressibleByStringInterpolation {
    /// The markup.
    private(set) var rendered: String

    init(stringLiteral value: String) {
        rendered = value
    }

    init(stringInterpolation: StringInterpolation) {
        rendered = stringInterpolation.rendered
    }

    /// Nothing.
    static let empty: HTML = ""

    /// `fragments` one after the other.
    init(joining fragments: some Sequence<HTML>) {
        rendered = fragments.reduce(into: "") { $0 += $1.rendered }
    }

    /// `text` escaped for use in element content and in double- or single-quoted attributes.
    static func escape(_ text: some StringProtocol) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// Builds an `HTML` value: literals as they are, strings escaped.
    struct StringInterpolation: StringInterpolationProtocol {
        fileprivate var rendered = ""

        init(literalCapacity: Int, interpolationCount: Int) {
            rendered.reserveCapacity(literalCapacity + 32 * interpolationCount)
        }

        mutating func appendLiteral(_ literal: String) {
            rendered += literal
        }

        /// A text: escaped.
        mutating func appendInterpolation(_ text: String) {
            rendered += HTML.escape(text)
        }

        /// Markup: as it is.
        mutating func appendInterpolation(_ html: HTML) {
            rendered += html.rendered
        }

        /// Markup fragments one after the other.
        mutating func appendInterpolation(_ fragments: [HTML]) {
            for fragment in fragments { rendered += fragment.rendered }
        }
    }
}
