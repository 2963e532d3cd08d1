import Addressing
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Portal
import Secrecy
import SiteWarning

/// The warning server's shared values: the terms with recognisable texts, a line on 127.0.0.1.
enum WarningFixtures {
    /// 2026-04-10T01:00:00Z.
    static let now = Date(timeIntervalSince1970: 1_775_782_800)
    static let line = LineID("line-0001@isp.example")
    static let listedHost = "malware-dist.example"
    static let tokenKey = [UInt8](repeating: 0x5A, count: 32)

    static let terms = TermsPublication(
        version: "2026-04", termsURL: "https://www.isp.example/terms/security", publishedOn: "2026-04-01",
        choicePageURL: "https://member.isp.example/settings/security",
        sameConditionsStatement: LocalizedText(
            ja: "警告を止めても、月額料金や通信速度など、ほかのサービス条件はまったく同じです。",
            en: "Turning it off changes nothing else: the same price, the same speed, the same service."),
        pageExplanation: LocalizedText(
            ja: "まもりネットは、約款第12条に基づき、マルウェア配布サイトへのアクセスを警告しています。",
            en: "Under article 12 of the terms, Mamori Net warns before a malware-distribution site opens."),
        pageOptOutInstructions: LocalizedText(
            ja: "会員サイトにログインし、「セキュリティ設定」→「マルウェア配布サイト警告」で「利用しない」を選んでください。",
            en: "Log in to the member site and choose Security settings, then Malware-site warning, then Off."))

    static func configuration(terms: TermsPublication = terms) -> WarningPageConfiguration {
        WarningPageConfiguration(
            host: "127.0.0.1", port: 0, ispName: BilingualText(ja: "まもりネット", en: "Mamori Net"), terms: terms, bypassDuration: 3600,
            tokenKey: tokenKey, tokenLifetime: 1800)
    }

    /// Live sessions with `line` on 127.0.0.1 (and ::1, for a client that connects over IPv6).
    static func sessions(withLine: Bool = true) -> LiveSessions {
        let sessions = LiveSessions(expiry: 86_400)
        if withLine {
            sessions.start(
                line: line, prefixes: [IPPrefix(host: IPAddress("127.0.0.1")!), IPPrefix(host: IPAddress("::1")!)], at: now)
        }
        return sessions
    }

    static func app(
        consent: any ConsentRegistry = InMemoryConsentRegistry(), sessions: LiveSessions = sessions(), bypass: BypassSet = BypassSet(),
        terms: TermsPublication = terms, logger: Logger = Logger(label: "mamori.warning.test")
    ) -> some ApplicationProtocol {
        makeWarningApplication(
            configuration: configuration(terms: terms), consent: consent, sessions: sessions, bypass: bypass, logger: logger,
            now: { now })
    }
}

/// A client on 127.0.0.1 that sends any `Host`: the browser after the guard's answer.
struct WarningClient {
    let port: Int

    func get(_ path: String, host: String = WarningFixtures.listedHost, headers: HTTPFields = [:]) async throws -> TestClient.Response {
        try await send(TestClient.Request(path, method: .get, authority: host, headers: headers))
    }

    func post(
        _ path: String, host: String = WarningFixtures.listedHost, fields: [(String, String)], origin: String? = nil,
        fetchSite: String? = nil
    ) async throws -> TestClient.Response {
        try await send(
            TestClient.Request(
                path, method: .post, authority: host, headers: Form.headers(origin: origin, fetchSite: fetchSite), body: Form.body(fields)))
    }

    private func send(_ request: TestClient.Request) async throws -> TestClient.Response {
        let client = TestClient(host: "127.0.0.1", port: port)
        client.connect()
        do {
            let response = try await client.execute(request)
            try await client.shutdown()
            return response
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

extension TestClient.Response {
    /// The body as UTF-8 text.
    var text: String { body.map { String(buffer: $0) } ?? "" }

    /// The value of the hidden form field `name`.
    func hiddenField(_ name: String) -> String? {
        guard let range = text.range(of: "name=\"\(name)\" value=\"") else { return nil }
        let rest = text[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    /// The `href` of the first link to a path starting with `prefix`.
    func link(startingWith prefix: String) -> String? {
        guard let range = text.range(of: "href=\"\(prefix)") else { return nil }
        let start = text.index(range.lowerBound, offsetBy: 6)
        return text[start...].firstIndex(of: "\"").map { String(text[start..<$0]) }
    }
}
