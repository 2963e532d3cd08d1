public import Foundation

/// A subscriber-facing language. Japanese first.
public enum Language: String, Sendable, Hashable, Codable, CaseIterable {
    case ja
    case en
}

/// The status of an infection case.
///
/// `open → notified → remediated | expired`; a remediated case whose sightings continue is
/// `reopened` (and is notified again under the notice policy).
public enum CaseStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case open
    case notified
    case remediated
    case expired
    case reopened
}

/// A link shown on the remediation page (a removal tool, an advisory).
public struct RemediationLink: Sendable, Hashable, Codable {
    public var title: String
    public var url: String

    public init(title: String, url: String) {
        self.title = title
        self.url = url
    }
}

/// What the remediation page shows: only what the subscriber needs.
///
/// No address, no port, no feed name, no evidence: what was observed (family, first and last
/// time), why the ISP may tell them, and what to do.
public struct RemediationPage: Sendable, Hashable {
    /// The language of the texts below.
    public var language: Language
    /// The malware family when known (e.g. `mirai`), else nil ("malicious software").
    public var family: String?
    /// First and last time the infection was observed.
    public var firstSeen: Date
    public var lastSeen: Date
    /// The case status (the page offers the "I have cleaned" action only while not remediated).
    public var status: CaseStatus
    /// Which notice kind this is about (infected-host or C&C contact), for the wording.
    public var kind: NoticeKind
    /// The short plain-language note on why the ISP may tell them.
    public var whyWeMayTellYou: String
    /// Steps to follow, in order.
    public var steps: [String]
    /// Removal tools and advisories.
    public var links: [RemediationLink]
    /// The ISP's support contact text (phone, hours), configurable.
    public var support: String
    /// When the personal link expires.
    public var expiresAt: Date

    public init(
        language: Language, family: String?, firstSeen: Date, lastSeen: Date, status: CaseStatus, kind: NoticeKind,
        whyWeMayTellYou: String, steps: [String], links: [RemediationLink], support: String, expiresAt: Date
    ) {
        self.language = language
        self.family = family
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.status = status
        self.kind = kind
        self.whyWeMayTellYou = whyWeMayTellYou
        self.steps = steps
        self.links = links
        self.support = support
        self.expiresAt = expiresAt
    }
}

/// The kind of a notice: which countermeasure it serves.
public enum NoticeKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A sensor (honeypot, sinkhole, report) saw the subscriber's device infected.
    case infectedHost = "infected-host"
    /// A seized C&C server's logs show the subscriber's device contacted it.
    case cncContact = "cnc-contact"
}

/// The answer to a personal link.
public enum PageLookup: Sendable, Hashable {
    /// The token is valid: show the page.
    case page(RemediationPage)
    /// Unknown, expired, malformed or revoked: show the same friendly page whatever the cause,
    /// so nobody can tell whether a token ever existed.
    case refused
}

/// What the portal needs from the remediation flow. Implemented by the Remediation module over
/// the store; every call is audited (`page-view`, `remediated`, `token-refused`) by the implementation.
///
/// `language` is the one the subscriber asked for (a `?lang=` switch); nil means their preferred one.
public protocol RemediationDesk: Sendable {
    /// The page for a personal-link token.
    func page(token: String, language: Language?, now: Date) async throws -> PageLookup
    /// The subscriber says they cleaned their device: marks the case remediated. Returns the
    /// page after the change, or `.refused` for a bad token.
    func markRemediated(token: String, language: Language?, now: Date) async throws -> PageLookup
}
