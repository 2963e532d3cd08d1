public import Foundation
public import SiteWarning

/// How the DNS guard's warning server listens and what its page says. Loaded once, passed to
/// ``makeWarningApplication(configuration:consent:sessions:bypass:logger:now:)``.
///
/// ```swift
/// var configuration = WarningPageConfiguration(terms: siteWarning.terms!, tokenKey: keyFileBytes)
/// configuration.host = "192.0.2.80"        // the guard's warningIPv4
/// configuration.port = 80
/// configuration.ispName = BilingualText(ja: "まもりネット", en: "Mamori Net")
/// configuration.bypassDuration = siteWarning.bypassDuration
/// ```
///
/// The server speaks plain HTTP only, and nothing listens on 443 at the warning address:
/// a DNS answer cannot make an HTTPS site show this page (see `docs/warning-page.md`).
public struct WarningPageConfiguration: Sendable {
    /// The address to listen on: the warning address the guard answers with. Default `127.0.0.1`.
    public var host: String
    /// The port to listen on. Default `80`; `0` picks a free port (tests).
    public var port: Int
    /// The ISP's name as subscribers know it, shown in every page's header.
    public var ispName: BilingualText
    /// The terms in force: their version (recorded with every choice made on the page), where
    /// they are published (イ), where the choice is changed (ア)(ウ), and the page's texts.
    public var terms: TermsPublication
    /// How long "continue anyway" lets the line reach the site, in seconds. Default 1 hour
    /// (the guard's `bypassDuration`).
    public var bypassDuration: TimeInterval
    /// The key of the page's signed links and forms (HMAC-SHA256), read by the caller from the
    /// store's key file. At least 32 bytes; every warning server behind one address shares it.
    public var tokenKey: [UInt8]
    /// How long a link or form on the page stays valid, in seconds. Default 30 minutes.
    public var tokenLifetime: TimeInterval

    /// A configuration with the defaults documented on each property.
    public init(
        host: String = "127.0.0.1",
        port: Int = 80,
        ispName: BilingualText = BilingualText(ja: "プロバイダ", en: "Your internet provider"),
        terms: TermsPublication,
        bypassDuration: TimeInterval = 3600,
        tokenKey: [UInt8],
        tokenLifetime: TimeInterval = 1800
    ) {
        self.host = host
        self.port = port
        self.ispName = ispName
        self.terms = terms
        self.bypassDuration = bypassDuration
        self.tokenKey = tokenKey
        self.tokenLifetime = tokenLifetime
    }

    /// What is wrong with the configuration, one sentence per problem (empty when it can be used).
    ///
    /// The terms fields that (ア)(イ)(ウ) need are checked by `SiteWarningConfiguration.validate()`;
    /// the page falls back to its own wording for a text left out, never to nothing.
    public var problems: [String] {
        var problems: [String] = []
        if tokenKey.count < 32 { problems.append("tokenKey: at least 32 bytes are needed (it signs the page's links)") }
        if tokenLifetime <= 0 { problems.append("tokenLifetime: must be positive") }
        if bypassDuration <= 0 { problems.append("bypassDuration: must be positive") }
        if terms.version.allSatisfy(\.isWhitespace) { problems.append("terms.version: recorded with every choice made on the page") }
        if WebAddress.httpURL(terms.termsURL) == nil { problems.append("terms.termsURL: (イ) an http(s) address of the published terms") }
        if WebAddress.httpURL(terms.choicePageURL) == nil {
            problems.append("terms.choicePageURL: (ア)(ウ) an http(s) address where the choice is changed")
        }
        return problems
    }
}

/// Checks on addresses the page links to.
enum WebAddress {
    /// `text` when it is an absolute http(s) URL with a host, else nil.
    static func httpURL(_ text: String) -> String? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
            let host = url.host, !host.isEmpty
        else { return nil }
        return text
    }
}
