import Foundation

/// A test-side reader of what the renderer wrote (or what smtp-sink dumped): headers unfolded,
/// RFC 2047 encoded-words and base64 bodies decoded. Independent of the code under test.
struct ParsedMail {
    /// Header fields in order, names as written, values unfolded (not decoded).
    var headers: [(name: String, value: String)]
    /// The body, line breaks as found.
    var body: String

    init(_ text: String) {
        // smtp-sink dumps with LF; the renderer writes CRLF. Read both.
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        let split = normalized.range(of: "\n\n")
        let head = split.map { String(normalized[..<$0.lowerBound]) } ?? normalized
        body = split.map { String(normalized[$0.upperBound...]) } ?? ""
        var fields: [(String, String)] = []
        for line in head.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.first == " " || line.first == "\t", !fields.isEmpty {
                fields[fields.count - 1].1 += line  // unfolding removes only the line break
            } else if let colon = line.firstIndex(of: ":") {
                let value = line[line.index(after: colon)...].drop(while: { $0 == " " })
                fields.append((String(line[..<colon]), String(value)))
            }
        }
        headers = fields
    }

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    func allHeaders(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    /// The body of a single-part message, decoded per its Content-Transfer-Encoding.
    var decodedBody: String? {
        MIMEDecode.body(body, transferEncoding: header("Content-Transfer-Encoding"))
    }

    /// The parts of a multipart body as (headers, decoded text).
    func parts() -> [ParsedMail] {
        guard let contentType = header("Content-Type"),
            let boundaryRange = contentType.range(of: "boundary=\"")
        else { return [] }
        let rest = contentType[boundaryRange.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return [] }
        let boundary = "--" + rest[..<end]
        var parts: [ParsedMail] = []
        var current: [Substring]?
        for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == boundary || line == boundary + "--" {
                if let current { parts.append(ParsedMail(current.joined(separator: "\n"))) }
                if line != boundary { break }
                current = []
            } else {
                current?.append(line)
            }
        }
        return parts
    }
}

enum MIMEDecode {
    /// Decodes a header value made of encoded-words (`=?UTF-8?B?…?=`) and plain words; white
    /// space between two adjacent encoded-words is dropped (RFC 2047 §6.2).
    static func header(_ value: String) -> String? {
        var output = ""
        var pendingSpace = ""
        var previousWasEncoded = false
        for token in value.split(separator: " ", omittingEmptySubsequences: false) {
            if token.hasPrefix("=?"), token.hasSuffix("?="), token.count > 4 {
                let inner = token.dropFirst(2).dropLast(2)
                let pieces = inner.split(separator: "?", maxSplits: 2, omittingEmptySubsequences: false)
                guard pieces.count == 3, pieces[0].uppercased() == "UTF-8", pieces[1].uppercased() == "B",
                    let data = Data(base64Encoded: String(pieces[2]))
                else { return nil }
                if !previousWasEncoded { output += pendingSpace }
                output += String(decoding: data, as: UTF8.self)
                previousWasEncoded = true
            } else {
                output += pendingSpace + token
                previousWasEncoded = false
            }
            pendingSpace = " "
        }
        return output
    }

    static func body(_ body: String, transferEncoding: String?) -> String? {
        switch transferEncoding?.lowercased() {
        case "base64":
            let compact = body.filter { !$0.isWhitespace }
            return Data(base64Encoded: compact).map { String(decoding: $0, as: UTF8.self) }
        default:
            return body
        }
    }
}
