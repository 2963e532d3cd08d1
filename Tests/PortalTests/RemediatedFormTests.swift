import Foundation
import Hummingbird
import HummingbirdTesting
import Portal
import Remediation
import Testing

@Suite("The 'I have cleaned my device' form")
struct RemediatedFormTests {
    /// The form field a browser would send, read from the page as a browser would.
    static func formCheck(_ client: some TestClientProtocol, token: String) async throws -> String {
        let check = try await client.execute(uri: "/r/\(token)", method: .get) { $0.hiddenField("check") }
        return try #require(check)
    }

    @Test("posting the page's form marks the case remediated and redirects (303) to the thank-you page")
    func postMarksAndRedirects() async throws {
        let desk = Fixtures.desk()
        try await Fixtures.app(desk: desk).test(.router) { client in
            let check = try await Self.formCheck(client, token: Fixtures.japaneseToken)
            // A browser posting the page's own form under Referrer-Policy: no-referrer sends `Origin: null`.
            try await client.execute(
                uri: "/r/\(Fixtures.japaneseToken)/remediated", method: .post,
                headers: Form.headers(origin: "null", fetchSite: "same-origin"),
                body: Form.body([("check", check), ("lang", "ja")])
            ) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/r/\(Fixtures.japaneseToken)?lang=ja")
                #expect(response.body.readableBytes == 0)
                #expect(response.headers[.cacheControl] == "no-store")
            }
            #expect(desk.status(of: Fixtures.japaneseToken) == .remediated)
            try await client.execute(uri: "/r/\(Fixtures.japaneseToken)?lang=ja", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains("<h1>ご対応ありがとうございます</h1>"))
                #expect(response.text.contains("role=\"status\""))
                #expect(!response.text.contains("<form"))
            }
        }
    }

    @Test("the English form redirects to the English page; origins that are the portal's own are accepted")
    func englishAndOwnOrigins() async throws {
        let desk = Fixtures.desk()
        try await Fixtures.app(desk: desk).test(.router) { client in
            let check = try await Self.formCheck(client, token: Fixtures.englishToken)
            try await client.execute(
                uri: "/r/\(Fixtures.englishToken)/remediated", method: .post,
                headers: Form.headers(origin: "https://portal.example.jp"), body: Form.body([("check", check), ("lang", "en")])
            ) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/r/\(Fixtures.englishToken)?lang=en")
            }
            #expect(desk.status(of: Fixtures.englishToken) == .remediated)
        }
    }

    @Test(
        "a post without the page's field, or stated cross-site by the browser, is refused (403) and marks nothing",
        arguments: [
            (nil, nil, nil),
            ("0123456789abcdef0123456789abcdef", nil, nil),
            ("VALID", "https://evil.example", nil),
            ("VALID", nil, "cross-site"),
            ("VALID", nil, "same-site"),
            ("VALID", "http://portal.example.jp", nil),
            ("VALID", "http://localhost:8081", nil),
        ] as [(String?, String?, String?)])
    func refusedPosts(check: String?, origin: String?, fetchSite: String?) async throws {
        let desk = Fixtures.desk()
        try await Fixtures.app(desk: desk).test(.router) { client in
            let valid = try await Self.formCheck(client, token: Fixtures.japaneseToken)
            var fields = [("lang", "ja")]
            if let check { fields.append(("check", check == "VALID" ? valid : check)) }
            let callsBefore = desk.calls
            try await client.execute(
                uri: "/r/\(Fixtures.japaneseToken)/remediated", method: .post,
                headers: Form.headers(origin: origin, fetchSite: fetchSite), body: Form.body(fields)
            ) { response in
                #expect(response.status == .forbidden)
                #expect(response.text.contains("<h1>もう一度お試しください</h1>"))
                #expect(response.text.contains("href=\"/r/\(Fixtures.japaneseToken)?lang=ja\""))
                #expect(response.headers[.cacheControl] == "no-store")
            }
            #expect(desk.calls == callsBefore)
            #expect(desk.status(of: Fixtures.japaneseToken) == .notified)
        }
    }

    @Test("the origin of the request's own host is accepted too (a proxy that keeps Host)")
    func hostOrigin() async throws {
        let desk = Fixtures.desk()
        try await Fixtures.app(desk: desk).test(.router) { client in
            let check = try await Self.formCheck(client, token: Fixtures.japaneseToken)
            // The router test framework's requests have the authority `localhost`.
            try await client.execute(
                uri: "/r/\(Fixtures.japaneseToken)/remediated", method: .post, headers: Form.headers(origin: "http://localhost"),
                body: Form.body([("check", check), ("lang", "ja")])
            ) { response in
                #expect(response.status == .seeOther)
            }
        }
    }

    @Test("the retry page follows the form's language")
    func retryInEnglish() async throws {
        try await Fixtures.app(desk: Fixtures.desk()).test(.router) { client in
            try await client.execute(
                uri: "/r/\(Fixtures.englishToken)/remediated", method: .post, headers: Form.headers(), body: Form.body([("lang", "en")])
            ) { response in
                #expect(response.status == .forbidden)
                #expect(response.text.contains("<html lang=\"en\">"))
                #expect(response.text.contains("<h1>Please try again</h1>"))
                #expect(response.text.contains("href=\"/r/\(Fixtures.englishToken)?lang=en\""))
            }
        }
    }

    @Test("a GET of the form's address goes back to the page")
    func getOfFormAddress() async throws {
        try await Fixtures.app(desk: Fixtures.desk()).test(.router) { client in
            try await client.execute(uri: "/r/\(Fixtures.japaneseToken)/remediated", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/r/\(Fixtures.japaneseToken)")
            }
        }
    }

    @Test("the form field depends on the key: another key's field is refused")
    func fieldIsKeyed() async throws {
        let desk = Fixtures.desk()
        var other = Fixtures.configuration
        other.formKey = Array(repeating: 7, count: 32)
        let foreign = try await Fixtures.app(desk: desk, configuration: other).test(.router) { client in
            try await Self.formCheck(client, token: Fixtures.japaneseToken)
        }
        try await Fixtures.app(desk: desk).test(.router) { client in
            #expect(try await Self.formCheck(client, token: Fixtures.japaneseToken) != foreign)
            try await client.execute(
                uri: "/r/\(Fixtures.japaneseToken)/remediated", method: .post, headers: Form.headers(),
                body: Form.body([("check", foreign)])
            ) { response in
                #expect(response.status == .forbidden)
            }
        }
    }
}
