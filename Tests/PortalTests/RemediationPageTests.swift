import Foundation
import Hummingbird
import HummingbirdTesting
import Portal
import Remediation
import Testing

@Suite("The remediation page")
struct RemediationPageTests {
    @Test("the tokens of these tests have the shape of personal-link tokens")
    func fixtureTokensAreWellFormed() {
        for token in [
            Fixtures.japaneseToken, Fixtures.englishToken, Fixtures.expiredToken, Fixtures.unknownToken,
            Fixtures.hostileToken, Fixtures.remediatedToken, Fixtures.cncToken, Fixtures.reopenedToken,
        ] {
            #expect(PersonalToken.isWellFormed(token), "\(token)")
        }
    }

    @Test("the Japanese page shows the family, the dates in Japan time, the steps, links and the form")
    func japanesePage() async throws {
        let desk = Fixtures.desk()
        try await Fixtures.app(desk: desk).test(.router) { client in
            try await client.execute(uri: "/r/\(Fixtures.japaneseToken)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let html = response.text
                #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"ja\">"))
                #expect(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
                #expect(html.contains("<main id=\"main\""))
                #expect(html.contains("<h1>お使いの機器がウイルスに感染しているおそれがあります</h1>"))
                #expect(html.contains("<dd class=\"family\">mirai</dd>"))
                // 06:04:05Z is 15:04 on Thursday in Tokyo; 23:30Z on the 3rd is 08:30 on Saturday the 4th.
                #expect(html.contains("<time datetime=\"2025-01-02T15:04:05+09:00\">2025年1月2日（木）15:04（日本時間）</time>"))
                #expect(html.contains("<time datetime=\"2025-01-04T08:30:00+09:00\">2025年1月4日（土）8:30（日本時間）</time>"))
                for step in FakeDesk.defaultSteps[.ja] ?? [] { #expect(html.contains("<li>\(step)</li>")) }
                #expect(html.contains("href=\"https://www.ipa.go.jp/security/anshin/\" rel=\"noopener noreferrer\""))
                #expect(html.contains("<a href=\"?lang=en\" lang=\"en\" hreflang=\"en\">English</a>"))
                #expect(html.contains("<form method=\"post\" action=\"/r/\(Fixtures.japaneseToken)/remediated\" aria-labelledby=\"done\">"))
                #expect(html.contains("<button type=\"submit\" aria-describedby=\"done-help\">対処が完了しました</button>"))
                #expect(response.hiddenField("check")?.count == 32)
                #expect(response.hiddenField("lang") == "ja")
                #expect(html.contains("まもりネット サポートセンター\n電話 0120-000-000"))
                #expect(!html.contains("<script"))
            }
        }
    }

    @Test("?lang=en shows the English page, with the zone written out and a link back to Japanese")
    func englishSwitch() async throws {
        let desk = Fixtures.desk()
        try await Fixtures.app(desk: desk).test(.router) { client in
            try await client.execute(uri: "/r/\(Fixtures.japaneseToken)?lang=en", method: .get) { response in
                #expect(response.status == .ok)
                let html = response.text
                #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
                #expect(html.contains("<h1>A device on your connection may be infected with a virus</h1>"))
                #expect(html.contains("<time datetime=\"2025-01-02T15:04:05+09:00\">Thu 2 January 2025, 15:04 Japan time (UTC+9)</time>"))
                for step in FakeDesk.defaultSteps[.en] ?? [] {
                    #expect(html.contains("<li>\(step.replacingOccurrences(of: "'", with: "&#39;"))</li>"))
                }
                #expect(html.contains("<a href=\"?lang=ja\" lang=\"ja\" hreflang=\"ja\">日本語</a>"))
                #expect(html.contains(">I have cleaned my device</button>"))
                #expect(response.hiddenField("lang") == "en")
            }
        }
    }

    @Test("without ?lang the desk's preferred language is used; an unknown ?lang is ignored")
    func preferredLanguage() async throws {
        let desk = Fixtures.desk()
        try await Fixtures.app(desk: desk).test(.router) { client in
            try await client.execute(uri: "/r/\(Fixtures.englishToken)", method: .get) { response in
                #expect(response.text.contains("<html lang=\"en\">"))
                #expect(response.text.contains("<dd class=\"family\">emotet</dd>"))
            }
            try await client.execute(uri: "/r/\(Fixtures.englishToken)?lang=fr", method: .get) { response in
                #expect(response.text.contains("<html lang=\"en\">"))
            }
            try await client.execute(uri: "/r/\(Fixtures.englishToken)?lang=ja", method: .get) { response in
                #expect(response.text.contains("<html lang=\"ja\">"))
            }
        }
    }

    @Test("a C&C-contact case without a family gets its own wording")
    func cncWithoutFamily() async throws {
        try await Fixtures.app(desk: Fixtures.desk()).test(.router) { client in
            try await client.execute(uri: "/r/\(Fixtures.cncToken)", method: .get) { response in
                #expect(response.text.contains("<h1>お使いの機器が不正なサーバーと通信していたおそれがあります</h1>"))
                #expect(response.text.contains("<dd class=\"family\">特定できていません</dd>"))
            }
            try await client.execute(uri: "/r/\(Fixtures.cncToken)?lang=en", method: .get) { response in
                #expect(response.text.contains("<dd class=\"family\">Not identified</dd>"))
            }
        }
    }

    @Test("a remediated case shows the thank-you and no form")
    func remediatedCase() async throws {
        try await Fixtures.app(desk: Fixtures.desk()).test(.router) { client in
            try await client.execute(uri: "/r/\(Fixtures.remediatedToken)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains("<h1>ご対応ありがとうございます</h1>"))
                #expect(!response.text.contains("<form"))
            }
        }
    }

    @Test("a reopened case asks again and offers the form again")
    func reopenedCase() async throws {
        try await Fixtures.app(desk: Fixtures.desk()).test(.router) { client in
            try await client.execute(uri: "/r/\(Fixtures.reopenedToken)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains("<h2>もう一度ご確認ください</h2>"))
                #expect(response.text.contains("<form method=\"post\""))
            }
        }
    }

    @Test("a hostile family, step and link are escaped; a javascript: link is no link")
    func hostileValuesAreEscaped() async throws {
        try await Fixtures.app(desk: Fixtures.desk()).test(.router) { client in
            try await client.execute(uri: "/r/\(Fixtures.hostileToken)", method: .get) { response in
                let html = response.text
                #expect(html.contains("<dd class=\"family\">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</dd>"))
                #expect(html.contains("<li>&lt;img src=x onerror=alert(1)&gt;手順</li>"))
                #expect(html.contains("<li>&lt;i&gt;tool&lt;/i&gt;</li>"))
                #expect(html.contains("href=\"https://example.jp/?a=1&amp;b=&quot;2&quot;\""))
                #expect(!html.contains("<script"))
                #expect(!html.contains("<img"))
                #expect(!html.contains("javascript:"))
            }
        }
    }

    @Test("the landing page and the health check")
    func landingAndHealth() async throws {
        let desk = Fixtures.desk()
        try await Fixtures.app(desk: desk).test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains("<html lang=\"ja\">"))
                #expect(response.text.contains("<h1>まもりネット お客さま向けのお知らせ</h1>"))
                #expect(response.text.contains("<section class=\"english\" lang=\"en\""))
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text == "ok\n")
            }
        }
        #expect(desk.calls == 0)
    }

    @Test("a failing desk gives the 'not available' page, no detail")
    func failingDesk() async throws {
        let desk = Fixtures.desk()
        desk.setFailing(true)
        try await Fixtures.app(desk: desk).test(.router) { client in
            try await client.execute(uri: "/r/\(Fixtures.japaneseToken)", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.text.contains("<h1>ただいまご利用いただけません</h1>"))
                #expect(!response.text.contains("Unavailable"))
                #expect(response.headers[.cacheControl] == "no-store")
            }
        }
    }

    @Test(
        "every response carries the security headers",
        arguments: [
            "/", "/healthz", "/r/\(Fixtures.japaneseToken)", "/r/\(Fixtures.unknownToken)", "/r/short", "/nothing/here",
            "/r/\(Fixtures.japaneseToken)/remediated",
        ])
    func securityHeaders(path: String) async throws {
        try await Fixtures.app(desk: Fixtures.desk()).test(.router) { client in
            try await client.execute(uri: path, method: .get) { response in
                #expect(
                    response.headers[.contentSecurityPolicy]
                        == "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
                #expect(response.headers[HTTPFields.Element.Name("Referrer-Policy")!] == "no-referrer")
                #expect(response.headers[.cacheControl] == "no-store")
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                #expect(response.headers[.server] == nil)
            }
        }
    }
}
