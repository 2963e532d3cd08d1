import Foundation
import Remediation
import Secrecy
import SiteWarning

/// Renders the warning server's pages. Every value from outside (the Host header, the terms)
/// goes through ``HTML``'s escaping; no page has a script or an external asset.
///
/// Every page, in both languages, carries the three conditions of the consent the measure rests
/// on (第一次とりまとめ ①), each in an element marked `data-condition`:
/// - `a` (ア): the choice can be changed at any time, and nothing else in the service changes;
/// - `i` (イ): the consent basis, the terms' version and where they are published;
/// - `u` (ウ): what the measure is, and how and where to change the choice (the choice page).
struct WarningPages: Sendable {
    let ispName: BilingualText
    let terms: TermsPublication
    let bypassDuration: TimeInterval

    /// What the warning page offers the client.
    struct Offer: Sendable {
        /// The address of the "turn off" link (`/choice/TOKEN`), when the client's line is known.
        var choiceLink: String?
        /// The token of the "continue anyway" form, when the line and the host are known.
        var proceedToken: String?
    }

    // MARK: The warning

    func warning(host: String?, offer: Offer, language: Language) -> String {
        let w = WarningWording(language: language)
        let site: HTML = host.map { "<span class=\"site-name\">\($0)</span>" } ?? "\(w.siteUnknown)"
        var main: [HTML] = [
            "<h1>\(w.warningHeadline)</h1>",
            """
            <div class="card alert" role="alert"><p>\(w.warningLead)</p>
            <p class="target"><span class="label">\(w.siteLabel)</span>\(site)</p></div>
            """,
            "<section class=\"card\" aria-labelledby=\"advice\"><h2 id=\"advice\">\(w.adviceHeading)</h2><p>\(w.adviceText)</p></section>",
            about(w, heading: w.whyHeading, choiceLink: offer.choiceLink),
        ]
        if offer.choiceLink == nil { main.append("<div class=\"card\" role=\"note\"><p>\(w.noLineNote)</p></div>") }
        if let token = offer.proceedToken {
            main.append(
                """
                <section class="card" aria-labelledby="proceed"><h2 id="proceed">\(w.proceedHeading)</h2>
                <p id="proceed-help">\(w.proceedText(w.duration(bypassDuration)))</p>
                <form method="post" action="/continue" aria-labelledby="proceed">
                <input type="hidden" name="t" value="\(token)">
                <input type="hidden" name="lang" value="\(language.rawValue)">
                <button type="submit" class="secondary" aria-describedby="proceed-help">\(w.proceedButton)</button>
                </form>
                </section>
                """)
        }
        return document(w, title: w.warningTitle(isp: ispName[language]), switcher: true, main: HTML(joining: main))
    }

    // MARK: Changing the choice

    /// The confirmation page of a valid choice link: a form that posts back to the same address.
    func confirm(token: String, choice: ConsentChoice, language: Language) -> String {
        let w = WarningWording(language: language)
        let main: HTML = """
            <h1 id="confirm">\(w.confirmHeadline(choice))</h1>
            <section class="card action" aria-labelledby="confirm">
            <p id="confirm-help">\(w.confirmText(choice))</p>
            <form method="post" action="/choice/\(token)" aria-labelledby="confirm">
            <input type="hidden" name="t" value="\(token)">
            <input type="hidden" name="lang" value="\(language.rawValue)">
            <button type="submit" aria-describedby="confirm-help">\(w.confirmButton(choice))</button>
            </form>
            <p class="after">\(w.confirmCancel)</p>
            </section>
            \(about(w, heading: w.aboutHeading, choiceLink: nil))
            """
        return document(w, title: "\(w.confirmHeadline(choice))｜\(ispName[language])", switcher: true, main: main)
    }

    /// The page after the choice was recorded: what changed and how to change it back.
    func done(choice: ConsentChoice, language: Language) -> String {
        let w = WarningWording(language: language)
        let main: HTML = """
            <h1>\(w.doneHeadline(choice))</h1>
            <div class="card done" role="status"><p>\(w.doneText(choice))</p>
            <p>\(w.doneHowBack(choice)) \(link(terms.choicePageURL))</p></div>
            \(about(w, heading: w.aboutHeading, choiceLink: nil))
            """
        return document(w, title: "\(w.doneHeadline(choice))｜\(ispName[language])", switcher: false, main: main)
    }

    // MARK: Continue anyway

