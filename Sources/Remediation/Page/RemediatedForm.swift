import Foundation

/// The body of the portal's "I have cleaned my device" form (`POST /r/{token}/remediated`),
/// `application/x-www-form-urlencoded`, as sent by any client on the Internet.
///
/// Kept out of `Portal` so that it can be tested and fuzzed without the HTTP server
/// (`Fuzz/Sources/FuzzPortalForm`).
///
/// ```swift
/// let form = RemediatedForm.fields("lang=en&check=0f3a%20x")   // ["lang": "en", "check": "0f3a x"]
/// ```
public enum RemediatedForm {
    /// The fields of a urlencoded body; the last value of a repeated name wins. A name that is
    /// not valid percent-encoded UTF-8 is skipped; such a value reads as empty.
    public static func fields(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let first = parts.first, let name = decodeComponent(first) else { continue }
            fields[name] = parts.count > 1 ? decodeComponent(parts[1]) ?? "" : ""
        }
        return fields
    }

    private static func decodeComponent(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
