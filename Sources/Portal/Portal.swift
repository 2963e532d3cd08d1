public import Foundation
public import Hummingbird
public import Logging
public import Remediation

/// The router of the subscriber portal: the remediation pages of personal links.
///
/// Routes:
/// - `GET /r/{token}`: the remediation page; `?lang=ja|en` switches the language, else the
///   desk picks the subscriber's preferred one.
/// - `POST /r/{token}/remediated`: the "I have cleaned my device" form; `303 See Other` back to
///   the page, which then thanks the subscriber. Guarded by a form field derived from the token
///   (see ``PortalConfiguration``); a post without it gets `403` and a "please try again" page.
/// - `GET /`: a neutral landing page; `GET /healthz`: `ok`.
///
/// An unknown, expired, revoked or malformed token, and any path that is not a route, gets the
/// same refusal page, byte for byte, with status `404`. Every response carries
/// `Content-Security-Policy`, `Referrer-Policy: no-referrer`, `Cache-Control: no-store` and
/// `X-Content-Type-Options: nosniff`. No token is ever logged.
///
/// ```swift
/// let router = makePortalRouter(desk: desk, configuration: configuration, logger: logger)
/// let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 8080)))
/// ```
///
/// - Parameters:
///   - desk: answers personal links and records "remediated" (and audits both).
///   - configuration: names, contact text, public address and form key.
///   - logger: where the portal logs outcomes (never a token).
///   - now: the clock handed to the desk.
public func makePortalRouter(
    desk: any RemediationDesk,
    configuration: PortalConfiguration,
    logger: Logger,
    now: @escaping @Sendable () -> Date = { Date() }
) -> Router<BasicRequestContext> {
    let formCheck = FormCheck(key: configuration.formKey)
    let pages = Pages(ispName: configuration.ispName, contact: configuration.contact, formCheck: formCheck)
    let router = Router(context: BasicRequestContext.self)
    // Requests, durations and errors per route pattern (`/r/{token}`, never the token itself).
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: PortalMiddleware(pages: pages, logger: logger))
    let routes = PortalRoutes(
        desk: desk, pages: pages, formCheck: formCheck,
        allowedOrigins: Set([PortalRoutes.origin(of: configuration.publicBaseURL)].compactMap { $0 }),
        logger: logger, now: now)
    routes.register(on: router)
    return router
}

/// The subscriber portal as a Hummingbird application listening on `configuration.host` and
/// `configuration.port`.
///
/// The application is a swift-service-lifecycle `Service`: run it in the executable's one
/// `ServiceGroup`, which shuts it down gracefully.
///
/// ```swift
/// let portal = makePortalApplication(desk: desk, configuration: configuration, logger: logger)
/// try await ServiceGroup(configuration: .init(
///     services: [portal], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)).run()
/// ```
///
/// - Parameters: as ``makePortalRouter(desk:configuration:logger:now:)``.
public func makePortalApplication(
    desk: any RemediationDesk,
    configuration: PortalConfiguration,
    logger: Logger,
    now: @escaping @Sendable () -> Date = { Date() }
) -> some ApplicationProtocol {
    Application(
        router: makePortalRouter(desk: desk, configuration: configuration, logger: logger, now: now),
        configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port)),
        logger: logger
    )
}
