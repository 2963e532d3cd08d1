public import Addressing
public import Foundation
public import Secrecy

/// The consent model of the malware-site warning, as the ISP chooses it.
public enum WarningConsentModel: String, Sendable, Hashable, Codable, CustomStringConvertible {
    /// Consent through the terms, valid under (ア)(イ)(ウ): on for every line that has not turned it off.
    case terms
    /// Opt-in: off until the line turns it on.
    case optIn = "opt-in"

    public var description: String { rawValue }
}

/// How the C&C DNS block answers a listed name that carries no RPZ action of its own.
public enum CNCAnswer: Sendable, Hashable {
    /// NXDOMAIN (the default).
    case nxdomain
    /// A/AAAA of a sinkhole (the ISP's own; it is then a party to what reaches it).
    case sinkhole([IPAddress])
}

/// Where the terms are published and what the warning page says: the fields (ア)(イ)(ウ) need
/// under the terms default, and that the C&C block's terms consent needs always.
public struct TermsPublication: Sendable, Hashable, Codable {
    /// The version of the terms in force (recorded with every consent change).
    public var version: String
    /// (イ) Where the terms are published (a URL).
    public var termsURL: String
    /// (イ) When this version was published (`YYYY-MM-DD`).
    public var publishedOn: String
    /// (ア) Where a subscriber changes the choice at any time (the member site's page, a URL).
    public var choicePageURL: String
    /// (ア) The statement that every other service condition is the same whichever the choice.
    public var sameConditionsStatement: LocalizedText?
    /// (ウ) What the warning page says about the measure and why it is shown.
    public var pageExplanation: LocalizedText?
    /// (ウ) What the warning page says about how and where to change the choice (opt out).
    public var pageOptOutInstructions: LocalizedText?

    public init(
        version: String, termsURL: String, publishedOn: String, choicePageURL: String, sameConditionsStatement: LocalizedText? = nil,
        pageExplanation: LocalizedText? = nil, pageOptOutInstructions: LocalizedText? = nil
    ) {
        self.version = version
        self.termsURL = termsURL
        self.publishedOn = publishedOn
        self.choicePageURL = choicePageURL
        self.sameConditionsStatement = sameConditionsStatement
        self.pageExplanation = pageExplanation
        self.pageOptOutInstructions = pageOptOutInstructions
    }
}

