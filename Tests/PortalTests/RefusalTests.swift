import Foundation
import Hummingbird
import HummingbirdTesting
import Portal
import Remediation
import Testing

/// A refused link must not tell whether its token ever existed: unknown, expired and malformed
/// tokens, and paths that are not routes, all get the same bytes and the same status.
@Suite("Refused links")
struct RefusalTests {
    struct Answer: Equatable {
        var status: HTTPResponse.Status
        var headers: [String]
        var body: String
    }

    static func answer(_ client: some TestClientProtocol, _ uri: String, method: HTTPRequest.Method = .get) async throws -> Answer {
        try await client.execute(
            uri: uri, method: method, headers: method == .post ? Form.headers() : [:],
            body: method == .post ? Form.body([("check", "0"), ("lang", "ja")]) : nil
        ) { response in
            Answer(status: response.status, headers: response.headersWithoutDate, body: response.text)
        }
    }

    @Test("unknown and expired tokens get byte-identical 404 pages")
    func unknownAndExpiredAreIdentical() async throws {
        let desk = Fixtures.desk()
        try await Fixtures.app(desk: desk).test(.router) { client in
            let unknown = try await Self.answer(client, "/r/\(Fixtures.unknownToken)")
            let expired = try await Self.answer(client, "/r/\(Fixtures.expiredToken)")
            #expect(unknown.status == .notFound)
            #expect(unknown == expired)
            #expect(unknown.body.contains("<html lang=\"ja\">"))
            #expect(unknown.body.contains("<h1>このリンクはご利用いただけません</h1>"))
            #expect(unknown.body.contains("<h2 id=\"en\">This link cannot be used</h2>"))
            #expect(unknown.body.contains("電話 0120-000-000"))
            // The lang switch changes nothing on a refusal.
            #expect(try await Self.answer(client, "/r/\(Fixtures.expiredToken)?lang=en") == unknown)
        }
        #expect(desk.calls == 3)
    }

    @Test("over a live server too: unknown, expired and malformed are the same bytes (but for Date)")
    func identicalOverTheNetwork() async throws {
        try await Fixtures.app(desk: Fixtures.desk()).test(.live) { client in
            let unknown = try await Self.answer(client, "/r/\(Fixtures.unknownToken)")
            #expect(unknown.status == .notFound)
            #expect(try await Self.answer(client, "/r/\(Fixtures.expiredToken)") == unknown)
            #expect(try await Self.answer(client, "/r/short") == unknown)
            #expect(try await Self.answer(client, "/r/short/remediated", method: .post) == unknown)
        }
    }

    @Test("pressing the button after the link expired, or was revoked, gets the same refusal page")
    func postAfterExpiryOrRevocation() async throws {
        let desk = Fixtures.desk()
        try await Fixtures.app(desk: desk).test(.router) { client in
            let reference = try await Self.answer(client, "/r/\(Fixtures.unknownToken)")
            var answers: [Answer] = []
            for token in [Fixtures.japaneseToken, Fixtures.englishToken] {
                // The subscriber opened the page while the link was valid...
                let check = try await client.execute(uri: "/r/\(token)", method: .get) { $0.hiddenField("check") }
                // ...and pressed the button after it expired (or was revoked).
                if token == Fixtures.japaneseToken { desk.expire(token, at: Fixtures.now) } else { desk.forget(token) }
                answers.append(
                    try await client.execute(
                        uri: "/r/\(token)/remediated", method: .post, headers: Form.headers(origin: "null"),
                        body: Form.body([("check", try #require(check)), ("lang", "ja")])
                    ) { Answer(status: $0.status, headers: $0.headersWithoutDate, body: $0.text) })
            }
            #expect(answers == [reference, reference])
            #expect(desk.status(of: Fixtures.japaneseToken) == .notified)
        }
    }

    @Test(
        "malformed tokens get the same page without reaching the desk",
        arguments: [
            "short", "AAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAA%2F",
            "AAAAAAAAAAAAAAAAAAAA+/", "AAAAAAAAAAAAAAAAAAAAA=", "%E3%81%82AAAAAAAAAAAAAAAAAAA", "..",
            "AAAAAAAAAAAAAAAAAAAAAA%00",
        ])
    func malformedTokens(token: String) async throws {
        let desk = Fixtures.desk()
        try await Fixtures.app(desk: desk).test(.router) { client in
            let reference = try await Self.answer(client, "/r/\(Fixtures.unknownToken)")
            let callsBefore = desk.calls
            #expect(try await Self.answer(client, "/r/\(token)") == reference)
            #expect(try await Self.answer(client, "/r/\(token)/remediated", method: .post) == reference)
            #expect(desk.calls == callsBefore)
        }
    }

    @Test("a post for an unknown or expired token, and a path that is no route, get the same page")
    func otherRefusals() async throws {
        let desk = Fixtures.desk()
        try await Fixtures.app(desk: desk).test(.router) { client in
            let reference = try await Self.answer(client, "/r/\(Fixtures.unknownToken)")
            for uri in ["/r/", "/r", "/r/\(Fixtures.japaneseToken)/extra", "/favicon.ico", "/r/\(Fixtures.japaneseToken)/remediated/x"] {
                #expect(try await Self.answer(client, uri) == reference, "\(uri)")
            }
            // A post needs a valid form field: take one from the page of a live token...
            let check = try await client.execute(uri: "/r/\(Fixtures.japaneseToken)", method: .get) { $0.hiddenField("check") }
            #expect(check != nil)
            // ...which is no good for another token: that is refused before the desk is asked (403).
            for token in [Fixtures.unknownToken, Fixtures.expiredToken] {
                try await client.execute(
                    uri: "/r/\(token)/remediated", method: .post, headers: Form.headers(),
                    body: Form.body([("check", check ?? ""), ("lang", "ja")])
                ) { response in
                    #expect(response.status == .forbidden)
                }
            }
        }
    }
}
