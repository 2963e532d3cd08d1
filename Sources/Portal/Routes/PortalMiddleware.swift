import Hummingbird
import Logging

/// Sets the security headers on every response and turns every error into a page.
///
/// A route that does not exist answers with the refusal page, so a mistyped or cut-off link
/// looks exactly like an expired one. Other errors answer with the "not available right now"
/// page; the log names the error's type only (an error's text could carry a request's values).
struct PortalMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    let pages: Pages
    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError where error.status == .notFound {
            logger.debug("no such route: refusal page")
            response = PortalRoutes.html(.notFound, pages.refusal)
        } catch let error as any HTTPResponseError {
            logger.notice("request refused", metadata: ["status": "\(error.status.code)"])
            response = PortalRoutes.html(error.status, pages.unavailable())
        } catch {
            logger.error("portal request failed", metadata: ["error.type": "\(String(reflecting: type(of: error)))"])
            response = PortalRoutes.html(.serviceUnavailable, pages.unavailable())
        }
        SecurityHeaders.apply(to: &response.headers)
        return response
    }
}
