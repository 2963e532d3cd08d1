import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Portal
import SiteWarning
import Testing

/// The warning server's routes, live on loopback: the line comes from the TCP peer (127.0.0.1).
@Suite("The warning page's routes")
struct WarningRouteTests {
    @Test("any path on any host: the warning for that host, in Japanese by default, with the security headers")
    func warningForAnyHost() async throws {
        try await WarningFixtures.app().test(.live) { live in
            let client = WarningClient(port: try #require(live.port))
            for path in ["/", "/download/setup.exe?x=1", "/a/b/c"] {
                let response = try await client.get(path)
                #expect(response.status == .ok)
                let page = response.text
                #expect(page.contains("<html lang=\"ja\">"))
                #expect(page.contains("<h1>このサイトはウイルスを配布しているおそれがあります</h1>"))
                #expect(page.contains("<span class=\"site-name\">malware-dist.example</span>"))
                #expect(page.contains("href=\"/choice/"))
                #expect(page.contains("<form method=\"post\" action=\"/continue\""))
                #expect(response.head.headerFields[.contentSecurityPolicy] == SecurityHeadersExpected.csp)
                #expect(response.head.headerFields[.cacheControl] == "no-store")
                #expect(response.head.headerFields[.setCookie] == nil)
                #expect(!page.contains("127.0.0.1"))
                #expect(!page.contains(WarningFixtures.line.rawValue))
            }
            let other = try await client.get("/", host: "Other-Listed.Example:80")
            #expect(other.text.contains("<span class=\"site-name\">other-listed.example</span>"))
        }
    }

    @Test("a Host that is not a host name is never shown; the page says the name could not be read")
    func hostileHost() async throws {
        try await WarningFixtures.app().test(.live) { live in
            let client = WarningClient(port: try #require(live.port))
            for host in ["<script>alert(1)</script>.example", "a\"onmouseover=\"x.example", "192.0.2.1", "[2001:db8::1]:80"] {
                let response = try await client.get("/", host: host)
                #expect(response.status == .ok)
                #expect(!response.text.contains("<script>alert"))
                #expect(!response.text.contains("onmouseover=\"x"))
                #expect(response.text.contains("（サイト名を確認できませんでした）"))
                // No host, no "continue anyway"; the choice link stays.
                #expect(!response.text.contains("action=\"/continue\""))
                #expect(response.text.contains("href=\"/choice/"))
            }
        }
    }

    @Test(
        "the language follows Accept-Language (Japanese by default) and ?lang",
        arguments: [
            (nil, nil, "ja"), ("en-US,en;q=0.9", nil, "en"), ("ja,en;q=0.8", nil, "ja"), ("en;q=0.5,ja;q=0.9", nil, "ja"),
            ("fr-FR,en;q=0.7,ja;q=0.3", nil, "en"), ("de", nil, "ja"), ("en", "ja", "ja"), (nil, "en", "en"),
        ] as [(String?, String?, String)])
    func language(acceptLanguage: String?, query: String?, expected: String) async throws {
        try await WarningFixtures.app().test(.live) { live in
            let client = WarningClient(port: try #require(live.port))
            var headers: HTTPFields = [:]
            if let acceptLanguage { headers[.acceptLanguage] = acceptLanguage }
            let response = try await client.get(query.map { "/?lang=\($0)" } ?? "/", headers: headers)
            #expect(response.text.contains("<html lang=\"\(expected)\">"))
            if expected == "en" { #expect(response.text.contains("<h1>This site may spread malware</h1>")) }
        }
    }

    @Test("the choice link: a confirmation page, then a POST records off with channel page and the terms version")
    func choiceChange() async throws {
        let registry = InMemoryConsentRegistry()
        try await WarningFixtures.app(consent: registry).test(.live) { live in
            let client = WarningClient(port: try #require(live.port))
            let page = try await client.get("/", headers: [.acceptLanguage: "en"])
            let link = try #require(page.link(startingWith: "/choice/"))
            let confirmation = try await client.get(link + "?lang=en")
            #expect(confirmation.status == .ok)
            #expect(confirmation.text.contains("Turn off this warning?"))
            #expect(confirmation.text.contains("<form method=\"post\" action=\"\(link)\""))
            #expect(try await registry.history(line: WarningFixtures.line).isEmpty, "a GET changes nothing")

            let token = try #require(confirmation.hiddenField("t"))
            let done = try await client.post(link, fields: [("t", token), ("lang", "en")], origin: "null")
            #expect(done.status == .ok)
            #expect(done.text.contains("The warning is now off"))
            #expect(done.text.contains("To turn the warning back on"))
            #expect(done.text.contains("https://member.isp.example/settings/security"))
            let history = try await registry.history(line: WarningFixtures.line)
            #expect(history.count == 1)
            let change = try #require(history.first)
            #expect(change.measure == .malwareSiteWarning && change.choice == .off)
            #expect(change.channel == .page && change.termsVersion == "2026-04" && change.time == WarningFixtures.now)
        }
    }

    @Test("a choice post from elsewhere, with a wrong or missing token, or from a client with no line, changes nothing")
    func choiceRefusals() async throws {
        let registry = InMemoryConsentRegistry()
        try await WarningFixtures.app(consent: registry).test(.live) { live in
            let client = WarningClient(port: try #require(live.port))
            let link = try #require(try await client.get("/").link(startingWith: "/choice/"))
            let token = String(link.dropFirst("/choice/".count))

            let crossOrigin = try await client.post(link, fields: [("t", token)], origin: "http://evil.example")
            #expect(crossOrigin.status == .forbidden)
            let crossSite = try await client.post(link, fields: [("t", token)], fetchSite: "cross-site")
            #expect(crossSite.status == .forbidden)
            let noField = try await client.post(link, fields: [("lang", "ja")])
            #expect(noField.status == .forbidden)
            var altered = Array(token)
            altered[altered.count - 2] = altered[altered.count - 2] == "A" ? "B" : "A"
            let wrong = try await client.post("/choice/\(String(altered))", fields: [("t", String(altered))])
            #expect(wrong.status == .forbidden)
            #expect(wrong.text.contains("<h1>このリンクは使えません</h1>"))
            #expect(wrong.text.contains("https://member.isp.example/settings/security"))
            let garbage = try await client.get("/choice/%3Cscript%3E")
            #expect(garbage.status == .forbidden)
            #expect(!garbage.text.contains("<script>"))
            #expect(try await registry.history(line: WarningFixtures.line).isEmpty)
        }
        // The same token from a client whose line is not in the live sessions.
        let token = try await WarningFixtures.app().test(.live) { live in
            let client = WarningClient(port: try #require(live.port))
            return String(try #require(try await client.get("/").link(startingWith: "/choice/")).dropFirst("/choice/".count))
        }
        try await WarningFixtures.app(consent: registry, sessions: WarningFixtures.sessions(withLine: false)).test(.live) { live in
            let client = WarningClient(port: try #require(live.port))
            let page = try await client.get("/")
            #expect(page.status == .ok)
            #expect(!page.text.contains("href=\"/choice/"))
            #expect(!page.text.contains("action=\"/continue\""))
            #expect(page.text.contains("確認できなかったため"))
            let confirmation = try await client.get("/choice/\(token)")
            #expect(confirmation.status == .forbidden)
            let post = try await client.post("/choice/\(token)", fields: [("t", token)])
            #expect(post.status == .forbidden)
        }
        #expect(try await registry.history(line: WarningFixtures.line).isEmpty)
    }

    @Test("continue anyway grants the bypass for this host and line, then says to reload with the host as a link")
    func continueAnyway() async throws {
        let bypass = BypassSet()
        try await WarningFixtures.app(bypass: bypass).test(.live) { live in
            let client = WarningClient(port: try #require(live.port))
            let page = try await client.get("/setup.exe")
            let token = try #require(page.hiddenField("t"))

            // A token made for this host does not open another one.
            let elsewhere = try await client.post("/continue", host: "other.example", fields: [("t", token)])
            #expect(elsewhere.status == .forbidden)
            #expect(!Self.allows(bypass, "other.example"))
            let crossSite = try await client.post("/continue", fields: [("t", token)], origin: "http://evil.example")
            #expect(crossSite.status == .forbidden)
            #expect(!Self.allows(bypass, WarningFixtures.listedHost))

            let granted = try await client.post("/continue", fields: [("t", token), ("lang", "ja")], origin: "http://malware-dist.example")
            #expect(granted.status == .ok)
            #expect(granted.text.contains("<h1>サイトに進めるようにしました</h1>"))
            #expect(granted.text.contains("<a class=\"site-link\" href=\"http://malware-dist.example/\""))
            #expect(granted.text.contains("1時間"))
            #expect(Self.allows(bypass, WarningFixtures.listedHost))
            #expect(Self.allows(bypass, "cdn.malware-dist.example"))
            #expect(!Self.allows(bypass, WarningFixtures.listedHost, at: WarningFixtures.now.addingTimeInterval(3601)))
        }
    }

    @Test("nothing logged names the host, the line, the client's address or a token")
    func logging() async throws {
        let recorder = LogRecorder()
        try await WarningFixtures.app(logger: recorder.logger).test(.live) { live in
            let client = WarningClient(port: try #require(live.port))
            let page = try await client.get("/")
            let token = try #require(page.hiddenField("t"))
            _ = try await client.post("/continue", fields: [("t", token)])
            let link = try #require(page.link(startingWith: "/choice/"))
            _ = try await client.get(link)
            _ = try await client.post(link, fields: [("t", String(link.dropFirst(8)))])
            _ = try await client.get("/choice/nonsense")
            let lines = recorder.all
            #expect(lines.contains { $0.contains("warning page shown") })
            #expect(lines.contains { $0.contains("choice changed on the warning page") })
            for secret in [WarningFixtures.listedHost, WarningFixtures.line.rawValue, "127.0.0.1", token, String(link.dropFirst(8))] {
                #expect(!lines.contains { $0.contains(secret) }, "logged: \(secret)")
            }
        }
    }

    static func allows(_ bypass: BypassSet, _ name: String, at time: Date = WarningFixtures.now) -> Bool {
        Array(name.utf8).withUnsafeBufferPointer { bypass.allows(line: WarningFixtures.line, name: $0, now: time) }
    }
}

enum SecurityHeadersExpected {
    static let csp = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
}
