import Portal
import Remediation
import Testing

@Suite("Portal configuration")
struct ConfigurationTests {
    @Test("defaults: loopback 8080, a fresh 32-byte form key each time")
    func defaults() {
        let one = PortalConfiguration()
        let two = PortalConfiguration()
        #expect(one.host == "127.0.0.1")
        #expect(one.port == 8080)
        #expect(one.publicBaseURL == "http://127.0.0.1:8080")
        #expect(one.formKey.count == 32)
        #expect(one.formKey != two.formKey)
    }

    @Test("the personal link is the public base, /r/ and the token, whatever trailing slashes the base has")
    func personalLink() {
        var configuration = PortalConfiguration(publicBaseURL: "https://portal.example.jp")
        #expect(configuration.personalLink(token: Fixtures.japaneseToken) == "https://portal.example.jp/r/\(Fixtures.japaneseToken)")
        configuration.publicBaseURL = "https://portal.example.jp//"
        #expect(configuration.personalLink(token: Fixtures.japaneseToken) == "https://portal.example.jp/r/\(Fixtures.japaneseToken)")
    }

    @Test("bilingual text by language")
    func bilingual() {
        let text = BilingualText(ja: "まもりネット", en: "Mamori Net")
        #expect(text[.ja] == "まもりネット")
        #expect(text[.en] == "Mamori Net")
    }
}
