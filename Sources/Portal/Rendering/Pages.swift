import Foundation
import Remediation

/// Renders the portal's pages. Every value from outside (the desk, the request) goes through
/// ``HTML``'s escaping; no page has a script or an external asset.
struct Pages: Sendable {
    let ispName: BilingualText
    let contact: BilingualText
    let formCheck: FormCheck

    /// The refusal page, rendered once: the same bytes for every refused link.
    let refusal: String

    init(ispName: BilingualText, contact: BilingualText, formCheck: FormCheck) {
        self.ispName = ispName
        self.contact = contact
        self.formCheck = formCheck
        self.refusal = Self.renderRefusal(ispName: ispName, contact: contact).rendered
    }

    // MARK: The remediation page

    /// The page for a valid personal link.
    func remediation(_ page: RemediationPage, token: String) -> String {
        let w = Wording(language: page.language)
        let lang = page.language
        let other: Language = lang == .ja ? .en : .ja
        let closed = page.status == .remediated || page.status == .expired

        var top: [HTML] = []
        switch page.status {
        case .remediated:
            top.append("<h1>\(w.thankYouHeadline)</h1>")
            top.append("<div class=\"card done\" role=\"status\"><p>\(w.thankYouText)</p></div>")
        case .expired:
            top.append("<h1>\(w.closedHeadline)</h1>")
            top.append("<div class=\"card\" role=\"status\"><p>\(w.closedText)</p></div>")
        case .reopened:
            top.append("<h1>\(w.headline(page.kind))</h1>")
            top.append(
                "<div class=\"card alert\" role=\"status\"><h2>\(w.reopenedHeading)</h2><p>\(w.reopenedText)</p></div>")
            top.append("<p class=\"lead\">\(w.lead(page.kind))</p>")
        case .open, .notified:
            top.append("<h1>\(w.headline(page.kind))</h1>")
            top.append("<div class=\"card alert\"><p>\(w.lead(page.kind))</p></div>")
        }

        let observed: HTML = """
            <section class="card" aria-labelledby="observed"><h2 id="observed">\(w.observedHeading)</h2>
            <dl>
            <dt>\(w.familyLabel)</dt><dd class="family">\(page.family ?? w.familyUnknown)</dd>
            <dt>\(w.firstSeenLabel)</dt><dd>\(TokyoTime.element(page.firstSeen, in: lang))</dd>
            <dt>\(w.lastSeenLabel)</dt><dd>\(TokyoTime.element(page.lastSeen, in: lang))</dd>
            </dl>
            </section>
            """

        let steps = page.steps.map { step -> HTML in "<li>\(step)</li>" }
        var stepsSection: HTML = """
            <section class="card" aria-labelledby="steps"><h2 id="steps">\(w.stepsHeading)</h2>
            <ol class="steps">\(steps)</ol>
            """
        if !page.links.isEmpty {
            stepsSection = "\(stepsSection)<h3>\(w.linksHeading)</h3><ul class=\"links\">\(page.links.map(Self.link))</ul>"
        }
        stepsSection = "\(stepsSection)</section>"

        let form: HTML =
            closed
            ? .empty
            : """
            <section class="card action" aria-labelledby="done"><h2 id="done">\(w.doneHeading)</h2>
            <p id="done-help">\(w.doneExplanation)</p>
            <form method="post" action="/r/\(token)/remediated" aria-labelledby="done">
            <input type="hidden" name="\(FormCheck.fieldName)" value="\(formCheck.value(for: token))">
            <input type="hidden" name="lang" value="\(lang.rawValue)">
            <button type="submit" aria-describedby="done-help">\(w.doneButton)</button>
            </form>
            </section>
            """

        let body: HTML = """
            \(top)
            \(observed)
            \(stepsSection)
            \(form)
            <section class="card" aria-labelledby="why"><h2 id="why">\(w.whyHeading)</h2><p class="text">\(page.whyWeMayTellYou)</p></section>
            <section class="card" aria-labelledby="contact"><h2 id="contact">\(w.contactHeading)</h2><p class="text">\(page.support)</p></section>
            """
        let footer: HTML = """
            <p>\(w.personalLinkNote)</p>
            <p>\(w.expiresLabel)\(TokyoTime.element(page.expiresAt, in: lang))</p>
            <p>\(w.noSecretsNote)</p>
            """
        let switcher: HTML =
            "<a href=\"?lang=\(other.rawValue)\" lang=\"\(other.rawValue)\" hreflang=\"\(other.rawValue)\">\(Wording(language: lang).otherLanguageName)</a>"
        let title = closed && page.status == .remediated ? "\(w.thankYouHeadline)｜\(ispName[lang])" : w.title(page.kind, isp: ispName[lang])
        return Self.document(
            language: lang, title: title, isp: ispName[lang], switcher: switcher, main: body, footer: footer
        ).rendered
    }

    /// A removal tool or advisory: a link only when it is an http(s) address, else plain text.
    private static func link(_ link: RemediationLink) -> HTML {
        guard let url = URL(string: link.url), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
            let host = url.host, !host.isEmpty
        else {
            return "<li>\(link.title)</li>"
        }
        return "<li><a href=\"\(link.url)\" rel=\"noopener noreferrer\">\(link.title)</a> <span class=\"host\">(\(host))</span></li>"
    }

