/// The stable id of a countermeasure, as used by the declarations file, the CLI (`--purpose ID`)
/// and the audit log.
///
/// The ids of the countermeasures in `SECRECY.md` are constants here; a legal team may declare
/// further ids in the declarations file (lowercase words joined by `-`).
///
/// ```swift
/// let id = CountermeasureID.infectedHostNotification
/// id.rawValue      // "infected-host-notification"
/// declarations[id] // its Declaration
/// ```
public struct CountermeasureID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The id as written, e.g. `"smtp-brute-force"`.
    public let rawValue: String

    /// Wraps an id; no check is made here (``Declarations`` checks the ids it loads).
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Wraps an id; no check is made here (``Declarations`` checks the ids it loads).
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    public static func < (lhs: CountermeasureID, rhs: CountermeasureID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Malware-site warning (ACTIVE prevention): consent under (ア)(イ)(ウ).
    public static let malwareSiteWarning = CountermeasureID("malware-site-warning")
    /// Notice to the owner of a listed malware site: public data.
    public static let siteOwnerNotice = CountermeasureID("site-owner-notice")
    /// Notification of an infected host seen by a honeypot or sensor (CCC, ACTIVE removal).
    public static let infectedHostNotification = CountermeasureID("infected-host-notification")
    /// Notification of hosts found in a seized C&C server's logs.
    public static let cncTakedownNotification = CountermeasureID("cnc-takedown-notification")
    /// Blocking internet-originated UDP/53 to dynamic customer pools.
    public static let dnsAmplificationPrevention = CountermeasureID("dns-amplification-prevention")
    /// Suspending SMTP AUTH ids very likely abused, while the load alert is raised (measure 1).
    public static let smtpCredentialAbuse = CountermeasureID("smtp-credential-abuse")
    /// Stopping SMTP AUTH from brute-forcing addresses, while the auth-failure alert is raised (measure 2).
    public static let smtpBruteForce = CountermeasureID("smtp-brute-force")
    /// NICTER-style observation of darknet and sensor traffic.
    public static let networkObservation = CountermeasureID("network-observation")
    /// Silent blocking of lookups of listed C&C names at the ISP's resolver: consent in the terms, opt-out per line.
    public static let cncDNSBlock = CountermeasureID("cnc-dns-block")

    /// The ids of every countermeasure in `SECRECY.md`, in its table's order. The bundled
    /// declarations cover all of them.
    public static let required: [CountermeasureID] = [
        .malwareSiteWarning, .siteOwnerNotice, .infectedHostNotification, .cncTakedownNotification,
        .dnsAmplificationPrevention, .smtpCredentialAbuse, .smtpBruteForce, .networkObservation, .cncDNSBlock,
    ]

    /// Whether the id is well formed: lowercase ASCII letters and digits in words joined by single `-`.
    public var isWellFormed: Bool {
        let words = rawValue.split(separator: "-", omittingEmptySubsequences: false)
        return !rawValue.isEmpty
            && words.allSatisfy { word in
                !word.isEmpty && word.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) }
            }
    }
}

/// A text in Japanese and English. Both are required wherever the declarations use one.
public struct LocalizedText: Sendable, Hashable, Codable {
    /// The Japanese text.
    public let ja: String
    /// The English text.
    public let en: String

    /// A text in both languages.
    public init(ja: String, en: String) {
        self.ja = ja
        self.en = en
    }

    /// The text for a language code (`"ja"` or anything else for English).
    public func text(for language: String) -> String { language.hasPrefix("ja") ? ja : en }
}
