import Foundation
public import Hummingbird
public import Logging
public import MailGuard
import NIOCore

/// The password-changed API for the ISP's systems: when the owner of a suspended SMTP AUTH ID
/// has changed the password (member site, support desk), that system ends the suspension. A
/// bearer token guards it (from a file, compared in constant time), as the consent API.
///
/// ```
/// curl -s -X POST -H "Authorization: Bearer $(cat mail-api.token)" -H 'Content-Type: application/json' \
///      -d '{"login":"alice@example.jp"}' http://127.0.0.1:8092/api/v1/mail/password-changed
/// ```
///
/// `200 {"lifted":true}` when the ID was suspended (the lift is audited with reason
/// `password-changed`, actor `api`, and reaches the store and every `serve` within a second),
/// `404 {"error":"not suspended"}` otherwise, `400` for a bad body, `401` without the token.
/// The login is never logged.
public func makeMailAPIApplication(guardian: MailGuard, token: [UInt8], host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
    Application(
        router: mailAPIRouter(guardian: guardian, token: token, logger: logger),
        configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil), logger: logger)
}

/// The routes of ``makeMailAPIApplication(guardian:token:host:port:logger:)``.
func mailAPIRouter(guardian: MailGuard, token: [UInt8], logger: Logger) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    let api = router.group("api/v1/mail").add(middleware: BearerTokenMiddleware(token: token, logger: logger, name: "mail API"))
    api.post("password-changed") { request, _ -> Response in
        let body = try await request.body.collect(upTo: 4096)
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let login = object["login"] as? String, !login.isEmpty, login.utf8.count <= 320
        else { return ConsentAPIResponse.error(.badRequest, "body: {\"login\": \"the SMTP AUTH ID\"}") }
        guard guardian.lift(authID: login, reason: "password-changed", actor: "api") else {
            return ConsentAPIResponse.error(.notFound, "not suspended")
        }
        logger.info("mail API: suspension lifted", metadata: ["reason": "password-changed"])
        return ConsentAPIResponse.json(.ok, ["lifted": true])
    }
    return router
}
