public import Remediation

/// A text in both subscriber languages.
///
/// ```swift
/// let name = BilingualText(ja: "まもりネット", en: "Mamori Net")
/// name[.en]  // "Mamori Net"
/// ```
public struct BilingualText: Sendable, Hashable {
    /// The Japanese text.
    public var ja: String
    /// The English text.
    public var en: String

    /// A text given in Japanese and English.
    public init(ja: String, en: String) {
        self.ja = ja
        self.en = en
    }

    /// The text in `language`.
    public subscript(_ language: Language) -> String {
        switch language {
        case .ja: ja
        case .en: en
        }
    }
}

/// How the subscriber portal listens and presents itself. Loaded once, passed to
/// ``makePortalApplication(desk:configuration:logger:now:)``.
///
/// ```swift
/// var configuration = PortalConfiguration()
/// configuration.ispName = BilingualText(ja: "まもりネット", en: "Mamori Net")
/// configuration.publicBaseURL = "https://portal.example.jp"
/// configuration.formKey = secretBytesFromTheConfigFile  // same on every instance
/// ```
///
/// ## The "I have cleaned my device" form
///
/// The form carries a field derived from the personal-link token with HMAC-SHA256 under
/// ``formKey``; a POST without the right field is refused (403, a "please try again" page) and
/// nothing is marked. The field is checked before the desk is asked, so a 403 says nothing about
/// the token. Posts a browser states to come from elsewhere (`Sec-Fetch-Site: cross-site` or
/// `same-site`, or an `Origin` other than ``publicBaseURL``'s or the request's own host) are
/// refused too. An `Origin` check alone cannot be the protection: the pages send
/// `Referrer-Policy: no-referrer`, under which browsers send `Origin: null` with the portal's
/// own form (Fetch, "serializing a request origin").
public struct PortalConfiguration: Sendable {
    /// The address to listen on. Default `127.0.0.1` (a reverse proxy terminates TLS in front).
    public var host: String
    /// The port to listen on. Default `8080`; `0` picks a free port.
    public var port: Int
    /// The ISP's name as subscribers know it, shown in every page's header.
    public var ispName: BilingualText
    /// Where subscribers reach the ISP when a link does not work (phone, hours, web form).
    ///
    /// Shown on the refusal page and the landing page, which know nothing of the subscriber.
    /// A valid page shows ``RemediationPage/support`` instead.
    public var contact: BilingualText
    /// The portal's public origin, as written in notice mails (`https://portal.example.jp`);
    /// personal links are `publicBaseURL + "/r/" + token`. No trailing slash.
    public var publicBaseURL: String
    /// The key of the form field that guards the "I have cleaned my device" action.
    ///
    /// Default: 32 random bytes made when the configuration is made, so a form rendered before
    /// a restart is refused once after it (the subscriber presses the button again on the
    /// reloaded page). Several instances behind one name must share one key.
    public var formKey: [UInt8]

    /// A configuration with the defaults documented on each property.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        ispName: BilingualText = BilingualText(ja: "プロバイダ", en: "Your internet provider"),
        contact: BilingualText = BilingualText(
            ja: "ご契約のプロバイダのサポート窓口（ご契約書類に記載の電話番号）までお問い合わせください。",
            en: "Please contact your provider's support desk (the phone number is in your contract papers)."
        ),
        publicBaseURL: String = "http://127.0.0.1:8080",
        formKey: [UInt8]? = nil
    ) {
        self.host = host
        self.port = port
        self.ispName = ispName
        self.contact = contact
        self.publicBaseURL = publicBaseURL
        // `SystemRandomNumberGenerator` is the system's cryptographic source (getrandom, arc4random).
        self.formKey = formKey ?? (0..<32).map { _ in UInt8.random(in: .min ... .max) }
    }

    /// The personal link for `token`, as a notice mail writes it.
    public func personalLink(token: String) -> String {
        var base = Substring(publicBaseURL)
        while base.hasSuffix("/") { base = base.dropLast() }
        return base + "/r/" + token
    }
}