    /// The page after "continue anyway": reload, or open the site's address.
    func proceeded(host: String, language: Language) -> String {
        let w = WarningWording(language: language)
        let address = "http://\(host)/"
        let main: HTML = """
            <h1>\(w.proceededHeadline)</h1>
            <div class="card done" role="status"><p>\(w.proceededText(host: host, duration: w.duration(bypassDuration)))</p>
            <p><a class="site-link" href="\(address)" rel="noreferrer">\(address)</a></p>
            <p>\(w.proceededStill)</p></div>
            \(about(w, heading: w.aboutHeading, choiceLink: nil))
            """
        return document(w, title: "\(w.proceededHeadline)｜\(ispName[language])", switcher: false, main: main)
    }

    // MARK: Refusals

    /// An expired, altered or foreign link, or a client whose line is unknown: one page for all.
    func invalid(language: Language) -> String {
        let w = WarningWording(language: language)
        let main: HTML = """
            <h1>\(w.invalidHeadline)</h1>
            <div class="card alert"><p>\(w.invalidText)</p><p>\(w.invalidAdvice) \(link(terms.choicePageURL))</p></div>
            \(about(w, heading: w.aboutHeading, choiceLink: nil))
            """
        return document(w, title: "\(w.invalidHeadline)｜\(ispName[language])", switcher: false, main: main)
    }

    /// Something failed on the ISP's side (the consent store).
    func unavailable(language: Language) -> String {
        let w = WarningWording(language: language)
        let main: HTML = """
            <h1>\(w.unavailableHeadline)</h1>
            <div class="card"><p>\(w.unavailableText) \(link(terms.choicePageURL))</p></div>
            \(about(w, heading: w.aboutHeading, choiceLink: nil))
            """
        return document(w, title: "\(w.unavailableHeadline)｜\(ispName[language])", switcher: false, main: main)
    }

    // MARK: (ア)(イ)(ウ), on every page

    /// The measure, its basis, and the choice: the same two sections on every page.
    func about(_ w: WarningWording, heading: String, choiceLink: String?) -> HTML {
        let language = w.language
        let explanation = terms.pageExplanation.map { language == .ja ? $0.ja : $0.en } ?? w.defaultExplanation(isp: ispName[language])
        let same = terms.sameConditionsStatement.map { language == .ja ? $0.ja : $0.en } ?? w.defaultSameConditions
        let optOut = terms.pageOptOutInstructions.map { language == .ja ? $0.ja : $0.en } ?? w.defaultOptOut
        let button: HTML =
            choiceLink.map { href in
                "<p>\(w.turnOffLinkNote)</p><p><a class=\"button secondary\" href=\"\(href)\">\(w.turnOffLink)</a></p>"
            } ?? .empty
        return """
            <section class="card" aria-labelledby="why"><h2 id="why">\(heading)</h2>
            <p class="text" data-condition="u">\(explanation)</p>
            <p>\(w.mechanicalNote)</p>
            <p data-condition="i">\(w.basis(version: terms.version, published: w.date(terms.publishedOn))) \(link(terms.termsURL))</p>
            </section>
            <section class="card action" aria-labelledby="choice"><h2 id="choice">\(w.choiceHeading)</h2>
            <p data-condition="a">\(w.anyTime)\(same)</p>
            <p class="text" data-condition="u">\(optOut)</p>
            <p data-condition="u">\(w.choicePageLabel)\(link(terms.choicePageURL))</p>
            \(button)
            </section>
            """
    }

    // MARK: Helpers

    /// A link to an address from the terms; plain text when it is not an http(s) address.
    private func link(_ address: String) -> HTML {
        guard WebAddress.httpURL(address) != nil else { return "\(address)" }
        return "<a href=\"\(address)\" rel=\"noreferrer\">\(address)</a>"
    }

    private func document(_ w: WarningWording, title: String, switcher: Bool, main: HTML) -> String {
        let other: Language = w.language == .ja ? .en : .ja
        let switchLink: HTML =
            switcher
            ? "<a href=\"?lang=\(other.rawValue)\" lang=\"\(other.rawValue)\" hreflang=\"\(other.rawValue)\">\(Wording(language: w.language).otherLanguageName)</a>"
            : .empty
        return Pages.document(
            language: w.language, title: title, isp: ispName[w.language], switcher: switchLink, main: main,
            footer: "<p>\(w.footerNote)</p>"
        ).rendered
    }
}
