import Foundation
import Hummingbird
import HummingbirdTesting

extension TestResponse {
    /// The body as UTF-8 text.
    var text: String { String(buffer: body) }

    /// The value of the hidden form field `name` in the body, as a browser would submit it.
    func hiddenField(_ name: String) -> String? {
        guard let range = text.range(of: "name=\"\(name)\" value=\"") else { return nil }
        let rest = text[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }

    /// The headers other than `Date` (the only one that may differ between two identical answers).
    var headersWithoutDate: [String] {
        headers.filter { $0.name != .date }.map { "\($0.name.canonicalName): \($0.value)" }
    }
}

/// Form-encoded request bodies and headers.
enum Form {
    static func body(_ fields: [(String, String)]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let text = fields.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
        return ByteBuffer(string: text)
    }

    static func headers(origin: String? = nil, fetchSite: String? = nil) -> HTTPFields {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let origin { headers[.origin] = origin }
        if let fetchSite, let name = HTTPFields.Element.Name("Sec-Fetch-Site") { headers[name] = fetchSite }
        return headers
    }
}
