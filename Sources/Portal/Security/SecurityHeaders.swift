import Hummingbird

/// The headers every portal response carries.
///
/// The personal-link token is in the URL, so no page may leak its address (`no-referrer`), be
/// cached (`no-store`), be framed, load anything from elsewhere, or run a script.
enum SecurityHeaders {
    /// `Content-Security-Policy`: nothing but the page's own inline style; forms post only here.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    /// `HTTPField.Name`, reached through Hummingbird's re-exported `HTTPFields` (the portal
    /// does not depend on swift-http-types directly).
    typealias FieldName = HTTPFields.Element.Name

    // Valid header names (RFC 9110 tokens): the initialiser cannot fail on them.
    static let referrerPolicy = FieldName("Referrer-Policy")!
    static let secFetchSite = FieldName("Sec-Fetch-Site")!

    /// Sets the headers on `headers`, replacing any already there.
    static func apply(to headers: inout HTTPFields) {
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[referrerPolicy] = "no-referrer"
        headers[.cacheControl] = "no-store"
        headers[.xContentTypeOptions] = "nosniff"
    }
}
