import Foundation
import Remediation
import Secrecy
import SiteWarning
import Testing

@testable import Portal

/// Every page the warning server renders, in both languages, carries the three conditions of
/// the consent the malware-site warning rests on (第一次とりまとめ ①):
/// (ア) the choice can be changed at any time and nothing else in the service changes;
/// (イ) the basis, the terms' version and where they are published;
/// (ウ) what the measure is, and how and where to change the choice.
@Suite("Every warning template carries (ア)(イ)(ウ)")
struct WarningTemplateTests {
    struct Rendered: CustomStringConvertible {
        var kind: String
        var language: Language
        var html: String
        var description: String { "\(kind) (\(language.rawValue))" }
    }

    /// Every page kind in `language`, with the configured texts or (`terms` without them) the fallbacks.
    static func everyPage(_ language: Language, terms: TermsPublication) -> [Rendered] {
        let pages = WarningPages(ispName: BilingualText(ja: "まもりネット", en: "Mamori Net"), terms: terms, bypassDuration: 3600)
        let full = WarningPages.Offer(choiceLink: "/choice/TOKEN", proceedToken: "PROCEED")
        let pairs: [(String, String)] = [
            ("warning", pages.warning(host: "malware-dist.example", offer: full, language: language)),
            ("warning-no-host", pages.warning(host: nil, offer: WarningPages.Offer(choiceLink: "/choice/TOKEN"), language: language)),
            ("warning-no-line", pages.warning(host: "malware-dist.example", offer: WarningPages.Offer(), language: language)),
            ("confirm-off", pages.confirm(token: "TOKEN", choice: .off, language: language)),
            ("confirm-on", pages.confirm(token: "TOKEN", choice: .on, language: language)),
            ("done-off", pages.done(choice: .off, language: language)),
            ("done-on", pages.done(choice: .on, language: language)),
            ("proceeded", pages.proceeded(host: "malware-dist.example", language: language)),
            ("invalid", pages.invalid(language: language)),
            ("unavailable", pages.unavailable(language: language)),
        ]
        return pairs.map { Rendered(kind: $0.0, language: language, html: $0.1) }
    }

    /// The markers and phrases of each condition, for `language`.
    static func conditions(_ language: Language, terms: TermsPublication) -> [String: [String]] {
        let w = WarningWording(language: language)
        func pick(_ text: LocalizedText?, _ fallback: String) -> String { text.map { language == .ja ? $0.ja : $0.en } ?? fallback }
        return [
            "(ア)": [
                "data-condition=\"a\"", language == .ja ? "いつでも変更でき" : "change it at any time",
                HTML.escape(pick(terms.sameConditionsStatement, w.defaultSameConditions)),
            ],
            "(イ)": [
                "data-condition=\"i\"", language == .ja ? "約款（\(terms.version)版" : "terms of your contract (version \(terms.version)",
                language == .ja ? "同意に基づいて" : "on the basis of your consent",
                "<a href=\"\(terms.termsURL)\" rel=\"noreferrer\">\(terms.termsURL)</a>",
            ],
            "(ウ)": [
                "data-condition=\"u\"",
                HTML.escape(pick(terms.pageExplanation, w.defaultExplanation(isp: language == .ja ? "まもりネット" : "Mamori Net"))),
                HTML.escape(pick(terms.pageOptOutInstructions, w.defaultOptOut)),
                "<a href=\"\(terms.choicePageURL)\" rel=\"noreferrer\">\(terms.choicePageURL)</a>",
            ],
        ]
    }

    static let bareTerms = TermsPublication(
        version: "7", termsURL: "https://isp.example/yakkan", publishedOn: "2025-10-01", choicePageURL: "https://isp.example/choice")

    @Test(
        "(ア)(イ)(ウ) in every page kind, Japanese and English, with the ISP's texts and with the fallbacks",
        arguments: [Language.ja, .en], [WarningFixtures.terms, bareTerms])
    func everyTemplate(language: Language, terms: TermsPublication) {
        let pages = Self.everyPage(language, terms: terms)
        #expect(pages.count == 10)
        for page in pages {
            #expect(page.html.contains("<html lang=\"\(language.rawValue)\">"), "\(page)")
            for (condition, phrases) in Self.conditions(language, terms: terms) {
                for phrase in phrases {
                    #expect(page.html.contains(phrase), "\(page) lacks \(condition): \(phrase)")
                }
            }
        }
    }

    @Test("the published date reads naturally in both languages")
    func publishedDate() {
        #expect(WarningWording(language: .ja).date("2026-04-01") == "2026年4月1日")
        #expect(WarningWording(language: .en).date("2026-04-01") == "1 April 2026")
        #expect(WarningWording(language: .en).date("spring 2026") == "spring 2026")
        #expect(WarningWording(language: .ja).duration(3600) == "1時間")
        #expect(WarningWording(language: .en).duration(1800) == "30 minutes")
    }

    @Test("terms texts are escaped, not inserted as markup")
    func termsEscaped() {
        var terms = Self.bareTerms
        terms.pageExplanation = LocalizedText(ja: "<script>x</script>", en: "<img src=x onerror=y>")
        terms.termsURL = "javascript:alert(1)"
        for language in [Language.ja, .en] {
            for page in Self.everyPage(language, terms: terms) {
                #expect(!page.html.contains("<script>x") && !page.html.contains("<img src=x"), "\(page)")
                #expect(!page.html.contains("href=\"javascript:"), "\(page)")
            }
        }
    }
}
