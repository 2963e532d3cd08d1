import Addressing
import Foundation
import Hummingbird
import Logging
import Remediation
@_spi(LineLookup) import SiteWarning

/// The warning server's routes.
///
/// Log lines name outcomes only: never the host asked for, the line, the client's address or a
/// token.
struct WarningRoutes: Sendable {
    let pages: WarningPages
    let tokens: WarningTokens
    let consent: any ConsentRegistry
    let sessions: LiveSessions
    let bypass: BypassSet
    let terms: TermsPublication
    let bypassDuration: TimeInterval
    let logger: Logger
    let now: @Sendable () -> Date

    /// The largest form body accepted (the forms have two short fields).
    static let maximumFormBytes = 4096

    func register(on router: Router<WarningRequestContext>) {
        router.get("/choice/{token}") { request, context in confirm(request, context) }
        router.post("/choice/{token}") { request, context in try await change(request, context) }
        router.post("/continue") { request, context in try await proceed(request, context) }
        // Every other address, on every host: the warning.
        router.get("/") { request, context in warning(request, context) }
        router.get("**") { request, context in warning(request, context) }
    }

    // MARK: Handlers

    private func warning(_ request: Request, _ context: WarningRequestContext) -> Response {
        let language = Self.language(request)
        let host = WarningRequest.host(request.head.authority)
        let time = now()
        var offer = WarningPages.Offer()
        let line = context.peerAddress.flatMap { sessions.line(for: $0, now: time) }
        if let line {
            offer.choiceLink = "/choice/" + tokens.choice(line: line, measure: .malwareSiteWarning, choice: .off, now: time)
            if let host { offer.proceedToken = tokens.proceed(line: line, host: host, now: time) }
        }
        log(context).info(
            "warning page shown",
            metadata: ["language": "\(language.rawValue)", "line.known": "\(line != nil)", "host.readable": "\(host != nil)"])
        return Self.html(.ok, pages.warning(host: host, offer: offer, language: language))
    }

    private func confirm(_ request: Request, _ context: WarningRequestContext) -> Response {
        let language = Self.language(request)
        let token = context.parameters.get("token") ?? ""
        let time = now()
        guard let line = context.peerAddress.flatMap({ sessions.line(for: $0, now: time) }),
            let asked = tokens.verifyChoice(token, line: line, now: time)
        else { return refused(context, language: language, reason: "token") }
        log(context).info("choice confirmation shown", metadata: ["language": "\(language.rawValue)"])
        return Self.html(.ok, pages.confirm(token: token, choice: asked.choice, language: language))
    }

    private func change(_ request: Request, _ context: WarningRequestContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        var request = request
        let form = RemediatedForm.fields(String(buffer: try await request.collectBody(upTo: Self.maximumFormBytes)))
        let language = form["lang"].flatMap(Language.init(rawValue:)) ?? .ja
        if let site = crossSite(request) { return refused(context, language: language, reason: site) }
        guard form["t"] == token else { return refused(context, language: language, reason: "form") }
        let time = now()
        guard let line = context.peerAddress.flatMap({ sessions.line(for: $0, now: time) }),
            let asked = tokens.verifyChoice(token, line: line, now: time)
        else { return refused(context, language: language, reason: "token") }
        do {
            try await consent.set(
                ConsentChange(
                    line: line, measure: asked.measure, choice: asked.choice, time: time, channel: .page, termsVersion: terms.version))
        } catch {
            log(context).error("choice not recorded", metadata: ["error.type": "\(String(reflecting: type(of: error)))"])
            return Self.html(.serviceUnavailable, pages.unavailable(language: language))
        }
        log(context).notice(
            "choice changed on the warning page", metadata: ["measure": "\(asked.measure.rawValue)", "choice": "\(asked.choice.rawValue)"])
        return Self.html(.ok, pages.done(choice: asked.choice, language: language))
    }

    private func proceed(_ request: Request, _ context: WarningRequestContext) async throws -> Response {
        var request = request
        let form = RemediatedForm.fields(String(buffer: try await request.collectBody(upTo: Self.maximumFormBytes)))
        let language = form["lang"].flatMap(Language.init(rawValue:)) ?? .ja
        if let site = crossSite(request) { return refused(context, language: language, reason: site) }
        let time = now()
        guard let host = WarningRequest.host(request.head.authority),
            let line = context.peerAddress.flatMap({ sessions.line(for: $0, now: time) }),
            let token = form["t"], tokens.verifyProceed(token, line: line, host: host, now: time),
            bypass.grant(line: line, domain: host, until: time.addingTimeInterval(bypassDuration))
        else { return refused(context, language: language, reason: "token") }
        log(context).info("continue anyway granted", metadata: ["language": "\(language.rawValue)"])
        return Self.html(.ok, pages.proceeded(host: host, language: language))
    }

    // MARK: Helpers

    private func refused(_ context: WarningRequestContext, language: Language, reason: String) -> Response {
        log(context).notice("warning page request refused", metadata: ["reason": "\(reason)"])
        return Self.html(.forbidden, pages.invalid(language: language))
    }

    /// Why a form post is cross-site, or nil when nothing says it is (as the portal's forms:
    /// `Sec-Fetch-Site` and a non-null `Origin` are trusted when present; the signed token is
    /// the protection that always applies).
    private func crossSite(_ request: Request) -> String? {
        if let site = request.headers[SecurityHeaders.secFetchSite]?.lowercased(), site == "cross-site" || site == "same-site" {
            return "sec-fetch-site"
        }
        if let origin = request.headers[.origin]?.lowercased(), origin != "null" {
            guard let authority = request.head.authority?.lowercased(), origin == "http://" + authority || origin == "https://" + authority
            else { return "origin" }
        }
        return nil
    }

    /// `?lang=ja|en` when given, else the `Accept-Language` preference (Japanese by default).
    static func language(_ request: Request) -> Language {
        if let asked = request.uri.queryParameters.get("lang").flatMap(Language.init(rawValue:)) { return asked }
        return WarningRequest.language(acceptLanguage: request.headers[.acceptLanguage])
    }

    private func log(_ context: WarningRequestContext) -> Logger {
        var logger = logger
        if let id = context.logger[metadataKey: "hb.request.id"] { logger[metadataKey: "hb.request.id"] = id }
        return logger
    }

    static func html(_ status: HTTPResponse.Status, _ page: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: page)))
    }
}

/// Sets the security headers on every response and turns every error into a page.
struct WarningMiddleware: RouterMiddleware {
    typealias Context = WarningRequestContext

    let pages: WarningPages
    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response: Response
        let language = WarningRoutes.language(request)
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            logger.notice("warning page request refused", metadata: ["status": "\(error.status.code)"])
            response = WarningRoutes.html(error.status, pages.invalid(language: language))
        } catch {
            logger.error("warning page request failed", metadata: ["error.type": "\(String(reflecting: type(of: error)))"])
            response = WarningRoutes.html(.serviceUnavailable, pages.unavailable(language: language))
        }
        SecurityHeaders.apply(to: &response.headers)
        return response
    }
}
