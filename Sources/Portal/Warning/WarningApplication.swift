public import Foundation
public import Hummingbird
public import Logging
public import SiteWarning

/// The router of the DNS guard's warning server.
///
/// The guard answers a listed malware-site name with the warning address; the browser then asks
/// this server for the page, with the listed name in `Host`. Routes, for **any** `Host`:
/// - `GET /` and every other `GET`: the warning page for the host asked for, in the language
///   `Accept-Language` prefers (Japanese by default; `?lang=ja|en` switches). For a client whose
///   line is in the live sessions it has a link that turns the warning off and a "continue
///   anyway" form, each signed for that line (see `WarningTokens`).
/// - `GET /choice/{token}`: a confirmation page with a form; `POST /choice/{token}` records the
///   change (`channel: .page`, the terms' version) and shows how to change it back.
/// - `POST /continue`: lets the line reach the host for ``WarningPageConfiguration/bypassDuration``
///   and tells the subscriber to reload.
///
/// An expired, altered or foreign token, a client whose line is unknown, and a form posted from
/// elsewhere (`Sec-Fetch-Site`, `Origin`) all get the same page (403), which points to the choice
/// page. Every page carries (ア)(イ)(ウ). Every response carries the portal's security headers
/// (CSP with no external resource, `no-referrer`, `no-store`, `nosniff`); no cookie is set.
/// The client's address, its line, the host and tokens are never logged.
///
/// - Parameters:
///   - configuration: names, terms, durations and the token key.
///   - consent: where a choice made on the page is recorded.
///   - sessions: the live table that gives the client's line from its TCP peer address.
///   - bypass: where "continue anyway" is granted (the guard's decision reads it).
///   - logger: where outcomes are logged.
///   - now: the clock.
public func makeWarningRouter(
    configuration: WarningPageConfiguration,
    consent: any ConsentRegistry,
    sessions: LiveSessions,
    bypass: BypassSet,
    logger: Logger,
    now: @escaping @Sendable () -> Date = { Date() }
) -> Router<WarningRequestContext> {
    let pages = WarningPages(ispName: configuration.ispName, terms: configuration.terms, bypassDuration: configuration.bypassDuration)
    let router = Router(context: WarningRequestContext.self)
    // Requests, durations and errors per route pattern (`/choice/{token}`, never the token).
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: WarningMiddleware(pages: pages, logger: logger))
    WarningRoutes(
        pages: pages, tokens: WarningTokens(key: configuration.tokenKey, lifetime: configuration.tokenLifetime), consent: consent,
        sessions: sessions, bypass: bypass, terms: configuration.terms, bypassDuration: configuration.bypassDuration, logger: logger,
        now: now
    ).register(on: router)
    return router
}

/// The warning server as a Hummingbird application listening on `configuration.host` and
/// `configuration.port`: a swift-service-lifecycle `Service`.
///
/// It speaks plain HTTP on one port; run nothing on 443 at the warning address, so that an HTTPS
/// site's name answered with the warning address fails fast in the browser instead of showing a
/// certificate warning (`docs/warning-page.md`).
///
/// ```swift
/// let warning = makeWarningApplication(
///     configuration: configuration, consent: registry, sessions: sessions, bypass: bypass, logger: logger)
/// try await ServiceGroup(configuration: .init(
///     services: [guard, warning], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)).run()
/// ```
///
/// - Parameters: as ``makeWarningRouter(configuration:consent:sessions:bypass:logger:now:)``.
public func makeWarningApplication(
    configuration: WarningPageConfiguration,
    consent: any ConsentRegistry,
    sessions: LiveSessions,
    bypass: BypassSet,
    logger: Logger,
    now: @escaping @Sendable () -> Date = { Date() }
) -> some ApplicationProtocol {
    Application(
        router: makeWarningRouter(
            configuration: configuration, consent: consent, sessions: sessions, bypass: bypass, logger: logger, now: now),
        configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port)),
        logger: logger
    )
}
