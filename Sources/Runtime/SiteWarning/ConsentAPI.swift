import Foundation
public import Hummingbird
public import Logging
import NIOCore
import Secrecy
public import SiteWarning

/// The consent API for the ISP's member site: a subscriber's choice for the DNS guard's
/// measures, read and changed with a bearer token (from a file, compared in constant time).
///
/// ```
/// curl -s -H "Authorization: Bearer $(cat api.token)" http://127.0.0.1:8091/api/v1/lines/user1%40isp/consent
/// curl -s -X PUT -H "Authorization: Bearer $(cat api.token)" -H 'Content-Type: application/json' \
///      -d '{"choice":"off","terms_version":"2026-04"}' \
///      http://127.0.0.1:8091/api/v1/lines/user1%40isp/consent/cnc-dns-block
/// ```
///
/// A change is recorded with channel `api` and reaches every running guard within a second. The
/// line id is never logged; a refused request is logged with its reason only.
public func makeConsentAPIApplication(
    consent: any ConsentRegistry, token: [UInt8], host: String, port: Int, termsVersion: String, logger: Logger
) -> some ApplicationProtocol {
    let router = Router(context: BasicRequestContext.self)
    let api = router.group("api/v1").add(middleware: BearerTokenMiddleware(token: token, logger: logger))
    api.get("lines/:line/consent") { _, context -> Response in
        let line = try ConsentAPIResponse.line(context.parameters.require("line"))
        guard line.rawValue.utf8.count <= 253, !line.rawValue.isEmpty else { return ConsentAPIResponse.error(.badRequest, "bad line id") }
        var object: [String: Any] = [:]
        for measure in ConsentMeasure.allCases {
            object[measure.rawValue] = try await consent.choice(line: line, measure: measure)?.rawValue ?? "default"
        }
        object["history"] = try await consent.history(line: line).map(ConsentAPIResponse.object)
        return ConsentAPIResponse.json(.ok, object)
    }
    api.put("lines/:line/consent/:measure") { request, context -> Response in
        let line = try ConsentAPIResponse.line(context.parameters.require("line"))
        guard let measure = ConsentMeasure(rawValue: try context.parameters.require("measure")) else {
            return ConsentAPIResponse.error(.notFound, "unknown measure: use malware-site-warning or cnc-dns-block")
        }
        let body = try await request.body.collect(upTo: 4096)
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let choiceText = object["choice"] as? String, let choice = ConsentChoice(rawValue: choiceText)
        else { return ConsentAPIResponse.error(.badRequest, "body: {\"choice\": \"on\"|\"off\", \"terms_version\": \"…\"}") }
        let terms = (object["terms_version"] as? String) ?? termsVersion
        let change = ConsentChange(line: line, measure: measure, choice: choice, time: Date(), channel: .api, termsVersion: terms)
        do {
            try change.validate()
        } catch {
            return ConsentAPIResponse.error(.badRequest, "\(error)")
        }
        try await consent.set(change)
        return ConsentAPIResponse.json(.ok, ConsentAPIResponse.object(change))
    }
    return Application(
        router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil), logger: logger)
}

/// Refuses a request without `Authorization: Bearer <the token>` (401), comparing in constant time.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]
    let logger: Logger
    /// The API's name in the log line of a refusal.
    var name = "consent API"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let header = request.headers[.authorization] ?? ""
        let prefix = "Bearer "
        guard header.hasPrefix(prefix), Self.equal(Array(header.dropFirst(prefix.count).utf8), token) else {
            logger.notice("\(name): request refused", metadata: ["reason": "missing or wrong bearer token"])
            var response = ConsentAPIResponse.error(.unauthorized, "a bearer token is required")
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        return try await next(request, context)
    }

    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count, !b.isEmpty else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}

enum ConsentAPIResponse {
    /// The path's line id, percent-decoded (`user1%40isp` is `user1@isp`).
    static func line(_ text: String) throws -> LineID {
        guard let decoded = text.removingPercentEncoding else { throw HTTPError(.badRequest, message: "bad line id") }
        return LineID(decoded)
    }

    static func json(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(status, ["error": message])
    }

    static func object(_ c: ConsentChange) -> [String: Any] {
        [
            "measure": c.measure.rawValue, "choice": c.choice.rawValue, "time": ISO8601DateFormatter().string(from: c.time),
            "channel": c.channel.rawValue, "terms_version": c.termsVersion,
        ]
    }
}

/// The API token from `path`: its first line, at least 16 bytes; the error names the file.
public func loadAPIToken(_ path: String) throws -> [UInt8] {
    let name = URL(fileURLWithPath: path).lastPathComponent
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw GuardSettingsError("\(name): cannot read the API token") }
    let token = text.split(whereSeparator: \.isNewline).first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
    guard token.utf8.count >= 16 else { throw GuardSettingsError("\(name): the API token must be at least 16 characters") }
    return Array(token.utf8)
}