    // MARK: The pages that know no subscriber (bilingual, Japanese first)

    private static func renderRefusal(ispName: BilingualText, contact: BilingualText) -> HTML {
        let ja = Wording(language: .ja)
        let en = Wording(language: .en)
        let main: HTML = """
            <h1>\(ja.refusalHeadline)</h1>
            <div class="card alert"><p>\(ja.refusalText)</p><p>\(ja.refusalAdvice)</p></div>
            <section class="card" aria-labelledby="contact"><h2 id="contact">\(ja.contactHeading)</h2><p class="text">\(contact.ja)</p></section>
            <section class="english" lang="en" aria-labelledby="en"><h2 id="en">\(en.refusalHeadline)</h2>
            <div class="card"><p>\(en.refusalText)</p><p>\(en.refusalAdvice)</p>
            <h3>\(en.contactHeading)</h3><p class="text">\(contact.en)</p></div>
            </section>
            """
        return document(
            language: .ja, title: "\(ja.refusalHeadline) / \(en.refusalHeadline)｜\(ispName.ja)", isp: ispName.ja,
            switcher: englishAnchor, main: main, footer: "<p>\(ja.noSecretsNote)</p><p lang=\"en\">\(en.noSecretsNote)</p>")
    }

    /// The landing page at `/`: says what the site is, nothing about anyone.
    func landing() -> String {
        let ja = Wording(language: .ja)
        let en = Wording(language: .en)
        let main: HTML = """
            <h1>\(ja.landingHeadline(isp: ispName.ja))</h1>
            <div class="card"><p>\(ja.landingText(isp: ispName.ja))</p><p>\(ja.noSecretsNote)</p></div>
            <section class="card" aria-labelledby="contact"><h2 id="contact">\(ja.contactHeading)</h2><p class="text">\(contact.ja)</p></section>
            <section class="english" lang="en" aria-labelledby="en"><h2 id="en">\(en.landingHeadline(isp: ispName.en))</h2>
            <div class="card"><p>\(en.landingText(isp: ispName.en))</p><p>\(en.noSecretsNote)</p>
            <h3>\(en.contactHeading)</h3><p class="text">\(contact.en)</p></div>
            </section>
            """
        return Self.document(
            language: .ja, title: ispName.ja, isp: ispName.ja, switcher: Self.englishAnchor, main: main, footer: .empty
        ).rendered
    }

    /// The page for a form post that did not come from the portal's own page (403).
    func retry(token: String, language: Language) -> String {
        let first = Wording(language: language)
        let second = Wording(language: language == .ja ? .en : .ja)
        let main: HTML = """
            <h1>\(first.retryHeadline)</h1>
            <div class="card alert"><p>\(first.retryText)</p>
            <p><a class="button" href="/r/\(token)?lang=\(language.rawValue)">\(first.retryLink)</a></p></div>
            <section class="english" lang="\(second.language.rawValue)" aria-labelledby="second"><h2 id="second">\(second.retryHeadline)</h2>
            <div class="card"><p>\(second.retryText)</p>
            <p><a href="/r/\(token)?lang=\(second.language.rawValue)">\(second.retryLink)</a></p></div>
            </section>
            """
        return Self.document(
            language: language, title: "\(first.retryHeadline)｜\(ispName[language])", isp: ispName[language], switcher: .empty,
            main: main, footer: .empty
        ).rendered
    }

    /// The page for anything that went wrong on the ISP's side.
    func unavailable() -> String {
        let ja = Wording(language: .ja)
        let en = Wording(language: .en)
        let main: HTML = """
            <h1>\(ja.unavailableHeadline)</h1>
            <div class="card"><p>\(ja.unavailableText)</p><p class="text">\(contact.ja)</p></div>
            <section class="english" lang="en" aria-labelledby="en"><h2 id="en">\(en.unavailableHeadline)</h2>
            <div class="card"><p>\(en.unavailableText)</p><p class="text">\(contact.en)</p></div>
            </section>
            """
        return Self.document(
            language: .ja, title: "\(ja.unavailableHeadline)｜\(ispName.ja)", isp: ispName.ja, switcher: Self.englishAnchor, main: main,
            footer: .empty
        ).rendered
    }

    private static let englishAnchor: HTML = "<a href=\"#en\" lang=\"en\" hreflang=\"en\">English</a>"

    // MARK: The frame

    static func document(language: Language, title: String, isp: String, switcher: HTML, main: HTML, footer: HTML) -> HTML {
        let w = Wording(language: language)
        let nav: HTML = switcher == .empty ? .empty : "<nav aria-label=\"\(w.languageNavigation)\">\(switcher)</nav>"
        let foot: HTML = footer == .empty ? .empty : "<footer class=\"site\">\(footer)</footer>"
        return """
            <!DOCTYPE html>
            <html lang="\(language.rawValue)">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="referrer" content="no-referrer">
            <meta name="robots" content="noindex, nofollow">
            <title>\(title)</title>
            <style>\(style)</style>
            </head>
            <body>
            <a class="skip" href="#main">\(w.skipToContent)</a>
            <header class="site"><div class="bar"><p class="isp">\(isp)</p>\(nav)</div></header>
            <main id="main" tabindex="-1">
            \(main)
            </main>
            \(foot)
            </body>
            </html>

            """
    }

