import Foundation
import SiteWarning
import Testing

@testable import Portal

@Suite("The warning page's signed tokens and request parsing")
struct WarningTokenTests {
    let tokens = WarningTokens(key: WarningFixtures.tokenKey, lifetime: 1800)
    let line = WarningFixtures.line
    let now = WarningFixtures.now

    @Test("a choice token verifies for its line until it expires, and for nothing else")
    func choiceToken() throws {
        let token = tokens.choice(line: line, measure: .malwareSiteWarning, choice: .off, now: now)
        let request = try #require(tokens.verifyChoice(token, line: line, now: now))
        #expect(request.measure == .malwareSiteWarning && request.choice == .off)
        #expect(request.expiry == now.addingTimeInterval(1800))
        #expect(tokens.verifyChoice(token, line: line, now: now.addingTimeInterval(1799)) != nil)
        #expect(tokens.verifyChoice(token, line: line, now: now.addingTimeInterval(1800)) == nil, "expired")
        #expect(tokens.verifyChoice(token, line: LineID("line-0002@isp.example"), now: now) == nil, "another line")
        let otherKey = WarningTokens(key: [UInt8](repeating: 1, count: 32), lifetime: 1800)
        #expect(otherKey.verifyChoice(token, line: line, now: now) == nil, "another key")
        #expect(tokens.verifyProceed(token, line: line, host: "", now: now) == false, "another purpose")

        let on = tokens.choice(line: line, measure: .cncDNSBlock, choice: .on, now: now)
        #expect(tokens.verifyChoice(on, line: line, now: now) == WarningTokens.ChoiceRequest(measure: .cncDNSBlock, choice: .on, expiry: now + 1800))
    }

    @Test("every altered character, a truncated or padded token, and garbage are refused")
    func alteredTokens() {
        let token = tokens.choice(line: line, measure: .malwareSiteWarning, choice: .off, now: now)
        let characters = Array(token)
        for index in characters.indices {
            var altered = characters
            altered[index] = altered[index] == "x" ? "y" : "x"
            #expect(tokens.verifyChoice(String(altered), line: line, now: now) == nil, "position \(index)")
        }
        for bad in [String(token.dropLast()), token + "A", token + "=", "", "<script>", String(repeating: "A", count: 200)] {
            #expect(tokens.verifyChoice(bad, line: line, now: now) == nil)
        }
        // The choice byte flipped (off → on) with the tag kept: refused.
        var bytes = Base64URL.decode(token)!
        bytes[3] = 1
        #expect(tokens.verifyChoice(Base64URL.encode(bytes), line: line, now: now) == nil)
    }

    @Test("the line cannot be read from a token")
    func lineNotInToken() throws {
        let a = tokens.choice(line: line, measure: .malwareSiteWarning, choice: .off, now: now)
        let b = tokens.choice(line: LineID("someone-else"), measure: .malwareSiteWarning, choice: .off, now: now)
        let bytesA = try #require(Base64URL.decode(a))
        let bytesB = try #require(Base64URL.decode(b))
        #expect(bytesA.count == WarningTokens.tokenBytes && bytesB.count == WarningTokens.tokenBytes)
        #expect(bytesA[..<12] == bytesB[..<12], "everything but the tag is the same for two lines")
        #expect(bytesA[12...] != bytesB[12...])
        #expect(!String(decoding: bytesA, as: UTF8.self).contains("line-0001"))
        #expect(!a.contains("line"))
    }

    @Test("a continue token is bound to its host and line")
    func proceedToken() {
        let token = tokens.proceed(line: line, host: "malware-dist.example", now: now)
        #expect(tokens.verifyProceed(token, line: line, host: "malware-dist.example", now: now))
        #expect(!tokens.verifyProceed(token, line: line, host: "other.example", now: now))
        #expect(!tokens.verifyProceed(token, line: LineID("x"), host: "malware-dist.example", now: now))
        #expect(!tokens.verifyProceed(token, line: line, host: "malware-dist.example", now: now + 1800))
        #expect(tokens.verifyChoice(token, line: line, now: now) == nil)
    }

    @Test("base64url round trips every length")
    func base64url() {
        for count in 0...40 {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let text = Base64URL.encode(bytes)
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
            #expect(Base64URL.decode(text) == bytes)
        }
        #expect(Base64URL.decode("AB") == nil, "non-canonical low bits")
        #expect(Base64URL.decode("A") == nil)
    }

    @Test(
        "the host from the Host header",
        arguments: [
            ("malware-dist.example", "malware-dist.example"), ("Malware-Dist.Example.", "malware-dist.example"),
            ("malware-dist.example:8080", "malware-dist.example"), ("_dmarc.x.example", "_dmarc.x.example"),
            ("192.0.2.1", nil), ("192.0.2.1:80", nil), ("[2001:db8::1]", nil), ("[::1]:80", nil), ("", nil), (nil, nil),
            ("a..b", nil), ("<b>.example", nil), ("xn--r8jz45g.example", "xn--r8jz45g.example"), ("日本.example", nil),
            ("a.example:x", nil), (String(repeating: "a", count: 64) + ".example", nil),
        ] as [(String?, String?)])
    func host(authority: String?, expected: String?) {
        #expect(WarningRequest.host(authority) == expected)
    }

    @Test("the configuration names what it lacks")
    func configurationProblems() {
        #expect(WarningFixtures.configuration().problems.isEmpty)
        var configuration = WarningFixtures.configuration()
        configuration.tokenKey = [1, 2, 3]
        configuration.terms.choicePageURL = "member site"
        #expect(configuration.problems.count == 2)
        #expect(configuration.problems.contains { $0.hasPrefix("tokenKey") })
        #expect(configuration.problems.contains { $0.hasPrefix("terms.choicePageURL") })
    }
}
