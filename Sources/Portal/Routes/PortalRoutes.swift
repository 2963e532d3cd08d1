import Foundation
import Hummingbird
import Logging
import Remediation

/// The subscriber-facing routes.
///
/// The personal-link token appears in no log line, no error and no metric: log lines name the
/// outcome only.
struct PortalRoutes: Sendable {
    let desk: any RemediationDesk
    let pages: Pages
    let formCheck: FormCheck
    let allowedOrigins: Set<String>
    let logger: Logger
    let now: @Sendable () -> Date

    /// The largest form body accepted (the form has two short fields).
    static let maximumFormBytes = 4096

    func register(on router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in Self.html(.ok, pages.landing()) }
        router.get("/healthz") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("/r/{token}") { request, context in try await page(request, context) }
        router.post("/r/{token}/remediated") { request, context in try await remediated(request, context) }
        // A reload or a bookmark of the form's address: back to the page.
        router.get("/r/{token}/remediated") { _, context in
            let token = context.parameters.get("token") ?? ""
            guard TokenShape.isWellFormed(token) else { return refused(context, reason: "malformed") }
            return Self.redirect(to: "/r/\(token)")
        }
    }

    // MARK: Handlers

    private func page(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        guard TokenShape.isWellFormed(token) else { return refused(context, reason: "malformed") }
        let language = request.uri.queryParameters.get("lang").flatMap(Language.init(rawValue:))
        switch try await desk.page(token: token, language: language, now: now()) {
        case .page(let page):
            log(context).info(
                "remediation page shown", metadata: ["language": "\(page.language.rawValue)", "status": "\(page.status.rawValue)"])
            return Self.html(.ok, pages.remediation(page, token: token))
        case .refused:
            return refused(context, reason: "desk")
        }
    }

    private func remediated(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        guard TokenShape.isWellFormed(token) else { return refused(context, reason: "malformed") }
        var request = request
        let body = try await request.collectBody(upTo: Self.maximumFormBytes)
        let form = RemediatedForm.fields(String(buffer: body))
        let language = form["lang"].flatMap(Language.init(rawValue:))
        if let site = crossSite(request) {
            log(context).notice("remediated form refused", metadata: ["reason": "\(site)"])
            return Self.html(.forbidden, pages.retry(token: token, language: language ?? .ja))
        }
        guard formCheck.accepts(form[FormCheck.fieldName], for: token) else {
            log(context).notice("remediated form refused", metadata: ["reason": "check-field"])
            return Self.html(.forbidden, pages.retry(token: token, language: language ?? .ja))
        }
        switch try await desk.markRemediated(token: token, language: language, now: now()) {
        case .page(let page):
            log(context).info("remediated reported", metadata: ["language": "\(page.language.rawValue)"])
            return Self.redirect(to: "/r/\(token)?lang=\(page.language.rawValue)")
        case .refused:
            return refused(context, reason: "desk")
        }
    }

    // MARK: Helpers

    private func refused(_ context: BasicRequestContext, reason: String) -> Response {
        log(context).info("personal link refused", metadata: ["reason": "\(reason)"])
        return Self.html(.notFound, pages.refusal)
    }

    /// Why a form post is cross-site, or nil when nothing says it is.
    ///
    /// A browser's `Sec-Fetch-Site` and a non-null `Origin` are trusted when present; their absence
    /// is not held against the request (the form field is the protection that always applies).
    private func crossSite(_ request: Request) -> String? {
        if let site = request.headers[SecurityHeaders.secFetchSite]?.lowercased(), site == "cross-site" || site == "same-site" {
            return "sec-fetch-site"
        }
        if let origin = request.headers[.origin]?.lowercased(), origin != "null" {
            var allowed = allowedOrigins
            if let authority = request.head.authority?.lowercased() {
                allowed.insert("http://" + authority)
                allowed.insert("https://" + authority)
            }
            if !allowed.contains(origin) { return "origin" }
        }
        return nil
    }

    private func log(_ context: BasicRequestContext) -> Logger {
        var logger = logger
        if let id = context.logger[metadataKey: "hb.request.id"] { logger[metadataKey: "hb.request.id"] = id }
        return logger
    }

    static func html(_ status: HTTPResponse.Status, _ page: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    static func redirect(to location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// The origin (`scheme://host[:port]`, lower case, default port left out) of `url`.
    static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            let host = components.host?.lowercased(), !host.isEmpty
        else { return nil }
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        if let port = components.port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) {
            return "\(scheme)://\(hostPart):\(port)"
        }
        return "\(scheme)://\(hostPart)"
    }
}