/// A configuration the guard refuses to start with; the description names each missing field.
public struct SiteWarningConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// One missing or invalid field: its key and what requires it.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        public var field: String
        public var reason: String
        public var description: String { "\(field): \(reason)" }
    }

    public var problems: [Problem]

    public var description: String {
        "the site-warning configuration is incomplete:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}

/// The DNS guard's domain configuration: one value, validated once at start.
///
/// ```swift
/// var configuration = SiteWarningConfiguration(warningConsent: .terms)
/// configuration.warningIPv4 = IPAddress("192.0.2.80")
/// configuration.terms = TermsPublication(version: "2026-04", termsURL: "https://isp.example/terms", …)
/// try configuration.validate()   // names the missing field, e.g. terms.pageExplanation (ウ)
/// ```
public struct SiteWarningConfiguration: Sendable, Hashable {
    /// Whether the malware-site warning runs at all.
    public var warningEnabled = true
    /// Whether the C&C DNS block runs at all.
    public var cncBlockEnabled = true
    /// The malware-site warning's consent model; decides its default choice.
    public var warningConsent: WarningConsentModel
    /// The warning server's addresses (at least one when the warning runs).
    public var warningIPv4: IPAddress?
    public var warningIPv6: IPAddress?
    /// The TTL of warning answers, in seconds (short, so a changed choice shows soon). Default 60.
    public var warningTTL: UInt32 = 60
    /// The answer to a listed C&C name without an RPZ action of its own. Default NXDOMAIN.
    public var cncAnswer: CNCAnswer = .nxdomain
    /// The TTL of C&C block answers, in seconds. Default 60.
    public var blockTTL: UInt32 = 60
    /// How long "continue anyway" lets one line reach one domain, in seconds. Default 1 hour.
    public var bypassDuration: TimeInterval = 3600
    /// How long a live session lives without an accounting update, in seconds. Default 2 hours.
    public var sessionExpiry: TimeInterval = 7200
    /// The offset of the counters' day from UTC, in seconds. Default +9 h (Japan).
    public var counterDayOffset: Int = 9 * 3600
    /// The terms and the page's text; required under the terms default and for the C&C block.
    public var terms: TermsPublication?

    public init(warningConsent: WarningConsentModel) {
        self.warningConsent = warningConsent
    }

    /// Each measure's choice for a line that never chose (and for a client not in the live sessions).
    public var defaults: ConsentSnapshot.Defaults {
        ConsentSnapshot.Defaults(
            malwareSiteWarning: warningEnabled && warningConsent == .terms ? .on : .off, cncDNSBlock: cncBlockEnabled ? .on : .off)
    }

    /// Checks the configuration; the error names every missing or invalid field and what needs it.
    public func validate() throws(SiteWarningConfigurationError) {
        var problems: [SiteWarningConfigurationError.Problem] = []
        func missing(_ field: String, _ reason: String) { problems.append(.init(field: field, reason: reason)) }
        func blank(_ text: String) -> Bool { text.allSatisfy(\.isWhitespace) }
        func blank(_ text: LocalizedText?) -> Bool { text.map { blank($0.ja) || blank($0.en) } ?? true }

        if warningEnabled {
            if warningIPv4 == nil && warningIPv6 == nil {
                missing("warningIPv4", "the warning server's address (IPv4 or IPv6) is needed to answer listed names")
            }
            if let v4 = warningIPv4, v4.family != .v4 { missing("warningIPv4", "not an IPv4 address") }
            if let v6 = warningIPv6, v6.family != .v6 { missing("warningIPv6", "not an IPv6 address") }
        }
        if case .sinkhole(let addresses) = cncAnswer, addresses.isEmpty {
            missing("cncAnswer", "a sinkhole answer needs at least one address")
        }
        if bypassDuration <= 0 { missing("bypassDuration", "must be positive") }
        if sessionExpiry <= 0 { missing("sessionExpiry", "must be positive") }

        let termsNeeded = (warningEnabled && warningConsent == .terms) || cncBlockEnabled
        let pageNeeded = warningEnabled && warningConsent == .terms
        let why = cncBlockEnabled && !pageNeeded ? "the C&C block's consent by the terms" : "the warning's consent by the terms"
        if termsNeeded {
            guard let terms else {
                missing("terms", "required by \(why): where the terms are published (イ), their version, where the choice is changed (ア)")
                throw SiteWarningConfigurationError(problems: problems)
            }
            if blank(terms.version) { missing("terms.version", "the terms version in force, recorded with every choice") }
            if blank(terms.termsURL) { missing("terms.termsURL", "(イ) where the terms are published") }
            if blank(terms.publishedOn) { missing("terms.publishedOn", "(イ) when this version of the terms was published") }
            if blank(terms.choicePageURL) { missing("terms.choicePageURL", "(ア) where a subscriber changes the choice at any time") }
            if pageNeeded {
                if blank(terms.sameConditionsStatement) {
                    missing("terms.sameConditionsStatement", "(ア) that every other service condition is the same whichever the choice")
                }
                if blank(terms.pageExplanation) {
                    missing("terms.pageExplanation", "(ウ) the warning page's explanation of the measure and why it is shown")
                }
                if blank(terms.pageOptOutInstructions) {
                    missing("terms.pageOptOutInstructions", "(ウ) the warning page's text on how and where to change the choice")
                }
            }
        }
        if !problems.isEmpty { throw SiteWarningConfigurationError(problems: problems) }
    }
}