    /// The one stylesheet, inline (the CSP allows nothing else). Colours meet WCAG AA contrast.
    private static let style: HTML = """
        :root{color-scheme:light;--ink:#1b1b1b;--muted:#464a50;--accent:#0a4d8c;--accent-dark:#073763;--line:#d5d9df;--bg:#f3f5f8;--warn:#b45309;--warn-bg:#fff7ea;--ok:#17683a;--ok-bg:#eaf6ee}
        *{box-sizing:border-box}
        html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
        body{margin:0;background:var(--bg);color:var(--ink);font-size:1.0625rem;line-height:1.8;overflow-wrap:anywhere}
        body,:lang(ja){font-family:"Hiragino Sans","Hiragino Kaku Gothic ProN","BIZ UDPGothic","Noto Sans JP","Noto Sans CJK JP","Yu Gothic UI",Meiryo,system-ui,sans-serif}
        :lang(en){font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Helvetica Neue",Arial,"Hiragino Sans","Noto Sans CJK JP",Meiryo,sans-serif}
        .skip{position:absolute;left:-100vw;top:.5rem;background:#fff;color:var(--accent);padding:.5rem 1rem;border-radius:.25rem;z-index:1}
        .skip:focus{left:.5rem}
        header.site{background:#fff;border-bottom:4px solid var(--accent)}
        .bar{max-width:44rem;margin:0 auto;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center;justify-content:space-between}
        .isp{margin:0;font-weight:700;font-size:1.05rem}
        nav a{display:inline-block;padding:.25rem .75rem;border:1px solid var(--accent);border-radius:999px;text-decoration:none;font-size:.95rem;line-height:1.6}
        main{display:block;max-width:44rem;margin:0 auto;padding:.5rem 1rem 1rem}
        main:focus{outline:none}
        h1{font-size:1.45rem;line-height:1.45;margin:1rem 0}
        h2{font-size:1.15rem;line-height:1.45;margin:0 0 .5rem}
        h1,h2{text-wrap:balance}
        h1:lang(ja),h2:lang(ja){word-break:auto-phrase}
        h3{font-size:1rem;margin:1rem 0 .25rem}
        p{margin:0 0 .75rem}
        p:last-child{margin-bottom:0}
        .card{background:#fff;border:1px solid var(--line);border-radius:.6rem;padding:1rem 1.15rem;margin:0 0 1rem}
        .alert{border-left:.4rem solid var(--warn);background:var(--warn-bg)}
        .done{border-left:.4rem solid var(--ok);background:var(--ok-bg)}
        .action{border:2px solid var(--accent)}
        .lead{margin:0 0 1rem}
        .text{white-space:pre-line}
        dl{margin:0}
        dt{font-weight:700;color:var(--muted);font-size:.92rem}
        dd{margin:0 0 .6rem}
        dd:last-child{margin-bottom:0}
        .family{font-weight:700}
        ol.steps{margin:0;padding-left:1.6rem}
        ol.steps li{margin:0 0 .5rem;padding-left:.2rem}
        ul.links{margin:0;padding-left:1.3rem}
        .host{color:var(--muted);font-size:.9rem}
        a{color:var(--accent);text-underline-offset:.18em}
        a:hover{color:var(--accent-dark)}
        a:focus-visible,button:focus-visible{outline:3px solid var(--ink);outline-offset:3px;border-radius:.2rem}
        button,a.button{display:block;width:100%;font:inherit;font-weight:700;text-align:center;text-decoration:none;color:#fff;background:var(--accent);border:0;border-radius:.6rem;padding:.8rem 1.25rem;min-height:3rem;cursor:pointer}
        button:hover,a.button:hover{background:var(--accent-dark);color:#fff}
        .target{margin-top:.75rem}
        .target .label{display:block;font-size:.92rem;color:var(--muted);font-weight:700}
        .site-name{display:block;font-size:1.2rem;font-weight:700;font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"Noto Sans Mono",monospace}
        a.site-link{font-weight:700;font-size:1.1rem}
        .after{margin-top:.75rem;color:var(--muted)}
        button.secondary,a.button.secondary{background:#fff;color:var(--accent);border:2px solid var(--accent)}
        button.secondary:hover,a.button.secondary:hover{background:var(--bg);color:var(--accent-dark)}
        .english{margin-top:2rem;padding-top:1rem;border-top:1px solid var(--line)}
        footer.site{max-width:44rem;margin:0 auto;padding:0 1rem 2rem;color:var(--muted);font-size:.9rem}
        footer.site p{margin:0 0 .4rem}
        @media (min-width:40rem){h1{font-size:1.7rem}button,a.button{display:inline-block;width:auto;min-width:16rem}}
        @media (forced-colors:active){button,a.button{border:2px solid ButtonText}}
        """
}
